#!/usr/bin/env python3
"""PyTorch reference timings for ``cargo xtask bench``.

The native rows of ``trainer bench`` (trainer/src/bench.rs), measured the same way with the
reference implementations the effilens model reproduces: lukemelas ``efficientnet-pytorch``
(efficientnet-b0) and its fork ``efficientnet-lite-pytorch`` (efficientnet-lite0). Same row
ids, same input size, batches, repetitions (untimed warm-up runs, then timed runs), and the
same statistics (median, min, max), so that ``cargo xtask bench`` can put the two side by side:

- forward, 224x224, batch 1 (ms) and batch 16 (images/s), eval mode, random weights;
- one fine-tuning step, batch 16, two classes (images/s): SGD with momentum 0.9, weight decay
  1e-4, learning rate 0.01, cross-entropy with label smoothing 0.1 — ``trainer train``'s
  defaults — on the full network, and with the backbone frozen (batch norm included, as
  ``--freeze-backbone`` does);
- with ``--eval-arch``: ``trainer eval``'s work on a labeled folder (read, decode with EXIF
  orientation, bicubic resize of the whole image, normalise, classify in batches of 16, decoding
  on ``--threads`` threads), with random weights of that architecture, at ``--eval-image-size``
  (the evaluated bundle's input size, which ``cargo xtask bench`` passes).

With ``--export-onnx PATH`` it also writes that architecture, with the folder's classes and
random weights, as ONNX (any batch size, ``--eval-image-size`` squares): the model the browser benchmark runs in ONNX Runtime
Web as the reference of the page's own forward passes (tests/page/bench.mjs).

With ``--device cuda`` the rows run on the GPU (decoding stays on the CPU): the reference of the
GPU rows of ``trainer bench --device wgpu`` (tests/bench/gpu_record.sh).

Usage::

    python tests/bench/torch_bench.py [--quick] [--threads N] [--device cpu|cuda]
        [--eval-arch efficientnet-lite0] [--data data/sample/val] [--export-onnx model.onnx]

Prints one JSON object on standard output (progress goes to standard error)::

    {"source": "pytorch", "versions": {...}, "threads": N, "device": "cpu", "quick": bool,
     "rows": [{"id", "unit", "median", "min", "max", "runs", "warmup"}], "notes": [...]}

Needs torch and efficientnet-pytorch; without efficientnet-lite-pytorch (or Pillow, for the
folder row) the rows that need it are left out and a note says so. It never downloads anything.
"""

import argparse
import contextlib
import importlib
import json
import os
import platform
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch

try:
    from PIL import Image, ImageOps
except ImportError:  # only the folder row needs Pillow
    Image = ImageOps = None

ROOT = Path(__file__).resolve().parents[2]
ARCHS = ["efficientnet-lite0", "efficientnet-b0"]
IMAGE_SIZE = 224
BATCH = 16
FINE_TUNE_CLASSES = 2
LEARNING_RATE = 0.01
MOMENTUM = 0.9
WEIGHT_DECAY = 1e-4
LABEL_SMOOTHING = 0.1
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp", ".jfif"}
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# (warm-up runs, timed runs) per kind of row, as in trainer/src/bench.rs's Plan.
PLANS = {
    False: {"latency": (5, 30), "throughput": (2, 10), "fine_tune": (2, 6), "evaluation": (1, 5)},
    True: {"latency": (2, 5), "throughput": (1, 3), "fine_tune": (1, 2), "evaluation": (1, 2)},
}


def package_for(arch):
    """The reference package of ``arch``, or None when it is not installed."""
    name = "efficientnet_lite_pytorch" if arch.startswith("efficientnet-lite") else "efficientnet_pytorch"
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def time_runs(repeats, run):
    """Seconds of each timed run of ``run``, after the warm-up runs."""
    warmup, runs = repeats
    for _ in range(warmup):
        run()
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - started)
    return seconds


def row(row_id, unit, repeats, seconds, images=1):
    values = [s * 1e3 for s in seconds] if unit == "ms" else [images / s for s in seconds]
    return {
        "id": row_id,
        "unit": unit,
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "runs": repeats[1],
        "warmup": repeats[0],
    }


def random_batch(batch, device):
    return torch.randn(batch, 3, IMAGE_SIZE, IMAGE_SIZE).to(device)


def forward(package, arch, batch, repeats, device):
    model = package.EfficientNet.from_name(arch).eval().to(device)
    inputs = random_batch(batch, device)

    def run():
        with torch.inference_mode():
            # Reading the logits back waits for the device, as the trainer's rows do.
            model(inputs).cpu().numpy()

    return time_runs(repeats, run)


def fine_tune(package, arch, frozen, repeats, device):
    model = package.EfficientNet.from_name(arch, num_classes=FINE_TUNE_CLASSES).train().to(device)
    if frozen:
        # --freeze-backbone: only the classifier learns; the backbone's batch norm keeps its
        # statistics (eval mode) and nothing behind the classifier needs gradients.
        for module in (model._conv_stem, model._bn0, model._blocks, model._conv_head, model._bn1):
            module.eval()
            for parameter in module.parameters():
                parameter.requires_grad_(False)
    optimizer = torch.optim.SGD(
        [p for p in model.parameters() if p.requires_grad],
        lr=LEARNING_RATE,
        momentum=MOMENTUM,
        weight_decay=WEIGHT_DECAY,
    )
    loss_function = torch.nn.CrossEntropyLoss(label_smoothing=LABEL_SMOOTHING)
    inputs = random_batch(BATCH, device)
    targets = (torch.arange(BATCH) % FINE_TUNE_CLASSES).to(device)

    def run():
        optimizer.zero_grad(set_to_none=True)
        loss = loss_function(model(inputs), targets)
        loss.backward()
        optimizer.step()
        value = loss.item()
        if value != value:
            raise RuntimeError(f"the fine-tune step's loss became {value}")

    return time_runs(repeats, run)


def folder_images(data):
    """(path, class index) of every image of DIR/<class>/<image>, classes sorted by name."""
    classes = sorted(p.name for p in data.iterdir() if p.is_dir())
    images = []
    for index, name in enumerate(classes):
        for path in sorted((data / name).iterdir()):
            if path.suffix.lower() in IMAGE_EXTENSIONS:
                images.append((path, index))
    return classes, images


def prepare(path, lite, size):
    """The model input of one image file, as effilens prepares it: upright RGB, the whole image
    resized to a ``size`` square with Catmull-Rom bicubic (Pillow's BICUBIC), normalised."""
    with Image.open(path) as image:
        image = ImageOps.exif_transpose(image).convert("RGB").resize((size, size), Image.BICUBIC)
    pixels = torch.frombuffer(bytearray(image.tobytes()), dtype=torch.uint8)
    values = pixels.view(size, size, 3).permute(2, 0, 1).float() / 255.0
    if lite:
        return values * 2.0 - 1.0
    mean = torch.tensor(IMAGENET_MEAN).view(3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(3, 1, 1)
    return (values - mean) / std


def folder_evaluation(package, arch, data, size, threads, repeats, device):
    classes, images = folder_images(data)
    if not images:
        raise RuntimeError(f"{data}: no images")
    model = package.EfficientNet.from_name(arch, num_classes=len(classes)).eval().to(device)
    lite = arch.startswith("efficientnet-lite")

    def run():
        with ThreadPoolExecutor(max_workers=threads) as pool, torch.inference_mode():
            for start in range(0, len(images), BATCH):
                paths = [path for path, _ in images[start : start + BATCH]]
                inputs = torch.stack(list(pool.map(lambda path: prepare(path, lite, size), paths))).to(device)
                torch.softmax(model(inputs), dim=1).argmax(dim=1).tolist()

    return len(images), time_runs(repeats, run)


def export_onnx(package, arch, data, size, path):
    """``arch`` with ``data``'s classes and random weights as ONNX for ``size`` squares, batch size
    left open."""
    classes, _ = folder_images(data)
    model = package.EfficientNet.from_name(arch, num_classes=len(classes)).eval()
    example = torch.zeros(1, 3, size, size)
    batch = {0: "batch"}
    # The TorchScript exporter: it needs no onnx or onnxscript package, unlike torch.export's.
    torch.onnx.export(
        model,
        (example,),
        str(path),
        input_names=["images"],
        output_names=["logits"],
        dynamic_axes={"images": batch, "logits": batch},
        opset_version=17,
        dynamo=False,
    )


def versions():
    found = {"torch": torch.__version__, "python": platform.python_version()}
    if torch.cuda.is_available():
        found["cuda"] = torch.version.cuda
        found["cudnn"] = torch.backends.cudnn.version()
    for name in ("efficientnet_pytorch", "efficientnet_lite_pytorch"):
        with contextlib.suppress(ImportError, AttributeError):
            found[name] = importlib.import_module(name).__version__
    return found


def available_cpus():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def measure(args):
    plan = PLANS[args.quick]
    rows, notes = [], []
    packages = {arch: package_for(arch) for arch in ARCHS}
    for arch, package in packages.items():
        if package is None:
            notes.append(f"PyTorch {arch} rows skipped: its reference package is not installed")
    for arch, package in packages.items():
        if package is None:
            continue
        for batch, kind, unit in [(1, "latency", "ms"), (BATCH, "throughput", "img/s")]:
            print(f"timing PyTorch forward, {arch}, batch {batch}…", file=sys.stderr)
            seconds = forward(package, arch, batch, plan[kind], args.device)
            rows.append(row(f"forward/{arch}/batch-{batch}", unit, plan[kind], seconds, images=batch))
    for arch, package in packages.items():
        if package is None:
            continue
        for frozen, name in [(False, "full"), (True, "frozen-backbone")]:
            print(f"timing PyTorch fine-tune step, {arch}, {name}…", file=sys.stderr)
            seconds = fine_tune(package, arch, frozen, plan["fine_tune"], args.device)
            rows.append(row(f"fine-tune/{arch}/{name}", "img/s", plan["fine_tune"], seconds, images=BATCH))
    if args.eval_arch:
        package = package_for(args.eval_arch)
        if package is None:
            notes.append(f"PyTorch folder row skipped: no reference package for {args.eval_arch}")
        elif Image is None:
            notes.append("PyTorch folder row skipped: Pillow is not installed")
        else:
            print(f"timing PyTorch folder evaluation of {args.data}…", file=sys.stderr)
            count, seconds = folder_evaluation(
                package, args.eval_arch, args.data, args.eval_image_size, args.threads, plan["evaluation"], args.device
            )
            rows.append(row("eval/folder", "img/s", plan["evaluation"], seconds, images=count))
    if args.export_onnx:
        package = package_for(args.eval_arch) if args.eval_arch else None
        if package is None:
            notes.append("no ONNX export for the browser's reference: --eval-arch missing or its package not installed")
        else:
            print(f"exporting {args.eval_arch} as ONNX to {args.export_onnx}…", file=sys.stderr)
            try:
                export_onnx(package, args.eval_arch, args.data, args.eval_image_size, args.export_onnx)
            except Exception as error:  # the timings stand without it; the note says why
                notes.append(f"no ONNX export for the browser's reference: {error}")
    return rows, notes


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions: a quick look, not figures to keep")
    parser.add_argument(
        "--threads",
        type=int,
        default=available_cpus(),
        help="torch's threads and the decoding threads (default: the CPUs this process may use, "
        "as the native side's thread pool)",
    )
    parser.add_argument(
        "--eval-arch",
        help="time trainer eval's work on --data with random weights of this architecture "
        "(the bundle's that trainer bench evaluated); without it the folder row is left out",
    )
    parser.add_argument(
        "--eval-image-size",
        type=int,
        default=IMAGE_SIZE,
        help="input size of the folder row and the ONNX export (the evaluated bundle's)",
    )
    parser.add_argument(
        "--device",
        default="cpu",
        help="where the network runs: cpu, cuda or cuda:N (torch's defaults, cuDNN's TF32 convolutions included)",
    )
    parser.add_argument("--data", type=Path, default=ROOT / "data/sample/val", help="labeled folder: DIR/<class>/<image>")
    parser.add_argument("--export-onnx", type=Path, help="also write --eval-arch as ONNX here (see above)")
    args = parser.parse_args()
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        parser.error(f"--device {args.device}: this torch sees no CUDA device")

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    # The Lite package prints from inside forward() in some configurations: keep standard
    # output for the JSON alone.
    with contextlib.redirect_stdout(sys.stderr):
        rows, notes = measure(args)
    report = {
        "source": "pytorch",
        "versions": versions(),
        "threads": args.threads,
        "device": args.device,
        "gpu": torch.cuda.get_device_name(torch.device(args.device)) if args.device.startswith("cuda") else None,
        # How glibc's malloc was told to run (cargo xtask bench keeps freed memory, see there).
        "glibc_tunables": os.environ.get("GLIBC_TUNABLES"),
        "quick": args.quick,
        "rows": rows,
        "notes": notes,
    }
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
