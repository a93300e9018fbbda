#pragma once
// The training loop. Each optimizer step reads as: next batch, forward and
// backward (token-weighted over micro-batches), clip, update, then the events
// (step, validation, checkpoint, early stop).
// The data order is a pure function of (seed, step, rank, world size), so a
// resumed run replays exactly what an uninterrupted run would have seen and
// every data-parallel rank can compute its own shard.
// Heavy header (LibTorch).
#include "peft/peft_model.h"
#include "train/dist_gradient_sync.h"
#include "train/dist_step.h"
#include "train/fused_adamw.h"
#include "train/chunked_loss.h"
#include "train/train_types.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace tb::train {

// Learning rate at optimizer step `step` (0-based).
double learningRateAt(const TrainConfig& config, int64_t step);

// Indices into a dataset of `size` examples for micro-batch `micro` (global
// count) of this rank: epoch e uses a seeded permutation; ranks interleave.
std::vector<size_t> microBatchIndices(size_t size, const TrainConfig& config, int64_t micro);

// Mean next-token cross-entropy over positions whose label is not -100, and
// how many such positions there were.
std::pair<torch::Tensor, int64_t> causalLmLoss(const torch::Tensor& logits, const torch::Tensor& labels);
// The same loss per row of the batch: summed (not averaged) over each row's
// loss positions, and how many there were ([batch] each).
std::pair<torch::Tensor, torch::Tensor> rowLossSums(const torch::Tensor& logits, const torch::Tensor& labels);

// One validation pass: the loss over all validation tokens and, for a
// multi-task run, over each task's tokens (same forward passes).
struct ValidationLosses {
    double loss = 0;
    std::vector<std::pair<std::string, double>> perTask; // empty for one task
};

// Data-parallel training (train/distributed.h): the group this process trains
// in, and how often every rank's weights are compared by hash (0 = never;
// the variable TUNEBENCH_CHECK_WEIGHTS_EVERY=K stands in when 0 here).
struct DataParallel {
    ProcessGroup* group = nullptr; // must outlive the Trainer's run()
    int64_t checkWeightsEvery = 0;
};

class Trainer {
public:
    // `validationTasks` names the tasks that validation sequences' `task`
    // index into (empty: one task, indices unused); with two or more,
    // validation also reports loss per task.
    Trainer(peft::PeftModel& model, TrainConfig config, std::vector<Sequence> train, std::vector<Sequence> validation,
            std::string outputDir, std::vector<std::string> validationTasks = {});

    // Runs until max_steps, early stopping, cancel or failure; from the
    // checkpoint folder `resumeFrom` when given. Never throws for training
    // failures (NaN loss, bad data, divergence (train/divergence.h), a batch
    // the available memory cannot hold, a checkpoint the disk cannot take,
    // an allocation failure): they come back as status Failed with advice.
    // A checkpoint that fails to write leaves no .partial folder behind and
    // the earlier ones intact, so the run resumes once there is space.
    TrainResult run(TrainObserver& observer, RunControl& control, const std::string& resumeFrom = {});

    // Trains as one rank of `dp.group` (a group of one changes nothing): the
    // group's rank and size replace the config's; parameters are broadcast
    // from rank 0 at the start of run(); each step's gradients are averaged
    // by tokens over the ranks (GradientSync), so N ranks x batch b train as
    // one process x batch N*b; the step loss is the token-weighted mean over
    // all ranks. Only rank 0 writes checkpoints. Validation deals the
    // validation batches out to the ranks and all-reduces the sums (in
    // double): every rank gets the values one process would, and takes the
    // same early-stopping decision. At every step the ranks agree (in the
    // step's loss all-reduce, train/dist_step.h) on cancel and pause: a cancel
    // or pause on any rank's RunControl (rank 0's: the GUI, Ctrl+C) stops
    // or pauses every rank after the same step (a cancel ends run() as
    // Cancelled on every rank), and each step event carries every rank's
    // tokens per second (its input tokens over its own forward and backward
    // time, so a slow rank shows).
    // threads 0 becomes max(1, cores / local ranks). A peer that dies ends
    // run() as Failed with the group's error.
    void setDataParallel(DataParallel dp);

    // Validation loss over the validation set (or evalBatches batches);
    // collective in a data-parallel run (every rank must call it).
    double validate() { return validationLosses().loss; }
    // The same pass, with the token-weighted mean loss of each task as well.
    ValidationLosses validationLosses();

private:
    struct RunState;  // progress of one run(): what a checkpoint keeps, what the result reports
    struct Batch;     // one optimizer step's micro-batches and token counts
    struct StepStats; // what the step event reports

    void begin(RunState& state, TrainObserver& observer, const std::string& resumeFrom);
    StepStats startStep(int64_t step);
    Batch nextBatch(int64_t step) const;
    double forwardBackward(const Batch& batch, int64_t step, double learningRate);
    AgreedStep reduceLoss(double localLoss, const Batch& batch, const StepStats& stats, int64_t step,
                          const RunControl& control);
    bool distributed() const { return m_dp.group && m_dp.group->size() > 1; }
    bool writesFiles() const { return !m_outputDir.empty() && (!m_dp.group || m_dp.group->rank() == 0); }
    double clipGradients(int64_t step);
    std::optional<TrainStatus> afterStep(RunState& state, const Batch& batch, const StepStats& stats,
                                         TrainObserver& observer);
    bool validateAndTrack(RunState& state, TrainObserver& observer); // true = stop early
    TrainResult finish(const RunState& state, TrainStatus status, std::string error);

    std::pair<torch::Tensor, torch::Tensor> collate(const std::vector<size_t>& indices,
                                                    const std::vector<Sequence>& data) const;
    void checkMemory() const; // refuses a run the available memory cannot hold
    std::string saveCheckpoint(const RunState& state);
    void writeCheckpoint(const RunState& state, const std::filesystem::path& folder);
    void loadCheckpoint(const std::string& dir, RunState& state);

    peft::PeftModel& m_model;
    TrainConfig m_config;
    std::vector<Sequence> m_train, m_val;
    std::vector<std::string> m_valTasks;
    std::string m_outputDir;
    torch::Device m_device{torch::kCPU};
    std::vector<torch::Tensor> m_params;
    std::unique_ptr<FusedAdamW> m_adamw;                // optimizer adamw (flat buffers)
    std::unique_ptr<torch::optim::Optimizer> m_optimizer; // optimizer sgd
    uint64_t m_lastCheckpointBytes = 0; // what the latest checkpoint needed on disk
    DataParallel m_dp;
    std::unique_ptr<GradientSync> m_sync; // distributed runs, during run()
    LossWorkspace m_lossWorkspace;        // the chunked loss's buffers, reused every step
};

} // namespace tb::train
