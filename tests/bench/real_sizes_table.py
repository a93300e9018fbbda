#!/usr/bin/env python3
"""Markdown tables for run_real_sizes.sh's JSON lines (BENCHMARKS.md section 8).

Usage: /usr/bin/python3 tests/bench/real_sizes_table.py RESULTS.jsonl [BEFORE.jsonl]
With BEFORE, the Tunebench rows are shown as before -> after.
"""
import json
import sys

METHODS = ["full", "lora", "adapter", "prompt_tuning"]


def rows(path):
    out = []
    for line in open(path):
        line = line.strip()
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


def key(r):
    return (r.get("model", "gpt2_small"), r["method"], r.get("precision", "f32"), r.get("checkpointing", "false"),
            r.get("batch"), r.get("seq"))


def main():
    now = rows(sys.argv[1])
    before = {key(r): r for r in rows(sys.argv[2]) if r["impl"] == "tunebench"} if len(sys.argv) > 2 else {}
    for r in now:
        if r.get("what") == "baseline":
            print(f"bare process (LibTorch runtime + code, {r['threads']} thread): VmHWM {r['peak_rss_mb']:.0f} MB\n")
    pt = {(r["method"], r.get("precision", "f32")): r for r in now if r["impl"] == "pytorch-eager"}
    tb = [r for r in now if r["impl"] == "tunebench" and r.get("what") != "baseline"]
    gpt2 = [r for r in tb if r.get("model", "gpt2_small") == "gpt2_small"]
    if gpt2:
        # Throughput per CPU-second of the measured steps (1 thread: the compute itself, robust when other
        # programs share the cores), wall-clock tokens/s in brackets.
        def tok(r):
            return f"{r.get('tokens_per_cpu_s', r['tokens_per_s']):.1f} ({r['tokens_per_s']:.1f})"

        def cpu(r):
            return r.get("tokens_per_cpu_s", r["tokens_per_s"])

        print("| precision | method | tok/CPU-s (tok/s) PyTorch | tok/CPU-s (tok/s) Tunebench | TB/PT "
              "| peak MB PyTorch | peak MB Tunebench | estimate MB | estimate error |")
        print("|---|---|---|---|---|---|---|---|---|")
        for r in sorted(gpt2, key=lambda r: (r["precision"], METHODS.index(r["method"]))):
            p = pt.get((r["method"], r["precision"]))
            b = before.get(key(r))
            t = f"{tok(b)} -> {tok(r)}" if b else tok(r)
            peak = f"{b['peak_rss_mb']:.0f} -> {r['peak_rss_mb']:.0f}" if b else f"{r['peak_rss_mb']:.0f}"
            ratio = (f"{cpu(b) / cpu(p):.2f} -> " if b and p else "") + (f"{cpu(r) / cpu(p):.2f}" if p else "-")
            print(f"| {r['precision']} | {r['method']} | {tok(p) if p else '-'} | {t} | {ratio} "
                  f"| {p['peak_rss_mb'] if p else '-'} | {peak} | {r['estimate_mb']:.0f} "
                  f"| {r['estimate_error_pct']:+.1f}% |")
        print()
    big = [r for r in tb if r.get("model", "gpt2_small") != "gpt2_small"]
    if big:
        print("| model | method | precision | checkpointing | B x T | steps (warm-up) | tok/s | step s "
              "| load peak MB | peak MB | peak / file | estimate MB | estimate error |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in big:
            b = before.get(key(r))
            peak = f"{b['peak_rss_mb']:.0f} -> {r['peak_rss_mb']:.0f}" if b else f"{r['peak_rss_mb']:.0f}"
            print(f"| {r['model']} | {r['method']} r{r.get('lora_rank', 0)} | {r['precision']} | {r['checkpointing']} "
                  f"| {r['batch']} x {r['seq']} | {r['steps']} ({r['warmup_steps']}) | {r['tokens_per_s']:.1f} "
                  f"| {r['step_ms_median'] / 1000:.0f} | {r['load_peak_rss_mb']:.0f} | {peak} "
                  f"| {r['peak_rss_mb'] * 2**20 / r['model_bytes']:.2f} | {r['estimate_mb']:.0f} "
                  f"| {r['estimate_error_pct']:+.1f}% |")


if __name__ == "__main__":
    main()
