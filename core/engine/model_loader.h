#pragma once
// Loads what a ModelSpec names (engine/model_source.h): the model, the
// method a run or adapter folder applies, and the tokenizer, ready for
// inference (eval mode, no gradients). The evaluation engine and every
// command that runs a stored run use this one loader.
// Heavy header (LibTorch): engine code only.
#include "common/run_control.h"
#include "engine/model_source.h"
#include "eval/scoring_model.h"

#include <memory>
#include <string>

namespace tb::engine {

struct LoadedModel {
    std::unique_ptr<model::LanguageModel> lm;
    std::unique_ptr<peft::PeftModel> peft; // null for a model alone
    std::unique_ptr<tok::Tokenizer> tokenizer;
    std::string baseModel;                 // recorded as the base model path
    std::string adapter;                   // the adapter folder evaluated without a run
    int64_t run = 0;
    std::string label;                     // "base", "run 12 (name)", "<adapter dir>"
    // "f32", or "bf16": bf16 base weights, forward passes under bf16
    // autocast (model/autocast.h); what loadModel's `precision` resolved to.
    std::string precision = "f32";

    eval::ScoringModel scoring() const { return {lm.get(), peft.get(), tokenizer.get()}; }
};

enum class TokenizerNeed { Required, Optional };

// `dbPath` is needed when spec.run is set. Throws tb::Error naming what is
// missing or wrong, and "cancelled" when `control` is cancelled in between.
// With TokenizerNeed::Optional a model without tokenizer files loads with a
// null tokenizer (token ids in, token ids out).
// `precision`: "f32" (the default), "bf16", or "auto" (bf16 where the device
// is faster with it, common/cpu_features.h). A caller asking for anything but
// f32 runs its forward passes under model::AutocastScope(l.precision == "bf16"):
// a bf16 base with f32 adapter weights only computes under autocast.
LoadedModel loadModel(const ModelSpec& spec, const std::string& dbPath, const RunControl* control = nullptr,
                      TokenizerNeed tokenizer = TokenizerNeed::Required, const std::string& precision = "f32");

// The tokenizer files beside a model (its folder, or the folder of a .bin);
// `hint` says how to name one instead when there are none.
std::unique_ptr<tok::Tokenizer> tokenizerNear(const std::string& modelPath,
                                              const std::string& hint = "give one with --tokenizer");

} // namespace tb::engine
