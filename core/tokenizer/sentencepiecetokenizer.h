#pragma once
// A SentencePiece .model (Llama 1/2, TinyLlama) through libsentencepiece.
#include <memory>
#include <string>
#include <string_view>

#include "spm_shim.h"
#include "tokenizer.h"


namespace tb::tok {

class SentencePieceTokenizer final : public Tokenizer {
public:
    // SERIALIZED is the .model file's bytes; SOURCE names it in errors.
    SentencePieceTokenizer(std::string_view serialized, const std::string& source);
    ~SentencePieceTokenizer() override;

    // addSpecial adds BOS only, as Llama's tokenizer does (add_bos_token=True, add_eos_token=False).
    std::vector<TokenId> encode(std::string_view text, bool addSpecial = true) const override;
    std::string decode(const std::vector<TokenId>& ids, bool skipSpecial = true) const override;
    int64_t vocabSize() const override;
    std::optional<TokenId> bosId() const override;
    std::optional<TokenId> eosId() const override;
    std::optional<TokenId> tokenToId(std::string_view token) const override;
    std::string idToToken(TokenId id) const override;
    std::string kind() const override { return "sentencepiece"; }

private:
    std::unique_ptr<SpmProcessor> m_processor;
    std::string m_source;
};

} // namespace tb::tok
