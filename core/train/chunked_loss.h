#pragma once
// Next-token cross-entropy straight from the final hidden states and the
// output head's weight, a chunk of rows at a time, so the full-vocabulary
// logits of a batch are never all materialised (nor their gradient): per chunk
// logits = h_chunk · Wᵀ in the compute dtype (bf16 under autocast, else the
// promoted input dtype), log-softmax in f32, and, when gradients are needed,
// d loss / d h and d loss / d W at once (the Liger-kernel scheme: no logits are
// kept for backward). Rows whose label is -100 are skipped, not computed.
// Heavy header (LibTorch).
// Qt's moc follows includes, and LibTorch's take it ~9 s a file for nothing it needs.
#ifndef Q_MOC_RUN
#include <torch/torch.h>
#endif

#include "model/causal_lm.h"

#include <cstdint>
#include <utility>

namespace tb::train {

// Bytes of f32 logits one chunk may take; rows per chunk follow from the
// vocabulary. The loss holds two such buffers (f32 logits, log-softmax and
// its gradient), plus a bf16 one under bf16: 2x (2.5x) this at most, on top
// of the gradient w.r.t. the hidden states (and the head, when it trains).
inline constexpr int64_t kChunkedLossBytes = int64_t(64) << 20;
// Rows per chunk for a vocabulary: kChunkedLossBytes / (4 · vocab), in [16, 4096].
int64_t chunkedLossRows(int64_t vocab);

// The chunk buffers, kept by a caller that computes the loss every step so
// they are allocated (and their pages touched) once, not per call.
struct LossWorkspace {
    torch::Tensor logits, logp, low;
};

// Σ over rows of cross_entropy(hidden[i] · weightᵀ, targets[i]), rows with
// target -100 left out (0 for none). hidden [N, C], weight [V, C], targets
// [N] int64. Differentiable w.r.t. hidden and weight (when they require grad);
// the gradients are computed in this call, so backward is a scaling. A graph
// through it can be backpropagated once. chunkRows <= 0: chunkedLossRows(V).
torch::Tensor chunkedCrossEntropySum(const torch::Tensor& hidden, const torch::Tensor& weight,
                                     const torch::Tensor& targets, int64_t chunkRows = 0,
                                     LossWorkspace* workspace = nullptr);

// Per-row losses [N] (0 where the target is -100), no gradient.
torch::Tensor chunkedCrossEntropyRows(const torch::Tensor& hidden, const torch::Tensor& weight,
                                      const torch::Tensor& targets, int64_t chunkRows = 0);

// What a causal LM forward gives the loss: the final hidden states [B, T, C]
// and the head weight [V, C]; or, when head is undefined, logits [B, T, V].
struct LmOutput {
    torch::Tensor states;
    torch::Tensor head;
};

// The forward pass a loss needs from `base`: `forward()` (the batch's forward
// through whatever wraps base: PEFT, soft prompts) run for the final hidden
// states, with the head's weight, so no full-vocabulary logits are made; or
// for logits (head undefined) where the head has no plain weight (its own LoRA).
template <class Forward>
LmOutput lmOutput(model::CausalLMImpl& base, Forward&& forward)
{
    LmOutput out;
    out.head = base.headWeight();
    if (!out.head.defined()) {
        out.states = forward();
        return out;
    }
    model::HiddenStatesScope hidden(base);
    out.states = forward();
    return out;
}

// causalLmLoss / rowLossSums (train/trainer.h) from an LmOutput: labels
// shifted by one (position t predicts token t+1), -100 ignored.
std::pair<torch::Tensor, int64_t> causalLmLoss(const LmOutput& output, const torch::Tensor& labels,
                                               LossWorkspace* workspace = nullptr);
std::pair<torch::Tensor, torch::Tensor> rowLossSums(const LmOutput& output, const torch::Tensor& labels);

} // namespace tb::train
