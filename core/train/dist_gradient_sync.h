#pragma once
// Data-parallel gradients: each rank's gradients are all-reduced in buckets as
// the backward pass produces them (autograd hooks), so communication overlaps
// the rest of the backward pass, and are averaged by tokens across ranks.
// Heavy header (LibTorch).
//
// The convention. Before finish(), each rank's p.grad is g_r, the gradient of
// its mean loss over its n_r tokens of the step (the Trainer's token-weighted
// micro-batches give exactly that). After finish(), on every rank,
//     p.grad = Σ_r n_r · g_r / Σ_r n_r,
// the gradient of the mean loss over all the step's tokens: N ranks × batch b
// update the weights as one process × batch N·b. A rank with n_r = 0
// contributes zeros (its g_r may be NaN). A parameter that no rank gave a
// gradient keeps an undefined grad everywhere (the optimizer skips it, as one
// process would); one that only some ranks used gets the reduced gradient on
// every rank.
//
// A step:
//     for each micro-batch but the last: forward, backward  (local only: no_sync)
//     sync.beginStep(localTokens);    // the step's tokens on this rank, all micro-batches
//     last micro-batch: forward, backward  (hooks launch buckets as they fill)
//     auto stats = sync.finish();     // waits; p.grad now equal on every rank
//     clip, optimizer step
// Hooks act only between beginStep() and finish(): backward passes outside that
// window accumulate locally, which is gradient accumulation without sync.
// Every collective can throw the group's tb::Error ("rank 1 stopped responding (...)").
#include "train/dist_tensors.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace tb::train {

struct GradientSyncOptions {
    // Gradients per all-reduce. Buckets take parameters in reverse order (the
    // order backward tends to produce them); one bigger than this is alone.
    int64_t bucketBytes = 25 << 20;
};

struct GradientSyncStats {
    int64_t localTokens = 0;
    int64_t totalTokens = 0;           // over all ranks
    int64_t gradientBytes = 0;         // gradient payload each rank all-reduced
    int64_t overheadBytes = 0;         // token count and used-parameter flags
    int buckets = 0;
    int bucketsDuringBackward = 0;     // launched by hooks, before finish()
    double waitMs = 0;                 // finish() blocked on collectives
};

class GradientSync {
public:
    // `parameters`: the trainable tensors (requires_grad, contiguous CPU), the
    // same list in the same order on every rank. Registers one hook on each.
    // `group` must outlive this object.
    GradientSync(ProcessGroup& group, std::vector<torch::Tensor> parameters, GradientSyncOptions options = {});
    ~GradientSync(); // removes the hooks
    GradientSync(const GradientSync&) = delete;
    GradientSync& operator=(const GradientSync&) = delete;

    // Arms the hooks for the step's last backward pass; all-reduces the token count.
    void beginStep(int64_t localTokens);
    // Launches what the backward pass left, waits for every bucket, writes the
    // averaged gradients into p.grad.
    GradientSyncStats finish();

    int bucketCount() const;

private:
    struct State;
    std::unique_ptr<State> m_state;
};

} // namespace tb::train
