#!/usr/bin/env bash
# A GPU record for the "On a GPU" table of docs/BENCHMARKS.md, made on a machine with a GPU:
#
#   cargo build --release -p trainer --features wgpu
#   tests/bench/gpu_record.sh target/release/trainer [--quick] [--device wgpu] [--device cuda]
#   cargo xtask bench --render
#
# It runs `trainer bench --device flex --device wgpu`: every native row on the CPU and on the GPU
# (`--device` names the GPU devices instead, for a trainer built with `--features wgpu,cuda`).
# Where a Python with torch sees a CUDA device and has efficientnet_pytorch ($EFFILENS_TORCH_PYTHON,
# else python3), the same rows for PyTorch on that GPU are the reference
# (tests/bench/torch_bench.py --device cuda); where none does, the record says so. It needs no
# cargo, so the trainer may be built on another machine. The record goes to
# docs/benchmarks/gpu/<UTC date and time>.json, with PyTorch's rows under the key "pytorch".
set -euo pipefail

usage="usage: tests/bench/gpu_record.sh TRAINER [--quick] [--device DEVICE]..."
trainer=$(realpath "${1:?$usage}")
shift
quick=()
devices=()
while (($#)); do
  case $1 in
    --quick) quick=(--quick) ;;
    --device) devices+=(--device "${2:?$usage}"); shift ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
  shift
done
((${#devices[@]})) || devices=(--device wgpu)
cd "$(dirname "$0")/../.."
python=${EFFILENS_TORCH_PYTHON:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$trainer" bench --device flex "${devices[@]}" --json "$work/effilens.json" "${quick[@]}"
stem=$(grep -o '"time": "[^"]*"' "$work/effilens.json" | head -n 1 | cut -d '"' -f 4 | tr : -)
record=docs/benchmarks/gpu/$stem.json
mkdir -p docs/benchmarks/gpu

cp "$work/effilens.json" "$record"
if "$python" -c 'import torch, efficientnet_pytorch; assert torch.cuda.is_available()' 2>/dev/null; then
  # The folder row's architecture is the evaluated bundle's, as in `cargo xtask bench`.
  arch=$("$python" -c 'import json, sys
print(next(row["arch"] for row in json.load(open(sys.argv[1]))["rows"] if row["id"] == "eval/folder"))' "$record")
  "$python" tests/bench/torch_bench.py --device cuda --eval-arch "$arch" "${quick[@]}" >"$work/pytorch.json"
  "$python" -c 'import json, sys
record = json.load(open(sys.argv[1]))
record["pytorch"] = json.load(open(sys.argv[2]))
json.dump(record, open(sys.argv[1], "w"), indent=2)' "$record" "$work/pytorch.json"
else
  echo "no PyTorch reference: no Python with torch, efficientnet_pytorch and a CUDA device (tried $python)" >&2
fi
echo "wrote $record"
