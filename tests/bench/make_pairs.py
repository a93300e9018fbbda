#!/usr/bin/env python3
"""Sentence pairs for the metric benchmarks, from a fixed seed (Python's random
module, no reference code): JSONL lines {"id", "hyp", "refs": [...]}.

  make_pairs.py OUT [--count N] [--seed S]

Mixed-case words, punctuation, numbers with separators, accents, CJK and
emoji; 1-3 references; one in ten multi-line; hypotheses are edited
references (drops, substitutions, swaps, case flips); one in 200 empty.
"""
import argparse
import json
import random

rng = random.Random()
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
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=20240611)
    args = ap.parse_args()
    rng.seed(args.seed)
    with open(args.out, "w", encoding="utf-8") as f:
        for i in range(args.count):
            base = sentence(rng.randint(3, 40))
            refs = [base] + [edit(base) for _ in range(rng.choice([0, 0, 1, 2]))]
            hyp = "" if rng.random() < 0.005 else edit(base)
            f.write(json.dumps({"id": i, "hyp": hyp, "refs": refs}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
