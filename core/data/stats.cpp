#include "data/stats.h"

#include <algorithm>

namespace tb::data {

DatasetStats computeStats(const TokenizedSet& set, size_t binCount)
{
    DatasetStats stats;
    stats.truncated = set.truncated;
    stats.dropped = set.dropped;
    stats.examples = set.examples.size();
    if (set.examples.empty())
        return stats;

    stats.minLength = set.examples.front().ids.size();
    for (const Example& ex : set.examples) {
        const size_t length = ex.ids.size();
        const auto loss = static_cast<size_t>(
            std::count_if(ex.labels.begin(), ex.labels.end(), [](TokenId l) { return l != kIgnoreIndex; }));
        stats.tokens += length;
        stats.lossTokens += loss;
        stats.minLength = std::min(stats.minLength, length);
        stats.maxLength = std::max(stats.maxLength, length);
        TaskStats& task = stats.perTask[ex.task];
        ++task.examples;
        task.tokens += length;
        task.lossTokens += loss;
    }
    stats.meanLength = static_cast<double>(stats.tokens) / static_cast<double>(stats.examples);

    binCount = std::max<size_t>(binCount, 1);
    const size_t width = (stats.maxLength + 1 + binCount - 1) / binCount;
    for (size_t b = 0; b < binCount; ++b)
        stats.histogram.push_back({b * width, (b + 1) * width, 0});
    for (const Example& ex : set.examples)
        ++stats.histogram[std::min(ex.ids.size() / width, binCount - 1)].count;
    return stats;
}

} // namespace tb::data
