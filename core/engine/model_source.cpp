#include "engine/model_source.h"

#include "common/error.h"

#include <nlohmann/json.hpp>

namespace tb::engine {

RunWeights resolveRunWeights(const store::RunStore& store, int64_t runId)
{
    const auto found = store.findRun(runId);
    if (!found)
        throw Error(store.path() + ": no run with id " + std::to_string(runId));
    RunWeights w;
    w.run = *found;
    w.config = train::parseRunConfig(nlohmann::json::parse(found->configJson),
                                     "run " + std::to_string(runId) + " configuration");
    std::string own, ownKind, merged;
    for (const auto& a : store.artifacts(runId)) {
        if (a.kind == "adapter" || a.kind == "model") {
            own = a.path;
            ownKind = a.kind;
        } else if (a.kind == "merged") {
            merged = a.path;
        }
    }
    if (!own.empty()) {
        w.path = own;
        w.kind = ownKind == "adapter" ? RunWeights::Kind::Adapter : RunWeights::Kind::Model;
    } else if (!merged.empty()) {
        w.path = merged;
        w.kind = RunWeights::Kind::Model;
    } else {
        throw Error("run " + std::to_string(runId) + " (" + std::string(store::runStatusName(found->status)) +
                    ") has saved no weights yet; only completed runs can be used");
    }
    return w;
}

} // namespace tb::engine
