#!/usr/bin/env bash
# Text metrics: our C++ (tb_bench_metrics) against sacreBLEU 2.x and
# rouge_score on the same 10,000 generated sentence pairs. Checks that every
# score agrees and prints the times and speed-ups.
#
#   EVAL_REFERENCE_PATH=/path/to/refs tests/bench/bench_metrics.sh [BUILD_DIR] [WORK_DIR]
#
# EVAL_REFERENCE_PATH holds the reference packages (sacrebleu/, rouge_score/,
# squad_v11_eval.py) fetched as tests/fixtures/eval/README.md describes; they
# run under Debian's /usr/bin/python3 with python3-regex, python3-tabulate,
# python3-numpy, python3-colorama, python3-lxml, python3-portalocker,
# python3-absl, python3-nltk and python3-six.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${1:-$root/build}"
work="${2:-$(mktemp -d /tmp/tb_bench_metrics.XXXXXX)}"
refs="${EVAL_REFERENCE_PATH:?set EVAL_REFERENCE_PATH to the folder holding sacrebleu/ and rouge_score/}"
python=/usr/bin/python3
bench="$build/tests/tb_bench_metrics"
[ -x "$bench" ] || bench="$(find "$build" -name tb_bench_metrics -type f -perm -u+x | head -n1)"
[ -x "$bench" ] || { echo "tb_bench_metrics not built: ninja -C $build tb_bench_metrics" >&2; exit 1; }
mkdir -p "$work/cpp" "$work/py"
input="$work/pairs.jsonl"

# 10,000 pairs from a fixed seed (make_pairs.py says what they hold).
"$python" "$here/make_pairs.py" "$input" --count 10000 --seed 20240611
echo "input: $input ($(wc -l < "$input") pairs)"

"$bench" "$input" "$work/cpp" 3 > "$work/cpp_times.txt"
PYTHONPATH="$refs:${PYTHONPATH:-}" "$python" "$root/tests/fixtures/eval/make_reference.py" bench "$input" "$work/py" > "$work/py_times.txt"

"$python" - "$work" <<'PY'
import json, sys, os
work = sys.argv[1]
def times(name):
    return dict((l.split()[0], float(l.split()[1])) for l in open(os.path.join(work, name)) if l.strip())
cpp, py = times("cpp_times.txt"), times("py_times.txt")
def compare(a, b, path, worst):
    # b is the Python output; only its fields are compared (ours may add some).
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
        d = abs(float(a) - float(b))
        if d > worst[0]:
            worst[0], worst[1] = d, path
    elif a != b:
        raise SystemExit(f"{path}: ours {a!r}, reference {b!r}")
ok = True
print(f"{'config':16} {'C++ s':>9} {'Python s':>9} {'speed-up':>9}  max |diff|")
tc = tp = 0.0
for name in py:
    ours = [json.loads(l) for l in open(os.path.join(work, "cpp", name + ".jsonl"))]
    ref = [json.loads(l) for l in open(os.path.join(work, "py", name + ".jsonl"))]
    worst = [0.0, ""]
    compare(ours, ref, name, worst)
    ok = ok and worst[0] <= 1e-9
    tc += cpp[name]; tp += py[name]
    print(f"{name:16} {cpp[name]:9.4f} {py[name]:9.4f} {py[name] / cpp[name]:8.1f}x  {worst[0]:.3g} {worst[1] if worst[0] else ''}")
print(f"{'total':16} {tc:9.4f} {tp:9.4f} {tp / tc:8.1f}x")
print("scores identical (|diff| <= 1e-9)" if ok else "SCORES DIFFER")
sys.exit(0 if ok else 1)
PY
