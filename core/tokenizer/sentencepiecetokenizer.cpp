#include "sentencepiecetokenizer.h"

#include <sentencepiece_processor.h>

#include "core/common/error.h"

namespace tb::tok {

SentencePieceTokenizer::SentencePieceTokenizer(std::string_view serialized, const std::string& source)
    : m_processor(std::make_unique<sentencepiece::SentencePieceProcessor>()), m_source(source)
{
    const auto status = m_processor->LoadFromSerializedProto(serialized);
    if (!status.ok())
        throw Error(source + ": not a SentencePiece model: " + status.ToString());
    if (m_processor->GetPieceSize() <= 0)
        throw Error(source + ": SentencePiece model has no pieces");
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

std::vector<TokenId> SentencePieceTokenizer::encode(std::string_view text, bool addSpecial) const
{
    std::vector<int> pieces;
    const auto status = m_processor->Encode(text, &pieces);
    if (!status.ok())
        throw Error(m_source + ": cannot encode text: " + status.ToString());
    std::vector<TokenId> ids;
    ids.reserve(pieces.size() + 1);
    if (addSpecial && m_processor->bos_id() >= 0)
        ids.push_back(m_processor->bos_id());
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
        const auto status = m_processor->Decode(run, &piece);
        if (!status.ok())
            throw Error(m_source + ": cannot decode ids: " + status.ToString());
        text += piece;
        run.clear();
    };
    const int64_t size = m_processor->GetPieceSize();
    for (const TokenId id : ids) {
        if (id < 0 || id >= size)
            continue; // as HF decode does with unknown ids
        const int i = static_cast<int>(id);
        if (m_processor->IsControl(i)) {
            if (!skipSpecial) {
                flush();
                text += m_processor->IdToPiece(i);
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
    return m_processor->GetPieceSize();
}

std::optional<TokenId> SentencePieceTokenizer::bosId() const
{
    const int id = m_processor->bos_id();
    return id >= 0 ? std::optional<TokenId>(id) : std::nullopt;
}

std::optional<TokenId> SentencePieceTokenizer::eosId() const
{
    const int id = m_processor->eos_id();
    return id >= 0 ? std::optional<TokenId>(id) : std::nullopt;
}

std::optional<TokenId> SentencePieceTokenizer::tokenToId(std::string_view token) const
{
    const int id = m_processor->PieceToId(token);
    // PieceToId answers unk_id for unknown pieces; only <unk> itself maps there.
    if (id < 0 || (id == m_processor->unk_id() && m_processor->IdToPiece(id) != token))
        return std::nullopt;
    return id;
}

std::string SentencePieceTokenizer::idToToken(TokenId id) const
{
    if (id < 0 || id >= m_processor->GetPieceSize())
        return {};
    return m_processor->IdToPiece(static_cast<int>(id));
}

} // namespace tb::tok
