#include "train/run_config.h"

#include "common/error.h"
#include "common/json_fields.h"
#include "io/atomic_file.h"

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

} // namespace

RunConfig parseRunConfig(const json& j, const std::string& source, const std::string& baseDir)
{
    checkKeys(j, {"name", "model", "tokenizer", "data", "method", "training", "output_dir"}, source);
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
    try {
        j = json::parse(io::readFile(path));
    } catch (const json::parse_error& e) {
        throw Error(path + ": malformed JSON near byte " + std::to_string(e.byte));
    }
    return parseRunConfig(j, path, fs::absolute(path).parent_path().string());
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
