#pragma once
// Curve smoothing shared by every view of a run's metrics: TensorBoard's
// exponential moving average, so a smoothed Tunebench curve reads like the
// one a person knows from TensorBoard at the same weight.
#include <vector>

namespace tb {

// The largest weight accepted; 1 would freeze the curve at its first value.
inline constexpr double kMaxSmoothingWeight = 0.999;

// TensorBoard's debiased EMA ("classic smoothing"), as in
// tensorflow/tensorboard, tensorboard/webapp/widgets/line_chart_v2/data_transformer.ts
// (classicSmoothing): last = last*w + (1-w)*v, reported as last / (1 - w^n)
// where n counts the finite values so far. A NaN or infinite value is passed
// through as it is and leaves the average untouched; a constant series is
// returned unchanged. `weight` is clamped to [0, kMaxSmoothingWeight]
// (a NaN weight counts as 0).
std::vector<double> smoothEma(const std::vector<double>& values, double weight);

} // namespace tb
