#pragma once
// What a fine-tuning method costs before anything is loaded: parameter names
// and shapes from a model's config alone, the trainable count and share each
// method gives, and a rough memory estimate. No LibTorch: the GUI shows these
// live. The name rules here are the ones PeftModel applies, so the counts
// equal what a real run reports.
#include "model/model_config.h"
#include "peft/method_config.h"
#include "train/train_types.h"

#include <cstdint>
#include <regex>
#include <string>
#include <utility>
#include <vector>

namespace tb::peft {

struct ParamInfo {
    std::string name;           // the engine's name, e.g. transformer.h.0.attn.c_attn.weight
    std::vector<int64_t> shape; // as the engine stores it (GPT-2 Conv1D [in, out])
    int64_t numel() const;
};

// A base model's parameters in the engine's registration order (GPT-2 always
// with the transformer. prefix; tied heads counted once, under the embedding).
std::vector<ParamInfo> parameterList(const model::ModelConfig& config);

struct ProjectionInfo {
    std::string path; // module path, e.g. model.layers.0.self_attn.q_proj
    int64_t in = 0, out = 0;
};
// Every linear map LoRA can attach to (what CausalLMImpl::projections() lists).
std::vector<ProjectionInfo> projectionList(const model::ModelConfig& config);

// Module paths LoRA attaches to by default: GPT-2's fused c_attn, Llama's q/v.
std::vector<std::string> defaultLoraTargets(const model::ModelConfig& config);
// Hugging Face PEFT's rule: a target matches the module path exactly or as its last dotted components.
bool loraTargetMatches(const std::string& path, const std::string& target);

// Which parameters selective tuning trains. Throws tb::Error on an invalid pattern.
class SelectiveMatcher {
public:
    SelectiveMatcher(const SelectiveConfig& config, bool tiedEmbeddings);
    bool selects(const std::string& name) const;

private:
    SelectiveConfig m_config;
    bool m_tied;
    std::vector<std::regex> m_patterns;
};

// Block index in names like model.layers.3.x or transformer.h.3.x; -1 when none.
int64_t layerIndexOf(const std::string& name);

// Bytes a training run holds. All of it is an estimate: allocator slack,
// temporaries and the framework's own buffers are not modelled.
struct MemoryEstimate {
    int64_t weights = 0;     // every parameter, float32 (the engine trains in float32 master weights)
    int64_t gradients = 0;   // float32 per trainable parameter
    int64_t optimizer = 0;   // AdamW: two float32 moments per trainable; SGD: one with momentum
    int64_t activations = 0; // rough, see estimate.cpp
    int64_t total() const { return weights + gradients + optimizer + activations; }
};

struct Estimate {
    int64_t total = 0;     // base + added parameters (PeftModel::summary().total)
    int64_t trainable = 0; // PeftModel::summary().trainable
    double share() const { return total ? static_cast<double>(trainable) / static_cast<double>(total) : 0.0; }
    MemoryEstimate memory;
};

// Throws tb::Error with the message PeftModel would give when the method
// selects nothing (LoRA targets matching no module, an empty selective subset)
// or a setting is out of range. `sequenceLength` is tokens per example
// (data.max_length); the batch, optimiser and precision come from `training`.
Estimate estimate(const model::ModelConfig& model, const MethodConfig& method,
                  const train::TrainConfig& training = {}, int64_t sequenceLength = 512);

// A model's facts without reading its weights: config.json of a Hugging Face
// folder (the stored dtype taken from the safetensors headers, as the loader
// does) or a llama2.c .bin header. Throws tb::Error naming the file.
model::ModelConfig readModelConfig(const std::string& path);

} // namespace tb::peft
