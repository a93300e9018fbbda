#pragma once
// Reading JSON Lines input files with errors that name the file and line.
#include <functional>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace tb::cli {

// Calls fn(record, lineNumber) for each non-blank line; throws tb::Error
// "FILE:LINE: ..." for malformed JSON or a non-object line.
void forEachJsonLine(const std::string& path, const std::function<void(const nlohmann::json&, size_t)>& fn);

// Writes j on one line of stdout and flushes (JSON Lines output).
void printJsonLine(const nlohmann::json& j);

// "5,17,42" -> ids; throws tb::Error naming `what` and the bad item.
std::vector<int64_t> parseIdList(const std::string& text, const std::string& what);

} // namespace tb::cli
