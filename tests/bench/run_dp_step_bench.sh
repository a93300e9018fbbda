#!/usr/bin/env bash
# Data parallel, a real training step (BENCHMARKS.md §7): GPT-2-small-shaped
# model (124M, random weights, make_gpt2_small.py), `tunebench-cli train`
# end to end, the same B=4 x T=128 tokens per optimiser step two ways:
#   2 ranks x 1 thread, batch 2 each (--nproc-per-node 2, Gloo all-reduce)
#   1 process x 2 threads, batch 4
# for LoRA r8 on c_attn and for full fine-tuning. Every example is longer than
# 128 tokens, so each step is exactly 4 x 128 tokens. s/step is measured from
# the step events' elapsed_s between step WARMUP and step WARMUP+STEPS (model
# loading, the final validation, checkpoint and export are left out); tok/s =
# 512 / (s/step). The machine's 1-minute load is printed before each run.
# usage: run_dp_step_bench.sh TUNEBENCH_CLI WORK_DIR
#   env: STEPS (measured, default 5), WARMUP (default 2), METHODS (default "lora full"),
#        MODEL (default WORK_DIR/gpt2_small, made when missing)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cli=$(realpath "$1"); work=$(realpath -m "$2")
steps=${STEPS:-5}
warmup=${WARMUP:-2}
methods=(${METHODS:-lora full})
py=/usr/bin/python3
mkdir -p "$work"
model=${MODEL:-$work/gpt2_small}
[ -f "$model/model.safetensors" ] || $py "$here/make_gpt2_small.py" "$model" >&2
tokenizer=$here/../fixtures/tokenizers/gpt2/tokenizer.json

# 64 training and 2 validation texts of ~300 words (well over 128 GPT-2 tokens each).
$py - "$work" <<'PY'
import json, random, sys
words = "the model learns a small task from plain text while every rank trains its own share of the batch".split()
rng = random.Random(0)
for name, n in (("train", 64), ("validation", 2)):
    with open(f"{sys.argv[1]}/{name}.jsonl", "w") as f:
        for _ in range(n):
            f.write(json.dumps({"text": " ".join(rng.choice(words) for _ in range(300))}) + "\n")
PY

results=$work/dp_results.jsonl
: > "$results"
for method in "${methods[@]}"; do
  for layout in 2x1 1x2; do
    procs=${layout%x*}; threads=${layout#*x}
    batch=$((4 / procs))
    case $method in
      lora) m='{"method": "lora", "lora": {"rank": 8, "alpha": 16, "targets": ["c_attn"]}}'; lr=1e-4 ;;
      full) m='{"method": "full"}'; lr=1e-5 ;;
    esac
    run=$work/run-$method-$layout
    rm -rf "$run" "$work/dp.sqlite" "$work/runs"
    mkdir -p "$run"
    cat > "$run/RUN.json" <<JSON
{"name": "dp-$method-$layout", "model": "$model", "tokenizer": "$tokenizer", "output_dir": "$run/out",
 "data": {"train": ["$work/train.jsonl"], "validation": ["$work/validation.jsonl"], "template": "plain", "max_length": 128},
 "method": $m,
 "training": {"max_steps": $((warmup + steps)), "batch_size": $batch, "threads": $threads, "learning_rate": $lr,
              "precision": "f32", "gradient_checkpointing": false, "eval_batches": 1, "seed": 1}}
JSON
    load=$(cut -d' ' -f1 /proc/loadavg)
    launch=()
    [ "$procs" -gt 1 ] && launch=(--nproc-per-node "$procs")
    "$cli" train --config "$run/RUN.json" --db "$work/dp.sqlite" --events jsonl "${launch[@]}" \
      > "$run/events.jsonl" 2> "$run/stderr.txt" || { echo "run $method $layout failed:" >&2; tail -5 "$run/stderr.txt" >&2; exit 1; }
    $py - "$run/events.jsonl" "$method" "$layout" "$warmup" "$steps" "$load" <<'PY' | tee -a "$results"
import json, sys
path, method, layout, warmup, steps, load = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
ev = {e["step"]: e for e in map(json.loads, open(path)) if e.get("event") == "step"}
span = ev[warmup + steps]["elapsed_s"] - ev[warmup]["elapsed_s"]
s = span / steps
print(json.dumps({"method": method, "layout": layout, "s_per_step": round(s, 3), "tokens_per_s": round(512 / s, 1),
                  "rank_tokens_per_s_last": ev[warmup + steps].get("rank_tokens_per_second"),
                  "load_1min_before": float(load)}))
PY
    rm -rf "$run/out" "$work/runs"
  done
done
$py - "$results" <<'PY'
import json, sys
rows = {(r["method"], r["layout"]): r for r in map(json.loads, open(sys.argv[1]))}
print()
print("| method | 2 ranks x 1 thread (batch 2 each) | 1 process x 2 threads (batch 4) | ratio 2x1 / 1x2 | load before |")
print("|---|---|---|---|---|")
for m in ("lora", "full"):
    a, b = rows.get((m, "2x1")), rows.get((m, "1x2"))
    if a and b:
        print(f"| {m} | {a['tokens_per_s']:.0f} tok/s, {a['s_per_step']:.2f} s/step | {b['tokens_per_s']:.0f} tok/s, "
              f"{b['s_per_step']:.2f} s/step | {a['tokens_per_s'] / b['tokens_per_s']:.2f} "
              f"| {a['load_1min_before']:.1f} / {b['load_1min_before']:.1f} |")
PY
