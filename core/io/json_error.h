#pragma once
// One readable sentence for a JSON text nlohmann's parser refused: where
// (byte offset) and why, without the library's "[json.exception...]" prefix.
// It covers every parse failure, not only syntax errors: a number such as
// 1e400 that overflows a double is an out_of_range error with no offset, so
// the offset is found by looking for the number in the text.
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace tb::io {

inline std::string jsonErrorText(const nlohmann::json::exception& e, std::string_view text)
{
    std::string reason = e.what();
    if (const size_t at = reason.find("] "); at != std::string::npos)
        reason = reason.substr(at + 2);
    if (const auto* p = dynamic_cast<const nlohmann::json::parse_error*>(&e))
        return "malformed JSON near byte " + std::to_string(p->byte) + ": " + reason;
    const size_t open = reason.find('\'');
    const size_t close = open == std::string::npos ? open : reason.find('\'', open + 1);
    if (e.id == 406 && close != std::string::npos) { // "number overflow parsing '1e400'"
        const std::string number = reason.substr(open + 1, close - open - 1);
        const size_t byte = text.find(number);
        return "number " + number + (byte == std::string_view::npos ? "" : " at byte " + std::to_string(byte)) +
               " is out of range (a JSON number must fit a double, about ±1.8e308)";
    }
    return "invalid JSON: " + reason;
}

} // namespace tb::io
