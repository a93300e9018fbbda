#pragma once
// tokenizer.json "decoder": turns token strings back into text
// (HF tokenizers, decoders/). Each step maps the whole token list.
#include <memory>
#include <string>
#include <vector>

namespace tb::tok {

class JsonField;

class Decoder {
public:
    virtual ~Decoder() = default;
    virtual void decodeChain(std::vector<std::string>& tokens) const = 0;
    virtual bool isByteLevel() const { return false; }
};

// Null -> nullptr (HF then joins tokens with spaces).
std::unique_ptr<Decoder> parseDecoder(const JsonField& field, int depth = 0);

std::unique_ptr<Decoder> makeByteLevelDecoder();

} // namespace tb::tok
