#!/usr/bin/env python3
"""PyTorch eager baseline for the training benchmark (Python side).

Usage:
  /usr/bin/python3 tests/bench/bench_train_torch.py MODEL METHOD [--threads 1] [--steps 5] [--warmup 2] [--autocast]
  METHOD: full, lora, adapter, prompt_tuning
  --autocast: forward and loss under torch.autocast("cpu", dtype=torch.bfloat16)
              (PyTorch's bf16 mixed precision; float32 weights, grads and AdamW)

A plain PyTorch eager training loop of GPT-2 (the forward of bench_gpt2_torch.py
as an nn.Module with trainable parameters) with the same configuration as
tb_bench_train (Tunebench's Trainer):
  batch 4 x 128 random token ids, labels = ids, labels[:, 0] = -100, mean
  next-token cross-entropy; torch.optim.AdamW lr 1e-4, betas (0.9, 0.999),
  eps 1e-8, weight decay 0.01 except biases, norms and the soft prompt;
  constant learning rate; gradient clipping at norm 1.0; float32.
  full:          every parameter trains (tied wte / head included)
  lora:          r 8, alpha 16 (scale alpha/r), dropout 0, on c_attn;
                 A [r, in] kaiming_uniform(a=sqrt(5)), B [out, r] zeros
  adapter:       Houlsby bottleneck (64, ReLU) after attention and after the MLP
                 of every block: h + up(relu(down(h))), down/up with bias,
                 down ~ N(0, 0.02), up zero-initialised
  prompt_tuning: 20 virtual tokens (randn * std(wte)) prepended to the input
                 embeddings; loss only on the real tokens
Frozen parameters have requires_grad False.

tokens_per_s = input tokens of the measured steps (after --warmup steps) / their
wall time (tokens_per_cpu_s: / their process CPU time); peak_rss_mb = VmHWM at the end (one method per process);
load_peak_rss_mb = VmHWM right after reading the weights. Prints one JSON line.
"""
import argparse
import json
import math
import os
import statistics
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_gpt2_torch import read_safetensors as read_safetensors_any  # noqa: E402


def vm_kb(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return float(line.split()[1])
    return 0.0


def read_safetensors_f32(path):
    """F32 files straight into torch tensors (one copy, no memmap), so the load
    peak is the weights themselves; other dtypes through bench_gpt2_torch."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        if any(v["dtype"] != "F32" for k, v in header.items() if k != "__metadata__"):
            return read_safetensors_any(path)
        out = {}
        for name, info in sorted(((k, v) for k, v in header.items() if k != "__metadata__"),
                                 key=lambda kv: kv[1]["data_offsets"][0]):
            b, e = info["data_offsets"]
            t = torch.empty(info["shape"], dtype=torch.float32)
            f.seek(8 + n + b)
            view = memoryview(t.numpy()).cast("B")
            assert f.readinto(view) == e - b
            out[name] = t
        return out


class Conv1D(nn.Module):
    """GPT-2's linear layer, weight [in, out]; optional LoRA."""

    def __init__(self, w, b):
        super().__init__()
        self.weight = nn.Parameter(w)
        self.bias = nn.Parameter(b)
        self.lora_A = self.lora_B = None

    def enable_lora(self, r, alpha):
        fan_in, fan_out = self.weight.shape
        a = torch.empty(r, fan_in)
        nn.init.kaiming_uniform_(a, a=math.sqrt(5))
        self.lora_A = nn.Parameter(a)
        self.lora_B = nn.Parameter(torch.zeros(fan_out, r))
        self.scale = alpha / r

    def forward(self, x):
        y = torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight).view(*x.shape[:-1], -1)
        if self.lora_A is not None:
            y = y + F.linear(F.linear(x, self.lora_A), self.lora_B) * self.scale
        return y


class Bottleneck(nn.Module):
    def __init__(self, dim, size):
        super().__init__()
        self.down = nn.Linear(dim, size)
        self.up = nn.Linear(size, dim)
        with torch.no_grad():
            self.down.weight.normal_(0.0, 0.02)
            self.down.bias.zero_()
            self.up.weight.zero_()
            self.up.bias.zero_()

    def forward(self, h):
        return h + self.up(torch.relu(self.down(h)))


class Block(nn.Module):
    def __init__(self, W, q, cfg):
        super().__init__()
        self.E, self.H = cfg["n_embd"], cfg["n_head"]
        self.hd = self.E // self.H
        self.eps = cfg.get("layer_norm_epsilon", 1e-5)
        self.ln_1 = nn.LayerNorm(self.E, eps=self.eps)
        self.ln_2 = nn.LayerNorm(self.E, eps=self.eps)
        with torch.no_grad():
            for ln, k in ((self.ln_1, "ln_1"), (self.ln_2, "ln_2")):
                ln.weight.copy_(W[q + k + ".weight"])
                ln.bias.copy_(W[q + k + ".bias"])
        self.c_attn = Conv1D(W[q + "attn.c_attn.weight"], W[q + "attn.c_attn.bias"])
        self.attn_proj = Conv1D(W[q + "attn.c_proj.weight"], W[q + "attn.c_proj.bias"])
        self.c_fc = Conv1D(W[q + "mlp.c_fc.weight"], W[q + "mlp.c_fc.bias"])
        self.mlp_proj = Conv1D(W[q + "mlp.c_proj.weight"], W[q + "mlp.c_proj.bias"])
        self.attn_adapter = self.mlp_adapter = None

    def forward(self, x, mask):
        B, T, E = x.shape
        qkv = self.c_attn(self.ln_1(x))
        q, k, v = qkv.split(E, dim=2)
        q = q.view(B, T, self.H, self.hd).transpose(1, 2)
        k = k.view(B, T, self.H, self.hd).transpose(1, 2)
        v = v.view(B, T, self.H, self.hd).transpose(1, 2)
        att = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(self.hd))
        att = att.masked_fill(~mask, torch.finfo(att.dtype).min).softmax(-1)
        a = self.attn_proj((att @ v).transpose(1, 2).reshape(B, T, E))
        x = x + (self.attn_adapter(a) if self.attn_adapter is not None else a)
        m = self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))
        return x + (self.mlp_adapter(m) if self.mlp_adapter is not None else m)


class GPT2(nn.Module):
    def __init__(self, W, cfg):
        super().__init__()
        p = "transformer." if "transformer.wte.weight" in W else ""
        self.E = cfg["n_embd"]
        self.wte = nn.Parameter(W[p + "wte.weight"])  # tied head
        self.wpe = nn.Parameter(W[p + "wpe.weight"])
        self.h = nn.ModuleList(Block(W, f"{p}h.{l}.", cfg) for l in range(cfg["n_layer"]))
        self.ln_f = nn.LayerNorm(self.E, eps=cfg.get("layer_norm_epsilon", 1e-5))
        with torch.no_grad():
            self.ln_f.weight.copy_(W[p + "ln_f.weight"])
            self.ln_f.bias.copy_(W[p + "ln_f.bias"])
        self.prompt = None

    def forward(self, ids):
        B, T = ids.shape
        x = F.embedding(ids, self.wte)
        P = 0
        if self.prompt is not None:
            P = self.prompt.shape[0]
            x = torch.cat((self.prompt.unsqueeze(0).expand(B, P, self.E), x), dim=1)
        S = P + T
        x = x + self.wpe[:S]
        mask = torch.ones(S, S, dtype=torch.bool).tril()
        for blk in self.h:
            x = blk(x, mask)
        logits = self.ln_f(x) @ self.wte.t()
        return logits[:, P:] if P else logits


def apply_method(model, method):
    for prm in model.parameters():
        prm.requires_grad_(method == "full")
    if method == "lora":
        for blk in model.h:
            blk.c_attn.enable_lora(8, 16.0)
    elif method == "adapter":
        for blk in model.h:
            blk.attn_adapter = Bottleneck(model.E, 64)
            blk.mlp_adapter = Bottleneck(model.E, 64)
    elif method == "prompt_tuning":
        with torch.no_grad():
            std = model.wte.std().item()
        model.prompt = nn.Parameter(torch.randn(20, model.E) * std)
    elif method != "full":
        raise SystemExit(f"unknown method {method!r}")
    named = [(n, q) for n, q in model.named_parameters() if q.requires_grad]
    return named


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("method", choices=["full", "lora", "adapter", "prompt_tuning"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--T", type=int, default=128)
    ap.add_argument("--autocast", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)

    st = os.path.join(a.model, "model.safetensors")
    cfg = json.load(open(os.path.join(a.model, "config.json")))
    W = read_safetensors_f32(st)
    model = GPT2(W, cfg)
    del W
    load_hwm = vm_kb("VmHWM") / 1024
    named = apply_method(model, a.method)
    trainable = sum(q.numel() for _, q in named)
    total = sum(q.numel() for q in model.parameters())

    decay = [q for n, q in named if q.dim() >= 2 and n != "prompt"]
    no_decay = [q for n, q in named if not (q.dim() >= 2 and n != "prompt")]
    groups = [g for g in ({"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0})
              if g["params"]]
    opt = torch.optim.AdamW(groups, lr=1e-4, betas=(0.9, 0.999), eps=1e-8)
    params = [q for _, q in named]

    V = cfg["vocab_size"]
    g = torch.Generator().manual_seed(0)
    model.train()
    times, cpu_times, losses = [], [], []
    t_start = time.perf_counter()
    for step in range(a.warmup + a.steps):
        ids = torch.randint(0, V, (a.batch, a.T), generator=g)
        labels = ids.clone()
        labels[:, 0] = -100
        t0, c0 = time.perf_counter(), time.process_time()
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.autocast):
            logits = model(ids)
            loss = F.cross_entropy(logits[:, :-1].reshape(-1, V), labels[:, 1:].reshape(-1), ignore_index=-100)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        losses.append(loss.item())
        times.append(time.perf_counter() - t0)
        cpu_times.append(time.process_time() - c0)
    wall = time.perf_counter() - t_start
    measured = times[a.warmup:]
    print(json.dumps({
        "impl": "pytorch-eager",
        "method": a.method,
        "threads": a.threads,
        "precision": "bf16" if a.autocast else "f32",
        "batch": a.batch, "seq": a.T,
        "warmup_steps": a.warmup, "steps": a.steps,
        "tokens_per_s": round(a.batch * a.T * len(measured) / sum(measured), 2),
        "tokens_per_cpu_s": round(a.batch * a.T * len(measured) / sum(cpu_times[a.warmup:]), 2),
        "step_ms_median": round(statistics.median(measured) * 1e3, 1),
        "peak_rss_mb": round(vm_kb("VmHWM") / 1024),
        "load_peak_rss_mb": round(load_hwm),
        "trainable_params": trainable,
        "total_params": total,
        "first_loss": losses[0],
        "final_loss": losses[-1],
        "torch": torch.__version__,
        "wall_s": round(wall, 1),
    }))


if __name__ == "__main__":
    main()
