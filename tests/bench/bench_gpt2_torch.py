#!/usr/bin/env python3
"""PyTorch eager baseline for the GPT-2 benchmark (Python side).

Usage:
  /usr/bin/python3 tests/bench/bench_gpt2_torch.py MODEL [--threads 2] [--runs 10] [--warmup 2]
                                                  [--T 128] [--prompt 16] [--new 64]

MODEL is a folder with config.json + model.safetensors (or the .safetensors
file itself, with config.json beside it; without a config the GPT-2-small
shape is assumed). HF GPT2 layout, keys with or without the `transformer.`
prefix, tied lm_head. F32/F16/BF16 weights are converted to fp32.

Measures, in fp32 eager mode under torch.no_grad():
  forward_ms_T128: median latency of one full forward of a 128-token sequence
                   (batch 1, logits for all positions) over --runs runs after --warmup
  generate_tok_s:  greedy generation of --new tokens after a --prompt-token prompt
                   with a KV cache (past keys/values concatenated each step);
                   tokens/s = new tokens / wall time of prefill + all decode steps
                   (best of 3 runs after one warm-up run)
Prints one JSON line.

--check-fixture DIR runs the same code on a tiny fixture folder
(tests/fixtures/models/gpt2_*) and compares against its expected.json.
"""
import argparse
import json
import math
import os
import statistics
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

_DT = {"F32": np.float32, "F16": np.float16}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    mm = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n)
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        raw = mm[b:e]
        if info["dtype"] == "BF16":
            u = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            arr = u.view(np.float32)
        else:
            arr = np.frombuffer(raw, dtype=np.dtype(_DT[info["dtype"]]).newbyteorder("<")).astype(np.float32)
        out[name] = torch.from_numpy(np.array(arr).reshape(info["shape"]))
    return out


class GPT2:
    def __init__(self, W, cfg):
        p = "transformer." if "transformer.wte.weight" in W else ""
        self.E, self.H, self.L = cfg["n_embd"], cfg["n_head"], cfg["n_layer"]
        self.hd = self.E // self.H
        self.eps = cfg.get("layer_norm_epsilon", 1e-5)
        self.wte, self.wpe = W[p + "wte.weight"], W[p + "wpe.weight"]
        self.lnf = (W[p + "ln_f.weight"], W[p + "ln_f.bias"])
        self.blocks = []
        for l in range(self.L):
            q = f"{p}h.{l}."
            self.blocks.append({k: W[q + k] for k in (
                "ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias",
                "attn.c_proj.weight", "attn.c_proj.bias", "ln_2.weight", "ln_2.bias",
                "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias")})

    def forward(self, ids, past=None):
        """ids: LongTensor [B, T]; past: list of (k, v) [B, H, S, hd] or None.
        Returns logits [B, T, V] and the new past."""
        B, T = ids.shape
        S = 0 if past is None else past[0][0].shape[2]
        pos = torch.arange(S, S + T)
        x = self.wte[ids] + self.wpe[pos]
        new_past = []
        mask = torch.ones(T, S + T, dtype=torch.bool).tril(S)  # query i sees keys <= S+i
        for l, w in enumerate(self.blocks):
            a = F.layer_norm(x, (self.E,), w["ln_1.weight"], w["ln_1.bias"], self.eps)
            qkv = torch.addmm(w["attn.c_attn.bias"], a.view(-1, self.E), w["attn.c_attn.weight"]).view(B, T, 3 * self.E)
            q, k, v = qkv.split(self.E, dim=2)
            q = q.view(B, T, self.H, self.hd).transpose(1, 2)
            k = k.view(B, T, self.H, self.hd).transpose(1, 2)
            v = v.view(B, T, self.H, self.hd).transpose(1, 2)
            if past is not None:
                k = torch.cat((past[l][0], k), dim=2)
                v = torch.cat((past[l][1], v), dim=2)
            new_past.append((k, v))
            att = (q @ k.transpose(-1, -2)) / math.sqrt(self.hd)
            att = att.masked_fill(~mask, torch.finfo(att.dtype).min).softmax(-1)
            o = (att @ v).transpose(1, 2).reshape(B * T, self.E)
            x = x + torch.addmm(w["attn.c_proj.bias"], o, w["attn.c_proj.weight"]).view(B, T, self.E)
            m = F.layer_norm(x, (self.E,), w["ln_2.weight"], w["ln_2.bias"], self.eps)
            m = torch.addmm(w["mlp.c_fc.bias"], m.view(-1, self.E), w["mlp.c_fc.weight"])
            m = F.gelu(m, approximate="tanh")  # == gelu_new
            x = x + torch.addmm(w["mlp.c_proj.bias"], m, w["mlp.c_proj.weight"]).view(B, T, self.E)
        x = F.layer_norm(x, (self.E,), self.lnf[0], self.lnf[1], self.eps)
        return x @ self.wte.T, new_past

    def generate(self, prompt, n_new):
        ids = torch.tensor([prompt])
        logits, past = self.forward(ids)
        out = []
        for i in range(n_new):
            nxt = int(torch.argmax(logits[0, -1]))  # first index of the max
            out.append(nxt)
            if i + 1 == n_new:
                break
            logits, past = self.forward(torch.tensor([[nxt]]), past)
        return out


def load(path):
    d = path if os.path.isdir(path) else os.path.dirname(path)
    st = os.path.join(path, "model.safetensors") if os.path.isdir(path) else path
    cfg_path = os.path.join(d, "config.json")
    cfg = json.load(open(cfg_path)) if os.path.exists(cfg_path) else \
        {"n_embd": 768, "n_head": 12, "n_layer": 12, "vocab_size": 50257, "n_positions": 1024}
    return GPT2(read_safetensors(st), cfg), cfg


def check_fixture(d):
    model, cfg = load(d)
    exp = json.load(open(os.path.join(d, "expected.json")))
    worst = 0.0
    with torch.no_grad():
        for c in exp["cases"]:
            lg, _ = model.forward(torch.tensor([c["ids"]]))
            worst = max(worst, (lg[0] - torch.tensor(c["logits"])).abs().max().item())
        same = all(model.generate(g["prompt_ids"], g["max_new_tokens"]) == g["new_ids"] for g in exp["greedy"])
    print(json.dumps({"fixture": d, "max_abs_logit_diff": worst, "greedy_kv_cache_matches": same}))
    return worst < 1e-4 and same


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model", nargs="?")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--T", type=int, default=128)
    ap.add_argument("--prompt", type=int, default=16)
    ap.add_argument("--new", type=int, default=64)
    ap.add_argument("--check-fixture", metavar="DIR")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.check_fixture:
        sys.exit(0 if check_fixture(a.check_fixture) else 1)
    if not a.model:
        ap.error("MODEL is required")
    model, cfg = load(a.model)
    V = cfg["vocab_size"]
    g = torch.Generator().manual_seed(0)
    seq = torch.randint(0, V, (1, a.T), generator=g)
    prompt = torch.randint(0, V, (a.prompt,), generator=g).tolist()
    with torch.no_grad():
        for _ in range(a.warmup):
            model.forward(seq)
        times = []
        for _ in range(a.runs):
            t0 = time.perf_counter()
            model.forward(seq)
            times.append(time.perf_counter() - t0)
        model.generate(prompt, a.new)  # warm-up
        gen = []
        for _ in range(3):
            t0 = time.perf_counter()
            model.generate(prompt, a.new)
            gen.append(time.perf_counter() - t0)
    print(json.dumps({
        "impl": "pytorch-eager",
        "forward_ms_T%d" % a.T: round(statistics.median(times) * 1e3, 2),
        "generate_tok_s": round(a.new / min(gen), 2),
        "threads": a.threads,
        "torch": torch.__version__,
        "prompt_tokens": a.prompt, "new_tokens": a.new, "forward_runs": a.runs,
    }))


if __name__ == "__main__":
    main()
