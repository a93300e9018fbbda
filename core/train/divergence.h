#pragma once
// When a run has diverged, so that it ends as failed with advice rather than
// "completed" with a ruined model. The trainer feeds every step's loss and
// the largest trainable weight; non-finite losses and gradients are caught
// where they are computed (trainer.cpp). No LibTorch.
#include <cstdint>
#include <optional>
#include <string>

namespace tb::train {

class DivergenceCheck {
public:
    static constexpr int kPatience = 3; // steps in a row the loss must stay far above its start

    // `vocabSize` gives ln(V), the loss of guessing uniformly; the learning
    // rate is quoted in the advice; `largestWeight`: the largest absolute
    // trainable weight before the first step.
    DivergenceCheck(int64_t vocabSize, double learningRate, double largestWeight);

    // Step `step` (1-based) ended with `loss` and trainable weights whose
    // largest absolute value is `largestWeight`. Returns the reason the run
    // diverged, if it did:
    // - the loss stayed far above where this run() started for kPatience
    //   steps: more than 1 nat above the first loss, and either more than 3x
    //   it or above ln(V) + 1 (worse than guessing uniformly);
    // - a weight grew beyond 1e3 and beyond 1000x the largest before the
    //   first step (a learning rate of 1e6 makes LoRA's weights ~1e6), or
    //   became NaN or infinite.
    std::optional<std::string> step(int64_t step, double loss, double largestWeight);

    // The advice's learning rate: a tenth of `learningRate`, at most 1e-4.
    static double saferLearningRate(double learningRate);

private:
    std::string advice() const;

    double m_uniformLoss;
    double m_learningRate;
    double m_initialLargestWeight;
    std::optional<double> m_firstLoss;
    int m_stepsAbove = 0;
};

// "%.4g": losses, weights and learning rates in messages.
std::string shortNumber(double value);

} // namespace tb::train
