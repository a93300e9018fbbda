#pragma once
// The `pattern` of tokenizer.json's Split / Replace: {"String": "..."} (a
// literal) or {"Regex": "..."} (an Oniguruma regex).
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "regex.h"

namespace tb::tok {

class JsonField;

class TextPattern {
public:
    static TextPattern parse(const JsonField& field);
    static TextPattern literal(std::string_view text);

    std::vector<std::pair<size_t, size_t>> findAll(std::string_view text) const { return m_regex->findAll(text); }
    std::string replaceAll(std::string_view text, std::string_view content) const;

private:
    explicit TextPattern(std::shared_ptr<const Regex> regex) : m_regex(std::move(regex)) {}
    std::shared_ptr<const Regex> m_regex;
};

} // namespace tb::tok
