#!/usr/bin/env bash
# GPT-2-small (124M, random weights) forward latency and generation speed:
# Tunebench (C++/LibTorch) beside PyTorch eager (Debian python3-torch, the
# same LibTorch 1.13), on the same weights file, one after the other.
# usage: run_gpt2_bench.sh TB_BENCH_BINARY WORK_DIR [THREADS...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$1; work=$2; shift 2
threads=("${@:-1 2}")
py=/usr/bin/python3
if ! $py -c 'import torch' 2>/dev/null; then
  echo "bench: needs Debian's python3-torch (apt-get install python3-torch)" >&2; exit 1
fi
model=$work/gpt2_small
[ -f "$model/model.safetensors" ] || $py "$here/make_gpt2_small.py" "$model" >&2
for t in ${threads[@]}; do
  $py "$here/bench_gpt2_torch.py" "$model" --threads "$t"
  "$bin" "$model" "$t"
done
