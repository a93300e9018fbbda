#include "data/split.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "common/error.h"
#include "data/mixing.h"
#include "data/rng.h"

namespace tb::data {

SplitResult splitTrainValidation(const std::vector<std::string>& taskOfItem, const SplitOptions& options)
{
    const size_t n = taskOfItem.size();
    size_t want = 0;
    if (options.validationCount) {
        want = *options.validationCount;
        if (want > n)
            throw Error("split: validation count: expected at most the " + std::to_string(n) + " items, found "
                        + std::to_string(want));
    } else {
        const double f = options.validationFraction;
        if (!(f >= 0 && f < 1))
            throw Error("split: validation fraction: expected a number in [0, 1), found " + std::to_string(f));
        want = static_cast<size_t>(std::llround(f * static_cast<double>(n)));
    }

    std::map<std::string, std::vector<size_t>> groups;
    for (size_t i = 0; i < n; ++i)
        groups[options.stratifyByTask ? taskOfItem[i] : std::string()].push_back(i);
    std::map<std::string, double> shares;
    for (const auto& [task, items] : groups)
        shares[task] = static_cast<double>(items.size()) / static_cast<double>(n);
    const std::map<std::string, size_t> counts = apportion(shares, want);

    std::vector<bool> inValidation(n, false);
    Rng rng(options.seed);
    for (auto& [task, items] : groups) {
        rng.shuffle(items);
        for (size_t k = 0; k < std::min(counts.at(task), items.size()); ++k)
            inValidation[items[k]] = true;
    }
    SplitResult result;
    for (size_t i = 0; i < n; ++i)
        (inValidation[i] ? result.validation : result.train).push_back(i);
    return result;
}

} // namespace tb::data
