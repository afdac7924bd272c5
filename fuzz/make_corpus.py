#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpus (fuzz/corpus/<target>/) from the repository's own files.

Small files of every kind each target reads, so that libFuzzer starts from inputs that get deep
into the parsers: the sample's posters and the test photos re-encoded in every format and JPEG
flavour the decoders handle, the bundled model's manifest, the parity fixtures' PyTorch files,
and a trainer checkpoint's state around the small network's weights.

    cargo run -p effilens-fuzz --example weights_seeds   # fuzz/corpus/bundle/: the weights
    python3 fuzz/make_corpus.py [--checkpoint PATH]

The checkpoint seed takes the run's state from a trainer checkpoint (`trainer train` writes
them) and the weights from fuzz/corpus/bundle/tiny-f32.bpk; without --checkpoint the committed
one stays. Needs Pillow. Deterministic: the same files every run.
"""
import argparse
import io
import shutil
import struct
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "fuzz" / "corpus"
CHECKPOINT_MAGIC = b"EFFILENS-CHECKPOINT\n"


def encoded(image, format, **options):
    out = io.BytesIO()
    image.save(out, format=format, **options)
    return out.getvalue()


def images():
    photo = Image.open(ROOT / "tests/fixtures/photos/chelsea.jpg").convert("RGB")
    small = photo.resize((48, 32))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise
    animation = io.BytesIO()
    small.save(animation, format="GIF", save_all=True, append_images=[small.transpose(Image.Transpose.FLIP_LEFT_RIGHT)], duration=100, loop=0)
    return {
        "poster.jpg": (ROOT / "data/sample/test/logo/test-logo-001.jpg").read_bytes(),
        "rgba.png": encoded(small.convert("RGBA"), "PNG"),
        "grey16.png": encoded(small.convert("I;16"), "PNG"),
        "palette.png": encoded(small.convert("P"), "PNG"),
        "animated.gif": animation.getvalue(),
        "small.bmp": encoded(small, "BMP"),
        "lossless.webp": encoded(small, "WEBP", lossless=True),
        "lossy.webp": encoded(small, "WEBP", quality=60),
        "rotated.jpg": encoded(small, "JPEG", quality=80, exif=exif),
    }


def jpegs():
    photo = Image.open(ROOT / "tests/fixtures/photos/chelsea.jpg").convert("RGB").resize((200, 133))
    return {
        "baseline-420.jpg": encoded(photo, "JPEG", quality=75),
        "baseline-444.jpg": encoded(photo, "JPEG", quality=75, subsampling=0),
        "progressive.jpg": encoded(photo, "JPEG", quality=75, progressive=True),
        "grey.jpg": encoded(photo.convert("L"), "JPEG", quality=75),
        "cmyk.jpg": encoded(photo.convert("CMYK"), "JPEG", quality=75),
        "odd-size.jpg": encoded(photo.resize((131, 67)), "JPEG", quality=75),
    }


def checkpoint_seed(path):
    data = Path(path).read_bytes()
    if not data.startswith(CHECKPOINT_MAGIC):
        raise SystemExit(f"{path} is not a trainer checkpoint")
    rest = data[len(CHECKPOINT_MAGIC):]
    (state_length,) = struct.unpack("<Q", rest[:8])
    state = rest[8:8 + state_length]
    model = (CORPUS / "bundle" / "tiny-f32.bpk").read_bytes()
    sections = [state, model, b""]
    return CHECKPOINT_MAGIC + b"".join(struct.pack("<Q", len(section)) + section for section in sections)


def write(target, files):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", help="a trainer checkpoint to take the checkpoint seed from")
    args = parser.parse_args()
    write("image", images())
    write("reduced_jpeg", jpegs())
    write("manifest", {"logo.json": (ROOT / "www/models/logo/model.json").read_bytes()})
    for fixture in ["tiny-lite.pth", "tiny-se.pth"]:
        (CORPUS / "pth").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / "tests/fixtures/parity" / fixture, CORPUS / "pth" / fixture)
    if args.checkpoint:
        write("checkpoint", {"state-and-tiny-weights.ckpt": checkpoint_seed(args.checkpoint)})
    print(f"wrote {CORPUS}")


if __name__ == "__main__":
    main()
