#include "demo/bpe_trainer.h"

#include "common/error.h"
#include "tokenizer/bytelevel.h"
#include "tokenizer/pretokenizer.h"

#include <nlohmann/json.hpp>

#include <map>
#include <unordered_map>

namespace tb::demo {

namespace {

// bytes_to_unicode()'s order in GPT-2's encoder.py: printable bytes first,
// then the rest, which is also the order of ids 0-255 in its vocab.json.
std::vector<unsigned char> gpt2ByteOrder()
{
    std::vector<unsigned char> order;
    std::vector<bool> taken(256, false);
    auto range = [&](int first, int last) {
        for (int b = first; b <= last; ++b) {
            order.push_back(static_cast<unsigned char>(b));
            taken[b] = true;
        }
    };
    range('!', '~');
    range(0xA1, 0xAC);
    range(0xAE, 0xFF);
    for (int b = 0; b < 256; ++b)
        if (!taken[b])
            order.push_back(static_cast<unsigned char>(b));
    return order;
}

// Splits a byte-level mapped word into its characters (each one UTF-8 sequence).
std::vector<std::string> characters(const std::string& word)
{
    std::vector<std::string> out;
    for (size_t i = 0; i < word.size();) {
        const auto lead = static_cast<unsigned char>(word[i]);
        const size_t n = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
        out.push_back(word.substr(i, n));
        i += n;
    }
    return out;
}

struct Word {
    std::vector<int> symbols;
    int64_t count = 0;
};

} // namespace

BpeVocabulary trainByteLevelBpe(const std::vector<std::string>& texts, size_t mergeCount)
{
    BpeVocabulary vocab;
    std::unordered_map<std::string, int> ids;
    for (const unsigned char b : gpt2ByteOrder()) {
        const std::string token = tok::byteLevelEncode(std::string_view(reinterpret_cast<const char*>(&b), 1));
        ids.emplace(token, static_cast<int>(vocab.tokens.size()));
        vocab.tokens.push_back(token);
    }

    // Word frequencies, in a sorted map so that the words' order is fixed.
    const auto preTokenizer = tok::makeByteLevelPreTokenizer(false, true);
    std::map<std::string, int64_t> frequencies;
    for (const std::string& text : texts) {
        std::vector<tok::PreSplit> splits{tok::PreSplit{text, true}};
        preTokenizer->preTokenize(splits);
        for (const tok::PreSplit& s : splits)
            ++frequencies[s.text];
    }
    std::vector<Word> words;
    words.reserve(frequencies.size());
    for (const auto& [text, count] : frequencies) {
        Word w;
        w.count = count;
        for (const std::string& c : characters(text)) {
            const auto it = ids.find(c);
            if (it == ids.end())
                throw Error("demo: internal error: byte-level character outside the alphabet");
            w.symbols.push_back(it->second);
        }
        words.push_back(std::move(w));
    }

    // Recounting every pair after each merge is quadratic in principle, but the
    // demo corpus has a few thousand distinct words: well under a second.
    for (size_t m = 0; m < mergeCount; ++m) {
        std::map<std::pair<int, int>, int64_t> pairs;
        for (const Word& w : words)
            for (size_t i = 0; i + 1 < w.symbols.size(); ++i)
                pairs[{w.symbols[i], w.symbols[i + 1]}] += w.count;
        auto best = pairs.end();
        for (auto it = pairs.begin(); it != pairs.end(); ++it)
            if (best == pairs.end() || it->second > best->second)
                best = it; // strictly greater: ties keep the lowest pair
        if (best == pairs.end() || best->second < 2)
            break;
        const auto [left, right] = best->first;
        const std::string merged = vocab.tokens[left] + vocab.tokens[right];
        int id = 0;
        if (const auto it = ids.find(merged); it != ids.end()) {
            id = it->second;
        } else {
            id = static_cast<int>(vocab.tokens.size());
            ids.emplace(merged, id);
            vocab.tokens.push_back(merged);
        }
        vocab.merges.emplace_back(vocab.tokens[left], vocab.tokens[right]);
        for (Word& w : words) {
            std::vector<int> out;
            out.reserve(w.symbols.size());
            for (size_t i = 0; i < w.symbols.size(); ++i) {
                if (i + 1 < w.symbols.size() && w.symbols[i] == left && w.symbols[i + 1] == right) {
                    out.push_back(id);
                    ++i;
                } else {
                    out.push_back(w.symbols[i]);
                }
            }
            w.symbols = std::move(out);
        }
    }
    return vocab;
}

std::string tokenizerJson(const BpeVocabulary& vocabulary, const std::string& specialToken)
{
    using json = nlohmann::ordered_json;
    const int64_t specialId = static_cast<int64_t>(vocabulary.tokens.size());
    json vocab = json::object();
    for (size_t i = 0; i < vocabulary.tokens.size(); ++i)
        vocab[vocabulary.tokens[i]] = i;
    // GPT-2 keeps its end-of-text token in the model vocabulary too (last id).
    vocab[specialToken] = specialId;
    json merges = json::array();
    for (const auto& [a, b] : vocabulary.merges)
        merges.push_back(a + " " + b); // byte-level tokens never contain a space (it is "Ġ")

    json byteLevel = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}};
    json j;
    j["version"] = "1.0";
    j["truncation"] = nullptr;
    j["padding"] = nullptr;
    j["added_tokens"] = json::array({{{"id", specialId},
                                      {"content", specialToken},
                                      {"single_word", false},
                                      {"lstrip", false},
                                      {"rstrip", false},
                                      {"normalized", false},
                                      {"special", true}}});
    j["normalizer"] = nullptr;
    j["pre_tokenizer"] = byteLevel;
    j["post_processor"] = nullptr;
    j["decoder"] = byteLevel;
    j["model"] = {{"type", "BPE"},
                  {"dropout", nullptr},
                  {"unk_token", nullptr},
                  {"continuing_subword_prefix", nullptr},
                  {"end_of_word_suffix", nullptr},
                  {"fuse_unk", false},
                  {"byte_fallback", false},
                  {"ignore_merges", false},
                  {"vocab", vocab},
                  {"merges", merges}};
    return j.dump(2) + "\n";
}

std::string tokenizerConfigJson(const std::string& specialToken, int64_t modelMaxLength)
{
    nlohmann::ordered_json j;
    j["tokenizer_class"] = "GPT2Tokenizer";
    j["bos_token"] = specialToken;
    j["eos_token"] = specialToken;
    j["unk_token"] = specialToken;
    j["add_bos_token"] = false;
    j["add_eos_token"] = false;
    j["model_max_length"] = modelMaxLength;
    j["clean_up_tokenization_spaces"] = false;
    return j.dump(2) + "\n";
}

} // namespace tb::demo
