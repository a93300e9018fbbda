#include "eval/suite.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/json_fields.h"
#include "data/csv.h"
#include "data/dataset.h"
#include "data/rng.h"
#include "data/template.h"
#include "eval/bleu.h"
#include "eval/chrf.h"
#include "eval/qa.h"
#include "eval/rouge.h"
#include "io/atomic_file.h"

namespace tb::eval {

using nlohmann::json;
namespace fs = std::filesystem;
namespace jf = tb::json_fields;

namespace {

const TaskType kTypes[] = {TaskType::Generate, TaskType::MultipleChoice, TaskType::Classification,
                           TaskType::Perplexity};
const TaskFormat kFormats[] = {TaskFormat::Auto,     TaskFormat::MmluCsv,   TaskFormat::Hellaswag,
                               TaskFormat::Bigbench, TaskFormat::GlueJsonl, TaskFormat::GlueTsv};
const char* const kPerturbations[] = {"contractions", "lowercase", "typos", "whitespace"};
const char* const kGenerateMetrics[] = {"accuracy", "bleu", "chrf", "exact_match", "f1", "rouge"};
const char* const kChoiceMetrics[] = {"accuracy", "accuracy_norm", "ece"};

template <typename Range>
std::string joinQuoted(const Range& names, const char* quote = "")
{
    std::string out;
    for (const auto& n : names)
        out += (out.empty() ? "" : ", ") + std::string(quote) + std::string(n) + quote;
    return out;
}

template <typename Range>
bool contains(const Range& names, const std::string& name)
{
    return std::find(std::begin(names), std::end(names), name) != std::end(names);
}

// The enum value whose name is `name`; the error lists every accepted name.
template <typename E, size_t N, typename NameOf>
E fromName(const std::string& name, const E (&values)[N], NameOf nameOf, const std::string& field)
{
    std::vector<std::string> names;
    for (E v : values) {
        if (nameOf(v) == name)
            return v;
        names.push_back(nameOf(v));
    }
    throw Error(field + ": expected one of " + joinQuoted(names) + " but found '" + name + "'");
}

bool isChoice(TaskType t)
{
    return t == TaskType::MultipleChoice || t == TaskType::Classification;
}

bool isGlue(TaskFormat f)
{
    return f == TaskFormat::GlueJsonl || f == TaskFormat::GlueTsv;
}

std::string resolvePath(const std::string& path, const std::string& baseDir)
{
    fs::path p(path);
    if (p.is_relative() && !baseDir.empty())
        p = fs::path(baseDir) / p;
    return p.lexically_normal().string();
}

std::string trim(const std::string& s)
{
    size_t b = 0;
    size_t e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b])))
        ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1])))
        --e;
    return s.substr(b, e - b);
}

// nlohmann's message without its "[json.exception.parse_error.101] " prefix.
std::string jsonReason(const json::exception& e)
{
    const std::string what = e.what();
    const size_t at = what.find("] ");
    return at == std::string::npos ? what : what.substr(at + 2);
}

// {name} slots of a prompt template, in order.
std::vector<std::string> templateSlots(const std::string& tmpl)
{
    std::vector<std::string> slots;
    size_t pos = 0;
    while ((pos = tmpl.find('{', pos)) != std::string::npos) {
        const size_t end = tmpl.find('}', pos);
        if (end == std::string::npos)
            break;
        slots.push_back(tmpl.substr(pos + 1, end - pos - 1));
        pos = end + 1;
    }
    return slots;
}

TaskSpec parseTask(const json& j, const std::string& where, const std::string& baseDir)
{
    jf::checkKeys(j,
                  {"name", "type", "format", "data", "dev", "shots", "limit", "fields", "template", "prompt",
                   "text_fields", "label_field", "verbalizers", "metrics", "max_new_tokens", "stop", "subject"},
                  where);
    TaskSpec t;
    jf::read(j, "name", t.name, where);
    if (t.name.empty())
        throw Error(where + ".name: required, a non-empty string");

    std::string format = "auto";
    jf::read(j, "format", format, where);
    t.format = fromName(format, kFormats, taskFormatName, where + ".format");

    // The type defaults to what the format's data is made for.
    std::string type;
    jf::read(j, "type", type, where);
    if (type.empty()) {
        t.type = t.format == TaskFormat::Auto || t.format == TaskFormat::Bigbench ? TaskType::Generate
                 : isGlue(t.format)                                              ? TaskType::Classification
                                                                                  : TaskType::MultipleChoice;
    } else {
        t.type = fromName(type, kTypes, taskTypeName, where + ".type");
    }
    if (t.type == TaskType::Perplexity && t.format != TaskFormat::Auto)
        throw Error(where + ".type: perplexity reads text records (format auto), found format '" + format + "'");

    jf::read(j, "data", t.data, where);
    if (t.data.empty())
        throw Error(where + ".data: required, the path of the task's data file");
    t.data = resolvePath(t.data, baseDir);
    jf::read(j, "dev", t.dev, where);
    if (!t.dev.empty())
        t.dev = resolvePath(t.dev, baseDir);

    jf::read(j, "shots", t.shots, where);
    if (t.shots < 0)
        throw Error(where + ".shots: expected 0 or more, found " + std::to_string(t.shots));
    if (t.shots > 0 && t.type == TaskType::Perplexity)
        throw Error(where + ".shots: perplexity tasks take no few-shot examples, found " + std::to_string(t.shots));
    jf::read(j, "limit", t.limit, where);
    if (t.limit < 0)
        throw Error(where + ".limit: expected 0 (all) or more, found " + std::to_string(t.limit));

    // Keys that only some formats read are refused elsewhere, so a typo in the
    // format does not silently drop the settings.
    const auto onlyFor = [&](const char* key, bool allowed, const std::string& which) {
        if (j.contains(key) && !j.at(key).is_null() && !allowed)
            throw Error(where + "." + key + ": only used " + which + ", found format '" + format + "' type '"
                        + taskTypeName(t.type) + "'");
    };
    onlyFor("fields", t.format == TaskFormat::Auto, "with format auto");
    onlyFor("template", t.format == TaskFormat::Auto, "with format auto");
    onlyFor("subject", t.format == TaskFormat::MmluCsv, "with format mmlu");
    onlyFor("prompt", isGlue(t.format), "with formats glue_jsonl and glue_tsv");
    onlyFor("text_fields", isGlue(t.format), "with formats glue_jsonl and glue_tsv");
    onlyFor("label_field", isGlue(t.format), "with formats glue_jsonl and glue_tsv");
    onlyFor("verbalizers", isGlue(t.format) || (t.format == TaskFormat::Auto && isChoice(t.type)),
            "with glue formats, or format auto with type classification or multiple_choice");
    onlyFor("max_new_tokens", t.type == TaskType::Generate, "by generate tasks");
    onlyFor("stop", t.type == TaskType::Generate, "by generate tasks");

    jf::read(j, "fields", t.fields, where);
    jf::read(j, "template", t.templateName, where);
    try {
        data::templateFromName(t.templateName);
    } catch (const Error& e) {
        throw Error(where + ".template: " + e.what());
    }
    jf::read(j, "prompt", t.prompt, where);
    jf::read(j, "text_fields", t.textFields, where);
    jf::read(j, "label_field", t.labelField, where);
    if (t.labelField.empty())
        throw Error(where + ".label_field: expected a field name, found an empty string");
    jf::read(j, "verbalizers", t.verbalizers, where);
    if (!t.prompt.empty() && templateSlots(t.prompt).empty())
        throw Error(where + ".prompt: expected {field} slots for the input, found none in '" + t.prompt + "'");
    if (isGlue(t.format) && t.textFields.empty() && templateSlots(t.prompt).empty())
        throw Error(where + ".text_fields: required for format '" + format
                    + "' (the fields that make the input), or a prompt with {field} slots");

    jf::read(j, "metrics", t.metrics, where);
    for (size_t i = 0; i < t.metrics.size(); ++i) {
        const std::string& m = t.metrics[i];
        const std::string at = where + ".metrics[" + std::to_string(i) + "]";
        if (t.type == TaskType::Generate && !contains(kGenerateMetrics, m))
            throw Error(at + ": expected one of " + joinQuoted(kGenerateMetrics) + " but found '" + m + "'");
        if (isChoice(t.type) && !contains(kChoiceMetrics, m))
            throw Error(at + ": expected one of " + joinQuoted(kChoiceMetrics) + " but found '" + m + "'");
        if (t.type == TaskType::Perplexity && m != "perplexity")
            throw Error(at + ": expected 'perplexity' but found '" + m + "'");
    }
    jf::read(j, "max_new_tokens", t.maxNewTokens, where);
    if (t.maxNewTokens < 1)
        throw Error(where + ".max_new_tokens: expected 1 or more, found " + std::to_string(t.maxNewTokens));
    jf::read(j, "stop", t.stop, where);
    jf::read(j, "subject", t.subject, where);
    return t;
}

// --- reading the benchmarks' layouts ----------------------------------------

// One example before the few-shot context is put in front of it. Its prompt
// block is head + input + tail; `shot` is the same example solved, for use
// as a few-shot example of others.
struct Item {
    std::string id;
    std::string origin;
    std::string head;
    std::string input;
    std::string tail;
    std::string shot;
    std::vector<std::string> references;
    std::vector<std::string> options;
    std::vector<double> optionScores;
    int64_t answer = -1;
};

struct Parsed {
    std::string instruction; // before everything (MMLU's subject line, BIG-bench's task_prefix)
    std::string separator;   // after each few-shot example
    std::vector<Item> items;
};

std::string fileNameOf(const std::string& path)
{
    return fs::path(path).filename().string();
}

// The right option gets 1, the others 0; the solved block ends with it.
void setAnswer(Item& item, int64_t answer)
{
    item.answer = answer;
    item.optionScores.assign(item.options.size(), 0.0);
    item.optionScores[size_t(answer)] = 1.0;
    item.shot = item.head + item.input + item.tail + item.options[size_t(answer)];
}

// Calls fn(object, "file:line") for every non-blank line.
template <typename Fn>
void forEachJsonLine(const std::string& path, Fn fn)
{
    const std::string text = io::readFile(path);
    size_t pos = 0;
    size_t line = 0;
    while (pos < text.size()) {
        ++line;
        size_t end = text.find('\n', pos);
        if (end == std::string::npos)
            end = text.size();
        const std::string content = text.substr(pos, end - pos);
        pos = end + 1;
        if (trim(content).empty())
            continue;
        const std::string where = path + ":" + std::to_string(line);
        json object;
        try {
            object = json::parse(content);
        } catch (const json::parse_error& e) {
            throw Error(where + ": invalid JSON at column " + std::to_string(e.byte) + ": " + jsonReason(e));
        }
        if (!object.is_object())
            throw Error(where + ": expected a JSON object, found " + object.type_name());
        fn(object, where, line);
    }
}

std::string requireString(const json& object, const std::string& key, const std::string& where)
{
    const auto it = object.find(key);
    if (it == object.end() || it->is_null())
        throw Error(where + ": " + key + ": missing");
    if (!it->is_string())
        throw Error(where + ": " + key + ": expected a string, found " + it->dump());
    return it->get<std::string>();
}

// MMLU's CSVs: no header; question, A, B, C, D, answer letter.
Parsed readMmlu(const TaskSpec& spec, const std::string& path)
{
    Parsed out;
    std::string subject = spec.subject;
    if (subject.empty()) {
        // "abstract_algebra_test.csv" -> "abstract algebra"
        std::string stem = fs::path(spec.data).stem().string();
        for (const char* split : {"_test", "_dev", "_val"}) {
            const std::string s(split);
            if (stem.size() > s.size() && stem.compare(stem.size() - s.size(), s.size(), s) == 0)
                stem.resize(stem.size() - s.size());
        }
        std::replace(stem.begin(), stem.end(), '_', ' ');
        subject = stem;
    }
    out.instruction = "The following are multiple choice questions (with answers) about " + subject + ".\n\n";
    out.separator = "\n\n";
    for (const data::CsvRow& row : data::parseCsv(io::readFile(path), path)) {
        const std::string where = path + ":" + std::to_string(row.line);
        if (row.fields.size() != 6)
            throw Error(where + ": expected 6 fields (question, A, B, C, D, answer) but found "
                        + std::to_string(row.fields.size()));
        const std::string letter = trim(row.fields[5]);
        if (letter.size() != 1 || letter[0] < 'A' || letter[0] > 'D')
            throw Error(where + ": answer: expected A, B, C or D but found '" + row.fields[5] + "'");
        Item item;
        item.id = std::to_string(row.line);
        item.origin = where;
        item.input = row.fields[0];
        for (int i = 0; i < 4; ++i) {
            const std::string letterI(1, char('A' + i));
            item.tail += "\n" + letterI + ". " + row.fields[size_t(i + 1)];
            item.options.push_back(" " + letterI);
        }
        item.tail += "\nAnswer:";
        setAnswer(item, letter[0] - 'A');
        out.items.push_back(std::move(item));
    }
    return out;
}

// HellaSwag's JSONL: ctx (or ctx_a + ctx_b), endings, label, activity_label.
Parsed readHellaswag(const std::string& path)
{
    Parsed out;
    out.separator = "\n\n";
    forEachJsonLine(path, [&](const json& o, const std::string& where, size_t line) {
        Item item;
        item.origin = where;
        item.id = o.contains("ind") && o.at("ind").is_number_integer() ? o.at("ind").dump() : std::to_string(line);
        if (o.contains("ctx") && !o.at("ctx").is_null()) {
            item.input = requireString(o, "ctx", where);
        } else {
            // The published ctx is ctx_a, a space, and ctx_b with a capital.
            item.input = requireString(o, "ctx_a", where);
            std::string b = requireString(o, "ctx_b", where);
            if (!b.empty()) {
                b[0] = char(std::toupper(static_cast<unsigned char>(b[0])));
                item.input += " " + b;
            }
        }
        if (o.contains("activity_label") && !o.at("activity_label").is_null())
            item.head = requireString(o, "activity_label", where) + ": ";
        const auto endings = o.find("endings");
        if (endings == o.end() || !endings->is_array() || endings->size() < 2)
            throw Error(where + ": endings: expected an array of at least 2 strings, found "
                        + (endings == o.end() ? std::string("nothing") : endings->dump()));
        for (size_t i = 0; i < endings->size(); ++i) {
            if (!(*endings)[i].is_string())
                throw Error(where + ": endings[" + std::to_string(i) + "]: expected a string, found "
                            + (*endings)[i].dump());
            item.options.push_back(" " + (*endings)[i].get<std::string>());
        }
        const auto label = o.find("label");
        int64_t answer = -1;
        if (label != o.end() && label->is_number_integer())
            answer = label->get<int64_t>();
        else if (label != o.end() && label->is_string()) {
            const std::string s = label->get<std::string>();
            if (!s.empty() && s.size() < 4
                && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
                answer = std::stoll(s);
        }
        if (answer < 0 || answer >= int64_t(item.options.size()))
            throw Error(where + ": label: expected an integer 0.." + std::to_string(item.options.size() - 1)
                        + " but found " + (label == o.end() ? std::string("nothing") : label->dump()));
        setAnswer(item, answer);
        out.items.push_back(std::move(item));
    });
    return out;
}

// BIG-bench's task.json. Examples with target_scores are multiple choice,
// examples with target are generative; as BIG-bench does, a task of one kind
// uses the examples that have what it needs and skips the others.
Parsed readBigbench(const TaskSpec& spec, const std::string& path)
{
    json task;
    try {
        task = json::parse(io::readFile(path));
    } catch (const json::parse_error& e) {
        throw Error(path + ": invalid JSON at byte " + std::to_string(e.byte) + ": " + jsonReason(e));
    }
    if (!task.is_object())
        throw Error(path + ": expected a BIG-bench task object, found " + task.type_name());
    const auto text = [&](const char* key, const std::string& fallback) {
        const auto it = task.find(key);
        if (it == task.end() || it->is_null())
            return fallback;
        if (!it->is_string())
            throw Error(path + ": " + key + ": expected a string, found " + it->dump());
        return it->get<std::string>();
    };
    Parsed out;
    out.instruction = text("task_prefix", "");
    out.separator = text("few_shot_example_separator", "");
    const std::string inputPrefix = text("example_input_prefix", "\nQ: ");
    const std::string outputPrefix = text("example_output_prefix", "\nA: ");
    const std::string choicePrefix = text("choice_prefix", "\n  choice: ");

    const auto examples = task.find("examples");
    if (examples == task.end() || !examples->is_array())
        throw Error(path + ": examples: expected an array of {input, target | target_scores}");
    const bool wantChoices = isChoice(spec.type);
    for (size_t i = 0; i < examples->size(); ++i) {
        const json& e = (*examples)[i];
        const std::string where = path + ": examples[" + std::to_string(i) + "]";
        if (!e.is_object())
            throw Error(where + ": expected an object, found " + e.type_name());
        Item item;
        item.id = std::to_string(i);
        item.origin = where;
        item.head = inputPrefix;
        item.input = requireString(e, "input", where);

        const auto target = e.find("target");
        if (target != e.end() && !target->is_null()) {
            if (target->is_string())
                item.references.push_back(target->get<std::string>());
            else if (target->is_array() && !target->empty()
                     && std::all_of(target->begin(), target->end(), [](const json& v) { return v.is_string(); }))
                item.references = target->get<std::vector<std::string>>();
            else
                throw Error(where + ": target: expected a string or a list of strings, found " + target->dump());
        }
        const auto scores = e.find("target_scores");
        std::vector<std::string> choices;
        if (scores != e.end() && !scores->is_null()) {
            if (!scores->is_object() || scores->size() < 2)
                throw Error(where + ": target_scores: expected an object {option: score} with 2 or more options, "
                            "found " + scores->dump());
            for (auto it = scores->begin(); it != scores->end(); ++it) {
                if (!it.value().is_number())
                    throw Error(where + ": target_scores." + it.key() + ": expected a number, found "
                                + it.value().dump());
                choices.push_back(it.key());
                item.options.push_back(it.key());
                item.optionScores.push_back(it.value().get<double>());
            }
        }
        if (wantChoices) {
            if (item.options.empty())
                continue;
            item.tail = choicePrefix.empty() ? outputPrefix : "";
            for (const auto& c : choices)
                item.tail += choicePrefix + c;
            if (!choicePrefix.empty())
                item.tail += outputPrefix;
            item.answer = std::max_element(item.optionScores.begin(), item.optionScores.end())
                          - item.optionScores.begin();
            item.shot = item.head + item.input + item.tail + item.options[size_t(item.answer)];
        } else {
            if (item.references.empty())
                continue;
            item.options.clear();
            item.optionScores.clear();
            item.tail = outputPrefix;
            item.shot = item.head + item.input + item.tail + item.references.front();
        }
        out.items.push_back(std::move(item));
    }
    if (out.items.empty())
        throw Error(path + ": examples: no example has " + (wantChoices ? "target_scores" : "target")
                    + ", which a " + taskTypeName(spec.type) + " task needs");
    return out;
}

// GLUE: records of named fields (JSONL objects or TSV with a header row).
Parsed readGlue(const TaskSpec& spec, const std::string& path)
{
    std::vector<std::string> slots = templateSlots(spec.prompt);
    std::string tmpl = spec.prompt;
    if (tmpl.empty()) {
        for (const auto& f : spec.textFields)
            tmpl += (tmpl.empty() ? "{" : "\n{") + f + "}";
        tmpl += "\nAnswer:";
        slots = spec.textFields;
    }
    // What perturbations change: from the first slot to the end of the last.
    const size_t first = tmpl.find('{');
    const size_t last = tmpl.rfind('}');

    std::vector<std::string> labels;
    for (const auto& [key, text] : spec.verbalizers)
        labels.push_back(key);

    struct Row {
        std::map<std::string, std::string> values;
        std::string label;
        std::string where;
        size_t line = 0;
    };
    std::vector<Row> rows;
    if (spec.format == TaskFormat::GlueJsonl) {
        forEachJsonLine(path, [&](const json& o, const std::string& where, size_t line) {
            Row r{{}, {}, where, line};
            for (const auto& s : slots)
                r.values[s] = requireString(o, s, where);
            const auto label = o.find(spec.labelField);
            if (label == o.end() || label->is_null())
                throw Error(where + ": " + spec.labelField + ": missing (the label field)");
            if (label->is_string())
                r.label = label->get<std::string>();
            else if (label->is_number_integer() || label->is_boolean())
                r.label = label->dump();
            else
                throw Error(where + ": " + spec.labelField + ": expected a string or an integer, found "
                            + label->dump());
            rows.push_back(std::move(r));
        });
    } else {
        const std::string text = io::readFile(path);
        std::vector<std::string> header;
        size_t pos = 0;
        size_t line = 0;
        while (pos < text.size()) {
            ++line;
            size_t end = text.find('\n', pos);
            if (end == std::string::npos)
                end = text.size();
            std::string content = text.substr(pos, end - pos);
            pos = end + 1;
            if (!content.empty() && content.back() == '\r')
                content.pop_back();
            if (trim(content).empty())
                continue;
            std::vector<std::string> cells;
            size_t from = 0;
            for (;;) {
                const size_t tab = content.find('\t', from);
                cells.push_back(content.substr(from, tab == std::string::npos ? std::string::npos : tab - from));
                if (tab == std::string::npos)
                    break;
                from = tab + 1;
            }
            const std::string where = path + ":" + std::to_string(line);
            if (header.empty()) {
                header = cells;
                for (const auto& s : slots)
                    if (!contains(header, s))
                        throw Error(where + ": header: expected a column '" + s + "', found " + joinQuoted(header, "'"));
                if (!contains(header, spec.labelField))
                    throw Error(where + ": header: expected the label column '" + spec.labelField + "', found "
                                + joinQuoted(header, "'"));
                continue;
            }
            if (cells.size() != header.size())
                throw Error(where + ": expected " + std::to_string(header.size()) + " tab-separated fields as in "
                            "the header, found " + std::to_string(cells.size()));
            Row r{{}, {}, where, line};
            for (size_t i = 0; i < header.size(); ++i) {
                if (header[i] == spec.labelField)
                    r.label = cells[i];
                else if (contains(slots, header[i]))
                    r.values[header[i]] = cells[i];
            }
            rows.push_back(std::move(r));
        }
    }
    if (labels.empty()) {
        // No verbalizers: the labels themselves are the answers.
        std::set<std::string> distinct;
        for (const auto& r : rows)
            distinct.insert(r.label);
        labels.assign(distinct.begin(), distinct.end());
    }

    Parsed out;
    out.separator = "\n\n";
    for (const Row& r : rows) {
        std::string block;
        size_t pos = 0;
        size_t inputStart = 0;
        size_t inputEnd = 0;
        while (pos < tmpl.size()) {
            const size_t open = tmpl.find('{', pos);
            const size_t close = open == std::string::npos ? std::string::npos : tmpl.find('}', open);
            if (close == std::string::npos) {
                block += tmpl.substr(pos);
                break;
            }
            block += tmpl.substr(pos, open - pos);
            if (open == first)
                inputStart = block.size();
            block += r.values.at(tmpl.substr(open + 1, close - open - 1));
            if (close == last)
                inputEnd = block.size();
            pos = close + 1;
        }
        Item item;
        item.id = std::to_string(r.line);
        item.origin = r.where;
        item.head = block.substr(0, inputStart);
        item.input = block.substr(inputStart, inputEnd - inputStart);
        item.tail = block.substr(inputEnd);
        for (const auto& l : labels)
            item.options.push_back(" " + (spec.verbalizers.empty() ? l : spec.verbalizers.at(l)));
        const auto found = std::find(labels.begin(), labels.end(), r.label);
        if (found == labels.end())
            throw Error(r.where + ": " + spec.labelField + ": expected one of " + joinQuoted(labels, "'")
                        + " (the verbalizers) but found '" + r.label + "'");
        setAnswer(item, found - labels.begin());
        out.items.push_back(std::move(item));
    }
    return out;
}

// Tunebench's own records through an instruction template.
Parsed readAuto(const TaskSpec& spec, const std::string& path)
{
    data::ReadOptions options;
    options.fieldMap = spec.fields;
    const auto records = data::readDataset(path, options);
    const data::TemplateKind kind = data::templateFromName(spec.templateName);

    std::vector<std::string> labels;      // choice tasks: verbalizer keys (or distinct responses)
    std::vector<std::string> labelTexts;  // what the options say
    const auto responseOf = [](const data::Record& r) -> std::string {
        switch (r.shape) {
        case data::RecordShape::Alpaca:
            return r.output;
        case data::RecordShape::PromptResponse:
            return r.response;
        case data::RecordShape::Chat:
            for (const auto& m : r.messages)
                if (m.role == "assistant")
                    return m.content;
            throw Error(r.origin + ": messages: no assistant turn to compare with");
        case data::RecordShape::Text:
            break;
        }
        throw Error(r.origin + ": a text record has no response to compare with; use type perplexity, or "
                    "prompt/response records");
    };
    if (isChoice(spec.type)) {
        if (!spec.verbalizers.empty()) {
            for (const auto& [key, text] : spec.verbalizers) {
                labels.push_back(key);
                labelTexts.push_back(text);
            }
        } else {
            std::set<std::string> distinct;
            for (const auto& r : records)
                distinct.insert(responseOf(r));
            labels.assign(distinct.begin(), distinct.end());
            labelTexts = labels;
        }
    }

    Parsed out;
    out.separator = "\n\n";
    for (const data::Record& r : records) {
        Item item;
        item.origin = r.origin;
        const size_t colon = r.origin.rfind(':');
        item.id = colon == std::string::npos ? r.origin : r.origin.substr(colon + 1);
        if (spec.type == TaskType::Perplexity) {
            std::string textAll;
            for (const auto& s : data::renderRecord(r, kind))
                textAll += s.text;
            item.references.push_back(textAll);
            out.items.push_back(std::move(item));
            continue;
        }
        const std::string response = responseOf(r);
        const std::string prompt = data::renderPrompt(r, kind);
        std::string input;
        switch (r.shape) {
        case data::RecordShape::Alpaca:
            input = r.input.empty() ? r.instruction : r.input;
            break;
        case data::RecordShape::PromptResponse:
            input = r.prompt;
            break;
        case data::RecordShape::Chat:
            for (const auto& m : r.messages)
                if (m.role == "user") {
                    input = m.content;
                    break;
                }
            break;
        case data::RecordShape::Text:
            break;
        }
        const size_t at = input.empty() ? std::string::npos : prompt.rfind(input);
        if (at == std::string::npos) {
            item.head = prompt;
        } else {
            item.head = prompt.substr(0, at);
            item.input = input;
            item.tail = prompt.substr(at + input.size());
        }
        for (const auto& s : data::renderRecord(r, kind))
            item.shot += s.text;
        if (isChoice(spec.type)) {
            item.options = labelTexts;
            auto found = std::find(labels.begin(), labels.end(), response);
            if (found == labels.end())
                found = std::find(labelTexts.begin(), labelTexts.end(), response) - labelTexts.begin()
                        + labels.begin();
            if (found == labels.end())
                throw Error(r.origin + ": response: expected one of " + joinQuoted(labels, "'")
                            + " (the verbalizers) but found '" + response + "'");
            item.answer = found - labels.begin();
            item.optionScores.assign(item.options.size(), 0.0);
            item.optionScores[size_t(item.answer)] = 1.0;
        } else {
            item.references.push_back(response);
        }
        out.items.push_back(std::move(item));
    }
    return out;
}

Parsed readTaskFile(const TaskSpec& spec, const std::string& path)
{
    switch (spec.format) {
    case TaskFormat::Auto:
        return readAuto(spec, path);
    case TaskFormat::MmluCsv:
        return readMmlu(spec, path);
    case TaskFormat::Hellaswag:
        return readHellaswag(path);
    case TaskFormat::Bigbench:
        return readBigbench(spec, path);
    case TaskFormat::GlueJsonl:
    case TaskFormat::GlueTsv:
        return readGlue(spec, path);
    }
    return {};
}

// --- perturbations -----------------------------------------------------------

bool isAsciiLetter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

std::string perturbContractions(const std::string& text)
{
    // Lowercase phrase -> contraction; the first letter's case is kept.
    static const std::pair<const char*, const char*> kPairs[] = {
        {"are not", "aren't"},   {"cannot", "can't"},       {"could not", "couldn't"}, {"did not", "didn't"},
        {"does not", "doesn't"}, {"do not", "don't"},       {"had not", "hadn't"},     {"has not", "hasn't"},
        {"have not", "haven't"}, {"he is", "he's"},         {"i am", "I'm"},           {"i have", "I've"},
        {"i will", "I'll"},      {"is not", "isn't"},       {"it is", "it's"},         {"let us", "let's"},
        {"she is", "she's"},     {"should not", "shouldn't"}, {"that is", "that's"},   {"they are", "they're"},
        {"was not", "wasn't"},   {"we are", "we're"},       {"were not", "weren't"},   {"will not", "won't"},
        {"would not", "wouldn't"}, {"you are", "you're"},
    };
    std::string out;
    size_t i = 0;
    while (i < text.size()) {
        const bool wordStart = i == 0 || !isAsciiLetter(text[i - 1]);
        bool replaced = false;
        if (wordStart && isAsciiLetter(text[i])) {
            for (const auto& [phrase, contraction] : kPairs) {
                const size_t n = std::char_traits<char>::length(phrase);
                if (i + n > text.size() || (i + n < text.size() && isAsciiLetter(text[i + n])))
                    continue;
                bool same = true;
                for (size_t k = 0; k < n && same; ++k)
                    same = std::tolower(static_cast<unsigned char>(text[i + k])) == phrase[k];
                if (!same)
                    continue;
                std::string c = contraction;
                if (std::isupper(static_cast<unsigned char>(text[i])))
                    c[0] = char(std::toupper(static_cast<unsigned char>(c[0])));
                out += c;
                i += n;
                replaced = true;
                break;
            }
        }
        if (!replaced)
            out += text[i++];
    }
    return out;
}

std::string perturbWhitespace(const std::string& text, uint64_t seed)
{
    // Every run of spaces and tabs becomes 1 to 3 spaces; line breaks stay.
    data::Rng rng(seed);
    std::string out;
    size_t i = 0;
    while (i < text.size()) {
        if (text[i] == ' ' || text[i] == '\t') {
            while (i < text.size() && (text[i] == ' ' || text[i] == '\t'))
                ++i;
            out.append(size_t(1 + rng.below(3)), ' ');
        } else {
            out += text[i++];
        }
    }
    return out;
}

std::string perturbTypos(const std::string& text, uint64_t seed)
{
    // About one word in ten (ASCII letter runs of 2+) gets two neighbouring
    // letters swapped.
    data::Rng rng(seed);
    std::string out = text;
    size_t i = 0;
    while (i < out.size()) {
        if (!isAsciiLetter(out[i])) {
            ++i;
            continue;
        }
        size_t end = i;
        while (end < out.size() && isAsciiLetter(out[end]))
            ++end;
        if (end - i >= 2 && rng.below(10) == 0) {
            const size_t at = i + size_t(rng.below(end - i - 1));
            std::swap(out[at], out[at + 1]);
        }
        i = end;
    }
    return out;
}

uint64_t fnv1a(const std::string& s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : s) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    return h;
}

} // namespace

std::string taskTypeName(TaskType type)
{
    switch (type) {
    case TaskType::Generate:
        return "generate";
    case TaskType::MultipleChoice:
        return "multiple_choice";
    case TaskType::Classification:
        return "classification";
    case TaskType::Perplexity:
        return "perplexity";
    }
    return "?";
}

std::string taskFormatName(TaskFormat format)
{
    switch (format) {
    case TaskFormat::Auto:
        return "auto";
    case TaskFormat::MmluCsv:
        return "mmlu";
    case TaskFormat::Hellaswag:
        return "hellaswag";
    case TaskFormat::Bigbench:
        return "bigbench";
    case TaskFormat::GlueJsonl:
        return "glue_jsonl";
    case TaskFormat::GlueTsv:
        return "glue_tsv";
    }
    return "?";
}

SuiteSpec parseSuite(const std::string& jsonText, const std::string& source, const std::string& baseDir)
{
    json j;
    try {
        j = json::parse(jsonText);
    } catch (const json::parse_error& e) {
        throw Error(source + ": invalid JSON at byte " + std::to_string(e.byte) + ": " + jsonReason(e));
    }
    const std::string where = source + ":";
    // checkKeys/read join "where" and the key with '.', so the top level
    // reads "suite.json: name" through a small prefix of our own.
    const auto at = [&](const std::string& path) { return source + ": " + path; };
    if (!j.is_object())
        throw Error(where + " expected a suite object {name, tasks}, found " + j.type_name());
    for (auto it = j.begin(); it != j.end(); ++it)
        if (it.key() != "name" && it.key() != "description" && it.key() != "tasks" && it.key() != "helm")
            throw Error(at(it.key()) + ": unknown key (expected one of: description, helm, name, tasks)");

    SuiteSpec suite;
    if (!j.contains("name") || !j.at("name").is_string() || j.at("name").get<std::string>().empty())
        throw Error(at("name") + ": required, a non-empty string"
                    + (j.contains("name") ? ", found " + j.at("name").dump() : std::string()));
    suite.name = j.at("name").get<std::string>();
    if (j.contains("description") && !j.at("description").is_null()) {
        if (!j.at("description").is_string())
            throw Error(at("description") + ": expected a string, found " + j.at("description").dump());
        suite.description = j.at("description").get<std::string>();
    }
    const auto tasks = j.find("tasks");
    if (tasks == j.end() || !tasks->is_array() || tasks->empty())
        throw Error(at("tasks") + ": required, an array of at least one task"
                    + (tasks == j.end() ? std::string() : ", found " + tasks->dump()));
    std::set<std::string> names;
    for (size_t i = 0; i < tasks->size(); ++i) {
        const std::string w = at("tasks[" + std::to_string(i) + "]");
        TaskSpec t = parseTask((*tasks)[i], w, baseDir);
        if (!names.insert(t.name).second)
            throw Error(w + ".name: '" + t.name + "' is already the name of another task; task names must be unique");
        suite.tasks.push_back(std::move(t));
    }

    const auto helm = j.find("helm");
    if (helm != j.end() && !helm->is_null()) {
        const std::string w = at("helm");
        jf::checkKeys(*helm, {"perturbations", "calibration_bins", "seed"}, w);
        HelmOptions h;
        jf::read(*helm, "perturbations", h.perturbations, w);
        for (size_t i = 0; i < h.perturbations.size(); ++i)
            if (!contains(kPerturbations, h.perturbations[i]))
                throw Error(w + ".perturbations[" + std::to_string(i) + "]: expected one of "
                            + joinQuoted(kPerturbations) + " but found '" + h.perturbations[i] + "'");
        jf::read(*helm, "calibration_bins", h.calibrationBins, w);
        if (h.calibrationBins < 1)
            throw Error(w + ".calibration_bins: expected 1 or more, found " + std::to_string(h.calibrationBins));
        if (helm->contains("seed") && !helm->at("seed").is_null() && !helm->at("seed").is_number_unsigned())
            throw Error(w + ".seed: expected a non-negative integer, found " + helm->at("seed").dump());
        jf::read(*helm, "seed", h.seed, w);
        suite.helm = h;
    }
    suite.path = source;
    return suite;
}

SuiteSpec readSuite(const std::string& path)
{
    const std::string absolute = fs::absolute(path).lexically_normal().string();
    SuiteSpec suite = parseSuite(io::readFile(path), path, fs::path(absolute).parent_path().string());
    suite.path = absolute;
    return suite;
}

TaskData loadTask(const TaskSpec& spec)
{
    TaskData task;
    task.spec = spec;
    if (!spec.metrics.empty())
        task.metrics = spec.metrics;
    else if (spec.type == TaskType::Generate)
        task.metrics = {"rouge", "bleu", "chrf", "exact_match", "f1"};
    else if (spec.type == TaskType::Perplexity)
        task.metrics = {"perplexity"};
    else
        task.metrics = {"accuracy", "accuracy_norm", "ece"};

    Parsed data = readTaskFile(spec, spec.data);
    if (data.items.empty())
        throw Error(spec.data + ": no examples in the file");
    std::vector<Item> devItems;
    if (!spec.dev.empty() && spec.shots > 0) {
        devItems = readTaskFile(spec, spec.dev).items;
        if (int64_t(devItems.size()) < spec.shots)
            throw Error(spec.dev + ": shots: " + std::to_string(spec.shots) + " few-shot examples asked for but the "
                        "file has " + std::to_string(devItems.size()));
    } else if (spec.shots > 0 && int64_t(data.items.size()) <= spec.shots) {
        throw Error(spec.data + ": shots: " + std::to_string(spec.shots) + " few-shot examples asked for but the file "
                    "has " + std::to_string(data.items.size()) + " examples; each needs " + std::to_string(spec.shots)
                    + " others (or give a dev file)");
    }

    const size_t count =
        spec.limit > 0 ? std::min(data.items.size(), size_t(spec.limit)) : data.items.size();
    task.examples.reserve(count);
    for (size_t i = 0; i < count; ++i) {
        const Item& item = data.items[i];
        EvalExample ex;
        ex.id = item.id;
        ex.origin = item.origin;
        ex.prompt = data.instruction;
        // The first `shots` examples of the pool that are not this one.
        int taken = 0;
        const std::vector<Item>& pool = spec.dev.empty() ? data.items : devItems;
        for (size_t k = 0; k < pool.size() && taken < spec.shots; ++k) {
            if (spec.dev.empty() && k == i)
                continue;
            ex.prompt += pool[k].shot + data.separator;
            ++taken;
        }
        ex.prompt += item.head;
        ex.inputOffset = int64_t(ex.prompt.size());
        ex.prompt += item.input + item.tail;
        ex.input = item.input;
        ex.references = item.references;
        ex.options = item.options;
        ex.optionScores = item.optionScores;
        ex.answer = item.answer;
        // Generation over a choice format: the right option's text is the answer.
        if (spec.type == TaskType::Generate && ex.references.empty() && ex.answer >= 0) {
            ex.references = {trim(ex.options[size_t(ex.answer)])};
            ex.options.clear();
            ex.optionScores.clear();
            ex.answer = -1;
        }
        task.examples.push_back(std::move(ex));
    }
    return task;
}

std::string perturb(const std::string& text, const std::string& perturbation, uint64_t seed)
{
    if (perturbation == "lowercase") {
        std::string out = text;
        for (char& c : out)
            if (c >= 'A' && c <= 'Z')
                c = char(c - 'A' + 'a');
        return out;
    }
    if (perturbation == "whitespace")
        return perturbWhitespace(text, seed);
    if (perturbation == "typos")
        return perturbTypos(text, seed);
    if (perturbation == "contractions")
        return perturbContractions(text);
    throw Error("perturbation: expected one of " + joinQuoted(kPerturbations) + " but found '" + perturbation + "'");
}

EvalExample perturbExample(const EvalExample& example, const std::string& perturbation, uint64_t seed)
{
    EvalExample out = example;
    // Each example draws its own stream, so typos do not fall on the same
    // word positions in every prompt.
    const std::string changed = perturb(example.input, perturbation, data::deriveSeed(seed, fnv1a(example.id)));
    if (example.input.empty())
        return out;
    size_t at = std::string::npos;
    if (example.inputOffset >= 0 && size_t(example.inputOffset) + example.input.size() <= example.prompt.size()
        && example.prompt.compare(size_t(example.inputOffset), example.input.size(), example.input) == 0)
        at = size_t(example.inputOffset);
    else
        at = example.prompt.rfind(example.input);
    if (at == std::string::npos)
        throw Error(example.origin + ": cannot perturb the example: its input is not part of its prompt");
    out.prompt = example.prompt.substr(0, at) + changed + example.prompt.substr(at + example.input.size());
    out.input = changed;
    out.inputOffset = int64_t(at);
    return out;
}

// --- scoring -----------------------------------------------------------------

namespace {

void checkMetric(const std::string& m)
{
    if (!contains(kGenerateMetrics, m))
        throw Error("metric: expected one of " + joinQuoted(kGenerateMetrics) + " but found '" + m + "'");
}

// Strict string equality after trimming, unlike SQuAD's normalised exact match.
double accuracyOf(const std::string& output, const std::vector<std::string>& references)
{
    const std::string o = trim(output);
    for (const auto& r : references)
        if (trim(r) == o)
            return 1;
    return 0;
}

} // namespace

std::map<std::string, double> scoreGeneration(const std::string& output, const std::vector<std::string>& references,
                                              const std::vector<std::string>& metrics)
{
    if (references.empty())
        throw Error("scoreGeneration: expected at least one reference, found none");
    std::map<std::string, double> out;
    for (const auto& m : metrics) {
        checkMetric(m);
        if (m == "rouge") {
            const RougeScores r = rougeScoreMulti(references, output);
            out["rouge1"] = r.rouge1.fmeasure;
            out["rouge2"] = r.rouge2.fmeasure;
            out["rougeL"] = r.rougeL.fmeasure;
            out["rougeLsum"] = r.rougeLsum.fmeasure;
        } else if (m == "bleu") {
            out["bleu"] = sentenceBleu(output, references).score;
        } else if (m == "chrf") {
            out["chrf"] = sentenceChrf(output, references).score;
        } else if (m == "exact_match") {
            out["exact_match"] = squadExactMatchMax(output, references);
        } else if (m == "f1") {
            out["f1"] = squadF1Max(output, references);
        } else if (m == "accuracy") {
            out["accuracy"] = accuracyOf(output, references);
        }
    }
    return out;
}

std::map<std::string, double> scoreCorpus(const std::vector<std::string>& outputs,
                                          const std::vector<std::vector<std::string>>& references,
                                          const std::vector<std::string>& metrics)
{
    if (outputs.size() != references.size())
        throw Error("scoreCorpus: " + std::to_string(outputs.size()) + " outputs but "
                    + std::to_string(references.size()) + " reference lists");
    for (size_t i = 0; i < references.size(); ++i)
        if (references[i].empty())
            throw Error("scoreCorpus: output " + std::to_string(i) + " has no reference");
    std::map<std::string, double> out;
    const double n = double(outputs.size());
    for (const auto& m : metrics) {
        checkMetric(m);
        if (m == "rouge") {
            std::vector<RougeScores> each;
            for (size_t i = 0; i < outputs.size(); ++i)
                each.push_back(rougeScoreMulti(references[i], outputs[i]));
            const RougeScores mean = each.empty() ? RougeScores{} : rougeMean(each);
            out["rouge1"] = mean.rouge1.fmeasure;
            out["rouge2"] = mean.rouge2.fmeasure;
            out["rougeL"] = mean.rougeL.fmeasure;
            out["rougeLsum"] = mean.rougeLsum.fmeasure;
        } else if (m == "bleu") {
            out["bleu"] = outputs.empty() ? 0.0 : corpusBleu(outputs, references).score;
        } else if (m == "chrf") {
            out["chrf"] = outputs.empty() ? 0.0 : corpusChrf(outputs, references).score;
        } else {
            double sum = 0;
            for (size_t i = 0; i < outputs.size(); ++i)
                sum += m == "exact_match" ? squadExactMatchMax(outputs[i], references[i])
                       : m == "f1"        ? squadF1Max(outputs[i], references[i])
                                          : accuracyOf(outputs[i], references[i]);
            out[m] = outputs.empty() ? 0.0 : sum / n;
        }
    }
    return out;
}

ChoiceScores scoreChoice(const EvalExample& example, const ChoiceResult& result)
{
    const size_t n = result.logprobs.size();
    if (n == 0 || result.tokens.size() != n || (!example.options.empty() && example.options.size() != n))
        throw Error(example.origin + ": scoreChoice: expected one log-probability and token count per option ("
                    + std::to_string(example.options.size()) + " options), found " + std::to_string(n)
                    + " log-probabilities and " + std::to_string(result.tokens.size()) + " token counts");
    ChoiceScores s;
    s.predicted = 0;
    s.predictedNorm = 0;
    const auto norm = [&](size_t i) { return result.logprobs[i] / double(std::max<int64_t>(result.tokens[i], 1)); };
    for (size_t i = 1; i < n; ++i) {
        if (result.logprobs[i] > result.logprobs[size_t(s.predicted)])
            s.predicted = int64_t(i);
        if (norm(i) > norm(size_t(s.predictedNorm)))
            s.predictedNorm = int64_t(i);
    }
    const auto correctAt = [&](int64_t i) {
        if (example.optionScores.size() == n)
            return example.optionScores[size_t(i)];
        return i == example.answer ? 1.0 : 0.0;
    };
    s.correct = correctAt(s.predicted);
    s.correctNorm = correctAt(s.predictedNorm);
    // softmax at the maximum: 1 / sum_j exp(l_j - l_max), stable for any scale.
    const double top = result.logprobs[size_t(s.predicted)];
    if (!std::isfinite(top)) {
        s.confidence = 1.0 / double(n); // every option impossible (or NaN): no preference
        return s;
    }
    double sum = 0;
    for (double l : result.logprobs)
        sum += std::exp(l - top);
    s.confidence = 1.0 / sum;
    return s;
}

double expectedCalibrationError(const std::vector<double>& confidence, const std::vector<double>& correct, int bins)
{
    if (confidence.size() != correct.size())
        throw Error("expected calibration error: " + std::to_string(confidence.size()) + " confidences but "
                    + std::to_string(correct.size()) + " correctness values");
    if (bins < 1)
        throw Error("expected calibration error: bins: expected 1 or more, found " + std::to_string(bins));
    if (confidence.empty())
        return 0;
    std::vector<double> conf(size_t(bins), 0.0);
    std::vector<double> acc(size_t(bins), 0.0);
    std::vector<double> count(size_t(bins), 0.0);
    for (size_t i = 0; i < confidence.size(); ++i) {
        // [k/bins, (k+1)/bins), with 1.0 in the last bin.
        if (!std::isfinite(confidence[i]))
            throw Error("expected calibration error: confidence " + std::to_string(i) + " is not a number");
        const double c = std::clamp(confidence[i], 0.0, 1.0);
        const int b = std::min(int(c * bins), bins - 1);
        conf[size_t(b)] += c;
        acc[size_t(b)] += correct[i];
        count[size_t(b)] += 1;
    }
    double ece = 0;
    for (size_t b = 0; b < size_t(bins); ++b)
        if (count[b] > 0)
            ece += count[b] / double(confidence.size()) * std::abs(acc[b] / count[b] - conf[b] / count[b]);
    return ece;
}

} // namespace tb::eval
