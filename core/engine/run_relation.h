#pragma once
// How an ordered list of runs relates, decided one way for the CLI and the
// GUI: independent fine-tunes of one base model, a sequential chain (each run
// fine-tunes the model an earlier run saved or exported), or unrelated (no
// common base). The forgetting analysis offers the detected relation as its
// default mode. No LibTorch.
#include "store/run_store.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tb::engine {

enum class RunRelation { Independent, Chain, Unrelated };

struct RunRelationInfo {
    RunRelation relation = RunRelation::Independent;
    std::string base;   // the first run's base model: row 0 of a forgetting matrix
    std::string reason; // Unrelated: which run starts from which model, in words
};

// Throws tb::Error naming the store when a run id is unknown. One run is
// Independent. A run counts as continuing an earlier one when its model
// lies under that run's output folder or one of its artifacts. A run whose
// stored configuration does not parse counts by its recorded base model.
RunRelationInfo detectRunRelation(const store::RunStore& store, const std::vector<int64_t>& runs);

} // namespace tb::engine
