#pragma once
// The training loop. Each optimizer step reads as: next batch, forward and
// backward (token-weighted over micro-batches), clip, update, then the events
// (step, validation, checkpoint, early stop).
// The data order is a pure function of (seed, step, rank, world size), so a
// resumed run replays exactly what an uninterrupted run would have seen and
// every data-parallel rank can compute its own shard.
// Heavy header (LibTorch).
#include "peft/peft_model.h"
#include "train/train_types.h"

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

class Trainer {
public:
    // `validationTasks` names the tasks that validation sequences' `task`
    // index into (empty: one task, indices unused); with two or more,
    // validation also reports loss per task.
    Trainer(peft::PeftModel& model, TrainConfig config, std::vector<Sequence> train, std::vector<Sequence> validation,
            std::string outputDir, std::vector<std::string> validationTasks = {});

    // Runs until max_steps, early stopping, cancel or failure; from the
    // checkpoint folder `resumeFrom` when given. Never throws for training
    // failures (NaN loss, bad data): they come back as status Failed.
    TrainResult run(TrainObserver& observer, RunControl& control, const std::string& resumeFrom = {});

    // Validation loss over the validation set (or evalBatches batches).
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
    double clipGradients(int64_t step);
    std::optional<TrainStatus> afterStep(RunState& state, const Batch& batch, const StepStats& stats,
                                         TrainObserver& observer);
    bool validateAndTrack(RunState& state, TrainObserver& observer); // true = stop early
    TrainResult finish(const RunState& state, TrainStatus status, std::string error);

    std::pair<torch::Tensor, torch::Tensor> collate(const std::vector<size_t>& indices,
                                                    const std::vector<Sequence>& data) const;
    std::string saveCheckpoint(const RunState& state);
    void loadCheckpoint(const std::string& dir, RunState& state);

    peft::PeftModel& m_model;
    TrainConfig m_config;
    std::vector<Sequence> m_train, m_val;
    std::vector<std::string> m_valTasks;
    std::string m_outputDir;
    torch::Device m_device{torch::kCPU};
    std::vector<torch::Tensor> m_params;
    std::unique_ptr<torch::optim::Optimizer> m_optimizer;
};

} // namespace tb::train
