#include "data/dataset.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "data/csv.h"

namespace tb::data {

using nlohmann::json;

namespace {

const char* const kFields[] = {"instruction", "input", "output", "messages", "prompt",
                               "response", "completion", "text", "task", "ignore"};

// A bad record. what() is the whole one-line error parseDataset throws; the
// parts are kept for parseDatasetCollecting, which reports and goes on.
class RecordError : public Error {
public:
    RecordError(const std::string& name, size_t line, std::string field, std::string reason)
        : Error(name + ":" + std::to_string(line) + ": " + (field.empty() ? "" : "field '" + field + "': ") + reason),
          problem{line, std::move(field), std::move(reason)}
    {
    }
    RecordProblem problem;
};

// Runs PARSEONE; with hooks, a RecordError goes to them instead of up.
template <class F>
void guarded(const ParseHooks* hooks, F&& parseOne)
{
    if (!hooks || !hooks->onProblem) {
        parseOne();
        return;
    }
    try {
        parseOne();
    } catch (const RecordError& e) {
        hooks->onProblem(e.problem);
    }
}

std::string lower(std::string s)
{
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::string fileName(std::string_view path)
{
    const size_t slash = path.find_last_of("/\\");
    return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::string extensionOf(std::string_view path)
{
    const std::string name = fileName(path);
    const size_t dot = name.find_last_of('.');
    return dot == std::string::npos ? std::string() : lower(name.substr(dot));
}

std::string stemOf(std::string_view path)
{
    const std::string name = fileName(path);
    const size_t dot = name.find_last_of('.');
    return dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
}

// nlohmann's message without its "[json.exception...] parse error at line 1,
// column 5: " prefix; we report our own line and column.
std::string jsonReason(const json::parse_error& e)
{
    const std::string what = e.what();
    size_t at = what.find("column ");
    if (at != std::string::npos) {
        at = what.find(": ", at);
        if (at != std::string::npos)
            return what.substr(at + 2);
    }
    at = what.find("] ");
    return at == std::string::npos ? what : what.substr(at + 2);
}

char firstNonSpace(std::string_view text)
{
    for (char c : text) {
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
            return c;
    }
    return '\0';
}

// Looks fields up under the names the file uses, so errors can name them.
class Fields {
public:
    Fields(const json& object, const std::map<std::string, std::string>& fieldMap, std::string name, size_t line)
        : m_object(object), m_fieldMap(fieldMap), m_name(std::move(name)), m_line(line)
    {
    }

    // The source name holding FIELD, if the record has it (null counts as absent).
    std::optional<std::string> source(const std::string& field) const
    {
        bool mappedAway = false;
        for (const auto& [from, to] : m_fieldMap) {
            if (to == field && has(from))
                return from;
            if (from == field)
                mappedAway = true;
        }
        if (!mappedAway && has(field))
            return field;
        return std::nullopt;
    }

    bool contains(const std::string& field) const { return source(field).has_value(); }

    const json& value(const std::string& sourceName) const { return m_object.at(sourceName); }

    std::string string(const std::string& field, bool required) const
    {
        const auto name = source(field);
        if (!name) {
            if (required)
                fail(field, "missing (" + describeKeys() + ")");
            return {};
        }
        const json& v = value(*name);
        if (!v.is_string())
            fail(*name, std::string("expected a string, found ") + v.type_name());
        return v.get<std::string>();
    }

    [[noreturn]] void fail(const std::string& field, const std::string& what) const
    {
        throw RecordError(m_name, m_line, field, what);
    }

    [[noreturn]] void failRecord(const std::string& what) const { throw RecordError(m_name, m_line, {}, what); }

    std::string describeKeys() const
    {
        if (m_object.empty())
            return "the record has no fields";
        std::string keys;
        for (const auto& item : m_object.items())
            keys += (keys.empty() ? "'" : ", '") + item.key() + "'";
        return "the record has " + keys;
    }

private:
    bool has(const std::string& name) const
    {
        const auto it = m_object.find(name);
        return it != m_object.end() && !it->is_null();
    }

    const json& m_object;
    const std::map<std::string, std::string>& m_fieldMap;
    std::string m_name;
    size_t m_line;
};

RecordShape detectShape(const Fields& f)
{
    if (f.contains("messages"))
        return RecordShape::Chat;
    if (f.contains("instruction") || f.contains("output"))
        return RecordShape::Alpaca;
    if (f.contains("prompt") || f.contains("response") || f.contains("completion"))
        return RecordShape::PromptResponse;
    if (f.contains("text"))
        return RecordShape::Text;
    f.failRecord("cannot tell the record's shape: expected 'instruction'+'output' (Alpaca), 'messages' (chat), "
                 "'prompt'+'response'/'completion' or 'text', found " + f.describeKeys().substr(15)
                 + "; map other names with a field mapping");
}

std::string normaliseRole(const std::string& role)
{
    // ShareGPT's names for the same roles.
    if (role == "human")
        return "user";
    if (role == "gpt")
        return "assistant";
    return role;
}

std::vector<Message> readMessages(const Fields& f, bool fromCsv)
{
    const std::string name = *f.source("messages");
    json parsed;
    const json* list = &f.value(name);
    if (fromCsv && list->is_string()) {
        // A CSV cell can only hold text: the conversation is JSON inside it.
        try {
            parsed = json::parse(list->get<std::string>());
        } catch (const json::parse_error& e) {
            f.fail(name, "expected a JSON array of {role, content}, found invalid JSON at byte "
                             + std::to_string(e.byte) + ": " + jsonReason(e));
        }
        list = &parsed;
    }
    if (!list->is_array())
        f.fail(name, std::string("expected an array of {role, content}, found ") + list->type_name());
    if (list->empty())
        f.fail(name, "expected at least one message, found an empty array");

    std::vector<Message> messages;
    for (size_t i = 0; i < list->size(); ++i) {
        const json& m = (*list)[i];
        const std::string at = name + "[" + std::to_string(i) + "]";
        if (!m.is_object())
            f.fail(at, std::string("expected an object {role, content}, found ") + m.type_name());
        const char* roleKey = m.contains("role") ? "role" : m.contains("from") ? "from" : nullptr;
        const char* contentKey = m.contains("content") ? "content" : m.contains("value") ? "value" : nullptr;
        if (!roleKey)
            f.fail(at + ".role", "missing");
        if (!contentKey)
            f.fail(at + ".content", "missing");
        const json& role = m.at(roleKey);
        const json& content = m.at(contentKey);
        if (!role.is_string())
            f.fail(at + "." + roleKey, std::string("expected a string, found ") + role.type_name());
        if (!content.is_string())
            f.fail(at + "." + contentKey, std::string("expected a string, found ") + content.type_name());
        Message message{normaliseRole(role.get<std::string>()), content.get<std::string>()};
        if (message.role != "system" && message.role != "user" && message.role != "assistant")
            f.fail(at + "." + roleKey,
                   "expected 'system', 'user' or 'assistant', found '" + role.get<std::string>() + "'");
        messages.push_back(std::move(message));
    }
    return messages;
}

Record buildRecord(const json& object, const std::string& name, size_t line, const ReadOptions& options,
                   const std::string& defaultTask, bool fromCsv, const ParseHooks* hooks)
{
    if (!object.is_object())
        throw RecordError(name, line, {},
                          std::string("expected a JSON object (one record), found ") + object.type_name());
    if (hooks && hooks->onKeys) {
        std::vector<std::string> keys;
        for (const auto& item : object.items())
            keys.push_back(item.key());
        hooks->onKeys(line, keys);
    }
    const Fields f(object, options.fieldMap, name, line);

    Record r;
    r.origin = name + ":" + std::to_string(line);
    r.shape = options.shape ? *options.shape : detectShape(f);
    switch (r.shape) {
    case RecordShape::Alpaca:
        r.instruction = f.string("instruction", true);
        r.input = f.string("input", false);
        r.output = f.string("output", true);
        break;
    case RecordShape::Chat:
        if (!f.contains("messages"))
            f.fail("messages", "missing (" + f.describeKeys() + ")");
        r.messages = readMessages(f, fromCsv);
        break;
    case RecordShape::PromptResponse:
        r.prompt = f.string("prompt", true);
        if (f.contains("response"))
            r.response = f.string("response", true);
        else if (f.contains("completion"))
            r.response = f.string("completion", true);
        else
            f.fail("response", "missing, and no 'completion' either (" + f.describeKeys() + ")");
        break;
    case RecordShape::Text:
        r.text = f.string("text", true);
        break;
    }

    r.task = defaultTask;
    if (const auto name = f.source("task")) {
        const json& v = f.value(*name);
        if (v.is_string())
            r.task = v.get<std::string>().empty() ? defaultTask : v.get<std::string>();
        else if (v.is_number_integer())
            r.task = v.dump(); // numeric category ids are common
        else
            f.fail(*name, std::string("expected a string, found ") + v.type_name());
    }
    return r;
}

class LineIndex {
public:
    explicit LineIndex(std::string_view text)
    {
        m_starts.push_back(0);
        for (size_t i = 0; i < text.size(); ++i) {
            if (text[i] == '\n')
                m_starts.push_back(i + 1);
        }
    }
    size_t lineAt(size_t offset) const
    {
        return static_cast<size_t>(std::upper_bound(m_starts.begin(), m_starts.end(), offset) - m_starts.begin());
    }
    size_t columnAt(size_t offset) const { return offset - m_starts[lineAt(offset) - 1] + 1; }

private:
    std::vector<size_t> m_starts;
};

std::vector<Record> parseJsonl(std::string_view text, const std::string& name, const ReadOptions& options,
                               const std::string& task, const ParseHooks* hooks)
{
    std::vector<Record> records;
    size_t line = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        ++line;
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos)
            end = text.size();
        const std::string_view content = text.substr(pos, end - pos);
        pos = end + 1;
        if (firstNonSpace(content) == '\0')
            continue;
        guarded(hooks, [&] {
            json object;
            try {
                object = json::parse(content);
            } catch (const json::parse_error& e) {
                throw RecordError(name, line, {},
                                  "invalid JSON at column " + std::to_string(e.byte) + ": " + jsonReason(e));
            }
            records.push_back(buildRecord(object, name, line, options, task, false, hooks));
        });
    }
    return records;
}

// Splits the top-level array into element texts so each record keeps its
// line number (nlohmann reports positions only for syntax errors).
std::vector<Record> parseJsonArray(std::string_view text, const std::string& name, const ReadOptions& options,
                                   const std::string& task, const ParseHooks* hooks)
{
    const LineIndex lines(text);
    const auto at = [&](size_t offset) {
        return name + ":" + std::to_string(lines.lineAt(offset));
    };
    const auto skipSpace = [&](size_t pos) {
        while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\r' || text[pos] == '\n'))
            ++pos;
        return pos;
    };

    std::vector<Record> records;
    size_t pos = skipSpace(0);
    if (pos >= text.size() || text[pos] != '[')
        throw Error(at(pos) + ": expected '[' starting a JSON array of records, found "
                    + (pos >= text.size() ? std::string("end of file") : "'" + std::string(1, text[pos]) + "'"));
    pos = skipSpace(pos + 1);
    if (pos < text.size() && text[pos] == ']')
        return records;
    for (;;) {
        const size_t start = pos;
        int depth = 0;
        bool inString = false;
        for (; pos < text.size(); ++pos) {
            const char c = text[pos];
            if (inString) {
                if (c == '\\')
                    ++pos;
                else if (c == '"')
                    inString = false;
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                ++depth;
            } else if (c == '}' || c == ']') {
                if (depth == 0)
                    break;
                --depth;
            } else if (c == ',' && depth == 0) {
                break;
            }
        }
        if (pos >= text.size())
            throw Error(at(start) + ": unterminated array: expected ']' closing the array, found end of file");
        const std::string_view element = text.substr(start, pos - start);
        guarded(hooks, [&] {
            json object;
            try {
                object = json::parse(element);
            } catch (const json::parse_error& e) {
                const size_t offset = start + (e.byte > 0 ? std::min<size_t>(e.byte - 1, element.size()) : 0);
                throw RecordError(name, lines.lineAt(offset), {},
                                  "invalid JSON at column " + std::to_string(lines.columnAt(offset)) + ": "
                                      + jsonReason(e));
            }
            records.push_back(buildRecord(object, name, lines.lineAt(start), options, task, false, hooks));
        });
        if (text[pos] == ']')
            break;
        if (text[pos] == '}')
            throw Error(at(pos) + ": invalid JSON: expected ',' or ']' in the array, found '}'");
        pos = skipSpace(pos + 1);
    }
    pos = skipSpace(pos + 1);
    if (pos < text.size())
        throw Error(at(pos) + ": expected end of file after the array, found '" + std::string(1, text[pos]) + "'");
    return records;
}

std::vector<Record> parseCsvRecords(std::string_view text, const std::string& name, const ReadOptions& options,
                                    const std::string& task, const ParseHooks* hooks)
{
    const std::vector<CsvRow> rows = parseCsv(text, name);
    if (rows.empty())
        return {};
    const std::vector<std::string>& header = rows.front().fields;
    for (size_t i = 0; i < header.size(); ++i) {
        if (header[i].empty())
            throw Error(name + ":" + std::to_string(rows.front().line) + ": header column " + std::to_string(i + 1)
                        + ": expected a field name, found an empty cell");
        for (size_t j = 0; j < i; ++j) {
            if (header[j] == header[i])
                throw Error(name + ":" + std::to_string(rows.front().line) + ": header column "
                            + std::to_string(i + 1) + ": field '" + header[i] + "' appears twice");
        }
    }
    std::vector<Record> records;
    for (size_t r = 1; r < rows.size(); ++r) {
        const CsvRow& row = rows[r];
        guarded(hooks, [&] {
            if (row.fields.size() != header.size())
                throw RecordError(name, row.line, {}, "expected " + std::to_string(header.size())
                                                          + " fields as in the header, found "
                                                          + std::to_string(row.fields.size()));
            json object = json::object();
            for (size_t i = 0; i < header.size(); ++i)
                object[header[i]] = row.fields[i];
            records.push_back(buildRecord(object, name, row.line, options, task, true, hooks));
        });
    }
    return records;
}

void checkFieldMap(const std::map<std::string, std::string>& fieldMap)
{
    for (const auto& [from, to] : fieldMap) {
        if (std::find(std::begin(kFields), std::end(kFields), to) == std::end(kFields))
            throw Error("field mapping '" + from + "' -> '" + to + "': expected a target among instruction, input, "
                        "output, messages, prompt, response, completion, text, task, ignore; found '" + to + "'");
    }
}

} // namespace

FileFormat detectFormat(std::string_view content, std::string_view sourceName)
{
    if (content.substr(0, 3) == "\xEF\xBB\xBF")
        content.remove_prefix(3);
    const std::string ext = extensionOf(sourceName);
    const char first = firstNonSpace(content);
    if (ext == ".jsonl" || ext == ".ndjson")
        return FileFormat::Jsonl;
    if (ext == ".csv")
        return FileFormat::Csv;
    if (first == '[')
        return FileFormat::JsonArray;
    if (first == '{' || first == '\0')
        return FileFormat::Jsonl; // also .json files holding one object per line
    throw Error(std::string(sourceName) + ": cannot tell the format: expected a .jsonl, .json or .csv file, or "
                "content starting with '[' or '{', found '" + std::string(1, first) + "'");
}

std::vector<Record> parseDatasetCollecting(std::string_view content, std::string_view sourceName,
                                           const ReadOptions& options, const ParseHooks& hooks)
{
    checkFieldMap(options.fieldMap);
    const std::string name(sourceName);
    const std::string task = options.task.empty() ? stemOf(sourceName) : options.task;
    const FileFormat format = options.format == FileFormat::Auto ? detectFormat(content, sourceName) : options.format;
    if (content.substr(0, 3) == "\xEF\xBB\xBF")
        content.remove_prefix(3);
    switch (format) {
    case FileFormat::Jsonl:
        return parseJsonl(content, name, options, task, &hooks);
    case FileFormat::JsonArray:
        return parseJsonArray(content, name, options, task, &hooks);
    case FileFormat::Csv:
        return parseCsvRecords(content, name, options, task, &hooks);
    case FileFormat::Auto:
        break;
    }
    return {};
}

std::vector<Record> parseDataset(std::string_view content, std::string_view sourceName, const ReadOptions& options)
{
    return parseDatasetCollecting(content, sourceName, options, ParseHooks{});
}

std::vector<Record> readDataset(const std::string& path, const ReadOptions& options)
{
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        throw Error(path + ": expected a dataset file, found a folder");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(path + ": cannot open the dataset file");
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad())
        throw Error(path + ": read error");
    return parseDataset(buffer.str(), path, options);
}

std::string shapeName(RecordShape shape)
{
    switch (shape) {
    case RecordShape::Alpaca:
        return "alpaca";
    case RecordShape::Chat:
        return "chat";
    case RecordShape::PromptResponse:
        return "prompt-response";
    case RecordShape::Text:
        return "text";
    }
    return "?";
}

RecordShape shapeFromName(std::string_view name)
{
    for (RecordShape s : {RecordShape::Alpaca, RecordShape::Chat, RecordShape::PromptResponse, RecordShape::Text}) {
        if (shapeName(s) == name)
            return s;
    }
    throw Error("record shape: expected 'alpaca', 'chat', 'prompt-response' or 'text', found '" + std::string(name)
                + "'");
}

} // namespace tb::data
