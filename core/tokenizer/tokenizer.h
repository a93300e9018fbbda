#pragma once
// Tokenizers: one interface over every on-disk format Tunebench reads.
// No LibTorch here: token ids are plain int64 vectors.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tb::tok {

using TokenId = int64_t;

class Tokenizer {
public:
    virtual ~Tokenizer() = default;

    // Ids exactly as the format's reference tokenizer produces them.
    // addSpecial: add BOS/EOS (or the post-processor's template) as the
    // reference does by default (HF `add_special_tokens=True`).
    virtual std::vector<TokenId> encode(std::string_view text, bool addSpecial = true) const = 0;
    virtual std::string decode(const std::vector<TokenId>& ids, bool skipSpecial = true) const = 0;

    virtual int64_t vocabSize() const = 0;
    virtual std::optional<TokenId> bosId() const = 0;
    virtual std::optional<TokenId> eosId() const = 0;
    virtual std::optional<TokenId> tokenToId(std::string_view token) const = 0;
    virtual std::string idToToken(TokenId id) const = 0;
    // "hf-bpe-bytelevel", "hf-bpe-sentencepiece", "gpt2-files", "sentencepiece", "llama2c"
    virtual std::string kind() const = 0;
};

// PATH may be a folder (looks for tokenizer.json, vocab.json+merges.txt,
// encoder.json+vocab.bpe, tokenizer.model / *.model, tokenizer.bin, in that
// order) or a file. Throws tb::Error naming the file and what is wrong.
std::unique_ptr<Tokenizer> loadTokenizer(const std::string& path);

// Whether PATH (a folder) holds any tokenizer loadTokenizer() understands.
bool hasTokenizer(const std::string& folder);

// A Hugging Face tokenizer.json held in memory (for fuzzing and embedding).
// SOURCENAME stands for the file in error messages; TOKENIZERCONFIGJSON is the
// optional content of tokenizer_config.json (bos_token, eos_token, add_bos_token).
std::unique_ptr<Tokenizer> loadTokenizerJsonFromString(std::string_view json, std::string_view sourceName,
                                                       std::string_view tokenizerConfigJson = {});

// A llama2.c tokenizer.bin. The file does not store its vocabulary size:
// without EXPECTEDVOCABSIZE every record up to EOF is read, with it exactly
// that many (llama2.c takes it from the model's config).
std::unique_ptr<Tokenizer> loadLlama2cTokenizer(const std::string& path,
                                                std::optional<int64_t> expectedVocabSize = std::nullopt);
std::unique_ptr<Tokenizer> loadLlama2cTokenizerFromBytes(std::string_view bytes, std::string_view sourceName,
                                                         std::optional<int64_t> expectedVocabSize = std::nullopt);

} // namespace tb::tok
