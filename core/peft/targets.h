#pragma once
// Where a fine-tuning method attaches, from a model's config alone: parameter
// names and shapes, the projections LoRA can target, which parameters
// selective tuning picks, and the trainable count each method gives. No
// LibTorch: the GUI shows these live. PeftModel applies the same rules, so
// the counts equal what a real run reports.
#include "model/model_config.h"
#include "peft/method_config.h"

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

struct TrainableCount {
    int64_t total = 0;       // base + added parameters (PeftModel::summary().total)
    int64_t trainable = 0;   // PeftModel::summary().trainable
    int64_t extraTokens = 0; // virtual tokens prompt tuning puts in front of every sequence
};

// Throws tb::Error with the message PeftModel would give when the method
// selects nothing (LoRA targets matching no module, an empty selective subset)
// or a setting is out of range.
TrainableCount countTrainable(const model::ModelConfig& model, const MethodConfig& method);

} // namespace tb::peft
