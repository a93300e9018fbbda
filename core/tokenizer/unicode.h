#pragma once
// UTF-8 and Unicode-property helpers shared by the tokenizers. Everything here
// is bounds-checked: input text and tokenizer files are untrusted.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tb::tok::unicode {

// Decodes the code point at text[pos]; returns its byte length in *length.
// Returns -1 (and length 1) for a byte that does not start a well-formed sequence.
int32_t decodeAt(std::string_view text, size_t pos, size_t* length);

void appendUtf8(std::string& out, uint32_t codePoint);

// Replaces each maximal ill-formed subsequence with U+FFFD, the policy of
// Rust's String::from_utf8_lossy (Unicode "substitution of maximal subparts").
std::string toValidUtf8(std::string_view bytes);
bool isValidUtf8(std::string_view bytes);

// Rust char::is_whitespace / regex `\s`: the White_Space property.
bool isWhitespace(int32_t cp);
// Rust regex `\w` (Unicode): letters, marks, decimal digits, connector punctuation.
bool isWordChar(int32_t cp);
// Rust char::is_numeric: general categories Nd, Nl, No.
bool isNumeric(int32_t cp);
// Rust char::is_ascii_punctuation() || general category P*.
bool isPunctuation(int32_t cp);

// General category Mn (what HF's StripAccents removes).
bool isNonSpacingMark(int32_t cp);

// Lowercase as HF's Lowercase normalizer does it: Rust char::to_lowercase per character.
std::string toLower(std::string_view text);

enum class NormalForm { Nfc, Nfd, Nfkc, Nfkd };
std::string normalize(std::string_view text, NormalForm form);

} // namespace tb::tok::unicode
