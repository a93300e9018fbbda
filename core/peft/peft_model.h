#pragma once
// A base model with a fine-tuning method applied: which parameters train,
// the forward pass the trainer calls, and saving/loading what was learned.
// Heavy header (LibTorch): include it from engine code only.
#include "model/causal_lm.h"
#include "model/language_model.h" // GenerationOptions, GenerationResult
#include "peft/targets.h" // defaultLoraTargets and the name rules, torch-free
#include "peft/method_config.h"

#include <memory>
#include <string>
#include <vector>

namespace tb::tok {
class Tokenizer;
}

namespace tb::peft {

struct TrainableSummary {
    int64_t trainable = 0;
    int64_t total = 0; // base + added parameters
    double share() const { return total ? static_cast<double>(trainable) / static_cast<double>(total) : 0.0; }
};

class PeftModel {
public:
    // Applies `config` to `base` in place (adds LoRA/adapters, sets
    // requires_grad). The frozen base weights are never modified by training.
    // Mixed precision: on a base loaded in bf16 (LoadOptions::precision) the
    // parameters this makes trainable become f32 master weights; the frozen
    // ones stay bf16 (selective tuning: the frozen projection matrices only,
    // see keepTrainedInF32), so no step casts them.
    // `tokenizer` is needed only for prompt-tuning init "text".
    PeftModel(std::shared_ptr<model::CausalLMImpl> base, MethodConfig config, const tok::Tokenizer* tokenizer = nullptr,
              uint64_t seed = 0);

    // Logits [B, T, V] aligned with `ids` (virtual prompt tokens removed).
    torch::Tensor forward(const torch::Tensor& ids);

    // Decodes with the method applied (model::generate; a soft prompt goes in
    // front of every row). The caller chooses eval/train mode.
    std::vector<model::GenerationResult> generate(const std::vector<std::vector<int64_t>>& prompts,
                                                  const model::GenerationOptions& options,
                                                  const tok::Tokenizer* tokenizer = nullptr);

    std::vector<std::pair<std::string, torch::Tensor>> trainableParameters() const;
    TrainableSummary summary() const;
    const MethodConfig& config() const { return m_config; }
    std::shared_ptr<model::CausalLMImpl> base() const { return m_base; }
    torch::Tensor promptEmbeddings() const { return m_prompt; }

    // The learned weights alone. LoRA and prompt tuning in the Hugging Face
    // PEFT layout (adapter_config.json + adapter_model.safetensors); bottleneck
    // adapters and selective/full tuning in the same two files with Tunebench
    // peft_type values. Written atomically.
    void saveAdapter(const std::string& dir, const std::string& baseModelPath) const;
    // Reads such a folder onto a freshly loaded base model.
    static std::unique_ptr<PeftModel> loadAdapter(const std::string& dir, std::shared_ptr<model::CausalLMImpl> base);

    // A Hugging Face model folder with LoRA merged into the weights (computed
    // on copies; this model is unchanged). Adapters and soft prompts cannot be
    // merged into a plain architecture: those throw tb::Error.
    void exportMerged(const std::string& dir, const std::string& baseModelPath) const;

private:
    void applyLora();
    void applySelective();
    void keepTrainedInF32();

    std::shared_ptr<model::CausalLMImpl> m_base;
    MethodConfig m_config;
    torch::Tensor m_prompt; // [P, C] for prompt tuning
};

} // namespace tb::peft
