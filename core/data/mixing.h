#pragma once
// Multi-task mixing: which items (records or examples, by index) make up the
// training set, given each item's task. Deterministic for a seed.
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tb::data {

enum class MixStrategy {
    Natural,     // every item once, in a seeded shuffled order
    Proportions, // shares given per task
    Equal,       // the same share for every task
    Temperature, // share ∝ n_task^(1/T) (T5 / mT5); T=1 is Natural's shares, large T tends to Equal
};

struct MixOptions {
    MixStrategy strategy = MixStrategy::Natural;
    // Proportions: weights per task, normalised to sum to 1; every task with
    // items needs one (a weight of 0 leaves the task out).
    std::map<std::string, double> proportions;
    double temperature = 1.0;
    // Size of the mixed set; default: the number of items. A task whose share
    // asks for more items than it has repeats them (each whole pass, then a
    // seeded sample of the rest), so small tasks are upsampled.
    std::optional<size_t> total;
    uint64_t seed = 0;
};

struct MixResult {
    std::vector<size_t> indices;                 // into the input, in mixed (shuffled) order
    std::map<std::string, double> shares;        // target share per task
    std::map<std::string, size_t> available;     // items per task in the input
    std::map<std::string, size_t> selected;      // items per task in the mixed set
};

// Items per task.
std::map<std::string, size_t> countTasks(const std::vector<std::string>& taskOfItem);

// p_task = n_task^(1/T) / sum_k n_k^(1/T). Throws tb::Error for T <= 0.
std::map<std::string, double> temperatureShares(const std::map<std::string, size_t>& counts, double temperature);

// TOTAL items shared by SHARES (summing to 1): floor of each quota, then one
// more to the largest remainders (ties: task name order) so they sum to TOTAL.
std::map<std::string, size_t> apportion(const std::map<std::string, double>& shares, size_t total);

// Throws tb::Error naming the task for a missing or negative proportion or a
// proportion for a task that has no items.
MixResult mixTasks(const std::vector<std::string>& taskOfItem, const MixOptions& options);

// "natural", "proportions", "equal", "temperature".
std::string mixStrategyName(MixStrategy strategy);
MixStrategy mixStrategyFromName(const std::string& name);

} // namespace tb::data
