#pragma once
// Text that is safe to store and to print: valid UTF-8 (invalid bytes become
// U+FFFD), a bounded length for messages that may quote a whole input line,
// and terminal output without raw control characters.
#include <cstddef>
#include <string>
#include <string_view>

namespace tb {

bool isValidUtf8(std::string_view text);

// Each byte that does not start a well-formed UTF-8 sequence (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF) becomes U+FFFD.
std::string validUtf8(std::string_view text);

// validUtf8(text), cut to at most maxBytes at a character boundary; a cut
// text ends with "… (N bytes cut)", N counted in the valid UTF-8.
std::string cappedText(std::string_view text, size_t maxBytes);

// For one table cell or line on a terminal: validUtf8(text) with control
// characters (C0, DEL, C1) written as escapes: \n, \r, \t, \e, \xNN, \u{NN}.
std::string printableText(std::string_view text);

} // namespace tb
