#pragma once
// General ability: how well a model still predicts ordinary text, measured
// as the mean token loss (NLL) and perplexity on a held-out general sample,
// before (the run's base model) and after (the run's model) fine-tuning, as
// PEFT's forgetting check compares the loss before and after. The sample is
// the shipped resources/general/general_text.txt or any UTF-8 text file;
// paragraphs (separated by blank lines) are its examples.
//
// The check is an ordinary evaluation: the text becomes a one-task suite
// (suite "general", task "general_text", type perplexity) written next to
// the run store, so its scores (metrics "perplexity" and "nll", the loss)
// are stored like any other and show in the Evaluation and Forgetting
// panels and in `tunebench-cli runs`. No LibTorch in this header.
#include "common/run_control.h"

#include <cstdint>
#include <functional>
#include <string>

namespace tb::engine {

inline constexpr const char* kGeneralSuite = "general";
inline constexpr const char* kGeneralTask = "general_text";

// The shipped sample: $TUNEBENCH_GENERAL_TEXT, else <exe>/../share/tunebench/
// general/general_text.txt (installed), else the source tree's copy (build
// tree). Throws tb::Error listing the paths tried.
std::string defaultGeneralTextPath();

// Where the generated suites of a store go: <store folder>/general.
std::string generalSuiteFolder(const std::string& dbPath);

// Writes <folder>/<content hash>/general_text.jsonl (one {"text": paragraph}
// per paragraph) and general.json beside it; returns the SUITE.json path.
// The same text always gives the same folder. Throws tb::Error naming the
// file when it is missing, unreadable or holds no text.
std::string writeGeneralSuite(const std::string& textFile, const std::string& folder);

struct GeneralOptions {
    std::string dbPath;   // the run store (required: the run is read from it, the scores written to it)
    std::string textFile; // empty = defaultGeneralTextPath()
    int64_t batchSize = 8;
    int threads = 0;
    // Progress: "base" or "run", tokens windows done, in the task.
    std::function<void(const std::string&, int64_t, int64_t)> progress;
    RunControl* control = nullptr; // cancel: throws tb::Error("cancelled")
};

struct GeneralScore {
    double nll = 0;        // mean token negative log-likelihood (nats), the loss
    double perplexity = 0; // exp(nll)
    int64_t taskEvaluation = 0; // the stored result
};

struct GeneralAbility {
    std::string textFile;
    std::string suitePath;
    std::string baseModel;
    GeneralScore base, run;
    double nllChange() const { return run.nll - base.nll; }
    double perplexityChange() const { return run.perplexity - base.perplexity; }
};

// Evaluates the run's base model and the run's model on the sample and
// stores both. Throws tb::Error for an unknown run, a run without saved
// weights, a bad text file, or on cancel.
GeneralAbility checkGeneralAbility(int64_t run, const GeneralOptions& options);

} // namespace tb::engine
