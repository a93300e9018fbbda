#pragma once
// A small RFC 4180 reader: comma-separated fields, optional double quotes that
// may hold commas, line breaks and doubled quotes (""), CRLF or LF line ends.
// https://www.rfc-editor.org/rfc/rfc4180
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tb::data {

struct CsvRow {
    size_t line = 0; // 1-based line on which the row starts
    std::vector<std::string> fields;
};

// All rows, the header row included. A UTF-8 byte order mark is skipped and
// empty lines are ignored. A quote inside an unquoted field is kept as a
// literal character (common in hand-written files, harmless to read).
// Throws tb::Error naming SOURCENAME and the line: an unterminated quoted
// field, text after a closing quote, invalid UTF-8.
std::vector<CsvRow> parseCsv(std::string_view text, std::string_view sourceName);

} // namespace tb::data
