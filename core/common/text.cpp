#include "common/text.h"

#include <cstdio>

namespace tb {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD"; // U+FFFD

// Length of the well-formed UTF-8 sequence at text[i], or 0 if it is not one.
size_t sequenceLength(std::string_view text, size_t i)
{
    const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char b0 = byte(i);
    if (b0 < 0x80)
        return 1;
    size_t length = 0;
    unsigned char low = 0x80, high = 0xBF; // the allowed range of the second byte
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        length = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        length = 3;
        if (b0 == 0xE0)
            low = 0xA0; // no overlong forms
        if (b0 == 0xED)
            high = 0x9F; // no surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        length = 4;
        if (b0 == 0xF0)
            low = 0x90;
        if (b0 == 0xF4)
            high = 0x8F; // nothing above U+10FFFF
    } else {
        return 0;
    }
    if (i + length > text.size())
        return 0;
    if (byte(i + 1) < low || byte(i + 1) > high)
        return 0;
    for (size_t k = 2; k < length; ++k)
        if (byte(i + k) < 0x80 || byte(i + k) > 0xBF)
            return 0;
    return length;
}

} // namespace

bool isValidUtf8(std::string_view text)
{
    for (size_t i = 0; i < text.size();) {
        const size_t n = sequenceLength(text, i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

std::string validUtf8(std::string_view text)
{
    if (isValidUtf8(text))
        return std::string(text);
    std::string out;
    out.reserve(text.size() + 16);
    for (size_t i = 0; i < text.size();) {
        const size_t n = sequenceLength(text, i);
        if (n == 0) {
            out += kReplacement;
            ++i;
        } else {
            out.append(text.substr(i, n));
            i += n;
        }
    }
    return out;
}

std::string cappedText(std::string_view text, size_t maxBytes)
{
    std::string valid = validUtf8(text);
    if (valid.size() <= maxBytes)
        return valid;
    size_t keep = maxBytes;
    // Back up to a character boundary: never leave half a sequence.
    while (keep > 0 && (static_cast<unsigned char>(valid[keep]) & 0xC0) == 0x80)
        --keep;
    const size_t cut = valid.size() - keep;
    valid.resize(keep);
    return valid + "\xE2\x80\xA6 (" + std::to_string(cut) + " bytes cut)";
}

std::string printableText(std::string_view text)
{
    const std::string valid = validUtf8(text);
    std::string out;
    out.reserve(valid.size());
    char escape[16];
    for (size_t i = 0; i < valid.size(); ++i) {
        const auto c = static_cast<unsigned char>(valid[i]);
        if (c == 0xC2 && i + 1 < valid.size() && static_cast<unsigned char>(valid[i + 1]) < 0xA0) {
            // C1 controls U+0080..U+009F (CSI among them) are two bytes, C2 80..9F.
            std::snprintf(escape, sizeof escape, "\\u{%02X}", static_cast<unsigned char>(valid[i + 1]));
            out += escape;
            ++i;
            continue;
        }
        if (c >= 0x20 && c != 0x7F) {
            out.push_back(static_cast<char>(c));
            continue;
        }
        switch (c) {
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case 0x1B: out += "\\e"; break;
        default:
            std::snprintf(escape, sizeof escape, "\\x%02X", c);
            out += escape;
        }
    }
    return out;
}

} // namespace tb
