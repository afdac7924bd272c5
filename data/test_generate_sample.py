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
    """boxes.csv has one box per logo image, inside it, of a badge's size (10-25 % of the width)."""
    boxes = list(csv.DictReader((root / "boxes.csv").read_text().splitlines()))
    test.assertEqual([b["file"] for b in boxes], [r["file"] for r in rows if r["class"] == "logo"])
    for b in boxes:
        x, y, w, h = (int(b[k]) for k in ("x", "y", "width", "height"))
        with Image.open(root / b["file"]) as im:
            width, height = im.size
        test.assertTrue(0 <= x and x + w <= width and 0 <= y and y + h <= height, b)
        test.assertTrue(0.09 * width <= w <= 0.26 * width, b)


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


class Design(unittest.TestCase):
    def test_brands_disjoint_and_enough(self):
        self.assertFalse(set(g.TRAIN_BRANDS) & set(g.VAL_BRANDS))
        self.assertGreaterEqual(len(set(g.TRAIN_BRANDS)), 12)
        self.assertGreaterEqual(len(set(g.VAL_BRANDS)), 4)

    def test_photo_split_disjoint(self):
        self.assertGreaterEqual(len({(p[0], p[1]) for p in g.PHOTOS}), 40)
        s = g.split_photos(g.DEFAULT_SEED)
        train = {g.photo_id(p) for p in s["train"]}
        val = {g.photo_id(p) for p in s["val"]}
        self.assertFalse(train & val)
        self.assertEqual(len(train) + len(val), len(g.PHOTOS))


class CommittedSample(unittest.TestCase):
    """Checks data/sample as committed (no sources needed)."""

    root = HERE / "sample"

    def setUp(self):
        if not (self.root / "manifest.csv").is_file():
            self.skipTest("data/sample not generated")

    def test_manifest_matches_files_and_splits_are_disjoint(self):
        rows = list(csv.DictReader((self.root / "manifest.csv").read_text().splitlines()))
        on_disk = {str(p.relative_to(self.root)) for p in self.root.glob("*/*/*.jpg")}
        self.assertEqual({r["file"] for r in rows}, on_disk)
        for split, n in g.COUNTS.items():
            for cls in g.CLASSES:
                self.assertEqual(sum(1 for r in rows if r["split"] == split and r["class"] == cls), n)
        for key in ("source", "brand"):
            tr = {r[key] for r in rows if r["split"] == "train" and r[key]}
            va = {r[key] for r in rows if r["split"] == "val" and r[key]}
            self.assertFalse(tr & va, key)
        others = [r for r in rows if r["class"] == "others"]
        self.assertEqual(sum(r["band"] == "yes" for r in others), len(others) // 2)
        self.assertTrue(all(r["band"] == "yes" and r["brand"] for r in rows if r["class"] == "logo"))
        self.assertTrue(all(not r["brand"] for r in others))
        self.assertTrue((self.root / "NOTICE.md").is_file())
        _check_boxes(self, self.root, rows)
        total = sum(p.stat().st_size for p in self.root.rglob("*") if p.is_file())
        self.assertLess(total, 10_000_000)


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
