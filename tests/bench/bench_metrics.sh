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

# 10,000 pairs from a fixed seed: mixed-case words, punctuation, numbers with
# separators, accents, CJK and emoji; 1-3 references; one in ten multi-line;
# hypotheses are edited references (drops, substitutions, swaps, case flips).
"$python" - "$input" <<'PY'
import json, random, sys
rng = random.Random(20240611)
words = ("the a an of to and in is was for on that with as by at from it this be are were "
         "model training data loss rate learning token tokens batch layer attention weights "
         "running runner quickly generously decorated happily singing translation evaluation "
         "cat dog mouse fox jumps lazy brown quick over under river bank money market price "
         "café naïve résumé Straße größer Übung déjà vu niño año 東京 日本語 首都 学习 🍕 😀 "
         "New York Paris Berlin U.S. Dr. Mr. e.g. state-of-the-art well-known 3-4 10:30").split()
numbers = ["1,234.56", "3.5%", "2019", "1.000", "42", "$12", "0.001", "10,5", "7"]
puncts = [",", ".", "!", "?", ";", ":", "...", "'s", "\"", "(", ")", "-", "/"]
def sentence(n):
    out = []
    for _ in range(n):
        r = rng.random()
        tok = rng.choice(numbers) if r < 0.08 else rng.choice(words)
        if rng.random() < 0.1:
            tok = tok.capitalize()
        if rng.random() < 0.12:
            tok += rng.choice(puncts)
        out.append(tok)
    if rng.random() < 0.1 and n > 6:
        cut = rng.randrange(2, n - 2)
        return " ".join(out[:cut]) + ".\n" + " ".join(out[cut:]) + "."
    return " ".join(out) + rng.choice([".", "!", "?", ""])
def edit(text):
    toks = text.split(" ")
    out = []
    for t in toks:
        r = rng.random()
        if r < 0.08:
            continue
        if r < 0.18:
            t = rng.choice(words)
        elif r < 0.21:
            t = t.upper()
        out.append(t)
    for _ in range(len(out) // 10):
        i = rng.randrange(len(out) - 1) if len(out) > 1 else 0
        if len(out) > 1:
            out[i], out[i + 1] = out[i + 1], out[i]
    return " ".join(out)
with open(sys.argv[1], "w", encoding="utf-8") as f:
    for i in range(10000):
        base = sentence(rng.randint(3, 40))
        refs = [base] + [edit(base) for _ in range(rng.choice([0, 0, 1, 2]))]
        hyp = "" if rng.random() < 0.005 else edit(base)
        f.write(json.dumps({"id": i, "hyp": hyp, "refs": refs}, ensure_ascii=False) + "\n")
PY
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
