#include "engine/gguf_vocab.h"

#include "common/error.h"
#include "io/atomic_file.h"
#include "io/gguf_writer.h"
#include "tokenizer/llama2ctokenizer.h"
#include "tokenizer/tokenizer.h"

#include <nlohmann/json.hpp>

#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <sstream>

namespace fs = std::filesystem;
using nlohmann::json;

namespace tb::engine {

namespace {

// llama.cpp's llama_token_type (gguf-py TokenType).
enum TokenType : int32_t { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 };

// The pre-tokenizer regexes of the tokenizers llama.cpp names (llama-vocab.cpp).
const char* const kGpt2Regex = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
const char* const kLlama3Regex = R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
const char* const kQwen2Regex = R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

struct Vocab {
    std::string model; // gpt2 | llama
    std::string pre = "default";
    std::vector<std::string> tokens;
    std::vector<float> scores;  // llama only
    std::vector<int32_t> types;
    std::vector<std::string> merges; // gpt2 only
    std::optional<int64_t> unk, pad;
    std::optional<bool> addSpacePrefix; // llama only
    std::string chatTemplate;

    void set(int64_t id, const std::string& token, int32_t type)
    {
        if (id < 0)
            throw Error("token '" + token + "' has a negative id");
        if (static_cast<size_t>(id) >= tokens.size()) {
            tokens.resize(static_cast<size_t>(id) + 1);
            types.resize(static_cast<size_t>(id) + 1, Unused);
        }
        tokens[static_cast<size_t>(id)] = token;
        types[static_cast<size_t>(id)] = type;
    }
};

bool isByteToken(const std::string& t) { return t.size() == 6 && t.rfind("<0x", 0) == 0 && t.back() == '>'; }

bool hasType(const json& node, const std::string& type)
{
    if (!node.is_object())
        return false;
    if (node.value("type", "") == type)
        return true;
    for (const char* list : {"pretokenizers", "normalizers", "decoders"})
        if (node.contains(list) && node[list].is_array())
            for (const auto& child : node[list])
                if (hasType(child, type))
                    return true;
    return false;
}

// tokenizer.ggml.pre for a byte-level tokenizer.json: the llama.cpp name whose
// regex splits text the same way, or an error (a wrong choice would make
// llama.cpp tokenize differently without saying so).
std::string preTokenizerName(const json& pre, const std::string& source)
{
    auto fail = [&] {
        return Error(source + ": its pre-tokenizer " + pre.dump().substr(0, 200) +
                     " is not one llama.cpp knows (GPT-2, Llama 3, Qwen2, SmolLM); a GGUF would tokenize differently");
    };
    if (pre.is_object() && pre.value("type", "") == "ByteLevel")
        return pre.value("use_regex", true) ? "gpt-2" : throw fail();
    if (!pre.is_object() || pre.value("type", "") != "Sequence" || !pre.contains("pretokenizers"))
        throw fail();
    const json& parts = pre["pretokenizers"];
    if (parts.size() != 2 || parts[1].value("type", "") != "ByteLevel")
        throw fail();
    const json& first = parts[0];
    const bool byteRegex = parts[1].value("use_regex", true);
    if (first.value("type", "") == "Digits" && first.value("individual_digits", false) && byteRegex)
        return "smollm";
    if (first.value("type", "") == "Split" && !byteRegex && first.contains("pattern") &&
        first["pattern"].contains("Regex")) {
        const std::string regex = first["pattern"]["Regex"].get<std::string>();
        if (regex == kLlama3Regex)
            return "llama-bpe";
        if (regex == kQwen2Regex)
            return "qwen2";
        if (regex == kGpt2Regex)
            return "gpt-2";
    }
    throw fail();
}

std::string tokenText(const json& v) // tokenizer_config.json: "tok" or {"content": "tok"}
{
    if (v.is_string())
        return v.get<std::string>();
    if (v.is_object() && v.contains("content") && v["content"].is_string())
        return v["content"].get<std::string>();
    return {};
}

Vocab fromTokenizerJson(const fs::path& file)
{
    const std::string source = file.string();
    json j;
    try {
        j = json::parse(io::readFile(source));
    } catch (const json::exception& e) {
        throw Error(source + ": not valid JSON (" + e.what() + ")");
    }
    const json& m = j.at("model");
    if (m.value("type", "") != "BPE")
        throw Error(source + ": a " + m.value("type", std::string("?")) +
                    " tokenizer; GGUF export supports BPE tokenizers (byte-level or SentencePiece-style)");
    Vocab v;
    for (const auto& [token, id] : m.at("vocab").items())
        v.set(id.get<int64_t>(), token, Normal);
    for (const auto& a : j.value("added_tokens", json::array()))
        v.set(a.at("id").get<int64_t>(), a.at("content").get<std::string>(),
              a.value("special", false) ? Control : UserDefined);
    std::vector<std::string> merges;
    for (const auto& mg : m.value("merges", json::array()))
        merges.push_back(mg.is_string() ? mg.get<std::string>()
                                        : mg.at(0).get<std::string>() + " " + mg.at(1).get<std::string>());
    std::map<std::string, int64_t> ids;
    for (size_t i = 0; i < v.tokens.size(); ++i)
        ids.emplace(v.tokens[i], static_cast<int64_t>(i));
    if (m.contains("unk_token") && m["unk_token"].is_string() && ids.count(m["unk_token"].get<std::string>()))
        v.unk = ids[m["unk_token"].get<std::string>()];

    const json pre = j.value("pre_tokenizer", json());
    const json norm = j.value("normalizer", json());
    if (hasType(pre, "ByteLevel") || hasType(j.value("decoder", json()), "ByteLevel")) {
        v.model = "gpt2";
        v.pre = preTokenizerName(pre, source);
        v.merges = std::move(merges);
    } else if (m.value("byte_fallback", false) || hasType(pre, "Metaspace") || hasType(norm, "Prepend")) {
        // SentencePiece converted to tokenizer.json (Llama 2 style). llama.cpp's
        // SentencePiece tokenizer merges by score, HF's BPE by merge rank:
        // scoring each merge result -rank makes the two agree.
        v.model = "llama";
        v.scores.assign(v.tokens.size(), 0.0f);
        const float unreached = -static_cast<float>(merges.size()) - 1.0f;
        for (size_t i = 0; i < v.tokens.size(); ++i)
            if (v.types[i] == Normal && v.tokens[i].size() > 1)
                v.scores[i] = unreached - static_cast<float>(i);
        for (size_t r = 0; r < merges.size(); ++r) {
            const auto space = merges[r].find(' ');
            auto it = ids.find(merges[r].substr(0, space) + merges[r].substr(space + 1));
            if (it != ids.end() && v.scores[static_cast<size_t>(it->second)] < -static_cast<float>(r))
                v.scores[static_cast<size_t>(it->second)] = -static_cast<float>(r);
        }
        for (size_t i = 0; i < v.tokens.size(); ++i)
            if (v.types[i] == Normal && isByteToken(v.tokens[i]))
                v.types[i] = Byte;
        const bool metaspacePrefix = hasType(pre, "Metaspace") && pre.value("prepend_scheme", "always") != "never" &&
                                     pre.value("add_prefix_space", true);
        v.addSpacePrefix = hasType(norm, "Prepend") || metaspacePrefix;
    } else {
        throw Error(source + ": a BPE tokenizer that is neither byte-level nor SentencePiece-style; "
                             "llama.cpp has no equivalent");
    }
    if (v.unk)
        v.types[static_cast<size_t>(*v.unk)] = Unknown;
    const fs::path config = file.parent_path() / "tokenizer_config.json";
    if (fs::exists(config)) {
        const json c = json::parse(io::readFile(config.string()), nullptr, false);
        if (c.is_object()) {
            if (c.contains("pad_token") && ids.count(tokenText(c["pad_token"])))
                v.pad = ids[tokenText(c["pad_token"])];
            if (c.contains("chat_template") && c["chat_template"].is_string())
                v.chatTemplate = c["chat_template"].get<std::string>();
        }
    }
    return v;
}

Vocab fromGpt2Files(const fs::path& vocabFile, const fs::path& mergesFile)
{
    Vocab v;
    v.model = "gpt2";
    v.pre = "gpt-2";
    const json j = json::parse(io::readFile(vocabFile.string()), nullptr, false);
    if (!j.is_object())
        throw Error(vocabFile.string() + ": not a JSON object of token -> id");
    for (const auto& [token, id] : j.items())
        v.set(id.get<int64_t>(), token, token == "<|endoftext|>" ? Control : Normal);
    std::istringstream lines(io::readFile(mergesFile.string()));
    for (std::string line; std::getline(lines, line);) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (!line.empty() && line.rfind("#version", 0) != 0)
            v.merges.push_back(line);
    }
    return v;
}

// sentencepiece_model.proto, read by hand (three fields are needed):
// ModelProto { repeated SentencePiece pieces = 1; NormalizerSpec normalizer_spec = 3; }
// SentencePiece { string piece = 1; float score = 2; Type type = 3; } (Type numbers = llama.cpp's)
// NormalizerSpec { bool add_dummy_prefix = 3 [default = true]; }
class Protobuf {
public:
    Protobuf(const std::string& bytes, size_t begin, size_t end, const std::string& source)
        : m_bytes(bytes), m_at(begin), m_end(end), m_source(source) {}
    bool more() const { return m_at < m_end; }
    uint64_t varint()
    {
        uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (m_at >= m_end)
                throw Error(m_source + ": truncated protobuf at byte " + std::to_string(m_at));
            const auto b = static_cast<uint8_t>(m_bytes[m_at++]);
            v |= static_cast<uint64_t>(b & 0x7f) << shift;
            if (!(b & 0x80))
                return v;
        }
        throw Error(m_source + ": bad protobuf varint at byte " + std::to_string(m_at));
    }
    // Skips or returns the field's [begin, end) for length-delimited ones.
    std::pair<size_t, size_t> field(uint32_t wireType)
    {
        size_t n = 0;
        switch (wireType) {
        case 0: varint(); return {m_at, m_at};
        case 1: n = 8; break;
        case 2: n = static_cast<size_t>(varint()); break;
        case 5: n = 4; break;
        default: throw Error(m_source + ": unsupported protobuf wire type " + std::to_string(wireType));
        }
        if (n > m_end - m_at)
            throw Error(m_source + ": truncated protobuf field at byte " + std::to_string(m_at));
        m_at += n;
        return {m_at - n, m_at};
    }

private:
    const std::string& m_bytes;
    size_t m_at, m_end;
    const std::string& m_source;
};

Vocab fromSentencePieceModel(const fs::path& file)
{
    const std::string source = file.string();
    const std::string bytes = io::readFile(source);
    Vocab v;
    v.model = "llama";
    v.addSpacePrefix = true;
    Protobuf model(bytes, 0, bytes.size(), source);
    while (model.more()) {
        const uint64_t tag = model.varint();
        const auto [b, e] = model.field(static_cast<uint32_t>(tag & 7));
        if (tag == ((1u << 3) | 2)) {
            std::string piece;
            float score = 0;
            int32_t type = Normal;
            Protobuf p(bytes, b, e, source);
            while (p.more()) {
                const uint64_t t = p.varint();
                if (t == ((3u << 3) | 0)) {
                    type = static_cast<int32_t>(p.varint());
                    continue;
                }
                const auto [pb, pe] = p.field(static_cast<uint32_t>(t & 7));
                if (t == ((1u << 3) | 2))
                    piece = bytes.substr(pb, pe - pb);
                else if (t == ((2u << 3) | 5))
                    std::memcpy(&score, bytes.data() + pb, 4);
            }
            if (type == Unknown)
                v.unk = static_cast<int64_t>(v.tokens.size());
            v.tokens.push_back(piece);
            v.scores.push_back(score);
            v.types.push_back(type);
        } else if (tag == ((3u << 3) | 2)) {
            Protobuf n(bytes, b, e, source);
            while (n.more()) {
                const uint64_t t = n.varint();
                if (t == ((3u << 3) | 0))
                    v.addSpacePrefix = n.varint() != 0;
                else
                    n.field(static_cast<uint32_t>(t & 7));
            }
        }
    }
    if (v.tokens.empty())
        throw Error(source + ": no pieces in this SentencePiece model");
    return v;
}

// llama.cpp's tokenizer.bin as llama2.c's tokenizer.py writes it: SentencePiece
// pieces with "▁" turned into spaces and BOS/EOS as "\n<s>\n"/"\n</s>\n";
// turned back here.
Vocab fromLlama2cTokenizer(const tok::Llama2cTokenizer& t)
{
    Vocab v;
    v.model = "llama";
    v.addSpacePrefix = true;
    for (int64_t id = 0; id < t.vocabSize(); ++id) {
        std::string piece = t.idToToken(id);
        int32_t type = Normal;
        if (id == 0) {
            type = Unknown;
            v.unk = 0;
        } else if (id == 1 || id == 2) {
            piece = id == 1 ? "<s>" : "</s>";
            type = Control;
        } else if (isByteToken(piece)) {
            type = Byte;
        }
        std::string restored;
        for (char c : piece)
            restored += c == ' ' ? std::string("\xe2\x96\x81") : std::string(1, c);
        v.set(id, restored, type);
        v.scores.push_back(t.score(id));
    }
    return v;
}

Vocab readVocab(const fs::path& path, int64_t modelVocabSize, std::unique_ptr<tok::Tokenizer>& tokenizer)
{
    auto has = [&](const char* f) { return fs::exists(path / f); };
    if (fs::is_regular_file(path) && path.extension() == ".bin") {
        tokenizer = tok::loadLlama2cTokenizer(path.string(), modelVocabSize);
        return fromLlama2cTokenizer(dynamic_cast<const tok::Llama2cTokenizer&>(*tokenizer));
    }
    if (!fs::is_directory(path))
        throw Error("no tokenizer at " + path.string() + "; a GGUF file needs one");
    if (has("tokenizer.json")) {
        tokenizer = tok::loadTokenizer(path.string());
        return fromTokenizerJson(path / "tokenizer.json");
    }
    if (has("vocab.json") && has("merges.txt")) {
        tokenizer = tok::loadTokenizer(path.string());
        return fromGpt2Files(path / "vocab.json", path / "merges.txt");
    }
    if (has("encoder.json") && has("vocab.bpe")) {
        tokenizer = tok::loadTokenizer(path.string());
        return fromGpt2Files(path / "encoder.json", path / "vocab.bpe");
    }
    if (has("tokenizer.model")) {
        tokenizer = tok::loadTokenizer(path.string());
        return fromSentencePieceModel(path / "tokenizer.model");
    }
    if (has("tokenizer.bin"))
        return readVocab(path / "tokenizer.bin", modelVocabSize, tokenizer);
    throw Error("no tokenizer files in " + path.string() +
                " (tokenizer.json, vocab.json + merges.txt, tokenizer.model or tokenizer.bin); a GGUF file needs one");
}

// Whether encoding with special tokens puts ID first (last): what the
// reference tokenizer does, found by asking it rather than its config.
bool adds(const tok::Tokenizer& t, std::optional<tok::TokenId> id, bool atStart)
{
    if (!id)
        return false;
    const auto with = t.encode("a", true);
    const auto without = t.encode("a", false);
    if (with.size() <= without.size() || with.empty())
        return false;
    return (atStart ? with.front() : with.back()) == *id;
}

} // namespace

GgufVocabSummary addGgufVocabulary(io::GgufWriter& out, const std::string& path, int64_t modelVocabSize)
{
    std::unique_ptr<tok::Tokenizer> tokenizer;
    Vocab v = readVocab(fs::path(path), modelVocabSize, tokenizer);
    const auto n = static_cast<int64_t>(v.tokens.size());
    if (n > modelVocabSize)
        throw Error("the tokenizer at " + path + " has " + std::to_string(n) + " tokens but the model only " +
                    std::to_string(modelVocabSize) + " embeddings; llama.cpp needs them to agree");
    for (int64_t i = 0; i < modelVocabSize; ++i) {
        const auto k = static_cast<size_t>(i);
        if (i >= n || v.tokens[k].empty()) {
            v.set(i, "[PAD" + std::to_string(i) + "]", Unused);
        }
    }
    if (v.model == "llama")
        v.scores.resize(v.tokens.size(), -1000.0f);

    out.addString("tokenizer.ggml.model", v.model);
    out.addString("tokenizer.ggml.pre", v.pre);
    out.addStrings("tokenizer.ggml.tokens", v.tokens);
    if (v.model == "llama")
        out.addF32s("tokenizer.ggml.scores", v.scores);
    out.addI32s("tokenizer.ggml.token_type", v.types);
    if (v.model == "gpt2")
        out.addStrings("tokenizer.ggml.merges", v.merges);
    const auto bos = tokenizer->bosId();
    const auto eos = tokenizer->eosId();
    if (bos)
        out.addU32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(*bos));
    if (eos)
        out.addU32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(*eos));
    if (v.unk)
        out.addU32("tokenizer.ggml.unknown_token_id", static_cast<uint32_t>(*v.unk));
    if (v.pad)
        out.addU32("tokenizer.ggml.padding_token_id", static_cast<uint32_t>(*v.pad));
    out.addBool("tokenizer.ggml.add_bos_token", adds(*tokenizer, bos, true));
    out.addBool("tokenizer.ggml.add_eos_token", adds(*tokenizer, eos, false));
    if (v.addSpacePrefix)
        out.addBool("tokenizer.ggml.add_space_prefix", *v.addSpacePrefix);
    if (!v.chatTemplate.empty())
        out.addString("tokenizer.chat_template", v.chatTemplate);
    return {v.model, v.pre, static_cast<int64_t>(v.tokens.size())};
}

} // namespace tb::engine
