#pragma once
// A whole fine-tuning run as the CLI and the GUI start it: read the data,
// load the model, apply the method, train on this thread, record everything
// in the run store, save what was learned. No LibTorch in this header.
#include "engine/prepare_data.h"
#include "train/distributed.h"
#include "train/run_config.h"
#include "train/train_types.h"

#include <optional>
#include <string>

namespace tb::engine {

// One greedy generation with the model as it is after `step`.
struct SampleEvent {
    int64_t step = 0;
    std::string task; // the task whose validation prompt it is (multi-task runs); empty otherwise
    std::string prompt;
    std::string output;
};

class JobObserver : public train::TrainObserver {
public:
    virtual void onRunCreated(int64_t /*runId*/, const std::string& /*outputDir*/) {}
    virtual void onPrepared(const DataSummary&, int64_t /*trainable*/, int64_t /*total*/) {}
    // A greedy generation with the model as it is after `step` (training.sample_every).
    virtual void onSample(int64_t /*step*/, const std::string& /*prompt*/, const std::string& /*output*/) {}
    // The same with the sample's task; by default forwards to onSample above.
    virtual void onTaskSample(const SampleEvent& s) { onSample(s.step, s.prompt, s.output); }
};

struct JobOptions {
    std::string dbPath;                // the run store
    std::optional<int64_t> resumeRun;  // continue this run from its last checkpoint
    // Data-parallel training: this process is one rank of `group` (null: a
    // single process). Rank 0 alone writes the store, checkpoints and the
    // saved adapter/model; the other ranks write nothing, and to resume they
    // read the run's configuration and checkpoint from the same store and
    // folder (one machine, or a shared filesystem). A peer that dies ends the
    // run as interrupted (resumable) with the group's error.
    train::ProcessGroup* group = nullptr;
    int64_t checkWeightsEvery = 0;     // compare the ranks' weight hashes every N steps (0 = never)
};

struct JobResult {
    int64_t runId = 0;
    train::TrainResult train;
    std::string outputDir;
    std::string savedDir; // adapter folder (PEFT) or model folder (full fine-tuning)
};

// Never throws for problems of the run itself (they end as status failed and
// are recorded); throws tb::Error only when the store cannot be opened, or the
// run cannot start: an explicit output_dir holds another run's files, or the
// run to resume does not exist, is still running in another process, has
// completed or has no resumable checkpoint.
//
// Without an explicit output_dir a run writes to <store folder>/runs/<store
// file stem>-<run id>; a resumed one continues where its checkpoints are.
// Paths in the stored configuration are absolute.
JobResult runJob(const train::RunConfig& config, const JobOptions& options, JobObserver& observer, RunControl& control);

} // namespace tb::engine
