#include "eval/suite_readers.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>
#include <utility>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "data/csv.h"
#include "data/dataset.h"
#include "data/template.h"
#include "eval/suite_internal.h"
#include "io/atomic_file.h"
#include "io/json_error.h"

namespace tb::eval::suite_detail {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// The right option gets 1, the others 0; the solved block ends with it.
void setAnswer(Item& item, int64_t answer)
{
    item.answer = answer;
    item.optionScores.assign(item.options.size(), 0.0);
    item.optionScores[size_t(answer)] = 1.0;
    item.shot = item.head + item.input + item.tail + item.options[size_t(answer)];
}

// Calls fn(content, line) for every non-blank line of the file (numbered
// from 1); the content keeps any '\r' of a CRLF file.
template <typename Fn>
void forEachLine(const std::string& path, Fn fn)
{
    const std::string text = io::readFile(path);
    size_t pos = 0;
    size_t line = 0;
    while (pos < text.size()) {
        ++line;
        size_t end = text.find('\n', pos);
        if (end == std::string::npos)
            end = text.size();
        std::string content = text.substr(pos, end - pos);
        pos = end + 1;
        if (!trim(content).empty())
            fn(std::move(content), line);
    }
}

// Calls fn(object, "file:line", line) for every non-blank line.
template <typename Fn>
void forEachJsonLine(const std::string& path, Fn fn)
{
    forEachLine(path, [&](const std::string& content, size_t line) {
        const std::string where = path + ":" + std::to_string(line);
        json object;
        try {
            object = json::parse(content);
        } catch (const json::parse_error& e) {
            throw Error(where + ": invalid JSON at column " + std::to_string(e.byte) + ": " + jsonReason(e));
        } catch (const json::exception& e) {
            throw Error(where + ": " + io::jsonErrorText(e, content));
        }
        if (!object.is_object())
            throw Error(where + ": expected a JSON object, found " + object.type_name());
        fn(object, where, line);
    });
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
    const std::string content = io::readFile(path);
    try {
        task = json::parse(content);
    } catch (const json::parse_error& e) {
        throw Error(path + ": invalid JSON at byte " + std::to_string(e.byte) + ": " + jsonReason(e));
    } catch (const json::exception& e) {
        throw Error(path + ": " + io::jsonErrorText(e, content));
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
        std::vector<std::string> header;
        forEachLine(path, [&](std::string content, size_t line) {
            if (!content.empty() && content.back() == '\r')
                content.pop_back();
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
                return;
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
        });
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

} // namespace

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

} // namespace tb::eval::suite_detail
