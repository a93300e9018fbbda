#pragma once
// Runs a suite (suite.h) on a model: the base alone, the base with a PEFT
// adapter folder, or a finished run from the run store. Generation tasks are
// generated in batches and scored; multiple-choice and classification tasks
// are scored by log-likelihood; perplexity tasks by mean token NLL. Every
// score and every per-example output is written to the run store, so a new
// metric can rescore old generations without generating again.
// No LibTorch in this header (the CLI and the GUI include it).
#include "eval/suite.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tb::eval {

// What to evaluate. Exactly one of: model alone, model + adapterDir, run.
struct ModelSpec {
    std::string model;       // Hugging Face folder or llama2.c .bin; with run: default = the run's base model
    std::string tokenizer;   // default: the model folder's
    std::string adapterDir;  // a PEFT adapter folder (saved by Tunebench or HF PEFT)
    int64_t run = 0;         // a run in the store: its saved adapter/model is used
    std::string device = "cpu";
};

struct EvalOptions {
    std::string dbPath;      // the run store; empty = do not record
    int64_t batchSize = 8;   // prompts generated together
    int threads = 0;         // intra-op threads; 0 = LibTorch's default
    int64_t limit = 0;       // overrides every task's limit when > 0
    std::vector<std::string> tasks; // only these task names; empty = all
    bool helm = true;        // run the suite's HELM block (perturbed re-runs) if it has one
    // Progress: task name, examples done, examples in the task.
    std::function<void(const std::string&, int64_t, int64_t)> progress;
    std::atomic<bool>* cancel = nullptr; // set to true to stop; evaluate() then throws tb::Error("cancelled")
};

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

// Loads the model once and runs every selected task. Throws tb::Error for
// bad input (suite, data, model, run without saved weights) and on cancel.
SuiteResult evaluate(const ModelSpec& model, const SuiteSpec& suite, const EvalOptions& options);

// The primary metric of a task, used by the forgetting matrix and the GUI's
// default view: rougeL for rouge, bleu, chrf, accuracy for choice tasks,
// negative perplexity is not used (perplexity tasks: "perplexity", lower is better).
std::string primaryMetric(const TaskData& task);
bool higherIsBetter(const std::string& metric);

// Re-scores a stored task evaluation's generations with other metrics and
// stores the new aggregate scores (no model needed). Returns the aggregates.
std::map<std::string, double> rescoreStored(const std::string& dbPath, int64_t taskEvaluation,
                                            const std::vector<std::string>& metrics);

} // namespace tb::eval
