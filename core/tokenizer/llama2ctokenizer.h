#pragma once
// llama2.c's tokenizer.bin, encoded and decoded exactly as run.c does
// (https://github.com/karpathy/llama2.c/blob/master/run.c, encode()/decode()).
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer.h"

namespace tb::tok {

class Llama2cTokenizer final : public Tokenizer {
public:
    // BYTES is the file's content. Without EXPECTEDVOCABSIZE every record up to
    // EOF is read; with it exactly that many (run.c takes it from the model).
    Llama2cTokenizer(std::string_view bytes, const std::string& source, std::optional<int64_t> expectedVocabSize);

    // run.c's encode(text, bos=addSpecial, eos=0).
    std::vector<TokenId> encode(std::string_view text, bool addSpecial = true) const override;
    std::string decode(const std::vector<TokenId>& ids, bool skipSpecial = true) const override;
    int64_t vocabSize() const override { return static_cast<int64_t>(m_vocab.size()); }
    std::optional<TokenId> bosId() const override { return 1; }
    std::optional<TokenId> eosId() const override { return 2; }
    std::optional<TokenId> tokenToId(std::string_view token) const override;
    std::string idToToken(TokenId id) const override;
    std::string kind() const override { return "llama2c"; }

    int32_t maxTokenLength() const { return m_maxTokenLength; }
    float score(TokenId id) const;

private:
    std::optional<int32_t> lookup(const std::string& piece) const;

    std::vector<std::string> m_vocab;
    std::vector<float> m_scores;
    std::unordered_map<std::string, int32_t> m_ids;
    int32_t m_maxTokenLength = 0;
};

} // namespace tb::tok
