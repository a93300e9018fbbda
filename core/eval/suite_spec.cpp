#include "eval/suite_spec.h"

#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/json_fields.h"
#include "data/template.h"
#include "eval/suite_internal.h"
#include "io/atomic_file.h"
#include "io/json_error.h"

namespace tb::eval {

using nlohmann::json;
namespace fs = std::filesystem;
namespace jf = tb::json_fields;
using namespace suite_detail;

namespace {

const TaskType kTypes[] = {TaskType::Generate, TaskType::MultipleChoice, TaskType::Classification,
                           TaskType::Perplexity};
const TaskFormat kFormats[] = {TaskFormat::Auto,     TaskFormat::MmluCsv,   TaskFormat::Hellaswag,
                               TaskFormat::Bigbench, TaskFormat::GlueJsonl, TaskFormat::GlueTsv};
const char* const kChoiceMetrics[] = {"accuracy", "accuracy_norm", "ece"};

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
    } catch (const json::exception& e) {
        throw Error(source + ": " + io::jsonErrorText(e, jsonText));
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

} // namespace tb::eval
