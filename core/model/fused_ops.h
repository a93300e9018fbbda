#pragma once
// Training-time fused operations with hand-written backward passes. They keep
// fewer tensors for the backward pass than the chains of ATen operations they
// replace, and do the elementwise parts in one loop each:
//
//  - swiglu(gate, up) = silu(gate) * up keeps gate and up only (the chain also
//    keeps silu(gate));
//  - attention(q, k, v, mask, scale) = softmax(q·kᵀ·scale + mask)·v keeps the
//    probabilities once, in the compute dtype (bf16 under mixed precision),
//    where the chain keeps them in f32 for softmax and again in bf16 for the
//    product with v.
//
// Both honour autocast: under bf16 mixed precision the products run in bf16
// and the softmax in f32, as autocast would run the chain. Results equal the
// chains' within rounding (tst_fused_ops compares values and gradients).
// Heavy header (LibTorch): include it only where tensors are computed.
// Qt's moc follows includes, and LibTorch's take it ~9 s a file for nothing it needs.
#ifndef Q_MOC_RUN
#include <torch/types.h>
#endif

namespace tb::model {

// silu(gate) * up, elementwise; gate and up have the same shape.
torch::Tensor swiglu(const torch::Tensor& gate, const torch::Tensor& up);

// q [B, Hkv, G·T, hd] (G query heads per key head, stacked along rows),
// k and v [B, Hkv, S, hd], mask additive and broadcastable to
// [B, Hkv, G, T, S] (or undefined). Returns [B, Hkv, G·T, hd].
torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                        const torch::Tensor& mask, double scale);

} // namespace tb::model
