#pragma once
// What a training run will cost before anything is loaded: the trainable
// count and share of its method (peft/targets.h) and a memory estimate of the
// whole training process. No LibTorch: the GUI shows these live.
#include "model/model_config.h"
#include "peft/method_config.h"
#include "train/train_types.h"

#include <cstdint>
#include <string>

namespace tb::train {

// Bytes the training process holds at its peak (the start of the backward
// pass), term by term; estimate.cpp says where each figure comes from. Checked
// against measured peaks in BENCHMARKS.md section 8 (within 15% there);
// the framework's own small buffers are not modelled.
struct MemoryEstimate {
    int64_t runtime = 0;     // the process before it loads anything: LibTorch's runtime and Tunebench's code
    int64_t weights = 0;     // frozen base in its training dtype (bf16: 2 bytes) + trainable float32 master weights
    int64_t gradients = 0;   // float32 per trainable parameter
    int64_t optimizer = 0;   // AdamW: two float32 moments per trainable; SGD: one with momentum
    int64_t activations = 0; // kept for the backward pass (every block's, or with checkpointing each block's input)
    int64_t loss = 0;        // chunked cross-entropy: one chunk of logits and its gradient, not the full vocabulary
    int64_t allocator = 0;   // heap the allocator holds beyond live tensors, measured: kAllocatorSlack × activations
    int64_t total() const { return runtime + weights + gradients + optimizer + activations + loss + allocator; }
    // What training adds once the model is loaded (the trainer checks this against free memory).
    int64_t beyondWeights() const { return total() - runtime - weights; }
};

struct Estimate {
    int64_t total = 0;     // base + added parameters (PeftModel::summary().total)
    int64_t trainable = 0; // PeftModel::summary().trainable
    double share() const { return total ? static_cast<double>(trainable) / static_cast<double>(total) : 0.0; }
    std::string precision;      // as resolved for training.device: "f32" or "bf16" (common/cpu_features.h)
    bool checkpointing = false; // estimated with gradient checkpointing (training.gradientCheckpointing == "true")
    MemoryEstimate memory;
};

// Throws tb::Error as peft::countTrainable does. `sequenceLength` is tokens
// per example (data.max_length); the batch, optimiser, precision ("auto" is
// resolved for training.device) and gradient checkpointing ("true" counts as
// on; "false" and "auto" as off, so an "auto" decision compares the estimate
// without it against the memory available) come from `training`.
Estimate estimate(const model::ModelConfig& model, const peft::MethodConfig& method,
                  const TrainConfig& training = {}, int64_t sequenceLength = 512);

// The process's own footprint before it loads a model (MemoryEstimate::runtime),
// measured: VmHWM of `tb_bench_train --baseline` (BENCHMARKS.md section 8).
inline constexpr int64_t kRuntimeBytes = int64_t(160) << 20;

// glibc's malloc serves tensors under its (self-raising, up to 32 MiB) mmap
// threshold from the heap, and the backward pass's gradients do not fit the
// holes the freed activations leave, so the process grows past its live
// tensors. Measured (BENCHMARKS.md section 8): 0.1–0.7 × the activations
// (0.34 GPT-2 small LoRA, 0.64 full, 0.68 Qwen2.5-0.5B f32 B=4×256); with
// MALLOC_MMAP_THRESHOLD_=131072 it is gone. Half the activations is counted.
inline constexpr double kAllocatorSlack = 0.5;

// Rows of logits the chunked cross-entropy computes at once for a vocabulary:
// 64 MiB of float32 logits, 16 to 4096 rows, as train/chunked_loss.h's
// chunkedLossRows (tst_estimate checks the two agree).
int64_t lossChunkRows(int64_t vocabSize);

} // namespace tb::train
