// eval, forgetting: a model (alone, with an adapter, or a run) on a suite, and
// the forgetting matrix of a sequence of runs.
#include "cli/commands.h"
#include "common/error.h"
#include "data/dataset.h"
#include "engine/evaluation.h"
#include "eval/metric_info.h"
#include "eval/forgetting.h"
#include "store/run_store.h"
#include "train/run_config.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <cstdio>
#include <iostream>
#include <limits>
#include <set>
#include <unistd.h>

using nlohmann::json;

namespace tb::cli {

namespace {

namespace fs = std::filesystem;

std::vector<std::string> splitList(const std::string& text)
{
    std::vector<std::string> out;
    size_t at = 0;
    while (at <= text.size()) {
        const size_t comma = text.find(',', at);
        const std::string item = text.substr(at, comma == std::string::npos ? std::string::npos : comma - at);
        if (!item.empty())
            out.push_back(item);
        if (comma == std::string::npos)
            break;
        at = comma + 1;
    }
    return out;
}

std::vector<int64_t> parseRunIds(const std::string& text)
{
    std::vector<int64_t> ids;
    for (const auto& item : splitList(text)) {
        size_t used = 0;
        int64_t id = 0;
        try {
            id = std::stoll(item, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != item.size() || id <= 0)
            throw Error("--runs: expected run ids separated by commas (e.g. 3,4,5) but found '" + item + "'");
        ids.push_back(id);
    }
    if (ids.empty())
        throw Error("--runs: expected at least one run id");
    return ids;
}

json metricsJson(const std::map<std::string, double>& metrics)
{
    json j = json::object();
    for (const auto& [k, v] : metrics)
        j[k] = std::isfinite(v) ? json(v) : json();
    return j;
}

json resultJson(const eval::SuiteResult& r)
{
    json tasks = json::array();
    for (const auto& t : r.tasks)
        tasks.push_back({{"task", t.task},
                         {"type", eval::taskTypeName(t.type)},
                         {"examples", t.examples.size()},
                         {"seconds", t.seconds},
                         {"tokens", t.tokens},
                         {"task_evaluation", t.taskEvaluation},
                         {"metrics", metricsJson(t.metrics)}});
    return {{"suite", r.suite}, {"model", r.modelLabel}, {"tasks", tasks}};
}

std::string number(double v, int decimals = 4)
{
    if (!std::isfinite(v))
        return "-";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

void printTable(const eval::SuiteResult& r)
{
    std::cout << "suite " << r.suite << ", model " << r.modelLabel << "\n";
    for (const auto& t : r.tasks) {
        std::cout << "\n" << t.task << " (" << eval::taskTypeName(t.type) << ", " << t.examples.size()
                  << " examples)\n";
        for (const auto& [metric, value] : t.metrics) {
            char line[160];
            std::snprintf(line, sizeof line, "  %-20s %12s\n", metric.c_str(), number(value).c_str());
            std::cout << line;
        }
    }
    std::cout << std::flush;
}

std::function<void(const std::string&, int64_t, int64_t)> progressPrinter()
{
    if (!::isatty(STDERR_FILENO))
        return {};
    return [](const std::string& task, int64_t done, int64_t total) {
        std::cerr << "\r\x1b[K" << task << ": " << done << "/" << total << (done == total ? "\n" : "") << std::flush;
    };
}

// The one task a run trained on, when its data names exactly one task.
std::set<std::string> trainedTasks(const train::RunConfig& config)
{
    std::set<std::string> tasks;
    for (const auto& f : config.data.train) {
        if (!f.task.empty()) {
            tasks.insert(f.task);
            continue;
        }
        data::ReadOptions o;
        o.fieldMap = f.fields;
        for (const auto& r : data::readDataset(f.path, o))
            tasks.insert(r.task);
    }
    return tasks;
}

struct ForgettingArgs {
    std::string suite, runs, db, metric, tasks;
    int64_t limit = 0, batch = 8;
    int threads = 0;
    bool json = false, fresh = false;
};

void runForgetting(const ForgettingArgs& a)
{
    const auto runIds = parseRunIds(a.runs);
    const eval::SuiteSpec suite = eval::readSuite(a.suite);
    store::RunStore store(a.db);
    std::vector<store::Run> runs;
    for (int64_t id : runIds) {
        const auto r = store.findRun(id);
        if (!r)
            throw Error(a.db + ": no run with id " + std::to_string(id));
        runs.push_back(*r);
    }
    std::vector<train::RunConfig> configs;
    for (const auto& r : runs)
        configs.push_back(train::parseRunConfig(json::parse(r.configJson), "run " + std::to_string(r.id) + " configuration"));
    // Stages share one base model, or form a chain: a sequential multi-task
    // run trains stage i on a model that stage i-1 produced (its saved model
    // or a merged export under its output folder). Row 0 is the first base.
    const std::string base = configs.front().model;
    auto producedBy = [&](const std::string& model, size_t stage) {
        std::error_code ec;
        const fs::path m = fs::weakly_canonical(model, ec);
        for (size_t k = 0; k < stage; ++k) {
            std::vector<std::string> roots;
            if (!configs[k].outputDir.empty())
                roots.push_back(configs[k].outputDir);
            for (const auto& art : store.artifacts(runs[k].id))
                roots.push_back(art.path);
            for (const auto& root : roots) {
                const fs::path r = fs::weakly_canonical(root, ec);
                const auto rel = m.lexically_relative(r);
                if (!r.empty() && !rel.empty() && *rel.begin() != "..")
                    return true;
            }
        }
        return false;
    };
    for (size_t i = 1; i < configs.size(); ++i)
        if (configs[i].model != base && !producedBy(configs[i].model, i))
            throw Error("run " + std::to_string(runs[i].id) + " fine-tunes " + configs[i].model + " but run "
                        + std::to_string(runs[0].id) + " fine-tunes " + base
                        + "; a forgetting matrix needs one base model, or runs that continue from an earlier run's "
                          "saved or exported model");

    const auto only = splitList(a.tasks);
    std::vector<eval::TaskData> tasks; // spec and metrics only: enough for the primary metric
    for (const auto& t : suite.tasks) {
        if (!only.empty() && std::find(only.begin(), only.end(), t.name) == only.end())
            continue;
        eval::TaskData d;
        d.spec = t;
        d.metrics = t.metrics;
        tasks.push_back(std::move(d));
    }
    for (const auto& name : only)
        if (std::none_of(tasks.begin(), tasks.end(), [&](const eval::TaskData& d) { return d.spec.name == name; }))
            throw Error(suite.path + ": --tasks: no task named '" + name + "'");
    const auto metricOf = [&](const eval::TaskData& t) { return a.metric.empty() ? eval::primaryMetric(t) : a.metric; };

    // Row 0 the base model, then each run.
    const size_t N = tasks.size();
    std::vector<std::vector<double>> scores(runs.size() + 1,
                                            std::vector<double>(N, std::numeric_limits<double>::quiet_NaN()));
    for (size_t row = 0; row <= runs.size(); ++row) {
        const int64_t runId = row == 0 ? 0 : runs[row - 1].id;
        std::vector<std::string> missing;
        for (size_t j = 0; j < N; ++j) {
            const std::string metric = metricOf(tasks[j]);
            if (!a.fresh) {
                store::EvaluationFilter f;
                f.run = runId;
                f.suite = suite.name;
                f.task = tasks[j].spec.name;
                if (row == 0)
                    f.baseModel = base;
                // Only results made with the same --limit stand in for a fresh evaluation.
                const auto sameLimit = [&](const store::TaskEvaluation& te) {
                    const json settings = json::parse(te.settingsJson, nullptr, false);
                    return !settings.is_discarded() && settings.value("limit_override", int64_t(0)) == a.limit;
                };
                for (const auto& scored : store.latestScores(f, sameLimit)) {
                    const auto it = scored.metrics.find(metric);
                    if (it != scored.metrics.end())
                        scores[row][j] = it->second;
                }
            }
            if (std::isnan(scores[row][j]))
                missing.push_back(tasks[j].spec.name);
        }
        if (missing.empty())
            continue;
        engine::ModelSpec spec;
        spec.model = base;
        spec.run = runId;
        engine::EvalOptions o;
        o.dbPath = a.db;
        o.tasks = missing;
        o.limit = a.limit;
        o.batchSize = a.batch;
        o.threads = a.threads;
        o.progress = progressPrinter();
        const auto result = engine::evaluate(spec, suite, o);
        for (const auto& t : result.tasks)
            for (size_t j = 0; j < N; ++j)
                if (tasks[j].spec.name == t.task) {
                    const std::string metric = metricOf(tasks[j]);
                    const auto it = t.metrics.find(metric);
                    if (it == t.metrics.end())
                        throw Error("task " + t.task + " has no metric '" + metric + "'");
                    scores[row][j] = it->second;
                }
    }

    eval::ForgettingInput in;
    for (const auto& t : tasks)
        in.tasks.push_back(t.spec.name);
    for (size_t i = 0; i < runs.size(); ++i) {
        in.stages.push_back("run " + std::to_string(runs[i].id) + " (" + runs[i].name + ")");
        const auto trained = trainedTasks(configs[i]);
        int stage = -1;
        if (trained.size() == 1)
            for (size_t j = 0; j < N; ++j)
                if (in.tasks[j] == *trained.begin())
                    stage = int(j);
        in.stageTask.push_back(stage);
    }
    // Higher is better in the matrix: loss-like metrics change sign.
    std::vector<std::string> metricNames;
    for (size_t j = 0; j < N; ++j) {
        const std::string m = metricOf(tasks[j]);
        metricNames.push_back(eval::higherIsBetter(m) ? m : "-" + m);
        if (!eval::higherIsBetter(m))
            for (auto& row : scores)
                row[j] = -row[j];
    }
    in.scores = scores;
    std::string metricLabel = a.metric;
    if (metricLabel.empty()) {
        for (const auto& m : metricNames)
            metricLabel += (metricLabel.empty() ? "" : ",") + m;
    }
    in.metric = metricLabel;
    const auto report = eval::computeForgetting(in);
    json reportJson = eval::toJson(report);

    store::ForgettingRecord rec;
    rec.suite = suite.name;
    std::string label;
    for (auto id : runIds)
        label += (label.empty() ? "" : ",") + std::to_string(id);
    rec.name = suite.name + ": runs " + label;
    rec.runsJson = json(runIds).dump();
    rec.reportJson = reportJson.dump();
    const int64_t id = store.addForgettingReport(rec);

    if (a.json) {
        std::cout << json({{"id", id}, {"suite", suite.name}, {"base_model", base}, {"runs", runIds},
                           {"task_metrics", metricNames}, {"report", reportJson}})
                         .dump()
                  << '\n';
        return;
    }
    std::cout << "forgetting on suite " << suite.name << " (report " << id << "); scores: ";
    for (size_t j = 0; j < N; ++j)
        std::cout << (j ? ", " : "") << in.tasks[j] << " " << metricNames[j];
    std::cout << "\n\n";
    char cell[64];
    std::snprintf(cell, sizeof cell, "%-28s", "");
    std::cout << cell;
    for (const auto& t : in.tasks) {
        std::snprintf(cell, sizeof cell, " %22s", t.c_str());
        std::cout << cell;
    }
    std::cout << "\n";
    for (size_t i = 0; i <= runs.size(); ++i) {
        std::string name = i == 0 ? "base" : in.stages[i - 1];
        if (name.size() > 28)
            name = name.substr(0, 25) + "...";
        std::snprintf(cell, sizeof cell, "%-28s", name.c_str());
        std::cout << cell;
        for (size_t j = 0; j < N; ++j) {
            std::string v = number(report.input.scores[i][j]);
            if (i > 0) {
                const double d = report.change[i][j];
                v += " (" + std::string(std::isfinite(d) && d >= 0 ? "+" : "") + number(d) + ")";
            }
            std::snprintf(cell, sizeof cell, " %22s", v.c_str());
            std::cout << cell;
        }
        std::cout << "\n";
    }
    std::cout << "\naverage score (last stage): " << number(report.averageScore) << "\n";
    std::cout << "backward transfer: " << (report.backwardTransfer ? number(*report.backwardTransfer) : "n/a")
              << "\nforgetting: " << (report.forgetting ? number(*report.forgetting) : "n/a") << "\n"
              << std::flush;
}

} // namespace

void addEvalCommands(CLI::App& app, std::vector<std::pair<CLI::App*, Runner>>& commands)
{
    const std::string defaultDb = store::defaultStorePath();
    {
        struct Args {
            std::string model, tokenizer, adapter, suite, db, tasks, device = "cpu";
            int64_t run = 0, limit = 0, batch = 8;
            int threads = 0;
            bool json = false, noHelm = false, noStore = false;
        };
        auto a = std::make_shared<Args>();
        a->db = defaultDb;
        auto* cmd = app.add_subcommand("eval", "Evaluate a model, a model with an adapter, or a run on a suite "
                                               "(SUITE.json) and record the results in the run store");
        cmd->add_option("--model", a->model, "Hugging Face folder or llama2.c .bin (with --run: the run's base model)");
        cmd->add_option("--tokenizer", a->tokenizer, "tokenizer (default: the model folder's)");
        auto* adapter = cmd->add_option("--adapter", a->adapter, "PEFT adapter folder");
        cmd->add_option("--run", a->run, "a finished run in the store: its saved adapter or model")->excludes(adapter);
        cmd->add_option("--suite", a->suite, "SUITE.json")->required();
        cmd->add_option("--db", a->db, "run store (SQLite)")->capture_default_str();
        cmd->add_flag("--no-store", a->noStore, "do not record the results");
        cmd->add_option("--tasks", a->tasks, "only these tasks (comma-separated)");
        cmd->add_option("--limit", a->limit, "first N examples of every task (0 = the suite's limits)")
            ->check(CLI::NonNegativeNumber);
        cmd->add_option("--batch", a->batch, "prompts run together")->capture_default_str()->check(CLI::PositiveNumber);
        cmd->add_option("--threads", a->threads, "intra-op threads (0 = LibTorch's default)")->check(CLI::Range(0, 256));
        cmd->add_option("--device", a->device, "cpu, cuda or cuda:N")->capture_default_str();
        cmd->add_flag("--no-helm", a->noHelm, "skip the suite's perturbed re-runs");
        cmd->add_flag("--json", a->json, "print one JSON document instead of a table");
        commands.emplace_back(cmd, [a] {
            if (a->model.empty() && a->run == 0)
                throw Error("eval: give --model PATH (optionally with --adapter DIR), or --run ID");
            if (a->noStore && a->run != 0)
                throw Error("eval: --no-store cannot be combined with --run (the run is read from the store)");
            const auto suite = eval::readSuite(a->suite);
            engine::ModelSpec spec;
            spec.model = a->model;
            spec.tokenizer = a->tokenizer;
            spec.adapterDir = a->adapter;
            spec.run = a->run;
            spec.device = a->device;
            engine::EvalOptions o;
            o.dbPath = a->noStore ? std::string() : a->db;
            o.batchSize = a->batch;
            o.threads = a->threads;
            o.limit = a->limit;
            o.tasks = splitList(a->tasks);
            o.helm = !a->noHelm;
            o.progress = progressPrinter();
            const auto result = engine::evaluate(spec, suite, o);
            if (a->json)
                std::cout << resultJson(result).dump() << '\n' << std::flush;
            else
                printTable(result);
        });
    }
    {
        auto a = std::make_shared<ForgettingArgs>();
        a->db = defaultDb;
        auto* cmd = app.add_subcommand("forgetting", "Evaluate the base model and each run on a suite and report the "
                                                     "forgetting matrix, backward transfer and forgetting");
        cmd->add_option("--suite", a->suite, "SUITE.json")->required();
        cmd->add_option("--runs", a->runs, "run ids in stage order, comma-separated")->required();
        cmd->add_option("--db", a->db, "run store (SQLite)")->capture_default_str();
        cmd->add_option("--metric", a->metric, "the score of every task (default: each task's primary metric)");
        cmd->add_option("--tasks", a->tasks, "only these tasks (comma-separated)");
        cmd->add_option("--limit", a->limit, "first N examples of every task (0 = the suite's limits)")
            ->check(CLI::NonNegativeNumber);
        cmd->add_option("--batch", a->batch, "prompts run together")->capture_default_str()->check(CLI::PositiveNumber);
        cmd->add_option("--threads", a->threads, "intra-op threads (0 = LibTorch's default)")->check(CLI::Range(0, 256));
        cmd->add_flag("--fresh", a->fresh, "evaluate again even where the store holds results");
        cmd->add_flag("--json", a->json, "print one JSON document instead of a table");
        commands.emplace_back(cmd, [a] { runForgetting(*a); });
    }
}

} // namespace tb::cli
