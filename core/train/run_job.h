#pragma once
// A whole fine-tuning run as the CLI and the GUI start it: read the data,
// load the model, apply the method, train on this thread, record everything
// in the run store, save what was learned. No LibTorch in this header.
#include "train/run_config.h"
#include "train/train_types.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tb::tok {
class Tokenizer;
}

namespace tb::train {

struct DataSummary {
    size_t trainExamples = 0;      // sequences the trainer sees (after mixing / packing)
    size_t validationExamples = 0;
    size_t truncated = 0;
    size_t dropped = 0;            // records without any loss token
    int64_t trainTokens = 0;
    std::map<std::string, size_t> perTask; // training records per task after mixing
};

struct PreparedData {
    std::vector<Sequence> train, validation;
    DataSummary summary;
};

// Reads, templates, tokenises, splits and mixes the data of `config`.
PreparedData prepareData(const RunConfig& config, const tok::Tokenizer& tokenizer);

class JobObserver : public TrainObserver {
public:
    virtual void onRunCreated(int64_t /*runId*/, const std::string& /*outputDir*/) {}
    virtual void onPrepared(const DataSummary&, int64_t /*trainable*/, int64_t /*total*/) {}
    // A greedy generation with the model as it is after `step` (training.sample_every).
    virtual void onSample(int64_t /*step*/, const std::string& /*prompt*/, const std::string& /*output*/) {}
};

struct JobOptions {
    std::string dbPath;                // the run store
    std::optional<int64_t> resumeRun;  // continue this run from its last checkpoint
};

struct JobResult {
    int64_t runId = 0;
    TrainResult train;
    std::string outputDir;
    std::string savedDir; // adapter folder (PEFT) or model folder (full fine-tuning)
};

// Never throws for problems of the run itself (they end as status failed and
// are recorded); throws tb::Error only when the store cannot be opened or the
// run to resume does not exist.
JobResult runJob(const RunConfig& config, const JobOptions& options, JobObserver& observer, RunControl& control);

// Writes a finished run's result as a PEFT adapter folder and/or as a merged
// Hugging Face model folder.
void exportRun(const std::string& dbPath, int64_t runId, const std::string& adapterDir, const std::string& mergedDir);

} // namespace tb::train
