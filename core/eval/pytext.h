#pragma once
// Python 3 str semantics that the reference metrics rely on, so that our
// tokenisation matches theirs code point for code point: str.split() and
// str.isspace(), str.lower() (full mapping, final sigma), and the Unicode
// general categories that `re` / `regex` classes such as \w, \p{P} test.
// Internal to core/eval.
#include <string>
#include <string_view>
#include <vector>

namespace tb::eval::py {

// UTF-8 to code points; an ill-formed byte becomes U+FFFD (Python's
// errors="replace" for a single byte), so scoring never throws on model output.
std::u32string decode(std::string_view utf8);
// The same into `out` (replacing its contents), for loops that reuse the buffer.
void decode(std::string_view utf8, std::u32string& out);
std::string encode(std::u32string_view text);

bool isSpaceNonAscii(char32_t c);
// str.isspace(): bidirectional class WS/B/S or category Zs.
inline bool isSpace(char32_t c)
{
    if (c < 0x80)
        return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
    return isSpaceNonAscii(c);
}
// str.split() with no argument: runs of isSpace() separate, no empty pieces.
std::vector<std::u32string_view> split(std::u32string_view text);
// The same into `pieces` (cleared first), for loops that reuse the buffer.
void split(std::u32string_view text, std::vector<std::u32string_view>& pieces);
// ' '.join(text.split())
std::u32string collapseSpaces(std::u32string_view text);
// str.rstrip()
std::u32string_view rstrip(std::u32string_view text);
// str.lower(): per code point lowercase, U+0130 -> "i\u0307", and capital
// sigma -> final sigma at the end of a cased word (Python's Final_Sigma rule).
std::u32string lower(std::u32string_view text);

// The same on UTF-8 bytes, for text that isValidUtf8() accepts: pieces and
// the stripped text are views into `text` (split at the same code points).
bool isValidUtf8(std::string_view text); // decode() would replace no byte with U+FFFD
void split(std::string_view text, std::vector<std::string_view>& pieces);
std::string_view rstrip(std::string_view text);

bool isNumber(char32_t c);      // categories Nd Nl No (regex \p{N})
bool isPunctuation(char32_t c); // categories Pc Pd Ps Pe Pi Pf Po (regex \p{P})
bool isSymbol(char32_t c);      // categories Sm Sc Sk So (regex \p{S})
// `re` \w on str patterns: str.isalnum() or '_' (letters and numbers, not marks).
bool isWordChar(char32_t c);

} // namespace tb::eval::py
