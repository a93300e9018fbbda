#pragma once
// Facts about metric names that every view shares: which metric judges a
// task, and which direction is better. One rule for the engine, the CLI and
// the GUI.
#include "eval/suite.h"

#include <string>
#include <vector>

namespace tb::eval {

// The metric a task is judged by: "perplexity" for perplexity tasks,
// "accuracy" for multiple-choice and classification tasks; for generation
// tasks the first metric the task asks for ("rouge" counts as "rougeL"), or
// rougeL when it asks for none. With `available` (the metric names a stored
// result has), the first requested metric that is present wins, then the
// first present of rougeL, bleu, chrf, exact_match, f1, accuracy; empty when
// nothing fits.
std::string primaryMetric(TaskType type, const std::vector<std::string>& requested,
                          const std::vector<std::string>& available = {});
std::string primaryMetric(const TaskData& task);
// The same for a stored result, whose task type is stored by name
// ("generate", "multiple_choice", "classification", "perplexity").
std::string primaryMetric(const std::string& typeName, const std::vector<std::string>& requested,
                          const std::vector<std::string>& available);

// False for perplexity, nll, ece and seconds (lower is better), true otherwise.
bool higherIsBetter(const std::string& metric);

} // namespace tb::eval
