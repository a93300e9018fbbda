#include "engine/model_card.h"

#include "common/version.h"
#include "io/atomic_file.h"
#include "train/run_config.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <sstream>

namespace fs = std::filesystem;
using nlohmann::json;

namespace tb::engine {

namespace {

// A YAML scalar: JSON strings are valid YAML and need no other escaping.
std::string yamlString(const std::string& text)
{
    return json(text).dump();
}

// The Hub id a Hugging Face folder was saved from (config.json's
// _name_or_path when it is "owner/name"), else the folder's own name.
std::string baseModelName(const std::string& modelPath)
{
    const fs::path config = fs::path(modelPath) / "config.json";
    if (fs::is_regular_file(config)) {
        try {
            const json j = json::parse(io::readFile(config.string()));
            const std::string id = j.value("_name_or_path", "");
            if (std::count(id.begin(), id.end(), '/') == 1 && id.front() != '/' && id.front() != '.')
                return id;
        } catch (const std::exception&) {
            // An unreadable config leaves the folder name.
        }
    }
    const fs::path p = fs::path(modelPath).lexically_normal();
    return (p.has_filename() ? p.filename() : p.parent_path().filename()).string();
}

// "license: X" from the front matter of the base model's own README.md.
std::string baseLicense(const std::string& modelPath)
{
    const fs::path readme = fs::path(modelPath) / "README.md";
    if (!fs::is_regular_file(readme))
        return {};
    std::istringstream in(io::readFile(readme.string()));
    std::string line;
    if (!std::getline(in, line) || line != "---")
        return {};
    while (std::getline(in, line) && line != "---") {
        if (line.rfind("license:", 0) == 0) {
            std::string value = line.substr(8);
            value.erase(0, value.find_first_not_of(" \"'"));
            value.erase(value.find_last_not_of(" \"'\r") + 1);
            return value;
        }
    }
    return {};
}

std::string libraryName(ModelCardKind kind)
{
    switch (kind) {
    case ModelCardKind::Adapter:
        return "peft";
    case ModelCardKind::Merged:
        return "transformers";
    case ModelCardKind::Gguf:
    case ModelCardKind::GgufAdapter:
        return "gguf";
    }
    return {};
}

std::string cell(const json& value)
{
    std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    for (size_t at = text.find('|'); at != std::string::npos; at = text.find('|', at + 2))
        text.replace(at, 1, "\\|");
    return text;
}

std::string number(double value)
{
    std::ostringstream out;
    out.precision(6);
    out << value;
    return out.str();
}

void frontMatter(std::ostream& out, const store::Run& run, const train::RunConfig& config, ModelCardKind kind)
{
    out << "---\n";
    out << "base_model: " << yamlString(baseModelName(config.model)) << "\n";
    out << "library_name: " << libraryName(kind) << "\n";
    if (const std::string license = baseLicense(config.model); !license.empty())
        out << "license: " << yamlString(license) << "\n";
    out << "tags:\n- tunebench\n- " << yamlString(run.method) << "\n";
    if (kind == ModelCardKind::Gguf || kind == ModelCardKind::GgufAdapter)
        out << "- gguf\n";
    out << "---\n\n";
}

void usage(std::ostream& out, ModelCardKind kind)
{
    switch (kind) {
    case ModelCardKind::Adapter:
        out << "A PEFT adapter (`adapter_config.json`, `adapter_model.safetensors`) for the base model.\n\n";
        break;
    case ModelCardKind::Merged:
        out << "A Hugging Face model folder with the fine-tuned weights merged in.\n\n";
        break;
    case ModelCardKind::Gguf:
        out << "A GGUF file for llama.cpp (`llama-cli -m FILE.gguf`) and Ollama "
               "(`ollama create NAME -f Modelfile`, with the Modelfile beside it).\n\n";
        break;
    case ModelCardKind::GgufAdapter:
        out << "A GGUF LoRA adapter for llama.cpp (`llama-cli -m BASE.gguf --lora ADAPTER.gguf`) and Ollama "
               "(the Modelfile beside it names both files).\n\n";
        break;
    }
}

void hyperparameters(std::ostream& out, const train::RunConfig& config)
{
    out << "## Training\n\n| setting | value |\n|---|---|\n";
    out << "| method | " << peft::methodName(config.method.method) << " |\n";
    const json method = peft::toJson(config.method);
    const std::string section = peft::methodName(config.method.method);
    if (method.contains(section))
        for (const auto& [key, value] : method.at(section).items())
            out << "| " << section << "." << key << " | " << cell(value) << " |\n";
    const json training = train::toJson(config.training);
    for (const char* key : {"optimizer", "learning_rate", "schedule", "warmup_steps", "max_steps", "batch_size",
                            "grad_accumulation", "weight_decay", "clip_norm", "precision", "seed"})
        out << "| " << key << " | " << cell(training.at(key)) << " |\n";
    out << "| template | " << config.data.templateName << " |\n";
    out << "| max_length | " << config.data.maxLength << " |\n";
    for (const auto& file : config.data.train)
        out << "| training data | " << cell(fs::path(file.path).filename().string()) << " |\n";
    out << "\n";
}

void finalLosses(std::ostream& out, const store::RunStore& store, int64_t runId)
{
    std::vector<store::MetricPoint> last;
    for (const std::string& name : store.metricNames(runId)) {
        if (name.find("loss") == std::string::npos)
            continue;
        const auto series = store.metrics(runId, name);
        if (!series.empty())
            last.push_back(series.back());
    }
    if (last.empty())
        return;
    out << "### Final losses\n\n| metric | step | value |\n|---|---|---|\n";
    for (const auto& p : last)
        out << "| " << p.name << " | " << p.step << " | " << number(p.value) << " |\n";
    out << "\n";
}

void evaluation(std::ostream& out, const store::RunStore& store, int64_t runId)
{
    store::EvaluationFilter filter;
    filter.run = runId;
    const auto scores = store.latestScores(filter);
    out << "## Evaluation\n\n";
    if (scores.empty()) {
        out << "No evaluation of this run is recorded yet (`tunebench-cli eval --run " << runId << "`).\n";
        return;
    }
    out << "| suite | task | metric | value | examples |\n|---|---|---|---|---|\n";
    for (const auto& task : scores)
        for (const auto& [metric, value] : task.metrics)
            out << "| " << cell(task.evaluation.suite) << " | " << cell(task.evaluation.task) << " | " << metric
                << " | " << number(value) << " | " << task.evaluation.examples << " |\n";
}

} // namespace

std::string modelCardText(const store::RunStore& store, int64_t runId, ModelCardKind kind)
{
    const store::Run run = store.run(runId);
    const train::RunConfig config = train::parseRunConfig(json::parse(run.configJson),
                                                          "run " + std::to_string(runId) + " configuration");
    std::ostringstream out;
    frontMatter(out, run, config, kind);
    out << "# " << (run.name.empty() ? "Run " + std::to_string(runId) : run.name) << "\n\n";
    out << "Fine-tuned from `" << baseModelName(config.model) << "` with " << run.method << " by Tunebench "
        << TUNEBENCH_VERSION << " (run " << runId << ", " << store::runStatusName(run.status) << ").\n\n";
    usage(out, kind);
    hyperparameters(out, config);
    finalLosses(out, store, runId);
    evaluation(out, store, runId);
    return out.str();
}

void writeModelCard(const store::RunStore& store, int64_t runId, ModelCardKind kind, const std::string& folder)
{
    io::writeFileAtomic((fs::path(folder) / "README.md").string(), modelCardText(store, runId, kind));
}

} // namespace tb::engine
