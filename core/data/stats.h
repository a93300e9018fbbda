#pragma once
// What a tokenised dataset looks like: sizes, lengths, truncation, tasks.
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "data/tokenized.h"

namespace tb::data {

struct HistogramBin {
    size_t lo = 0; // lengths in [lo, hi)
    size_t hi = 0;
    size_t count = 0;
};

struct TaskStats {
    size_t examples = 0;
    size_t tokens = 0;
    size_t lossTokens = 0;
};

struct DatasetStats {
    size_t examples = 0;
    size_t tokens = 0;
    size_t lossTokens = 0; // labels that are not kIgnoreIndex
    size_t truncated = 0;
    size_t dropped = 0;
    size_t minLength = 0;
    size_t maxLength = 0;
    double meanLength = 0;
    std::vector<HistogramBin> histogram;
    std::map<std::string, TaskStats> perTask;
};

// BINCOUNT bins of equal width covering lengths 0..maxLength:
// width = ceil((maxLength + 1) / binCount).
DatasetStats computeStats(const TokenizedSet& set, size_t binCount = 10);

} // namespace tb::data
