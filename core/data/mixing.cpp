#include "data/mixing.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "data/rng.h"

namespace tb::data {

std::map<std::string, size_t> countTasks(const std::vector<std::string>& taskOfItem)
{
    std::map<std::string, size_t> counts;
    for (const std::string& task : taskOfItem)
        ++counts[task];
    return counts;
}

std::map<std::string, double> temperatureShares(const std::map<std::string, size_t>& counts, double temperature)
{
    if (!(temperature > 0) || !std::isfinite(temperature))
        throw Error("mixing: temperature: expected a number > 0, found " + std::to_string(temperature));
    std::map<std::string, double> shares;
    double sum = 0;
    for (const auto& [task, n] : counts) {
        // In logs, so n^(1/T) cannot overflow for tiny T.
        shares[task] = n == 0 ? -INFINITY : std::log(static_cast<double>(n)) / temperature;
    }
    double top = -INFINITY;
    for (const auto& [task, l] : shares)
        top = std::max(top, l);
    for (auto& [task, l] : shares) {
        l = std::isinf(top) ? 0.0 : std::exp(l - top);
        sum += l;
    }
    for (auto& [task, p] : shares)
        p = sum > 0 ? p / sum : 0;
    return shares;
}

std::map<std::string, size_t> apportion(const std::map<std::string, double>& shares, size_t total)
{
    std::map<std::string, size_t> counts;
    std::vector<std::pair<double, std::string>> remainders;
    size_t given = 0;
    for (const auto& [task, share] : shares) {
        const double quota = share * static_cast<double>(total);
        const auto whole = static_cast<size_t>(std::floor(quota));
        counts[task] = whole;
        given += whole;
        remainders.emplace_back(quota - static_cast<double>(whole), task);
    }
    // Largest remainder first; equal remainders in task-name order.
    std::stable_sort(remainders.begin(), remainders.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    for (size_t i = 0; given < total && !remainders.empty(); ++i, ++given)
        ++counts[remainders[i % remainders.size()].second];
    return counts;
}

MixResult mixTasks(const std::vector<std::string>& taskOfItem, const MixOptions& options)
{
    MixResult result;
    result.available = countTasks(taskOfItem);
    const size_t total = options.total.value_or(taskOfItem.size());

    switch (options.strategy) {
    case MixStrategy::Natural:
        result.shares = temperatureShares(result.available, 1.0);
        break;
    case MixStrategy::Equal:
        for (const auto& [task, n] : result.available)
            result.shares[task] = 1.0 / static_cast<double>(result.available.size());
        break;
    case MixStrategy::Temperature:
        result.shares = temperatureShares(result.available, options.temperature);
        break;
    case MixStrategy::Proportions: {
        for (const auto& [task, weight] : options.proportions) {
            if (!result.available.count(task))
                throw Error("mixing: task '" + task + "': has a proportion but no items");
            if (!(weight >= 0) || !std::isfinite(weight))
                throw Error("mixing: task '" + task + "': expected a proportion >= 0, found "
                            + std::to_string(weight));
        }
        double sum = 0;
        for (const auto& [task, n] : result.available) {
            const auto it = options.proportions.find(task);
            if (it == options.proportions.end())
                throw Error("mixing: task '" + task + "': has " + std::to_string(n)
                            + " items but no proportion (0 leaves it out)");
            sum += it->second;
        }
        if (!(sum > 0))
            throw Error("mixing: proportions: expected at least one above 0, found all 0");
        for (const auto& [task, n] : result.available)
            result.shares[task] = options.proportions.at(task) / sum;
        break;
    }
    }

    std::map<std::string, std::vector<size_t>> itemsOf;
    for (size_t i = 0; i < taskOfItem.size(); ++i)
        itemsOf[taskOfItem[i]].push_back(i);

    // Natural keeps each item exactly once when the total is the item count;
    // apportion() could shift one item between tasks by rounding otherwise.
    if (options.strategy == MixStrategy::Natural && !options.total)
        result.selected = result.available;
    else
        result.selected = apportion(result.shares, total);

    Rng rng(options.seed);
    for (auto& [task, items] : itemsOf) {
        const size_t want = result.selected[task];
        const size_t passes = want / items.size();
        for (size_t p = 0; p < passes; ++p)
            result.indices.insert(result.indices.end(), items.begin(), items.end());
        rng.shuffle(items);
        result.indices.insert(result.indices.end(), items.begin(), items.begin() + (want % items.size()));
    }
    rng.shuffle(result.indices);
    return result;
}

std::string mixStrategyName(MixStrategy strategy)
{
    switch (strategy) {
    case MixStrategy::Natural:
        return "natural";
    case MixStrategy::Proportions:
        return "proportions";
    case MixStrategy::Equal:
        return "equal";
    case MixStrategy::Temperature:
        return "temperature";
    }
    return "?";
}

MixStrategy mixStrategyFromName(const std::string& name)
{
    for (MixStrategy s : {MixStrategy::Natural, MixStrategy::Proportions, MixStrategy::Equal,
                          MixStrategy::Temperature}) {
        if (mixStrategyName(s) == name)
            return s;
    }
    throw Error("mixing: strategy: expected 'natural', 'proportions', 'equal' or 'temperature', found '" + name
                + "'");
}

} // namespace tb::data
