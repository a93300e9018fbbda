#pragma once
// tokenizer.json "pre_tokenizer": cuts normalized text into the pieces the
// model tokenizes one by one (HF tokenizers, pre_tokenizers/).
#include <memory>
#include <string>
#include <vector>

namespace tb::tok {

class JsonField;

struct PreSplit {
    std::string text;
    // Whether the piece starts at byte 0 of the caller's input (what HF's
    // Metaspace prepend_scheme "first" asks of offsets_original()).
    bool atOrigin = false;
};

class PreTokenizer {
public:
    virtual ~PreTokenizer() = default;
    // Replaces SPLITS by their sub-pieces; empty pieces are dropped.
    virtual void preTokenize(std::vector<PreSplit>& splits) const = 0;
    // Whether pieces come out byte-level mapped (GPT-2 style).
    virtual bool isByteLevel() const { return false; }
};

// Null -> nullptr. Throws tb::Error naming file and field otherwise.
std::unique_ptr<PreTokenizer> parsePreTokenizer(const JsonField& field, int depth = 0);

// The GPT-2 pre-tokenizer (ByteLevel with the GPT-2 regex), for vocab.json+merges.txt.
std::unique_ptr<PreTokenizer> makeByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex);

} // namespace tb::tok
