#include "engine/export.h"

#include "common/error.h"
#include "engine/model_card.h"
#include "engine/model_source.h"
#include "model/language_model.h"
#include "peft/peft_model.h"
#include "store/run_store.h"

#include <filesystem>

namespace fs = std::filesystem;

namespace tb::engine {

namespace {

// Exports are recorded so the run history lists them and a later run that
// continues from an exported model can be traced back (forgetting chains).
void recordExport(store::RunStore& store, int64_t runId, const std::string& kind, const std::string& dir)
{
    store::Artifact a;
    a.run = runId;
    a.kind = kind;
    a.path = fs::absolute(dir).lexically_normal().string();
    store.addArtifact(a);
}

} // namespace

void exportRun(const std::string& dbPath, int64_t runId, const std::string& adapterDir, const std::string& mergedDir)
{
    store::RunStore store(dbPath);
    const RunWeights w = resolveRunWeights(store, runId);
    if (w.kind == RunWeights::Kind::Model) {
        if (!adapterDir.empty())
            throw Error("run " + std::to_string(runId) + " saved a whole model (full fine-tuning or a merged export): "
                        "it has no adapter; use --merged");
        auto lm = model::LanguageModel::load(w.path);
        peft::MethodConfig full;
        full.method = peft::Method::Full;
        peft::PeftModel m(lm->module(), full);
        m.exportMerged(mergedDir, w.path);
        writeModelCard(store, runId, ModelCardKind::Merged, mergedDir);
        recordExport(store, runId, "merged", mergedDir);
        return;
    }
    auto lm = model::LanguageModel::load(w.config.model);
    auto peftModel = peft::PeftModel::loadAdapter(w.path, lm->module());
    if (!adapterDir.empty()) {
        peftModel->saveAdapter(adapterDir, w.config.model);
        writeModelCard(store, runId, ModelCardKind::Adapter, adapterDir);
        recordExport(store, runId, "exported_adapter", adapterDir);
    }
    if (!mergedDir.empty()) {
        peftModel->exportMerged(mergedDir, w.config.model);
        writeModelCard(store, runId, ModelCardKind::Merged, mergedDir);
        recordExport(store, runId, "merged", mergedDir);
    }
}

} // namespace tb::engine
