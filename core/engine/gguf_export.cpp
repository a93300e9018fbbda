#include "engine/gguf_export.h"

#include "common/error.h"
#include "common/run_control.h"
#include "engine/gguf_vocab.h"
#include "engine/model_source.h"
#include "io/atomic_file.h"
#include "io/gguf_writer.h"
#include "io/weight_set.h"
#include "model/language_model.h"
#include "model/llama2c.h"
#include "model/model_config.h"
#include "peft/peft_model.h"
#include "store/run_store.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <unistd.h>

namespace fs = std::filesystem;
using nlohmann::json;

namespace tb::engine {

namespace {

// What a GGUF is made from: weights under Hugging Face names (llama2.c
// checkpoints included, converted by model/llama2c), the architecture, and
// where the tokenizer is.
struct Source {
    model::ModelConfig config;
    io::WeightSet weights;
    std::string tokenizer; // folder, or a llama2.c tokenizer.bin's folder
    std::string name;
};

Source readSource(const std::string& path, const std::string& tokenizer)
{
    Source s;
    if (model::looksLikeLlama2c(path)) {
        auto ckpt = model::readLlama2c(path);
        s.config = ckpt.config;
        s.weights = std::move(ckpt.weights);
        s.tokenizer = tokenizer.empty() ? fs::path(path).parent_path().string() : tokenizer;
    } else {
        if (!fs::is_directory(path))
            throw Error(path + " is neither a model folder nor a llama2.c .bin checkpoint");
        s.config = model::readModelConfig(path);
        s.weights = io::WeightSet::fromHfFolder(path);
        s.tokenizer = tokenizer.empty() ? path : tokenizer;
    }
    s.name = fs::path(path).filename().string();
    if (s.name.empty())
        s.name = fs::path(path).parent_path().filename().string();
    return s;
}

// A temporary folder beside the output, removed on every exit path.
struct TempDir {
    fs::path path;
    explicit TempDir(const std::string& outFile)
        : path(fs::path(outFile).string() + ".merged." + std::to_string(::getpid()) + ".tmp")
    {
        fs::remove_all(path);
    }
    ~TempDir()
    {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

std::string ggufArchitecture(const model::ModelConfig& c)
{
    if (c.family == model::Family::Gpt2)
        return "gpt2";
    if (c.modelType == "qwen2")
        return "qwen2";
    if (c.modelType == "llama" || c.modelType == "llama2c" || c.modelType == "mistral")
        return "llama";
    throw Error("model type '" + c.modelType + "' has no GGUF export (llama, llama2.c, qwen2 and gpt2 do)");
}

bool endsWith(const std::string& s, const std::string& suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The block index and the rest of NAME after PREFIX "N.", or nullopt.
std::optional<std::pair<std::string, std::string>> blockOf(const std::string& name, const std::string& prefix)
{
    if (name.rfind(prefix, 0) != 0)
        return std::nullopt;
    const auto dot = name.find('.', prefix.size());
    if (dot == std::string::npos)
        return std::nullopt;
    return std::make_pair(name.substr(prefix.size(), dot - prefix.size()), name.substr(dot + 1));
}

// llama.cpp's tensor name for a Hugging Face one ("" = not part of the
// model: buffers such as rotary inv_freq or GPT-2's attention masks).
// https://github.com/ggml-org/llama.cpp/blob/master/gguf-py/gguf/tensor_mapping.py
std::string ggufTensorName(std::string hf, const std::string& arch)
{
    static const std::vector<std::pair<std::string, std::string>> llamaBlock = {
        {"input_layernorm.", "attn_norm."},  {"post_attention_layernorm.", "ffn_norm."},
        {"self_attn.q_proj.", "attn_q."},    {"self_attn.k_proj.", "attn_k."},
        {"self_attn.v_proj.", "attn_v."},    {"self_attn.o_proj.", "attn_output."},
        {"mlp.gate_proj.", "ffn_gate."},     {"mlp.up_proj.", "ffn_up."},
        {"mlp.down_proj.", "ffn_down."}};
    static const std::vector<std::pair<std::string, std::string>> gpt2Block = {
        {"ln_1.", "attn_norm."},      {"attn.c_attn.", "attn_qkv."}, {"attn.c_proj.", "attn_output."},
        {"ln_2.", "ffn_norm."},       {"mlp.c_fc.", "ffn_up."},      {"mlp.c_proj.", "ffn_down."}};
    if (endsWith(hf, "rotary_emb.inv_freq") || endsWith(hf, ".attn.bias") || endsWith(hf, ".attn.masked_bias"))
        return "";
    if (hf == "lm_head.weight")
        return "output.weight";
    std::string blockPrefix;
    const std::vector<std::pair<std::string, std::string>>* table = nullptr;
    if (arch == "gpt2") {
        if (hf.rfind("transformer.", 0) != 0) // the original GPT-2 checkpoints have no prefix
            hf = "transformer." + hf;
        if (hf == "transformer.wte.weight")
            return "token_embd.weight";
        if (hf == "transformer.wpe.weight")
            return "position_embd.weight";
        if (hf.rfind("transformer.ln_f.", 0) == 0)
            return "output_norm." + hf.substr(std::strlen("transformer.ln_f."));
        blockPrefix = "transformer.h.";
        table = &gpt2Block;
    } else {
        if (hf == "model.embed_tokens.weight")
            return "token_embd.weight";
        if (hf == "model.norm.weight")
            return "output_norm.weight";
        blockPrefix = "model.layers.";
        table = &llamaBlock;
    }
    if (auto block = blockOf(hf, blockPrefix))
        for (const auto& [from, to] : *table)
            if (block->second.rfind(from, 0) == 0)
                return "blk." + block->first + "." + to + block->second.substr(from.size());
    throw Error("tensor '" + hf + "' has no llama.cpp counterpart in the " + arch + " architecture");
}

std::vector<float> toFloats(const io::WeightView& v, const std::string& name)
{
    int64_t n = 1;
    for (int64_t d : v.shape)
        n *= d;
    std::vector<float> out(static_cast<size_t>(n));
    const auto* p = static_cast<const uint8_t*>(v.data);
    switch (v.dtype) {
    case io::DType::F32: std::memcpy(out.data(), p, out.size() * 4); break;
    case io::DType::F16:
    case io::DType::BF16:
        for (size_t i = 0; i < out.size(); ++i) {
            uint16_t h;
            std::memcpy(&h, p + 2 * i, 2);
            out[i] = v.dtype == io::DType::F16 ? io::f16ToFloat(h) : io::bf16ToFloat(h);
        }
        break;
    default:
        throw Error(v.file + ": tensor '" + name + "' is " + io::dtypeName(v.dtype) +
                    "; GGUF export reads F32, F16 and BF16 weights");
    }
    return out;
}

// llama.cpp's "normal" RoPE rotates interleaved pairs (0,1),(2,3)...; Hugging
// Face Llama rotates halves (i, i + d/2). Its converter permutes q/k rows back
// (convert_hf_to_gguf.py LlamaModel.permute): within each head, row 2i+t of
// the result is row t·d/2 + i of the input.
std::vector<float> halfSplitToInterleaved(const std::vector<float>& w, int64_t rows, int64_t heads)
{
    const int64_t cols = static_cast<int64_t>(w.size()) / rows;
    const int64_t hd = rows / heads;
    std::vector<float> out(w.size());
    for (int64_t h = 0; h < heads; ++h)
        for (int64_t i = 0; i < hd / 2; ++i)
            for (int64_t t = 0; t < 2; ++t)
                std::memcpy(&out[static_cast<size_t>((h * hd + 2 * i + t) * cols)],
                            &w[static_cast<size_t>((h * hd + t * (hd / 2) + i) * cols)],
                            static_cast<size_t>(cols) * sizeof(float));
    return out;
}

std::vector<float> transposed(const std::vector<float>& w, int64_t rows, int64_t cols)
{
    std::vector<float> out(w.size());
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c)
            out[static_cast<size_t>(c * rows + r)] = w[static_cast<size_t>(r * cols + c)];
    return out;
}

io::GgmlType ggmlType(const std::string& type)
{
    if (type == "f32")
        return io::GgmlType::F32;
    if (type == "f16")
        return io::GgmlType::F16;
    if (type == "bf16")
        return io::GgmlType::BF16;
    throw Error("GGUF type '" + type + "' is not one of f32, f16, bf16");
}

std::string encode(const std::vector<float>& values, io::GgmlType type)
{
    std::string out(values.size() * io::ggmlTypeSize(type), '\0');
    if (type == io::GgmlType::F32) {
        std::memcpy(out.data(), values.data(), out.size());
        return out;
    }
    for (size_t i = 0; i < values.size(); ++i) {
        const uint16_t h = type == io::GgmlType::F16 ? io::floatToF16(values[i]) : io::floatToBf16(values[i]);
        std::memcpy(&out[2 * i], &h, 2);
    }
    return out;
}

// How a weight changes on its way into the GGUF: q/k rows permuted (llama),
// Conv1D weights transposed to [out, in] (gpt2).
struct Transform {
    int64_t permuteHeads = 0; // 0 = none
    bool transpose = false;
};

Transform transformFor(const std::string& gguf, const std::string& arch, const model::ModelConfig& c, size_t dims)
{
    Transform t;
    if (arch == "llama") {
        if (endsWith(gguf, ".attn_q.weight") || endsWith(gguf, ".attn_q.bias"))
            t.permuteHeads = c.numHeads;
        if (endsWith(gguf, ".attn_k.weight") || endsWith(gguf, ".attn_k.bias"))
            t.permuteHeads = c.numKvHeads;
    }
    if (arch == "gpt2" && dims == 2 && gguf.rfind("blk.", 0) == 0)
        t.transpose = true; // c_attn, c_proj, c_fc: Conv1D stores [in, out]
    return t;
}

std::vector<float> apply(const Transform& t, std::vector<float> w, std::vector<int64_t>& shape)
{
    if (t.transpose) {
        w = transposed(w, shape[0], shape[1]);
        std::swap(shape[0], shape[1]);
    }
    if (t.permuteHeads)
        w = halfSplitToInterleaved(w, shape[0], t.permuteHeads);
    return w;
}

// Activations llama.cpp's graph for each architecture hard-codes.
void checkRepresentable(const model::ModelConfig& c, const std::string& arch)
{
    const std::string act = c.activation.empty() ? (arch == "gpt2" ? "gelu_new" : "silu") : c.activation;
    if (arch != "gpt2" && act != "silu")
        throw Error("activation '" + act + "': llama.cpp's " + arch + " graph uses SiLU only");
    if (arch == "gpt2" && act != "gelu_new" && act != "gelu_pytorch_tanh")
        throw Error("activation '" + act + "': llama.cpp's gpt2 graph uses the tanh GELU (gelu_new) only");
    if (c.ropeScaling.type != "" && c.ropeScaling.type != "linear" && c.ropeScaling.type != "llama3")
        throw Error("RoPE scaling '" + c.ropeScaling.type + "' has no GGUF export");
}

// general.* and <arch>.* hyper-parameters (llama.cpp's llama-arch.cpp keys).
void addHyperParameters(io::GgufWriter& out, const model::ModelConfig& c, const std::string& arch,
                        const std::string& name, io::GgmlType type)
{
    auto u32 = [](int64_t v) { return static_cast<uint32_t>(v); };
    out.addString("general.architecture", arch);
    out.addString("general.type", "model");
    out.addString("general.name", name);
    out.addU32("general.file_type", type == io::GgmlType::F32 ? 0u : type == io::GgmlType::F16 ? 1u : 32u);
    out.addU32(arch + ".vocab_size", u32(c.vocabSize));
    out.addU32(arch + ".context_length", u32(c.maxPositions));
    out.addU32(arch + ".embedding_length", u32(c.hiddenSize));
    out.addU32(arch + ".block_count", u32(c.numLayers));
    out.addU32(arch + ".feed_forward_length", u32(c.intermediateSize));
    out.addU32(arch + ".attention.head_count", u32(c.numHeads));
    out.addU32(arch + ".attention.head_count_kv", u32(c.numKvHeads ? c.numKvHeads : c.numHeads));
    if (arch == "gpt2") {
        out.addF32(arch + ".attention.layer_norm_epsilon", static_cast<float>(c.normEps));
        return;
    }
    const int64_t hd = c.headDim ? c.headDim : c.hiddenSize / c.numHeads;
    out.addF32(arch + ".attention.layer_norm_rms_epsilon", static_cast<float>(c.normEps));
    out.addF32(arch + ".rope.freq_base", static_cast<float>(c.ropeTheta));
    out.addU32(arch + ".rope.dimension_count", u32(hd));
    if (hd * c.numHeads != c.hiddenSize) {
        out.addU32(arch + ".attention.key_length", u32(hd));
        out.addU32(arch + ".attention.value_length", u32(hd));
    }
    if (c.ropeScaling.type == "linear") {
        out.addString(arch + ".rope.scaling.type", "linear");
        out.addF32(arch + ".rope.scaling.factor", static_cast<float>(c.ropeScaling.factor));
    }
}

// Llama 3 RoPE scaling as llama.cpp takes it: per-frequency factors in a
// rope_freqs tensor (convert_hf_to_gguf.py LlamaModel.generate_extra_tensors).
std::vector<float> llama3RopeFactors(const model::ModelConfig& c)
{
    const auto& s = c.ropeScaling;
    const int64_t hd = c.headDim ? c.headDim : c.hiddenSize / c.numHeads;
    const double lowWavelen = static_cast<double>(s.originalMaxPositions) / s.lowFreqFactor;
    const double highWavelen = static_cast<double>(s.originalMaxPositions) / s.highFreqFactor;
    std::vector<float> factors;
    for (int64_t i = 0; i < hd; i += 2) {
        const double freq = 1.0 / std::pow(c.ropeTheta, static_cast<double>(i) / static_cast<double>(hd));
        const double wavelen = 2.0 * 3.14159265358979323846 / freq;
        double f = 1.0;
        if (wavelen > lowWavelen) {
            f = s.factor;
        } else if (wavelen >= highWavelen) {
            const double smooth = (static_cast<double>(s.originalMaxPositions) / wavelen - s.lowFreqFactor) /
                                  (s.highFreqFactor - s.lowFreqFactor);
            f = 1.0 / ((1.0 - smooth) / s.factor + smooth);
        }
        factors.push_back(static_cast<float>(f));
    }
    return factors;
}

void addModelTensors(io::GgufWriter& out, const Source& s, const std::string& arch, io::GgmlType type)
{
    for (const std::string& hf : s.weights.names()) {
        const std::string gguf = ggufTensorName(hf, arch);
        if (gguf.empty())
            continue;
        if (gguf == "output.weight" && s.config.tieEmbeddings)
            continue; // llama.cpp uses token_embd when output is absent
        const io::WeightView* view = s.weights.find(hf);
        const Transform t = transformFor(gguf, arch, s.config, view->shape.size());
        std::vector<int64_t> shape = view->shape;
        if (t.transpose)
            std::swap(shape[0], shape[1]);
        // Vectors (norms, biases) stay F32, as llama.cpp's converter keeps them.
        const io::GgmlType tensorType = shape.size() == 1 ? io::GgmlType::F32 : type;
        out.addTensor(gguf, tensorType, shape, [view, hf, t, tensorType] {
            std::vector<int64_t> sh = view->shape;
            return encode(apply(t, toFloats(*view, hf), sh), tensorType);
        });
    }
    if (arch == "llama" && s.config.ropeScaling.type == "llama3") {
        const auto factors = llama3RopeFactors(s.config);
        out.addTensor("rope_freqs.weight", io::GgmlType::F32, {static_cast<int64_t>(factors.size())},
                      [factors] { return encode(factors, io::GgmlType::F32); });
    }
}

void writeModel(const Source& s, const GgufExport& r, const RunControl* control)
{
    const std::string arch = ggufArchitecture(s.config);
    checkRepresentable(s.config, arch);
    const io::GgmlType type = ggmlType(r.type);
    io::GgufWriter out;
    addHyperParameters(out, s.config, arch, s.name, type);
    addGgufVocabulary(out, s.tokenizer, s.config.vocabSize);
    addModelTensors(out, s, arch, type);
    out.write(r.outFile, [control](const std::string&) {
        if (control)
            control->throwIfCancelled();
    });
}

// A LoRA run's adapter folder (Hugging Face PEFT layout) as llama.cpp's
// adapter GGUF: A stays [r, in] (ne = in, r), B [out, r] (ne = r, out); B's
// rows take the q/k permutation of the weight they update.
void writeAdapter(const RunWeights& w, const GgufExport& r, const RunControl* control)
{
    const fs::path dir(w.path);
    const json cfg = json::parse(io::readFile((dir / "adapter_config.json").string()), nullptr, false);
    if (!cfg.is_object() || cfg.value("peft_type", "") != "LORA")
        throw Error("run " + std::to_string(r.runId) + " used " + (w.run.method.empty() ? "no LoRA" : w.run.method) +
                    "; only a LoRA run has a llama.cpp adapter: export the merged model with --gguf instead");
    Source base = readSource(w.config.model, w.config.tokenizer);
    const std::string arch = ggufArchitecture(base.config);
    const io::GgmlType type = ggmlType(r.type);
    const double rank = cfg.value("r", 8.0);
    double alpha = cfg.value("lora_alpha", rank);
    if (cfg.value("use_rslora", false))
        alpha *= std::sqrt(rank); // llama.cpp scales by alpha / r; rsLoRA by alpha / sqrt(r)

    auto weights = std::make_shared<io::WeightSet>(io::WeightSet::fromSafetensors((dir / "adapter_model.safetensors").string()));
    io::GgufWriter out;
    out.addString("general.architecture", arch);
    out.addString("general.type", "adapter");
    out.addString("general.name", w.run.name.empty() ? "run " + std::to_string(r.runId) : w.run.name);
    out.addString("adapter.type", "lora");
    out.addF32("adapter.lora.alpha", static_cast<float>(alpha));
    const std::string prefix = "base_model.model.";
    for (const std::string& name : weights->names()) {
        const bool isA = endsWith(name, ".lora_A.weight");
        if (!isA && !endsWith(name, ".lora_B.weight"))
            throw Error(w.path + ": tensor '" + name + "' is not a LoRA factor");
        std::string module = name.substr(0, name.size() - std::strlen(".lora_A.weight"));
        if (module.rfind(prefix, 0) == 0)
            module = module.substr(prefix.size());
        const std::string gguf = ggufTensorName(module + ".weight", arch);
        if (gguf.empty() || (gguf == "output.weight" && base.config.tieEmbeddings))
            throw Error("LoRA on '" + module + "' has no tensor to update in llama.cpp's " + arch + " model");
        Transform t = transformFor(gguf, arch, base.config, 2);
        t.transpose = false;     // PEFT keeps A [r, in] and B [out, r] for Conv1D too
        if (isA)
            t.permuteHeads = 0;  // the permutation acts on output rows: B only
        const io::WeightView* view = weights->find(name);
        out.addTensor(gguf + (isA ? ".lora_a" : ".lora_b"), type, view->shape, [weights, view, name, t, type] {
            std::vector<int64_t> sh = view->shape;
            return encode(apply(t, toFloats(*view, name), sh), type);
        });
    }
    if (out.tensorCount() == 0)
        throw Error(w.path + ": the adapter has no LoRA tensors");
    out.write(r.outFile, [control](const std::string&) {
        if (control)
            control->throwIfCancelled();
    });
}

void recordExport(int64_t runId, const std::string& dbPath, const std::string& kind, const std::string& file)
{
    store::RunStore store(dbPath);
    store::Artifact a;
    a.run = runId;
    a.kind = kind;
    a.path = fs::absolute(file).lexically_normal().string();
    store.addArtifact(a);
}

} // namespace

void exportGguf(const GgufExport& request, const RunControl* control)
{
    if (request.outFile.empty())
        throw Error("GGUF export: no output file given");
    ggmlType(request.type); // a bad type fails before any work
    if (!fs::is_directory(fs::absolute(request.outFile).parent_path()))
        throw Error("GGUF export: the folder of " + request.outFile + " does not exist");
    if (request.runId == 0) {
        if (request.adapterOnly)
            throw Error("GGUF export: an adapter GGUF comes from a LoRA run; give the run");
        if (request.modelDir.empty())
            throw Error("GGUF export: give a run or a model folder / llama2.c .bin");
        writeModel(readSource(request.modelDir, ""), request, control);
        return;
    }
    RunWeights w;
    {
        store::RunStore store(request.dbPath);
        w = resolveRunWeights(store, request.runId);
    }
    if (request.adapterOnly) {
        if (w.kind == RunWeights::Kind::Model)
            throw Error("run " + std::to_string(request.runId) +
                        " saved a whole model (full fine-tuning or a merged export): it has no adapter; use --gguf");
        writeAdapter(w, request, control);
        recordExport(request.runId, request.dbPath, "gguf_adapter", request.outFile);
        return;
    }
    if (w.kind == RunWeights::Kind::Model) {
        Source s = readSource(w.path, w.config.tokenizer);
        s.name = w.run.name.empty() ? s.name : w.run.name;
        writeModel(s, request, control);
    } else {
        // The run's update merged into its base model by the one merge there
        // is (PeftModel::exportMerged), then read back as a model folder.
        TempDir merged(request.outFile);
        {
            model::LoadOptions lo;
            lo.control = control;
            auto lm = model::LanguageModel::load(w.config.model, lo);
            auto peftModel = peft::PeftModel::loadAdapter(w.path, lm->module());
            peftModel->exportMerged(merged.path.string(), w.config.model);
        }
        const std::string tokenizer = w.config.tokenizer.empty()
                                          ? (model::looksLikeLlama2c(w.config.model)
                                                 ? fs::path(w.config.model).parent_path().string()
                                                 : w.config.model)
                                          : w.config.tokenizer;
        Source s = readSource(merged.path.string(), tokenizer);
        s.name = w.run.name.empty() ? "run " + std::to_string(request.runId) : w.run.name;
        writeModel(s, request, control);
    }
    recordExport(request.runId, request.dbPath, "gguf", request.outFile);
}

} // namespace tb::engine
