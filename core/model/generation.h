#pragma once
// The one decoding loop: batched, KV-cached, left-padded prompts of different
// lengths, greedy or sampled, with stop ids, stop strings and EOS. A soft
// prompt (prompt tuning) goes in as `prefix`, placed in front of every row's
// first real token. LanguageModel::generate and PeftModel::generate both
// call this; nothing else decodes.
// Heavy header (LibTorch).
#include "model/causal_lm.h"
#include "model/language_model.h" // GenerationOptions, GenerationResult

#include <cstdint>
#include <vector>

namespace tb::tok {
class Tokenizer;
}

namespace tb::model {

// `prefix`: optional [P, C] embeddings. Positions count from the first
// prefix token, as PeftModel::forward does during training. Throws tb::Error
// for empty prompts, ids outside the vocabulary and prompts longer than the
// context (prefix included).
std::vector<GenerationResult> generate(CausalLMImpl& module, const std::vector<std::vector<int64_t>>& prompts,
                                       const GenerationOptions& options, const tok::Tokenizer* tokenizer = nullptr,
                                       const torch::Tensor& prefix = {});

// Sampling settings: temperature 0 (greedy) or at least kMinTemperature
// (smaller ones overflow the logits), top_p in [0, 1] (1 = off, 0 = only the
// most likely token, the limit of ever smaller nuclei), top_k >= 0; NaN is
// refused everywhere. Throws tb::Error saying which setting and why.
inline constexpr double kMinTemperature = 1e-4;
void checkGenerationOptions(const GenerationOptions& options);

// Throws tb::Error naming the first id outside [0, vocab).
void checkTokenIds(const std::vector<int64_t>& ids, int64_t vocab, const char* what);

} // namespace tb::model
