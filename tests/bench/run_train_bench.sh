#!/usr/bin/env bash
# GPT-2-small (124M, random weights) training: Tunebench's engine
# (tb_bench_train: LanguageModel -> PeftModel -> Trainer) beside a plain
# PyTorch eager loop (bench_train_torch.py, Debian python3-torch = the same
# LibTorch 1.13) for full fine-tuning, LoRA, bottleneck adapters and prompt
# tuning. Every (implementation, method, threads) runs in its own process so
# VmHWM is that configuration's peak. Prints the JSON lines, then a table.
# usage: run_train_bench.sh TB_BENCH_TRAIN WORK_DIR [THREADS...]
#   env: STEPS (measured, default 5), WARMUP (default 2), METHODS
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$1; work=$2; shift 2
threads=("${@:-1}")
steps=${STEPS:-5}
warmup=${WARMUP:-2}
methods=(${METHODS:-full lora adapter prompt_tuning})
py=/usr/bin/python3
if ! $py -c 'import torch' 2>/dev/null; then
  echo "bench: needs Debian's python3-torch (apt-get install python3-torch)" >&2; exit 1
fi
model=$work/gpt2_small
[ -f "$model/model.safetensors" ] || $py "$here/make_gpt2_small.py" "$model" >&2
results=$(mktemp)
trap 'rm -f "$results"' EXIT
for t in ${threads[@]}; do
  for m in "${methods[@]}"; do
    # Same thread settings for both: intra-op threads = t, OpenMP = t.
    OMP_NUM_THREADS=$t $py "$here/bench_train_torch.py" "$model" "$m" --threads "$t" --steps "$steps" --warmup "$warmup" \
      | tee -a "$results"
    OMP_NUM_THREADS=$t "$bin" "$model" "$m" "$t" "$steps" "$warmup" | tee -a "$results"
  done
done
$py - "$results" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
by = {(r["impl"], r["method"], r["threads"]): r for r in rows}
keys = sorted({(r["threads"], r["method"]) for r in rows},
              key=lambda k: (k[0], ["full", "lora", "adapter", "prompt_tuning"].index(k[1])))
print()
print("| threads | method | trainable | tok/s PyTorch | tok/s Tunebench | speed ratio TB/PT "
      "| peak MB PyTorch | peak MB Tunebench | mem ratio TB/PT | adapter file | % of model |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
full_peak = {}
for t, m in keys:
    p, c = by.get(("pytorch-eager", m, t)), by.get(("tunebench", m, t))
    if not p or not c:
        continue
    if m == "full":
        full_peak[t] = (p["peak_rss_mb"], c["peak_rss_mb"])
    print(f"| {t} | {m} | {c['trainable_params']:,} | {p['tokens_per_s']:.0f} | {c['tokens_per_s']:.0f} "
          f"| {c['tokens_per_s'] / p['tokens_per_s']:.2f} | {p['peak_rss_mb']:.0f} | {c['peak_rss_mb']:.0f} "
          f"| {c['peak_rss_mb'] / p['peak_rss_mb']:.2f} | {c['adapter_bytes'] / 1e6:.2f} MB "
          f"| {c['adapter_pct_of_model']:.3f} |")
    if p["trainable_params"] != c["trainable_params"]:
        print(f"  WARNING: trainable parameters differ: PyTorch {p['trainable_params']}, "
              f"Tunebench {c['trainable_params']}")
print()
for t, (pf, cf) in sorted(full_peak.items()):
    for m in ("lora", "adapter", "prompt_tuning"):
        p, c = by.get(("pytorch-eager", m, t)), by.get(("tunebench", m, t))
        if p and c:
            print(f"threads {t}: {m} peak / full peak: PyTorch {p['peak_rss_mb'] / pf:.2f}, "
                  f"Tunebench {c['peak_rss_mb'] / cf:.2f}")
EOF
