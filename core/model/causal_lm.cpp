#include "model/causal_lm.h"

#include "common/error.h"
#include "common/run_control.h"
#include "io/weight_set.h"
#include "model/checkpointing.h"
#include "model/fused_ops.h"

#include <c10/core/impl/LocalDispatchKeySet.h>
#include <torch/library.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>

namespace tb::model {

using torch::Tensor;
namespace F = torch::nn::functional;
using torch::indexing::Slice;

// ---------------------------------------------------------------- pieces ---

ProjectionImpl::ProjectionImpl(int64_t in, int64_t out, bool withBias, bool inOutLayout)
    : m_in(in), m_out(out), m_inOut(inOutLayout)
{
    weight = register_parameter("weight", inOutLayout ? torch::empty({in, out}) : torch::empty({out, in}));
    torch::nn::init::normal_(weight, 0.0, 0.02);
    if (withBias)
        bias = register_parameter("bias", torch::zeros({out}));
}

double LoraSettings::scaling() const
{
    return rsLora ? alpha / std::sqrt(static_cast<double>(rank)) : alpha / static_cast<double>(rank);
}

Tensor ProjectionImpl::forward(const Tensor& x)
{
    if (m_inOut && bias.defined()) {
        // GPT-2's Conv1D: one fused addmm over the flattened positions.
        auto shape = x.sizes().vec();
        shape.back() = m_out;
        const auto rows = x.reshape({-1, m_in});
        return withLora(torch::addmm(bias, rows, weight), rows).view(shape);
    }
    return withLora(m_inOut ? torch::matmul(x, weight) : F::linear(x, weight, bias), x);
}

Tensor ProjectionImpl::withLora(Tensor y, const Tensor& x)
{
    if (!m_loraA || m_merged)
        return y;
    auto h = m_dropout ? m_dropout(x) : x;
    // Scaled at rank width, added in place (the base output is not needed for
    // backward); a view would make autograd copy, so views add out of place.
    auto delta = F::linear(F::linear(h, m_loraA->weight) * m_lora.scaling(), m_loraB->weight);
    return y.is_view() ? y + delta : y.add_(delta);
}

void ProjectionImpl::enableLora(const LoraSettings& settings)
{
    if (settings.rank <= 0)
        throw Error("LoRA rank must be positive, found " + std::to_string(settings.rank));
    if (m_loraA)
        throw Error("LoRA is already enabled on this projection");
    m_lora = settings;
    auto opts = weight.options();
    m_loraA = register_module("lora_A", Projection(m_in, settings.rank, false, false).ptr());
    m_loraB = register_module("lora_B", Projection(settings.rank, m_out, false, false).ptr());
    {
        torch::NoGradGuard noGrad;
        // Hugging Face PEFT's default: A ~ kaiming_uniform(a=sqrt(5)), B = 0.
        m_loraA->weight.set_data(torch::empty({settings.rank, m_in}, opts));
        torch::nn::init::kaiming_uniform_(m_loraA->weight, std::sqrt(5.0));
        m_loraB->weight.set_data(torch::zeros({m_out, settings.rank}, opts));
    }
    if (settings.dropout > 0)
        m_dropout = register_module("lora_dropout", torch::nn::Dropout(settings.dropout));
}

Tensor ProjectionImpl::loraA() const { return m_loraA ? m_loraA->weight : Tensor(); }
Tensor ProjectionImpl::loraB() const { return m_loraB ? m_loraB->weight : Tensor(); }

Tensor ProjectionImpl::loraDelta() const
{
    if (!m_loraA)
        throw Error("loraDelta: this projection has no LoRA");
    auto delta = torch::matmul(m_loraB->weight, m_loraA->weight) * m_lora.scaling(); // [out, in]
    return m_inOut ? delta.t() : delta;
}

void ProjectionImpl::merge()
{
    if (!m_loraA || m_merged)
        return;
    torch::NoGradGuard noGrad;
    weight.add_(loraDelta().to(weight.scalar_type()));
    m_merged = true;
}

void ProjectionImpl::unmerge()
{
    if (!m_loraA || !m_merged)
        return;
    torch::NoGradGuard noGrad;
    weight.sub_(loraDelta().to(weight.scalar_type()));
    m_merged = false;
}

BottleneckAdapterImpl::BottleneckAdapterImpl(int64_t dim, int64_t size, std::string activation)
    : m_activation(std::move(activation))
{
    down = register_module("down", Projection(dim, size, true, false));
    up = register_module("up", Projection(size, dim, true, false));
    torch::NoGradGuard noGrad;
    up->weight.zero_();
}

namespace {

std::string childPath(const std::string& prefix, const std::string& name)
{
    return prefix.empty() ? name : prefix + "." + name;
}

// Pre-order, as named_modules() lists them. A projection's children are its
// LoRA factors and an adapter's projections are the adapter's: neither is
// descended into.
void collectProjections(const torch::nn::Module& module, const std::string& prefix,
                        std::vector<std::pair<std::string, std::shared_ptr<ProjectionImpl>>>& out)
{
    for (const auto& child : module.named_children()) {
        const std::string path = childPath(prefix, child.key());
        if (std::dynamic_pointer_cast<BottleneckAdapterImpl>(child.value()))
            continue;
        if (auto p = std::dynamic_pointer_cast<ProjectionImpl>(child.value())) {
            out.emplace_back(path, p);
            continue;
        }
        collectProjections(*child.value(), path, out);
    }
}

} // namespace

std::vector<std::pair<std::string, std::shared_ptr<ProjectionImpl>>> CausalLMImpl::projections()
{
    std::vector<std::pair<std::string, std::shared_ptr<ProjectionImpl>>> out;
    collectProjections(*this, "", out);
    return out;
}

std::vector<std::pair<std::string, Tensor>> CausalLMImpl::adapterParameters()
{
    std::vector<std::pair<std::string, Tensor>> out;
    for (const auto& item : named_modules("", /*include_self=*/false)) {
        // An adapter's own projections are plain ones inside it: ask only the adapter.
        const auto* added = dynamic_cast<const AdapterModule*>(item.value().get());
        if (!added)
            continue;
        for (auto& [name, t] : added->adapterParameters())
            out.emplace_back(item.key() + "." + name, t);
    }
    return out;
}

std::vector<std::pair<std::string, Tensor>> ProjectionImpl::adapterParameters() const
{
    if (!m_loraA)
        return {};
    return {{"lora_A.weight", m_loraA->weight}, {"lora_B.weight", m_loraB->weight}};
}

std::vector<std::pair<std::string, Tensor>> BottleneckAdapterImpl::adapterParameters() const
{
    std::vector<std::pair<std::string, Tensor>> out;
    for (const auto& p : named_parameters(/*recurse=*/true))
        out.emplace_back(p.key(), p.value());
    return out;
}

RMSNormImpl::RMSNormImpl(int64_t dim, double eps) : m_eps(eps)
{
    weight = register_parameter("weight", torch::ones({dim}));
}

Tensor RMSNormImpl::forward(const Tensor& x)
{
    // Normalise in float32 whatever the activation dtype, as the reference does.
    auto xf = x.to(torch::kFloat32);
    auto normed = xf * torch::rsqrt(xf.pow(2).mean(-1, /*keepdim=*/true) + m_eps);
    return weight * normed.to(x.scalar_type());
}

KVCache CausalLMImpl::makeCache(int64_t batch, int64_t capacity) const
{
    KVCache cache;
    cache.capacity = capacity;
    auto p = const_cast<CausalLMImpl*>(this)->parameters();
    auto opts = torch::TensorOptions().dtype(p.front().scalar_type()).device(p.front().device());
    for (int64_t l = 0; l < m_config.numLayers; ++l) {
        cache.keys.push_back(torch::zeros({batch, m_config.numKvHeads, capacity, m_config.headDim}, opts));
        cache.values.push_back(torch::zeros({batch, m_config.numKvHeads, capacity, m_config.headDim}, opts));
    }
    return cache;
}

namespace {

struct AttentionContext {
    Tensor mask;        // additive [B or 1, 1, 1, T, S] or undefined (attend to everything)
    int64_t past = 0;   // cache slots already filled
    KVCache* cache = nullptr;
};

AttentionContext makeContext(const ForwardInput& in, int64_t B, int64_t T, const torch::TensorOptions& opts)
{
    AttentionContext ctx;
    ctx.cache = in.cache;
    ctx.past = in.cache ? in.cache->length : 0;
    if (in.cache && ctx.past + T > in.cache->capacity)
        throw Error("KV cache full: " + std::to_string(ctx.past + T) + " positions needed, capacity " +
                    std::to_string(in.cache->capacity));
    const int64_t S = ctx.past + T;
    if (T == 1 && !in.keyMask.defined())
        return ctx; // one new token sees every earlier slot
    auto slots = torch::arange(S, torch::TensorOptions().dtype(torch::kLong).device(opts.device()));
    auto qslots = slots.index({Slice(ctx.past, S)});
    // [1, T, S]: one causal mask broadcast over the batch unless keyMask differs by row.
    auto allowed = (slots.unsqueeze(0) <= qslots.unsqueeze(1)).unsqueeze(0);
    if (in.keyMask.defined()) {
        if (in.keyMask.dim() != 2 || in.keyMask.size(0) != B || in.keyMask.size(1) != S)
            throw Error("forward: keyMask must be [batch, past + T] = [" + std::to_string(B) + ", " +
                        std::to_string(S) + "]");
        allowed = allowed & in.keyMask.to(torch::kBool).unsqueeze(1);
    }
    // A finite minimum instead of -inf: fully masked (padding) rows stay finite.
    const double lowest = opts.dtype() == torch::kFloat32 ? -3.4028234663852886e38 : -65504.0;
    ctx.mask = torch::zeros(allowed.sizes(), opts).masked_fill_(allowed.logical_not(), lowest).view({-1, 1, 1, T, S});
    return ctx;
}

// q [B,H,T,hd], k/v [B,Hkv,T,hd] for the new positions. Grouped-query heads
// share keys through a reshape, never a copy of k/v.
Tensor attend(Tensor q, Tensor k, Tensor v, int64_t layer, const AttentionContext& ctx)
{
    const int64_t B = q.size(0), H = q.size(1), T = q.size(2), hd = q.size(3), Hkv = k.size(1);
    if (ctx.cache) {
        auto& ck = ctx.cache->keys[layer];
        auto& cv = ctx.cache->values[layer];
        ck.index({Slice(), Slice(), Slice(ctx.past, ctx.past + T)}).copy_(k);
        cv.index({Slice(), Slice(), Slice(ctx.past, ctx.past + T)}).copy_(v);
        k = ck.index({Slice(), Slice(), Slice(0, ctx.past + T)});
        v = cv.index({Slice(), Slice(), Slice(0, ctx.past + T)});
    }
    const int64_t G = H / Hkv;
    auto qg = q.reshape({B, Hkv, G * T, hd});
    return attention(qg, k, v, ctx.mask, 1.0 / std::sqrt(static_cast<double>(hd))).view({B, H, T, hd});
}

Tensor defaultPositions(const ForwardInput& in, int64_t B, int64_t T, torch::Device device)
{
    if (in.positions.defined())
        return in.positions;
    const int64_t past = in.cache ? in.cache->length : 0;
    return torch::arange(past, past + T, torch::TensorOptions().dtype(torch::kLong).device(device))
        .unsqueeze(0)
        .expand({B, T});
}

// ------------------------------------------------------------------ GPT-2 ---

Tensor activate(const Tensor& x, const std::string& name)
{
    if (name == "relu")
        return torch::relu(x);
    if (name == "silu" || name == "swish")
        return torch::silu(x);
    if (name == "tanh")
        return torch::tanh(x);
    if (name == "gelu")
        return F::gelu(x);
    return F::gelu(x, F::GELUFuncOptions().approximate("tanh")); // gelu_new and its aliases
}

} // namespace

Tensor BottleneckAdapterImpl::forward(const Tensor& h) { return h + up(activate(down(h), m_activation)); }

namespace {

struct Gpt2AttentionImpl : torch::nn::Module {
    Gpt2AttentionImpl(const ModelConfig& c)
        : heads(c.numHeads), headDim(c.headDim)
    {
        c_attn = register_module("c_attn", Projection(c.hiddenSize, 3 * c.hiddenSize, true, true));
        c_proj = register_module("c_proj", Projection(c.hiddenSize, c.hiddenSize, true, true));
    }
    Tensor forward(const Tensor& x, int64_t layer, const AttentionContext& ctx)
    {
        const int64_t B = x.size(0), T = x.size(1);
        auto qkv = c_attn(x).view({B, T, 3, heads, headDim}).permute({2, 0, 3, 1, 4});
        auto y = attend(qkv[0], qkv[1], qkv[2], layer, ctx);
        return c_proj(y.transpose(1, 2).reshape({B, T, heads * headDim}));
    }
    int64_t heads, headDim;
    Projection c_attn{nullptr}, c_proj{nullptr};
};
TORCH_MODULE(Gpt2Attention);

struct Gpt2MlpImpl : torch::nn::Module {
    Gpt2MlpImpl(const ModelConfig& c) : activation(c.activation)
    {
        c_fc = register_module("c_fc", Projection(c.hiddenSize, c.intermediateSize, true, true));
        c_proj = register_module("c_proj", Projection(c.intermediateSize, c.hiddenSize, true, true));
    }
    Tensor forward(const Tensor& x) { return c_proj(activate(c_fc(x), activation)); }
    std::string activation;
    Projection c_fc{nullptr}, c_proj{nullptr};
};
TORCH_MODULE(Gpt2Mlp);

struct Gpt2BlockImpl : torch::nn::Module {
    Gpt2BlockImpl(const ModelConfig& c)
    {
        auto ln = torch::nn::LayerNormOptions({c.hiddenSize}).eps(c.normEps);
        ln_1 = register_module("ln_1", torch::nn::LayerNorm(ln));
        attn = register_module("attn", Gpt2Attention(c));
        ln_2 = register_module("ln_2", torch::nn::LayerNorm(ln));
        mlp = register_module("mlp", Gpt2Mlp(c));
    }
    Tensor forward(Tensor x, int64_t layer, const AttentionContext& ctx)
    {
        auto a = attn->forward(ln_1(x), layer, ctx);
        x = x + (attn_adapter ? attn_adapter(a) : a);
        auto m = mlp(ln_2(x));
        return x + (mlp_adapter ? mlp_adapter(m) : m);
    }
    torch::nn::LayerNorm ln_1{nullptr}, ln_2{nullptr};
    Gpt2Attention attn{nullptr};
    Gpt2Mlp mlp{nullptr};
    BottleneckAdapter attn_adapter{nullptr}, mlp_adapter{nullptr};
};
TORCH_MODULE(Gpt2Block);

struct Gpt2BodyImpl : torch::nn::Module {
    Gpt2BodyImpl(const ModelConfig& c)
    {
        wte = register_module("wte", torch::nn::Embedding(c.vocabSize, c.hiddenSize));
        wpe = register_module("wpe", torch::nn::Embedding(c.maxPositions, c.hiddenSize));
        h = register_module("h", torch::nn::ModuleList());
        for (int64_t i = 0; i < c.numLayers; ++i)
            h->push_back(Gpt2Block(c));
        ln_f = register_module("ln_f", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hiddenSize}).eps(c.normEps)));
    }
    torch::nn::Embedding wte{nullptr}, wpe{nullptr};
    torch::nn::ModuleList h{nullptr};
    torch::nn::LayerNorm ln_f{nullptr};
};
TORCH_MODULE(Gpt2Body);

class Gpt2Model : public CausalLMImpl {
public:
    explicit Gpt2Model(const ModelConfig& c) : CausalLMImpl(c)
    {
        transformer = register_module("transformer", Gpt2Body(c));
        if (!c.tieEmbeddings)
            lm_head = register_module("lm_head", Projection(c.hiddenSize, c.vocabSize, false, false));
    }
    Tensor embed(const Tensor& ids) override { return transformer->wte(ids); }
    void addAdapters(int64_t size, const std::string& activation) override
    {
        for (size_t i = 0; i < transformer->h->size(); ++i) {
            auto block = transformer->h->ptr<Gpt2BlockImpl>(i);
            block->attn_adapter = block->register_module("attn_adapter", BottleneckAdapter(m_config.hiddenSize, size, activation));
            block->mlp_adapter = block->register_module("mlp_adapter", BottleneckAdapter(m_config.hiddenSize, size, activation));
        }
    }
    Tensor forward(const ForwardInput& in) override
    {
        Tensor x = in.inputEmbeds.defined() ? in.inputEmbeds : embed(in.ids);
        const int64_t B = x.size(0), T = x.size(1);
        auto pos = defaultPositions(in, B, T, x.device());
        if (pos.numel() && pos.max().item<int64_t>() >= m_config.maxPositions)
            throw Error("position " + std::to_string(pos.max().item<int64_t>()) + " is past the model's context of " +
                        std::to_string(m_config.maxPositions) + " tokens");
        x = x + transformer->wpe(pos);
        auto ctx = makeContext(in, B, T, x.options());
        const bool recompute = checkpointsBlocks(in);
        for (size_t i = 0; i < transformer->h->size(); ++i) {
            auto block = transformer->h->ptr<Gpt2BlockImpl>(i);
            const auto layer = static_cast<int64_t>(i);
            if (recompute)
                x = checkpointed([block, layer, ctx](const Tensor& t) { return block->forward(t, layer, ctx); }, x);
            else
                x = block->forward(x, layer, ctx);
        }
        x = transformer->ln_f(x);
        if (in.cache)
            in.cache->length += T;
        if (outputsHidden())
            return x;
        return lm_head ? lm_head(x) : torch::matmul(x, transformer->wte->weight.t());
    }
    Tensor headWeight() override
    {
        if (lm_head && lm_head->hasLora() && !lm_head->merged())
            return {};
        return lm_head ? lm_head->weight : transformer->wte->weight;
    }

    Gpt2Body transformer{nullptr};
    Projection lm_head{nullptr};
};

// ------------------------------------------------------------------ Llama ---

// The halves of the last dimension swapped: [x1, x2] -> [x2, x1].
Tensor swapHalves(const Tensor& x)
{
    const int64_t half = x.size(-1) / 2;
    return torch::cat({x.index({"...", Slice(half)}), x.index({"...", Slice(0, half)})}, -1);
}

Tensor inverseFrequencies(const ModelConfig& c)
{
    const int64_t half = c.headDim / 2;
    std::vector<double> inv(half);
    for (int64_t i = 0; i < half; ++i)
        inv[i] = 1.0 / std::pow(c.ropeTheta, static_cast<double>(2 * i) / static_cast<double>(c.headDim));
    const auto& rs = c.ropeScaling;
    if (rs.type == "linear") {
        for (auto& f : inv)
            f /= rs.factor;
    } else if (rs.type == "llama3") {
        // Llama 3.1's frequency-dependent scaling (its reference apply_scaling).
        const double lowWavelen = rs.originalMaxPositions / rs.lowFreqFactor;
        const double highWavelen = rs.originalMaxPositions / rs.highFreqFactor;
        for (auto& f : inv) {
            const double wavelen = 2 * M_PI / f;
            if (wavelen < highWavelen)
                continue;
            if (wavelen > lowWavelen) {
                f /= rs.factor;
                continue;
            }
            const double smooth =
                (rs.originalMaxPositions / wavelen - rs.lowFreqFactor) / (rs.highFreqFactor - rs.lowFreqFactor);
            f = (1 - smooth) * f / rs.factor + smooth * f;
        }
    }
    return torch::tensor(inv, torch::kFloat64).to(torch::kFloat32);
}

struct Rotary {
    Tensor cos;        // [B, 1, T, hd]
    Tensor signedSin;  // sin with its first half negated
};

// x·cos + rotate_half(x)·sin, where rotate_half([x1, x2]) = [−x2, x1]: the
// sign lives in signedSin, computed once per forward, not in every layer.
Tensor applyRotary(const Tensor& x, const Rotary& r) { return x * r.cos + swapHalves(x) * r.signedSin; }

struct LlamaAttentionImpl : torch::nn::Module {
    LlamaAttentionImpl(const ModelConfig& c) : heads(c.numHeads), kvHeads(c.numKvHeads), headDim(c.headDim)
    {
        q_proj = register_module("q_proj", Projection(c.hiddenSize, heads * headDim, c.qkvBias, false));
        k_proj = register_module("k_proj", Projection(c.hiddenSize, kvHeads * headDim, c.qkvBias, false));
        v_proj = register_module("v_proj", Projection(c.hiddenSize, kvHeads * headDim, c.qkvBias, false));
        o_proj = register_module("o_proj", Projection(heads * headDim, c.hiddenSize, c.attentionOutBias, false));
    }
    Tensor forward(const Tensor& x, const Rotary& rot, int64_t layer, const AttentionContext& ctx)
    {
        const int64_t B = x.size(0), T = x.size(1);
        auto q = q_proj(x).view({B, T, heads, headDim}).transpose(1, 2);
        auto k = k_proj(x).view({B, T, kvHeads, headDim}).transpose(1, 2);
        auto v = v_proj(x).view({B, T, kvHeads, headDim}).transpose(1, 2);
        q = applyRotary(q, rot);
        k = applyRotary(k, rot);
        auto y = attend(q, k, v, layer, ctx);
        return o_proj(y.transpose(1, 2).reshape({B, T, heads * headDim}));
    }
    int64_t heads, kvHeads, headDim;
    Projection q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
};
TORCH_MODULE(LlamaAttention);

struct LlamaMlpImpl : torch::nn::Module {
    LlamaMlpImpl(const ModelConfig& c)
    {
        gate_proj = register_module("gate_proj", Projection(c.hiddenSize, c.intermediateSize, c.mlpBias, false));
        up_proj = register_module("up_proj", Projection(c.hiddenSize, c.intermediateSize, c.mlpBias, false));
        down_proj = register_module("down_proj", Projection(c.intermediateSize, c.hiddenSize, c.mlpBias, false));
    }
    Tensor forward(const Tensor& x) { return down_proj(swiglu(gate_proj(x), up_proj(x))); }
    Projection gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};
};
TORCH_MODULE(LlamaMlp);

struct LlamaLayerImpl : torch::nn::Module {
    LlamaLayerImpl(const ModelConfig& c)
    {
        input_layernorm = register_module("input_layernorm", RMSNorm(c.hiddenSize, c.normEps));
        self_attn = register_module("self_attn", LlamaAttention(c));
        post_attention_layernorm = register_module("post_attention_layernorm", RMSNorm(c.hiddenSize, c.normEps));
        mlp = register_module("mlp", LlamaMlp(c));
    }
    Tensor forward(Tensor x, const Rotary& rot, int64_t layer, const AttentionContext& ctx)
    {
        auto a = self_attn->forward(input_layernorm(x), rot, layer, ctx);
        x = x + (attn_adapter ? attn_adapter(a) : a);
        auto m = mlp(post_attention_layernorm(x));
        return x + (mlp_adapter ? mlp_adapter(m) : m);
    }
    RMSNorm input_layernorm{nullptr}, post_attention_layernorm{nullptr};
    LlamaAttention self_attn{nullptr};
    LlamaMlp mlp{nullptr};
    BottleneckAdapter attn_adapter{nullptr}, mlp_adapter{nullptr};
};
TORCH_MODULE(LlamaLayer);

struct LlamaBodyImpl : torch::nn::Module {
    LlamaBodyImpl(const ModelConfig& c)
    {
        embed_tokens = register_module("embed_tokens", torch::nn::Embedding(c.vocabSize, c.hiddenSize));
        layers = register_module("layers", torch::nn::ModuleList());
        for (int64_t i = 0; i < c.numLayers; ++i)
            layers->push_back(LlamaLayer(c));
        norm = register_module("norm", RMSNorm(c.hiddenSize, c.normEps));
    }
    torch::nn::Embedding embed_tokens{nullptr};
    torch::nn::ModuleList layers{nullptr};
    RMSNorm norm{nullptr};
};
TORCH_MODULE(LlamaBody);

class LlamaModel : public CausalLMImpl {
public:
    explicit LlamaModel(const ModelConfig& c) : CausalLMImpl(c)
    {
        model = register_module("model", LlamaBody(c));
        if (!c.tieEmbeddings)
            lm_head = register_module("lm_head", Projection(c.hiddenSize, c.vocabSize, false, false));
        m_invFreq = register_buffer("inv_freq", inverseFrequencies(c));
    }
    Tensor embed(const Tensor& ids) override { return model->embed_tokens(ids); }
    void addAdapters(int64_t size, const std::string& activation) override
    {
        for (size_t i = 0; i < model->layers->size(); ++i) {
            auto layer = model->layers->ptr<LlamaLayerImpl>(i);
            layer->attn_adapter = layer->register_module("attn_adapter", BottleneckAdapter(m_config.hiddenSize, size, activation));
            layer->mlp_adapter = layer->register_module("mlp_adapter", BottleneckAdapter(m_config.hiddenSize, size, activation));
        }
    }
    Tensor forward(const ForwardInput& in) override
    {
        Tensor x = in.inputEmbeds.defined() ? in.inputEmbeds : embed(in.ids);
        const int64_t B = x.size(0), T = x.size(1);
        auto pos = defaultPositions(in, B, T, x.device());
        // Angles in float32 as the reference computes them, then cast.
        auto freqs = pos.to(torch::kFloat32).unsqueeze(-1) * m_invFreq.to(x.device());
        auto emb = torch::cat({freqs, freqs}, -1).unsqueeze(1); // [B, 1, T, hd]
        auto sin = emb.sin();
        sin.index({"...", Slice(0, sin.size(-1) / 2)}).neg_();
        Rotary rot{emb.cos().to(x.scalar_type()), sin.to(x.scalar_type())};
        auto ctx = makeContext(in, B, T, x.options());
        const bool recompute = checkpointsBlocks(in);
        for (size_t i = 0; i < model->layers->size(); ++i) {
            auto block = model->layers->ptr<LlamaLayerImpl>(i);
            const auto layer = static_cast<int64_t>(i);
            if (recompute)
                x = checkpointed([block, rot, layer, ctx](const Tensor& t) { return block->forward(t, rot, layer, ctx); }, x);
            else
                x = block->forward(x, rot, layer, ctx);
        }
        x = model->norm(x);
        if (in.cache)
            in.cache->length += T;
        if (outputsHidden())
            return x;
        return lm_head ? lm_head(x) : torch::matmul(x, model->embed_tokens->weight.t());
    }
    Tensor headWeight() override
    {
        if (lm_head && lm_head->hasLora() && !lm_head->merged())
            return {};
        return lm_head ? lm_head->weight : model->embed_tokens->weight;
    }

    LlamaBody model{nullptr};
    Projection lm_head{nullptr};

private:
    Tensor m_invFreq;
};

// ---------------------------------------------------------------- loading ---

std::optional<torch::Dtype> storedDtype(io::DType d)
{
    switch (d) {
    case io::DType::F32: return torch::kFloat32;
    case io::DType::F16: return torch::kFloat16;
    case io::DType::BF16: return torch::kBFloat16;
    case io::DType::F64: return torch::kFloat64;
    default: return std::nullopt;
    }
}

int64_t viewBytes(const io::WeightView& w)
{
    int64_t n = static_cast<int64_t>(io::dtypeSize(w.dtype));
    for (int64_t d : w.shape)
        n *= d;
    return n;
}

std::string shapeText(const std::vector<int64_t>& s)
{
    std::string out = "[";
    for (size_t i = 0; i < s.size(); ++i)
        out += (i ? ", " : "") + std::to_string(s[i]);
    return out + "]";
}

// How many transformer blocks the stored names hold: one more than the
// largest N in ".h.N." (GPT-2) or ".layers.N." (Llama, Qwen2); 0 if none.
int64_t storedLayers(const io::WeightSet& weights)
{
    int64_t count = 0;
    for (const auto& name : weights.names()) {
        const std::string dotted = "." + name;
        for (const char* marker : {".h.", ".layers."}) {
            const size_t at = dotted.find(marker);
            if (at == std::string::npos)
                continue;
            size_t i = at + std::char_traits<char>::length(marker);
            int64_t n = 0;
            const size_t digits = i;
            while (i < dotted.size() && dotted[i] >= '0' && dotted[i] <= '9' && n < (int64_t(1) << 40))
                n = n * 10 + (dotted[i++] - '0');
            if (i > digits && i < dotted.size() && dotted[i] == '.')
                count = std::max(count, n + 1);
        }
    }
    return count;
}

// NaN or infinite weights load silently and only show up as NaN logits.
// Checked on the stored bits (all exponent bits set), so no temporary tensor
// the size of the weight is allocated: those temporaries stayed in glibc's
// heap after loading and held ~2x the file resident.
template <typename Bits>
std::optional<bool> firstNonFinite(const void* data, size_t count, Bits exponent, Bits mantissa)
{
    const auto* p = static_cast<const Bits*>(data);
    for (size_t i = 0; i < count; ++i) {
        Bits b;
        std::memcpy(&b, p + i, sizeof b);
        if ((b & exponent) == exponent)
            return (b & mantissa) != 0; // true: NaN, false: infinity
    }
    return std::nullopt;
}

void checkFinite(const io::WeightView& w, const std::string& name)
{
    size_t count = 1;
    for (int64_t d : w.shape)
        count *= static_cast<size_t>(d);
    std::optional<bool> nan;
    switch (w.dtype) {
    case io::DType::F32: nan = firstNonFinite<uint32_t>(w.data, count, 0x7f800000u, 0x007fffffu); break;
    case io::DType::BF16: nan = firstNonFinite<uint16_t>(w.data, count, 0x7f80u, 0x007fu); break;
    case io::DType::F16: nan = firstNonFinite<uint16_t>(w.data, count, 0x7c00u, 0x03ffu); break;
    case io::DType::F64:
        nan = firstNonFinite<uint64_t>(w.data, count, 0x7ff0000000000000ull, 0x000fffffffffffffull);
        break;
    default: return;
    }
    if (nan)
        throw Error(w.file + ": tensor '" + name + "' holds " + (*nan ? "NaN" : "infinite") +
                    " values; the model file is damaged");
}

// A model about to be loaded need not be initialised: its parameters are
// replaced one by one. While this (thread-local) dispatch key is on, the
// initialisers the module constructors call (normal_, uniform_, fill_, zero_)
// do nothing, so the constructors' tensors are never touched and cost no
// resident memory; without it an 8B model would first fill 32 GB of f32.
// DeferredInit is the key PyTorch reserves for deferred initialisation.
constexpr c10::DispatchKey kSkipInitKey = c10::DispatchKey::DeferredInit;

at::Tensor& skipNormal(at::Tensor& self, double, double, c10::optional<at::Generator>) { return self; }
at::Tensor& skipUniform(at::Tensor& self, double, double, c10::optional<at::Generator>) { return self; }
at::Tensor& skipFill(at::Tensor& self, const at::Scalar&) { return self; }
at::Tensor& skipZero(at::Tensor& self) { return self; }

// The stored tensor as a tensor of `dtype` on the CPU: the mapped bytes
// themselves when they already are that dtype (the mapping stays alive with
// the tensor), otherwise a converted copy, after which the mapped pages are
// given back so the file and the weights are never both resident.
torch::Tensor tensorFrom(const io::WeightView& w, torch::Dtype stored, torch::Dtype dtype)
{
    const auto bytes = static_cast<size_t>(viewBytes(w));
    void* data = const_cast<void*>(w.data);
    const auto elementSize = static_cast<uintptr_t>(c10::elementSize(stored));
    const bool aligned = reinterpret_cast<uintptr_t>(data) % elementSize == 0;
    if (stored == dtype && w.owner && aligned) {
        auto owner = w.owner;
        const bool mapped = w.mapped;
        return torch::from_blob(
            data, w.shape,
            [owner, bytes, mapped](void* p) {
                if (mapped)
                    io::releaseMappedPages(p, bytes);
            },
            torch::TensorOptions().dtype(dtype));
    }
    auto out = torch::empty(w.shape, torch::TensorOptions().dtype(dtype));
    if (aligned) {
        out.copy_(torch::from_blob(data, w.shape, torch::TensorOptions().dtype(stored)));
    } else {
        // A misaligned tensor (legal in the format, never written by the usual tools): via an aligned copy.
        auto staged = torch::empty(w.shape, torch::TensorOptions().dtype(stored));
        std::memcpy(staged.data_ptr(), data, bytes);
        out.copy_(staged);
    }
    if (w.mapped)
        io::releaseMappedPages(data, bytes);
    return out;
}

} // namespace

TORCH_LIBRARY_IMPL(_, DeferredInit, m)
{
    m.fallback(torch::CppFunction::makeFallthrough()); // every other operator runs as usual
}

TORCH_LIBRARY_IMPL(aten, DeferredInit, m)
{
    m.impl("normal_", skipNormal);
    m.impl("uniform_", skipUniform);
    m.impl("fill_.Scalar", skipFill);
    m.impl("zero_", skipZero);
}

std::shared_ptr<CausalLMImpl> buildModel(const ModelConfig& config, bool initialise)
{
    std::optional<c10::impl::IncludeDispatchKeyGuard> skip;
    if (!initialise)
        skip.emplace(kSkipInitKey);
    if (config.family == Family::Gpt2)
        return std::make_shared<Gpt2Model>(config);
    return std::make_shared<LlamaModel>(config);
}

torch::Dtype torchDtype(const std::string& name)
{
    if (name == "bf16" || name == "bfloat16")
        return torch::kBFloat16;
    if (name == "f16" || name == "float16")
        return torch::kFloat16;
    if (name == "f32" || name == "float32")
        return torch::kFloat32;
    throw Error("unknown dtype '" + name + "' (expected f32, bf16 or f16)");
}

void loadWeights(CausalLMImpl& model, const io::WeightSet& weights, const std::string& source,
                 const RunControl* control, torch::Dtype dtype)
{
    torch::NoGradGuard noGrad;
    const bool gpt2 = model.config().family == Family::Gpt2;
    const int64_t stored = storedLayers(weights);
    if (stored != 0 && stored != model.config().numLayers)
        throw Error(source + ": the configuration says " + std::to_string(model.config().numLayers) +
                    " layers (" + (gpt2 ? "n_layer" : "num_hidden_layers") + ") but the weights hold " +
                    std::to_string(stored) + "; the config and the weights do not belong together");
    for (auto& item : model.named_parameters(/*recurse=*/true)) {
        throwIfCancelled(control);
        const std::string& name = item.key();
        const io::WeightView* w = weights.find(name);
        // Older GPT-2 files (and DistilGPT-2) store keys without "transformer.".
        if (!w && gpt2 && name.rfind("transformer.", 0) == 0)
            w = weights.find(name.substr(12));
        if (!w)
            throw Error(source + ": missing tensor '" + name + "'");
        auto& param = item.value();
        const std::vector<int64_t> expected = param.sizes().vec();
        if (w->shape != expected)
            throw Error(w->file + ": tensor '" + name + "' has shape " + shapeText(w->shape) + ", expected " +
                        shapeText(expected));
        auto storedType = storedDtype(w->dtype);
        if (!storedType)
            throw Error(w->file + ": tensor '" + name + "' has dtype " + io::dtypeName(w->dtype) +
                        ", expected F32, F16, BF16 or F64");
        checkFinite(*w, name);
        // Replaces the constructor's (untouched) tensor, which is freed here.
        param.set_data(tensorFrom(*w, *storedType, dtype));
    }
}

} // namespace tb::model
