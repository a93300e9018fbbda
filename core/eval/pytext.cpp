#include "eval/pytext.h"

#include <utf8proc.h>

namespace tb::eval::py {

namespace {

utf8proc_category_t categoryOf(char32_t c)
{
    if (c > 0x10FFFF || !utf8proc_codepoint_valid(static_cast<utf8proc_int32_t>(c)))
        return UTF8PROC_CATEGORY_CN;
    return utf8proc_category(static_cast<utf8proc_int32_t>(c));
}

bool isCased(char32_t c)
{
    const auto cat = categoryOf(c);
    if (cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LL || cat == UTF8PROC_CATEGORY_LT)
        return true;
    // Other_Lowercase/Other_Uppercase letters (e.g. circled letters) carry a case mapping.
    const auto cp = static_cast<utf8proc_int32_t>(c);
    return utf8proc_tolower(cp) != cp || utf8proc_toupper(cp) != cp;
}

// Unicode Case_Ignorable: Mn Me Cf Lm Sk plus Word_Break MidLetter,
// MidNumLet and Single_Quote.
bool isCaseIgnorable(char32_t c)
{
    switch (categoryOf(c)) {
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_SK:
        return true;
    default:
        break;
    }
    switch (c) {
    case 0x27: case 0x2E: case 0x3A: case 0xB7: case 0x387: case 0x55F: case 0x5F4:
    case 0x2018: case 0x2019: case 0x2024: case 0x2027: case 0xFE13: case 0xFE52:
    case 0xFE55: case 0xFF07: case 0xFF0E: case 0xFF1A:
        return true;
    default:
        return false;
    }
}

// CPython handle_capital_sigma(): \p{cased}\p{case-ignorable}* Σ !(\p{case-ignorable}*\p{cased})
bool isFinalSigma(std::u32string_view text, size_t i)
{
    size_t j = i;
    char32_t c = 0;
    bool found = false;
    while (j > 0) {
        c = text[--j];
        if (!isCaseIgnorable(c)) {
            found = true;
            break;
        }
    }
    if (!found || !isCased(c))
        return false;
    for (j = i + 1; j < text.size(); ++j) {
        if (!isCaseIgnorable(text[j]))
            return !isCased(text[j]);
    }
    return true;
}

} // namespace

std::u32string decode(std::string_view s)
{
    std::u32string out;
    decode(s, out);
    return out;
}

void decode(std::string_view s, std::u32string& out)
{
    out.clear();
    out.reserve(s.size());
    size_t i = 0;
    while (i < s.size()) {
        const auto b = static_cast<unsigned char>(s[i]);
        if (b < 0x80) {
            out.push_back(b);
            ++i;
            continue;
        }
        utf8proc_int32_t cp = -1;
        const auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data() + i),
                                        static_cast<utf8proc_ssize_t>(s.size() - i), &cp);
        if (n <= 0 || cp < 0) {
            out.push_back(0xFFFD);
            ++i;
        } else {
            out.push_back(static_cast<char32_t>(cp));
            i += static_cast<size_t>(n);
        }
    }
}

std::string encode(std::u32string_view text)
{
    std::string out;
    out.reserve(text.size());
    for (char32_t c : text) {
        if (c < 0x80) {
            out.push_back(static_cast<char>(c));
        } else if (c < 0x800) {
            out.push_back(static_cast<char>(0xC0 | (c >> 6)));
            out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
        } else if (c < 0x10000) {
            out.push_back(static_cast<char>(0xE0 | (c >> 12)));
            out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
        } else {
            out.push_back(static_cast<char>(0xF0 | (c >> 18)));
            out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
        }
    }
    return out;
}

bool isSpaceNonAscii(char32_t c)
{
    switch (c) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F:
    case 0x205F: case 0x3000:
        return true;
    default:
        return c >= 0x2000 && c <= 0x200A;
    }
}

std::vector<std::u32string_view> split(std::u32string_view text)
{
    std::vector<std::u32string_view> pieces;
    split(text, pieces);
    return pieces;
}

void split(std::u32string_view text, std::vector<std::u32string_view>& pieces)
{
    pieces.clear();
    size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && isSpace(text[i]))
            ++i;
        const size_t start = i;
        while (i < text.size() && !isSpace(text[i]))
            ++i;
        if (i > start)
            pieces.push_back(text.substr(start, i - start));
    }
}

bool isValidUtf8(std::string_view s)
{
    size_t i = 0;
    while (i < s.size()) {
        if (static_cast<unsigned char>(s[i]) < 0x80) {
            ++i;
            continue;
        }
        utf8proc_int32_t cp = -1;
        const auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data() + i),
                                        static_cast<utf8proc_ssize_t>(s.size() - i), &cp);
        if (n <= 0 || cp < 0)
            return false;
        i += static_cast<size_t>(n);
    }
    return true;
}

namespace {

// Bytes of the whitespace code point at text[i], or 0 (text is valid UTF-8).
size_t spaceAt(std::string_view text, size_t i)
{
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80)
        return isSpace(b) ? 1 : 0;
    // Every non-ASCII space is two bytes (U+0085, U+00A0) or three (the rest).
    if (b == 0xC2 && i + 1 < text.size()) {
        const auto c = static_cast<unsigned char>(text[i + 1]);
        return c == 0x85 || c == 0xA0 ? 2 : 0;
    }
    if ((b == 0xE1 || b == 0xE2 || b == 0xE3) && i + 2 < text.size()) {
        const char32_t cp = (char32_t(b & 0x0F) << 12) | (char32_t(static_cast<unsigned char>(text[i + 1]) & 0x3F) << 6)
            | char32_t(static_cast<unsigned char>(text[i + 2]) & 0x3F);
        return isSpaceNonAscii(cp) ? 3 : 0;
    }
    return 0;
}

// Bytes of the code point at text[i] (text is valid UTF-8).
size_t charBytes(unsigned char lead) { return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4; }

} // namespace

void split(std::string_view text, std::vector<std::string_view>& pieces)
{
    pieces.clear();
    size_t i = 0;
    size_t start = 0;
    bool inPiece = false;
    while (i < text.size()) {
        const size_t space = spaceAt(text, i);
        if (space) {
            if (inPiece)
                pieces.push_back(text.substr(start, i - start));
            inPiece = false;
            i += space;
            continue;
        }
        if (!inPiece)
            start = i;
        inPiece = true;
        i += charBytes(static_cast<unsigned char>(text[i]));
    }
    if (inPiece)
        pieces.push_back(text.substr(start));
}

std::string_view rstrip(std::string_view text)
{
    size_t end = text.size();
    while (end > 0) {
        size_t start = end - 1; // the last code point's lead byte
        while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80)
            --start;
        if (!spaceAt(text, start))
            break;
        end = start;
    }
    return text.substr(0, end);
}

std::u32string collapseSpaces(std::u32string_view text)
{
    std::u32string out;
    out.reserve(text.size());
    for (auto piece : split(text)) {
        if (!out.empty())
            out.push_back(U' ');
        out.append(piece);
    }
    return out;
}

std::u32string_view rstrip(std::u32string_view text)
{
    size_t end = text.size();
    while (end > 0 && isSpace(text[end - 1]))
        --end;
    return text.substr(0, end);
}

std::u32string lower(std::u32string_view text)
{
    std::u32string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        const char32_t c = text[i];
        if (c < 0x80) {
            out.push_back(c >= 'A' && c <= 'Z' ? c + 32 : c);
        } else if (c == 0x130) {
            out.push_back(U'i');
            out.push_back(0x307);
        } else if (c == 0x3A3) {
            out.push_back(isFinalSigma(text, i) ? 0x3C2 : 0x3C3);
        } else if (c <= 0x10FFFF) {
            out.push_back(static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c))));
        } else {
            out.push_back(c);
        }
    }
    return out;
}

bool isNumber(char32_t c)
{
    if (c < 0x80)
        return c >= '0' && c <= '9';
    const auto cat = categoryOf(c);
    return cat == UTF8PROC_CATEGORY_ND || cat == UTF8PROC_CATEGORY_NL || cat == UTF8PROC_CATEGORY_NO;
}

bool isPunctuation(char32_t c)
{
    const auto cat = categoryOf(c);
    return cat >= UTF8PROC_CATEGORY_PC && cat <= UTF8PROC_CATEGORY_PO;
}

bool isSymbol(char32_t c)
{
    const auto cat = categoryOf(c);
    return cat >= UTF8PROC_CATEGORY_SM && cat <= UTF8PROC_CATEGORY_SO;
}

bool isWordChar(char32_t c)
{
    if (c < 0x80)
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    const auto cat = categoryOf(c);
    return (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO)
        || (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO);
}

} // namespace tb::eval::py
