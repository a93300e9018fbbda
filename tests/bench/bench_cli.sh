#!/usr/bin/env bash
# Whole commands, as a user times them: `tunebench-cli metric` against the
# reference implementations (sacreBLEU 2.x, rouge_score) on 100,000 generated
# sentence pairs, `tunebench-cli compare` against `sacrebleu --paired-bs` on
# 2,000 segments x 3 systems, and the start-up time of the commands that need
# no model against the engine executable's. Wall time of each process;
# Tunebench best of 3 (start-up: best of 10), Python one run. Checks that every
# score agrees with the reference.
#
#   EVAL_REFERENCE_PATH=/tmp/evalref tests/bench/bench_cli.sh [BUILD_DIR] [WORK_DIR]
#
# PAIRS=N changes the pair count; CONFIGS=bleu_sentence,... runs only those
# metric configurations; SKIP_PYTHON=1 times Tunebench only;
# REUSE_PYTHON=1 takes the Python times and outputs an earlier run left in
# WORK_DIR (*.py.time, *.py.jsonl) instead of running them again.
# EVAL_REFERENCE_PATH: see tests/fixtures/eval/README.md (Debian's python3 with
# python3-numpy, -regex, -tabulate, -colorama, -lxml, -portalocker, -absl,
# -nltk, -six).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
work="${2:-$(mktemp -d /tmp/tb_bench_cli.XXXXXX)}"
refs="${EVAL_REFERENCE_PATH:?set EVAL_REFERENCE_PATH to the folder holding sacrebleu/ and rouge_score/}"
python=/usr/bin/python3
for exe in tunebench-cli tunebench-cli-engine; do
  [ -x "$build/app/$exe" ] || { echo "$build/app/$exe not built: ninja -C $build tunebench-cli" >&2; exit 1; }
done
mkdir -p "$work"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load: $(cut -d' ' -f1-3 /proc/loadavg)"

"$python" "$here/make_pairs.py" "$work/pairs.jsonl" --count "${PAIRS:-100000}" --seed 20240611
"$python" "$root/tests/fixtures/eval/significance/make_fixture.py" input --segments 2000 --out "$work/systems.jsonl"

TB_CLI="$build/app/tunebench-cli" TB_ENGINE="$build/app/tunebench-cli-engine" TB_REFS="$refs" \
TB_PYTHON="$python" TB_HERE="$here" TB_ROOT="$root" SKIP_PYTHON="${SKIP_PYTHON:-0}" REUSE_PYTHON="${REUSE_PYTHON:-0}" \
  "$python" - "$work" <<'PY'
import json, os, subprocess, sys, time

work = sys.argv[1]
cli, engine, here = os.environ["TB_CLI"], os.environ["TB_ENGINE"], os.environ["TB_HERE"]
python, skip_python = os.environ["TB_PYTHON"], os.environ["SKIP_PYTHON"] == "1"
reuse_python = os.environ["REUSE_PYTHON"] == "1"
pyenv = dict(os.environ, PYTHONPATH=os.environ["TB_REFS"])
pairs = os.path.join(work, "pairs.jsonl")


def wall(cmd, out=None, env=None, runs=1):
    """Best wall time of `runs` runs of cmd (stdout to the file `out`, stderr dropped)."""
    best = None
    for _ in range(runs):
        with open(out or os.devnull, "w") as f:
            t = time.perf_counter()
            subprocess.run(cmd, stdout=f, stderr=subprocess.DEVNULL, env=env, check=True)
            t = time.perf_counter() - t
        best = t if best is None else min(best, t)
    return best


def python_time(name, cmd, env):
    """One run of a reference command, or its time from an earlier run (REUSE_PYTHON=1)."""
    path = os.path.join(work, name + ".py.time")
    if reuse_python and os.path.exists(path):
        return float(open(path).read())
    t = wall(cmd, env=env)
    with open(path, "w") as f:
        f.write(f"{t}\n")
    return t


def compare(a, b, path, worst):
    # b is the reference's output; only its fields are compared (ours adds some).
    if isinstance(b, dict):
        for k, v in b.items():
            if k not in a:
                raise SystemExit(f"{path}.{k}: missing in our output")
            compare(a[k], v, f"{path}.{k}", worst)
    elif isinstance(b, list):
        if len(a) != len(b):
            raise SystemExit(f"{path}: {len(a)} items, reference has {len(b)}")
        for i, (x, y) in enumerate(zip(a, b)):
            compare(x, y, f"{path}[{i}]", worst)
    elif isinstance(b, (int, float)) and not isinstance(b, bool):
        worst[0] = max(worst[0], abs(float(a) - float(b)))
    elif a != b:
        raise SystemExit(f"{path}: ours {a!r}, reference {b!r}")


configs = [
    ("bleu_sentence", ["metric", "bleu", "--level", "sentence"]),
    ("bleu_corpus", ["metric", "bleu", "--level", "corpus"]),
    ("chrf_sentence", ["metric", "chrf", "--level", "sentence"]),
    ("chrfpp_corpus", ["metric", "chrf", "--word-order", "2", "--level", "corpus"]),
    ("rouge_sentence", ["metric", "rouge", "--stemmer", "--level", "sentence"]),
    ("rouge_corpus", ["metric", "rouge", "--stemmer", "--level", "corpus"]),
]
only = [c for c in os.environ.get("CONFIGS", "").split(",") if c]
configs = [c for c in configs if not only or c[0] in only]
n = sum(1 for _ in open(pairs))
print(f"\n== tunebench-cli metric vs the references, {n} pairs (Tunebench best of 3, Python 1 run) ==")
print(f"{'config':15} {'2 thr s':>8} {'1 thr s':>8} {'Python s':>9} {'x (2 thr)':>10} {'x (1 thr)':>10}  max |diff|")
ok = True
for name, args in configs:
    ours = os.path.join(work, name + ".tb.jsonl")
    t2 = wall([cli, *args, "--input", pairs], ours, runs=3)
    t1 = wall([cli, *args, "--input", pairs, "--threads", "1"], runs=3)
    if skip_python:
        print(f"{name:15} {t2:8.3f} {t1:8.3f}")
        continue
    ref = os.path.join(work, name + ".py.jsonl")
    tp = python_time(name, [python, os.path.join(here, "metric_reference.py"), name, pairs, ref], env=pyenv)
    worst = [0.0]
    compare([json.loads(l) for l in open(ours)], [json.loads(l) for l in open(ref)], name, worst)
    ok = ok and worst[0] <= 1e-9
    print(f"{name:15} {t2:8.3f} {t1:8.3f} {tp:9.2f} {tp / t2:9.1f}x {tp / t1:9.1f}x  {worst[0]:.3g}", flush=True)

print("\n== tunebench-cli compare vs sacrebleu --paired-bs, 2000 segments x 3 systems, 1000 resamples ==")
lines = [json.loads(l) for l in open(os.path.join(work, "systems.jsonl"))]
systems = ["baseline", "better", "close"]
for l in lines:
    del l["hyps"]["copy"]
with open(os.path.join(work, "compare.jsonl"), "w") as f:
    for l in lines:
        f.write(json.dumps(l) + "\n")
for name, texts in [("ref", [l["refs"][0] for l in lines])] + [(s, [l["hyps"][s] for l in lines]) for s in systems]:
    with open(os.path.join(work, name + ".txt"), "w") as f:
        f.write("".join(t + "\n" for t in texts))
print(f"{'metric':7} {'Tunebench s':>12} {'sacreBLEU s':>12} {'speed-up':>9}")
for metric in ("bleu", "chrf"):
    tt = wall([cli, "compare", "--input", os.path.join(work, "compare.jsonl"), "--metric", metric, "--test", "bs",
               "--samples", "1000", "--seed", "12345"], runs=3)
    if skip_python:
        print(f"{metric:7} {tt:12.3f}")
        continue
    env = dict(pyenv, SACREBLEU_SEED="12345")
    tp = python_time("paired_bs_" + metric, [python, "-m", "sacrebleu", os.path.join(work, "ref.txt"), "-i",
               *[os.path.join(work, s + ".txt") for s in systems], "-m", metric, "--paired-bs"], env=env)
    print(f"{metric:7} {tt:12.3f} {tp:12.2f} {tp / tt:8.1f}x", flush=True)

print("\n== start-up: commands that need no model (best of 10, wall ms) ==")
db = os.path.join(work, "empty.db")
one = os.path.join(work, "one.jsonl")
with open(pairs) as src, open(one, "w") as dst:
    dst.write(src.readline())
tokenizer = os.path.join(os.environ["TB_ROOT"], "tests/fixtures/tokenizers/smollm2-style/tokenizer.json")
starts = [
    ("--version", ["--version"]),
    ("runs list (empty store)", ["runs", "--db", db, "list"]),
    ("metric bleu (1 line)", ["metric", "bleu", "--input", one]),
    ("tokenize (tokenizer.json)", ["tokenize", "--tokenizer", tokenizer, "--text", "Hello world"]),
]
print(f"{'command':27} {'tunebench-cli':>14} {'engine':>8}")
for name, args in starts:
    front = wall([cli, *args], runs=10) * 1000
    eng = wall([engine, *args], runs=10) * 1000
    print(f"{name:27} {front:14.1f} {eng:8.1f}")
if not skip_python:
    print("scores identical (|diff| <= 1e-9)" if ok else "SCORES DIFFER")
sys.exit(0 if ok else 1)
PY
