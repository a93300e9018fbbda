#pragma once
// Every rule a RunConfig must satisfy before a run starts, in one place: the
// GUI shows them beside its fields, the CLI prints them. Pure: no file is
// read and no model is loaded, so whether the model folder or the data files
// exist is the caller's question. No LibTorch.
#include "train/run_config.h"

#include <string>
#include <vector>

namespace tb::train {

struct ConfigProblem {
    std::string key;     // RUN.json key path, e.g. "training.learning_rate", "method.lora.rank", "data.train[0]"
    std::string message; // one line naming the setting, what it must be and what was found
};

// Empty when the configuration can start. Sections of methods other than the
// chosen one are checked too: RUN.json stores them all and reads them back.
std::vector<ConfigProblem> validate(const RunConfig& config);

} // namespace tb::train
