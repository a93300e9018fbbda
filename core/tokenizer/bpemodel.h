#pragma once
// The BPE model of Hugging Face tokenizers (models/bpe): merges applied by
// rank within one pre-token, byte fallback, unk fusing, ignore_merges.
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace tb::tok {

struct BpeOptions {
    std::optional<std::string> unkToken;
    std::optional<std::string> continuingSubwordPrefix;
    std::optional<std::string> endOfWordSuffix;
    bool fuseUnk = false;
    bool byteFallback = false;
    bool ignoreMerges = false;
};

class BpeModel {
public:
    // MERGES are (left, right) token strings, in rank order. Throws tb::Error
    // "SOURCE: CONTEXT..." when a merge names a token missing from VOCAB.
    BpeModel(std::unordered_map<std::string, uint32_t> vocab,
             const std::vector<std::pair<std::string, std::string>>& merges, BpeOptions options,
             const std::string& source, const std::string& mergesContext);

    // Ids for one pre-token (already byte-level mapped where that applies).
    std::vector<uint32_t> tokenize(const std::string& word) const;

    std::optional<uint32_t> tokenToId(std::string_view token) const;
    std::optional<std::string> idToToken(uint32_t id) const;
    // Number of vocabulary entries (HF's Model::get_vocab_size).
    size_t entryCount() const { return m_vocab.size(); }
    uint32_t maxId() const { return m_maxId; }
    const BpeOptions& options() const { return m_options; }

private:
    std::vector<uint32_t> mergeWord(const std::string& word) const;

    struct Merge {
        uint32_t rank;
        uint32_t newId;
    };
    static uint64_t pairKey(uint32_t a, uint32_t b) { return (static_cast<uint64_t>(a) << 32) | b; }

    std::unordered_map<std::string, uint32_t> m_vocab;
    std::unordered_map<uint32_t, std::string> m_vocabReverse;
    std::unordered_map<uint64_t, Merge> m_merges;
    BpeOptions m_options;
    std::optional<uint32_t> m_unkId;
    uint32_t m_maxId = 0;

    // Pre-tokens repeat a lot in real text; HF caches them the same way.
    mutable std::mutex m_cacheMutex;
    mutable std::unordered_map<std::string, std::vector<uint32_t>> m_cache;
};

} // namespace tb::tok
