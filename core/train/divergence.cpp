#include "train/divergence.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace tb::train {

std::string shortNumber(double value)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", value);
    return buf;
}

DivergenceCheck::DivergenceCheck(int64_t vocabSize, double learningRate, double largestWeight)
    : m_uniformLoss(std::log(static_cast<double>(std::max<int64_t>(vocabSize, 2)))), m_learningRate(learningRate),
      m_initialLargestWeight(largestWeight)
{
}

double DivergenceCheck::saferLearningRate(double learningRate) { return std::min(learningRate / 10, 1e-4); }

std::string DivergenceCheck::advice() const
{
    return "lower the learning rate (now " + shortNumber(m_learningRate) + "), e.g. " +
           shortNumber(saferLearningRate(m_learningRate));
}

std::optional<std::string> DivergenceCheck::step(int64_t step, double loss, double largestWeight)
{
    if (!m_firstLoss)
        m_firstLoss = loss;
    const double first = *m_firstLoss;
    // Always a nat above the start: a random model may start worse than uniform.
    const bool farAbove = loss > first + 1 && (loss > 3 * first || loss > m_uniformLoss + 1);
    m_stepsAbove = farAbove ? m_stepsAbove + 1 : 0;
    if (m_stepsAbove >= kPatience)
        return "loss diverged at step " + std::to_string(step) + " (" + shortNumber(first) + " → " +
               shortNumber(loss) + "); " + advice();
    if (!std::isfinite(largestWeight) || (largestWeight > 1e3 && largestWeight > 1e3 * m_initialLargestWeight))
        return "the trainable weights exploded at step " + std::to_string(step) + " (largest value " +
               shortNumber(m_initialLargestWeight) + " → " + shortNumber(largestWeight) + "); " + advice();
    return std::nullopt;
}

} // namespace tb::train
