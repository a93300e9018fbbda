#pragma once
// tokenizer.json "post_processor": the special tokens wrapped around an
// encoded sequence when add_special_tokens is on (HF tokenizers, processors/).
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace tb::tok {

class JsonField;

class PostProcessor {
public:
    virtual ~PostProcessor() = default;
    virtual void addSpecialTokens(std::vector<int64_t>& ids) const = 0;
    // Ids put before / after the sequence (for bosId()/eosId()); empty if none.
    virtual std::vector<int64_t> prefixIds() const { return {}; }
    virtual std::vector<int64_t> suffixIds() const { return {}; }
};

// Null -> nullptr.
std::unique_ptr<PostProcessor> parsePostProcessor(const JsonField& field, int depth = 0);

} // namespace tb::tok
