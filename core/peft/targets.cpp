#include "peft/targets.h"

#include "common/error.h"

#include <algorithm>

namespace tb::peft {

namespace {

bool endsWith(const std::string& s, const std::string& suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool isNorm(const std::string& name)
{
    return name.find("norm") != std::string::npos || name.find("ln_") != std::string::npos;
}

// A Projection's parameters as CausalLMImpl registers them: weight, then bias.
void addProjection(std::vector<ParamInfo>& out, const std::string& path, int64_t in, int64_t outFeatures, bool bias,
                   bool inOutLayout)
{
    out.push_back({path + ".weight", inOutLayout ? std::vector<int64_t>{in, outFeatures}
                                                 : std::vector<int64_t>{outFeatures, in}});
    if (bias)
        out.push_back({path + ".bias", {outFeatures}});
}

void addNorm(std::vector<ParamInfo>& out, const std::string& path, int64_t dim, bool bias)
{
    out.push_back({path + ".weight", {dim}});
    if (bias)
        out.push_back({path + ".bias", {dim}});
}

// One entry per projection: path, in, out, bias, Conv1D layout. Shared by the
// parameter list and the LoRA targets so both follow the same architecture.
struct Proj {
    std::string path;
    int64_t in, out;
    bool bias, inOut;
};

std::vector<Proj> layerProjections(const model::ModelConfig& c, int64_t layer)
{
    const int64_t d = c.hiddenSize, I = c.intermediateSize;
    if (c.family == model::Family::Gpt2) {
        const std::string p = "transformer.h." + std::to_string(layer) + ".";
        return {{p + "attn.c_attn", d, 3 * d, true, true},
                {p + "attn.c_proj", d, d, true, true},
                {p + "mlp.c_fc", d, I, true, true},
                {p + "mlp.c_proj", I, d, true, true}};
    }
    const std::string p = "model.layers." + std::to_string(layer) + ".";
    const int64_t q = c.numHeads * c.headDim, kv = c.numKvHeads * c.headDim;
    return {{p + "self_attn.q_proj", d, q, c.qkvBias, false},
            {p + "self_attn.k_proj", d, kv, c.qkvBias, false},
            {p + "self_attn.v_proj", d, kv, c.qkvBias, false},
            {p + "self_attn.o_proj", q, d, c.attentionOutBias, false},
            {p + "mlp.gate_proj", d, I, c.mlpBias, false},
            {p + "mlp.up_proj", d, I, c.mlpBias, false},
            {p + "mlp.down_proj", I, d, c.mlpBias, false}};
}

void checkArchitecture(const model::ModelConfig& c)
{
    if (c.hiddenSize <= 0 || c.numLayers <= 0 || c.vocabSize <= 0 || c.numHeads <= 0)
        throw Error("model config: hidden size, layers, heads and vocabulary must be positive");
}

} // namespace

int64_t ParamInfo::numel() const
{
    int64_t n = 1;
    for (auto s : shape)
        n *= s;
    return n;
}

std::vector<ParamInfo> parameterList(const model::ModelConfig& c)
{
    checkArchitecture(c);
    std::vector<ParamInfo> out;
    const int64_t d = c.hiddenSize;
    const bool gpt2 = c.family == model::Family::Gpt2;
    if (gpt2) {
        out.push_back({"transformer.wte.weight", {c.vocabSize, d}});
        out.push_back({"transformer.wpe.weight", {c.maxPositions, d}});
    } else {
        out.push_back({"model.embed_tokens.weight", {c.vocabSize, d}});
    }
    for (int64_t i = 0; i < c.numLayers; ++i) {
        const auto projs = layerProjections(c, i);
        auto proj = [&](size_t k) { addProjection(out, projs[k].path, projs[k].in, projs[k].out, projs[k].bias, projs[k].inOut); };
        if (gpt2) {
            const std::string p = "transformer.h." + std::to_string(i) + ".";
            addNorm(out, p + "ln_1", d, true);
            proj(0);
            proj(1);
            addNorm(out, p + "ln_2", d, true);
            proj(2);
            proj(3);
        } else {
            const std::string p = "model.layers." + std::to_string(i) + ".";
            addNorm(out, p + "input_layernorm", d, false);
            for (size_t k = 0; k < 4; ++k)
                proj(k);
            addNorm(out, p + "post_attention_layernorm", d, false);
            for (size_t k = 4; k < 7; ++k)
                proj(k);
        }
    }
    if (gpt2)
        addNorm(out, "transformer.ln_f", d, true);
    else
        addNorm(out, "model.norm", d, false);
    if (!c.tieEmbeddings)
        out.push_back({"lm_head.weight", {c.vocabSize, d}});
    return out;
}

std::vector<ProjectionInfo> projectionList(const model::ModelConfig& c)
{
    checkArchitecture(c);
    std::vector<ProjectionInfo> out;
    for (int64_t i = 0; i < c.numLayers; ++i)
        for (const auto& p : layerProjections(c, i))
            out.push_back({p.path, p.in, p.out});
    if (!c.tieEmbeddings)
        out.push_back({"lm_head", c.hiddenSize, c.vocabSize});
    return out;
}

std::vector<std::string> defaultLoraTargets(const model::ModelConfig& config)
{
    if (config.family == model::Family::Gpt2)
        return {"c_attn"};
    return {"q_proj", "v_proj"};
}

bool loraTargetMatches(const std::string& path, const std::string& target)
{
    return path == target || endsWith(path, "." + target);
}

int64_t layerIndexOf(const std::string& name)
{
    static const std::regex re(R"((?:^|\.)(?:layers|h)\.(\d+)\.)");
    std::smatch m;
    if (std::regex_search(name, m, re))
        return std::stoll(m[1].str());
    return -1;
}

SelectiveMatcher::SelectiveMatcher(const SelectiveConfig& config, bool tiedEmbeddings)
    : m_config(config), m_tied(tiedEmbeddings)
{
    for (const auto& p : config.patterns) {
        try {
            m_patterns.emplace_back(p);
        } catch (const std::regex_error&) {
            throw Error("selective.patterns: '" + p + "' is not a valid regular expression");
        }
    }
}

bool SelectiveMatcher::selects(const std::string& name) const
{
    const auto& sel = m_config;
    bool on = false;
    if (sel.biases && endsWith(name, ".bias"))
        on = true;
    if (sel.norms && isNorm(name))
        on = true;
    const bool embedding = name.find("embed_tokens") != std::string::npos || name.find("wte") != std::string::npos ||
                           name.find("wpe") != std::string::npos;
    if (sel.embeddings && embedding)
        on = true;
    if (sel.head && (name.rfind("lm_head", 0) == 0 || (m_tied && embedding && name.find("wpe") == std::string::npos)))
        on = true;
    if (const int64_t layer = layerIndexOf(name); layer >= 0)
        for (const auto& [a, b] : sel.layers)
            on = on || (layer >= a && layer <= b);
    for (const auto& re : m_patterns)
        on = on || std::regex_search(name, re);
    return on;
}

TrainableCount countTrainable(const model::ModelConfig& c, const MethodConfig& method)
{
    TrainableCount e;
    const auto params = parameterList(c);
    for (const auto& p : params)
        e.total += p.numel();
    const int64_t d = c.hiddenSize;

    switch (method.method) {
    case Method::Full:
        e.trainable = e.total;
        break;
    case Method::Selective: {
        SelectiveMatcher matcher(method.selective, c.tieEmbeddings);
        for (const auto& p : params)
            if (matcher.selects(p.name))
                e.trainable += p.numel();
        if (e.trainable == 0)
            throw Error("selective tuning: the chosen subset (biases/norms/embeddings/head/layers/patterns) matches no "
                        "parameter of this model");
        break;
    }
    case Method::Lora: {
        const int64_t r = method.lora.rank;
        if (r <= 0)
            throw Error("lora.rank: expected a positive integer, found " + std::to_string(r));
        const auto targets = method.lora.targets.empty() ? defaultLoraTargets(c) : method.lora.targets;
        for (const auto& p : projectionList(c)) {
            bool hit = false;
            for (const auto& t : targets)
                hit = hit || loraTargetMatches(p.path, t);
            if (hit)
                e.trainable += r * p.in + p.out * r; // lora_A [r, in], lora_B [out, r]
        }
        if (e.trainable == 0) {
            std::string wanted;
            for (const auto& t : targets)
                wanted += (wanted.empty() ? "" : ", ") + t;
            throw Error("LoRA targets [" + wanted + "] match no module of this " + c.familyName() + " model");
        }
        e.total += e.trainable;
        break;
    }
    case Method::Adapter: {
        const int64_t s = method.adapter.size;
        if (s <= 0)
            throw Error("adapter.size: expected a positive integer");
        // Two Houlsby adapters per block, each down [s, d] + bias [s] and up [d, s] + bias [d].
        e.trainable = c.numLayers * 2 * (s * d + s + d * s + d);
        e.total += e.trainable;
        break;
    }
    case Method::PromptTuning: {
        const int64_t p = method.prompt.numVirtualTokens;
        if (p <= 0)
            throw Error("prompt_tuning.num_virtual_tokens: expected a positive integer");
        e.trainable = p * d;
        e.total += e.trainable;
        e.extraTokens = p;
        break;
    }
    }

    return e;
}

} // namespace tb::peft
