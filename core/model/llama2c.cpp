#include "model/llama2c.h"

#include "common/error.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tb::model {

namespace {

struct Mapping {
    void* data = nullptr;
    size_t size = 0;
    ~Mapping()
    {
        if (data)
            ::munmap(data, size);
    }
};

std::shared_ptr<Mapping> mapFile(const std::string& path)
{
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw Error(path + ": cannot open: " + std::strerror(errno));
    struct stat st {};
    ::fstat(fd, &st);
    auto m = std::make_shared<Mapping>();
    m->size = static_cast<size_t>(st.st_size);
    if (m->size > 0) {
        void* p = ::mmap(nullptr, m->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            ::close(fd);
            throw Error(path + ": cannot map: " + std::strerror(errno));
        }
        m->data = p;
    }
    ::close(fd);
    return m;
}

// llama2.c rotates interleaved pairs (2i, 2i+1); Hugging Face rotates
// (i, i + d/2). Reorder each head's output rows so both compute the same thing.
std::vector<float> interleavedToHalfSplit(const float* w, int64_t heads, int64_t headDim, int64_t in)
{
    std::vector<float> out(static_cast<size_t>(heads * headDim * in));
    const int64_t half = headDim / 2;
    for (int64_t h = 0; h < heads; ++h)
        for (int64_t r = 0; r < half; ++r)
            for (int64_t pair = 0; pair < 2; ++pair) {
                const float* src = w + (h * headDim + 2 * r + pair) * in;
                float* dst = out.data() + (h * headDim + pair * half + r) * in;
                std::memcpy(dst, src, sizeof(float) * static_cast<size_t>(in));
            }
    return out;
}

} // namespace

bool looksLikeLlama2c(const std::string& path)
{
    return path.size() > 4 && path.compare(path.size() - 4, 4, ".bin") == 0;
}

Llama2cCheckpoint readLlama2c(const std::string& path)
{
    auto map = mapFile(path);
    const auto* bytes = static_cast<const uint8_t*>(map->data);
    constexpr size_t kHeader = 7 * sizeof(int32_t);
    if (map->size < kHeader)
        throw Error(path + ": " + std::to_string(map->size) + " bytes, too short for a llama2.c header (28 bytes)");
    int32_t h[7];
    std::memcpy(h, bytes, kHeader);
    const char* names[7] = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"};
    for (int i = 0; i < 7; ++i) {
        const bool ok = i == 5 ? (h[i] != 0 && h[i] > -(1 << 24) && h[i] < (1 << 24)) : (h[i] > 0 && h[i] < (1 << 20));
        if (!ok)
            throw Error(path + ": header field " + names[i] + " at byte " + std::to_string(4 * i) + " is " +
                        std::to_string(h[i]) + ", expected a positive size (not a llama2.c checkpoint?)");
    }

    ModelConfig c;
    c.family = Family::Llama;
    c.modelType = "llama2c";
    c.hiddenSize = h[0];
    c.intermediateSize = h[1];
    c.numLayers = h[2];
    c.numHeads = h[3];
    c.numKvHeads = h[4];
    c.tieEmbeddings = h[5] > 0;
    c.vocabSize = h[5] > 0 ? h[5] : -static_cast<int64_t>(h[5]);
    c.maxPositions = h[6];
    c.normEps = 1e-5;
    c.ropeTheta = 10000.0;
    c.activation = "silu";
    c.storageDType = "f32";
    c.bosId = 1; // llama2.c's SentencePiece convention
    c.eosId = 2;
    if (c.hiddenSize % c.numHeads != 0 || c.numHeads % c.numKvHeads != 0 || (c.hiddenSize / c.numHeads) % 2 != 0)
        throw Error(path + ": inconsistent header: dim " + std::to_string(c.hiddenSize) + ", n_heads " +
                    std::to_string(c.numHeads) + ", n_kv_heads " + std::to_string(c.numKvHeads));
    c.headDim = c.hiddenSize / c.numHeads;

    const int64_t d = c.hiddenSize, L = c.numLayers, hd = c.headDim, kv = c.numKvHeads * hd;
    const int64_t ff = c.intermediateSize, V = c.vocabSize, T = c.maxPositions;
    struct Part {
        const char* key;
        int64_t count;
    };
    // llama2.c order; freq_cis_real/imag (T * hd/2 each) are stored but unused.
    const Part parts[] = {{"tok", V * d}, {"rms_att", L * d}, {"wq", L * d * d},      {"wk", L * kv * d},
                          {"wv", L * kv * d}, {"wo", L * d * d}, {"rms_ffn", L * d}, {"w1", L * ff * d},
                          {"w2", L * d * ff}, {"w3", L * ff * d}, {"rms_final", d},   {"freq", T * hd},
                          {"wcls", c.tieEmbeddings ? 0 : V * d}};
    int64_t total = 0;
    for (const auto& p : parts)
        total += p.count;
    const uint64_t need = kHeader + static_cast<uint64_t>(total) * sizeof(float);
    if (map->size != need)
        throw Error(path + ": " + std::to_string(map->size) + " bytes, but the header (dim " + std::to_string(d) +
                    ", layers " + std::to_string(L) + ", vocab " + std::to_string(V) + ") needs " +
                    std::to_string(need) + (map->size < need ? " (truncated)" : " (trailing bytes)"));

    Llama2cCheckpoint ck;
    ck.config = c;
    io::WeightSet& w = ck.weights;
    w.keep(map);
    const float* cursor = reinterpret_cast<const float*>(bytes + kHeader);
    std::map<std::string, const float*> at;
    for (const auto& p : parts) {
        at[p.key] = cursor;
        cursor += p.count;
    }
    auto view = [&](const float* data, std::vector<int64_t> shape) {
        return io::WeightView{io::DType::F32, std::move(shape), data, path};
    };
    w.add("model.embed_tokens.weight", view(at["tok"], {V, d}));
    for (int64_t l = 0; l < L; ++l) {
        const std::string pre = "model.layers." + std::to_string(l) + ".";
        w.add(pre + "input_layernorm.weight", view(at["rms_att"] + l * d, {d}));
        w.add(pre + "post_attention_layernorm.weight", view(at["rms_ffn"] + l * d, {d}));
        w.add(pre + "self_attn.q_proj.weight",
              view(w.own(interleavedToHalfSplit(at["wq"] + l * d * d, c.numHeads, hd, d)), {d, d}));
        w.add(pre + "self_attn.k_proj.weight",
              view(w.own(interleavedToHalfSplit(at["wk"] + l * kv * d, c.numKvHeads, hd, d)), {kv, d}));
        w.add(pre + "self_attn.v_proj.weight", view(at["wv"] + l * kv * d, {kv, d}));
        w.add(pre + "self_attn.o_proj.weight", view(at["wo"] + l * d * d, {d, d}));
        w.add(pre + "mlp.gate_proj.weight", view(at["w1"] + l * ff * d, {ff, d}));
        w.add(pre + "mlp.down_proj.weight", view(at["w2"] + l * d * ff, {d, ff}));
        w.add(pre + "mlp.up_proj.weight", view(at["w3"] + l * ff * d, {ff, d}));
    }
    w.add("model.norm.weight", view(at["rms_final"], {d}));
    if (!c.tieEmbeddings)
        w.add("lm_head.weight", view(at["wcls"], {V, d}));
    return ck;
}

} // namespace tb::model
