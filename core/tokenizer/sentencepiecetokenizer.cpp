#include "sentencepiecetokenizer.h"


#include "common/error.h"

namespace tb::tok {

SentencePieceTokenizer::SentencePieceTokenizer(std::string_view serialized, const std::string& source)
    : m_processor(createSpmProcessor()), m_source(source)
{
    const std::string status = m_processor->load(serialized);
    if (!status.empty())
        throw Error(source + ": not a SentencePiece model: " + status);
    if (m_processor->pieceSize() <= 0)
        throw Error(source + ": SentencePiece model has no pieces");
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

std::vector<TokenId> SentencePieceTokenizer::encode(std::string_view text, bool addSpecial) const
{
    std::vector<int> pieces;
    const std::string status = m_processor->encode(text, &pieces);
    if (!status.empty())
        throw Error(m_source + ": cannot encode text: " + status);
    std::vector<TokenId> ids;
    ids.reserve(pieces.size() + 1);
    if (addSpecial && m_processor->bosId() >= 0)
        ids.push_back(m_processor->bosId());
    ids.insert(ids.end(), pieces.begin(), pieces.end());
    return ids;
}

std::string SentencePieceTokenizer::decode(const std::vector<TokenId>& ids, bool skipSpecial) const
{
    // SentencePiece renders control pieces (<s>, </s>) as nothing; when the
    // caller wants them, they are spliced in as their piece text.
    std::string text;
    std::vector<int> run;
    const auto flush = [&] {
        if (run.empty())
            return;
        std::string piece;
        const std::string status = m_processor->decode(run, &piece);
        if (!status.empty())
            throw Error(m_source + ": cannot decode ids: " + status);
        text += piece;
        run.clear();
    };
    const int64_t size = m_processor->pieceSize();
    for (const TokenId id : ids) {
        if (id < 0 || id >= size)
            continue; // as HF decode does with unknown ids
        const int i = static_cast<int>(id);
        if (m_processor->isControl(i)) {
            if (!skipSpecial) {
                flush();
                text += m_processor->idToPiece(i);
            }
            continue;
        }
        run.push_back(i);
    }
    flush();
    return text;
}

int64_t SentencePieceTokenizer::vocabSize() const
{
    return m_processor->pieceSize();
}

std::optional<TokenId> SentencePieceTokenizer::bosId() const
{
    const int id = m_processor->bosId();
    return id >= 0 ? std::optional<TokenId>(id) : std::nullopt;
}

std::optional<TokenId> SentencePieceTokenizer::eosId() const
{
    const int id = m_processor->eosId();
    return id >= 0 ? std::optional<TokenId>(id) : std::nullopt;
}

std::optional<TokenId> SentencePieceTokenizer::tokenToId(std::string_view token) const
{
    const int id = m_processor->pieceToId(token);
    // PieceToId answers unk_id for unknown pieces; only <unk> itself maps there.
    if (id < 0 || (id == m_processor->unkId() && m_processor->idToPiece(id) != token))
        return std::nullopt;
    return id;
}

std::string SentencePieceTokenizer::idToToken(TokenId id) const
{
    if (id < 0 || id >= m_processor->pieceSize())
        return {};
    return m_processor->idToPiece(static_cast<int>(id));
}

} // namespace tb::tok
