#pragma once
// Sample generations during training (training.sample_every): which prompts,
// and greedy outputs with the weights as they are at that step.
// Heavy header (LibTorch): engine code only.
#include "peft/peft_model.h"
#include "train/distributed.h"
#include "train/run_config.h"
#include "train/train_types.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tb::engine {

struct SamplePrompt {
    std::vector<int64_t> ids;
    std::string text;
    std::string task; // the task it was taken from (multi-task runs); empty otherwise
};

// training.sample_prompts rendered through the template as an instruction, or
// else the prompt part (tokens before the first loss label) of the first
// validation sequences, exactly as the model sees them in training. With two
// or more `validationTasks` (what the sequences' `task` indexes), the default
// is the first such prompt of each task, labelled with the task.
std::vector<SamplePrompt> samplePrompts(const train::RunConfig& config, const tok::Tokenizer& tokenizer,
                                        const std::vector<train::Sequence>& validation,
                                        const std::vector<std::string>& validationTasks = {});

struct Sampler {
    peft::PeftModel* model = nullptr; // the model being trained (LoRA, adapters, ... in place)
    const tok::Tokenizer* tokenizer = nullptr;
    std::vector<SamplePrompt> prompts;
    int64_t every = 0;
    int64_t maxNewTokens = 32;
    // Data-parallel runs: every rank of `group` calls generate() at the same
    // step with the same prompts; rank r generates prompts r, r+N, ... and
    // every rank gets all outputs (one process's texts: greedy rows do not
    // depend on the batch). A failure on any rank throws on every rank.
    train::ProcessGroup* group = nullptr;

    // Greedy outputs of every prompt with the weights as they are now, in
    // eval mode (no dropout) and without gradients; the training mode, graph
    // and dropout RNG are left as they were, so training goes on unchanged.
    std::vector<std::string> generate() const;

private:
    std::vector<std::string> generateLocally(const std::vector<size_t>& which) const;
};

} // namespace tb::engine
