#include "llama2ctokenizer.h"

#include <cctype>
#include <cstring>
#include <queue>

#include "common/error.h"

namespace tb::tok {

namespace {

constexpr TokenId kBos = 1;
constexpr TokenId kEos = 2;
// run.c maps a byte b with no token of its own to id b + 3 (<0x00> is id 3).
constexpr int32_t kByteOffset = 3;

// tokenizer.py writes with struct.pack's native (little-endian on every
// machine llama2.c targets) layout.
uint32_t readU32(std::string_view bytes, size_t pos)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; --i)
        v = (v << 8) | static_cast<unsigned char>(bytes[pos + static_cast<size_t>(i)]);
    return v;
}

// C string semantics: run.c handles tokens with strcmp/sprintf.
std::string cString(std::string_view bytes)
{
    const size_t nul = bytes.find('\0');
    return std::string(nul == std::string_view::npos ? bytes : bytes.substr(0, nul));
}

int hexDigit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// sscanf(piece, "<0x%02hhX>", &byte) == 1
bool parseBytePiece(const std::string& piece, unsigned char* byte)
{
    if (piece.compare(0, 3, "<0x") != 0)
        return false;
    size_t pos = 3;
    while (pos < piece.size() && std::isspace(static_cast<unsigned char>(piece[pos])))
        ++pos;
    int value = 0;
    int digits = 0;
    while (digits < 2 && pos < piece.size() && hexDigit(piece[pos]) >= 0) {
        value = value * 16 + hexDigit(piece[pos]);
        ++pos;
        ++digits;
    }
    if (digits == 0)
        return false;
    *byte = static_cast<unsigned char>(value);
    return true;
}

} // namespace

Llama2cTokenizer::Llama2cTokenizer(std::string_view bytes, const std::string& source,
                                   std::optional<int64_t> expectedVocabSize)
{
    if (bytes.size() < 4)
        throw Error(source + ": too short for a llama2.c tokenizer (" + std::to_string(bytes.size())
                    + " bytes, the header alone is 4)");
    const auto maxLength = static_cast<int32_t>(readU32(bytes, 0));
    if (maxLength <= 0)
        throw Error(source + ": byte 0: max_token_length is " + std::to_string(maxLength) + ", expected > 0");
    m_maxTokenLength = maxLength;
    if (expectedVocabSize && (*expectedVocabSize <= 0 || *expectedVocabSize > (1 << 24)))
        throw Error(source + ": expected vocabulary size " + std::to_string(*expectedVocabSize) + " is out of range");

    size_t pos = 4;
    while (expectedVocabSize ? static_cast<int64_t>(m_vocab.size()) < *expectedVocabSize : pos < bytes.size()) {
        const std::string where = source + ": token " + std::to_string(m_vocab.size()) + " at byte " + std::to_string(pos);
        if (bytes.size() - pos < 8)
            throw Error(where + ": record truncated (needs 8 header bytes, " + std::to_string(bytes.size() - pos)
                        + " left)");
        float score = 0;
        const uint32_t scoreBits = readU32(bytes, pos);
        std::memcpy(&score, &scoreBits, sizeof score);
        const auto length = static_cast<int32_t>(readU32(bytes, pos + 4));
        pos += 8;
        if (length < 0 || length > maxLength)
            throw Error(where + ": length " + std::to_string(length) + " outside 0.."
                        + std::to_string(maxLength) + " (max_token_length)");
        if (bytes.size() - pos < static_cast<size_t>(length))
            throw Error(where + ": record truncated (token needs " + std::to_string(length) + " bytes, "
                        + std::to_string(bytes.size() - pos) + " left)");
        const std::string piece = cString(bytes.substr(pos, static_cast<size_t>(length)));
        pos += static_cast<size_t>(length);
        m_ids.emplace(piece, static_cast<int32_t>(m_vocab.size())); // first of duplicates wins
        m_vocab.push_back(piece);
        m_scores.push_back(score);
    }
    if (m_vocab.size() <= static_cast<size_t>(kEos))
        throw Error(source + ": only " + std::to_string(m_vocab.size())
                    + " tokens; llama2.c needs at least <unk>, <s>, </s>");
}

std::optional<int32_t> Llama2cTokenizer::lookup(const std::string& piece) const
{
    const auto it = m_ids.find(piece);
    if (it == m_ids.end())
        return std::nullopt;
    return it->second;
}

std::vector<TokenId> Llama2cTokenizer::encode(std::string_view input, bool addSpecial) const
{
    const std::string text = cString(input);
    std::vector<int32_t> tokens;
    if (addSpecial)
        tokens.push_back(static_cast<int32_t>(kBos));
    // add_dummy_prefix: run.c looks up " " and uses it if the text is non-empty.
    if (!text.empty()) {
        if (const auto space = lookup(" "))
            tokens.push_back(*space);
    }
    const auto pushByte = [&](unsigned char b) {
        const int32_t id = b + kByteOffset;
        if (static_cast<size_t>(id) >= m_vocab.size())
            throw Error("llama2.c tokenizer: byte fallback needs id " + std::to_string(id) + " but the vocabulary has "
                        + std::to_string(m_vocab.size()) + " tokens");
        tokens.push_back(id);
    };
    std::string buffer;
    for (size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if ((c & 0xC0) != 0x80)
            buffer.clear();
        buffer += static_cast<char>(c);
        const bool nextIsContinuation = i + 1 < text.size() && (static_cast<unsigned char>(text[i + 1]) & 0xC0) == 0x80;
        if (nextIsContinuation && buffer.size() < 4)
            continue;
        if (const auto id = lookup(buffer)) {
            tokens.push_back(*id);
        } else {
            for (const char b : buffer)
                pushByte(static_cast<unsigned char>(b));
        }
        buffer.clear();
    }

    // Merge the adjacent pair whose concatenation has the best score until none
    // is in the vocabulary. run.c rescans every pair each round (quadratic);
    // a heap ordered by (score, position) with stale entries skipped picks the
    // same pair: run.c's strict '>' scan keeps the leftmost of equal scores,
    // and list order never changes, so "leftmost" is the smallest node index.
    struct Node {
        int32_t id;
        int prev;
        int next;
        uint32_t version;
    };
    std::vector<Node> nodes;
    nodes.reserve(tokens.size());
    for (size_t i = 0; i < tokens.size(); ++i)
        nodes.push_back(Node{tokens[i], static_cast<int>(i) - 1, i + 1 < tokens.size() ? static_cast<int>(i) + 1 : -1, 0});
    struct Candidate {
        float score;
        int left;
        int right;
        uint32_t leftVersion;
        uint32_t rightVersion;
        int32_t id;
        bool operator<(const Candidate& o) const { return score != o.score ? score < o.score : left > o.left; }
    };
    std::priority_queue<Candidate> queue;
    const auto consider = [&](int left) {
        if (left < 0 || nodes[static_cast<size_t>(left)].next < 0)
            return;
        const Node& a = nodes[static_cast<size_t>(left)];
        const Node& b = nodes[static_cast<size_t>(a.next)];
        const auto id = lookup(m_vocab[static_cast<size_t>(a.id)] + m_vocab[static_cast<size_t>(b.id)]);
        if (id && m_scores[static_cast<size_t>(*id)] > -1e10f)
            queue.push(Candidate{m_scores[static_cast<size_t>(*id)], left, a.next, a.version, b.version, *id});
    };
    for (size_t i = 0; i + 1 < nodes.size(); ++i)
        consider(static_cast<int>(i));
    std::vector<bool> removed(nodes.size(), false);
    while (!queue.empty()) {
        const Candidate top = queue.top();
        queue.pop();
        Node& left = nodes[static_cast<size_t>(top.left)];
        if (removed[static_cast<size_t>(top.left)] || left.next != top.right || left.version != top.leftVersion
            || nodes[static_cast<size_t>(top.right)].version != top.rightVersion)
            continue;
        const Node right = nodes[static_cast<size_t>(top.right)];
        removed[static_cast<size_t>(top.right)] = true;
        left.id = top.id;
        ++left.version;
        left.next = right.next;
        if (right.next >= 0)
            nodes[static_cast<size_t>(right.next)].prev = top.left;
        consider(left.prev);
        consider(top.left);
    }
    std::vector<TokenId> ids;
    ids.reserve(nodes.size());
    for (int i = nodes.empty() ? -1 : 0; i >= 0; i = nodes[static_cast<size_t>(i)].next)
        ids.push_back(nodes[static_cast<size_t>(i)].id);
    return ids;
}

std::string Llama2cTokenizer::decode(const std::vector<TokenId>& ids, bool skipSpecial) const
{
    std::string text;
    TokenId prev = -1;
    for (const TokenId id : ids) {
        if (id < 0 || id >= static_cast<TokenId>(m_vocab.size()))
            continue;
        const TokenId before = prev;
        prev = id;
        if (skipSpecial && (id == kBos || id == kEos))
            continue;
        std::string piece = m_vocab[static_cast<size_t>(id)];
        // "following BOS token, sentencepiece decoder strips any leading whitespace"
        if (before == kBos && !piece.empty() && piece[0] == ' ')
            piece.erase(0, 1);
        unsigned char byte = 0;
        if (parseBytePiece(piece, &byte)) {
            if (byte != 0) // run.c's byte_pieces are C strings
                text += static_cast<char>(byte);
            continue;
        }
        text += piece;
    }
    return text;
}

std::optional<TokenId> Llama2cTokenizer::tokenToId(std::string_view token) const
{
    if (const auto id = lookup(std::string(token)))
        return *id;
    return std::nullopt;
}

std::string Llama2cTokenizer::idToToken(TokenId id) const
{
    if (id < 0 || id >= static_cast<TokenId>(m_vocab.size()))
        return {};
    return m_vocab[static_cast<size_t>(id)];
}

float Llama2cTokenizer::score(TokenId id) const
{
    if (id < 0 || id >= static_cast<TokenId>(m_scores.size()))
        return 0.0f;
    return m_scores[static_cast<size_t>(id)];
}

} // namespace tb::tok
