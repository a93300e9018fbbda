#pragma once
// A run's data as the trainer sees it: read, templated, tokenised, split and
// mixed from what RUN.json names. No LibTorch.
#include "train/run_config.h"
#include "train/train_types.h"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tb::tok {
class Tokenizer;
}

namespace tb::engine {

struct DataSummary {
    size_t trainExamples = 0;      // sequences the trainer sees (after mixing / packing)
    size_t validationExamples = 0;
    size_t truncated = 0;
    size_t dropped = 0;            // records without any loss token
    int64_t trainTokens = 0;
    std::map<std::string, size_t> perTask; // training records per task after mixing
};

struct PreparedData {
    std::vector<train::Sequence> train, validation;
    // The validation examples' tasks, sorted; each validation Sequence's
    // `task` indexes into it. Two or more: validation loss per task.
    std::vector<std::string> validationTasks;
    DataSummary summary;
};

// Reads, templates, tokenises, splits and mixes the data of `config`.
PreparedData prepareData(const train::RunConfig& config, const tok::Tokenizer& tokenizer);

} // namespace tb::engine
