#include "bpemodel.h"

#include <queue>

#include "common/error.h"
#include "unicode.h"

namespace tb::tok {

namespace {
constexpr size_t kCacheCapacity = 10000;
constexpr size_t kMaxCachedWordLength = 256;
} // namespace

BpeModel::BpeModel(std::unordered_map<std::string, uint32_t> vocab,
                   const std::vector<std::pair<std::string, std::string>>& merges, BpeOptions options,
                   const std::string& source, const std::string& mergesContext)
    : m_vocab(std::move(vocab)), m_options(std::move(options))
{
    for (const auto& [token, id] : m_vocab) {
        m_vocabReverse.emplace(id, token);
        m_maxId = std::max(m_maxId, id);
    }
    const size_t prefixLength = m_options.continuingSubwordPrefix ? m_options.continuingSubwordPrefix->size() : 0;
    for (size_t rank = 0; rank < merges.size(); ++rank) {
        const auto& [left, right] = merges[rank];
        const std::string where = source + ": " + mergesContext + "[" + std::to_string(rank) + "]: ";
        const auto a = m_vocab.find(left);
        if (a == m_vocab.end())
            throw Error(where + "token \"" + unicode::toValidUtf8(left) + "\" is not in the vocabulary");
        const auto b = m_vocab.find(right);
        if (b == m_vocab.end())
            throw Error(where + "token \"" + unicode::toValidUtf8(right) + "\" is not in the vocabulary");
        if (right.size() < prefixLength)
            throw Error(where + "token \"" + unicode::toValidUtf8(right) + "\" is shorter than continuing_subword_prefix");
        const std::string merged = left + right.substr(prefixLength);
        const auto m = m_vocab.find(merged);
        if (m == m_vocab.end())
            throw Error(where + "merged token \"" + unicode::toValidUtf8(merged) + "\" is not in the vocabulary");
        // A repeated pair keeps its last rank, as HF's HashMap collect does.
        m_merges[pairKey(a->second, b->second)] = Merge{static_cast<uint32_t>(rank), m->second};
    }
    if (m_options.unkToken) {
        const auto it = m_vocab.find(*m_options.unkToken);
        if (it == m_vocab.end())
            throw Error(source + ": model.unk_token: \"" + unicode::toValidUtf8(*m_options.unkToken)
                        + "\" is not in the vocabulary");
        m_unkId = it->second;
    }
}

std::optional<uint32_t> BpeModel::tokenToId(std::string_view token) const
{
    const auto it = m_vocab.find(std::string(token));
    if (it == m_vocab.end())
        return std::nullopt;
    return it->second;
}

std::optional<std::string> BpeModel::idToToken(uint32_t id) const
{
    const auto it = m_vocabReverse.find(id);
    if (it == m_vocabReverse.end())
        return std::nullopt;
    return it->second;
}

std::vector<uint32_t> BpeModel::tokenize(const std::string& word) const
{
    if (word.empty())
        return {};
    {
        std::lock_guard<std::mutex> lock(m_cacheMutex);
        const auto it = m_cache.find(word);
        if (it != m_cache.end())
            return it->second;
    }
    std::vector<uint32_t> ids;
    const auto whole = m_options.ignoreMerges ? m_vocab.find(word) : m_vocab.end();
    if (whole != m_vocab.end())
        ids.push_back(whole->second);
    else
        ids = mergeWord(word);
    if (word.size() < kMaxCachedWordLength) {
        std::lock_guard<std::mutex> lock(m_cacheMutex);
        if (m_cache.size() < kCacheCapacity)
            m_cache.emplace(word, ids);
    }
    return ids;
}

std::vector<uint32_t> BpeModel::mergeWord(const std::string& word) const
{
    // Mirrors Word::merge_all in HF tokenizers (models/bpe/word.rs): a min-heap
    // of candidate pairs ordered by (rank, position), re-validated when popped.
    struct Symbol {
        uint32_t id;
        int prev;
        int next;
        size_t length;
    };
    std::vector<Symbol> symbols;
    symbols.reserve(word.size());
    const auto add = [&symbols](uint32_t id, size_t length) {
        const int index = static_cast<int>(symbols.size());
        symbols.push_back(Symbol{id, index - 1, -1, length});
        if (index > 0)
            symbols[index - 1].next = index;
    };

    // An unknown piece not yet added (fuse_unk merges neighbours into it).
    // Plain fields: GCC 12 misreads an optional<pair> here as maybe-uninitialised.
    struct {
        bool pending = false;
        uint32_t id = 0;
        size_t length = 0;
    } unk;
    size_t pos = 0;
    while (pos < word.size()) {
        size_t length = 1;
        unicode::decodeAt(word, pos, &length);
        const bool isFirst = pos == 0;
        const bool isLast = pos + length >= word.size();
        std::string piece = word.substr(pos, length);
        if (!isFirst && m_options.continuingSubwordPrefix)
            piece = *m_options.continuingSubwordPrefix + piece;
        if (isLast && m_options.endOfWordSuffix)
            piece += *m_options.endOfWordSuffix;
        pos += length;

        const auto it = m_vocab.find(piece);
        if (it != m_vocab.end()) {
            if (unk.pending) {
                add(unk.id, unk.length);
                unk.pending = false;
            }
            add(it->second, length);
            continue;
        }
        if (m_options.byteFallback) {
            std::vector<uint32_t> bytes;
            bool all = true;
            for (const char c : piece) {
                static const char hex[] = "0123456789ABCDEF";
                const auto u = static_cast<unsigned char>(c);
                const std::string name = std::string("<0x") + hex[u >> 4] + hex[u & 15] + ">";
                const auto b = m_vocab.find(name);
                if (b == m_vocab.end()) {
                    all = false;
                    break;
                }
                bytes.push_back(b->second);
            }
            if (all) {
                // HF leaves a pending unk where it is here; the order is theirs.
                for (const uint32_t b : bytes)
                    add(b, 1);
                continue;
            }
        }
        if (m_unkId) {
            if (unk.pending && m_options.fuseUnk) {
                unk.length += length;
            } else {
                if (unk.pending)
                    add(unk.id, unk.length);
                unk = {true, *m_unkId, length};
            }
        }
    }
    if (unk.pending)
        add(unk.id, unk.length);

    struct Candidate {
        uint32_t rank;
        size_t pos;
        uint32_t newId;
        bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
    };
    std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> queue;
    const auto findMerge = [this](uint32_t a, uint32_t b) -> const Merge* {
        const auto it = m_merges.find(pairKey(a, b));
        return it == m_merges.end() ? nullptr : &it->second;
    };
    for (size_t i = 0; i + 1 < symbols.size(); ++i) {
        if (const Merge* m = findMerge(symbols[i].id, symbols[i + 1].id))
            queue.push(Candidate{m->rank, i, m->newId});
    }
    while (!queue.empty()) {
        const Candidate top = queue.top();
        queue.pop();
        Symbol& current = symbols[top.pos];
        if (current.length == 0 || current.next < 0)
            continue;
        const size_t nextPos = static_cast<size_t>(current.next);
        const Symbol right = symbols[nextPos];
        const Merge* m = findMerge(current.id, right.id);
        if (!m || m->newId != top.newId)
            continue;
        current.id = top.newId;
        current.length += right.length;
        current.next = right.next;
        symbols[nextPos].length = 0;
        if (right.next >= 0 && static_cast<size_t>(right.next) < symbols.size())
            symbols[static_cast<size_t>(right.next)].prev = static_cast<int>(top.pos);
        if (current.prev >= 0) {
            const size_t prevPos = static_cast<size_t>(current.prev);
            if (const Merge* pm = findMerge(symbols[prevPos].id, current.id))
                queue.push(Candidate{pm->rank, prevPos, pm->newId});
        }
        if (current.next >= 0 && static_cast<size_t>(current.next) < symbols.size()) {
            if (const Merge* nm = findMerge(current.id, symbols[static_cast<size_t>(current.next)].id))
                queue.push(Candidate{nm->rank, top.pos, nm->newId});
        }
    }
    std::vector<uint32_t> ids;
    ids.reserve(symbols.size());
    for (const Symbol& s : symbols) {
        if (s.length != 0)
            ids.push_back(s.id);
    }
    return ids;
}

} // namespace tb::tok
