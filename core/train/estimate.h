#pragma once
// What a training run will cost before anything is loaded: the trainable
// count and share of its method (peft/targets.h) and a rough memory
// estimate. No LibTorch: the GUI shows these live.
#include "model/model_config.h"
#include "peft/method_config.h"
#include "train/train_types.h"

#include <cstdint>

namespace tb::train {

// Bytes a training run holds. All of it is an estimate: allocator slack,
// temporaries and the framework's own buffers are not modelled.
struct MemoryEstimate {
    int64_t weights = 0;     // every parameter, float32 (the engine trains in float32 master weights)
    int64_t gradients = 0;   // float32 per trainable parameter
    int64_t optimizer = 0;   // AdamW: two float32 moments per trainable; SGD: one with momentum
    int64_t activations = 0; // rough, see estimate.cpp
    int64_t total() const { return weights + gradients + optimizer + activations; }
};

struct Estimate {
    int64_t total = 0;     // base + added parameters (PeftModel::summary().total)
    int64_t trainable = 0; // PeftModel::summary().trainable
    double share() const { return total ? static_cast<double>(trainable) / static_cast<double>(total) : 0.0; }
    MemoryEstimate memory;
};

// Throws tb::Error as peft::countTrainable does. `sequenceLength` is tokens
// per example (data.max_length); the batch, optimiser and precision come
// from `training`.
Estimate estimate(const model::ModelConfig& model, const peft::MethodConfig& method,
                  const TrainConfig& training = {}, int64_t sequenceLength = 512);

} // namespace tb::train
