#pragma once
// Exact n-gram bookkeeping for the text metrics. An n-gram is packed into a
// 128-bit key (code points, or per-segment token ids), so two n-grams share a
// key exactly when the Python references' tuples or strings are equal; keys
// and tokens live in flat open-addressing tables that are reused between
// segments, which keeps the per-n-gram cost to a hash and a compare. Internal.
#include <cstdint>
#include <string_view>
#include <vector>

namespace tb::eval {

struct GramKey {
    uint64_t hi = 0;
    uint64_t lo = 0;
    bool operator==(const GramKey& o) const { return hi == o.hi && lo == o.lo; }
};

// An n-gram of up to four token ids (0 pads short ones; ids start at 1).
inline GramKey idGram(const uint32_t* ids, int n)
{
    uint32_t w[4] = {0, 0, 0, 0};
    for (int i = 0; i < n; ++i)
        w[i] = ids[i];
    return {(uint64_t(w[0]) << 32) | w[1], (uint64_t(w[2]) << 32) | w[3]};
}

// The order of an idGram() key: its number of non-zero ids.
inline int idGramOrder(const GramKey& k)
{
    return 1 + ((k.hi & 0xFFFFFFFFu) != 0) + ((k.lo >> 32) != 0) + ((k.lo & 0xFFFFFFFFu) != 0);
}

// An n-gram of up to six code points (21 bits each), three to a word.
inline GramKey charGram(const char32_t* cps, int n)
{
    uint64_t lo = 0;
    uint64_t hi = 0;
    switch (n) {
    default: // 6
        hi |= uint64_t(cps[5]) << 42;
        [[fallthrough]];
    case 5:
        hi |= uint64_t(cps[4]) << 21;
        [[fallthrough]];
    case 4:
        hi |= uint64_t(cps[3]);
        [[fallthrough]];
    case 3:
        lo |= uint64_t(cps[2]) << 42;
        [[fallthrough]];
    case 2:
        lo |= uint64_t(cps[1]) << 21;
        [[fallthrough]];
    case 1:
        lo |= uint64_t(cps[0]);
    }
    return {lo, hi};
}

// Distinct keys numbered 0, 1, ... in first-seen order.
class GramIndex {
public:
    static constexpr uint32_t kAbsent = 0xFFFFFFFFu;

    // Forgets every key; `expected` bounds the number of distinct keys to come.
    void reset(size_t expected);
    size_t size() const { return m_keys.size(); }
    const GramKey& keyAt(size_t index) const { return m_keys[index]; }

    uint32_t insert(const GramKey& key)
    {
        size_t s = slotOf(key);
        while (m_slots[s].index != kAbsent) {
            if (m_slots[s].key == key)
                return m_slots[s].index;
            s = (s + 1) & m_mask;
        }
        const auto index = static_cast<uint32_t>(m_keys.size());
        m_keys.push_back(key);
        m_slots[s] = {key, index};
        if (m_keys.size() * 2 > m_mask + 1)
            grow();
        return index;
    }

    uint32_t find(const GramKey& key) const
    {
        size_t s = slotOf(key);
        while (m_slots[s].index != kAbsent) {
            if (m_slots[s].key == key)
                return m_slots[s].index;
            s = (s + 1) & m_mask;
        }
        return kAbsent;
    }

private:
    // Key and index side by side: a probe touches one cache line.
    struct Slot {
        GramKey key;
        uint32_t index = kAbsent;
    };

    // Fibonacci hashing: the top bits of a multiplicative mix pick the slot.
    size_t slotOf(const GramKey& key) const
    {
        uint64_t h = (key.hi * 0x9E3779B97F4A7C15ull) ^ key.lo;
        h ^= h >> 29;
        h *= 0xBF58476D1CE4E5B9ull;
        return h >> m_shift;
    }
    void grow();

    std::vector<GramKey> m_keys;
    std::vector<Slot> m_slots;
    size_t m_mask = 0;
    int m_shift = 64;
};

// Dense ids (from 1) for the distinct tokens of one segment. Holds views:
// the token text must outlive the next reset().
class TokenIds {
public:
    void reset(size_t expected);
    uint32_t id(std::u32string_view token);
    uint32_t id(std::string_view token);

private:
    uint32_t idOf(const void* data, size_t bytes, uint64_t hash);
    void grow();

    struct Entry {
        const void* data;
        size_t bytes;
        uint64_t hash;
    };
    std::vector<Entry> m_tokens;
    std::vector<uint32_t> m_slots;
    size_t m_mask = 0;
};

// Clipped n-gram matches, the core of BLEU, chrF and ROUGE-N: index the
// hypothesis n-grams once, then count each reference against them.
class ClippedCounter {
public:
    // Starts a new order: `keyAt(i)` for i in [0, count) are the hypothesis n-grams.
    template <class KeyAt>
    void setHypothesis(size_t count, KeyAt keyAt)
    {
        m_index.reset(count);
        m_hyp.clear();
        for (size_t i = 0; i < count; ++i) {
            const uint32_t k = m_index.insert(keyAt(i));
            if (k == m_hyp.size())
                m_hyp.push_back(0);
            ++m_hyp[k];
        }
    }
    // Per distinct hypothesis n-gram, how often one reference has it; returns
    // sum of min(hypothesis count, reference count).
    template <class KeyAt>
    int64_t countReference(size_t count, KeyAt keyAt)
    {
        m_ref.assign(m_hyp.size(), 0);
        int64_t matches = 0;
        for (size_t i = 0; i < count; ++i) {
            const uint32_t k = m_index.find(keyAt(i));
            if (k != GramIndex::kAbsent && ++m_ref[k] <= m_hyp[k])
                ++matches;
        }
        return matches;
    }
    // The key of distinct hypothesis n-gram k.
    const GramKey& key(size_t k) const { return m_index.keyAt(k); }
    // The last reference's counts, by distinct hypothesis n-gram.
    const std::vector<int64_t>& referenceCounts() const { return m_ref; }
    const std::vector<int64_t>& hypothesisCounts() const { return m_hyp; }

private:
    GramIndex m_index;
    std::vector<int64_t> m_hyp;
    std::vector<int64_t> m_ref;
};

} // namespace tb::eval
