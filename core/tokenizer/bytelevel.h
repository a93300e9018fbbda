#pragma once
// GPT-2's reversible byte <-> printable-character table
// (https://github.com/openai/gpt-2/blob/master/src/encoder.py, bytes_to_unicode).
#include <string>
#include <string_view>

namespace tb::tok {

// Maps every byte of BYTES to its printable stand-in (as UTF-8).
std::string byteLevelEncode(std::string_view bytes);

// Appends the bytes TOKEN stands for to OUT. Returns false (appending nothing)
// when TOKEN holds a character outside the table.
bool byteLevelDecode(std::string_view token, std::string& out);

} // namespace tb::tok
