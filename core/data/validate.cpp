#include "data/validate.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.h"

namespace tb::data {

namespace {

// Fatal errors come as one line "SOURCE:LINE: rest" (or "SOURCE: rest"):
// split it so the issue carries the line like the per-record ones.
ValidationIssue fatalIssue(const std::string& source, const std::string& what)
{
    ValidationIssue issue{source, 0, {}, what};
    if (what.compare(0, source.size() + 1, source + ":") != 0)
        return issue;
    size_t pos = source.size() + 1;
    size_t digits = pos;
    while (digits < what.size() && std::isdigit(static_cast<unsigned char>(what[digits])))
        ++digits;
    if (digits > pos && what.compare(digits, 2, ": ") == 0) {
        issue.line = std::stoul(what.substr(pos, digits - pos));
        pos = digits + 2;
    } else if (what.compare(pos, 1, " ") == 0) {
        pos += 1;
    }
    issue.message = what.substr(pos);
    return issue;
}

size_t lineOfOrigin(const std::string& origin)
{
    const size_t colon = origin.find_last_of(':');
    return colon == std::string::npos ? 0 : std::stoul(origin.substr(colon + 1));
}

} // namespace

ValidationResult validateContent(std::string_view content, std::string_view sourceName, const ReadOptions& options)
{
    const std::string source(sourceName);
    ValidationResult result;
    ParseHooks hooks;
    hooks.onKeys = [&](size_t, const std::vector<std::string>& keys) {
        for (const std::string& k : keys) {
            if (std::find(result.fields.begin(), result.fields.end(), k) == result.fields.end())
                result.fields.push_back(k);
        }
    };
    hooks.onProblem = [&](const RecordProblem& p) {
        result.issues.push_back({source, p.line, p.field, p.reason});
    };
    try {
        result.format = options.format == FileFormat::Auto ? detectFormat(content, sourceName) : options.format;
        result.records = parseDatasetCollecting(content, sourceName, options, hooks);
    } catch (const Error& e) {
        result.issues.push_back(fatalIssue(source, e.what()));
    }
    for (const Record& r : result.records)
        result.lines.push_back(lineOfOrigin(r.origin));
    std::stable_sort(result.issues.begin(), result.issues.end(),
                     [](const ValidationIssue& a, const ValidationIssue& b) { return a.line < b.line; });
    return result;
}

ValidationResult validateDataset(const std::string& path, const ReadOptions& options)
{
    std::error_code ec;
    ValidationResult result;
    if (std::filesystem::is_directory(path, ec)) {
        result.issues.push_back({path, 0, {}, "expected a dataset file, found a folder"});
        return result;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        result.issues.push_back({path, 0, {}, "cannot open the dataset file"});
        return result;
    }
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad()) {
        result.issues.push_back({path, 0, {}, "read error"});
        return result;
    }
    return validateContent(buffer.str(), path, options);
}

std::string formatName(FileFormat format)
{
    switch (format) {
    case FileFormat::Auto:
        return "auto";
    case FileFormat::Jsonl:
        return "jsonl";
    case FileFormat::JsonArray:
        return "json";
    case FileFormat::Csv:
        return "csv";
    }
    return "?";
}

} // namespace tb::data
