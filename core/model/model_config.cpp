#include "model/model_config.h"

#include "common/error.h"
#include "io/atomic_file.h"
#include "io/json_error.h"
#include "io/weight_set.h"
#include "model/llama2c.h"

#include <nlohmann/json.hpp>

#include <filesystem>

namespace fs = std::filesystem;

namespace tb::model {

using nlohmann::json;

namespace {

class Reader {
public:
    Reader(const json& j, const std::string& source) : m_j(j), m_source(source) {}

    int64_t positive(const char* key) const
    {
        auto v = optionalInt(key);
        if (!v)
            throw Error(m_source + ": missing field '" + key + "' (a positive integer)");
        if (*v <= 0)
            throw Error(m_source + ": field '" + key + "': expected a positive integer, found " + std::to_string(*v));
        return *v;
    }
    int64_t positiveOr(const char* key, int64_t fallback) const
    {
        return has(key) ? positive(key) : fallback;
    }
    std::optional<int64_t> optionalInt(const char* key) const
    {
        auto it = m_j.find(key);
        if (it == m_j.end() || it->is_null())
            return std::nullopt;
        if (!it->is_number_integer())
            throw Error(m_source + ": field '" + key + "': expected an integer, found " + it->dump());
        return it->get<int64_t>();
    }
    // bos/eos ids may be an int or a list of ints (Llama 3.1 lists several EOS ids; the first is used).
    std::optional<int64_t> tokenId(const char* key) const
    {
        auto it = m_j.find(key);
        if (it != m_j.end() && it->is_array()) {
            if (it->empty() || !(*it)[0].is_number_integer())
                throw Error(m_source + ": field '" + key + "': expected an integer or a list of integers");
            return (*it)[0].get<int64_t>();
        }
        return optionalInt(key);
    }
    double number(const char* key, double fallback) const
    {
        auto it = m_j.find(key);
        if (it == m_j.end() || it->is_null())
            return fallback;
        if (!it->is_number())
            throw Error(m_source + ": field '" + key + "': expected a number, found " + it->dump());
        const double v = it->get<double>();
        if (!(v > 0))
            throw Error(m_source + ": field '" + key + "': expected a positive number, found " + it->dump());
        return v;
    }
    bool boolean(const char* key, bool fallback) const
    {
        auto it = m_j.find(key);
        if (it == m_j.end() || it->is_null())
            return fallback;
        if (!it->is_boolean())
            throw Error(m_source + ": field '" + key + "': expected true or false, found " + it->dump());
        return it->get<bool>();
    }
    std::string string(const char* key, const std::string& fallback) const
    {
        auto it = m_j.find(key);
        if (it == m_j.end() || it->is_null())
            return fallback;
        if (!it->is_string())
            throw Error(m_source + ": field '" + key + "': expected a string, found " + it->dump());
        return it->get<std::string>();
    }
    bool has(const char* key) const
    {
        auto it = m_j.find(key);
        return it != m_j.end() && !it->is_null();
    }

private:
    const json& m_j;
    const std::string& m_source;
};

std::string storageFromTorchDtype(const std::string& torchDtype)
{
    if (torchDtype == "float16")
        return "f16";
    if (torchDtype == "bfloat16")
        return "bf16";
    return "f32";
}

void checkHeads(const ModelConfig& c, const std::string& source)
{
    if (c.hiddenSize % c.numHeads != 0 && c.headDim * c.numHeads == 0)
        throw Error(source + ": hidden size " + std::to_string(c.hiddenSize) + " is not divisible by " +
                    std::to_string(c.numHeads) + " heads");
    if (c.numHeads % c.numKvHeads != 0)
        throw Error(source + ": num_attention_heads " + std::to_string(c.numHeads) +
                    " is not a multiple of num_key_value_heads " + std::to_string(c.numKvHeads));
    if (c.headDim % 2 != 0 && c.family == Family::Llama)
        throw Error(source + ": head dimension " + std::to_string(c.headDim) + " must be even for rotary embeddings");
}

} // namespace

std::string ModelConfig::familyName() const
{
    return family == Family::Gpt2 ? "gpt2" : "llama";
}

int64_t ModelConfig::parameterCount() const
{
    const int64_t d = hiddenSize;
    const int64_t q = numHeads * headDim;
    const int64_t kv = numKvHeads * headDim;
    int64_t perLayer = 0;
    int64_t total = vocabSize * d;
    if (family == Family::Gpt2) {
        perLayer = 2 * 2 * d                    // ln_1, ln_2
                   + d * 3 * d + 3 * d          // c_attn
                   + d * d + d                  // c_proj
                   + d * intermediateSize + intermediateSize + intermediateSize * d + d;
        total += maxPositions * d + 2 * d;      // wpe, ln_f
    } else {
        perLayer = 2 * d + d * q + 2 * d * kv + q * d + 3 * d * intermediateSize;
        if (qkvBias)
            perLayer += q + 2 * kv;
        if (attentionOutBias)
            perLayer += d;
        if (mlpBias)
            perLayer += 2 * intermediateSize + d;
        total += d;                              // final norm
    }
    total += numLayers * perLayer;
    if (!tieEmbeddings)
        total += vocabSize * d;
    return total;
}

ModelConfig parseHfConfig(const json& j, const std::string& source)
{
    if (!j.is_object())
        throw Error(source + ": expected a JSON object");
    Reader r(j, source);
    ModelConfig c;
    c.modelType = r.string("model_type", "");
    if (c.modelType.empty())
        throw Error(source + ": missing field 'model_type' (expected gpt2, llama or qwen2)");
    c.storageDType = storageFromTorchDtype(r.string("torch_dtype", "float32"));
    c.bosId = r.tokenId("bos_token_id");
    c.eosId = r.tokenId("eos_token_id");

    if (c.modelType == "gpt2") {
        c.family = Family::Gpt2;
        c.vocabSize = r.positive("vocab_size");
        c.hiddenSize = r.positive("n_embd");
        c.numLayers = r.positive("n_layer");
        c.numHeads = r.positive("n_head");
        c.numKvHeads = c.numHeads;
        c.maxPositions = r.positiveOr("n_positions", r.positiveOr("n_ctx", 1024));
        c.intermediateSize = r.positiveOr("n_inner", 4 * c.hiddenSize);
        c.normEps = r.number("layer_norm_epsilon", 1e-5);
        c.activation = r.string("activation_function", "gelu_new");
        c.tieEmbeddings = r.boolean("tie_word_embeddings", true);
        c.headDim = c.hiddenSize / c.numHeads;
        if (c.hiddenSize % c.numHeads != 0)
            throw Error(source + ": n_embd " + std::to_string(c.hiddenSize) + " is not divisible by n_head " +
                        std::to_string(c.numHeads));
        if (c.activation != "gelu_new" && c.activation != "gelu" && c.activation != "relu" &&
            c.activation != "gelu_pytorch_tanh" && c.activation != "gelu_fast")
            throw Error(source + ": activation_function '" + c.activation +
                        "' is not supported (expected gelu_new, gelu, gelu_pytorch_tanh, gelu_fast or relu)");
        return c;
    }
    if (c.modelType == "llama" || c.modelType == "qwen2") {
        c.family = Family::Llama;
        c.vocabSize = r.positive("vocab_size");
        c.hiddenSize = r.positive("hidden_size");
        c.numLayers = r.positive("num_hidden_layers");
        c.numHeads = r.positive("num_attention_heads");
        c.numKvHeads = r.positiveOr("num_key_value_heads", c.numHeads);
        c.headDim = r.positiveOr("head_dim", c.hiddenSize / c.numHeads);
        c.intermediateSize = r.positive("intermediate_size");
        c.maxPositions = r.positiveOr("max_position_embeddings", 2048);
        c.normEps = r.number("rms_norm_eps", 1e-6);
        c.ropeTheta = r.number("rope_theta", 10000.0);
        c.activation = r.string("hidden_act", "silu");
        if (c.activation != "silu")
            throw Error(source + ": hidden_act '" + c.activation + "' is not supported (expected silu)");
        c.tieEmbeddings = r.boolean("tie_word_embeddings", false);
        if (c.modelType == "qwen2") {
            c.qkvBias = true;
        } else {
            c.qkvBias = c.attentionOutBias = r.boolean("attention_bias", false);
            c.mlpBias = r.boolean("mlp_bias", false);
        }
        auto rs = j.find("rope_scaling");
        if (rs != j.end() && !rs->is_null()) {
            if (!rs->is_object())
                throw Error(source + ": field 'rope_scaling': expected an object or null, found " + rs->dump());
            Reader sr(*rs, source);
            c.ropeScaling.type = sr.string("rope_type", sr.string("type", ""));
            c.ropeScaling.factor = sr.number("factor", 1.0);
            if (c.ropeScaling.type == "llama3") {
                c.ropeScaling.lowFreqFactor = sr.number("low_freq_factor", 1.0);
                c.ropeScaling.highFreqFactor = sr.number("high_freq_factor", 4.0);
                c.ropeScaling.originalMaxPositions = sr.positiveOr("original_max_position_embeddings", 8192);
            } else if (c.ropeScaling.type != "linear" && c.ropeScaling.type != "default") {
                throw Error(source + ": rope_scaling type '" + c.ropeScaling.type +
                            "' is not supported (expected linear or llama3)");
            }
            if (c.ropeScaling.type == "default")
                c.ropeScaling.type.clear();
        }
        checkHeads(c, source);
        return c;
    }
    throw Error(source + ": unknown model_type '" + c.modelType + "' (expected gpt2, llama or qwen2)");
}

ModelConfig readHfConfig(const std::string& configPath)
{
    const std::string text = io::readFile(configPath);
    json j;
    try {
        j = json::parse(text);
    } catch (const json::exception& e) {
        throw Error(configPath + ": " + io::jsonErrorText(e, text));
    }
    return parseHfConfig(j, configPath);
}

json toHfConfig(const ModelConfig& c)
{
    json j;
    const char* dtype = c.storageDType == "bf16" ? "bfloat16" : c.storageDType == "f16" ? "float16" : "float32";
    if (c.family == Family::Gpt2) {
        j = {{"model_type", "gpt2"},          {"architectures", {"GPT2LMHeadModel"}},
             {"vocab_size", c.vocabSize},      {"n_embd", c.hiddenSize},
             {"n_layer", c.numLayers},         {"n_head", c.numHeads},
             {"n_positions", c.maxPositions},  {"n_ctx", c.maxPositions},
             {"n_inner", c.intermediateSize},  {"layer_norm_epsilon", c.normEps},
             {"activation_function", c.activation}, {"tie_word_embeddings", c.tieEmbeddings}};
    } else {
        const bool qwen = c.modelType == "qwen2";
        j = {{"model_type", qwen ? "qwen2" : "llama"},
             {"architectures", {qwen ? "Qwen2ForCausalLM" : "LlamaForCausalLM"}},
             {"vocab_size", c.vocabSize},
             {"hidden_size", c.hiddenSize},
             {"num_hidden_layers", c.numLayers},
             {"num_attention_heads", c.numHeads},
             {"num_key_value_heads", c.numKvHeads},
             {"head_dim", c.headDim},
             {"intermediate_size", c.intermediateSize},
             {"max_position_embeddings", c.maxPositions},
             {"rms_norm_eps", c.normEps},
             {"rope_theta", c.ropeTheta},
             {"hidden_act", c.activation},
             {"tie_word_embeddings", c.tieEmbeddings}};
        if (!qwen) {
            j["attention_bias"] = c.attentionOutBias;
            j["mlp_bias"] = c.mlpBias;
        }
        if (!c.ropeScaling.type.empty()) {
            j["rope_scaling"] = {{"rope_type", c.ropeScaling.type}, {"factor", c.ropeScaling.factor}};
            if (c.ropeScaling.type == "llama3") {
                j["rope_scaling"]["low_freq_factor"] = c.ropeScaling.lowFreqFactor;
                j["rope_scaling"]["high_freq_factor"] = c.ropeScaling.highFreqFactor;
                j["rope_scaling"]["original_max_position_embeddings"] = c.ropeScaling.originalMaxPositions;
            }
        }
    }
    j["torch_dtype"] = dtype;
    if (c.bosId)
        j["bos_token_id"] = *c.bosId;
    if (c.eosId)
        j["eos_token_id"] = *c.eosId;
    return j;
}

ModelConfig readModelConfig(const std::string& path)
{
    std::error_code ec;
    if (!fs::exists(path, ec))
        throw Error(path + ": no such file or folder");
    if (!fs::is_directory(path, ec)) {
        if (looksLikeLlama2c(path))
            return readLlama2c(path).config;
        throw Error(path + ": expected a Hugging Face model folder (with config.json) or a llama2.c .bin");
    }
    const fs::path cfg = fs::path(path) / "config.json";
    if (!fs::exists(cfg, ec))
        throw Error(path + ": no config.json in the folder (expected a Hugging Face model folder)");
    ModelConfig config = readHfConfig(cfg.string());
    // The stored dtype wins over config.json's torch_dtype, which is often
    // stale; the files are mapped, so only their headers are read.
    try {
        const auto weights = io::WeightSet::fromHfFolder(path);
        for (const auto& name : weights.names()) {
            const auto dt = weights.find(name)->dtype;
            if (dt == io::DType::BF16 || dt == io::DType::F16 || dt == io::DType::F32) {
                config.storageDType = dt == io::DType::BF16 ? "bf16" : dt == io::DType::F16 ? "f16" : "f32";
                break;
            }
        }
    } catch (const Error&) {
        // No or unreadable weights: keep config.json's dtype; loading reports the problem.
    }
    return config;
}

} // namespace tb::model
