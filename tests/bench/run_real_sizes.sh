#!/usr/bin/env bash
# Issue 13, real sizes: precision, memory and speed (BENCHMARKS.md section 8).
#  1. baseline: VmHWM of a bare tb_bench_train process (LibTorch runtime + code);
#  2. GPT-2 small (124M, F32 file), B=4 x T=128, 1 thread, f32 and bf16, Tunebench
#     beside a PyTorch eager loop (bf16 = torch.autocast("cpu", torch.bfloat16)),
#     full / LoRA / adapter / prompt tuning;
#  3. Qwen2.5-0.5B shape (BF16 file), LoRA r16 on q,k,v,o_proj, B=4 x T=256, bf16,
#     gradient checkpointing true and false: peak RSS of the whole process;
#  4. Llama-3.2-3B shape (BF16 file), LoRA r16 q,k,v,o, bf16, checkpointing true:
#     peak RSS against the weights, tokens/s.
# Every configuration runs in its own process, so VmHWM is that configuration's
# peak. Random-weight models are written by make_gpt2_small.py and
# make_llama_model.py on first use (1 GB for GPT-2 + Qwen, 6.4 GB for Llama 3B).
# usage: run_real_sizes.sh TB_BENCH_TRAIN MODELS_DIR [RESULTS.jsonl]
#   env: PARTS (default "baseline gpt2 qwen llama"), THREADS (1), STEPS (5), WARMUP (2),
#        GPT2_PRECISIONS ("f32 bf16"), GPT2_METHODS ("full lora adapter prompt_tuning"),
#        BF16_STEPS (STEPS), BF16_WARMUP (WARMUP): GPT-2 bf16 steps (where the CPU has neither
#        AMX-BF16 nor AVX512-BF16 a bf16 GEMM is ~50x slower than f32: use 1 and 0 there),
#        BIG_STEPS (1), BIG_WARMUP (0): steps of the Qwen and Llama runs,
#        QWEN_PRECISIONS ("bf16"), QWEN_CKPT ("true false"), QWEN_BATCH (4), QWEN_SEQ (256),
#        LLAMA_BATCH (1), LLAMA_SEQ (256)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$1; models=$2; out=${3:-$(mktemp --suffix=.jsonl)}
parts=${PARTS:-baseline gpt2 qwen llama}
t=${THREADS:-1}; steps=${STEPS:-5}; warmup=${WARMUP:-2}
big_steps=${BIG_STEPS:-1}; big_warmup=${BIG_WARMUP:-0}
py=/usr/bin/python3
if ! $py -c 'import torch' 2>/dev/null; then
  echo "bench: needs Debian's python3-torch (apt-get install python3-torch)" >&2; exit 1
fi
export OMP_NUM_THREADS=$t
qkvo=q_proj,k_proj,v_proj,o_proj
has() { [[ " $parts " == *" $1 "* ]]; }
model() { # NAME: make it when missing
  local dir=$models/$1
  if [ ! -f "$dir/model.safetensors" ]; then
    if [ "$1" = gpt2_small ]; then $py "$here/make_gpt2_small.py" "$dir" >&2
    else $py "$here/make_llama_model.py" "$dir" "$1" >&2; fi
  fi
  echo "$dir"
}
echo "results: $out" >&2
if has baseline; then
  "$bin" --baseline "$t" | tee -a "$out"
fi
if has gpt2; then
  m=$(model gpt2_small)
  for prec in ${GPT2_PRECISIONS:-f32 bf16}; do
    ac=; s=$steps; w=$warmup
    if [ "$prec" = bf16 ]; then ac=--autocast; s=${BF16_STEPS:-$steps}; w=${BF16_WARMUP:-$warmup}; fi
    for meth in ${GPT2_METHODS:-full lora adapter prompt_tuning}; do
      $py "$here/bench_train_torch.py" "$m" "$meth" --threads "$t" --steps "$s" --warmup "$w" $ac | tee -a "$out"
      "$bin" "$m" "$meth" "$t" "$s" "$w" 128 --precision "$prec" | tee -a "$out"
    done
  done
fi
if has qwen; then
  m=$(model qwen2.5-0.5b)
  for prec in ${QWEN_PRECISIONS:-bf16}; do
    for ck in ${QWEN_CKPT:-true false}; do
      "$bin" "$m" lora "$t" "$big_steps" "$big_warmup" --batch "${QWEN_BATCH:-4}" --seq "${QWEN_SEQ:-256}" \
        --precision "$prec" --checkpointing "$ck" --lora-rank 16 --lora-targets $qkvo --no-save | tee -a "$out"
    done
  done
fi
if has llama; then
  m=$(model llama-3.2-3b)
  "$bin" "$m" lora "$t" "$big_steps" "$big_warmup" --batch "${LLAMA_BATCH:-1}" --seq "${LLAMA_SEQ:-256}" \
    --precision bf16 --checkpointing true --lora-rank 16 --lora-targets $qkvo --no-save | tee -a "$out"
fi
$py "$here/real_sizes_table.py" "$out"
