#pragma once
// Is the difference real? For one task of a suite, the newest stored
// evaluation of each model (a run, or a base model evaluated alone) is
// rescored from its stored per-example outputs and paired against a
// baseline (eval/significance.h): BLEU and chrF from their sufficient
// statistics, ROUGE and accuracy-type metrics from per-example values.
// The CLI's `compare --runs` and the Evaluation panel share it. Torch-free.
#include "eval/significance.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tb::store {
class RunStore;
}

namespace tb::engine {

// A column of a comparison: run > 0, or run 0 with the base model's path.
struct ComparedModel {
    int64_t run = 0;
    std::string baseModel; // only read for run 0
    std::string label;     // the system's name in results and messages, e.g. "run 3"
};

struct RunComparisonRequest {
    std::string suite; // the suite's name as stored
    std::string task;
    std::string metric;                 // empty: the task's primary metric (eval::primaryMetric)
    std::vector<std::string> requested; // the metrics the task asks for (for the primary metric)
    std::vector<ComparedModel> models;
    size_t baseline = 0; // index into models
    eval::PairedTestOptions test;
    // Names the store and the suite in messages; empty: the store's path, the suite's name.
    std::string where;
    std::string suiteFile;
};

struct ModelComparison {
    ComparedModel model;
    int64_t taskEvaluation = 0;
    double score = 0;            // the metric recomputed from the stored outputs
    std::optional<double> mean;  // bootstrap mean
    std::optional<double> ci;    // 95% half-width
    std::optional<double> low, high;
    std::optional<double> pValue; // none for the baseline, and without significance
    bool identicalToBaseline = false;
};

struct RunComparison {
    std::string task;
    std::string metric;     // the stored metric name, e.g. "rougeL", "bleu", "accuracy"
    std::string metricName; // the corpus metric's name, e.g. "BLEU", "rougeL"
    size_t baseline = 0;
    size_t examples = 0;
    int64_t samples = 0;   // resamples (bs) or trials (ar) actually used
    bool significance = true; // false for perplexity: no test is run
    std::string note;         // why there is no test, when there is none
    std::vector<ModelComparison> models; // in the request's order
};

// Throws tb::Error naming the model and task when a model has no stored
// evaluation of the task, stored no per-example outputs, the models' example
// sets differ, or the metric has no per-example value to pair.
RunComparison compareRuns(const store::RunStore& store, const RunComparisonRequest& request);

// Resamples a test kind runs when samples is 0 (1000 bootstrap, 10000 randomization).
int64_t effectiveSamples(const eval::PairedTestOptions& options);

} // namespace tb::engine
