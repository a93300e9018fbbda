#pragma once
// Test helper: a tiny randomly initialised Llama model folder with a real
// tokenizer (the Llama-2-style tokenizer.json fixture), so whole runs can
// go from text files to a trained adapter in a second.
#include "model/language_model.h"
#include "peft/peft_model.h"
#include "tokenizer/tokenizer.h"

#include <filesystem>
#include <string>

namespace tbtest {

inline std::string tokenizerFixture() { return std::string(TB_FIXTURES_DIR) + "/tokenizers/llama2-metaspace"; }

// `tied`: output head shares the embedding. A random tied model greedily
// repeats its last input token, so tests that compare generations for
// different prompts use an untied one.
inline std::string makeTinyModel(const std::string& dir, uint64_t seed = 1, bool tied = true)
{
    auto tok = tb::tok::loadTokenizer(tokenizerFixture());
    tb::model::ModelConfig c;
    c.family = tb::model::Family::Llama;
    c.modelType = "llama";
    c.vocabSize = tok->vocabSize();
    c.hiddenSize = 32;
    c.numLayers = 2;
    c.numHeads = 4;
    c.numKvHeads = 2;
    c.headDim = 8;
    c.intermediateSize = 64;
    c.maxPositions = 128;
    c.normEps = 1e-5;
    c.tieEmbeddings = tied;
    c.activation = "silu";
    c.storageDType = "f32";
    c.bosId = tok->bosId();
    c.eosId = tok->eosId();
    auto lm = tb::model::LanguageModel::create(c, seed);
    tb::peft::MethodConfig full;
    full.method = tb::peft::Method::Full;
    tb::peft::PeftModel(lm->module(), full).exportMerged(dir, tokenizerFixture());
    return dir;
}

} // namespace tbtest
