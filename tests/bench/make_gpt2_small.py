#!/usr/bin/env python3
"""Write a random-weights GPT-2-small-shaped model folder for benchmarking.

Usage: /usr/bin/python3 tests/bench/make_gpt2_small.py OUT_DIR [--layers 12 --heads 12 --embd 768 --vocab 50257 --positions 1024]

Writes OUT_DIR/config.json (HF GPT2 keys) and OUT_DIR/model.safetensors (F32,
keys with the `transformer.` prefix, Conv1D [in, out] layout, tied lm_head, so
no lm_head.weight). Init: normal(0, 0.02) for weights, zeros for biases, ones
for LayerNorm weights; seed 0. The default shape has 124,439,808 parameters
(~498 MB): write it outside the repository (e.g. /tmp/gpt2_small).
Needs only torch + numpy.
"""
import argparse
import json
import os
import struct

import numpy as np
import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--layers", type=int, default=12)
    ap.add_argument("--heads", type=int, default=12)
    ap.add_argument("--embd", type=int, default=768)
    ap.add_argument("--vocab", type=int, default=50257)
    ap.add_argument("--positions", type=int, default=1024)
    a = ap.parse_args()
    E, L, V, P = a.embd, a.layers, a.vocab, a.positions
    g = torch.Generator().manual_seed(0)

    def normal(*shape):
        return (torch.randn(*shape, generator=g) * 0.02).numpy()

    T = [("transformer.wte.weight", normal(V, E)), ("transformer.wpe.weight", normal(P, E))]
    for l in range(L):
        p = f"transformer.h.{l}."
        T += [
            (p + "ln_1.weight", np.ones(E, np.float32)), (p + "ln_1.bias", np.zeros(E, np.float32)),
            (p + "attn.c_attn.weight", normal(E, 3 * E)), (p + "attn.c_attn.bias", np.zeros(3 * E, np.float32)),
            (p + "attn.c_proj.weight", normal(E, E)), (p + "attn.c_proj.bias", np.zeros(E, np.float32)),
            (p + "ln_2.weight", np.ones(E, np.float32)), (p + "ln_2.bias", np.zeros(E, np.float32)),
            (p + "mlp.c_fc.weight", normal(E, 4 * E)), (p + "mlp.c_fc.bias", np.zeros(4 * E, np.float32)),
            (p + "mlp.c_proj.weight", normal(4 * E, E)), (p + "mlp.c_proj.bias", np.zeros(E, np.float32)),
        ]
    T += [("transformer.ln_f.weight", np.ones(E, np.float32)), ("transformer.ln_f.bias", np.zeros(E, np.float32))]

    header, off = {}, 0
    for n, t in T:
        nb = t.size * 4
        header[n] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + nb]}
        off += nb
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for _, t in T:
            f.write(np.ascontiguousarray(t, dtype="<f4").tobytes())
    cfg = {
        "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2",
        "vocab_size": V, "n_positions": P, "n_ctx": P, "n_embd": E, "n_layer": L, "n_head": a.heads,
        "n_inner": None, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-05,
        "resid_pdrop": 0.1, "embd_pdrop": 0.1, "attn_pdrop": 0.1, "initializer_range": 0.02,
        "scale_attn_weights": True, "tie_word_embeddings": True, "use_cache": True,
        "bos_token_id": 50256, "eos_token_id": 50256, "torch_dtype": "float32",
    }
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    n_params = sum(t.size for _, t in T)
    print(json.dumps({"out": a.out, "parameters": int(n_params), "bytes": 8 + len(h) + off}))


if __name__ == "__main__":
    main()
