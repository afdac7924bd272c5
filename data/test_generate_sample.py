"""Tests for data/generate_sample.py (standard library unittest; needs Pillow + numpy).

    python3 -m unittest discover -s data -p 'test_*.py' -v
"""

import csv
import hashlib
import math
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate_sample as g  # noqa: E402
from PIL import Image  # noqa: E402


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


class PathRasterizer(unittest.TestCase):
    def test_ring_has_a_hole_under_nonzero_rule(self):
        d, _ = g.TINY_MARKS["ring"]
        cov = g.rasterize_path(d, 96)
        self.assertEqual(cov.shape, (96, 96))
        self.assertLess(cov[48, 48], 0.01)          # centre: inner circle winds the other way
        self.assertGreater(cov[48, 4 * 2], 0.99)    # on the ring (x = 2 units)
        self.assertLess(cov[0, 0], 0.01)            # outside
        expected = math.pi * (11 ** 2 - 6 ** 2) / 24 ** 2
        self.assertAlmostEqual(float(cov.mean()), expected, delta=0.01)

    def test_compact_arc_flags_and_numbers(self):
        # svgo-style data: flags without separators, "1.5.5" = 1.5 0.5, implicit lineto
        polys = g.parse_path("M2 2a1 1 0 011 1l1.5.5 1-1-1-1zM10 10h4v4h-4z", 4.0)
        self.assertEqual(len(polys), 2)
        self.assertEqual(polys[1][:2], [(10.0, 10.0), (14.0, 10.0)])

    def test_square_fills_exactly(self):
        cov = g.rasterize_path("M0 0h12v12H0z", 24)
        self.assertAlmostEqual(float(cov[:12, :12].mean()), 1.0, places=5)
        self.assertAlmostEqual(float(cov[12:, :].mean()), 0.0, places=5)


def _check_boxes(test, root: Path, rows):
    """boxes.csv has one box per logo image, inside it, of a mark's size (3-80 % of the width: a lock-up holds the name too)."""
    boxes = list(csv.DictReader((root / "boxes.csv").read_text().splitlines()))
    test.assertEqual([b["file"] for b in boxes], [r["file"] for r in rows if r["class"] == "logo"])
    for b in boxes:
        x, y, w, h = (int(b[k]) for k in ("x", "y", "width", "height"))
        with Image.open(root / b["file"]) as im:
            width, height = im.size
        test.assertTrue(0 <= x and x + w <= width and 0 <= y and y + h <= height, b)
        test.assertTrue(0.03 * width <= w <= 0.8 * width and h >= 8, b)


class TinyDataSet(unittest.TestCase):
    def test_tiny_layout_counts_size_and_determinism(self):
        with tempfile.TemporaryDirectory() as t:
            a, b = Path(t) / "a", Path(t) / "b"
            g.main(["--tiny", str(a)])
            g.main(["--tiny", str(b)])
            for split, n in g.TINY_COUNTS.items():
                for cls in g.CLASSES:
                    files = sorted((a / split / cls).glob("*.jpg"))
                    self.assertEqual(len(files), n, f"{split}/{cls}")
                    for f in files:
                        with Image.open(f) as im:
                            self.assertEqual(im.size, g.TINY_SIZE)
                            self.assertEqual(im.mode, "RGB")
            rows = list(csv.DictReader((a / "manifest.csv").read_text().splitlines()))
            self.assertEqual(len(rows), 2 * sum(g.TINY_COUNTS.values()))
            for r in rows:
                self.assertTrue((a / r["file"]).is_file())
                self.assertEqual(bool(r["brand"]), r["class"] == "logo")
            self.assertEqual(_digest(a), _digest(b))
            self.assertEqual([p.name for p in Path(t).iterdir() if p.name.startswith(".")], [])
            _check_boxes(self, a, rows)


PAIRS = (("train", "val"), ("train", "test"), ("val", "test"))


class Design(unittest.TestCase):
    """Validation and test share no photo, brand, font family or layout with training."""

    def test_brands_split_three_ways(self):
        s = g.split_brands([f"brand{i}" for i in range(1000)], g.DEFAULT_SEED)
        self.assertEqual(sum(len(v) for v in s.values()), 1000)
        for a, b in PAIRS:
            self.assertFalse(set(s[a]) & set(s[b]), (a, b))
        self.assertGreaterEqual(len(s["val"]), g.COUNTS["val"])
        self.assertGreaterEqual(len(s["test"]), g.COUNTS["test"])

    def test_photo_split_disjoint(self):
        self.assertGreaterEqual(len({(p[0], p[1]) for p in g.PHOTOS}), 40)
        s = g.split_photos(g.DEFAULT_SEED)
        ids = {k: {g.photo_id(p) for p in v} for k, v in s.items()}
        for a, b in PAIRS:
            self.assertFalse(ids[a] & ids[b], (a, b))
        self.assertEqual(sum(len(v) for v in ids.values()), len(g.PHOTOS))
        self.assertTrue(all(len(ids[k]) >= 6 for k in g.SPLITS))

    def test_fonts_and_layouts_split_disjoint(self):
        files = {k: {(f[0], f[2]) for f in v} for k, v in g.FONT_FAMILIES.items()}
        layouts = {k: set(v) for k, v in g.LAYOUTS_BY_SPLIT.items()}
        for a, b in PAIRS:
            self.assertFalse(files[a] & files[b], (a, b))
            self.assertFalse(layouts[a] & layouts[b], (a, b))
        self.assertEqual(set().union(*layouts.values()), set(g.LAYOUTS))


class CommittedSample(unittest.TestCase):
    """Checks data/sample as committed (no sources needed)."""

    root = HERE / "sample"

    def setUp(self):
        if not (self.root / "manifest.csv").is_file():
            self.skipTest("data/sample not generated")

    def test_manifest_matches_files_and_splits_are_disjoint(self):
        rows = list(csv.DictReader((self.root / "manifest.csv").read_text().splitlines()))
        self.assertEqual(list(rows[0].keys()), g.MANIFEST_COLUMNS)
        on_disk = {str(p.relative_to(self.root)) for p in self.root.glob("*/*/*.jpg")}
        self.assertEqual({r["file"] for r in rows}, on_disk)
        for split, n in g.COUNTS.items():
            for cls in g.CLASSES:
                self.assertEqual(sum(1 for r in rows if r["split"] == split and r["class"] == cls), n)
        for key in ("source", "brand", "font", "layout"):
            values = {s: {r[key] for r in rows if g.SOURCES_OF[r["split"]] == s and r[key] and r[key] != "photo"}
                      for s in g.SPLITS}
            for a, b in PAIRS:
                self.assertFalse(values[a] & values[b], (key, a, b))
        for r in rows:
            self.assertEqual(bool(r["brand"]) and bool(r["logo_style"]), r["class"] == "logo", r)
        self.assertTrue((self.root / "NOTICE.md").is_file())
        _check_boxes(self, self.root, rows)
        total = sum(p.stat().st_size for p in self.root.rglob("*") if p.is_file())
        self.assertLess(total, 12_000_000)

    def test_both_classes_are_drawn_alike_but_for_the_mark(self):
        """Within each split, both classes have the same layouts, stickers and decorations, in
        the same numbers: only the mark tells them apart."""
        rows = list(csv.DictReader((self.root / "manifest.csv").read_text().splitlines()))
        for split in g.SOURCES_OF:
            looks = {c: sorted((r["layout"], r["extras"]) for r in rows if r["split"] == split and r["class"] == c)
                     for c in g.CLASSES}
            self.assertEqual(looks["logo"], looks["others"], split)


@unittest.skipUnless((g.DEFAULT_SOURCES / "SOURCES.tsv").is_file(), "sources not fetched")
class Regenerate(unittest.TestCase):
    def test_regenerating_reproduces_the_committed_sample(self):
        with tempfile.TemporaryDirectory() as t:
            out = Path(t) / "sample"
            g.main(["--out", str(out)])
            for name in ("manifest.csv", "boxes.csv"):
                self.assertEqual((out / name).read_text(), (HERE / "sample" / name).read_text(), name)


if __name__ == "__main__":
    unittest.main()
