#!/usr/bin/env python3
"""Write a random-weights BF16 Llama/Qwen2-shaped model folder for the
real-size benchmarks (issue 13).

Usage: /usr/bin/python3 tests/bench/make_llama_model.py OUT_DIR {qwen2.5-0.5b|llama-3.2-3b}
       [--layers N]   (fewer layers for a quick check; the shape of each layer is unchanged)

Writes OUT_DIR/config.json (Hugging Face Qwen2Config / LlamaConfig keys) and
OUT_DIR/model.safetensors (BF16, Hugging Face names: model.embed_tokens,
model.layers.N.{input_layernorm, self_attn.{q,k,v,o}_proj, post_attention_layernorm,
mlp.{gate,up,down}_proj}, model.norm; tied embeddings (no lm_head.weight) but for 8B).
Init: normal(0, 0.02) for matrices, zeros for biases, ones for RMSNorm weights;
seed 0. The file is written one tensor at a time, so this script needs about
one layer of memory, not the whole model. No tokenizer: the benchmarks use
random token ids. Needs only torch + numpy (Debian python3-torch).

  qwen2.5-0.5b: hidden 896, 24 layers, 14 heads, 2 KV heads, MLP 4864,
                vocab 151936, q/k/v bias, rope theta 1e6: 494,032,768 parameters (0.99 GB)
  llama-3.2-3b: hidden 3072, 28 layers, 24 heads, 8 KV heads, MLP 8192,
                vocab 128256, rope theta 5e5 (llama3 scaling 32): 3,212,749,824 parameters (6.4 GB)
  llama-3.1-8b: hidden 4096, 32 layers, 32 heads, 8 KV heads, MLP 14336, vocab 128256,
                untied lm_head: 8,030,261,248 parameters (16 GB; --header-only for the estimate)
"""
import argparse
import json
import os
import struct

import numpy as np
import torch

SHAPES = {
    "qwen2.5-0.5b": dict(model_type="qwen2", arch="Qwen2ForCausalLM", hidden=896, layers=24, heads=14, kv=2,
                         inter=4864, vocab=151936, bias=True, theta=1000000.0, eps=1e-6, positions=32768,
                         bos=151643, eos=151643),
    "llama-3.2-3b": dict(model_type="llama", arch="LlamaForCausalLM", hidden=3072, layers=28, heads=24, kv=8,
                         inter=8192, vocab=128256, bias=False, theta=500000.0, eps=1e-5, positions=131072,
                         bos=128000, eos=128001, rope_factor=32.0),
    "llama-3.1-8b": dict(model_type="llama", arch="LlamaForCausalLM", hidden=4096, layers=32, heads=32, kv=8,
                         inter=14336, vocab=128256, bias=False, theta=500000.0, eps=1e-5, positions=131072,
                         bos=128000, eos=128001, rope_factor=8.0, tied=False),
}


def tensor_list(s):
    """(name, shape, kind) in file order; kind: normal, zeros, ones."""
    d, hd = s["hidden"], s["hidden"] // s["heads"]
    q, kv, f = s["heads"] * hd, s["kv"] * hd, s["inter"]
    out = [("model.embed_tokens.weight", (s["vocab"], d), "normal")]
    for l in range(s["layers"]):
        p = f"model.layers.{l}."
        out.append((p + "input_layernorm.weight", (d,), "ones"))
        for name, rows in (("q_proj", q), ("k_proj", kv), ("v_proj", kv)):
            out.append((p + f"self_attn.{name}.weight", (rows, d), "normal"))
            if s["bias"]:
                out.append((p + f"self_attn.{name}.bias", (rows,), "zeros"))
        out.append((p + "self_attn.o_proj.weight", (d, q), "normal"))
        out.append((p + "post_attention_layernorm.weight", (d,), "ones"))
        out.append((p + "mlp.gate_proj.weight", (f, d), "normal"))
        out.append((p + "mlp.up_proj.weight", (f, d), "normal"))
        out.append((p + "mlp.down_proj.weight", (d, f), "normal"))
    out.append(("model.norm.weight", (d,), "ones"))
    if not s.get("tied", True):
        out.append(("lm_head.weight", (s["vocab"], d), "normal"))
    return out


def bf16_bytes(shape, kind, g):
    if kind == "normal":
        t = torch.randn(*shape, generator=g) * 0.02
    elif kind == "zeros":
        t = torch.zeros(*shape)
    else:
        t = torch.ones(*shape)
    return t.to(torch.bfloat16).view(torch.int16).numpy().astype("<i2").tobytes()


def config_json(s, name):
    cfg = {
        "architectures": [s["arch"]], "model_type": s["model_type"],
        "vocab_size": s["vocab"], "hidden_size": s["hidden"], "num_hidden_layers": s["layers"],
        "num_attention_heads": s["heads"], "num_key_value_heads": s["kv"], "intermediate_size": s["inter"],
        "max_position_embeddings": s["positions"], "rms_norm_eps": s["eps"], "rope_theta": s["theta"],
        "hidden_act": "silu", "tie_word_embeddings": s.get("tied", True), "initializer_range": 0.02,
        "attention_dropout": 0.0, "use_cache": True, "torch_dtype": "bfloat16",
        "bos_token_id": s["bos"], "eos_token_id": s["eos"],
        "_tunebench_note": f"random weights shaped like {name} (tests/bench/make_llama_model.py)",
    }
    if s["model_type"] == "qwen2":
        cfg.update({"use_sliding_window": False, "sliding_window": 32768, "max_window_layers": 21})
    else:
        cfg.update({"attention_bias": False, "mlp_bias": False, "head_dim": s["hidden"] // s["heads"],
                    "rope_scaling": {"rope_type": "llama3", "factor": s["rope_factor"], "low_freq_factor": 1.0,
                                     "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}})
    return cfg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("shape", choices=sorted(SHAPES))
    ap.add_argument("--layers", type=int, default=0)
    ap.add_argument("--header-only", action="store_true",
                    help="a sparse file with the real header and no data (for train::estimate, not for loading)")
    a = ap.parse_args()
    s = dict(SHAPES[a.shape])
    if a.layers:
        s["layers"] = a.layers
    T = tensor_list(s)
    header, off = {}, 0
    for n, shape, _ in T:
        nb = int(np.prod(shape)) * 2
        header[n] = {"dtype": "BF16", "shape": list(shape), "data_offsets": [off, off + nb]}
        off += nb
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    os.makedirs(a.out, exist_ok=True)
    g = torch.Generator().manual_seed(0)
    tmp = os.path.join(a.out, "model.safetensors.part")
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        if a.header_only:
            f.truncate(8 + len(h) + off)
        else:
            for _, shape, kind in T:
                f.write(bf16_bytes(shape, kind, g))
    os.replace(tmp, os.path.join(a.out, "model.safetensors"))
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(config_json(s, a.shape), f, indent=2)
        f.write("\n")
    n_params = sum(int(np.prod(shape)) for _, shape, _ in T)
    print(json.dumps({"out": a.out, "shape": a.shape, "layers": s["layers"], "parameters": n_params,
                      "bytes": 8 + len(h) + off}))


if __name__ == "__main__":
    main()
