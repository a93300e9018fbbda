#pragma once
// Dataset files (JSONL, JSON arrays, CSV) read into records of one of four
// shapes. Every error names the file, the line and the field.
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tb::data {

enum class RecordShape {
    Alpaca,         // instruction, input (optional), output
    Chat,           // messages: [{role, content}], roles system/user/assistant
                    // (ShareGPT's {from, value} with human/gpt is read too)
    PromptResponse, // prompt, response (or completion)
    Text,           // text: raw text, loss on all of it
};

struct Message {
    std::string role; // "system", "user" or "assistant"
    std::string content;
};

struct Record {
    RecordShape shape = RecordShape::Text;
    std::string instruction; // Alpaca
    std::string input;       // Alpaca; may be empty
    std::string output;      // Alpaca
    std::vector<Message> messages; // Chat
    std::string prompt;      // PromptResponse
    std::string response;    // PromptResponse
    std::string text;        // Text
    std::string task;
    std::string origin; // "file:line", for errors raised after reading
};

enum class FileFormat {
    Auto, // by extension (.jsonl/.ndjson, .json, .csv), else by the first character
    Jsonl,
    JsonArray,
    Csv,
};

struct ReadOptions {
    FileFormat format = FileFormat::Auto;
    // Force one shape instead of detecting it per record.
    std::optional<RecordShape> shape;
    // Source field -> field the reader understands: instruction, input, output,
    // messages, prompt, response, completion, text, task. E.g.
    // {"question","prompt"}, {"answer","response"}, {"category","task"}.
    // "ignore" as the target hides a field (e.g. a 'text' column beside
    // 'prompt'/'response' that should not decide the shape).
    std::map<std::string, std::string> fieldMap;
    // Task of records without a task field. Empty: the file name without its
    // extension, so that each file is its own task by default.
    std::string task;
};

// Throws tb::Error: unreadable file, malformed line, missing field, wrong type.
std::vector<Record> readDataset(const std::string& path, const ReadOptions& options = {});

// The same on content in memory; SOURCENAME stands for the file in errors
// (and for the default task). With FileFormat::Auto, SOURCENAME's extension
// and then the first character decide.
std::vector<Record> parseDataset(std::string_view content, std::string_view sourceName,
                                 const ReadOptions& options = {});

// The format FileFormat::Auto resolves to: SOURCENAME's extension, then the
// first character. Throws tb::Error when neither tells.
FileFormat detectFormat(std::string_view content, std::string_view sourceName);

// One bad record met by parseDatasetCollecting.
struct RecordProblem {
    size_t line = 0;    // 1-based line where the record (or the syntax error) is
    std::string field;  // the field at fault, as named in the error; empty for the record as a whole
    std::string reason; // the error without its "file:line: field '...': " prefix
};

struct ParseHooks {
    // Each record's source field names, before any mapping, in file order.
    std::function<void(size_t line, const std::vector<std::string>& keys)> onKeys;
    // Set: a bad record is reported here and the parse goes on with the next
    // one. Errors that leave no next record to go on from (an unterminated
    // array or quoted CSV field, an unknown format) still throw tb::Error.
    std::function<void(const RecordProblem&)> onProblem;
};

// parseDataset with hooks (data/validate.h builds on it).
std::vector<Record> parseDatasetCollecting(std::string_view content, std::string_view sourceName,
                                           const ReadOptions& options, const ParseHooks& hooks);

// "alpaca", "chat", "prompt-response", "text"; the parse throws naming the choices.
std::string shapeName(RecordShape shape);
RecordShape shapeFromName(std::string_view name);

} // namespace tb::data
