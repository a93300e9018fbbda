// runs list/show/delete: the run history in the SQLite store. Torch-free;
// `runs show --inspect` gets what the run learned from the InspectRun the
// engine executable passes in (tunebench-cli executes the engine for it).
#include "cli/commands.h"
#include "cli/engine_exec.h"
#include "store/run_store.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>

using nlohmann::json;

namespace tb::cli {

namespace {

json runJson(const store::Run& r)
{
    return {{"id", r.id},
            {"name", r.name},
            {"status", std::string(store::runStatusName(r.status))},
            {"method", r.method},
            {"base_model", r.baseModel},
            {"created_at_ms", r.createdAt},
            {"started_at_ms", r.startedAt},
            {"finished_at_ms", r.finishedAt},
            {"error", r.errorMessage}};
}

} // namespace

void addRunsCommand(CLI::App& app, Commands& commands, InspectRun inspectRun)
{
    auto db = std::make_shared<std::string>(store::defaultStorePath());
    auto runId = std::make_shared<int64_t>(0);
    auto status = std::make_shared<std::string>();
    auto* runs = app.add_subcommand("runs", "The run history: list, show, delete");
    runs->require_subcommand(1);
    runs->add_option("--db", *db, "run store (SQLite)")->capture_default_str();
    // `runs list --db X` as well as `runs --db X list`, as git-style tools accept.
    runs->fallthrough();
    auto* list = runs->add_subcommand("list", "All runs, newest first");
    list->add_option("--status", *status, "only runs with this status");
    commands.emplace_back(list, [db, status] {
        store::RunStore store(*db);
        store::RunFilter filter;
        if (!status->empty())
            filter.status = store::runStatusFromName(*status);
        json out = json::array();
        for (const auto& r : store.listRuns(filter))
            out.push_back(runJson(r));
        // The store hands out valid UTF-8; replace anyway, so no stored byte can stop the listing.
        std::cout << out.dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
    });
    auto* show = runs->add_subcommand("show", "One run: configuration, last metrics, checkpoints, artifacts");
    show->add_option("--run", *runId, "run id")->required();
    auto inspect = std::make_shared<bool>(false);
    show->add_flag("--inspect", *inspect,
                   "add what the run learned: LoRA update norms, adapter norms, soft-prompt neighbours, "
                   "most-changed tensors");
    commands.emplace_back(show, [db, runId, inspect, inspectRun] {
        if (*inspect && !inspectRun)
            execEngine(); // before the store is opened: the engine opens it afresh
        store::RunStore store(*db);
        const auto run = store.run(*runId);
        json out = runJson(run);
        out["config"] = json::parse(run.configJson);
        json last = json::object();
        for (const auto& name : store.metricNames(run.id)) {
            const auto points = store.metrics(run.id, name);
            if (!points.empty())
                last[name] = {{"step", points.back().step}, {"value", points.back().value}};
        }
        out["last_metrics"] = last;
        out["checkpoints"] = json::array();
        for (const auto& c : store.checkpoints(run.id))
            out["checkpoints"].push_back({{"step", c.step}, {"path", c.path}, {"resumable", c.resumable}});
        out["artifacts"] = json::array();
        for (const auto& a : store.artifacts(run.id))
            out["artifacts"].push_back({{"kind", a.kind}, {"path", a.path}, {"metadata", json::parse(a.metadataJson)}});
        if (*inspect)
            out["inspection"] = inspectRun(store, run.id);
        // A lone byte-fallback token decodes to a partial UTF-8 sequence: print U+FFFD for it.
        std::cout << out.dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
    });
    auto* del = runs->add_subcommand("delete", "Remove a run and its metrics from the store (files stay)");
    del->add_option("--run", *runId, "run id")->required();
    commands.emplace_back(del, [db, runId] {
        store::RunStore store(*db);
        store.deleteRun(*runId);
        std::cout << json({{"deleted", *runId}}).dump() << '\n';
    });
}

} // namespace tb::cli
