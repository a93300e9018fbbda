#pragma once
// tokenizer.json "normalizer": rewrites each piece of text between added
// tokens before pre-tokenization (HF tokenizers, normalizers/).
#include <memory>
#include <string>

namespace tb::tok {

class JsonField;

class Normalizer {
public:
    virtual ~Normalizer() = default;
    // TEXT is valid UTF-8 and stays so.
    virtual void normalize(std::string& text) const = 0;
};

// Null -> nullptr. Throws tb::Error naming the file and field for anything
// malformed or unsupported (e.g. Precompiled charsmaps).
std::unique_ptr<Normalizer> parseNormalizer(const JsonField& field, int depth = 0);

} // namespace tb::tok
