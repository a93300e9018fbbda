#pragma once
// What a training run is told (TrainConfig), what it reports while it runs
// (events through TrainObserver) and how it ended (TrainResult). Another
// thread steers it through tb::RunControl (common/run_control.h).
// No LibTorch: the GUI and CLI include this.
#include "common/run_control.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace tb::train {

// One tokenised training sequence. labels[i] is the target id for position i
// (Hugging Face convention: the loss compares logits[i-1] with labels[i]);
// -100 means "no loss here" (prompt tokens, padding).
struct Sequence {
    std::vector<int64_t> ids;
    std::vector<int64_t> labels;
    // Index into the run's task names (Trainer's validationTasks), for
    // validation loss per task; 0 when the run has one task.
    int task = 0;
};

inline constexpr int64_t kIgnoreIndex = -100;

struct TrainConfig {
    std::string optimizer = "adamw"; // adamw, sgd
    double learningRate = 2e-4;
    double weightDecay = 0.0;        // AdamW only; never applied to norms and biases
    double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
    double momentum = 0.0;           // SGD only
    std::string schedule = "cosine"; // constant, linear, cosine (decay to minLrRatio * lr)
    int64_t warmupSteps = 0;
    double minLrRatio = 0.0;
    int64_t maxSteps = 100;          // optimizer steps
    int64_t batchSize = 8;           // examples per micro-batch (per rank)
    int64_t gradAccumulation = 1;
    double clipNorm = 1.0;           // 0 = off
    int64_t evalEvery = 0;           // steps; 0 = only at the end
    int64_t evalBatches = 0;         // 0 = the whole validation set
    int64_t earlyStoppingPatience = 0; // evaluations without improvement; 0 = off
    int64_t checkpointEvery = 0;     // steps; 0 = only at the end
    uint64_t seed = 0;
    std::string device = "cpu";      // cpu, cuda, cuda:N
    // auto (bf16 on CUDA and on CPUs with AMX-BF16/AVX512-BF16, else f32), f32,
    // bf16 (autocast mixed precision, f32 master weights); see common/cpu_features.h
    std::string precision = "auto";
    // Recompute each block's activations in the backward pass: "true", "false",
    // or "auto" (on when the memory estimate exceeds the memory available).
    std::string gradientCheckpointing = "auto";
    int64_t threads = 0;             // intra-op threads; 0 = engine default (cores / local processes)
    int64_t processes = 1;           // data-parallel processes on this machine (the GUI's launcher)
    int rank = 0, worldSize = 1;     // data-parallel shard of this process
    // Greedy sample generations with the model being trained, every N steps
    // (0 = off). Prompts are rendered through the run's template as an
    // instruction; empty = the prompts of the first validation examples.
    int64_t sampleEvery = 0;
    std::vector<std::string> samplePrompts;
    int64_t sampleMaxNewTokens = 32;
};

// Reads {"optimizer": ..., "learning_rate": ..., ...}; unknown keys are errors.
TrainConfig parseTrainConfig(const nlohmann::json& json, const std::string& source);
nlohmann::json toJson(const TrainConfig& config);

struct StepEvent {
    int64_t step = 0;        // 1-based optimizer step just finished
    int64_t totalSteps = 0;
    double loss = 0;         // mean token loss of this step
    double learningRate = 0;
    double gradNorm = 0;     // before clipping
    double tokensPerSecond = 0;
    double elapsedSeconds = 0;
    double etaSeconds = 0;
    int64_t tokensSeen = 0;      // this rank's non-padding input tokens (ids of its examples) so far
    int64_t epoch = 0;           // epochs completed (integer part of epochProgress)
    double epochProgress = 0;    // fractional: examples drawn (all ranks) / training examples
    int64_t peakMemoryBytes = 0;
    // Data-parallel runs: each rank's input tokens per second this step, by
    // rank (rank 0 first); empty for a single process.
    std::vector<double> rankTokensPerSecond;
};

struct ValidationEvent {
    int64_t step = 0;
    double loss = 0;
    double perplexity = 0;
    bool improved = false;
    // Multi-task runs: token-weighted mean loss of each task's validation
    // sequences, in the order of the trainer's task names; empty for one task.
    std::vector<std::pair<std::string, double>> perTask;
};

// How a training run ended.
enum class TrainStatus { Completed, EarlyStopped, Cancelled, Failed };
std::string_view trainStatusName(TrainStatus status); // "completed", "early_stopped", "cancelled", "failed"

struct TrainResult {
    TrainStatus status = TrainStatus::Completed;
    std::string error;       // set when failed
    int64_t steps = 0;
    double finalLoss = 0;
    std::optional<double> bestValidationLoss; // empty when never validated
    std::string lastCheckpoint;
};

class TrainObserver {
public:
    virtual ~TrainObserver() = default;
    virtual void onStep(const StepEvent&) {}
    virtual void onValidation(const ValidationEvent&) {}
    virtual void onCheckpoint(int64_t /*step*/, const std::string& /*dir*/) {}
    virtual void onLog(const std::string& /*message*/) {}
};

} // namespace tb::train
