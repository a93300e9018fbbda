#pragma once
// Train/validation split, seeded, stratified by task so that every task is
// represented in validation in proportion to its size.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tb::data {

struct SplitOptions {
    double validationFraction = 0.1;     // in [0, 1)
    std::optional<size_t> validationCount; // overrides the fraction
    bool stratifyByTask = true;
    uint64_t seed = 0;
};

struct SplitResult {
    std::vector<size_t> train;      // indices into the input, ascending
    std::vector<size_t> validation; // indices into the input, ascending
};

// Validation gets round(n * fraction) items (or the count); stratified, they
// are shared among tasks in proportion to their sizes (apportion() in
// mixing.h), then drawn per task by a seeded shuffle. Throws tb::Error for a fraction outside [0, 1) or a
// count larger than the number of items.
SplitResult splitTrainValidation(const std::vector<std::string>& taskOfItem, const SplitOptions& options);

} // namespace tb::data
