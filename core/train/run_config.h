#pragma once
// RUN.json: everything that defines a fine-tuning run — base model, data,
// method and training settings. Documented in resources/runs/README.md.
#include "peft/method_config.h"
#include "train/train_types.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tb::train {

struct DataFile {
    std::string path;
    std::string task;                         // default: the record's own task field, else the file name
    std::string format = "auto";              // auto, jsonl, json, csv
    std::map<std::string, std::string> fields; // source field -> Tunebench field (prompt, response, task, ...)
};

struct DataConfig {
    std::vector<DataFile> train;
    std::vector<DataFile> validation;         // empty: split validation_fraction off the training data
    double validationFraction = 0.1;
    std::string templateName = "alpaca";      // alpaca, chatml, plain
    bool lossOnPrompt = false;
    int64_t maxLength = 512;
    bool packing = false;
    std::string mixing = "natural";           // natural, proportions, equal, temperature
    double temperature = 2.0;
    std::map<std::string, double> proportions;
    int64_t total = 0;                        // examples after mixing; 0 = as many as there are
};

struct RunConfig {
    std::string name;
    std::string model;        // Hugging Face folder or llama2.c .bin
    std::string tokenizer;    // default: the one in the model folder
    DataConfig data;
    peft::MethodConfig method;
    TrainConfig training;
    std::string outputDir;    // default: <store folder>/runs/<store file stem>-<run id>
};

// Relative paths in the file are taken relative to the file's folder.
RunConfig readRunConfig(const std::string& path);
RunConfig parseRunConfig(const nlohmann::json& json, const std::string& source, const std::string& baseDir = {});
nlohmann::json toJson(const RunConfig& config);

} // namespace tb::train
