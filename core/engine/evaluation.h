#pragma once
// Runs a suite (suite.h) on a model: the base alone, the base with a PEFT
// adapter folder, or a finished run from the run store. Generation tasks are
// generated in batches and scored; multiple-choice and classification tasks
// are scored by log-likelihood; perplexity tasks by mean token NLL. Every
// score and every per-example output is written to the run store, so a new
// metric can rescore old generations without generating again.
// No LibTorch in this header (the CLI and the GUI include it).
#include "common/run_control.h"
#include "engine/model_source.h"
#include "eval/results.h"
#include "eval/suite.h"
#include "train/distributed.h"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tb::engine {

struct EvalOptions {
    std::string dbPath;      // the run store; empty = do not record
    int64_t batchSize = 8;   // prompts generated together
    int threads = 0;         // intra-op threads; 0 = LibTorch's default
    int64_t limit = 0;       // overrides every task's limit when > 0
    std::vector<std::string> tasks; // only these task names; empty = all
    bool helm = true;        // run the suite's HELM block (perturbed re-runs) if it has one
    // Progress: task name, examples done, examples in the task.
    std::function<void(const std::string&, int64_t, int64_t)> progress;
    RunControl* control = nullptr; // control->cancel() stops it: evaluate() then throws tb::Error("cancelled")
    // Data parallel: every rank of `group` calls evaluate() with the same
    // arguments; the batches (of generations, of scored rows) are dealt out
    // to the ranks (batch b to rank b % N, each batch as one process forms
    // it), every rank gathers all per-example values and so returns one
    // process's result. Only rank 0 writes the store (dbPath) and reports
    // progress. A failure on one rank fails every rank at the same point.
    train::ProcessGroup* group = nullptr;
};

// Loads the model once and runs every selected task. Throws tb::Error for
// bad input (suite, data, model, run without saved weights) and on cancel.
eval::SuiteResult evaluate(const ModelSpec& model, const eval::SuiteSpec& suite, const EvalOptions& options);

// Re-scores a stored task evaluation's generations with other metrics and
// stores the new aggregate scores (no model needed). Returns the aggregates.
std::map<std::string, double> rescoreStored(const std::string& dbPath, int64_t taskEvaluation,
                                            const std::vector<std::string>& metrics);

} // namespace tb::engine
