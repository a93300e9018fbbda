#include "engine/model_loader.h"

#include "common/cpu_features.h"
#include "common/error.h"

#include <filesystem>

namespace fs = std::filesystem;

namespace tb::engine {

namespace {

fs::path folderOf(const std::string& modelPath)
{
    const fs::path m(modelPath);
    return fs::is_directory(m) ? m : m.parent_path();
}

bool hasTokenizerNear(const std::string& modelPath)
{
    const fs::path folder = folderOf(modelPath);
    return !folder.empty() && tok::hasTokenizer(folder.string());
}

} // namespace

std::unique_ptr<tok::Tokenizer> tokenizerNear(const std::string& modelPath, const std::string& hint)
{
    std::error_code ec;
    if (!modelPath.empty() && !fs::exists(modelPath, ec))
        throw Error("model folder " + modelPath + " does not exist");
    const fs::path folder = folderOf(modelPath);
    if (!tok::hasTokenizer(folder.string()))
        throw Error(modelPath + ": no tokenizer in the model folder; " + hint);
    return tok::loadTokenizer(folder.string());
}

LoadedModel loadModel(const ModelSpec& spec, const std::string& dbPath, const RunControl* control,
                      TokenizerNeed need, const std::string& precision)
{
    LoadedModel l;
    model::LoadOptions lo;
    lo.device = spec.device.empty() ? "cpu" : spec.device;
    lo.control = control;
    // Inference freezes everything: with bf16 every base weight is bf16.
    lo.precision = resolvePrecision(precision, lo.device);
    l.precision = lo.precision;
    std::string tokenizerPath = spec.tokenizer;
    throwIfCancelled(control);
    if (spec.run != 0) {
        if (!spec.adapterDir.empty())
            throw Error("give either an adapter folder or a run, not both");
        if (dbPath.empty())
            throw Error("run " + std::to_string(spec.run) + " needs the run store (--db)");
        const RunWeights w = resolveRunWeights(store::RunStore(dbPath), spec.run);
        l.run = spec.run;
        l.baseModel = spec.model.empty() ? w.config.model : spec.model;
        l.label = "run " + std::to_string(spec.run) + " (" + w.run.name + ")";
        if (tokenizerPath.empty())
            tokenizerPath = w.config.tokenizer;
        if (w.kind == RunWeights::Kind::Adapter) {
            l.lm = model::LanguageModel::load(l.baseModel, lo);
            throwIfCancelled(control);
            l.peft = peft::PeftModel::loadAdapter(w.path, l.lm->module());
        } else {
            l.lm = model::LanguageModel::load(w.path, lo); // a whole model folder
        }
    } else {
        if (spec.model.empty())
            throw Error("no model given");
        l.baseModel = spec.model;
        l.lm = model::LanguageModel::load(spec.model, lo);
        if (!spec.adapterDir.empty()) {
            throwIfCancelled(control);
            l.peft = peft::PeftModel::loadAdapter(spec.adapterDir, l.lm->module());
            l.adapter = spec.adapterDir;
            l.label = spec.adapterDir;
        } else {
            l.label = "base";
        }
    }
    if (!tokenizerPath.empty())
        l.tokenizer = tok::loadTokenizer(tokenizerPath);
    else if (need == TokenizerNeed::Required || hasTokenizerNear(l.baseModel))
        l.tokenizer = tokenizerNear(l.baseModel);
    // Modules PEFT added after loading start in training mode (dropout on).
    l.lm->module()->eval();
    for (auto& p : l.lm->module()->parameters())
        p.set_requires_grad(false);
    return l;
}

} // namespace tb::engine
