#pragma once
// Architecture hyper-parameters of a causal language model, read from a
// Hugging Face config.json or a llama2.c header. No LibTorch here.
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace tb::model {

enum class Family { Gpt2, Llama };

struct RopeScaling {
    std::string type;              // "" (none), "linear", "llama3"
    double factor = 1.0;
    double lowFreqFactor = 1.0;    // llama3 only
    double highFreqFactor = 4.0;   // llama3 only
    int64_t originalMaxPositions = 8192;
};

struct ModelConfig {
    Family family = Family::Llama;
    std::string modelType;          // config.json's model_type: gpt2, llama, qwen2, llama2c
    int64_t vocabSize = 0;
    int64_t hiddenSize = 0;
    int64_t numLayers = 0;
    int64_t numHeads = 0;
    int64_t numKvHeads = 0;
    int64_t headDim = 0;
    int64_t intermediateSize = 0;
    int64_t maxPositions = 0;
    double normEps = 1e-5;
    double ropeTheta = 10000.0;
    RopeScaling ropeScaling;
    bool tieEmbeddings = false;
    bool qkvBias = false;           // qwen2: biases on q/k/v projections
    bool attentionOutBias = false;  // llama attention_bias=true also biases o_proj
    bool mlpBias = false;
    std::string activation;         // gelu_new, gelu, relu, silu
    std::optional<int64_t> bosId;
    std::optional<int64_t> eosId;
    std::string storageDType;       // dtype the weights are stored in: f32, f16, bf16

    std::string familyName() const;
    // Parameters the model has, counting tied embeddings once.
    int64_t parameterCount() const;
};

// Throws tb::Error naming `source`, the field, expected vs found.
ModelConfig parseHfConfig(const nlohmann::json& json, const std::string& source);
ModelConfig readHfConfig(const std::string& configPath);
nlohmann::json toHfConfig(const ModelConfig& config);

// A model's facts without reading its weights: config.json of a Hugging Face
// folder (the stored dtype taken from the safetensors headers, as the loader
// does) or a llama2.c .bin header. Throws tb::Error naming the file.
ModelConfig readModelConfig(const std::string& path);

} // namespace tb::model
