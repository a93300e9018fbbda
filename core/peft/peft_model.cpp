#include "peft/peft_model.h"

#include "common/error.h"
#include "io/atomic_file.h"
#include "io/json_error.h"
#include "io/safetensors.h"
#include "io/weight_set.h"
#include "model/generation.h"
#include "tokenizer/tokenizer.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <set>

namespace fs = std::filesystem;
using nlohmann::json;

namespace tb::peft {

namespace {

const std::string kPeftPrefix = "base_model.model.";

struct Saved {
    std::vector<std::string> names;
    std::vector<torch::Tensor> tensors; // contiguous CPU float32
};

void writeTensors(const std::string& path, const Saved& saved)
{
    std::vector<io::TensorToWrite> out;
    for (size_t i = 0; i < saved.names.size(); ++i) {
        const auto& t = saved.tensors[i];
        out.push_back({saved.names[i], io::DType::F32, t.sizes().vec(), t.data_ptr(), static_cast<size_t>(t.nbytes())});
    }
    io::writeSafetensors(path, out, {{"format", "pt"}});
}

void addTensor(Saved& s, const std::string& name, const torch::Tensor& t)
{
    s.names.push_back(name);
    s.tensors.push_back(t.detach().to(torch::kCPU, torch::kFloat32).contiguous());
}

} // namespace

PeftModel::PeftModel(std::shared_ptr<model::CausalLMImpl> base, MethodConfig config, const tok::Tokenizer* tokenizer,
                     uint64_t seed)
    : m_base(std::move(base)), m_config(std::move(config))
{
    torch::manual_seed(seed);
    const auto device = m_base->parameters().front().device();
    for (auto& p : m_base->parameters())
        p.set_requires_grad(m_config.method == Method::Full);

    switch (m_config.method) {
    case Method::Full:
        break;
    case Method::Selective:
        applySelective();
        break;
    case Method::Lora:
        applyLora();
        break;
    case Method::Adapter:
        m_base->addAdapters(m_config.adapter.size, m_config.adapter.activation);
        for (auto& [name, p] : m_base->adapterParameters())
            p.set_requires_grad(true);
        break;
    case Method::PromptTuning: {
        const auto& c = m_base->config();
        const int64_t P = m_config.prompt.numVirtualTokens;
        torch::NoGradGuard noGrad;
        auto table = m_base->embed(torch::arange(c.vocabSize, torch::TensorOptions().dtype(torch::kLong).device(device)));
        if (m_config.prompt.init == "random") {
            // Same scale as the vocabulary's embeddings.
            m_prompt = torch::randn({P, c.hiddenSize}) * table.std().item<double>();
        } else {
            std::vector<int64_t> ids;
            if (m_config.prompt.init == "text") {
                if (!tokenizer)
                    throw Error("prompt tuning: init 'text' needs the model's tokenizer");
                ids = tokenizer->encode(m_config.prompt.text, false);
                if (ids.empty())
                    throw Error("prompt tuning: the init text encodes to no tokens");
            } else {
                auto r = torch::randint(c.vocabSize, {P}, torch::kLong);
                ids.assign(r.data_ptr<int64_t>(), r.data_ptr<int64_t>() + P);
            }
            // Hugging Face PEFT repeats the text's tokens to fill P, then cuts.
            std::vector<int64_t> filled;
            while (static_cast<int64_t>(filled.size()) < P)
                filled.insert(filled.end(), ids.begin(), ids.end());
            filled.resize(P);
            for (auto id : filled)
                if (id < 0 || id >= c.vocabSize)
                    throw Error("prompt tuning: init token id " + std::to_string(id) + " is outside the vocabulary");
            m_prompt = table.index_select(0, torch::tensor(filled, torch::kLong).to(device)).cpu();
        }
        m_prompt = m_prompt.to(device, torch::kFloat32).detach().set_requires_grad(true);
        break;
    }
    }
    m_base->to(device);
    keepTrainedInF32();
}

void PeftModel::keepTrainedInF32()
{
    // Selective tuning on a bf16 base: LayerNorm runs in the dtype of its
    // input, so the residual stream (embeddings) and every norm share one
    // dtype; a trained norm or embedding is f32, so all of them are. Only the
    // frozen projection matrices, which autocast multiplies in bf16, stay bf16.
    std::set<const void*> projectionParameters;
    if (m_config.method == Method::Selective)
        for (auto& [path, proj] : m_base->projections())
            for (const auto& t : {proj->weight, proj->bias})
                if (t.defined())
                    projectionParameters.insert(t.unsafeGetTensorImpl());
    torch::NoGradGuard noGrad;
    for (auto& p : m_base->parameters()) {
        if (p.scalar_type() == torch::kFloat32 || !p.is_floating_point())
            continue;
        const bool frozenHalf = !p.requires_grad() &&
            (m_config.method != Method::Selective || projectionParameters.count(p.unsafeGetTensorImpl()));
        if (!frozenHalf)
            p.set_data(p.detach().to(torch::kFloat32)); // exact from bf16; the half tensor is freed
    }
}

void PeftModel::applyLora()
{
    auto targets = m_config.lora.targets.empty() ? defaultLoraTargets(m_base->config()) : m_config.lora.targets;
    m_config.lora.targets = targets;
    model::LoraSettings s{m_config.lora.rank, m_config.lora.alpha, m_config.lora.dropout, m_config.lora.rsLora};
    int matched = 0;
    for (auto& [path, proj] : m_base->projections()) {
        bool hit = false;
        for (const auto& t : targets)
            hit = hit || loraTargetMatches(path, t);
        if (!hit)
            continue;
        proj->enableLora(s);
        proj->loraA().set_requires_grad(true);
        proj->loraB().set_requires_grad(true);
        ++matched;
    }
    if (matched == 0) {
        std::string names;
        for (auto& [path, proj] : m_base->projections())
            if (path.find(".0.") != std::string::npos)
                names += (names.empty() ? "" : ", ") + path.substr(path.rfind('.') + 1);
        std::string wanted;
        for (const auto& t : targets)
            wanted += (wanted.empty() ? "" : ", ") + t;
        throw Error("LoRA targets [" + wanted + "] match no module of this " + m_base->config().familyName() +
                    " model (its projections are: " + names + ")");
    }
}

void PeftModel::applySelective()
{
    // The same rules the estimate uses (peft/targets.h), so counts agree.
    const SelectiveMatcher matcher(m_config.selective, m_base->config().tieEmbeddings);
    int64_t chosen = 0;
    for (auto& item : m_base->named_parameters()) {
        const bool on = matcher.selects(item.key());
        item.value().set_requires_grad(on);
        chosen += on;
    }
    if (chosen == 0)
        throw Error("selective tuning: the chosen subset (biases/norms/embeddings/head/layers/patterns) matches no "
                    "parameter of this model");
}

torch::Tensor PeftModel::forward(const torch::Tensor& ids)
{
    model::ForwardInput in;
    if (!m_prompt.defined()) {
        in.ids = ids;
        return m_base->forward(in);
    }
    const int64_t B = ids.size(0), P = m_prompt.size(0);
    auto prompt = m_prompt.unsqueeze(0).expand({B, P, m_prompt.size(1)});
    auto tokens = m_base->embed(ids);
    in.inputEmbeds = torch::cat({prompt.to(tokens.scalar_type()), tokens}, 1);
    auto logits = m_base->forward(in);
    return logits.index({torch::indexing::Slice(), torch::indexing::Slice(P)});
}

std::vector<model::GenerationResult> PeftModel::generate(const std::vector<std::vector<int64_t>>& prompts,
                                                         const model::GenerationOptions& options,
                                                         const tok::Tokenizer* tokenizer)
{
    return model::generate(*m_base, prompts, options, tokenizer,
                           m_prompt.defined() ? m_prompt.detach() : torch::Tensor());
}

std::vector<std::pair<std::string, torch::Tensor>> PeftModel::trainableParameters() const
{
    std::vector<std::pair<std::string, torch::Tensor>> out;
    for (const auto& item : m_base->named_parameters())
        if (item.value().requires_grad())
            out.emplace_back(item.key(), item.value());
    if (m_prompt.defined())
        out.emplace_back("prompt_embeddings", m_prompt);
    return out;
}

TrainableSummary PeftModel::summary() const
{
    TrainableSummary s;
    for (const auto& p : m_base->parameters()) {
        s.total += p.numel();
        if (p.requires_grad())
            s.trainable += p.numel();
    }
    if (m_prompt.defined()) {
        s.total += m_prompt.numel();
        s.trainable += m_prompt.numel();
    }
    return s;
}

void PeftModel::saveAdapter(const std::string& dir, const std::string& baseModelPath) const
{
    fs::create_directories(dir);
    const auto& mc = m_base->config();
    json cfg = {{"task_type", "CAUSAL_LM"}, {"base_model_name_or_path", baseModelPath}, {"inference_mode", true},
                {"revision", nullptr}, {"library", "tunebench"}};
    Saved saved;
    switch (m_config.method) {
    case Method::Lora: {
        const auto& l = m_config.lora;
        cfg.update({{"peft_type", "LORA"},
                    {"r", l.rank},
                    {"lora_alpha", l.alpha},
                    {"lora_dropout", l.dropout},
                    {"target_modules", l.targets},
                    {"bias", "none"},
                    {"use_rslora", l.rsLora},
                    {"fan_in_fan_out", mc.family == model::Family::Gpt2},
                    {"modules_to_save", nullptr},
                    {"init_lora_weights", true},
                    {"layers_to_transform", nullptr}});
        for (auto& [path, proj] : m_base->projections())
            if (proj->hasLora()) {
                addTensor(saved, kPeftPrefix + path + ".lora_A.weight", proj->loraA());
                addTensor(saved, kPeftPrefix + path + ".lora_B.weight", proj->loraB());
            }
        break;
    }
    case Method::PromptTuning: {
        const auto& p = m_config.prompt;
        cfg.update({{"peft_type", "PROMPT_TUNING"},
                    {"num_virtual_tokens", p.numVirtualTokens},
                    {"token_dim", mc.hiddenSize},
                    {"num_transformer_submodules", 1},
                    {"num_attention_heads", mc.numHeads},
                    {"num_layers", mc.numLayers},
                    {"prompt_tuning_init", p.init == "text" ? "TEXT" : "RANDOM"},
                    {"prompt_tuning_init_text", p.init == "text" ? json(p.text) : json(nullptr)},
                    {"tokenizer_name_or_path", p.init == "text" ? json(baseModelPath) : json(nullptr)}});
        addTensor(saved, "prompt_embeddings", m_prompt);
        break;
    }
    case Method::Adapter:
    case Method::Selective:
    case Method::Full: {
        // Not in Hugging Face PEFT: the same two files, our own peft_type,
        // tensors under their model names.
        cfg["peft_type"] = m_config.method == Method::Adapter ? "TUNEBENCH_BOTTLENECK" : "TUNEBENCH_SELECTIVE";
        cfg["tunebench_method"] = toJson(m_config);
        for (const auto& [name, t] : trainableParameters())
            addTensor(saved, name, t);
        break;
    }
    }
    writeTensors((fs::path(dir) / "adapter_model.safetensors").string(), saved);
    io::writeFileAtomic((fs::path(dir) / "adapter_config.json").string(), cfg.dump(2) + "\n");
}

std::unique_ptr<PeftModel> PeftModel::loadAdapter(const std::string& dir, std::shared_ptr<model::CausalLMImpl> base)
{
    const std::string cfgPath = (fs::path(dir) / "adapter_config.json").string();
    const std::string weightsPath = (fs::path(dir) / "adapter_model.safetensors").string();
    if (!fs::exists(cfgPath))
        throw Error(dir + ": no adapter_config.json (expected a PEFT adapter folder)");
    json cfg;
    const std::string cfgText = io::readFile(cfgPath);
    try {
        cfg = json::parse(cfgText);
    } catch (const json::exception& e) {
        throw Error(cfgPath + ": " + io::jsonErrorText(e, cfgText));
    }
    const std::string type = cfg.value("peft_type", "");
    MethodConfig mc;
    try {
        if (type == "LORA") {
            mc.method = Method::Lora;
            mc.lora.rank = cfg.at("r").get<int64_t>();
            mc.lora.alpha = cfg.at("lora_alpha").get<double>();
            mc.lora.dropout = cfg.value("lora_dropout", 0.0);
            mc.lora.rsLora = cfg.value("use_rslora", false);
            if (cfg.at("target_modules").is_string())
                mc.lora.targets = {cfg.at("target_modules").get<std::string>()};
            else
                mc.lora.targets = cfg.at("target_modules").get<std::vector<std::string>>();
        } else if (type == "PROMPT_TUNING") {
            mc.method = Method::PromptTuning;
            mc.prompt.numVirtualTokens = cfg.at("num_virtual_tokens").get<int64_t>();
        } else if (type == "TUNEBENCH_BOTTLENECK" || type == "TUNEBENCH_SELECTIVE") {
            mc = parseMethodConfig(cfg.at("tunebench_method"), cfgPath + ": tunebench_method");
        } else {
            throw Error(cfgPath + ": peft_type '" + type +
                        "' is not supported (expected LORA, PROMPT_TUNING or a Tunebench adapter)");
        }
    } catch (const json::exception& e) {
        throw Error(cfgPath + ": missing or mistyped field: " + e.what());
    }
    auto peft = std::make_unique<PeftModel>(std::move(base), mc);
    auto weights = io::WeightSet::fromSafetensors(weightsPath);
    torch::NoGradGuard noGrad;
    auto assign = [&](const std::string& key, torch::Tensor target) {
        const io::WeightView* w = weights.find(key);
        if (!w)
            throw Error(weightsPath + ": missing tensor '" + key + "'");
        if (w->shape != target.sizes().vec())
            throw Error(weightsPath + ": tensor '" + key + "' has the wrong shape for this base model");
        if (w->dtype != io::DType::F32 && w->dtype != io::DType::F16 && w->dtype != io::DType::BF16)
            throw Error(weightsPath + ": tensor '" + key + "' must be F32, F16 or BF16");
        auto dt = w->dtype == io::DType::F32 ? torch::kFloat32 : w->dtype == io::DType::F16 ? torch::kFloat16 : torch::kBFloat16;
        target.copy_(torch::from_blob(const_cast<void*>(w->data), w->shape, dt));
    };
    if (mc.method == Method::Lora) {
        for (auto& [path, proj] : peft->m_base->projections())
            if (proj->hasLora()) {
                assign(kPeftPrefix + path + ".lora_A.weight", proj->loraA());
                assign(kPeftPrefix + path + ".lora_B.weight", proj->loraB());
            }
    } else if (mc.method == Method::PromptTuning) {
        assign("prompt_embeddings", peft->m_prompt);
    } else {
        for (auto& [name, t] : peft->trainableParameters())
            assign(name, t);
    }
    return peft;
}

void PeftModel::exportMerged(const std::string& dir, const std::string& baseModelPath) const
{
    if (m_config.method == Method::Adapter || m_config.method == Method::PromptTuning)
        throw Error(methodName(m_config.method) +
                    " adds parts a plain model does not have, so it cannot be merged; export the adapter instead");
    fs::create_directories(dir);
    const auto& mc = m_base->config();
    // Everything but the LoRA factors, which are folded into their weights below.
    std::set<const void*> added;
    for (const auto& [name, p] : m_base->adapterParameters())
        added.insert(p.unsafeGetTensorImpl());
    std::map<std::string, torch::Tensor> merged;
    for (const auto& item : m_base->named_parameters())
        if (!added.count(item.value().unsafeGetTensorImpl()))
            merged[item.key()] = item.value().detach();
    for (auto& [path, proj] : m_base->projections())
        if (proj->hasLora() && !proj->merged())
            merged[path + ".weight"] = (proj->weight.detach() + proj->loraDelta().detach()); // a copy: W + s·B·A
    Saved saved;
    for (const auto& [name, t] : merged)
        addTensor(saved, name, t);
    writeTensors((fs::path(dir) / "model.safetensors").string(), saved);
    model::ModelConfig out = mc;
    out.storageDType = "f32";
    if (out.modelType == "llama2c")
        out.modelType = "llama";
    io::writeFileAtomic((fs::path(dir) / "config.json").string(), model::toHfConfig(out).dump(2) + "\n");
    // Tokenizer files travel with the model so the folder stands alone.
    const fs::path src = fs::is_directory(baseModelPath) ? fs::path(baseModelPath) : fs::path(baseModelPath).parent_path();
    for (const char* f : {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model",
                          "vocab.json", "merges.txt", "tokenizer.bin", "generation_config.json"}) {
        std::error_code ec;
        if (fs::exists(src / f))
            fs::copy_file(src / f, fs::path(dir) / f, fs::copy_options::overwrite_existing, ec);
    }
}

} // namespace tb::peft
