#include "model/language_model.h"

#include "common/error.h"
#include "io/llama2c.h"
#include "io/weight_set.h"
#include "model/causal_lm.h"
#include "tokenizer/tokenizer.h"

#include <ATen/CPUGeneratorImpl.h>

#include <filesystem>

namespace fs = std::filesystem;

namespace tb::model {

struct LanguageModel::Impl {
    ModelConfig config;
    std::string path;
    std::shared_ptr<CausalLMImpl> module;
    torch::Device device{torch::kCPU};
};

namespace {

torch::Device parseDevice(const std::string& name)
{
    std::unique_ptr<torch::Device> device;
    try {
        device = std::make_unique<torch::Device>(name);
    } catch (const c10::Error&) {
        throw Error("unknown device '" + name + "' (expected cpu, cuda or cuda:N)");
    }
    if (device->is_cuda() && !torch::cuda::is_available())
        throw Error("device '" + name + "' requested, but this LibTorch build has no CUDA support or sees no GPU;"
                    " use --device cpu");
    if (!device->is_cpu() && !device->is_cuda())
        throw Error("device '" + name + "' is not supported (expected cpu or cuda)");
    return *device;
}

// Which token follows, from one row's last logits (float32, CPU).
int64_t pickToken(torch::Tensor logits, const GenerationOptions& o, at::Generator& gen)
{
    if (o.temperature <= 0.0)
        return logits.argmax().item<int64_t>();
    logits = logits / o.temperature;
    const int64_t V = logits.size(0);
    if (o.topK > 0 && o.topK < V) {
        auto kth = std::get<0>(logits.topk(o.topK)).index({o.topK - 1});
        logits = logits.masked_fill(logits < kth, -std::numeric_limits<float>::infinity());
    }
    if (o.topP > 0.0 && o.topP < 1.0) {
        auto [sorted, order] = logits.sort(/*dim=*/0, /*descending=*/true);
        auto cumulative = torch::softmax(sorted, 0).cumsum(0);
        // Drop a token once the tokens before it already reach top_p; the first always stays.
        auto drop = (cumulative - torch::softmax(sorted, 0)) >= o.topP;
        auto dropOriginal = torch::zeros_like(drop).scatter(0, order, drop);
        logits = logits.masked_fill(dropOriginal, -std::numeric_limits<float>::infinity());
    }
    auto probs = torch::softmax(logits, 0);
    return torch::multinomial(probs, 1, false, gen).item<int64_t>();
}

} // namespace

LanguageModel::LanguageModel() : m(std::make_unique<Impl>()) {}
LanguageModel::~LanguageModel() = default;

std::unique_ptr<LanguageModel> LanguageModel::load(const std::string& path, const LoadOptions& options)
{
    const torch::Device device = parseDevice(options.device);
    std::error_code ec;
    if (!fs::exists(path, ec))
        throw Error(path + ": no such file or folder");

    ModelConfig config;
    io::WeightSet weights;
    if (fs::is_directory(path)) {
        const fs::path cfg = fs::path(path) / "config.json";
        if (!fs::exists(cfg))
            throw Error(path + ": no config.json in the folder (expected a Hugging Face model folder)");
        config = readHfConfig(cfg.string());
        weights = io::WeightSet::fromHfFolder(path);
    } else if (fs::path(path).extension() == ".safetensors") {
        const fs::path cfg = fs::path(path).parent_path() / "config.json";
        if (!fs::exists(cfg))
            throw Error(path + ": no config.json beside the safetensors file");
        config = readHfConfig(cfg.string());
        weights = io::WeightSet::fromSafetensors(path);
    } else {
        auto ck = io::readLlama2c(path);
        config = ck.config;
        weights = std::move(ck.weights);
    }
    // The stored dtype wins over config.json's torch_dtype, which is often stale.
    for (const auto& name : weights.names()) {
        const auto dt = weights.find(name)->dtype;
        if (dt == io::DType::BF16 || dt == io::DType::F16 || dt == io::DType::F32) {
            config.storageDType = dt == io::DType::BF16 ? "bf16" : dt == io::DType::F16 ? "f16" : "f32";
            break;
        }
    }

    std::unique_ptr<LanguageModel> lm(new LanguageModel);
    lm->m->config = config;
    lm->m->path = path;
    lm->m->module = buildModel(config);
    loadWeights(*lm->m->module, weights, path);
    lm->m->module->to(device);
    lm->m->module->eval();
    lm->m->device = device;
    return lm;
}

std::unique_ptr<LanguageModel> LanguageModel::create(const ModelConfig& config, uint64_t seed,
                                                     const LoadOptions& options)
{
    const torch::Device device = parseDevice(options.device);
    torch::manual_seed(seed);
    std::unique_ptr<LanguageModel> lm(new LanguageModel);
    lm->m->config = config;
    lm->m->module = buildModel(config);
    {
        // GPT-2's initialisation: N(0, 0.02) matrices and embeddings, zero biases, unit norms.
        torch::NoGradGuard noGrad;
        for (auto& p : lm->m->module->named_parameters()) {
            if (p.value().dim() >= 2)
                p.value().normal_(0.0, 0.02);
            else if (p.key().size() >= 4 && p.key().compare(p.key().size() - 4, 4, "bias") == 0)
                p.value().zero_();
            else
                p.value().fill_(1.0);
        }
    }
    lm->m->module->to(device);
    lm->m->device = device;
    return lm;
}

const ModelConfig& LanguageModel::config() const { return m->config; }
std::shared_ptr<CausalLMImpl> LanguageModel::module() const { return m->module; }
std::string LanguageModel::device() const { return m->device.str(); }

ModelInfo LanguageModel::info() const
{
    ModelInfo i;
    const auto& c = m->config;
    i.path = m->path;
    i.family = c.familyName();
    i.modelType = c.modelType;
    i.dtype = c.storageDType;
    for (const auto& p : m->module->parameters())
        i.parameters += p.numel();
    i.vocabSize = c.vocabSize;
    i.contextLength = c.maxPositions;
    i.layers = c.numLayers;
    i.hiddenSize = c.hiddenSize;
    i.heads = c.numHeads;
    i.kvHeads = c.numKvHeads;
    i.tiedEmbeddings = c.tieEmbeddings;
    return i;
}

static void checkIds(const std::vector<int64_t>& ids, int64_t vocab, const char* what)
{
    for (size_t i = 0; i < ids.size(); ++i)
        if (ids[i] < 0 || ids[i] >= vocab)
            throw Error(std::string(what) + ": token id " + std::to_string(ids[i]) + " at index " +
                        std::to_string(i) + " is outside the vocabulary [0, " + std::to_string(vocab) + ")");
}

std::vector<std::vector<float>> LanguageModel::logits(const std::vector<int64_t>& ids)
{
    if (ids.empty())
        throw Error("forward: no token ids given");
    checkIds(ids, m->config.vocabSize, "forward");
    if (static_cast<int64_t>(ids.size()) > m->config.maxPositions)
        throw Error("forward: " + std::to_string(ids.size()) + " tokens exceed the model's context of " +
                    std::to_string(m->config.maxPositions));
    torch::NoGradGuard noGrad;
    ForwardInput in;
    in.ids = torch::tensor(ids, torch::kLong).unsqueeze(0).to(m->device);
    auto out = m->module->forward(in).squeeze(0).to(torch::kCPU, torch::kFloat32).contiguous();
    std::vector<std::vector<float>> rows(out.size(0));
    const float* p = out.data_ptr<float>();
    const int64_t V = out.size(1);
    for (int64_t t = 0; t < out.size(0); ++t)
        rows[t].assign(p + t * V, p + (t + 1) * V);
    return rows;
}

std::vector<GenerationResult> LanguageModel::generate(const std::vector<std::vector<int64_t>>& prompts,
                                                      const GenerationOptions& o, const tok::Tokenizer* tokenizer)
{
    const auto& c = m->config;
    if (prompts.empty())
        return {};
    if (!o.stopStrings.empty() && !tokenizer)
        throw Error("generate: stop strings need a tokenizer");
    if (o.maxNewTokens < 0)
        throw Error("generate: max new tokens must be >= 0");
    const int64_t B = static_cast<int64_t>(prompts.size());
    int64_t maxLen = 0;
    bool sameLength = true;
    for (size_t r = 0; r < prompts.size(); ++r) {
        if (prompts[r].empty())
            throw Error("generate: prompt " + std::to_string(r) + " is empty (it needs at least a BOS token)");
        checkIds(prompts[r], c.vocabSize, "generate");
        if (static_cast<int64_t>(prompts[r].size()) > c.maxPositions)
            throw Error("generate: prompt " + std::to_string(r) + " has " + std::to_string(prompts[r].size()) +
                        " tokens, more than the model's context of " + std::to_string(c.maxPositions));
        sameLength = sameLength && prompts[r].size() == prompts[0].size();
        maxLen = std::max<int64_t>(maxLen, static_cast<int64_t>(prompts[r].size()));
    }
    std::optional<int64_t> eos = c.eosId;
    if (tokenizer && tokenizer->eosId())
        eos = tokenizer->eosId();

    torch::NoGradGuard noGrad;
    const auto longOpts = torch::TensorOptions().dtype(torch::kLong);
    auto ids = torch::zeros({B, maxLen}, longOpts);
    auto positions = torch::zeros({B, maxLen}, longOpts);
    const int64_t capacity = maxLen + o.maxNewTokens;
    auto keyMask = torch::ones({B, std::max<int64_t>(capacity, maxLen)}, torch::kBool);
    for (int64_t r = 0; r < B; ++r) {
        const auto& p = prompts[r];
        const int64_t offset = maxLen - static_cast<int64_t>(p.size());
        ids.index_put_({r, torch::indexing::Slice(offset, maxLen)}, torch::tensor(p, longOpts));
        positions.index_put_({r, torch::indexing::Slice(offset, maxLen)},
                             torch::arange(static_cast<int64_t>(p.size()), longOpts));
        keyMask.index_put_({r, torch::indexing::Slice(0, offset)}, false);
    }

    std::vector<GenerationResult> results(prompts.size());
    std::vector<bool> active(prompts.size(), true);
    std::vector<at::Generator> gens;
    for (int64_t r = 0; r < B; ++r)
        gens.push_back(at::detail::createCPUGenerator(o.seed + static_cast<uint64_t>(r)));
    for (int64_t r = 0; r < B; ++r)
        if (static_cast<int64_t>(prompts[r].size()) >= c.maxPositions || o.maxNewTokens == 0) {
            active[r] = false;
            results[r].stopReason = o.maxNewTokens == 0 ? "max_new_tokens" : "context_full";
        }
    if (std::none_of(active.begin(), active.end(), [](bool a) { return a; }))
        return results;

    KVCache cache = m->module->makeCache(B, capacity);
    const auto dev = m->device;
    keyMask = keyMask.to(dev);
    ForwardInput in;
    in.ids = ids.to(dev);
    in.positions = positions.to(dev);
    in.cache = &cache;
    if (!sameLength)
        in.keyMask = keyMask.index({torch::indexing::Slice(), torch::indexing::Slice(0, maxLen)});
    auto last = m->module->forward(in).index({torch::indexing::Slice(), -1}).to(torch::kCPU, torch::kFloat32);

    for (int64_t step = 0; step < o.maxNewTokens; ++step) {
        std::vector<int64_t> next(prompts.size(), 0);
        bool cancelled = false;
        for (int64_t r = 0; r < B; ++r) {
            if (!active[r])
                continue;
            auto& res = results[r];
            const int64_t tokenId = pickToken(last[r], o, gens[r]);
            next[r] = tokenId;
            res.ids.push_back(tokenId);
            if (o.onToken && !o.onToken(static_cast<size_t>(r), tokenId))
                cancelled = true;
            if (o.stopAtEos && eos && tokenId == *eos) {
                res.stopReason = "eos";
            } else if (std::find(o.stopIds.begin(), o.stopIds.end(), tokenId) != o.stopIds.end()) {
                res.stopReason = "stop_id";
            } else if (!o.stopStrings.empty()) {
                const std::string text = tokenizer->decode(res.ids, true);
                size_t cut = std::string::npos;
                for (const auto& s : o.stopStrings)
                    if (!s.empty())
                        cut = std::min(cut, text.find(s));
                if (cut != std::string::npos) {
                    res.stopReason = "stop_string";
                    res.text = text.substr(0, cut);
                }
            }
            if (res.stopReason.empty() && static_cast<int64_t>(prompts[r].size() + res.ids.size()) >= c.maxPositions)
                res.stopReason = "context_full";
            if (res.stopReason.empty() && step + 1 == o.maxNewTokens)
                res.stopReason = "max_new_tokens";
            if (!res.stopReason.empty())
                active[r] = false;
        }
        if (cancelled) {
            for (int64_t r = 0; r < B; ++r)
                if (active[r])
                    results[r].stopReason = "cancelled";
            break;
        }
        if (std::none_of(active.begin(), active.end(), [](bool a) { return a; }))
            break;
        std::vector<int64_t> pos(prompts.size());
        for (int64_t r = 0; r < B; ++r)
            pos[r] = std::min(static_cast<int64_t>(prompts[r].size()) + step, c.maxPositions - 1); // finished rows idle in range
        ForwardInput stepIn;
        stepIn.ids = torch::tensor(next, longOpts).view({B, 1}).to(dev);
        stepIn.positions = torch::tensor(pos, longOpts).view({B, 1}).to(dev);
        stepIn.cache = &cache;
        if (!sameLength)
            stepIn.keyMask = keyMask.index({torch::indexing::Slice(), torch::indexing::Slice(0, maxLen + step + 1)});
        last = m->module->forward(stepIn).index({torch::indexing::Slice(), -1}).to(torch::kCPU, torch::kFloat32);
    }

    if (tokenizer)
        for (auto& res : results)
            if (res.stopReason != "stop_string")
                res.text = tokenizer->decode(res.ids, true);
    return results;
}

} // namespace tb::model
