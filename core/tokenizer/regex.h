#pragma once
// PCRE2 (UTF + UCP) behind the small surface the tokenizers need.
// tokenizer.json patterns are written for Oniguruma (what HF tokenizers uses);
// the few constructs whose meaning differs are rewritten on compile.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tb::tok {

class Regex {
public:
    // Returns nullptr and sets *error when PATTERN does not compile.
    static std::shared_ptr<const Regex> compile(std::string_view pattern, std::string* error);
    // A pattern that matches LITERAL exactly (HF's Split/Replace `String` patterns).
    static std::shared_ptr<const Regex> literal(std::string_view literal);

    ~Regex();
    Regex(const Regex&) = delete;
    Regex& operator=(const Regex&) = delete;

    // Non-overlapping matches as [start, end) byte spans, iterated the way the
    // onig crate's find_iter does (an empty match right after the previous
    // match is skipped). TEXT must be valid UTF-8. Throws tb::Error when PCRE2
    // gives up (match or depth limit) so a hostile pattern cannot hang us.
    std::vector<std::pair<size_t, size_t>> findAll(std::string_view text) const;

    const std::string& pattern() const { return m_pattern; }

private:
    Regex() = default;
    std::string m_pattern;
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// Oniguruma's `\s` is the White_Space property (PCRE2's also takes U+180E)
// and its `\w` has marks but not No/Nl; rewrite both to Oniguruma's meaning.
// Exposed for the tests.
std::string translateOnigurumaPattern(std::string_view pattern);

} // namespace tb::tok
