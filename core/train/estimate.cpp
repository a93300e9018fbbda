#include "train/estimate.h"

#include "peft/targets.h"

#include <algorithm>

namespace tb::train {

Estimate estimate(const model::ModelConfig& c, const peft::MethodConfig& method, const TrainConfig& training,
                  int64_t sequenceLength)
{
    Estimate e;
    const auto count = peft::countTrainable(c, method);
    e.total = count.total;
    e.trainable = count.trainable;
    const int64_t extraTokens = count.extraTokens;
    const int64_t d = c.hiddenSize;

    constexpr int64_t f32 = 4;
    e.memory.weights = e.total * f32;
    e.memory.gradients = e.trainable * f32;
    if (training.optimizer == "sgd")
        e.memory.optimizer = training.momentum > 0 ? e.trainable * f32 : 0;
    else
        e.memory.optimizer = 2 * e.trainable * f32;

    // Activations kept for the backward pass, a rough estimate after
    // Korthikanti et al. 2022 (https://arxiv.org/abs/2205.05198, section 4.1):
    // per layer about s·b·h·(34 + 5·a·s/h) bytes with 16-bit activations
    // (a = heads, s = sequence, b = micro-batch, h = hidden size), doubled for
    // float32; plus the float32 logits and their gradient (2·b·s·V·4 bytes).
    // It ignores the MLP width of the actual model, and gradient accumulation
    // does not add to it (one micro-batch at a time).
    const double b = static_cast<double>(std::max<int64_t>(training.batchSize, 1));
    const double s = static_cast<double>(std::max<int64_t>(sequenceLength, 1) + extraTokens);
    const double h = static_cast<double>(d), a = static_cast<double>(c.numHeads);
    const double bytesFactor = training.precision == "bf16" ? 1.0 : 2.0;
    const double perLayer = s * b * h * (34.0 + 5.0 * a * s / h) * bytesFactor;
    const double logits = 2.0 * b * s * static_cast<double>(c.vocabSize) * f32;
    e.memory.activations = static_cast<int64_t>(perLayer * static_cast<double>(c.numLayers) + logits);
    return e;
}

} // namespace tb::train
