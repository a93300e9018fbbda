// GGUF files: the writer against bytes worked out by hand from the format
// specification (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md),
// and whole exports (the demo model, a hand-made Llama folder, llama2.c's
// stories260K) read back by a reader written here from the same spec.
#include "common/error.h"
#include "demo/demo.h"
#include "engine/gguf_export.h"
#include "engine/gguf_vocab.h"
#include "io/atomic_file.h"
#include "io/gguf_writer.h"
#include "io/safetensors.h"
#include "common/run_control.h"
#include "engine/run_job.h"
#include "store/run_store.h"
#include "train/run_config.h"

#include "common/tiny_model.h"

#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <cstring>
#include <filesystem>
#include <map>
#include <tuple>
#include <variant>

namespace fs = std::filesystem;
using namespace tb;

namespace {

// ---- a GGUF reader from the spec (independent of io/gguf_writer) ----

struct Value {
    uint32_t type = 0;
    uint64_t u = 0;       // unsigned integers, bool
    int64_t i = 0;        // signed integers
    double f = 0;         // floats
    std::string s;        // string
    uint32_t arrayType = 0;
    std::vector<Value> array;
};

struct TensorInfo {
    std::vector<uint64_t> ne; // as stored: innermost first
    uint32_t type = 0;
    uint64_t offset = 0;
};

struct Gguf {
    uint32_t version = 0;
    std::vector<std::string> keyOrder;
    std::map<std::string, Value> kv;
    std::vector<std::string> tensorOrder;
    std::map<std::string, TensorInfo> tensors;
    uint64_t dataStart = 0;
    std::string bytes;

    const char* data(const std::string& name) const { return bytes.data() + dataStart + tensors.at(name).offset; }
    std::vector<float> f32(const std::string& name) const
    {
        const auto& t = tensors.at(name);
        uint64_t n = 1;
        for (auto d : t.ne)
            n *= d;
        std::vector<float> out(n);
        std::memcpy(out.data(), data(name), n * 4);
        return out;
    }
};

class Cursor {
public:
    explicit Cursor(const std::string& b) : m_b(b) {}
    template <typename T>
    T get()
    {
        if (m_at + sizeof(T) > m_b.size())
            throw std::runtime_error("GGUF truncated at " + std::to_string(m_at));
        T v;
        std::memcpy(&v, m_b.data() + m_at, sizeof(T));
        m_at += sizeof(T);
        return v;
    }
    std::string str()
    {
        const auto n = get<uint64_t>();
        std::string s = m_b.substr(m_at, n);
        m_at += n;
        return s;
    }
    size_t at() const { return m_at; }

private:
    const std::string& m_b;
    size_t m_at = 0;
};

Value readValue(Cursor& c, uint32_t type)
{
    Value v;
    v.type = type;
    switch (type) {
    case 0: v.u = c.get<uint8_t>(); break;
    case 1: v.i = c.get<int8_t>(); break;
    case 2: v.u = c.get<uint16_t>(); break;
    case 3: v.i = c.get<int16_t>(); break;
    case 4: v.u = c.get<uint32_t>(); break;
    case 5: v.i = c.get<int32_t>(); break;
    case 6: v.f = c.get<float>(); break;
    case 7: v.u = c.get<uint8_t>(); break;
    case 8: v.s = c.str(); break;
    case 9: {
        v.arrayType = c.get<uint32_t>();
        const auto n = c.get<uint64_t>();
        for (uint64_t k = 0; k < n; ++k)
            v.array.push_back(readValue(c, v.arrayType));
        break;
    }
    case 10: v.u = c.get<uint64_t>(); break;
    case 11: v.i = c.get<int64_t>(); break;
    case 12: v.f = c.get<double>(); break;
    default: throw std::runtime_error("unknown GGUF value type " + std::to_string(type));
    }
    return v;
}

Gguf parse(std::string bytes)
{
    Gguf g;
    g.bytes = std::move(bytes);
    Cursor c(g.bytes);
    if (c.get<uint32_t>() != 0x46554747u) // "GGUF" read as little-endian
        throw std::runtime_error("bad magic");
    g.version = c.get<uint32_t>();
    const auto nTensors = c.get<uint64_t>();
    const auto nKv = c.get<uint64_t>();
    for (uint64_t k = 0; k < nKv; ++k) {
        const std::string key = c.str();
        const auto type = c.get<uint32_t>();
        g.keyOrder.push_back(key);
        g.kv[key] = readValue(c, type);
    }
    for (uint64_t k = 0; k < nTensors; ++k) {
        const std::string name = c.str();
        TensorInfo t;
        const auto dims = c.get<uint32_t>();
        for (uint32_t d = 0; d < dims; ++d)
            t.ne.push_back(c.get<uint64_t>());
        t.type = c.get<uint32_t>();
        t.offset = c.get<uint64_t>();
        g.tensorOrder.push_back(name);
        g.tensors[name] = t;
    }
    const uint64_t alignment = g.kv.count("general.alignment") ? g.kv["general.alignment"].u : 32;
    g.dataStart = (c.at() + alignment - 1) / alignment * alignment;
    return g;
}

Gguf readGguf(const std::string& path) { return parse(io::readFile(path)); }

std::string le32(uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); }
std::string le64(uint64_t v) { return std::string(reinterpret_cast<const char*>(&v), 8); }
std::string str(const std::string& s) { return le64(s.size()) + s; }
std::string zeros(size_t n) { return std::string(n, '\0'); }

std::string floatBytes(const std::vector<float>& v)
{
    return std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4);
}

// A one-layer Llama folder written by hand: hidden 8, 2 heads of 4, 1 KV
// head, tied embeddings; every weight holds 0, 1, 2, ... in row-major order
// (plus a per-tensor offset) so rows can be recognised after the export.
std::string makeHandLlama(const fs::path& dir)
{
    fs::create_directories(dir);
    const fs::path tokSrc = fs::path(TB_FIXTURES_DIR) / "tokenizers" / "llama2-style";
    fs::copy_file(tokSrc / "tokenizer.json", dir / "tokenizer.json");
    fs::copy_file(tokSrc / "tokenizer_config.json", dir / "tokenizer_config.json");
    const int64_t vocab = 600;
    nlohmann::json cfg = {{"architectures", {"LlamaForCausalLM"}}, {"model_type", "llama"}, {"hidden_size", 8},
                          {"intermediate_size", 16}, {"num_attention_heads", 2}, {"num_key_value_heads", 1},
                          {"num_hidden_layers", 1}, {"vocab_size", vocab}, {"max_position_embeddings", 64},
                          {"rms_norm_eps", 1e-6}, {"rope_theta", 10000.0}, {"tie_word_embeddings", true},
                          {"hidden_act", "silu"}, {"torch_dtype", "float32"}, {"bos_token_id", 1}, {"eos_token_id", 2}};
    io::writeFileAtomic((dir / "config.json").string(), cfg.dump());
    std::vector<std::pair<std::string, std::vector<int64_t>>> shapes = {
        {"model.embed_tokens.weight", {vocab, 8}},
        {"model.layers.0.input_layernorm.weight", {8}},
        {"model.layers.0.self_attn.q_proj.weight", {8, 8}},
        {"model.layers.0.self_attn.k_proj.weight", {4, 8}},
        {"model.layers.0.self_attn.v_proj.weight", {4, 8}},
        {"model.layers.0.self_attn.o_proj.weight", {8, 8}},
        {"model.layers.0.post_attention_layernorm.weight", {8}},
        {"model.layers.0.mlp.gate_proj.weight", {16, 8}},
        {"model.layers.0.mlp.up_proj.weight", {16, 8}},
        {"model.layers.0.mlp.down_proj.weight", {8, 16}},
        {"model.norm.weight", {8}}};
    std::vector<std::vector<float>> storage;
    std::vector<io::TensorToWrite> tensors;
    float base = 0;
    for (const auto& [name, shape] : shapes) {
        int64_t n = 1;
        for (auto d : shape)
            n *= d;
        std::vector<float> v(static_cast<size_t>(n));
        for (int64_t k = 0; k < n; ++k)
            v[static_cast<size_t>(k)] = base + static_cast<float>(k);
        base += 1000;
        storage.push_back(std::move(v));
        tensors.push_back({name, io::DType::F32, shape, storage.back().data(), storage.back().size() * 4});
    }
    io::writeSafetensors((dir / "model.safetensors").string(), tensors);
    return dir.string();
}

} // namespace

class TestGguf : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void writerBytesMatchTheSpecByHand()
    {
        io::GgufWriter w; // alignment 32
        w.addString("k", "v");
        w.addTensor("t", io::GgmlType::F32, {2}, [] { return floatBytes({1.0f, -2.0f}); });
        w.addTensor("m", io::GgmlType::F16, {1, 3}, [] {
            return std::string("\x00\x3c\x00\x38\x00\xc0", 6); // 1, 0.5, -2 as IEEE half, little-endian
        });
        std::string expected;
        expected += "GGUF" + le32(3) + le64(2) + le64(2);                             // 24 bytes
        expected += str("general.alignment") + le32(4) + le32(32);                    // 33 -> 57
        expected += str("k") + le32(8) + str("v");                                    // 22 -> 79
        expected += str("t") + le32(1) + le64(2) + le32(0) + le64(0);                 // 33 -> 112
        expected += str("m") + le32(2) + le64(3) + le64(1) + le32(1) + le64(32);     // 41 -> 153
        expected += zeros(7);                                                         // data at 160
        expected += std::string("\x00\x00\x80\x3f\x00\x00\x00\xc0", 8);              // t: 1.0f, -2.0f
        expected += zeros(24);                                                        // m at 160 + 32
        expected += std::string("\x00\x3c\x00\x38\x00\xc0", 6);
        expected += zeros(26);                                                        // file ends at 224
        QCOMPARE(expected.size(), size_t(224));
        const std::string bytes = w.serialize();
        QCOMPARE(bytes.size(), expected.size());
        QVERIFY(bytes == expected);

        const Gguf g = parse(bytes);
        QCOMPARE(g.version, 3u);
        QCOMPARE(g.kv.at("k").s, std::string("v"));
        QCOMPARE(g.tensors.at("m").ne, (std::vector<uint64_t>{3, 1}));
        QCOMPARE(g.dataStart, uint64_t(160));
        QCOMPARE(g.f32("t"), (std::vector<float>{1.0f, -2.0f}));
    }

    void writtenFileIsTheSerializedBytesAndAlignmentIsHonoured()
    {
        QTemporaryDir tmp;
        io::GgufWriter w(64);
        w.addI32s("ids", {1, -1});
        w.addBool("yes", true);
        w.addTensor("a", io::GgmlType::F32, {3}, [] { return floatBytes({1, 2, 3}); });
        w.addTensor("b", io::GgmlType::F32, {1}, [] { return floatBytes({4}); });
        const std::string path = tmp.filePath("x.gguf").toStdString();
        w.write(path);
        const Gguf g = readGguf(path);
        QVERIFY(g.bytes == w.serialize());
        QCOMPARE(g.kv.at("general.alignment").u, uint64_t(64));
        QCOMPARE(g.dataStart % 64, uint64_t(0));
        QCOMPARE(g.tensors.at("b").offset, uint64_t(64)); // 12 bytes of "a", then the next multiple of 64
        QCOMPARE(g.kv.at("ids").array.at(1).i, int64_t(-1));
        QCOMPARE(g.kv.at("yes").u, uint64_t(1));
        QCOMPARE(g.f32("b"), std::vector<float>{4});
        QCOMPARE(g.bytes.size() % 64, size_t(0));
    }

    void tensorWithWrongByteCountFailsAndLeavesNoFile()
    {
        QTemporaryDir tmp;
        io::GgufWriter w;
        w.addTensor("a", io::GgmlType::F16, {3}, [] { return std::string(4, '\0'); });
        const std::string path = tmp.filePath("x.gguf").toStdString();
        QVERIFY_THROWS_EXCEPTION(Error, w.write(path));
        QVERIFY(!fs::exists(path));
        QVERIFY_THROWS_EXCEPTION(Error, io::GgufWriter(24));
    }

    void halfAndBfloatRoundToNearestEven()
    {
        QCOMPARE(io::floatToF16(1.0f), uint16_t(0x3c00));
        QCOMPARE(io::floatToF16(65504.0f), uint16_t(0x7bff));      // largest half
        QCOMPARE(io::floatToF16(65520.0f), uint16_t(0x7c00));      // halfway to 2^16: rounds to even = Inf
        QCOMPARE(io::floatToF16(1.0f / 3.0f), uint16_t(0x3555));
        QCOMPARE(io::floatToF16(std::ldexp(1.0f, -24)), uint16_t(0x0001)); // smallest subnormal
        QCOMPARE(io::floatToF16(std::ldexp(1.0f, -26)), uint16_t(0x0000)); // below half of it
        QCOMPARE(io::floatToF16(-2.0f), uint16_t(0xc000));
        QCOMPARE(io::floatToF16(1.0f + std::ldexp(1.0f, -11)), uint16_t(0x3c00)); // tie, even below
        QCOMPARE(io::floatToF16(1.0f + 3 * std::ldexp(1.0f, -11)), uint16_t(0x3c02)); // tie, even above
        QCOMPARE(io::f16ToFloat(0x0001), std::ldexp(1.0f, -24));
        QCOMPARE(io::f16ToFloat(0xc000), -2.0f);
        QCOMPARE(io::floatToBf16(1.0f + std::ldexp(1.0f, -8)), uint16_t(0x3f80));
        QCOMPARE(io::floatToBf16(1.0f + 3 * std::ldexp(1.0f, -8)), uint16_t(0x3f82));
        QCOMPARE(io::bf16ToFloat(0x3f82), 1.0f + std::ldexp(1.0f, -6));
        QVERIFY(std::isnan(io::f16ToFloat(io::floatToF16(std::nanf("")))));
        QVERIFY(std::isnan(io::bf16ToFloat(io::floatToBf16(std::nanf("")))));
    }

    void llamaQkRowsArePermutedToInterleavedRope()
    {
        QTemporaryDir tmp;
        const std::string dir = makeHandLlama(fs::path(tmp.path().toStdString()) / "hand");
        engine::GgufExport r;
        r.modelDir = dir;
        r.outFile = tmp.filePath("hand.gguf").toStdString();
        r.type = "f32";
        engine::exportGguf(r);
        const Gguf g = readGguf(r.outFile);
        // q_proj: 2 heads of 4 rows; each head's rows [0 1 2 3] (halves 0 1 | 2 3)
        // become [0 2 1 3] (pairs (0,2), (1,3) interleaved), as llama.cpp's permute.
        const std::vector<int> qRows = {0, 2, 1, 3, 4, 6, 5, 7};
        const std::vector<int> kRows = {0, 2, 1, 3}; // the one KV head
        const auto q = g.f32("blk.0.attn_q.weight");
        const auto k = g.f32("blk.0.attn_k.weight");
        QCOMPARE(g.tensors.at("blk.0.attn_q.weight").ne, (std::vector<uint64_t>{8, 8}));
        QCOMPARE(g.tensors.at("blk.0.attn_k.weight").ne, (std::vector<uint64_t>{8, 4}));
        for (int row = 0; row < 8; ++row)
            for (int col = 0; col < 8; ++col)
                QCOMPARE(q[static_cast<size_t>(row * 8 + col)], 2000.0f + static_cast<float>(qRows[row] * 8 + col));
        for (int row = 0; row < 4; ++row)
            for (int col = 0; col < 8; ++col)
                QCOMPARE(k[static_cast<size_t>(row * 8 + col)], 3000.0f + static_cast<float>(kRows[row] * 8 + col));
        // v and down are not permuted; down [8, 16] is stored with ne = {16, 8}.
        QCOMPARE(g.f32("blk.0.attn_v.weight")[9], 4009.0f);
        QCOMPARE(g.tensors.at("blk.0.ffn_down.weight").ne, (std::vector<uint64_t>{16, 8}));
        QCOMPARE(g.f32("blk.0.ffn_down.weight")[17], 9017.0f);
        QVERIFY(!g.tensors.count("output.weight")); // tied: llama.cpp reuses token_embd
        // SentencePiece-style tokenizer.json -> "llama" with BOS added.
        QCOMPARE(g.kv.at("tokenizer.ggml.model").s, std::string("llama"));
        QCOMPARE(g.kv.at("tokenizer.ggml.add_bos_token").u, uint64_t(1));
        QCOMPARE(g.kv.at("tokenizer.ggml.bos_token_id").u, uint64_t(1));
        QCOMPARE(g.kv.at("tokenizer.ggml.tokens").array.at(1).s, std::string("<s>"));
        QCOMPARE(g.kv.at("tokenizer.ggml.token_type").array.at(1).i, int64_t(3)); // control
        QCOMPARE(g.kv.at("llama.attention.head_count_kv").u, uint64_t(1));
        QCOMPARE(g.kv.at("llama.rope.dimension_count").u, uint64_t(4));
    }

    void demoModelExportsWithLlamaCppNamesShapesAndValues()
    {
        QTemporaryDir tmp;
        demo::DemoOptions o;
        o.dir = tmp.filePath("demo").toStdString();
        o.pretrainSteps = 1;
        const demo::DemoWorkspace ws = demo::createDemoWorkspace(o);
        const nlohmann::json cfg = nlohmann::json::parse(io::readFile(ws.baseModel + "/config.json"));
        const int64_t V = cfg["vocab_size"], C = cfg["hidden_size"], F = cfg["intermediate_size"];
        const int64_t L = cfg["num_hidden_layers"], H = cfg["num_attention_heads"], KV = cfg["num_key_value_heads"];
        const int64_t hd = cfg["head_dim"];

        engine::GgufExport r;
        r.modelDir = ws.baseModel;
        r.outFile = tmp.filePath("demo.gguf").toStdString();
        r.type = "f16";
        engine::exportGguf(r);
        const Gguf g = readGguf(r.outFile);

        QCOMPARE(g.version, 3u);
        QCOMPARE(g.keyOrder.front(), std::string("general.alignment"));
        QCOMPARE(g.kv.at("general.architecture").s, std::string("llama"));
        QCOMPARE(g.kv.at("llama.block_count").u, uint64_t(L));
        QCOMPARE(g.kv.at("llama.embedding_length").u, uint64_t(C));
        QCOMPARE(g.kv.at("llama.feed_forward_length").u, uint64_t(F));
        QCOMPARE(g.kv.at("llama.attention.head_count").u, uint64_t(H));
        QCOMPARE(g.kv.at("llama.attention.head_count_kv").u, uint64_t(KV));
        QCOMPARE(g.kv.at("llama.rope.dimension_count").u, uint64_t(hd));
        QCOMPARE(g.kv.at("llama.context_length").u, uint64_t(cfg["max_position_embeddings"].get<int64_t>()));
        QCOMPARE(static_cast<float>(g.kv.at("llama.attention.layer_norm_rms_epsilon").f), 1e-5f);
        QCOMPARE(g.kv.at("general.file_type").u, uint64_t(1));
        // The demo's byte-level BPE with the GPT-2 regex, no BOS added.
        QCOMPARE(g.kv.at("tokenizer.ggml.model").s, std::string("gpt2"));
        QCOMPARE(g.kv.at("tokenizer.ggml.pre").s, std::string("gpt-2"));
        QCOMPARE(g.kv.at("tokenizer.ggml.tokens").array.size(), size_t(V));
        QCOMPARE(g.kv.at("tokenizer.ggml.tokens").array.at(static_cast<size_t>(V - 1)).s, std::string("<|endoftext|>"));
        QCOMPARE(g.kv.at("tokenizer.ggml.eos_token_id").u, uint64_t(V - 1));
        QCOMPARE(g.kv.at("tokenizer.ggml.add_bos_token").u, uint64_t(0));
        QVERIFY(!g.kv.at("tokenizer.ggml.merges").array.empty());
        QCOMPARE(g.kv.at("tokenizer.ggml.token_type").array.at(static_cast<size_t>(V - 1)).i, int64_t(3));

        // Names and shapes (ne innermost first), types: matrices f16, vectors f32.
        auto ne = [&](const std::string& n) { return g.tensors.at(n).ne; };
        using U = std::vector<uint64_t>;
        auto u = [](int64_t x) { return static_cast<uint64_t>(x); };
        QCOMPARE(ne("token_embd.weight"), (U{u(C), u(V)}));
        QCOMPARE(ne("output_norm.weight"), (U{u(C)}));
        QCOMPARE(ne("blk.0.attn_q.weight"), (U{u(C), u(H * hd)}));
        QCOMPARE(ne("blk.0.attn_k.weight"), (U{u(C), u(KV * hd)}));
        QCOMPARE(ne("blk.0.attn_q.bias"), (U{u(H * hd)}));
        QCOMPARE(ne("blk.0.attn_output.bias"), (U{u(C)}));
        QCOMPARE(ne("blk.0.ffn_gate.bias"), (U{u(F)}));
        QCOMPARE(ne("blk.0.ffn_down.weight"), (U{u(F), u(C)}));
        QCOMPARE(g.tensors.at("blk.0.ffn_down.weight").type, 1u);
        QCOMPARE(g.tensors.at("blk.0.attn_norm.weight").type, 0u);
        QVERIFY(!g.tensors.count("output.weight"));
        QCOMPARE(g.tensors.size(), size_t(2 + L * 16)); // token_embd, output_norm; 2 norms + 7 weights + 7 biases per block
        for (const auto& [name, t] : g.tensors)
            QCOMPARE(t.offset % 32, uint64_t(0));

        // Values: read the model's safetensors directly and compare.
        auto st = io::SafetensorsFile::open(ws.baseModel + "/model.safetensors");
        auto hf = [&](const std::string& n) {
            const auto* info = st->find(n);
            std::vector<float> v(static_cast<size_t>(info->numel()));
            std::memcpy(v.data(), st->data(*info), v.size() * 4);
            return v;
        };
        const auto embd = hf("model.embed_tokens.weight");
        const char* p = g.data("token_embd.weight");
        for (size_t k = 0; k < embd.size(); k += 97) {
            uint16_t h;
            std::memcpy(&h, p + 2 * k, 2);
            QVERIFY(std::fabs(io::f16ToFloat(h) - embd[k]) <= std::fabs(embd[k]) * 1e-3f + 1e-7f);
        }
        const auto norm = hf("model.layers.1.post_attention_layernorm.weight");
        QCOMPARE(g.f32("blk.1.ffn_norm.weight"), norm);
        // q bias follows the row permutation of q: row 2i+t of head h = row t·hd/2 + i.
        const auto qb = hf("model.layers.0.self_attn.q_proj.bias");
        const auto gqb = g.f32("blk.0.attn_q.bias");
        QCOMPARE(gqb[1], qb[static_cast<size_t>(hd / 2)]);
        QCOMPARE(gqb[static_cast<size_t>(hd + 2)], qb[static_cast<size_t>(hd + 1)]);
        QCOMPARE(g.f32("blk.0.attn_v.bias"), hf("model.layers.0.self_attn.v_proj.bias"));
    }

    void llama2cCheckpointExportsItsOriginalQkLayout()
    {
        // A llama2.c .bin made here (dim 8, hidden 16, 1 layer, 2 heads, 1 KV
        // head, vocab 600, seq_len 4, shared classifier) whose floats are
        // 0, 1, 2, ... in file order, beside the llama2.c tokenizer fixture.
        QTemporaryDir tmp;
        const fs::path dir = tmp.path().toStdString();
        fs::copy_file(fs::path(TB_FIXTURES_DIR) / "tokenizers" / "llama2c" / "tokenizer.bin", dir / "tokenizer.bin");
        const int32_t header[7] = {8, 16, 1, 2, 1, 600, 4};
        const size_t floats = 600 * 8 + 8 + 64 + 32 + 32 + 64 + 8 + 3 * 128 + 8 + 4 * 4;
        std::string bin(reinterpret_cast<const char*>(header), sizeof header);
        for (size_t k = 0; k < floats; ++k) {
            const float f = static_cast<float>(k);
            bin.append(reinterpret_cast<const char*>(&f), 4);
        }
        io::writeFileAtomic((dir / "tiny.bin").string(), bin);
        engine::GgufExport r;
        r.modelDir = (dir / "tiny.bin").string();
        r.outFile = (dir / "tiny.gguf").string();
        r.type = "f32";
        engine::exportGguf(r);
        const Gguf g = readGguf(r.outFile);
        // llama2.c keeps wq/wk in the interleaved RoPE layout llama.cpp uses
        // (Tunebench converts them to half-split on load): the export must
        // give back the file's own floats, wq after tok (600 x 8) and rms_att (8).
        std::vector<float> wq(64), wk(32);
        for (size_t k = 0; k < 64; ++k)
            wq[k] = static_cast<float>(4808 + k);
        for (size_t k = 0; k < 32; ++k)
            wk[k] = static_cast<float>(4872 + k);
        QCOMPARE(g.f32("blk.0.attn_q.weight"), wq);
        QCOMPARE(g.f32("blk.0.attn_k.weight"), wk);
        QCOMPARE(g.kv.at("llama.attention.head_count_kv").u, uint64_t(1));
        QCOMPARE(g.kv.at("tokenizer.ggml.model").s, std::string("llama"));
        QCOMPARE(g.kv.at("tokenizer.ggml.tokens").array.at(1).s, std::string("<s>"));
        QCOMPARE(g.kv.at("tokenizer.ggml.token_type").array.at(3).i, int64_t(6)); // <0x00>: byte
        QCOMPARE(g.kv.at("tokenizer.ggml.scores").array.size(), size_t(600));
        QCOMPARE(g.kv.at("tokenizer.ggml.add_bos_token").u, uint64_t(1));
    }

    void loraRunExportsMergedModelAndLlamaCppAdapter()
    {
        // A tiny Llama (hidden 32, 4 heads of 8, 2 KV heads) with LoRA on q and k, trained 3 steps.
        QTemporaryDir tmp;
        const std::string base = tbtest::makeTinyModel(tmp.filePath("base").toStdString());
        std::string lines;
        for (int i = 0; i < 16; ++i)
            lines += nlohmann::json({{"instruction", "Repeat."}, {"input", "w" + std::to_string(i)},
                                     {"output", "w" + std::to_string(i)}}).dump() + "\n";
        const std::string data = tmp.filePath("train.jsonl").toStdString();
        io::writeFileAtomic(data, lines);
        const nlohmann::json j = {
            {"name", "gguf-lora"}, {"model", base}, {"output_dir", tmp.filePath("out").toStdString()},
            {"data", {{"train", {data}}, {"validation_fraction", 0.0}, {"template", "plain"}, {"max_length", 32}}},
            {"method", {{"method", "lora"}, {"lora", {{"rank", 4}, {"alpha", 8}, {"targets", {"q_proj", "k_proj"}}}}}},
            {"training", {{"max_steps", 3}, {"batch_size", 4}, {"learning_rate", 5e-2}, {"seed", 3}}}};
        const std::string db = tmp.filePath("runs.sqlite").toStdString();
        RunControl control;
        struct Quiet : engine::JobObserver {} quiet;
        const auto run = engine::runJob(train::parseRunConfig(j, "RUN.json"), {db, std::nullopt}, quiet, control);
        QVERIFY(run.train.status == train::TrainStatus::Completed);

        auto baseSt = io::SafetensorsFile::open(base + "/model.safetensors");
        auto adapterSt = io::SafetensorsFile::open(run.savedDir + "/adapter_model.safetensors");
        auto read = [](const io::SafetensorsFile& f, const std::string& n) {
            const auto* info = f.find(n);
            if (!info)
                throw std::runtime_error("missing " + n);
            std::vector<float> v(static_cast<size_t>(info->numel()));
            std::memcpy(v.data(), f.data(*info), v.size() * 4);
            return v;
        };
        const std::string pre = "base_model.model.model.layers.1.self_attn.";
        const auto A = read(*adapterSt, pre + "k_proj.lora_A.weight"); // [4, 32]
        const auto B = read(*adapterSt, pre + "k_proj.lora_B.weight"); // [16, 4]
        const auto W = read(*baseSt, "model.layers.1.self_attn.k_proj.weight"); // [16, 32]
        // Each KV head's 8 rows in llama.cpp's interleaved order: row 2i+t <- row 4t+i.
        const std::vector<int> headRows = {0, 4, 1, 5, 2, 6, 3, 7};

        engine::GgufExport r;
        r.dbPath = db;
        r.runId = run.runId;
        r.outFile = tmp.filePath("merged.gguf").toStdString();
        r.type = "f32";
        engine::exportGguf(r);
        const Gguf merged = readGguf(r.outFile);
        const auto k = merged.f32("blk.1.attn_k.weight");
        double worst = 0;
        for (int row = 0; row < 16; ++row) {
            const int src = (row / 8) * 8 + headRows[static_cast<size_t>(row % 8)];
            for (int col = 0; col < 32; ++col) {
                double delta = 0;
                for (int q = 0; q < 4; ++q)
                    delta += double(B[static_cast<size_t>(src * 4 + q)]) * A[static_cast<size_t>(q * 32 + col)];
                const double expected = W[static_cast<size_t>(src * 32 + col)] + (8.0 / 4.0) * delta;
                worst = std::max(worst, std::fabs(expected - k[static_cast<size_t>(row * 32 + col)]));
            }
        }
        QVERIFY2(worst < 1e-5, qPrintable(QString::number(worst)));
        QVERIFY(std::fabs(A[0]) > 0 && std::fabs(B[0]) + std::fabs(B[1]) > 0); // training moved B off zero

        r.outFile = tmp.filePath("adapter.gguf").toStdString();
        r.adapterOnly = true;
        engine::exportGguf(r);
        const Gguf ad = readGguf(r.outFile);
        QCOMPARE(ad.kv.at("general.type").s, std::string("adapter"));
        QCOMPARE(ad.kv.at("general.architecture").s, std::string("llama"));
        QCOMPARE(ad.kv.at("adapter.type").s, std::string("lora"));
        QCOMPARE(ad.kv.at("adapter.lora.alpha").f, 8.0);
        QCOMPARE(ad.tensors.size(), size_t(2 * 2 * 2)); // 2 layers x {q, k} x {a, b}
        QCOMPARE(ad.tensors.at("blk.1.attn_k.weight.lora_a").ne, (std::vector<uint64_t>{32, 4}));
        QCOMPARE(ad.tensors.at("blk.1.attn_k.weight.lora_b").ne, (std::vector<uint64_t>{4, 16}));
        QCOMPARE(ad.f32("blk.1.attn_k.weight.lora_a"), A);
        const auto b = ad.f32("blk.1.attn_k.weight.lora_b");
        for (int row = 0; row < 16; ++row)
            for (int q = 0; q < 4; ++q)
                QCOMPARE(b[static_cast<size_t>(row * 4 + q)],
                         B[static_cast<size_t>(((row / 8) * 8 + headRows[static_cast<size_t>(row % 8)]) * 4 + q)]);

        store::RunStore store(db);
        int found = 0;
        for (const auto& a : store.artifacts(run.runId))
            found += (a.kind == "gguf" || a.kind == "gguf_adapter") ? 1 : 0;
        QCOMPARE(found, 2);
    }

    void tokenizerFixturesGetTheLlamaCppPreTokenizerTheirRegexMeans()
    {
        // (fixture, its size, tokenizer.ggml.model, tokenizer.ggml.pre), the pre
        // names from llama.cpp's llama-vocab.cpp for these regexes.
        const std::vector<std::tuple<std::string, int64_t, std::string, std::string>> cases = {
            {"gpt2", 50257, "gpt2", "gpt-2"},           {"qwen2-style", 3259, "gpt2", "qwen2"},
            {"llama3-style", 3262, "gpt2", "llama-bpe"}, {"smollm2-style", 3259, "gpt2", "smollm"},
            {"llama2-style", 600, "llama", "default"}};
        for (const auto& [name, size, model, pre] : cases) {
            io::GgufWriter w;
            const auto summary =
                engine::addGgufVocabulary(w, std::string(TB_FIXTURES_DIR) + "/tokenizers/" + name, size + 3);
            const Gguf g = parse(w.serialize());
            QCOMPARE(g.kv.at("tokenizer.ggml.model").s, model);
            QCOMPARE(g.kv.at("tokenizer.ggml.pre").s, pre);
            QCOMPARE(summary.tokens, size + 3); // padded to the model's vocabulary
            QCOMPARE(g.kv.at("tokenizer.ggml.tokens").array.back().s, "[PAD" + std::to_string(size + 2) + "]");
            QCOMPARE(g.kv.at("tokenizer.ggml.token_type").array.back().i, int64_t(5)); // unused
        }
        io::GgufWriter tooSmall;
        QVERIFY_THROWS_EXCEPTION(Error, engine::addGgufVocabulary(
                                            tooSmall, std::string(TB_FIXTURES_DIR) + "/tokenizers/llama2-style", 100));
    }

    void unusableRequestsFailWithOneLine()
    {
        QTemporaryDir tmp;
        engine::GgufExport r;
        r.modelDir = tmp.filePath("nothing").toStdString();
        r.outFile = tmp.filePath("x.gguf").toStdString();
        try {
            engine::exportGguf(r);
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY(QString(e.what()).contains("nothing"));
        }
        r.type = "q4";
        QVERIFY_THROWS_EXCEPTION(Error, engine::exportGguf(r));
        r.type = "f16";
        r.adapterOnly = true;
        QVERIFY_THROWS_EXCEPTION(Error, engine::exportGguf(r));
        QVERIFY(!fs::exists(r.outFile));
    }
};

QTEST_GUILESS_MAIN(TestGguf)
#include "tst_gguf.moc"
