#include "engine/run_relation.h"

#include "common/error.h"
#include "train/run_config.h"

#include <nlohmann/json.hpp>

#include <filesystem>

namespace tb::engine {

namespace {

namespace fs = std::filesystem;

bool isUnder(const fs::path& path, const std::string& root)
{
    if (root.empty())
        return false;
    std::error_code ec;
    const fs::path r = fs::weakly_canonical(root, ec);
    const auto rel = path.lexically_relative(r);
    return !r.empty() && !rel.empty() && *rel.begin() != "..";
}

} // namespace

RunRelationInfo detectRunRelation(const store::RunStore& store, const std::vector<int64_t>& runIds)
{
    std::vector<store::Run> runs;
    std::vector<train::RunConfig> configs;
    for (int64_t id : runIds) {
        const auto r = store.findRun(id);
        if (!r)
            throw Error(store.path() + ": no run with id " + std::to_string(id));
        runs.push_back(*r);
        // A configuration that no longer parses (an older format) still has
        // the base model the store recorded.
        train::RunConfig config;
        try {
            config = train::parseRunConfig(nlohmann::json::parse(r->configJson),
                                           "run " + std::to_string(r->id) + " configuration");
        } catch (const std::exception&) {
            config.model = r->baseModel;
        }
        configs.push_back(std::move(config));
    }
    RunRelationInfo info;
    if (runs.empty())
        return info;
    info.base = configs.front().model;
    // Stage i continues the chain when its model is what an earlier stage
    // produced: its saved model or a merged export under its folders.
    auto producedBy = [&](const std::string& model, size_t stage) {
        std::error_code ec;
        const fs::path m = fs::weakly_canonical(model, ec);
        for (size_t k = 0; k < stage; ++k) {
            if (isUnder(m, configs[k].outputDir))
                return true;
            for (const auto& art : store.artifacts(runs[k].id))
                if (isUnder(m, art.path))
                    return true;
        }
        return false;
    };
    for (size_t i = 1; i < configs.size(); ++i) {
        if (configs[i].model == info.base)
            continue;
        if (!producedBy(configs[i].model, i)) {
            info.relation = RunRelation::Unrelated;
            info.reason = "run " + std::to_string(runs[i].id) + " fine-tunes " + configs[i].model + " but run "
                          + std::to_string(runs[0].id) + " fine-tunes " + info.base;
            return info;
        }
        info.relation = RunRelation::Chain;
    }
    return info;
}

} // namespace tb::engine
