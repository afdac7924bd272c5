"""Drawing a poster: a photo under one of several layouts, text in a given font
family, maybe stickers, buttons and decorations, and for class "logo" a brand mark
in one of several treatments.

Both classes are drawn by the same code with the same probabilities for everything
but the mark, so that nothing else tells them apart: layouts, fonts, stickers
("NEW", "-30 %"), buttons ("BOOK NOW"), decorations, sizes and JPEG quality are
shared.  `draw_poster` returns the image and, for a logo, the mark's box.
"""

from __future__ import annotations

import colorsys
import math
import random
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

from svg_path import path_bbox, rasterize_path

_LANCZOS = getattr(Image, "Resampling", Image).LANCZOS
_BOX = getattr(Image, "Resampling", Image).BOX
_FLIP_LR = getattr(Image, "Transpose", Image).FLIP_LEFT_RIGHT

HEADLINE_A = ["SUMMER", "WINTER", "SPRING", "AUTUMN", "CITY", "GRAND", "FRESH", "OPEN",
              "BIG", "LIVE", "WEEKEND", "NIGHT", "HARBOUR", "FAMILY", "GARDEN", "STREET",
              "Jazz", "Food", "Book", "Wine", "Craft", "Film", "Art", "Flower", "Vintage",
              "Late", "Morning", "Island", "Village", "Riverside"]
HEADLINE_B = ["SALE", "FESTIVAL", "MARKET", "CONCERT", "OPENING", "DEALS", "TOUR", "FAIR",
              "EXPO", "RUN", "SHOW", "MEETUP", "CINEMA", "PARADE", "CLEARANCE", "FEAST",
              "Nights", "Week", "Days", "Club", "Walk", "Party", "Session", "Gala", "Camp"]
SUBLINES = ["Saturday 14 June  10:00-18:00", "Only this weekend", "Tickets at the door",
            "Free entry for kids", "From 9 May", "Up to 50 % off", "Main square, 8 pm",
            "Limited places", "Doors open 7 pm", "Every Sunday", "Book now", "All week long",
            "www.cityfair.example", "#weekendmarket", "Call 0123 456 789", "3-5 October",
            "Live music - food - games", "Register online", "Season 2026", "Town hall, room 2"]
BUTTONS = ["BOOK NOW", "Join us", "TICKETS", "Learn more", "FREE", "Sign up"]
STICKER_TEXTS = ["NEW", "-30%", "SALE", "FREE", "HOT", "2 FOR 1", "TODAY", "-50%", "9.99",
                 "TOP", "WOW", "LAST DAYS", "OPEN", "50% OFF"]
BAND_COLOURS = ["#14213D", "#B5179E", "#D62828", "#F77F00", "#FCBF49", "#2A9D8F", "#264653",
                "#111111", "#FFFFFF", "#F1FAEE", "#6A4C93", "#1D3557", "#E76F51", "#588157",
                "#3A86FF", "#8D0801"]

# Poster aspect ratios (width / height) with weights: mostly portrait.
ASPECTS = [(2 / 3, 3), (3 / 4, 3), (1 / math.sqrt(2), 4), (4 / 5, 2), (1.0, 2), (4 / 3, 2),
           (3 / 2, 1), (16 / 9, 1)]
LONG_SIDE = (360, 480)
JPEG_QUALITY = (70, 92)

# Layouts: how photo and text share the poster.  Which layouts each split uses is
# decided by the caller (generate_sample.py keeps them split-disjoint).
LAYOUTS = ("band", "overlay", "framed", "panel", "stack")
PHOTO_ONLY_SHARE = 0.2          # posters that are only a photo, in every split and class
LOGO_STYLES = (("badge", 4), ("bare", 3), ("lockup", 3))
STICKER_SHARE = 0.4             # posters with a sticker or button, either class
DECORATION_SHARE = 0.3          # posters with dots, rings or lines, either class
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
# Posters: layouts, marks, stickers
# ==========================================================================
Rect = tuple  # (x0, y0, x1, y1), pixels, exclusive


@dataclass
class Poster:
    img: Image.Image
    layout: str
    taken: list = field(default_factory=list)   # text a mark or sticker must not cover


def weighted(rng: random.Random, items):
    total = sum(wt for _, wt in items)
    r = rng.uniform(0, total)
    for v, wt in items:
        r -= wt
        if r <= 0:
            return v
    return items[-1][0]


def poster_size(rng: random.Random):
    aspect = weighted(rng, ASPECTS)
    long_side = rng.randint(*LONG_SIDE)
    if aspect <= 1:
        return max(16, round(long_side * aspect)), long_side
    return long_side, max(16, round(long_side / aspect))


def random_colour(rng: random.Random):
    if rng.random() < 0.5:
        return _hex(rng.choice(BAND_COLOURS))
    r, g, b = colorsys.hsv_to_rgb(rng.random(), rng.uniform(0.15, 0.9), rng.uniform(0.12, 0.97))
    return (round(r * 255), round(g * 255), round(b * 255))


def text_colour_on(bg):
    white, black = (255, 255, 255), (17, 17, 17)
    return white if _contrast(white, bg) >= _contrast(black, bg) else black


def _background(size, rng: random.Random) -> Image.Image:
    """A solid colour or a two-colour linear gradient."""
    w, h = size
    c0 = random_colour(rng)
    if rng.random() < 0.5:
        return Image.new("RGB", size, c0)
    c1 = random_colour(rng)
    t = np.linspace(0, 1, h if rng.random() < 0.7 else w, dtype=np.float32)
    ramp = (1 - t)[:, None] * np.array(c0, np.float32) + t[:, None] * np.array(c1, np.float32)
    arr = ramp[:, None, :].repeat(w, 1) if len(t) == h else ramp[None, :, :].repeat(h, 0)
    return Image.fromarray(arr.clip(0, 255).astype(np.uint8), "RGB")


def _mean_colour(img: Image.Image, rect) -> tuple:
    x0, y0, x1, y1 = (int(v) for v in rect)
    x1, y1 = max(x1, x0 + 1), max(y1, y0 + 1)
    arr = np.asarray(img.crop((x0, y0, x1, y1)), dtype=np.float32).reshape(-1, 3)
    return tuple(int(v) for v in arr.mean(axis=0))


def headline_lines(rng: random.Random):
    a, b = rng.choice(HEADLINE_A), rng.choice(HEADLINE_B)
    if a.isupper() != b.isupper():
        a, b = (a.upper(), b.upper()) if rng.random() < 0.5 else (a.title(), b.title())
    return [f"{a} {b}"] if rng.random() < 0.5 else [a, b]


def draw_text_block(img: Image.Image, fonts: Fonts, rng: random.Random, box, colour,
                    align: str = "left", lines=None, sublines: int | None = None) -> Rect:
    """Headline lines (bold) and sublines (regular) fitted into `box`; returns the
    rectangle the text covers."""
    x0, y0, x1, y1 = box
    bw, bh = x1 - x0, y1 - y0
    lines = lines or headline_lines(rng)
    subs = [rng.choice(SUBLINES) for _ in range(rng.choice([0, 1, 1, 2]) if sublines is None else sublines)]
    draw = ImageDraw.Draw(img)
    weights = [1.0] * len(lines) + [0.45] * len(subs)
    unit = bh * 0.85 / sum(weights)
    placed = []
    for text, bold, wt in [(t, True, 1.0) for t in lines] + [(t, False, 0.45) for t in subs]:
        f = _fit_font(draw, fonts, text, bold, bw, unit * wt)
        placed.append((text, f, draw.textbbox((0, 0), text, font=f)))
    gap = max(1, int(unit * 0.12))
    total = sum(b[3] - b[1] for _, _, b in placed) + gap * (len(placed) - 1)
    ty = y0 + (bh - total) / 2.0
    covered = [x1, ty, x0, ty + total]
    for text, f, (l, t, r, b) in placed:
        tw = r - l
        tx = {"left": x0, "center": x0 + (bw - tw) / 2.0, "right": x1 - tw}[align]
        draw.text((tx - l, ty - t), text, font=f, fill=colour)
        covered[0], covered[2] = min(covered[0], tx), max(covered[2], tx + tw)
        ty += (b - t) + gap
    return tuple(int(round(v)) for v in covered)


def _layout_band(photo, size, rng, fonts) -> Poster:
    img = random_crop(photo, size, rng)
    band = draw_band(img, rng, fonts)
    return Poster(img, "band", [(0, band.y0, size[0], band.y1)])


def _layout_overlay(photo, size, rng, fonts) -> Poster:
    """Text straight on the photo, over a darkening scrim or not."""
    img = random_crop(photo, size, rng)
    w, h = size
    bh = int(h * rng.uniform(0.2, 0.34))
    where = rng.choice(["top", "middle", "bottom"])
    y0 = {"top": int(h * 0.04), "middle": (h - bh) // 2, "bottom": h - bh - int(h * 0.04)}[where]
    box = (int(w * 0.07), y0, int(w * 0.93), y0 + bh)
    if rng.random() < 0.6:
        scrim = Image.new("L", size, 0)
        ImageDraw.Draw(scrim).rectangle([0, max(0, y0 - bh // 3), w, min(h, y0 + bh + bh // 3)],
                                        fill=rng.randint(90, 170))
        scrim = scrim.filter(ImageFilter.GaussianBlur(bh / 4))
        img.paste(Image.new("RGB", size, (0, 0, 0)), (0, 0), scrim)
    colour = text_colour_on(_mean_colour(img, box))
    if rng.random() < 0.5:  # a soft shadow under the letters
        shadow = Image.new("RGB", size, (0, 0, 0))
        mask = Image.new("L", size, 0)
        draw_text_block(mask, fonts, random.Random(rng.random()), box, 255)
        img.paste(shadow, (1, 1), mask.filter(ImageFilter.GaussianBlur(2)).point(lambda v: v // 2))
    covered = draw_text_block(img, fonts, rng, box, colour, rng.choice(["left", "center"]))
    return Poster(img, "overlay", [covered])


def _layout_framed(photo, size, rng, fonts) -> Poster:
    """A photo inset on a coloured background, text in the margin below or above."""
    w, h = size
    img = _background(size, rng)
    m = int(min(w, h) * rng.uniform(0.05, 0.1))
    text_h = int(h * rng.uniform(0.22, 0.32))
    top_text = rng.random() < 0.35
    py0 = m + (text_h if top_text else 0)
    py1 = h - m - (0 if top_text else text_h)
    pw, ph = w - 2 * m, max(8, py1 - py0)
    img.paste(random_crop(photo, (pw, ph), rng), (m, py0))
    ty0 = m if top_text else py1 + m // 2
    box = (m, ty0, w - m, ty0 + text_h - m // 2)
    covered = draw_text_block(img, fonts, rng, box, text_colour_on(_mean_colour(img, box)),
                              rng.choice(["left", "center"]))
    return Poster(img, "framed", [covered])


def _layout_panel(photo, size, rng, fonts) -> Poster:
    """Photo on one side, a solid panel with text and a button on the other."""
    w, h = size
    img = Image.new("RGB", size)
    colour = random_colour(rng)
    share = rng.uniform(0.45, 0.62)
    if h >= w:
        ph = int(h * share)
        photo_top = rng.random() < 0.6
        py = 0 if photo_top else h - ph
        img.paste(random_crop(photo, (w, ph), rng), (0, py))
        panel = (0, ph, w, h) if photo_top else (0, 0, w, h - ph)
    else:
        pw = int(w * share)
        photo_left = rng.random() < 0.6
        px = 0 if photo_left else w - pw
        img.paste(random_crop(photo, (pw, h), rng), (px, 0))
        panel = (pw, 0, w, h) if photo_left else (0, 0, w - pw, h)
    ImageDraw.Draw(img).rectangle([panel[0], panel[1], panel[2] - 1, panel[3] - 1], fill=colour)
    px0, py0, px1, py1 = panel
    pad = int(min(px1 - px0, py1 - py0) * 0.1)
    fg = text_colour_on(colour)
    text_box = (px0 + pad, py0 + pad, px1 - pad, py0 + pad + int((py1 - py0 - 2 * pad) * 0.7))
    taken = [draw_text_block(img, fonts, rng, text_box, fg, rng.choice(["left", "center"]))]
    if rng.random() < 0.6:
        bw, bh = int((px1 - px0) * 0.45), max(10, int((py1 - py0) * 0.14))
        bx, by = px0 + pad, py1 - pad - bh
        d = ImageDraw.Draw(img)
        d.rounded_rectangle([bx, by, bx + bw, by + bh], radius=bh // 2, fill=fg)
        draw_text_block(img, fonts, rng, (bx + bh // 3, by + bh // 8, bx + bw - bh // 3, by + bh - bh // 8),
                        colour, "center", lines=[rng.choice(BUTTONS)], sublines=0)
        taken.append((bx, by, bx + bw, by + bh))
    return Poster(img, "panel", taken)


def _layout_stack(photo, size, rng, fonts) -> Poster:
    """Typographic: big stacked headline on a coloured background, a smaller photo inset."""
    w, h = size
    img = _background(size, rng)
    pad = int(min(w, h) * 0.07)
    fg = text_colour_on(_mean_colour(img, (0, 0, w, h)))
    words = headline_lines(rng) + ([rng.choice(HEADLINE_B)] if rng.random() < 0.4 else [])
    text_top = rng.random() < 0.5
    th = int(h * rng.uniform(0.38, 0.5))
    ty = pad if text_top else h - pad - th
    covered = draw_text_block(img, fonts, rng, (pad, ty, w - pad, ty + th), fg,
                              rng.choice(["left", "center", "right"]), lines=words)
    # the photo fills part of what is left, as a rectangle or a circle
    free_y0, free_y1 = (ty + th + pad // 2, h - pad) if text_top else (pad, ty - pad // 2)
    side = max(8, min(free_y1 - free_y0, int(w * rng.uniform(0.45, 0.8))))
    px = rng.randint(pad, max(pad, w - pad - side))
    crop = random_crop(photo, (side, side) if rng.random() < 0.5 else (w - 2 * pad, side), rng)
    mask = Image.new("L", crop.size, 255)
    if crop.size[0] == crop.size[1] and rng.random() < 0.6:
        mask = Image.new("L", crop.size, 0)
        ImageDraw.Draw(mask).ellipse([0, 0, crop.size[0] - 1, crop.size[1] - 1], fill=255)
        img.paste(crop, (px, free_y0), mask)
    else:
        img.paste(crop, (pad if crop.size[0] != side else px, free_y0))
    return Poster(img, "stack", [covered])


_LAYOUT_DRAW = {"band": _layout_band, "overlay": _layout_overlay, "framed": _layout_framed,
                "panel": _layout_panel, "stack": _layout_stack}


def _overlap(a, b) -> int:
    return max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))


def place(size, item, taken, rng: random.Random):
    """Where an item of size `item` goes: a corner or an edge's middle most of the
    time, anywhere otherwise; the candidate covering the least of `taken` wins."""
    w, h = size
    iw, ih = item
    m = max(1, int(min(w, h) * rng.uniform(0.03, 0.06)))
    best = None
    for _ in range(24):
        if rng.random() < 0.7:
            fx, fy = rng.choice([(0, 0), (1, 0), (0, 1), (1, 1), (0.5, 0), (0.5, 1), (0, 0.5), (1, 0.5)])
            x, y = m + fx * (w - iw - 2 * m), m + fy * (h - ih - 2 * m)
        else:
            x, y = rng.uniform(m, max(m, w - iw - m)), rng.uniform(m, max(m, h - ih - m))
        x, y = int(max(0, min(x, w - iw))), int(max(0, min(y, h - ih)))
        cost = sum(_overlap((x, y, x + iw, y + ih), t) for t in taken)
        if best is None or cost < best[0]:
            best = (cost, x, y)
        if cost == 0:
            break
    return best[1], best[2]


def _mark_layer(mark: Mark, width: int, height: int, colour) -> Image.Image:
    bx0, by0, bx1, by1 = path_bbox(mark.path)
    cov = rasterize_path(mark.path, width, height, viewbox=(bx0, by0, bx1 - bx0, by1 - by0))
    layer = Image.new("RGBA", (width, height), tuple(colour) + (255,))
    layer.putalpha(Image.fromarray(np.clip(cov * 255.0 + 0.5, 0, 255).astype(np.uint8), "L"))
    return layer


def _mark_colour(mark: Mark, bg, rng: random.Random):
    """The brand colour where it reads on `bg`, else white or black."""
    brand = _hex(mark.hex)
    if _contrast(brand, bg) >= 2.2 and rng.random() < 0.8:
        return brand
    return text_colour_on(bg)


def _paste_with_shadow(img: Image.Image, layer: Image.Image, xy, rng: random.Random, p: float):
    base = img.convert("RGBA")
    if rng.random() < p:
        sh = Image.new("RGBA", img.size, (0, 0, 0, 0))
        a = layer.getchannel("A").point(lambda v: v * 90 // 255)
        off = max(1, layer.size[0] // 30)
        sh.paste(Image.new("RGBA", layer.size, (0, 0, 0, 255)), (xy[0] + off, xy[1] + off), a)
        base.alpha_composite(sh.filter(ImageFilter.GaussianBlur(max(1, layer.size[0] // 25))))
    base.alpha_composite(layer, xy)
    img.paste(base.convert("RGB"))


def _busyness(img: Image.Image, rect) -> float:
    """Standard deviation of the luminance under `rect`: how much a bare mark would have to fight."""
    x0, y0, x1, y1 = (int(v) for v in rect)
    grey = np.asarray(img.crop((x0, y0, max(x1, x0 + 1), max(y1, y0 + 1))).convert("L"), dtype=np.float32)
    return float(grey.std())


def _halo(layer: Image.Image, colour, radius: int) -> Image.Image:
    """The layer's shape grown and blurred, in `colour`: keeps a mark legible on a busy photo."""
    grown = layer.getchannel("A").filter(ImageFilter.MaxFilter(2 * radius + 1)).filter(ImageFilter.GaussianBlur(radius))
    halo = Image.new("RGBA", layer.size, tuple(colour) + (0,))
    halo.putalpha(grown.point(lambda v: min(255, v * 2)))
    halo.alpha_composite(layer)
    return halo


def draw_logo(poster: Poster, mark: Mark, style: str, fonts: Fonts, rng: random.Random):
    """The brand mark in one of LOGO_STYLES, legible as a designer would make it (large enough,
    in a colour that reads on what is under it, on the calmest of a few spots, with a halo where
    even that is busy); returns its box (x, y, width, height)."""
    img = poster.img
    w, h = img.size
    short = min(w, h)
    if style == "badge":
        layer = make_badge(mark, max(int(short * 0.1), int(w * rng.uniform(0.12, 0.28))), rng)
        x, y = place((w, h), layer.size, poster.taken, rng)
        _paste_with_shadow(img, layer, (x, y), rng, 0.6)
        poster.taken.append((x, y, x + layer.size[0], y + layer.size[1]))
        return x, y, layer.size[0], layer.size[1]
    bx0, by0, bx1, by1 = path_bbox(mark.path)
    aspect = (bx1 - bx0) / max(1e-6, by1 - by0)
    if aspect > 1.6:  # a word mark: sized by its width
        mh = max(14, int(short * 0.04), int(w * rng.uniform(0.2, 0.38) / aspect))
    else:
        mh = max(18, int(short * 0.07), int(w * rng.uniform(0.1, 0.24)))
    mw = max(4, int(round(mh * aspect)))
    if style == "lockup":
        f = fonts.get(True, max(10, int(mh * rng.uniform(0.5, 0.75))))
        probe = ImageDraw.Draw(img)
        l, t, r, b = probe.textbbox((0, 0), mark.title, font=f)
        while mw + r - l > w * 0.62 and f.size > 10:
            f = fonts.get(True, f.size - 1)
            l, t, r, b = probe.textbbox((0, 0), mark.title, font=f)
        gap = max(2, mh // 4)
        lw, lh = mw + gap + (r - l), max(mh, b - t)
    else:
        lw, lh = mw, mh
    lw, lh = min(lw, w), min(lh, h)
    spots = [place((w, h), (lw, lh), poster.taken, rng) for _ in range(6)]
    x, y = min(spots, key=lambda spot: _busyness(img, (spot[0], spot[1], spot[0] + lw, spot[1] + lh)))
    under = (x, y, x + lw, y + lh)
    colour = _mark_colour(mark, _mean_colour(img, under), rng)
    layer = Image.new("RGBA", (lw, lh), (0, 0, 0, 0))
    layer.alpha_composite(_mark_layer(mark, min(mw, lw), mh, colour), (0, (lh - mh) // 2))
    if style == "lockup":
        ImageDraw.Draw(layer).text((mw + gap - l, (lh - (b - t)) // 2 - t), mark.title, font=f,
                                   fill=tuple(colour) + (255,))
    if _busyness(img, under) > 40:
        pad = max(2, mh // 6)
        padded = Image.new("RGBA", (lw + 2 * pad, lh + 2 * pad), (0, 0, 0, 0))
        padded.alpha_composite(layer, (pad, pad))
        layer = _halo(padded, text_colour_on(colour), pad)
        x, y = max(0, min(x - pad, w - layer.size[0])), max(0, min(y - pad, h - layer.size[1]))
    _paste_with_shadow(img, layer, (x, y), rng, 0.3)
    lw, lh = min(layer.size[0], w - x), min(layer.size[1], h - y)
    poster.taken.append((x, y, x + lw, y + lh))
    return x, y, lw, lh


def _star(cx, cy, r_out, r_in, points, turn):
    pts = []
    for k in range(points * 2):
        r = r_out if k % 2 == 0 else r_in
        a = turn + math.pi * k / points
        pts.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    return pts


def draw_sticker(poster: Poster, fonts: Fonts, rng: random.Random):
    """A sale sticker (a circle, burst or tag with a short text) or a call-to-action button (a
    pill with "BOOK NOW"…): shapes with text that a mark's badge resembles, but no mark."""
    img = poster.img
    w, h = img.size
    shape = rng.choice(["circle", "burst", "tag", "button"])
    if shape == "button":
        s = max(24, int(w * rng.uniform(0.28, 0.5)))
        sh = max(12, int(s * rng.uniform(0.2, 0.3)))
    else:
        s = max(16, int(w * rng.uniform(0.13, 0.26)))
        sh = s if shape != "tag" else max(10, int(s * rng.uniform(0.4, 0.6)))
    colour = random_colour(rng)
    ss = 4
    layer = Image.new("RGBA", (s * ss, sh * ss), (0, 0, 0, 0))
    d = ImageDraw.Draw(layer)
    if shape == "circle":
        d.ellipse([0, 0, s * ss - 1, sh * ss - 1], fill=colour + (255,))
    elif shape == "burst":
        c = s * ss / 2
        d.polygon(_star(c, c, c - 1, c * 0.82, rng.randint(10, 18), rng.random()), fill=colour + (255,))
    else:
        radius = sh * ss // 2 if shape == "button" else sh * ss // 4
        d.rounded_rectangle([0, 0, s * ss - 1, sh * ss - 1], radius=radius, fill=colour + (255,))
    layer = layer.resize((s, sh), _BOX)
    text = rng.choice(BUTTONS if shape == "button" else STICKER_TEXTS)
    inset = {"tag": 0.12, "button": 0.18}.get(shape, 0.22)
    draw_text_block(layer, fonts, rng, (int(s * inset * sh / s if shape == "button" else s * inset), int(sh * inset),
                                        int(s - (sh * inset if shape == "button" else s * inset)), int(sh * (1 - inset))),
                    text_colour_on(colour) + (255,), "center", lines=[text], sublines=0)
    if shape != "button" and rng.random() < 0.4:
        layer = layer.rotate(rng.uniform(-18, 18), resample=Image.BICUBIC, expand=True)
    x, y = place((w, h), layer.size, poster.taken, rng)
    _paste_with_shadow(img, layer, (x, y), rng, 0.4)
    poster.taken.append((x, y, x + layer.size[0], y + layer.size[1]))


def draw_decorations(poster: Poster, rng: random.Random):
    """Dots, rings or lines in one colour, half transparent: ornament, not information."""
    img = poster.img
    w, h = img.size
    overlay = Image.new("RGBA", img.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(overlay)
    colour = random_colour(rng) + (rng.randint(120, 230),)
    kind = rng.choice(["dots", "rings", "lines"])
    for _ in range(rng.randint(3, 9)):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        r = rng.uniform(0.01, 0.05) * w
        if kind == "dots":
            d.ellipse([x - r, y - r, x + r, y + r], fill=colour)
        elif kind == "rings":
            d.ellipse([x - 2 * r, y - 2 * r, x + 2 * r, y + 2 * r], outline=colour, width=max(1, int(r / 3)))
        else:
            a = rng.uniform(0, math.pi)
            d.line([x, y, x + 6 * r * math.cos(a), y + 6 * r * math.sin(a)], fill=colour, width=max(1, int(r / 2)))
    base = img.convert("RGBA")
    base.alpha_composite(overlay)
    img.paste(base.convert("RGB"))


@dataclass
class Drawn:
    img: Image.Image
    layout: str
    logo_style: str       # "" for others
    box: tuple | None     # the mark's (x, y, width, height)
    extras: str           # "sticker", "decoration", both joined by "+", or ""
    quality: int


def draw_poster(photo: Image.Image, layout: str, fonts: Fonts, rng: random.Random, mark: Mark | None = None,
                sticker: bool = False, decoration: bool = False) -> Drawn:
    """One poster from a source photo: `layout` (one of LAYOUTS, or "photo" for the photo
    alone), decorations and a sticker if asked, and the mark if given."""
    size = poster_size(rng)
    if layout == "photo":
        poster = Poster(random_crop(photo, size, rng), "photo")
    else:
        poster = _LAYOUT_DRAW[layout](photo, size, rng, fonts)
    extras = []
    if decoration:
        draw_decorations(poster, rng)
        extras.append("decoration")
    style, box = "", None
    if mark is not None:
        style = weighted(rng, LOGO_STYLES)
        box = draw_logo(poster, mark, style, fonts, rng)
    if sticker:
        draw_sticker(poster, fonts, rng)
        extras.append("sticker")
    img = poster.img
    if rng.random() < 0.15:
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.9)))
    return Drawn(img, poster.layout, style, box, "+".join(extras), rng.randint(*JPEG_QUALITY))


def plan(n: int, layouts, rng: random.Random):
    """Layout, sticker and decoration for n posters, in the same proportions whatever the class:
    the caller seeds it by split, so that both classes of a split get the same looks."""
    photo_only = round(n * PHOTO_ONLY_SHARE)
    chosen = ["photo"] * photo_only + [layouts[i % len(layouts)] for i in range(n - photo_only)]
    stickers = [i < round(n * STICKER_SHARE) for i in range(n)]
    decorations = [i < round(n * DECORATION_SHARE) for i in range(n)]
    for column in (chosen, stickers, decorations):
        rng.shuffle(column)
    return list(zip(chosen, stickers, decorations))
