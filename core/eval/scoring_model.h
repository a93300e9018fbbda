#pragma once
// A model as evaluation sees it: logits for right-padded rows, batched
// generation with whatever method was applied (soft prompts included), and
// its tokenizer. The engine loads one (engine/model_loader.h); eval/ scores it.
// Heavy header (LibTorch).
#include "model/causal_lm.h"
#include "model/language_model.h"
#include "peft/peft_model.h"
#include "tokenizer/tokenizer.h"

#include <vector>

namespace tb::eval {

struct ScoringModel {
    model::LanguageModel* lm = nullptr;
    peft::PeftModel* peft = nullptr; // null: the model alone
    const tok::Tokenizer* tokenizer = nullptr;

    // Logits [B, T, V] for right-padded rows (causal: padding after a row's
    // end never changes its earlier positions).
    torch::Tensor forward(const torch::Tensor& ids) const
    {
        if (peft)
            return peft->forward(ids);
        model::ForwardInput in;
        in.ids = ids;
        return lm->module()->forward(in);
    }
    std::vector<model::GenerationResult> generate(const std::vector<std::vector<int64_t>>& prompts,
                                                  const model::GenerationOptions& options) const
    {
        return peft ? peft->generate(prompts, options, tokenizer) : lm->generate(prompts, options, tokenizer);
    }
    // Virtual tokens a soft prompt puts before every input (0 without one).
    int64_t softPromptLength() const
    {
        return peft && peft->promptEmbeddings().defined() ? peft->promptEmbeddings().size(0) : 0;
    }
    torch::Device device() const { return lm->module()->parameters().front().device(); }
};

} // namespace tb::eval
