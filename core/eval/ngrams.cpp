#include "eval/ngrams.h"

#include <cstring>

namespace tb::eval {

namespace {

size_t capacityFor(size_t expected)
{
    size_t cap = 16;
    while (cap < expected * 2)
        cap <<= 1;
    return cap;
}

int log2Of(size_t powerOfTwo)
{
    int bits = 0;
    while ((size_t(1) << bits) < powerOfTwo)
        ++bits;
    return bits;
}

uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 33;
    return h;
}

uint64_t hashBytes(const void* data, size_t n)
{
    // FNV-1a on 8-byte words, then a finaliser; exactness comes from the compare.
    const auto* p = static_cast<const unsigned char*>(data);
    uint64_t h = 0xCBF29CE484222325ull ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        std::memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x100000001B3ull;
    }
    uint64_t tail = 0;
    std::memcpy(&tail, p + i, n - i);
    h = (h ^ tail) * 0x100000001B3ull;
    return mix(h);
}

} // namespace

void GramIndex::reset(size_t expected)
{
    const size_t cap = capacityFor(expected);
    m_keys.clear();
    m_slots.assign(cap, Slot{});
    m_mask = cap - 1;
    m_shift = 64 - log2Of(cap);
}

void GramIndex::grow()
{
    const size_t cap = (m_mask + 1) * 2;
    m_slots.assign(cap, Slot{});
    m_mask = cap - 1;
    m_shift = 64 - log2Of(cap);
    for (uint32_t i = 0; i < m_keys.size(); ++i) {
        size_t s = slotOf(m_keys[i]);
        while (m_slots[s].index != kAbsent)
            s = (s + 1) & m_mask;
        m_slots[s] = {m_keys[i], i};
    }
}

void TokenIds::reset(size_t expected)
{
    const size_t cap = capacityFor(expected);
    m_tokens.clear();
    m_slots.assign(cap, GramIndex::kAbsent);
    m_mask = cap - 1;
}

void TokenIds::grow()
{
    const size_t cap = (m_mask + 1) * 2;
    m_slots.assign(cap, GramIndex::kAbsent);
    m_mask = cap - 1;
    for (uint32_t i = 0; i < m_tokens.size(); ++i) {
        size_t s = m_tokens[i].hash & m_mask;
        while (m_slots[s] != GramIndex::kAbsent)
            s = (s + 1) & m_mask;
        m_slots[s] = i;
    }
}

uint32_t TokenIds::idOf(const void* data, size_t bytes, uint64_t hash)
{
    if (m_slots.empty())
        reset(16);
    size_t s = hash & m_mask;
    while (m_slots[s] != GramIndex::kAbsent) {
        const Entry& e = m_tokens[m_slots[s]];
        if (e.hash == hash && e.bytes == bytes && std::memcmp(e.data, data, bytes) == 0)
            return m_slots[s] + 1;
        s = (s + 1) & m_mask;
    }
    const auto index = static_cast<uint32_t>(m_tokens.size());
    m_tokens.push_back({data, bytes, hash});
    m_slots[s] = index;
    if (m_tokens.size() * 2 > m_mask + 1)
        grow();
    return index + 1;
}

uint32_t TokenIds::id(std::u32string_view token)
{
    const size_t bytes = token.size() * sizeof(char32_t);
    return idOf(token.data(), bytes, hashBytes(token.data(), bytes));
}

uint32_t TokenIds::id(std::string_view token)
{
    return idOf(token.data(), token.size(), hashBytes(token.data(), token.size()));
}

} // namespace tb::eval
