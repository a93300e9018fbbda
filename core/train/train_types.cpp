#include "train/train_types.h"

#include "common/error.h"
#include "common/json_fields.h"

#include <nlohmann/json.hpp>

#include <set>

namespace tb::train {

using nlohmann::json;

std::string_view trainStatusName(TrainStatus status)
{
    switch (status) {
    case TrainStatus::Completed: return "completed";
    case TrainStatus::EarlyStopped: return "early_stopped";
    case TrainStatus::Cancelled: return "cancelled";
    case TrainStatus::Failed: return "failed";
    }
    return "failed";
}

using json_fields::read;

namespace {

// true, false or "auto"; stored as the text.
void readCheckpointing(const json& j, std::string& out, const std::string& source)
{
    const auto it = j.find("gradient_checkpointing");
    if (it == j.end())
        return;
    if (it->is_boolean())
        out = it->get<bool>() ? "true" : "false";
    else if (it->is_string() && (*it == "auto" || *it == "true" || *it == "false"))
        out = it->get<std::string>();
    else
        throw Error(source + ".gradient_checkpointing: expected true, false or \"auto\", found " + it->dump());
}

} // namespace

TrainConfig parseTrainConfig(const json& j, const std::string& source)
{
    json_fields::checkKeys(j, {
        "optimizer", "learning_rate", "weight_decay", "beta1", "beta2", "eps", "momentum", "schedule",
        "warmup_steps", "min_lr_ratio", "max_steps", "batch_size", "grad_accumulation", "clip_norm",
        "eval_every", "eval_batches", "early_stopping_patience", "checkpoint_every", "seed", "device",
        "precision", "gradient_checkpointing", "threads", "processes", "sample_every", "sample_prompts", "sample_max_new_tokens"}, source);
    TrainConfig c;
    read(j, "optimizer", c.optimizer, source);
    read(j, "learning_rate", c.learningRate, source);
    read(j, "weight_decay", c.weightDecay, source);
    read(j, "beta1", c.beta1, source);
    read(j, "beta2", c.beta2, source);
    read(j, "eps", c.eps, source);
    read(j, "momentum", c.momentum, source);
    read(j, "schedule", c.schedule, source);
    read(j, "warmup_steps", c.warmupSteps, source);
    read(j, "min_lr_ratio", c.minLrRatio, source);
    read(j, "max_steps", c.maxSteps, source);
    read(j, "batch_size", c.batchSize, source);
    read(j, "grad_accumulation", c.gradAccumulation, source);
    read(j, "clip_norm", c.clipNorm, source);
    read(j, "eval_every", c.evalEvery, source);
    read(j, "eval_batches", c.evalBatches, source);
    read(j, "early_stopping_patience", c.earlyStoppingPatience, source);
    read(j, "checkpoint_every", c.checkpointEvery, source);
    read(j, "seed", c.seed, source);
    read(j, "device", c.device, source);
    read(j, "precision", c.precision, source);
    readCheckpointing(j, c.gradientCheckpointing, source);
    read(j, "threads", c.threads, source);
    read(j, "processes", c.processes, source);
    read(j, "sample_every", c.sampleEvery, source);
    read(j, "sample_prompts", c.samplePrompts, source);
    read(j, "sample_max_new_tokens", c.sampleMaxNewTokens, source);
    if (c.optimizer != "adamw" && c.optimizer != "sgd")
        throw Error(source + ".optimizer: '" + c.optimizer + "' (expected adamw or sgd)");
    if (c.schedule != "constant" && c.schedule != "linear" && c.schedule != "cosine")
        throw Error(source + ".schedule: '" + c.schedule + "' (expected constant, linear or cosine)");
    if (c.precision != "auto" && c.precision != "f32" && c.precision != "bf16")
        throw Error(source + ".precision: '" + c.precision + "' (expected auto, f32 or bf16)");
    if (c.processes < 1)
        throw Error(source + ".processes: expected 1 or more, found " + std::to_string(c.processes));
    if (!(c.learningRate > 0))
        throw Error(source + ".learning_rate: expected a positive number");
    if (c.maxSteps <= 0 || c.batchSize <= 0 || c.gradAccumulation <= 0)
        throw Error(source + ": max_steps, batch_size and grad_accumulation must be positive");
    if (c.warmupSteps < 0 || c.warmupSteps > c.maxSteps)
        throw Error(source + ".warmup_steps: expected 0.." + std::to_string(c.maxSteps));
    if (c.sampleEvery < 0)
        throw Error(source + ".sample_every: expected 0 (off) or a positive number of steps, found " +
                    std::to_string(c.sampleEvery));
    if (c.sampleMaxNewTokens <= 0)
        throw Error(source + ".sample_max_new_tokens: expected a positive number, found " +
                    std::to_string(c.sampleMaxNewTokens));
    return c;
}

json toJson(const TrainConfig& c)
{
    return {{"optimizer", c.optimizer},     {"learning_rate", c.learningRate},
            {"weight_decay", c.weightDecay}, {"beta1", c.beta1},
            {"beta2", c.beta2},             {"eps", c.eps},
            {"momentum", c.momentum},       {"schedule", c.schedule},
            {"warmup_steps", c.warmupSteps}, {"min_lr_ratio", c.minLrRatio},
            {"max_steps", c.maxSteps},      {"batch_size", c.batchSize},
            {"grad_accumulation", c.gradAccumulation}, {"clip_norm", c.clipNorm},
            {"eval_every", c.evalEvery},    {"eval_batches", c.evalBatches},
            {"early_stopping_patience", c.earlyStoppingPatience},
            {"checkpoint_every", c.checkpointEvery},
            {"seed", c.seed},               {"device", c.device},
            {"precision", c.precision},
            {"gradient_checkpointing", c.gradientCheckpointing == "auto" ? json("auto")
                                                                          : json(c.gradientCheckpointing == "true")},
            {"threads", c.threads},         {"processes", c.processes},
            {"sample_every", c.sampleEvery}, {"sample_prompts", c.samplePrompts},
            {"sample_max_new_tokens", c.sampleMaxNewTokens}};
}

} // namespace tb::train
