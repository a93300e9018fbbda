#include "train/run_config.h"

#include "common/error.h"
#include "common/json_fields.h"
#include "io/atomic_file.h"
#include "io/json_error.h"
#include "train/validate.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>

namespace fs = std::filesystem;
using nlohmann::json;

namespace tb::train {

using json_fields::checkKeys;
using json_fields::read;

namespace {

std::string resolve(const std::string& path, const std::string& baseDir)
{
    if (path.empty() || baseDir.empty() || fs::path(path).is_absolute())
        return path;
    return (fs::path(baseDir) / path).lexically_normal().string();
}

std::vector<DataFile> readFiles(const json& j, const char* key, const std::string& where, const std::string& baseDir)
{
    std::vector<DataFile> out;
    auto it = j.find(key);
    if (it == j.end() || it->is_null())
        return out;
    if (!it->is_array())
        throw Error(where + "." + key + ": expected a list of files");
    for (size_t i = 0; i < it->size(); ++i) {
        const json& f = (*it)[i];
        const std::string w = where + "." + key + "[" + std::to_string(i) + "]";
        DataFile df;
        if (f.is_string()) {
            df.path = f.get<std::string>();
        } else {
            checkKeys(f, {"path", "task", "format", "fields"}, w);
            read(f, "path", df.path, w);
            read(f, "task", df.task, w);
            read(f, "format", df.format, w);
            read(f, "fields", df.fields, w);
        }
        if (df.path.empty())
            throw Error(w + ": missing 'path'");
        df.path = resolve(df.path, baseDir);
        out.push_back(df);
    }
    return out;
}

// nlohmann reads 2.5 into an integer setting as 2: refuse fractions instead
// (1e3 and 4.0 are whole numbers and stay accepted).
void requireWholeNumbers(const json& j, const std::string& source)
{
    static const char* const keys[] = {
        "/data/max_length", "/data/total", "/method/lora/rank", "/method/adapter/size",
        "/method/prompt_tuning/num_virtual_tokens", "/training/warmup_steps", "/training/max_steps",
        "/training/batch_size", "/training/grad_accumulation", "/training/eval_every", "/training/eval_batches",
        "/training/early_stopping_patience", "/training/checkpoint_every", "/training/seed", "/training/threads",
        "/training/sample_every", "/training/sample_max_new_tokens"};
    for (const char* key : keys) {
        const json* v = nullptr;
        try {
            v = &j.at(json::json_pointer(key));
        } catch (const json::exception&) {
            continue; // absent, or a parent of the wrong type: reported where that part is read
        }
        if (v->is_number_float() && v->get<double>() != std::floor(v->get<double>())) {
            std::string field = key + 1;
            std::replace(field.begin(), field.end(), '/', '.');
            throw Error(source + "." + field + ": expected a whole number, found " + v->dump());
        }
    }
}

} // namespace

RunConfig parseRunConfig(const json& j, const std::string& source, const std::string& baseDir)
{
    checkKeys(j, {"name", "model", "tokenizer", "data", "method", "training", "output_dir"}, source);
    requireWholeNumbers(j, source);
    RunConfig c;
    read(j, "name", c.name, source);
    read(j, "model", c.model, source);
    read(j, "tokenizer", c.tokenizer, source);
    read(j, "output_dir", c.outputDir, source);
    if (c.model.empty())
        throw Error(source + ": missing 'model' (a Hugging Face folder or a llama2.c .bin)");
    c.model = resolve(c.model, baseDir);
    c.tokenizer = resolve(c.tokenizer, baseDir);
    c.outputDir = resolve(c.outputDir, baseDir);
    if (c.name.empty())
        c.name = fs::path(c.model).filename().string() + "-run";

    auto data = j.find("data");
    if (data == j.end())
        throw Error(source + ": missing 'data' (at least data.train)");
    const std::string dw = source + ".data";
    checkKeys(*data, {"train", "validation", "validation_fraction", "template", "loss_on_prompt", "max_length",
                      "packing", "mixing", "temperature", "proportions", "total"},
              dw);
    c.data.train = readFiles(*data, "train", dw, baseDir);
    c.data.validation = readFiles(*data, "validation", dw, baseDir);
    if (c.data.train.empty())
        throw Error(dw + ".train: give at least one training file");
    read(*data, "validation_fraction", c.data.validationFraction, dw);
    read(*data, "template", c.data.templateName, dw);
    read(*data, "loss_on_prompt", c.data.lossOnPrompt, dw);
    read(*data, "max_length", c.data.maxLength, dw);
    read(*data, "packing", c.data.packing, dw);
    read(*data, "mixing", c.data.mixing, dw);
    read(*data, "temperature", c.data.temperature, dw);
    read(*data, "proportions", c.data.proportions, dw);
    read(*data, "total", c.data.total, dw);
    if (c.data.validationFraction < 0 || c.data.validationFraction >= 1)
        throw Error(dw + ".validation_fraction: expected a value in [0, 1)");
    if (c.data.maxLength < 2)
        throw Error(dw + ".max_length: expected at least 2");
    const std::set<std::string> templates = {"alpaca", "chatml", "plain"};
    if (!templates.count(c.data.templateName))
        throw Error(dw + ".template: '" + c.data.templateName + "' (expected alpaca, chatml or plain)");
    const std::set<std::string> mixings = {"natural", "proportions", "equal", "temperature"};
    if (!mixings.count(c.data.mixing))
        throw Error(dw + ".mixing: '" + c.data.mixing + "' (expected natural, proportions, equal or temperature)");

    c.method = peft::parseMethodConfig(j.value("method", json::object()), source + ".method");
    c.training = parseTrainConfig(j.value("training", json::object()), source + ".training");
    return c;
}

RunConfig readRunConfig(const std::string& path)
{
    json j;
    const std::string text = io::readFile(path);
    try {
        j = json::parse(text);
    } catch (const json::exception& e) {
        throw Error(path + ": " + io::jsonErrorText(e, text));
    }
    RunConfig c = parseRunConfig(j, path, fs::absolute(path).parent_path().string());
    // The rules the GUI shows beside its fields hold for a file too.
    const auto problems = validate(c);
    if (!problems.empty())
        throw Error(path + ": " + problems.front().key + ": " + problems.front().message);
    return c;
}

json toJson(const RunConfig& c)
{
    auto files = [](const std::vector<DataFile>& fs) {
        json out = json::array();
        for (const auto& f : fs)
            out.push_back({{"path", f.path}, {"task", f.task}, {"format", f.format}, {"fields", f.fields}});
        return out;
    };
    return {{"name", c.name},
            {"model", c.model},
            {"tokenizer", c.tokenizer},
            {"output_dir", c.outputDir},
            {"data",
             {{"train", files(c.data.train)},
              {"validation", files(c.data.validation)},
              {"validation_fraction", c.data.validationFraction},
              {"template", c.data.templateName},
              {"loss_on_prompt", c.data.lossOnPrompt},
              {"max_length", c.data.maxLength},
              {"packing", c.data.packing},
              {"mixing", c.data.mixing},
              {"temperature", c.data.temperature},
              {"proportions", c.data.proportions},
              {"total", c.data.total}}},
            {"method", peft::toJson(c.method)},
            {"training", toJson(c.training)}};
}

} // namespace tb::train
