#pragma once
// The evaluation engine's side of the run store: a task result written as
// one task evaluation with its scores and every example's output, and stored
// outputs rescored later without the model.
// Heavy header (LibTorch, through model_loader.h): engine code only.
#include "engine/model_loader.h"
#include "eval/results.h"
#include "store/run_store.h"

#include <string>

namespace tb::engine {

// Sets r.taskEvaluation to the new row's id.
void recordTaskResult(store::RunStore& store, const LoadedModel& model, const eval::SuiteSpec& suite,
                      eval::TaskResult& r, const std::string& settingsJson);

} // namespace tb::engine
