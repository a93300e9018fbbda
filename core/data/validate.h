#pragma once
// Dataset validation: every problem in a file, not just the first one, each
// with its file, line and field, next to the records that did read.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "data/dataset.h"

namespace tb::data {

struct ValidationIssue {
    std::string file;
    size_t line = 0;     // 0: the file as a whole (cannot open, unknown format)
    std::string field;   // empty: the record or the file as a whole
    std::string message; // without the "file:line: field" prefix
};

struct ValidationResult {
    FileFormat format = FileFormat::Auto;  // as resolved; Auto when it could not be told
    std::vector<Record> records;           // the records that read, in file order
    std::vector<size_t> lines;             // line of each record
    std::vector<ValidationIssue> issues;   // in file order
    std::vector<std::string> fields;       // source field names, records in file order, each record's by name
};

// Reads like readDataset but never throws for bad content: each bad record
// becomes an issue and reading goes on. An error after which nothing more
// can be read (an unterminated array, a broken CSV quote) ends the list,
// and the file then gives no records: it is broken as a whole.
ValidationResult validateDataset(const std::string& path, const ReadOptions& options = {});
ValidationResult validateContent(std::string_view content, std::string_view sourceName,
                                 const ReadOptions& options = {});

// "jsonl", "json", "csv" ("auto" for FileFormat::Auto).
std::string formatName(FileFormat format);

} // namespace tb::data
