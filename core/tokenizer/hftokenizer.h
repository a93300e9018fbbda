#pragma once
// Hugging Face tokenizers' Tokenizer with a BPE model: added tokens,
// normalizer, pre-tokenizer, model, post-processor, decoder, run in the
// order and with the semantics of tokenizers/src/tokenizer/mod.rs.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "addedvocabulary.h"
#include "bpemodel.h"
#include "decoder.h"
#include "normalizer.h"
#include "postprocessor.h"
#include "pretokenizer.h"
#include "tokenizer.h"

namespace tb::tok {

// What tokenizer_config.json (next to tokenizer.json) may say about BOS/EOS.
struct SpecialTokenConfig {
    std::optional<std::string> bosToken;
    std::optional<std::string> eosToken;
    std::optional<bool> addBosToken;
    std::optional<bool> addEosToken;
};

class HfTokenizer final : public Tokenizer {
public:
    struct Parts {
        std::unique_ptr<Normalizer> normalizer;
        std::unique_ptr<PreTokenizer> preTokenizer;
        std::unique_ptr<BpeModel> model;
        std::unique_ptr<PostProcessor> postProcessor;
        std::unique_ptr<Decoder> decoder;
        std::vector<AddedToken> addedTokens; // in file order
        SpecialTokenConfig config;
        std::string kind; // empty: derived from the pipeline
    };
    explicit HfTokenizer(Parts parts);

    std::vector<TokenId> encode(std::string_view text, bool addSpecial = true) const override;
    std::string decode(const std::vector<TokenId>& ids, bool skipSpecial = true) const override;
    int64_t vocabSize() const override;
    std::optional<TokenId> bosId() const override { return m_bosId; }
    std::optional<TokenId> eosId() const override { return m_eosId; }
    std::optional<TokenId> tokenToId(std::string_view token) const override;
    std::string idToToken(TokenId id) const override;
    std::string kind() const override { return m_kind; }

private:
    std::optional<std::string> tokenFor(TokenId id) const;

    std::unique_ptr<Normalizer> m_normalizer;
    std::unique_ptr<PreTokenizer> m_preTokenizer;
    std::unique_ptr<BpeModel> m_model;
    std::unique_ptr<PostProcessor> m_postProcessor;
    std::unique_ptr<Decoder> m_decoder;
    AddedVocabulary m_added;
    std::optional<TokenId> m_bosId;
    std::optional<TokenId> m_eosId;
    // tokenizer_config.json's add_bos/eos_token, honoured only when the
    // post-processor adds nothing itself (otherwise HF's template already did).
    bool m_configAddsBos = false;
    bool m_configAddsEos = false;
    std::string m_kind;
};

// Parses tokenizer.json text. SOURCE names it in errors. CONFIG is the parsed
// tokenizer_config.json, if any.
std::unique_ptr<HfTokenizer> parseTokenizerJson(std::string_view json, const std::string& source,
                                                const SpecialTokenConfig& config = {});

// Reads bos_token/eos_token/add_bos_token/add_eos_token from tokenizer_config.json text.
SpecialTokenConfig parseTokenizerConfig(std::string_view json, const std::string& source);

} // namespace tb::tok
