#pragma once
// The LibTorch modules behind every model family. Parameter names equal the
// Hugging Face checkpoint names (transformer.h.0.attn.c_attn.weight,
// model.layers.0.self_attn.q_proj.weight, ...) so checkpoints load unchanged
// and PEFT files can name modules the way other tools do.
// Heavy header: include it only where LibTorch is needed.
#include "model/model_config.h"

#include <torch/torch.h>

namespace tb::io {
class WeightSet;
}

namespace tb::model {

// Per-layer key/value tensors, preallocated to `capacity` positions.
struct KVCache {
    std::vector<torch::Tensor> keys;   // [B, Hkv, capacity, hd]
    std::vector<torch::Tensor> values;
    int64_t length = 0;
    int64_t capacity = 0;
};

struct ForwardInput {
    torch::Tensor ids;          // [B, T] int64
    torch::Tensor inputEmbeds;  // optional [B, T, C]; replaces the token embedding lookup
    torch::Tensor positions;    // optional [B, T] int64; default cache.length + arange(T)
    torch::Tensor keyMask;      // optional [B, past + T] bool; false = padding, never attended
    KVCache* cache = nullptr;   // optional; appended to and advanced by T
};

// A linear map that keeps the checkpoint's own layout: nn.Linear stores
// [out, in]; GPT-2's Conv1D stores [in, out]. Either way the parameters are
// named weight/bias, so fine-tuning methods can wrap it in place.
class ProjectionImpl : public torch::nn::Module {
public:
    ProjectionImpl(int64_t in, int64_t out, bool bias, bool inOutLayout);
    torch::Tensor forward(const torch::Tensor& x);
    int64_t inFeatures() const { return m_in; }
    int64_t outFeatures() const { return m_out; }
    bool inOutLayout() const { return m_inOut; }

    torch::Tensor weight;
    torch::Tensor bias;

private:
    int64_t m_in, m_out;
    bool m_inOut;
};
TORCH_MODULE(Projection);

class RMSNormImpl : public torch::nn::Module {
public:
    RMSNormImpl(int64_t dim, double eps);
    torch::Tensor forward(const torch::Tensor& x);
    torch::Tensor weight;

private:
    double m_eps;
};
TORCH_MODULE(RMSNorm);

class CausalLMImpl : public torch::nn::Module {
public:
    explicit CausalLMImpl(ModelConfig config) : m_config(std::move(config)) {}
    virtual ~CausalLMImpl() = default;
    const ModelConfig& config() const { return m_config; }

    // Logits [B, T, vocab].
    virtual torch::Tensor forward(const ForwardInput& input) = 0;
    // Token embeddings [B, T, C] (prompt tuning prepends to these).
    virtual torch::Tensor embed(const torch::Tensor& ids) = 0;

    KVCache makeCache(int64_t batch, int64_t capacity) const;

protected:
    ModelConfig m_config;
};

std::shared_ptr<CausalLMImpl> buildModel(const ModelConfig& config);

// Copies `weights` into the model's parameters (converting F16/BF16/F64 to the
// parameter dtype). Throws tb::Error naming the missing tensor or the shape
// mismatch (expected vs found) and the file it came from.
void loadWeights(CausalLMImpl& model, const io::WeightSet& weights, const std::string& source);

torch::Dtype torchDtype(const std::string& name); // "f32", "bf16", "f16"

} // namespace tb::model
