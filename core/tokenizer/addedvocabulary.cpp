#include "addedvocabulary.h"

#include <algorithm>

#include "bpemodel.h"
#include "normalizer.h"
#include "unicode.h"

namespace tb::tok {

namespace {

// Code point that ends at byte END of TEXT (END > 0), and where it starts.
int32_t codePointBefore(const std::string& text, size_t end, size_t* start)
{
    size_t s = end - 1;
    while (s > 0 && (static_cast<unsigned char>(text[s]) & 0xC0) == 0x80)
        --s;
    *start = s;
    size_t len = 1;
    return unicode::decodeAt(text, s, &len);
}

} // namespace

void AddedVocabulary::Trie::insert(const std::string& key, uint32_t id)
{
    int node = 0;
    for (const char c : key) {
        const auto u = static_cast<unsigned char>(c);
        const auto it = nodes[node].next.find(u);
        if (it == nodes[node].next.end()) {
            nodes.emplace_back();
            const int created = static_cast<int>(nodes.size() - 1);
            nodes[node].next.emplace(u, created);
            node = created;
        } else {
            node = it->second;
        }
    }
    nodes[node].id = id;
}

bool AddedVocabulary::Trie::find(const std::string& text, size_t from, size_t* start, size_t* end,
                                 uint32_t* id) const
{
    if (nodes.size() <= 1)
        return false;
    for (size_t s = from; s < text.size(); ++s) {
        int node = 0;
        int64_t best = -1;
        size_t bestEnd = 0;
        for (size_t i = s; i < text.size(); ++i) {
            const auto it = nodes[node].next.find(static_cast<unsigned char>(text[i]));
            if (it == nodes[node].next.end())
                break;
            node = it->second;
            if (nodes[node].id >= 0) {
                best = nodes[node].id;
                bestEnd = i + 1;
            }
        }
        if (best >= 0) {
            *start = s;
            *end = bestEnd;
            *id = static_cast<uint32_t>(best);
            return true;
        }
    }
    return false;
}

void AddedVocabulary::add(const std::vector<AddedToken>& tokens, const BpeModel& model, const Normalizer* normalizer)
{
    // added_vocabulary.rs add_tokens(): the first free id is the model's entry count.
    uint32_t nextId = static_cast<uint32_t>(std::min<size_t>(model.entryCount(), UINT32_MAX));
    if (const auto max = maxId(); max && (*max >= nextId || model.entryCount() == 0))
        nextId = *max + 1;
    for (const AddedToken& token : tokens) {
        if (token.content.empty())
            continue;
        const auto known = m_byContent.find(token.content);
        if (known != m_byContent.end()) {
            const auto same = m_byId.find(known->second);
            if (same != m_byId.end() && same->second == token)
                continue;
        }
        uint32_t id = 0;
        if (known != m_byContent.end())
            id = known->second;
        else if (const auto modelId = model.tokenToId(token.content))
            id = *modelId;
        else
            id = nextId++;
        if (token.normalized && normalizer) {
            std::string normalizedContent = token.content;
            normalizer->normalize(normalizedContent);
            if (normalizedContent != token.content)
                m_normalizedContent[id] = normalizedContent;
        }
        m_byContent[token.content] = id;
        if (token.special)
            m_special.insert(token.content);
        m_byId[id] = token;
    }
    m_rawTrie = Trie();
    m_normalizedTrie = Trie();
    for (const auto& [id, token] : m_byId) {
        if (token.normalized) {
            const auto it = m_normalizedContent.find(id);
            const std::string& pattern = it != m_normalizedContent.end() ? it->second : token.content;
            if (!pattern.empty())
                m_normalizedTrie.insert(pattern, id);
        } else {
            m_rawTrie.insert(token.content, id);
        }
    }
}

std::vector<AddedVocabulary::Piece> AddedVocabulary::split(const std::string& text, bool atOrigin,
                                                           bool normalized) const
{
    std::vector<Piece> pieces;
    const auto push = [&](size_t start, size_t end, std::optional<uint32_t> id) {
        if (end > start)
            pieces.push_back(Piece{text.substr(start, end - start), id, atOrigin && start == 0});
    };
    const Trie& trie = normalized ? m_normalizedTrie : m_rawTrie;
    size_t startOffset = 0;
    size_t searchFrom = 0;
    size_t matchStart = 0, matchEnd = 0;
    uint32_t id = 0;
    while (trie.find(text, searchFrom, &matchStart, &matchEnd, &id)) {
        searchFrom = matchEnd;
        const auto tokenIt = m_byId.find(id);
        if (tokenIt == m_byId.end())
            continue;
        const AddedToken& token = tokenIt->second;
        size_t start = matchStart;
        size_t stop = matchEnd;
        if (token.singleWord) {
            size_t ignored = 0;
            size_t len = 1;
            const bool wordBefore = start > 0 && unicode::isWordChar(codePointBefore(text, start, &ignored));
            const bool wordAfter = stop < text.size() && unicode::isWordChar(unicode::decodeAt(text, stop, &len));
            if (wordBefore || wordAfter)
                continue;
        }
        if (token.lstrip) {
            size_t newStart = start;
            while (newStart > 0) {
                size_t prevStart = 0;
                if (!unicode::isWhitespace(codePointBefore(text, newStart, &prevStart)))
                    break;
                newStart = prevStart;
            }
            start = std::max(newStart, startOffset);
        }
        if (token.rstrip) {
            while (stop < text.size()) {
                size_t len = 1;
                if (!unicode::isWhitespace(unicode::decodeAt(text, stop, &len)))
                    break;
                stop += len;
            }
        }
        if (startOffset < start)
            push(startOffset, start, std::nullopt);
        // The matched text may be wider than the token (lstrip/rstrip); HF keeps
        // the id. Pieces that overlap an earlier rstrip are clipped, not repeated.
        push(std::max(start, startOffset), stop, id);
        startOffset = std::max(stop, startOffset);
    }
    push(startOffset, text.size(), std::nullopt);
    return pieces;
}

std::optional<uint32_t> AddedVocabulary::idOf(std::string_view content) const
{
    const auto it = m_byContent.find(std::string(content));
    if (it == m_byContent.end())
        return std::nullopt;
    return it->second;
}

std::optional<std::string> AddedVocabulary::tokenOf(uint32_t id) const
{
    const auto it = m_byId.find(id);
    if (it == m_byId.end())
        return std::nullopt;
    const auto normalizedIt = m_normalizedContent.find(id);
    return normalizedIt != m_normalizedContent.end() ? normalizedIt->second : it->second.content;
}

std::optional<uint32_t> AddedVocabulary::maxId() const
{
    std::optional<uint32_t> max;
    for (const auto& entry : m_byId)
        max = max ? std::max(*max, entry.first) : entry.first;
    return max;
}

} // namespace tb::tok
