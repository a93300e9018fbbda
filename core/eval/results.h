#pragma once
// What an evaluation produced: per task its aggregate metrics and every
// example's output with its per-example scores. No LibTorch.
#include "eval/suite.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tb::eval {

struct ExampleOutput {
    std::string id;
    std::string prompt;
    std::string reference;   // references joined by "\n" (generate), the right option (choice)
    std::string output;      // the generation, or the chosen option's text
    std::map<std::string, double> scores; // per-example metric values
};

struct TaskResult {
    std::string task;
    TaskType type = TaskType::Generate;
    std::map<std::string, double> metrics; // e.g. rouge1.., bleu, accuracy, accuracy_norm, ece, perplexity,
                                           // robustness (HELM: worst case over perturbations), examples_per_s
    std::vector<ExampleOutput> examples;
    double seconds = 0;
    int64_t tokens = 0;       // tokens processed (prompt + generated)
    int64_t taskEvaluation = 0; // its id in the store (0 when not recorded)
};

struct SuiteResult {
    std::string suite;
    std::string modelLabel;  // "base", "run 12 (name)", "<adapter dir>"
    std::vector<TaskResult> tasks;
};

} // namespace tb::eval
