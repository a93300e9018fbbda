#include "model/language_model.h"

#include "common/error.h"
#include "model/llama2c.h"
#include "io/weight_set.h"
#include "model/autocast.h"
#include "model/causal_lm.h"
#include "model/generation.h"
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
    std::string precision = "f32";
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

std::string checkedPrecision(const std::string& precision)
{
    if (precision != "f32" && precision != "bf16")
        throw Error("unknown precision '" + precision + "' (expected f32 or bf16; resolve auto first)");
    return precision;
}

} // namespace

LanguageModel::LanguageModel() : m(std::make_unique<Impl>()) {}
LanguageModel::~LanguageModel() = default;

std::unique_ptr<LanguageModel> LanguageModel::load(const std::string& path, const LoadOptions& options)
{
    const torch::Device device = parseDevice(options.device);
    const std::string precision = checkedPrecision(options.precision);
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
        auto ck = readLlama2c(path);
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
    lm->m->module = buildModel(config, /*initialise=*/false);
    loadWeights(*lm->m->module, weights, path, options.control,
                precision == "bf16" ? torch::kBFloat16 : torch::kFloat32);
    lm->m->module->to(device);
    lm->m->module->eval();
    lm->m->device = device;
    lm->m->precision = precision;
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
std::string LanguageModel::precision() const { return m->precision; }

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

std::vector<std::vector<float>> LanguageModel::logits(const std::vector<int64_t>& ids)
{
    if (ids.empty())
        throw Error("forward: no token ids given");
    checkTokenIds(ids, m->config.vocabSize, "forward");
    if (static_cast<int64_t>(ids.size()) > m->config.maxPositions)
        throw Error("forward: " + std::to_string(ids.size()) + " tokens exceed the model's context of " +
                    std::to_string(m->config.maxPositions));
    torch::NoGradGuard noGrad;
    AutocastScope autocast(m->precision == "bf16", m->device);
    ForwardInput in;
    in.ids = torch::tensor(ids, torch::kLong).unsqueeze(0).to(m->device);
    auto out = m->module->forward(in).squeeze(0).to(torch::kCPU, torch::kFloat32).contiguous();
    if (out.isnan().any().item<bool>())
        throw Error("forward: the model's logits are NaN: its weights hold NaN or infinite values, or overflow in " +
                    m->config.storageDType + "; check " + (m->path.empty() ? std::string("the model") : m->path));
    std::vector<std::vector<float>> rows(out.size(0));
    const float* p = out.data_ptr<float>();
    const int64_t V = out.size(1);
    for (int64_t t = 0; t < out.size(0); ++t)
        rows[t].assign(p + t * V, p + (t + 1) * V);
    return rows;
}

std::vector<GenerationResult> LanguageModel::generate(const std::vector<std::vector<int64_t>>& prompts,
                                                      const GenerationOptions& options, const tok::Tokenizer* tokenizer)
{
    return model::generate(*m->module, prompts, options, tokenizer);
}

} // namespace tb::model
