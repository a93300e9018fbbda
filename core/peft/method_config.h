#pragma once
// How a run adapts its base model: full fine-tuning or one of the
// parameter-efficient methods. Plain data, read from and written to RUN.json.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace tb::peft {

enum class Method { Full, Selective, Lora, Adapter, PromptTuning };

std::string methodName(Method method); // full, selective, lora, adapter, prompt_tuning

struct SelectiveConfig {
    bool biases = false;     // BitFit (https://arxiv.org/abs/2106.10199)
    bool norms = false;
    bool embeddings = false;
    bool head = false;       // output head (the embedding itself when tied)
    std::vector<std::pair<int64_t, int64_t>> layers; // inclusive ranges of block indices, all their weights
    std::vector<std::string> patterns;               // ECMAScript regexes searched in parameter names
};

struct LoraConfig {
    int64_t rank = 8;
    double alpha = 16.0;
    double dropout = 0.05;
    std::vector<std::string> targets; // module names (suffix match); empty = family default
    bool rsLora = false;
};

struct AdapterConfig {
    int64_t size = 64;                // bottleneck width
    std::string activation = "relu";  // relu, gelu, silu, tanh
};

struct PromptTuningConfig {
    int64_t numVirtualTokens = 20;
    std::string init = "random";      // random, vocab (embeddings of random vocabulary tokens), text
    std::string text;                 // for init = text
};

struct MethodConfig {
    Method method = Method::Lora;
    SelectiveConfig selective;
    LoraConfig lora;
    AdapterConfig adapter;
    PromptTuningConfig prompt;
};

// Reads {"method": "lora", "lora": {...}, ...}; unknown keys are errors that
// name `source` and the key, so typos do not silently change a run.
MethodConfig parseMethodConfig(const nlohmann::json& json, const std::string& source);
nlohmann::json toJson(const MethodConfig& config);

} // namespace tb::peft
