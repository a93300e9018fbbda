#pragma once
// The LibTorch modules behind every model family. Parameter names equal the
// Hugging Face checkpoint names (transformer.h.0.attn.c_attn.weight,
// model.layers.0.self_attn.q_proj.weight, ...) so checkpoints load unchanged
// and PEFT files can name modules the way other tools do.
// Heavy header: include it only where LibTorch is needed.
#include "model/model_config.h"

// Qt's moc follows includes, and LibTorch's take it ~9 s a file for nothing it needs.
#ifndef Q_MOC_RUN
#include <torch/torch.h>
#endif

namespace tb {
class RunControl;
}
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

struct LoraSettings {
    int64_t rank = 8;
    double alpha = 16.0;
    double dropout = 0.0;
    bool rsLora = false; // scale alpha/sqrt(r) instead of alpha/r (Kalajdzievski 2023)
    double scaling() const;
};

// What a PEFT method adds to a model (LoRA factors, bottleneck adapters)
// lists its own parameters through this interface, so code finds them by
// what they are, never by name (torchtune's AdapterModule idea). Names are
// relative to the module that implements it.
class AdapterModule {
public:
    virtual ~AdapterModule() = default;
    virtual std::vector<std::pair<std::string, torch::Tensor>> adapterParameters() const = 0;
};

// A linear map that keeps the checkpoint's own layout: nn.Linear stores
// [out, in]; GPT-2's Conv1D stores [in, out]. Either way the parameters are
// named weight/bias, so checkpoints load unchanged, and LoRA attaches in place
// as lora_A.weight [r, in] and lora_B.weight [out, r] — the names and shapes
// of Hugging Face PEFT files (https://arxiv.org/abs/2106.09685).
class ProjectionImpl : public torch::nn::Module, public AdapterModule {
public:
    ProjectionImpl(int64_t in, int64_t out, bool bias, bool inOutLayout);
    // lora_A.weight and lora_B.weight once LoRA is enabled; nothing before.
    std::vector<std::pair<std::string, torch::Tensor>> adapterParameters() const override;
    torch::Tensor forward(const torch::Tensor& x);
    int64_t inFeatures() const { return m_in; }
    int64_t outFeatures() const { return m_out; }
    bool inOutLayout() const { return m_inOut; }

    // Adds lora_A (Kaiming-uniform) and lora_B (zeros: step 0 equals the base).
    void enableLora(const LoraSettings& settings);
    bool hasLora() const { return static_cast<bool>(m_loraA); }
    const LoraSettings& lora() const { return m_lora; }
    // The update s·B·A in the weight's own layout.
    torch::Tensor loraDelta() const;
    // W += s·B·A once (idempotent); unmerge() subtracts it again.
    void merge();
    void unmerge();
    bool merged() const { return m_merged; }
    torch::Tensor loraA() const;
    torch::Tensor loraB() const;

    torch::Tensor weight;
    torch::Tensor bias;

private:
    torch::Tensor withLora(torch::Tensor y, const torch::Tensor& x); // y + the LoRA update of x, if any

    int64_t m_in, m_out;
    bool m_inOut;
    LoraSettings m_lora;
    std::shared_ptr<ProjectionImpl> m_loraA, m_loraB;
    torch::nn::Dropout m_dropout{nullptr};
    bool m_merged = false;
};
TORCH_MODULE(Projection);

// Houlsby bottleneck adapter (https://arxiv.org/abs/1902.00751):
// h + up(act(down(h))), with up zero-initialised so step 0 equals the base.
class BottleneckAdapterImpl : public torch::nn::Module, public AdapterModule {
public:
    BottleneckAdapterImpl(int64_t dim, int64_t size, std::string activation);
    torch::Tensor forward(const torch::Tensor& h);
    std::vector<std::pair<std::string, torch::Tensor>> adapterParameters() const override; // all of its own
    Projection down{nullptr}, up{nullptr};

private:
    std::string m_activation;
};
TORCH_MODULE(BottleneckAdapter);

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

    // Inserts Houlsby adapters after the attention and after the MLP of every
    // layer (named <layer>.attn_adapter / <layer>.mlp_adapter).
    virtual void addAdapters(int64_t size, const std::string& activation) = 0;
    // Every Projection of the architecture with its module path (e.g.
    // model.layers.0.self_attn.q_proj): not LoRA's factors, not an adapter's.
    std::vector<std::pair<std::string, std::shared_ptr<ProjectionImpl>>> projections();
    // Every parameter a PEFT method added (AdapterModule), with its full name.
    std::vector<std::pair<std::string, torch::Tensor>> adapterParameters();

    // The output head's weight [vocab, hidden] (the tied embedding or lm_head),
    // so a loss can make logits a chunk of rows at a time from the hidden
    // states (train/chunked_loss.h); undefined when the head carries unmerged
    // LoRA (then only forward's logits are right).
    virtual torch::Tensor headWeight() = 0;
    // While on, forward returns the final hidden states [B, T, hidden] (after
    // the last norm, before the head) instead of logits.
    void setOutputHidden(bool on) { m_outputHidden = on; }
    bool outputsHidden() const { return m_outputHidden; }
    // While on, training forwards (grad mode on, no KV cache) keep only each
    // block's input and recompute the block in backward (model/checkpointing.h).
    void setGradientCheckpointing(bool on) { m_checkpointing = on; }
    bool gradientCheckpointing() const { return m_checkpointing; }

protected:
    bool checkpointsBlocks(const ForwardInput& in) const
    {
        return m_checkpointing && is_training() && !in.cache && torch::GradMode::is_enabled();
    }
    ModelConfig m_config;

private:
    bool m_outputHidden = false;
    bool m_checkpointing = false;
};

// Makes `model` output hidden states for a scope (setOutputHidden).
class HiddenStatesScope {
public:
    explicit HiddenStatesScope(CausalLMImpl& model) : m_model(model), m_was(model.outputsHidden())
    {
        model.setOutputHidden(true);
    }
    ~HiddenStatesScope() { m_model.setOutputHidden(m_was); }
    HiddenStatesScope(const HiddenStatesScope&) = delete;
    HiddenStatesScope& operator=(const HiddenStatesScope&) = delete;

private:
    CausalLMImpl& m_model;
    bool m_was;
};

// `initialise` false: the parameters are left as allocated (never written,
// so they take no resident memory) for loadWeights to replace.
std::shared_ptr<CausalLMImpl> buildModel(const ModelConfig& config, bool initialise = true);

// Makes every parameter the stored tensor as `dtype` (f32; bf16 for a frozen
// base under mixed precision). A stored tensor already of that dtype becomes
// the parameter in place, its storage the copy-on-write file mapping (kept
// alive with it); others are converted one at a time and their mapped pages
// given back, so loading peaks near the weights' size, not the file plus the
// weights. Throws tb::Error naming the missing tensor or the shape mismatch
// (expected vs found) and the file it came from.
// A cancelled `control` stops it between tensors with tb::Error("cancelled").
void loadWeights(CausalLMImpl& model, const io::WeightSet& weights, const std::string& source,
                 const RunControl* control = nullptr, torch::Dtype dtype = torch::kFloat32);

torch::Dtype torchDtype(const std::string& name); // "f32", "bf16", "f16"

} // namespace tb::model
