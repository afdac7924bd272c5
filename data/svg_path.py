"""SVG path data -> anti-aliased coverage mask (non-zero fill rule).

Enough of SVG's path grammar to draw simple-icons' marks without cairo or librsvg:
M/L/H/V/C/S/Q/T/A/Z, absolute and relative, flattened to polygons and filled on a
supersampled grid.
"""

from __future__ import annotations

import math
import re

import numpy as np

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
