#include "unicode.h"

#include <cstdlib>
#include <memory>

#include <utf8proc.h>

namespace tb::tok::unicode {

int32_t decodeAt(std::string_view text, size_t pos, size_t* length)
{
    *length = 1;
    if (pos >= text.size())
        return -1;
    const auto byteAt = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char b0 = byteAt(pos);
    if (b0 < 0x80)
        return b0;
    // Well-formed sequences per Unicode Table 3-7: the allowed range of the
    // second byte depends on the lead byte (no overlongs, no surrogates).
    int need = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    int32_t cp = 0;
    if (b0 >= 0xC2 && b0 <= 0xDF) { need = 1; cp = b0 & 0x1F; }
    else if (b0 == 0xE0) { need = 2; lo = 0xA0; cp = b0 & 0x0F; }
    else if (b0 >= 0xE1 && b0 <= 0xEC) { need = 2; cp = b0 & 0x0F; }
    else if (b0 == 0xED) { need = 2; hi = 0x9F; cp = b0 & 0x0F; }
    else if (b0 >= 0xEE && b0 <= 0xEF) { need = 2; cp = b0 & 0x0F; }
    else if (b0 == 0xF0) { need = 3; lo = 0x90; cp = b0 & 0x07; }
    else if (b0 >= 0xF1 && b0 <= 0xF3) { need = 3; cp = b0 & 0x07; }
    else if (b0 == 0xF4) { need = 3; hi = 0x8F; cp = b0 & 0x07; }
    else
        return -1;
    size_t i = pos + 1;
    for (int k = 0; k < need; ++k, ++i) {
        if (i >= text.size()) {
            *length = i - pos;
            return -1;
        }
        const unsigned char b = byteAt(i);
        const unsigned char l = k == 0 ? lo : 0x80;
        const unsigned char h = k == 0 ? hi : 0xBF;
        if (b < l || b > h) {
            *length = i - pos;
            return -1;
        }
        cp = (cp << 6) | (b & 0x3F);
    }
    *length = i - pos;
    return cp;
}

void appendUtf8(std::string& out, uint32_t cp)
{
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

std::string toValidUtf8(std::string_view bytes)
{
    std::string out;
    out.reserve(bytes.size());
    size_t pos = 0;
    while (pos < bytes.size()) {
        size_t len = 1;
        const int32_t cp = decodeAt(bytes, pos, &len);
        if (cp < 0)
            out += "\xEF\xBF\xBD";
        else
            out.append(bytes.data() + pos, len);
        pos += len;
    }
    return out;
}

bool isValidUtf8(std::string_view bytes)
{
    size_t pos = 0;
    while (pos < bytes.size()) {
        size_t len = 1;
        if (decodeAt(bytes, pos, &len) < 0)
            return false;
        pos += len;
    }
    return true;
}

bool isWhitespace(int32_t cp)
{
    switch (cp) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20: case 0x85: case 0xA0:
    case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
        return true;
    default:
        return cp >= 0x2000 && cp <= 0x200A;
    }
}

static utf8proc_category_t categoryOf(int32_t cp)
{
    if (cp < 0 || !utf8proc_codepoint_valid(cp))
        return UTF8PROC_CATEGORY_CN;
    return utf8proc_category(cp);
}

bool isWordChar(int32_t cp)
{
    if (cp == 0x200C || cp == 0x200D)
        return true; // Join_Control
    switch (categoryOf(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_PC:
        return true;
    default:
        return false;
    }
}

bool isNumeric(int32_t cp)
{
    const auto c = categoryOf(cp);
    return c == UTF8PROC_CATEGORY_ND || c == UTF8PROC_CATEGORY_NL || c == UTF8PROC_CATEGORY_NO;
}

bool isPunctuation(int32_t cp)
{
    if (cp < 0x80)
        return (cp >= 0x21 && cp <= 0x2F) || (cp >= 0x3A && cp <= 0x40) || (cp >= 0x5B && cp <= 0x60)
            || (cp >= 0x7B && cp <= 0x7E);
    switch (categoryOf(cp)) {
    case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE: case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
        return true;
    default:
        return false;
    }
}

bool isNonSpacingMark(int32_t cp)
{
    return categoryOf(cp) == UTF8PROC_CATEGORY_MN;
}

std::string toLower(std::string_view text)
{
    // HF lowercases char by char (char::to_lowercase), so no final-sigma
    // context; utf8proc's simple mapping differs from it only for U+0130.
    std::string out;
    out.reserve(text.size());
    size_t pos = 0;
    while (pos < text.size()) {
        size_t len = 1;
        const int32_t cp = decodeAt(text, pos, &len);
        if (cp < 0) {
            out.append(text.data() + pos, len);
        } else if (cp == 0x130) {
            out += "i\xCC\x87";
        } else {
            appendUtf8(out, static_cast<uint32_t>(utf8proc_tolower(cp)));
        }
        pos += len;
    }
    return out;
}

std::string normalize(std::string_view text, NormalForm form)
{
    if (text.empty())
        return {};
    int options = UTF8PROC_STABLE;
    switch (form) {
    case NormalForm::Nfc: options |= UTF8PROC_COMPOSE; break;
    case NormalForm::Nfd: options |= UTF8PROC_DECOMPOSE; break;
    case NormalForm::Nfkc: options |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT; break;
    case NormalForm::Nfkd: options |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT; break;
    }
    utf8proc_uint8_t* out = nullptr;
    const utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                                            static_cast<utf8proc_ssize_t>(text.size()), &out,
                                            static_cast<utf8proc_option_t>(options));
    std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owner(out, &std::free);
    if (n < 0)
        return std::string(text); // only reachable for invalid UTF-8, which callers never pass
    return std::string(reinterpret_cast<const char*>(out), static_cast<size_t>(n));
}

} // namespace tb::tok::unicode
