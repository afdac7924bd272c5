#!/usr/bin/env python3
"""Generate effilens' sample data set: "logo" posters vs "others", from real images.

Requirements (see data/README.md):
  * Python >= 3.9 (developed with 3.11)
  * Pillow >= 9.1      (pip install Pillow)   -- its wheels bundle libjpeg and FreeType
  * numpy >= 1.21      (pip install numpy)
  No other Python package and no system library: brand marks (SVG paths) are
  rasterised by the small path filler in this file, not by cairo or librsvg.

Full data set (needs the source assets fetched by data/fetch_sources.sh):

    bash data/fetch_sources.sh                  # -> ~/.cache/effilens/sources
    python3 data/generate_sample.py             # -> data/sample/

  writes data/sample/{train,val}/{logo,others}/*.jpg, data/sample/manifest.csv,
  data/sample/boxes.csv (each logo's badge box)
  and data/sample/NOTICE.md.  "logo" images are crops of real photos with a
  headline band (coloured bar with text, top or bottom) and a brand badge (a
  simple-icons mark in its brand colour on a contrasting rounded badge, 10-25 %
  of the image width) in a corner; "others" are crops of real photos, half of
  them with the same kind of band but no badge.  train and val share no source
  photo and no brand.

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
from dataclasses import dataclass
from pathlib import Path

try:
    import numpy as np
    from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont
except ImportError as _err:  # pragma: no cover - exercised by hand
    sys.stderr.write(
        "generate_sample.py needs the Python packages Pillow and numpy "
        f"({_err}).\nInstall them with:  python3 -m pip install Pillow numpy\n"
    )
    sys.exit(3)

DEFAULT_SEED = 20240611
DEFAULT_SOURCES = Path(os.environ.get("EFFILENS_SOURCES", "~/.cache/effilens/sources")).expanduser()
REPO_DATA = Path(__file__).resolve().parent
DEFAULT_OUT = REPO_DATA / "sample"
JPEG_QUALITY = 85
CLASSES = ("logo", "others")

# Font: DejaVu from Debian's fonts-dejavu-core (2.37-6).  Looked up first in the
# sources cache (deb/fonts-dejavu-core/...), then at the system path where the
# Debian package installs it.
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

# Brands (simple-icons slugs).  Fixed, disjoint lists: train and val never share
# a brand.  Chosen for distinct, non-white marks without an extra licence entry
# in simple-icons' data (the icon data is CC0-1.0).
TRAIN_BRANDS = [
    "spotify", "firefoxbrowser", "github", "airbnb", "mcdonalds", "starbucks",
    "cocacola", "shell", "ikea", "redbull", "twitch", "youtube", "netflix",
    "dhl", "fedex", "ebay", "discord", "telegram", "reddit", "dropbox",
]
VAL_BRANDS = ["nvidia", "instagram", "mastercard", "whatsapp", "pinterest", "toyota"]

# Share of each package's photos that goes to val (at least one per package).
VAL_PHOTO_FRACTION = 0.25
COUNTS = {"train": 100, "val": 30}  # per class

# Poster canvas sizes (w, h) and weights: mostly portrait, some landscape.
POSTER_SIZES = [((300, 420), 6), ((300, 400), 2), ((420, 300), 2), ((400, 300), 1)]

HEADLINE_A = ["SUMMER", "WINTER", "SPRING", "AUTUMN", "CITY", "GRAND", "FRESH", "OPEN",
              "BIG", "LIVE", "WEEKEND", "NIGHT", "HARBOUR", "FAMILY", "GARDEN", "STREET"]
HEADLINE_B = ["SALE", "FESTIVAL", "MARKET", "CONCERT", "OPENING", "DEALS", "TOUR", "FAIR",
              "EXPO", "RUN", "SHOW", "MEETUP", "CINEMA", "PARADE", "CLEARANCE", "FEAST"]
SUBLINES = ["Saturday 14 June  10:00-18:00", "Only this weekend", "Tickets at the door",
            "Free entry for kids", "From 9 May", "Up to 50 % off", "Main square, 8 pm",
            "Limited places", "Doors open 7 pm", "Every Sunday", "Book now", "All week long"]
BAND_COLOURS = ["#14213D", "#B5179E", "#D62828", "#F77F00", "#FCBF49", "#2A9D8F", "#264653",
                "#111111", "#FFFFFF", "#F1FAEE", "#6A4C93", "#1D3557", "#E76F51", "#588157",
                "#3A86FF", "#8D0801"]

# Generic marks for --tiny (no third-party data): 24x24 SVG path data.
TINY_MARKS = {
    "ring": ("M12 1a11 11 0 1 1 0 22a11 11 0 1 1 0-22zm0 5a6 6 0 1 0 0 12a6 6 0 1 0 0-12z", "E4572E"),
    "triangle": ("M12 1.5L23 22H1z", "17BEBB"),
    "bolt": ("M14 0L3 14h7l-2 10L21 9h-7z", "6A4C93"),
}
TINY_COUNTS = {"train": 6, "val": 3}
TINY_SIZE = (64, 64)

_LANCZOS = getattr(Image, "Resampling", Image).LANCZOS
_BOX = getattr(Image, "Resampling", Image).BOX
_FLIP_LR = getattr(Image, "Transpose", Image).FLIP_LEFT_RIGHT


class GenError(Exception):
    """A problem the user can fix (missing sources, font, bad arguments)."""


# ==========================================================================
# SVG path data -> anti-aliased coverage mask (non-zero fill rule)
# ==========================================================================
_NUM_RE = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_CMDS = "MmZzLlHhVvCcSsQqTtAa"


class _Scanner:
    def __init__(self, text: str):
        self.s, self.i, self.n = text, 0, len(text)

    def _skip(self):
        while self.i < self.n and self.s[self.i] in " \t\r\n,":
            self.i += 1

    def done(self) -> bool:
        self._skip()
        return self.i >= self.n

    def command(self):
        self._skip()
        if self.i < self.n and self.s[self.i] in _CMDS:
            self.i += 1
            return self.s[self.i - 1]
        return None

    def number(self) -> float:
        self._skip()
        m = _NUM_RE.match(self.s, self.i)
        if not m:
            raise ValueError(f"bad path data at {self.i}: {self.s[self.i:self.i + 20]!r}")
        self.i = m.end()
        return float(m.group())

    def flag(self) -> bool:
        self._skip()
        if self.i < self.n and self.s[self.i] in "01":
            self.i += 1
            return self.s[self.i - 1] == "1"
        raise ValueError(f"bad arc flag at {self.i}")


def _cubic(p0, p1, p2, p3, n):
    t = np.linspace(0.0, 1.0, n + 1)[1:, None]
    p0, p1, p2, p3 = (np.asarray(p, dtype=float) for p in (p0, p1, p2, p3))
    pts = ((1 - t) ** 3) * p0 + 3 * ((1 - t) ** 2) * t * p1 + 3 * (1 - t) * t * t * p2 + t ** 3 * p3
    return [tuple(p) for p in pts]


def _arc(x1, y1, rx, ry, phi_deg, large, sweep, x2, y2, seg_per_unit):
    """SVG endpoint arc -> points (SVG 1.1 implementation notes F.6.5/F.6.6)."""
    if (x1, y1) == (x2, y2):
        return []
    rx, ry = abs(rx), abs(ry)
    if rx == 0 or ry == 0:
        return [(x2, y2)]
    phi = math.radians(phi_deg % 360.0)
    c, s = math.cos(phi), math.sin(phi)
    dx, dy = (x1 - x2) / 2.0, (y1 - y2) / 2.0
    x1p, y1p = c * dx + s * dy, -s * dx + c * dy
    lam = (x1p * x1p) / (rx * rx) + (y1p * y1p) / (ry * ry)
    if lam > 1:
        rx, ry = rx * math.sqrt(lam), ry * math.sqrt(lam)
    num = rx * rx * ry * ry - rx * rx * y1p * y1p - ry * ry * x1p * x1p
    den = rx * rx * y1p * y1p + ry * ry * x1p * x1p
    coef = math.sqrt(max(0.0, num / den)) if den else 0.0
    if large == sweep:
        coef = -coef
    cxp, cyp = coef * rx * y1p / ry, -coef * ry * x1p / rx
    cx, cy = c * cxp - s * cyp + (x1 + x2) / 2.0, s * cxp + c * cyp + (y1 + y2) / 2.0

    def ang(ux, uy, vx, vy):
        return math.atan2(ux * vy - uy * vx, ux * vx + uy * vy)

    ux, uy = (x1p - cxp) / rx, (y1p - cyp) / ry
    vx, vy = (-x1p - cxp) / rx, (-y1p - cyp) / ry
    th1 = ang(1.0, 0.0, ux, uy)
    dth = ang(ux, uy, vx, vy)
    if not sweep and dth > 0:
        dth -= 2 * math.pi
    elif sweep and dth < 0:
        dth += 2 * math.pi
    n = max(2, min(256, int(math.ceil(abs(dth) * max(rx, ry) * seg_per_unit))))
    out = []
    for k in range(1, n + 1):
        th = th1 + dth * k / n
        ct, st = math.cos(th), math.sin(th)
        out.append((cx + rx * ct * c - ry * st * s, cy + rx * ct * s + ry * st * c))
    out[-1] = (x2, y2)
    return out


def parse_path(d: str, px_per_unit: float):
    """Flatten SVG path data into closed polygons (lists of (x, y) in user units)."""
    seg_per_unit = max(0.25, px_per_unit / 3.0)  # about one segment per 3 output px

    def nseg(*pts):
        length = sum(math.dist(a, b) for a, b in zip(pts, pts[1:]))
        return max(2, min(128, int(math.ceil(length * seg_per_unit))))

    sc = _Scanner(d)
    polys, cur = [], []
    x = y = sx = sy = 0.0
    prev = None
    last_c2 = last_q = None  # reflected control points for S / T
    cmd = None
    while not sc.done():
        c = sc.command()
        if c is None:
            if cmd is None:
                raise ValueError("path data must start with a command")
            c = {"M": "L", "m": "l"}.get(cmd, cmd)
            if c in "Zz":
                raise ValueError("numbers after Z")
        cmd = c
        rel = c.islower()
        C = c.upper()
        ox, oy = (x, y) if rel else (0.0, 0.0)
        if C == "M":
            if len(cur) > 2:
                polys.append(cur)
            x, y = sc.number() + ox, sc.number() + oy
            sx, sy = x, y
            cur = [(x, y)]
        elif C == "Z":
            if len(cur) > 2:
                polys.append(cur)
            x, y = sx, sy
            cur = [(x, y)]
        else:
            if not cur:
                cur = [(x, y)]
            if C == "L":
                x, y = sc.number() + ox, sc.number() + oy
                cur.append((x, y))
            elif C == "H":
                x = sc.number() + ox
                cur.append((x, y))
            elif C == "V":
                y = sc.number() + oy
                cur.append((x, y))
            elif C in "CS":
                if C == "C":
                    c1 = (sc.number() + ox, sc.number() + oy)
                else:
                    c1 = (2 * x - last_c2[0], 2 * y - last_c2[1]) if prev in ("C", "S") else (x, y)
                c2 = (sc.number() + ox, sc.number() + oy)
                end = (sc.number() + ox, sc.number() + oy)
                cur.extend(_cubic((x, y), c1, c2, end, nseg((x, y), c1, c2, end)))
                last_c2 = c2
                x, y = end
            elif C in "QT":
                if C == "Q":
                    q = (sc.number() + ox, sc.number() + oy)
                else:
                    q = (2 * x - last_q[0], 2 * y - last_q[1]) if prev in ("Q", "T") else (x, y)
                end = (sc.number() + ox, sc.number() + oy)
                c1 = (x + 2.0 / 3.0 * (q[0] - x), y + 2.0 / 3.0 * (q[1] - y))
                c2 = (end[0] + 2.0 / 3.0 * (q[0] - end[0]), end[1] + 2.0 / 3.0 * (q[1] - end[1]))
                cur.extend(_cubic((x, y), c1, c2, end, nseg((x, y), q, end)))
                last_q = q
                x, y = end
            elif C == "A":
                rx, ry, rot = sc.number(), sc.number(), sc.number()
                large, sweep = sc.flag(), sc.flag()
                ex, ey = sc.number() + ox, sc.number() + oy
                cur.extend(_arc(x, y, rx, ry, rot, large, sweep, ex, ey, seg_per_unit))
                x, y = ex, ey
        prev = C
    if len(cur) > 2:
        polys.append(cur)
    return polys


def path_bbox(d: str):
    """Bounding box (x0, y0, x1, y1) of the flattened path, in user units."""
    pts = np.concatenate([np.asarray(p, dtype=np.float64) for p in parse_path(d, 8.0)])
    return (float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max()))


def rasterize_path(d: str, width: int, height: int | None = None, viewbox=(0.0, 0.0, 24.0, 24.0),
                   supersample: int = 4) -> np.ndarray:
    """Coverage (float32 in 0..1, shape height x width) of SVG path data `d` filled with
    the non-zero rule; `viewbox` (x, y, w, h) is scaled uniformly to fit and centred
    (like preserveAspectRatio="xMidYMid meet")."""
    height = width if height is None else height
    vx, vy, vw, vh = viewbox
    ss = supersample
    nw, nh = width * ss, height * ss
    scale = min(nw / vw, nh / vh)
    offx, offy = (nw - vw * scale) / 2.0, (nh - vh * scale) / 2.0
    polys = parse_path(d, scale / ss)
    if not polys:
        return np.zeros((height, width), dtype=np.float32)
    x0l, y0l, x1l, y1l = [], [], [], []
    for poly in polys:
        p = np.asarray(poly, dtype=np.float64)
        px = (p[:, 0] - vx) * scale + offx
        py = (p[:, 1] - vy) * scale + offy
        x0l.append(px)
        y0l.append(py)
        x1l.append(np.roll(px, -1))  # polygons are closed implicitly
        y1l.append(np.roll(py, -1))
    x0, y0, x1, y1 = (np.concatenate(a) for a in (x0l, y0l, x1l, y1l))
    keep = y0 != y1
    x0, y0, x1, y1 = x0[keep], y0[keep], x1[keep], y1[keep]
    direction = np.where(y1 > y0, 1, -1).astype(np.int32)
    ylo, yhi = np.minimum(y0, y1), np.maximum(y0, y1)
    # winding[r, c]: sum of edge directions crossing row r left of sample column c
    winding = np.zeros((nh, nw + 1), dtype=np.int32)
    rows_all = np.arange(nh) + 0.5
    step = max(1, 4_000_000 // max(1, len(x0)))  # bound memory: rows x edges per chunk
    for r0 in range(0, nh, step):
        rows = rows_all[r0:r0 + step, None]
        hit = (rows >= ylo) & (rows < yhi)
        ri, ei = np.nonzero(hit)
        if ri.size == 0:
            continue
        yy = rows[ri, 0]
        t = (yy - y0[ei]) / (y1[ei] - y0[ei])
        xc = x0[ei] + t * (x1[ei] - x0[ei])
        col = np.clip(np.floor(xc + 0.5).astype(np.int64), 0, nw)
        np.add.at(winding, (ri + r0, col), direction[ei])
    inside = np.cumsum(winding, axis=1)[:, :nw] != 0
    return inside.reshape(height, ss, width, ss).mean(axis=(1, 3), dtype=np.float32)


# ==========================================================================
# Drawing: crops, bands, badges
# ==========================================================================
def _hex(c: str):
    c = c.lstrip("#")
    return tuple(int(c[i:i + 2], 16) for i in (0, 2, 4))


def _lum(rgb) -> float:
    def ch(v):
        v = v / 255.0
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
    r, g, b = rgb
    return 0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b)


def _contrast(a, b) -> float:
    la, lb = _lum(a), _lum(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


class Fonts:
    """Headline (bold) and subline (regular) fonts; sizes cached."""

    def __init__(self, bold: Path | None, regular: Path | None):
        self.bold, self.regular = bold, regular
        self._cache = {}

    def get(self, bold: bool, size: int):
        key = (bold, size)
        if key not in self._cache:
            path = self.bold if bold else self.regular
            if path is not None:
                self._cache[key] = ImageFont.truetype(str(path), size)
            else:  # --tiny without DejaVu: Pillow's built-in font
                try:
                    self._cache[key] = ImageFont.load_default(size=size)
                except TypeError:  # Pillow < 10.1
                    self._cache[key] = ImageFont.load_default()
        return self._cache[key]


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


def random_crop(photo: Image.Image, size, rng: random.Random) -> Image.Image:
    """A random crop with the poster's aspect ratio, resized to `size`."""
    w, h = size
    sw, sh = photo.size
    aspect = w / h
    cw_max = min(sw, sh * aspect)
    # Keep at least ~70 % of the output resolution where the photo allows it.
    lo = min(1.0, max(0.45, 0.7 * w / cw_max))
    cw = cw_max * rng.uniform(lo, 1.0)
    ch = min(sh, cw / aspect)
    x0 = min(max(0.0, rng.uniform(0, sw - cw)), sw - cw)
    y0 = min(max(0.0, rng.uniform(0, sh - ch)), sh - ch)
    img = photo.resize((w, h), _LANCZOS, box=(x0, y0, x0 + cw, y0 + ch))
    if rng.random() < 0.5:
        img = img.transpose(_FLIP_LR)
    img = ImageEnhance.Brightness(img).enhance(rng.uniform(0.9, 1.1))
    img = ImageEnhance.Contrast(img).enhance(rng.uniform(0.9, 1.1))
    img = ImageEnhance.Color(img).enhance(rng.uniform(0.85, 1.15))
    return img


def _fit_font(draw, fonts: Fonts, text: str, bold: bool, max_w: float, max_h: float):
    size = max(6, int(max_h))
    while size > 6:
        f = fonts.get(bold, size)
        l, t, r, b = draw.textbbox((0, 0), text, font=f)
        if r - l <= max_w and b - t <= max_h:
            return f
        size -= 1
    return fonts.get(bold, 6)


@dataclass
class Band:
    top: bool
    y0: int
    y1: int


def draw_band(img: Image.Image, rng: random.Random, fonts: Fonts) -> Band:
    """Headline band: a coloured bar with a headline (and maybe a subline), top or bottom."""
    w, h = img.size
    top = rng.random() < 0.5
    frac = rng.uniform(0.13, 0.22) if h >= w else rng.uniform(0.16, 0.26)
    bh = max(8, int(round(h * frac)))
    y0, y1 = (0, bh) if top else (h - bh, h)
    colour = _hex(rng.choice(BAND_COLOURS))
    alpha = int(255 * rng.uniform(0.85, 1.0))
    headline = f"{rng.choice(HEADLINE_A)} {rng.choice(HEADLINE_B)}"
    subline = rng.choice(SUBLINES) if rng.random() < 0.6 else None
    accent = _hex(rng.choice(BAND_COLOURS)) if rng.random() < 0.4 else None
    align_center = rng.random() < 0.5

    overlay = Image.new("RGBA", img.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(overlay)
    d.rectangle([0, y0, w - 1, y1 - 1], fill=colour + (alpha,))
    if accent is not None and accent != colour:
        t = max(1, bh // 14)
        ay = y1 - t if top else y0
        d.rectangle([0, ay, w - 1, ay + t - 1], fill=accent + (255,))
    base = img.convert("RGBA")
    base.alpha_composite(overlay)
    out = base.convert("RGB")
    img.paste(out)

    text_rgb = (255, 255, 255) if _contrast((255, 255, 255), colour) >= _contrast((17, 17, 17), colour) else (17, 17, 17)
    draw = ImageDraw.Draw(img)
    pad_x = max(2, int(w * 0.05))
    inner_h = bh * 0.8
    if subline:
        f1 = _fit_font(draw, fonts, headline, True, w - 2 * pad_x, inner_h * 0.55)
        f2 = _fit_font(draw, fonts, subline, False, w - 2 * pad_x, inner_h * 0.3)
        lines = [(headline, f1), (subline, f2)]
    else:
        lines = [(headline, _fit_font(draw, fonts, headline, True, w - 2 * pad_x, inner_h * 0.7))]
    boxes = [draw.textbbox((0, 0), t, font=f) for t, f in lines]
    gap = max(1, int(bh * 0.06))
    total = sum(b[3] - b[1] for b in boxes) + gap * (len(lines) - 1)
    ty = y0 + (bh - total) / 2.0
    for (text, f), (l, t, r, b) in zip(lines, boxes):
        tw = r - l
        tx = (w - tw) / 2.0 if align_center else pad_x
        draw.text((tx - l, ty - t), text, font=f, fill=text_rgb)
        ty += (b - t) + gap
    return Band(top, y0, y1)


@dataclass
class Mark:
    name: str   # slug
    title: str
    hex: str    # "RRGGBB"
    path: str   # SVG path data, 24x24 viewBox


def make_badge(mark: Mark, size: int, rng: random.Random) -> Image.Image:
    """RGBA badge `size` px wide: a rounded square (or circle) in a colour that
    contrasts with the brand colour, the mark in brand colour inside.  Wide marks
    (word marks) get a shorter, wide badge so that they stay legible."""
    brand = _hex(mark.hex)
    light = rng.choice([(255, 255, 255), (248, 245, 238)])
    dark = rng.choice([(17, 17, 17), (30, 42, 56)])
    bg = light if _contrast(brand, light) >= _contrast(brand, dark) else dark
    bx0, by0, bx1, by1 = path_bbox(mark.path)
    aspect = (bx1 - bx0) / max(1e-6, by1 - by0)
    round_shape = aspect <= 1.25 and rng.random() < 0.2
    radius_frac = 0.5 if round_shape else rng.uniform(0.12, 0.32)
    pad = size * (rng.uniform(0.20, 0.25) if round_shape else rng.uniform(0.13, 0.2))
    inner_w = max(2, int(round(size - 2 * pad)))
    if aspect > 1.25:
        inner_h = max(2, int(round(inner_w / aspect)))
        bh = max(int(round(size * 0.42)), int(round(inner_h + 2 * pad * 0.8)))
        bh = min(bh, size)
    else:
        inner_h, bh = inner_w, size
    ss = 4
    m = Image.new("L", (size * ss, bh * ss), 0)
    ImageDraw.Draw(m).rounded_rectangle([0, 0, size * ss - 1, bh * ss - 1],
                                        radius=int(min(size, bh) * ss * radius_frac), fill=255)
    shape = m.resize((size, bh), _BOX)
    cov = rasterize_path(mark.path, inner_w, inner_h, viewbox=(bx0, by0, bx1 - bx0, by1 - by0))
    mark_a = Image.fromarray(np.clip(cov * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")
    badge = Image.new("RGBA", (size, bh), bg + (0,))
    badge.putalpha(shape)
    fg = Image.new("RGBA", (inner_w, inner_h), brand + (255,))
    fg.putalpha(mark_a)
    badge.alpha_composite(fg, ((size - inner_w) // 2, (bh - inner_h) // 2))
    return badge


def draw_badge(img: Image.Image, mark: Mark, rng: random.Random, band: Band | None,
               size_range=(0.10, 0.25)):
    """Paste a brand badge (10-25 % of the width) in a corner, clear of the band.

    Returns the badge's box, (x, y, width, height) in pixels: where the logo is."""
    w, h = img.size
    size = max(6, int(round(w * rng.uniform(*size_range))))
    corner = rng.choice(["tl", "tr", "bl", "br"])
    margin = max(1, int(round(w * rng.uniform(0.03, 0.06))))
    badge = make_badge(mark, size, rng)
    bh = badge.size[1]
    x = margin if corner[1] == "l" else w - size - margin
    if corner[0] == "t":
        y = margin + (band.y1 if band is not None and band.top else 0)
    else:
        y = h - bh - margin - ((band.y1 - band.y0) if band is not None and not band.top else 0)
    base = img.convert("RGBA")
    if rng.random() < 0.6:  # soft drop shadow
        sh = Image.new("RGBA", img.size, (0, 0, 0, 0))
        a = badge.getchannel("A").point(lambda v: v * 90 // 255)
        off = max(1, size // 30)
        sh.paste(Image.new("RGBA", badge.size, (0, 0, 0, 255)), (x + off, y + off), a)
        sh = sh.filter(ImageFilter.GaussianBlur(max(1, size // 25)))
        base.alpha_composite(sh)
    base.alpha_composite(badge, (x, y))
    img.paste(base.convert("RGB"))
    return x, y, size, bh


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


def load_marks(sources: Path, slugs):
    pkg = sources / "npm" / "simple-icons" / "package"
    data_file = pkg / "data" / "simple-icons.json"
    if not data_file.is_file():
        raise GenError(f"{data_file} not found; run data/fetch_sources.sh")
    data = {e["slug"]: e for e in json.loads(data_file.read_text(encoding="utf-8"))}
    marks = {}
    for slug in slugs:
        if slug not in data:
            raise GenError(f"simple-icons has no icon '{slug}' (version mismatch?)")
        svg = (pkg / "icons" / f"{slug}.svg").read_text(encoding="utf-8")
        ds = re.findall(r'<path[^>]*\sd="([^"]+)"', svg)
        if len(ds) != 1:
            raise GenError(f"{slug}.svg: expected one <path>, found {len(ds)}")
        e = data[slug]
        lic = e.get("license", {}).get("type", "") if isinstance(e.get("license"), dict) else ""
        marks[slug] = Mark(slug, e["title"], e["hex"], ds[0])
        marks[slug].icon_license = lic  # type: ignore[attr-defined]
    return marks


def split_photos(seed: int):
    """Per package, a seeded shuffle; the first ceil(n * VAL_PHOTO_FRACTION) go to val."""
    by_pkg = {}
    for p in PHOTOS:
        by_pkg.setdefault(p[0], []).append(p)
    train, val = [], []
    for pkg in sorted(by_pkg):
        items = sorted(by_pkg[pkg], key=lambda p: p[1])
        random.Random(f"{seed}:split:{pkg}").shuffle(items)
        k = max(1, int(math.ceil(len(items) * VAL_PHOTO_FRACTION)))
        val.extend(items[:k])
        train.extend(items[k:])
    return {"train": sorted(train, key=lambda p: (p[0], p[1])), "val": sorted(val, key=lambda p: (p[0], p[1]))}


def _weighted(rng: random.Random, items):
    total = sum(wt for _, wt in items)
    r = rng.uniform(0, total)
    for v, wt in items:
        r -= wt
        if r <= 0:
            return v
    return items[-1][0]


def photo_id(p) -> str:
    return f"{p[0]}:{p[1]}"


# ==========================================================================
# Writers
# ==========================================================================
def _save_jpeg(img: Image.Image, path: Path):
    img.save(path, "JPEG", quality=JPEG_QUALITY, optimize=True)


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
    """boxes.csv: each logo's badge box, for the pointing game of a class activation map."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        wr = csv.writer(fh, lineterminator="\n")
        wr.writerow(["file", "x", "y", "width", "height"])
        wr.writerows(boxes)


def _write_manifest(rows, path: Path):
    with path.open("w", newline="", encoding="utf-8") as fh:
        wr = csv.writer(fh, lineterminator="\n")
        wr.writerow(["file", "split", "class", "source", "brand", "band"])
        wr.writerows(rows)


def generate_full(sources: Path, out: Path, seed: int):
    versions = read_versions(sources)
    for name, want in EXPECTED_VERSIONS.items():
        if name not in versions:
            raise GenError(f"{name} missing from {sources / 'SOURCES.tsv'}; run data/fetch_sources.sh")
        if versions[name]["version"] != want:
            print(f"warning: {name} is {versions[name]['version']}, expected {want}; "
                  "the images will differ from the committed ones", file=sys.stderr)
    fonts = find_fonts(sources, required=True)
    font_pkg_dir = sources / "deb" / "fonts-dejavu-core" / FONT_REL
    if fonts.bold.parent != font_pkg_dir:
        print(f"note: using system font {fonts.bold} (not the cached fonts-dejavu-core)", file=sys.stderr)

    missing = [str(photo_file(sources, versions[p[0]]["kind"], p[0], p[1]))
               for p in PHOTOS if not photo_file(sources, versions[p[0]]["kind"], p[0], p[1]).is_file()]
    if missing:
        raise GenError("source photos missing (run data/fetch_sources.sh):\n  " + "\n  ".join(missing))
    assert not set(TRAIN_BRANDS) & set(VAL_BRANDS)
    marks = load_marks(sources, TRAIN_BRANDS + VAL_BRANDS)
    splits = split_photos(seed)
    assert not {photo_id(p) for p in splits["train"]} & {photo_id(p) for p in splits["val"]}

    cache = {}

    def photo(p):
        key = photo_id(p)
        if key not in cache:
            cache[key] = load_photo(photo_file(sources, versions[p[0]]["kind"], p[0], p[1]))
        return cache[key]

    rows = []
    boxes = []
    with AtomicDir(out) as tmp:
        for split in ("train", "val"):
            brands = TRAIN_BRANDS if split == "train" else VAL_BRANDS
            plist = splits[split]
            for cls in CLASSES:
                d = tmp / split / cls
                d.mkdir(parents=True)
                order = list(plist)
                random.Random(f"{seed}:{split}:{cls}:photos").shuffle(order)
                border = list(brands)
                random.Random(f"{seed}:{split}:{cls}:brands").shuffle(border)
                n = COUNTS[split]
                banded = [True] * (n // 2) + [False] * (n - n // 2)  # "others": half with a band
                random.Random(f"{seed}:{split}:{cls}:bands").shuffle(banded)
                for i in range(COUNTS[split]):
                    rng = random.Random(f"{seed}:{split}:{cls}:{i}")
                    p = order[i % len(order)]
                    size = _weighted(rng, POSTER_SIZES)
                    img = random_crop(photo(p), size, rng)
                    with_band = cls == "logo" or banded[i]
                    band = draw_band(img, rng, fonts) if with_band else None
                    brand = ""
                    name = f"{split}-{cls}-{i + 1:03d}.jpg"
                    if cls == "logo":
                        m = marks[border[i % len(border)]]
                        boxes.append([f"{split}/{cls}/{name}", *draw_badge(img, m, rng, band)])
                        brand = m.name
                    _save_jpeg(img, d / name)
                    rows.append([f"{split}/{cls}/{name}", split, cls, photo_id(p), brand,
                                 "yes" if with_band else "no"])
        _write_manifest(rows, tmp / "manifest.csv")
        _write_boxes(boxes, tmp / "boxes.csv")
        (tmp / "NOTICE.md").write_text(_notice(versions, splits, marks, seed), encoding="utf-8")
    return rows


def _notice(versions, splits, marks, seed) -> str:
    si = versions["simple-icons"]["version"]
    L = []
    L.append("# Sample data set: sources and licences\n")
    L.append("Generated by `data/generate_sample.py` "
             f"(seed {seed}) from the assets fetched by `data/fetch_sources.sh`. "
             "Every image in `train/` and `val/` is a crop of one source photo below "
             "(see the `source` column of `manifest.csv`), with a drawn headline band "
             "and, for class `logo`, a brand badge. Each image is a derivative of its "
             "source photo and is distributed under that photo's licence; the photo "
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
    for split in ("train", "val"):
        for p in splits[split]:
            L.append(f"| {split} | {p[0]} | {versions[p[0]]['version']} | `{p[1]}` | {p[2]} | {p[3]} |")
    L.append("")
    L.append("## Brand marks\n")
    L.append(f"From the npm package `simple-icons` {si} (icon data CC0-1.0, "
             "`package/icons/<slug>.svg`, colour from `package/data/simple-icons.json`), "
             "drawn in the brand colour on a contrasting badge.\n")
    L.append("**Trademarks:** the brand marks are trademarks of their respective owners. "
             "They are used here only as test data for a logo-detection model; no "
             "endorsement or affiliation is implied. Simple Icons' own disclaimer "
             "(`DISCLAIMER.md` in the package) applies.\n")
    L.append("| split | slug | title | hex | icon data licence |")
    L.append("| --- | --- | --- | --- | --- |")
    for split, slugs in (("train", TRAIN_BRANDS), ("val", VAL_BRANDS)):
        for s in slugs:
            m = marks[s]
            lic = getattr(m, "icon_license", "") or "CC0-1.0 (simple-icons)"
            L.append(f"| {split} | {s} | {m.title} | #{m.hex} | {lic} |")
    L.append("")
    L.append("## Font\n")
    L.append(f"Band text is set in DejaVu Sans / DejaVu Sans Bold from Debian's "
             f"`fonts-dejavu-core` {versions['fonts-dejavu-core']['version']} "
             "(Bitstream Vera licence, DejaVu changes public domain). The text itself is "
             "made up by the generator.\n")
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
                                 brand, "yes" if with_band else "no"])
        _write_manifest(rows, tmp / "manifest.csv")
        _write_boxes(boxes, tmp / "boxes.csv")
        (tmp / "NOTICE.md").write_text(
            "# Tiny synthetic data set\n\nMade by `data/generate_sample.py --tiny` from procedural "
            "backgrounds and generic shapes; no third-party material.\n", encoding="utf-8")
    return rows


# ---------------------------------------------------------------- contact sheet
def contact_sheet(root: Path, dest: Path, per_group: int = 8, thumb: int = 120):
    groups = [(s, c) for s in ("train", "val") for c in CLASSES]
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
    ap.add_argument("--contact-sheet", type=Path, metavar="PNG",
                    help="also write a contact sheet of the result to this PNG")
    args = ap.parse_args(argv)
    try:
        if args.tiny is not None:
            rows = generate_tiny(args.tiny, args.seed)
            root = args.tiny
        else:
            rows = generate_full(args.sources.expanduser(), args.out, args.seed)
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
