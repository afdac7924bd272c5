#!/usr/bin/env python3
"""Generate effilens' sample data set: "logo" posters vs "others", from real images.

Requirements (see data/README.md):
  * Python >= 3.9 (developed with 3.11)
  * Pillow >= 9.1      (pip install Pillow)   -- its wheels bundle libjpeg and FreeType
  * numpy >= 1.21      (pip install numpy)
  No other Python package and no system library: brand marks (SVG paths) are
  rasterised by svg_path.py, not by cairo or librsvg.

Full data set (needs the source assets fetched by data/fetch_sources.sh):

    bash data/fetch_sources.sh                  # -> ~/.cache/effilens/sources
    python3 data/generate_sample.py             # -> data/sample/

  writes data/sample/{train,val,test}/{logo,others}/*.jpg, manifest.csv, boxes.csv
  (each logo's box) and NOTICE.md.  Posters of both classes are drawn by poster.py
  with the same layouts, fonts, stickers and decorations; a "logo" poster also
  carries a simple-icons brand mark (on a badge, bare, or beside its name).  The
  three splits share no source photo, brand, font family or layout.

Tiny data set for fast end-to-end tests (needs only Pillow + numpy, no sources,
no font; same band/badge drawing code, procedural backgrounds and generic marks):

    python3 data/generate_sample.py --tiny DIR  # 2 classes x 6 train, 2 x 3 val, 64x64

Output is always built in a temporary sibling directory and renamed into place,
so an interrupted run never leaves a half-written data set.  The run is
deterministic given the seed, the source assets and the Pillow/numpy versions.

Exit codes: 0 ok, 2 bad usage or missing sources/font, 3 Pillow/numpy missing.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import random
import re
import shutil
import sys
import tempfile
from pathlib import Path

try:
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter
except ImportError as _err:  # pragma: no cover - exercised by hand
    sys.stderr.write(
        "generate_sample.py needs the Python packages Pillow and numpy "
        f"({_err}).\nInstall them with:  python3 -m pip install Pillow numpy\n"
    )
    sys.exit(3)

from poster import LAYOUTS, Fonts, Mark, draw_badge, draw_band, draw_poster, plan  # noqa: E402,F401
from svg_path import parse_path, rasterize_path  # noqa: E402,F401  (the tests reach them here)

_LANCZOS = getattr(Image, "Resampling", Image).LANCZOS

DEFAULT_SEED = 20240611
DEFAULT_SOURCES = Path(os.environ.get("EFFILENS_SOURCES", "~/.cache/effilens/sources")).expanduser()
REPO_DATA = Path(__file__).resolve().parent
DEFAULT_OUT = REPO_DATA / "sample"
JPEG_QUALITY = 85  # --tiny; the full set draws a quality per poster
CLASSES = ("logo", "others")
SPLITS = ("train", "val", "test")
# "seen": posters drawn afresh from training's own photos, brands, fonts and layouts,
# never trained on: the ordinary held-out score, beside val's and test's source-disjoint ones.
SOURCES_OF = {"train": "train", "seen": "train", "val": "val", "test": "test"}

# --tiny's font: DejaVu from Debian's fonts-dejavu-core, from the sources cache,
# else where the Debian package installs it, else Pillow's built-in font.
FONT_REL = "usr/share/fonts/truetype/dejavu"
FONT_BOLD = "DejaVuSans-Bold.ttf"
FONT_REGULAR = "DejaVuSans.ttf"
SYSTEM_FONT_DIR = Path("/") / FONT_REL

# Versions fetch_sources.sh pins; a different version still works but the
# images will differ from the committed ones (a warning is printed).
EXPECTED_VERSIONS = {
    "opencv-doc": "4.6.0+dfsg-12",
    "lomiri-wallpapers-16.04": "20.04.0-2",
    "lomiri-wallpapers-20.04": "20.04.0-2",
    "mate-backgrounds": "1.26.0-1",
    "fonts-dejavu-core": "2.37-6",
    "fonts-liberation2": "2.1.5-1",
    "fonts-freefont-ttf": "20120503-10",
    "fonts-urw-base35": "20200910-7",
    "fonts-lato": "2.0-2.1",
    "fonts-linuxlibertine": "5.3.0-6",
    "fonts-crosextra-carlito": "20220224-1",
    "fonts-cantarell": "0.303.1-1",
    "fonts-crosextra-caladea": "20200211-1",
    "fonts-comfortaa": "3.001-3",
    "fonts-open-sans": "1.11-2",
    "fonts-ebgaramond": "0.016+git20210310.42d4f9f2-1",
    "scikit-image": "0.25.2",
    "scikit-learn": "1.7.2",
    "simple-icons": "16.37.0",
}

# --------------------------------------------------------------------------
# Source photos: (package, path inside the package, licence, credit).
# Only real photographs; abstract wallpapers, drawings, screenshots, and photos
# that show logos, brand packaging or prominent signage are left out.
# Licences are those stated in the package's copyright file / documentation.
# --------------------------------------------------------------------------
_L16 = "usr/share/backgrounds"
_MATE = "usr/share/backgrounds/mate/nature"
_OCV = "usr/share/doc/opencv-doc/examples"
_OCV_LIC = "Apache-2.0 AND BSD-3-Clause (Debian copyright of opencv, 'Files: *')"
_MATE_LIC = "GPL-2+"

PHOTOS = [
    # lomiri-wallpapers-16.04 (Debian), per-file licences from its copyright file
    ("lomiri-wallpapers-16.04", f"{_L16}/Bridge_by_Sander_Klootwijk.jpg", "CC-BY-SA-4.0", "2018 Sander Klootwijk"),
    ("lomiri-wallpapers-16.04", f"{_L16}/Dragonfly_by_Bolly.jpg", "CC-BY-SA-4.0", "2018 \"Bolly\""),
    ("lomiri-wallpapers-16.04", f"{_L16}/Picture_0B_by_freespace.jpg", "CC-BY-4.0", "2018 Trevor \"Freespace\""),
    ("lomiri-wallpapers-16.04", f"{_L16}/Picture_1A_by_freespace.jpg", "CC-BY-4.0", "2018 Trevor \"Freespace\""),
    ("lomiri-wallpapers-16.04", f"{_L16}/Wine_by_Jakkub_Mede.jpg", "CC-BY-4.0", "2018 Jakub Mede"),
    ("lomiri-wallpapers-16.04", f"{_L16}/aitzgorri_by_Aitzol_Berasategi.jpg", "CC-BY-4.0", "2018 Aitzol Berasategi"),
    ("lomiri-wallpapers-16.04", f"{_L16}/free_by_Peter_Nerlich.jpg", "CC-BY-SA-4.0", "2018 Peter Nerlich"),
    ("lomiri-wallpapers-16.04", f"{_L16}/friends_by_Aitzol_Berasategi.jpg", "CC-BY-4.0", "2018 Aitzol Berasategi"),
    ("lomiri-wallpapers-16.04", f"{_L16}/greentock_by_Peter_Nerlich.jpg", "CC-BY-SA-4.0", "2018 Peter Nerlich"),
    ("lomiri-wallpapers-16.04", f"{_L16}/life_by_Aitzol_Berasategi.jpg", "CC-BY-4.0", "2018 Aitzol Berasategi"),
    ("lomiri-wallpapers-16.04", f"{_L16}/picosdeeuropa_by_Aitzol_Berasategi.jpg", "CC-BY-4.0", "2018 Aitzol Berasategi"),
    ("lomiri-wallpapers-16.04", f"{_L16}/seeding_by_Clements_Engelhardt.jpg", "CC0-1.0", "2018 Clemens Engelhardt"),
    ("lomiri-wallpapers-16.04", f"{_L16}/sunset_by_Aitzol_Berasategi.jpg", "CC-BY-4.0", "2018 Aitzol Berasategi"),
    # lomiri-wallpapers-20.04 (Debian)
    ("lomiri-wallpapers-20.04", f"{_L16}/Kleiber_by_Lukas_Baubkus.jpg", "CC-BY-SA-3.0", "2021 Lukas Baubkus"),
    # mate-backgrounds (Debian), nature/, all GPL-2+ per its copyright file
    ("mate-backgrounds", f"{_MATE}/Aqua.jpg", _MATE_LIC, "2008 Charles Barbin"),
    ("mate-backgrounds", f"{_MATE}/Blinds.jpg", _MATE_LIC, "2008 Lennart Poettering, Andrea Cimitan"),
    ("mate-backgrounds", f"{_MATE}/Dune.jpg", _MATE_LIC, "2007 Marco Cogoni, 2008 Hylke Bons"),
    ("mate-backgrounds", f"{_MATE}/FreshFlower.jpg", _MATE_LIC, "2005 Jens Ansorg"),
    ("mate-backgrounds", f"{_MATE}/Garden.jpg", _MATE_LIC, "2008 Charles Barbin"),
    ("mate-backgrounds", f"{_MATE}/GreenMeadow.jpg", _MATE_LIC, "2005 Timothy Schellhase, 2008 Lapo Calamandrei"),
    ("mate-backgrounds", f"{_MATE}/LadyBird.jpg", _MATE_LIC, "2008 Charles Barbin"),
    ("mate-backgrounds", f"{_MATE}/RainDrops.jpg", _MATE_LIC, "2008 \"blackcombwhistler07\""),
    ("mate-backgrounds", f"{_MATE}/Storm.jpg", _MATE_LIC, "2008 Sergey Nazarov"),
    ("mate-backgrounds", f"{_MATE}/TwoWings.jpg", _MATE_LIC, "2008 Charles Barbin, Hylke Bons"),
    ("mate-backgrounds", f"{_MATE}/Wood.jpg", _MATE_LIC, "2008 Jean-François Fortin Tam"),
    ("mate-backgrounds", f"{_MATE}/YellowFlower.jpg", _MATE_LIC, "2008 Charles Barbin"),
    # opencv-doc (Debian), samples/data and two other sample folders
    ("opencv-doc", f"{_OCV}/data/aero1.jpg", _OCV_LIC, "OpenCV samples"),
    ("opencv-doc", f"{_OCV}/data/aloeL.jpg", _OCV_LIC, "OpenCV samples"),
    ("opencv-doc", f"{_OCV}/data/apple.jpg", _OCV_LIC, "OpenCV samples"),
    ("opencv-doc", f"{_OCV}/data/baboon.jpg", _OCV_LIC, "OpenCV samples"),
    ("opencv-doc", f"{_OCV}/data/basketball1.png", _OCV_LIC, "OpenCV samples"),
    ("opencv-doc", f"{_OCV}/data/board.jpg", _OCV_LIC, "OpenCV samples"),
    ("opencv-doc", f"{_OCV}/data/building.jpg", _OCV_LIC, "OpenCV samples"),
    ("opencv-doc", f"{_OCV}/data/butterfly.jpg", _OCV_LIC, "OpenCV samples"),
    ("opencv-doc", f"{_OCV}/data/chicky_512.png", _OCV_LIC, "OpenCV samples"),
    ("opencv-doc", f"{_OCV}/data/fruits.jpg", _OCV_LIC, "OpenCV samples"),
    ("opencv-doc", f"{_OCV}/data/home.jpg", _OCV_LIC, "OpenCV samples"),
    ("opencv-doc", f"{_OCV}/data/leuvenA.jpg", _OCV_LIC, "OpenCV samples"),
    ("opencv-doc", f"{_OCV}/data/orange.jpg", _OCV_LIC, "OpenCV samples"),
    ("opencv-doc", f"{_OCV}/data/rubberwhale1.png", _OCV_LIC, "OpenCV samples"),
    ("opencv-doc", f"{_OCV}/data/squirrel_cls.jpg", _OCV_LIC, "OpenCV samples"),
    ("opencv-doc", f"{_OCV}/data/stuff.jpg", _OCV_LIC, "OpenCV samples"),
    ("opencv-doc", f"{_OCV}/alphamat/input_images/plant.jpg", _OCV_LIC, "OpenCV samples"),
    ("opencv-doc", f"{_OCV}/hfs/data/000.jpg", _OCV_LIC, "OpenCV samples"),
    ("opencv-doc", f"{_OCV}/hfs/data/001.jpg", _OCV_LIC, "OpenCV samples"),
    ("opencv-doc", f"{_OCV}/hfs/data/002.jpg", _OCV_LIC, "OpenCV samples"),
    # scikit-image wheel (PyPI), skimage/data; licences from skimage.data docstrings
    ("scikit-image", "skimage/data/camera.png", "CC0-1.0", "Lav Varshney"),
    ("scikit-image", "skimage/data/chelsea.png", "CC0-1.0", "Stefan van der Walt"),
    ("scikit-image", "skimage/data/coffee.png", "CC0-1.0", "Rachel Michetti"),
    ("scikit-image", "skimage/data/hubble_deep_field.jpg", "Public domain", "NASA"),
    ("scikit-image", "skimage/data/rocket.jpg", "Public domain", "SpaceX"),
    # scikit-learn wheel (PyPI), sklearn/datasets/images; see its README.txt there
    ("scikit-learn", "sklearn/datasets/images/china.jpg", "CC-BY-2.0", "danielbuechele (Flickr), via scikit-learn"),
    ("scikit-learn", "sklearn/datasets/images/flower.jpg", "CC-BY-2.0", "vultilion (Flickr), via scikit-learn"),
]

# Font families: (package, folder in the package, bold file, regular file, licence).
# Each split sets its text in its own families; validation and test never show a
# typeface that training does.
_TT, _OT = "usr/share/fonts/truetype", "usr/share/fonts/opentype"
FONT_FAMILIES = {
    "train": [
        ("fonts-dejavu-core", f"{_TT}/dejavu", "DejaVuSans-Bold.ttf", "DejaVuSans.ttf", "Bitstream Vera licence; DejaVu changes public domain"),
        ("fonts-dejavu-core", f"{_TT}/dejavu", "DejaVuSerif-Bold.ttf", "DejaVuSerif.ttf", "Bitstream Vera licence; DejaVu changes public domain"),
        ("fonts-liberation2", f"{_TT}/liberation2", "LiberationSans-Bold.ttf", "LiberationSans-Regular.ttf", "OFL-1.1"),
        ("fonts-liberation2", f"{_TT}/liberation2", "LiberationSerif-Bold.ttf", "LiberationSerif-Regular.ttf", "OFL-1.1"),
        ("fonts-freefont-ttf", f"{_TT}/freefont", "FreeSansBold.ttf", "FreeSans.ttf", "GPL-3+ with font exception"),
        ("fonts-freefont-ttf", f"{_TT}/freefont", "FreeSerifBold.ttf", "FreeSerif.ttf", "GPL-3+ with font exception"),
        ("fonts-urw-base35", f"{_OT}/urw-base35", "NimbusSans-Bold.otf", "NimbusSans-Regular.otf", "AGPL-3 with font exception"),
        ("fonts-urw-base35", f"{_OT}/urw-base35", "URWGothic-Demi.otf", "URWGothic-Book.otf", "AGPL-3 with font exception"),
        ("fonts-urw-base35", f"{_OT}/urw-base35", "URWBookman-Demi.otf", "URWBookman-Light.otf", "AGPL-3 with font exception"),
        ("fonts-urw-base35", f"{_OT}/urw-base35", "C059-Bold.otf", "C059-Roman.otf", "AGPL-3 with font exception"),
        ("fonts-lato", f"{_TT}/lato", "Lato-Bold.ttf", "Lato-Regular.ttf", "OFL-1.1"),
        ("fonts-linuxlibertine", f"{_OT}/linux-libertine", "LinBiolinum_RB.otf", "LinBiolinum_R.otf", "GPL-2+ with font exception, or OFL-1.1"),
    ],
    "val": [
        ("fonts-crosextra-carlito", f"{_TT}/crosextra", "Carlito-Bold.ttf", "Carlito-Regular.ttf", "OFL-1.1"),
        ("fonts-cantarell", f"{_OT}/cantarell", "Cantarell-Bold.otf", "Cantarell-Regular.otf", "OFL-1.1"),
        ("fonts-urw-base35", f"{_OT}/urw-base35", "P052-Bold.otf", "P052-Roman.otf", "AGPL-3 with font exception"),
        ("fonts-linuxlibertine", f"{_OT}/linux-libertine", "LinLibertine_RB.otf", "LinLibertine_R.otf", "GPL-2+ with font exception, or OFL-1.1"),
    ],
    "test": [
        ("fonts-crosextra-caladea", f"{_TT}/crosextra", "Caladea-Bold.ttf", "Caladea-Regular.ttf", "Apache-2.0"),
        ("fonts-comfortaa", f"{_TT}/comfortaa", "Comfortaa-Bold.ttf", "Comfortaa-Regular.ttf", "OFL-1.1"),
        ("fonts-open-sans", f"{_TT}/open-sans", "OpenSans-Bold.ttf", "OpenSans-Regular.ttf", "Apache-2.0"),
        ("fonts-ebgaramond", f"{_OT}/ebgaramond", "EBGaramond12-Bold.otf", "EBGaramond12-Regular.otf", "OFL-1.1"),
        ("fonts-urw-base35", f"{_OT}/urw-base35", "NimbusRoman-Bold.otf", "NimbusRoman-Regular.otf", "AGPL-3 with font exception"),
    ],
}

# Layouts per split (see poster.py): validation and test compose posters in ways
# training never shows.  Photo-only posters occur in every split.
LAYOUTS_BY_SPLIT = {"train": ("band", "overlay", "framed"), "val": ("panel",), "test": ("stack",)}

# Brands: every simple-icons mark with one path and no licence of its own (the
# icon data is CC0-1.0), shuffled by the seed; the first go to test, the next to
# val, the rest to train, so no brand appears in two splits.
BRANDS_HELD_OUT = {"test": 150, "val": 150}

# Share of each package's photos that goes to val and to test (at least one each).
HELD_OUT_PHOTO_FRACTION = {"val": 0.15, "test": 0.15}
COUNTS = {"train": 100, "seen": 30, "val": 30, "test": 40}  # per class

# Generic marks for --tiny (no third-party data): 24x24 SVG path data.
TINY_MARKS = {
    "ring": ("M12 1a11 11 0 1 1 0 22a11 11 0 1 1 0-22zm0 5a6 6 0 1 0 0 12a6 6 0 1 0 0-12z", "E4572E"),
    "triangle": ("M12 1.5L23 22H1z", "17BEBB"),
    "bolt": ("M14 0L3 14h7l-2 10L21 9h-7z", "6A4C93"),
}
TINY_COUNTS = {"train": 6, "val": 3}
TINY_SIZE = (64, 64)


class GenError(Exception):
    """A problem the user can fix (missing sources, font, bad arguments)."""


# ==========================================================================
# Sources
# ==========================================================================
def read_versions(sources: Path):
    f = sources / "SOURCES.tsv"
    if not f.is_file():
        raise GenError(
            f"{f} not found: the source assets are missing.\n"
            "Fetch them first:  bash data/fetch_sources.sh   (or pass --sources DIR)"
        )
    out = {}
    with f.open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or not line.strip():
                continue
            kind, name, version, archive, sha = line.rstrip("\n").split("\t")[:5]
            out[name] = {"kind": kind, "version": version, "archive": archive, "sha256": sha}
    return out


def photo_file(sources: Path, kind: str, package: str, rel: str) -> Path:
    return sources / kind / package / rel


def load_photo(path: Path, max_side: int = 1600) -> Image.Image:
    with Image.open(path) as im:
        im.draft("RGB", (max_side, max_side))  # JPEG: decode at reduced scale
        im = im.convert("RGB")
    if max(im.size) > max_side:
        s = max_side / max(im.size)
        im = im.resize((max(1, round(im.size[0] * s)), max(1, round(im.size[1] * s))), _LANCZOS)
    return im


def find_fonts(sources: Path | None, required: bool) -> Fonts:
    candidates = []
    if sources is not None:
        candidates.append(sources / "deb" / "fonts-dejavu-core" / FONT_REL)
    candidates.append(SYSTEM_FONT_DIR)
    for d in candidates:
        if (d / FONT_BOLD).is_file() and (d / FONT_REGULAR).is_file():
            return Fonts(d / FONT_BOLD, d / FONT_REGULAR)
    if required:
        raise GenError(
            f"font not found: {FONT_BOLD} / {FONT_REGULAR} from Debian's fonts-dejavu-core.\n"
            f"Looked in: {', '.join(str(c) for c in candidates)}.\n"
            "Run data/fetch_sources.sh (it extracts the font into the sources cache), "
            "or install the package: apt-get install fonts-dejavu-core"
        )
    return Fonts(None, None)


def font_name(family) -> str:
    return family[2].rsplit(".", 1)[0]


def load_font_families(sources: Path):
    """Each split's font families from the sources cache, as Fonts, by name."""
    out, missing = {}, []
    for split, families in FONT_FAMILIES.items():
        out[split] = {}
        for fam in families:
            folder = sources / "deb" / fam[0] / fam[1]
            bold, regular = folder / fam[2], folder / fam[3]
            if not (bold.is_file() and regular.is_file()):
                missing.append(str(bold))
            out[split][font_name(fam)] = Fonts(bold, regular)
    if missing:
        raise GenError("fonts missing (run data/fetch_sources.sh):\n  " + "\n  ".join(missing))
    return out


def eligible_marks(sources: Path):
    """simple-icons marks drawn from one path, without a licence of their own, by slug."""
    pkg = sources / "npm" / "simple-icons" / "package"
    data_file = pkg / "data" / "simple-icons.json"
    if not data_file.is_file():
        raise GenError(f"{data_file} not found; run data/fetch_sources.sh")
    marks = {}
    for e in json.loads(data_file.read_text(encoding="utf-8")):
        if "license" in e:
            continue
        svg = (pkg / "icons" / f"{e['slug']}.svg").read_text(encoding="utf-8")
        ds = re.findall(r'<path[^>]*\sd="([^"]+)"', svg)
        if len(ds) == 1:
            marks[e["slug"]] = Mark(e["slug"], e["title"], e["hex"], ds[0])
    return marks


def split_brands(slugs, seed: int):
    order = sorted(slugs)
    random.Random(f"{seed}:brands").shuffle(order)
    nt, nv = BRANDS_HELD_OUT["test"], BRANDS_HELD_OUT["val"]
    return {"test": order[:nt], "val": order[nt:nt + nv], "train": order[nt + nv:]}


def split_photos(seed: int):
    """Per package, a seeded shuffle: the first share goes to test, the next to val."""
    by_pkg = {}
    for p in PHOTOS:
        by_pkg.setdefault(p[0], []).append(p)
    out = {s: [] for s in SPLITS}
    for pkg in sorted(by_pkg):
        items = sorted(by_pkg[pkg], key=lambda p: p[1])
        random.Random(f"{seed}:split:{pkg}").shuffle(items)
        nt = max(1, int(math.ceil(len(items) * HELD_OUT_PHOTO_FRACTION["test"])))
        nv = max(1, int(math.ceil(len(items) * HELD_OUT_PHOTO_FRACTION["val"])))
        out["test"].extend(items[:nt])
        out["val"].extend(items[nt:nt + nv])
        out["train"].extend(items[nt + nv:])
    return {s: sorted(v, key=lambda p: (p[0], p[1])) for s, v in out.items()}


def photo_id(p) -> str:
    return f"{p[0]}:{p[1]}"


# ==========================================================================
# Writers
# ==========================================================================
def _save_jpeg(img: Image.Image, path: Path, quality: int = JPEG_QUALITY):
    img.save(path, "JPEG", quality=quality, optimize=True)


class AtomicDir:
    """Build into a temp sibling directory, then swap it in place of `target`."""

    def __init__(self, target: Path):
        self.target = target.resolve()

    def __enter__(self) -> Path:
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.tmp-", dir=self.target.parent))
        os.chmod(self.tmp, 0o755)  # mkdtemp makes it 0700
        return self.tmp

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return False
        old = None
        if self.target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.old-", dir=self.target.parent))
            os.rmdir(old)
            os.rename(self.target, old)
        os.rename(self.tmp, self.target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return False


def _write_boxes(boxes, path: Path):
    """boxes.csv: each logo's mark box, for the pointing game of a class activation map."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        wr = csv.writer(fh, lineterminator="\n")
        wr.writerow(["file", "x", "y", "width", "height"])
        wr.writerows(boxes)


MANIFEST_COLUMNS = ["file", "split", "class", "source", "brand", "layout", "font", "logo_style", "extras"]


def _write_manifest(rows, path: Path):
    with path.open("w", newline="", encoding="utf-8") as fh:
        wr = csv.writer(fh, lineterminator="\n")
        wr.writerow(MANIFEST_COLUMNS)
        wr.writerows(rows)


def generate_full(sources: Path, out: Path, seed: int, counts=None):
    counts = dict(COUNTS, **(counts or {}))
    versions = read_versions(sources)
    for name, want in EXPECTED_VERSIONS.items():
        if name not in versions:
            raise GenError(f"{name} missing from {sources / 'SOURCES.tsv'}; run data/fetch_sources.sh")
        if versions[name]["version"] != want:
            print(f"warning: {name} is {versions[name]['version']}, expected {want}; "
                  "the images will differ from the committed ones", file=sys.stderr)
    fonts = load_font_families(sources)
    missing = [str(photo_file(sources, versions[p[0]]["kind"], p[0], p[1]))
               for p in PHOTOS if not photo_file(sources, versions[p[0]]["kind"], p[0], p[1]).is_file()]
    if missing:
        raise GenError("source photos missing (run data/fetch_sources.sh):\n  " + "\n  ".join(missing))
    marks = eligible_marks(sources)
    brands = split_brands(marks, seed)
    splits = split_photos(seed)
    for a, b in (("train", "val"), ("train", "test"), ("val", "test")):
        assert not {photo_id(p) for p in splits[a]} & {photo_id(p) for p in splits[b]}
        assert not set(brands[a]) & set(brands[b])

    cache = {}

    def photo(p):
        key = photo_id(p)
        if key not in cache:
            cache[key] = load_photo(photo_file(sources, versions[p[0]]["kind"], p[0], p[1]))
        return cache[key]

    rows, boxes, used = [], [], {s: [] for s in SPLITS}
    with AtomicDir(out) as tmp:
        for split, source in SOURCES_OF.items():
            font_names = sorted(fonts[source])
            for cls in CLASSES:
                d = tmp / split / cls
                d.mkdir(parents=True)
                order = list(splits[source])
                random.Random(f"{seed}:{split}:{cls}:photos").shuffle(order)
                looks = plan(counts[split], LAYOUTS_BY_SPLIT[source], random.Random(f"{seed}:{split}:plan"))
                for i, (layout, sticker, decoration) in enumerate(looks):
                    rng = random.Random(f"{seed}:{split}:{cls}:{i}")
                    p = order[i % len(order)]
                    font = font_names[i % len(font_names)]
                    mark = marks[brands[source][i % len(brands[source])]] if cls == "logo" else None
                    drawn = draw_poster(photo(p), layout, fonts[source][font], rng, mark, sticker, decoration)
                    name = f"{split}-{cls}-{i + 1:03d}.jpg"
                    _save_jpeg(drawn.img, d / name, drawn.quality)
                    if mark is not None:
                        boxes.append([f"{split}/{cls}/{name}", *drawn.box])
                        if mark.name not in used[source]:
                            used[source].append(mark.name)
                    rows.append([f"{split}/{cls}/{name}", split, cls, photo_id(p), mark.name if mark else "",
                                 drawn.layout, font, drawn.logo_style, drawn.extras])
        _write_manifest(rows, tmp / "manifest.csv")
        _write_boxes(boxes, tmp / "boxes.csv")
        (tmp / "NOTICE.md").write_text(_notice(versions, splits, marks, used, seed), encoding="utf-8")
    return rows


def _notice(versions, splits, marks, used, seed) -> str:
    si = versions["simple-icons"]["version"]
    L = []
    L.append("# Sample data set: sources and licences\n")
    L.append("Generated by `data/generate_sample.py` "
             f"(seed {seed}) from the assets fetched by `data/fetch_sources.sh`. "
             "Every image in `train/`, `seen/`, `val/` and `test/` is a poster drawn around one source "
             "photo below (see the `source` column of `manifest.csv`): a crop of it, with "
             "drawn text, shapes and, for class `logo`, a brand mark. Each image is a derivative "
             "of its source photo and is distributed under that photo's licence; the photo "
             "credits below are the attributions required by the CC-BY / CC-BY-SA licences. "
             "The GPL-2+ photos come from Debian's `mate-backgrounds` "
             "(source: the Debian source package of the same name and version).\n")
    L.append("## Source packages\n")
    L.append("| package | registry | version | archive sha256 |")
    L.append("| --- | --- | --- | --- |")
    for name in sorted(versions):
        v = versions[name]
        reg = {"deb": "Debian (bookworm)", "pypi": "PyPI", "npm": "npm"}.get(v["kind"], v["kind"])
        L.append(f"| {name} | {reg} | {v['version']} | `{v['sha256']}` |")
    L.append("")
    L.append("## Source photos\n")
    L.append("| split | package | version | path in package | licence | credit |")
    L.append("| --- | --- | --- | --- | --- | --- |")
    for split in SPLITS:
        for p in splits[split]:
            L.append(f"| {split} | {p[0]} | {versions[p[0]]['version']} | `{p[1]}` | {p[2]} | {p[3]} |")
    L.append("")
    L.append("## Brand marks\n")
    L.append(f"From the npm package `simple-icons` {si} (icon data CC0-1.0, "
             "`package/icons/<slug>.svg`, colour from `package/data/simple-icons.json`); "
             "marks with a licence of their own in simple-icons' data are never drawn.\n")
    L.append("**Trademarks:** the brand marks are trademarks of their respective owners. "
             "They are used here only as test data for a logo-detection model; no "
             "endorsement or affiliation is implied. Simple Icons' own disclaimer "
             "(`DISCLAIMER.md` in the package) applies.\n")
    L.append("| split | slug | title | hex |")
    L.append("| --- | --- | --- | --- |")
    for split in SPLITS:
        for s in used[split]:
            m = marks[s]
            L.append(f"| {split} | {s} | {m.title.replace('|', '/')} | #{m.hex} |")
    L.append("")
    L.append("## Fonts\n")
    L.append("Text is set in these families from Debian packages (the text itself is made up "
             "by the generator); each split uses only its own:\n")
    L.append("| split | package | version | files | licence |")
    L.append("| --- | --- | --- | --- | --- |")
    for split in SPLITS:
        for fam in FONT_FAMILIES[split]:
            L.append(f"| {split} | {fam[0]} | {versions[fam[0]]['version']} | `{fam[2]}`, `{fam[3]}` | {fam[4]} |")
    L.append("")
    return "\n".join(L)


# ---------------------------------------------------------------- tiny mode
def _tiny_background(rng: random.Random, size) -> Image.Image:
    w, h = size
    nrng = np.random.default_rng(rng.getrandbits(32))
    c0 = np.array([rng.randrange(256) for _ in range(3)], dtype=np.float32)
    c1 = np.array([rng.randrange(256) for _ in range(3)], dtype=np.float32)
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    arr = (1 - t) * c0 + t * c1 + np.zeros((h, w, 3), dtype=np.float32)
    arr += nrng.normal(0, 10, size=(h, w, 3)).astype(np.float32)
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    d = ImageDraw.Draw(img)
    for _ in range(rng.randint(2, 5)):
        x0, y0 = rng.randrange(w), rng.randrange(h)
        r = rng.randint(w // 10, w // 3)
        d.ellipse([x0 - r, y0 - r, x0 + r, y0 + r], fill=tuple(rng.randrange(256) for _ in range(3)))
    return img.filter(ImageFilter.GaussianBlur(1))


def generate_tiny(out: Path, seed: int):
    fonts = find_fonts(None, required=False)
    marks = [Mark(k, k, v[1], v[0]) for k, v in sorted(TINY_MARKS.items())]
    rows = []
    boxes = []
    with AtomicDir(out) as tmp:
        for split in ("train", "val"):
            for cls in CLASSES:
                d = tmp / split / cls
                d.mkdir(parents=True)
                for i in range(TINY_COUNTS[split]):
                    rng = random.Random(f"{seed}:tiny:{split}:{cls}:{i}")
                    img = _tiny_background(rng, TINY_SIZE)
                    with_band = cls == "logo" or i % 2 == 0
                    band = draw_band(img, rng, fonts) if with_band else None
                    brand = ""
                    name = f"{split}-{cls}-{i + 1:03d}.jpg"
                    if cls == "logo":
                        m = marks[i % len(marks)]
                        # at 64 px keep the badge at the large end of 10-25 %
                        boxes.append([f"{split}/{cls}/{name}", *draw_badge(img, m, rng, band, size_range=(0.20, 0.25))])
                        brand = m.name
                    _save_jpeg(img, d / name)
                    rows.append([f"{split}/{cls}/{name}", split, cls, f"procedural:{seed}:{split}:{cls}:{i}",
                                 brand, "band" if with_band else "photo", "tiny", "badge" if brand else "", ""])
        _write_manifest(rows, tmp / "manifest.csv")
        _write_boxes(boxes, tmp / "boxes.csv")
        (tmp / "NOTICE.md").write_text(
            "# Tiny synthetic data set\n\nMade by `data/generate_sample.py --tiny` from procedural "
            "backgrounds and generic shapes; no third-party material.\n", encoding="utf-8")
    return rows


# ---------------------------------------------------------------- contact sheet
def contact_sheet(root: Path, dest: Path, per_group: int = 8, thumb: int = 120):
    groups = [(s, c) for s in SOURCES_OF for c in CLASSES if (root / s / c).is_dir()]
    cols = per_group
    cell_w, cell_h = thumb, int(thumb * 1.4) + 14
    sheet = Image.new("RGB", (cols * cell_w, len(groups) * cell_h), "white")
    d = ImageDraw.Draw(sheet)
    for gi, (s, c) in enumerate(groups):
        files = sorted((root / s / c).glob("*.jpg"))[:per_group]
        for fi, f in enumerate(files):
            with Image.open(f) as im:
                im = im.convert("RGB")
                im.thumbnail((cell_w - 4, cell_h - 16))
                sheet.paste(im, (fi * cell_w + 2, gi * cell_h + 2))
            d.text((fi * cell_w + 2, gi * cell_h + cell_h - 13), f.name[:20], fill="black")
    sheet.save(dest)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    ap.add_argument("--sources", type=Path, default=DEFAULT_SOURCES,
                    help="source assets from data/fetch_sources.sh (default ~/.cache/effilens/sources, "
                         "or $EFFILENS_SOURCES)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default data/sample)")
    ap.add_argument("--tiny", type=Path, metavar="DIR",
                    help="write the tiny synthetic data set (64x64, 6+6 train, 3+3 val) to DIR instead")
    ap.add_argument("--train-per-class", type=int, metavar="N", default=COUNTS["train"],
                    help=f"training posters per class (default {COUNTS['train']}, as committed); "
                         "val and test stay as they are")
    ap.add_argument("--contact-sheet", type=Path, metavar="PNG",
                    help="also write a contact sheet of the result to this PNG")
    args = ap.parse_args(argv)
    try:
        if args.tiny is not None:
            rows = generate_tiny(args.tiny, args.seed)
            root = args.tiny
        else:
            if args.train_per_class < 1:
                raise GenError("--train-per-class must be at least 1")
            rows = generate_full(args.sources.expanduser(), args.out, args.seed, {"train": args.train_per_class})
            root = args.out
    except GenError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    counts = {}
    for r in rows:
        counts[(r[1], r[2])] = counts.get((r[1], r[2]), 0) + 1
    total = sum(f.stat().st_size for f in root.rglob("*") if f.is_file())
    print(f"wrote {len(rows)} images to {root} "
          + ", ".join(f"{s}/{c}={n}" for (s, c), n in sorted(counts.items()))
          + f"; {total / 1e6:.2f} MB")
    if args.contact_sheet:
        contact_sheet(root, args.contact_sheet)
        print(f"contact sheet: {args.contact_sheet}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
