#pragma once
// Where a model's weights come from, resolved one way for every command and
// panel: a model folder alone, a model with a PEFT adapter folder, or a run
// in the store (what it saved, on its base model). No LibTorch.
#include "store/run_store.h"
#include "train/run_config.h"

#include <cstdint>
#include <string>

namespace tb::engine {

// What to evaluate. Exactly one of: model alone, model + adapterDir, run.
struct ModelSpec {
    std::string model;       // Hugging Face folder or llama2.c .bin; with run: default = the run's base model
    std::string tokenizer;   // default: the model folder's
    std::string adapterDir;  // a PEFT adapter folder (saved by Tunebench or HF PEFT)
    int64_t run = 0;         // a run in the store: its saved adapter/model is used
    std::string device = "cpu";
};

// What a stored run learned, as files.
struct RunWeights {
    store::Run run;
    train::RunConfig config;     // as the run recorded it
    enum class Kind { Adapter, Model } kind = Kind::Adapter;
    std::string path;            // an adapter folder for config.model, or a whole model folder
};

// A run's own saved adapter or model folder (the newest); failing that, a
// merged export of it. Throws tb::Error naming the run and its status when
// it has saved no weights, and naming the store when the run is unknown.
RunWeights resolveRunWeights(const store::RunStore& store, int64_t runId);

} // namespace tb::engine
