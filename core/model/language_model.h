#pragma once
// The model API the CLI and the GUI use: load a checkpoint from disk, read
// its facts, run it, generate. No LibTorch in this header; the modules behind
// it are in causal_lm.h for code that needs tensors (training, PEFT).
#include "model/model_config.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace tb {
class RunControl;
}
namespace tb::tok {
class Tokenizer;
}

namespace tb::model {

class CausalLMImpl;

struct LoadOptions {
    std::string device = "cpu"; // "cpu", "cuda", "cuda:1"
    // "f32": every parameter f32. "bf16": every parameter bf16 (BF16 files are
    // used in place, F16/F32 converted) and the model computes under bf16
    // autocast; for a frozen base (PeftModel makes what it trains f32). The
    // engine resolves "auto" first (common/cpu_features.h).
    std::string precision = "f32";
    // Checked between tensors: a cancelled load throws tb::Error("cancelled").
    const RunControl* control = nullptr;
};

struct ModelInfo {
    std::string path;
    std::string family;     // gpt2, llama
    std::string modelType;  // gpt2, llama, qwen2, llama2c
    std::string dtype;      // storage dtype: f32, f16, bf16
    int64_t parameters = 0;
    int64_t vocabSize = 0;
    int64_t contextLength = 0;
    int64_t layers = 0;
    int64_t hiddenSize = 0;
    int64_t heads = 0;
    int64_t kvHeads = 0;
    bool tiedEmbeddings = false;
};

struct GenerationOptions {
    int64_t maxNewTokens = 64;
    double temperature = 0.0; // 0 = greedy (arg-max)
    int64_t topK = 0;         // 0 = off
    double topP = 1.0;        // 1 = off
    uint64_t seed = 0;
    bool stopAtEos = true;
    std::vector<int64_t> stopIds;        // besides EOS
    std::vector<std::string> stopStrings; // need a tokenizer
    // Called after each step with the row and its new token; return false to
    // stop the whole batch (cancel).
    std::function<bool(size_t row, int64_t id)> onToken;
};

struct GenerationResult {
    std::vector<int64_t> ids; // new tokens only
    std::string text;         // decoded new tokens, cut before a stop string (with a tokenizer)
    std::string stopReason;   // eos, stop_id, stop_string, max_new_tokens, context_full
};

class LanguageModel {
public:
    // PATH: a Hugging Face folder (config.json + safetensors), or a llama2.c
    // .bin checkpoint. Throws tb::Error naming the file and what is wrong.
    static std::unique_ptr<LanguageModel> load(const std::string& path, const LoadOptions& options = {});
    // A freshly initialised model of the given architecture (pretraining).
    static std::unique_ptr<LanguageModel> create(const ModelConfig& config, uint64_t seed,
                                                 const LoadOptions& options = {});
    ~LanguageModel();

    const ModelConfig& config() const;
    ModelInfo info() const;
    std::string device() const;
    std::string precision() const; // "f32" or "bf16", as loaded

    // Logits for every position of one sequence: [T][vocab] (under bf16
    // autocast when the model was loaded in bf16).
    std::vector<std::vector<float>> logits(const std::vector<int64_t>& ids);

    // Generates for a batch of prompts of different lengths (left-padded,
    // masked); with greedy decoding each row's result equals generating it
    // alone. Sampling draws row r from its own generator seeded seed + r.
    std::vector<GenerationResult> generate(const std::vector<std::vector<int64_t>>& prompts,
                                           const GenerationOptions& options,
                                           const tok::Tokenizer* tokenizer = nullptr);

    std::shared_ptr<CausalLMImpl> module() const;

private:
    LanguageModel();
    struct Impl;
    std::unique_ptr<Impl> m;
};

} // namespace tb::model
