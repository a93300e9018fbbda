#include "regex.h"

#include "common/error.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace tb::tok {

namespace {

// White_Space, spelled out for use inside a character class.
constexpr const char* kWhiteSpaceClassBody =
    "\\t\\n\\x{0B}\\f\\r\\x{20}\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}";

// Oniguruma's `\w` (letters, marks, decimal digits, connector punctuation);
// PCRE2 10.42's UCP `\w` is letters, all numbers and '_'.
constexpr const char* kWordClassBody = "\\p{L}\\p{M}\\p{Nd}\\p{Pc}";

// Limits that keep a fuzzed pattern from running for minutes.
constexpr uint32_t kMatchLimit = 10'000'000;
constexpr uint32_t kDepthLimit = 10'000;

} // namespace

std::string translateOnigurumaPattern(std::string_view pattern)
{
    std::string out;
    out.reserve(pattern.size() + 32);
    int classDepth = 0;
    for (size_t i = 0; i < pattern.size(); ++i) {
        const char c = pattern[i];
        if (c == '\\' && i + 1 < pattern.size()) {
            const char n = pattern[i + 1];
            if (n == 's') {
                if (classDepth > 0)
                    out += kWhiteSpaceClassBody;
                else
                    out += std::string("[") + kWhiteSpaceClassBody + "]";
            } else if (n == 'S' && classDepth == 0) {
                out += std::string("[^") + kWhiteSpaceClassBody + "]";
            } else if (n == 'w') {
                out += classDepth > 0 ? std::string(kWordClassBody) : std::string("[") + kWordClassBody + "]";
            } else if (n == 'W' && classDepth == 0) {
                out += std::string("[^") + kWordClassBody + "]";
            } else {
                out += c;
                out += n;
            }
            ++i;
            continue;
        }
        if (c == '[') {
            // A '[' right after the opening "[" or "[^" is a literal in both
            // dialects; POSIX "[:alpha:]" brackets are not nested classes either.
            if (classDepth > 0 && i + 1 < pattern.size() && pattern[i + 1] == ':') {
                const size_t close = pattern.find(":]", i + 2);
                if (close != std::string_view::npos) {
                    out.append(pattern.substr(i, close + 2 - i));
                    i = close + 1;
                    continue;
                }
            }
            ++classDepth;
            out += c;
            // "[]" / "[^]" : a leading ']' is literal.
            if (i + 1 < pattern.size() && pattern[i + 1] == '^') {
                out += '^';
                ++i;
            }
            if (i + 1 < pattern.size() && pattern[i + 1] == ']') {
                out += ']';
                ++i;
            }
            continue;
        }
        if (c == ']' && classDepth > 0)
            --classDepth;
        out += c;
    }
    return out;
}

struct Regex::Impl {
    pcre2_code* code = nullptr;
    pcre2_match_context* context = nullptr;
    bool jit = false;
    ~Impl()
    {
        pcre2_match_context_free(context);
        pcre2_code_free(code);
    }
};

Regex::~Regex() = default;

std::shared_ptr<const Regex> Regex::compile(std::string_view pattern, std::string* error)
{
    const std::string translated = translateOnigurumaPattern(pattern);
    int errorCode = 0;
    PCRE2_SIZE errorOffset = 0;
    pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(),
                                     PCRE2_UTF | PCRE2_UCP, &errorCode, &errorOffset, nullptr);
    if (!code) {
        PCRE2_UCHAR buffer[256];
        pcre2_get_error_message(errorCode, buffer, sizeof buffer);
        if (error)
            *error = std::string(reinterpret_cast<const char*>(buffer)) + " at offset " + std::to_string(errorOffset);
        return nullptr;
    }
    std::shared_ptr<Regex> regex(new Regex);
    regex->m_pattern = std::string(pattern);
    regex->m_impl = std::make_unique<Impl>();
    regex->m_impl->code = code;
    regex->m_impl->jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
    regex->m_impl->context = pcre2_match_context_create(nullptr);
    if (regex->m_impl->context) {
        pcre2_set_match_limit(regex->m_impl->context, kMatchLimit);
        pcre2_set_depth_limit(regex->m_impl->context, kDepthLimit);
    }
    return regex;
}

std::shared_ptr<const Regex> Regex::literal(std::string_view literal)
{
    // \Q...\E quoting breaks if the literal holds "\E", so escape every
    // non-alphanumeric ASCII byte instead (as Rust's regex::escape does for metas).
    std::string pattern;
    for (const char c : literal) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x80 && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
            if (u < 0x20 || u == 0x7F) {
                static const char hex[] = "0123456789ABCDEF";
                pattern += "\\x{";
                pattern += hex[u >> 4];
                pattern += hex[u & 15];
                pattern += '}';
            } else {
                pattern += '\\';
                pattern += c;
            }
        } else {
            pattern += c;
        }
    }
    std::string error;
    auto regex = compile(pattern, &error);
    if (!regex)
        throw Error("internal error: cannot compile literal pattern: " + error);
    return regex;
}

std::vector<std::pair<size_t, size_t>> Regex::findAll(std::string_view text) const
{
    std::vector<std::pair<size_t, size_t>> matches;
    pcre2_match_data* data = pcre2_match_data_create_from_pattern(m_impl->code, nullptr);
    if (!data)
        throw Error("out of memory matching regex /" + m_pattern + "/");
    const auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    size_t searchFrom = 0;
    bool haveLastEnd = false;
    size_t lastMatchEnd = 0;
    while (searchFrom <= text.size()) {
        int rc = pcre2_match(m_impl->code, subject, text.size(), searchFrom, PCRE2_NO_UTF_CHECK, data,
                             m_impl->context);
        if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
            rc = pcre2_match(m_impl->code, subject, text.size(), searchFrom, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT,
                             data, m_impl->context);
        if (rc == PCRE2_ERROR_NOMATCH)
            break;
        if (rc < 0) {
            pcre2_match_data_free(data);
            PCRE2_UCHAR buffer[256];
            pcre2_get_error_message(rc, buffer, sizeof buffer);
            throw Error("regex /" + m_pattern + "/: " + reinterpret_cast<const char*>(buffer));
        }
        const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(data);
        const size_t start = ovector[0];
        const size_t end = ovector[1];
        if (start > end || end > text.size()) // \K tricks can do this; treat as no more matches
            break;
        if (start == end && haveLastEnd && lastMatchEnd == end) {
            // Advance by one code point, as the onig crate does.
            size_t step = 1;
            while (searchFrom + step < text.size()
                   && (static_cast<unsigned char>(text[searchFrom + step]) & 0xC0) == 0x80)
                ++step;
            searchFrom += step;
            continue;
        }
        matches.emplace_back(start, end);
        searchFrom = end;
        lastMatchEnd = end;
        haveLastEnd = true;
    }
    pcre2_match_data_free(data);
    return matches;
}

} // namespace tb::tok
