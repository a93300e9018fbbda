// eval, forgetting: a model (alone, with an adapter, or a run) on a suite, and
// the forgetting matrix of a sequence of runs.
#include "cli/commands.h"
#include "cli/launcher.h"
#include "common/error.h"
#include "common/text.h"
#include "data/dataset.h"
#include "engine/evaluation.h"
#include "engine/general_ability.h"
#include "engine/run_relation.h"
#include "eval/metric_info.h"
#include "eval/forgetting.h"
#include "store/run_store.h"
#include "train/run_config.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <cstdio>
#include <iostream>
#include <limits>
#include <set>
#include <thread>
#include <unistd.h>

using nlohmann::json;

namespace tb::cli {

namespace {

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

// Names in tables come from files and the store (run names, task names,
// paths): control characters are escaped so they cannot move the cursor or
// recolour the terminal.
std::string shown(const std::string& text) { return printableText(text); }

// At most `width` bytes of printable text, cut at a character boundary.
std::string shownCut(const std::string& text, size_t width)
{
    std::string s = shown(text);
    if (s.size() <= width)
        return s;
    size_t keep = width - 3;
    while (keep > 0 && (static_cast<unsigned char>(s[keep]) & 0xC0) == 0x80)
        --keep;
    return s.substr(0, keep) + "...";
}

void printTable(const eval::SuiteResult& r)
{
    std::cout << "suite " << shown(r.suite) << ", model " << shown(r.modelLabel) << "\n";
    for (const auto& t : r.tasks) {
        std::cout << "\n" << shown(t.task) << " (" << eval::taskTypeName(t.type) << ", " << t.examples.size()
                  << " examples)\n";
        for (const auto& [metric, value] : t.metrics) {
            char line[160];
            std::snprintf(line, sizeof line, "  %-20s %12s\n", shownCut(metric, 100).c_str(), number(value).c_str());
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
    std::string suite, runs, db, metric, tasks, mode, lowerIsBetter = "exclude";
    int64_t limit = 0, batch = 8;
    int threads = 0;
    bool json = false, fresh = false;
};

std::string signedNumber(double v)
{
    return (std::isfinite(v) && v >= 0 ? "+" : "") + number(v);
}

std::string optionalNumber(const std::optional<double>& v, bool sign)
{
    return v ? (sign ? signedNumber(*v) : number(*v)) : std::string("n/a");
}

// The summaries of the report's mode (eval/forgetting.h says how each is made).
void printSummaries(const eval::ForgettingReport& report, const std::vector<std::string>& stages)
{
    const auto& in = report.input;
    for (size_t j = 0; j < in.tasks.size(); ++j)
        if (!report.higherIsBetter[j])
            std::cout << "\n" << shown(in.tasks[j]) << " (" << in.taskMetrics[j] << ", lower is better): "
                      << (report.counted[j] ? "counted as ln(base / score)" : "left out of the averages");
    std::cout << "\naverage score (last stage): " << number(report.averageScore) << "\n";
    if (in.mode == eval::ForgettingMode::Independent) {
        for (size_t i = 0; i < report.perStage.size(); ++i) {
            const int t = in.stageTask.empty() ? -1 : in.stageTask[i];
            std::cout << shown(stages[i]) << ": gain on " << (t >= 0 ? shown(in.tasks[size_t(t)]) : std::string("its task (unknown)"))
                      << " " << optionalNumber(report.perStage[i].gain, true) << ", mean change elsewhere "
                      << optionalNumber(report.perStage[i].changeElsewhere, true) << "\n";
        }
        std::cout << "mean gain: " << optionalNumber(report.meanGain, true)
                  << ", mean change elsewhere: " << optionalNumber(report.meanChangeElsewhere, true)
                  << "\nbackward transfer: n/a (independent runs; --mode chain if each run continues the previous)\n"
                  << std::flush;
        return;
    }
    std::cout << "backward transfer: " << optionalNumber(report.backwardTransfer, true)
              << "\nforgetting: " << optionalNumber(report.forgetting, false) << "\n"
              << std::flush;
}

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
    // Stages share one base model, or form a chain (a run fine-tunes the model
    // an earlier run saved or exported). Row 0 is the first run's base.
    const auto relation = engine::detectRunRelation(store, runIds);
    if (relation.relation == engine::RunRelation::Unrelated)
        throw Error(relation.reason + "; a forgetting matrix needs one base model, or runs that continue from an "
                                      "earlier run's saved or exported model");
    const std::string& base = relation.base;
    const auto detected = relation.relation == engine::RunRelation::Chain ? eval::ForgettingMode::Chain
                                                                           : eval::ForgettingMode::Independent;
    const auto mode = a.mode.empty() ? detected : eval::parseForgettingMode(a.mode);
    if (mode == eval::ForgettingMode::Chain && detected != eval::ForgettingMode::Chain && runs.size() > 1)
        std::cerr << "warning: these runs each fine-tune " << base
                  << " rather than an earlier run's model; backward transfer and forgetting assume a chain\n";

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
    // Raw scores; each task's metric tells the direction (eval/forgetting.h).
    std::vector<std::string> metricNames;
    for (size_t j = 0; j < N; ++j)
        metricNames.push_back(metricOf(tasks[j]));
    in.scores = scores;
    in.taskMetrics = metricNames;
    in.mode = mode;
    if (a.lowerIsBetter != "exclude" && a.lowerIsBetter != "normalise")
        throw Error("--lower-is-better: expected 'exclude' or 'normalise', found '" + a.lowerIsBetter + "'");
    in.lowerIsBetter = a.lowerIsBetter == "normalise" ? eval::LowerIsBetter::Normalise : eval::LowerIsBetter::Exclude;
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
                           {"mode", eval::forgettingModeName(mode)}, {"detected_mode", eval::forgettingModeName(detected)},
                           {"task_metrics", metricNames}, {"report", reportJson}})
                         .dump()
                  << '\n';
        return;
    }
    std::cout << "forgetting on suite " << shown(suite.name) << " (report " << id << "), "
              << (mode == eval::ForgettingMode::Chain ? "a sequential chain" : "independent runs of one base")
              << "; scores: ";
    for (size_t j = 0; j < N; ++j)
        std::cout << (j ? ", " : "") << shown(in.tasks[j]) << " " << metricNames[j];
    std::cout << "\n\n";
    char cell[64];
    std::snprintf(cell, sizeof cell, "%-28s", "");
    std::cout << cell;
    for (const auto& t : in.tasks) {
        std::snprintf(cell, sizeof cell, " %22s", shownCut(t, 40).c_str());
        std::cout << cell;
    }
    std::cout << "\n";
    for (size_t i = 0; i <= runs.size(); ++i) {
        const std::string name = i == 0 ? "base" : shownCut(in.stages[i - 1], 28);
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
    printSummaries(report, in.stages);
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
            LaunchArgs launch; // data parallel: the examples are shared out to the ranks
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
        addLaunchOptions(*cmd, a->launch);
        commands.emplace_back(cmd, [a] {
            if (shouldLaunch(a->launch))
                return launchLocalRanks(a->launch);
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
            // Under torchrun's variables (or launched by --nproc-per-node):
            // each rank takes its share of the examples, rank 0 reports and
            // writes the store, each uses cores / local ranks threads.
            const auto group = joinGroupFromEnvironment();
            o.group = group.get();
            if (group && o.threads == 0)
                o.threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) /
                                            group->env().localWorldSize);
            if (group && group->rank() != 0) {
                engine::evaluate(spec, suite, o); // its share; rank 0 records and prints
                return;
            }
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
        cmd->add_option("--mode", a->mode, "independent (runs of one base) or chain (each run continues the previous); "
                                           "default: detected from the runs")
            ->check(CLI::IsMember({"independent", "chain"}));
        cmd->add_option("--lower-is-better", a->lowerIsBetter,
                        "perplexity and other lower-is-better tasks: exclude them from gains, costs, BWT and "
                        "forgetting, or normalise them as ln(base / score)")
            ->capture_default_str()
            ->check(CLI::IsMember({"exclude", "normalise"}));
        cmd->add_flag("--fresh", a->fresh, "evaluate again even where the store holds results");
        cmd->add_flag("--json", a->json, "print one JSON document instead of a table");
        commands.emplace_back(cmd, [a] { runForgetting(*a); });
    }
    {
        struct Args {
            std::string db, text;
            int64_t run = 0, batch = 8;
            int threads = 0;
            bool json = false;
        };
        auto a = std::make_shared<Args>();
        a->db = defaultDb;
        auto* cmd = app.add_subcommand("general", "General ability: mean token loss and perplexity on a general text "
                                                  "sample, of a run's base model and of the run's model (both stored "
                                                  "as suite 'general', task 'general_text')");
        cmd->add_option("--run", a->run, "a finished run in the store")->required()->check(CLI::PositiveNumber);
        cmd->add_option("--text", a->text, "UTF-8 text file, paragraphs separated by blank lines (default: the "
                                           "shipped general_text.txt)");
        cmd->add_option("--db", a->db, "run store (SQLite)")->capture_default_str();
        cmd->add_option("--batch", a->batch, "windows scored together")->capture_default_str()->check(CLI::PositiveNumber);
        cmd->add_option("--threads", a->threads, "intra-op threads (0 = LibTorch's default)")->check(CLI::Range(0, 256));
        cmd->add_flag("--json", a->json, "print one JSON document instead of a table");
        commands.emplace_back(cmd, [a] {
            engine::GeneralOptions o;
            o.dbPath = a->db;
            o.textFile = a->text;
            o.batchSize = a->batch;
            o.threads = a->threads;
            o.progress = progressPrinter();
            const auto g = engine::checkGeneralAbility(a->run, o);
            if (a->json) {
                const auto score = [](const engine::GeneralScore& s) {
                    return json{{"nll", s.nll}, {"perplexity", s.perplexity}, {"task_evaluation", s.taskEvaluation}};
                };
                std::cout << json({{"run", a->run}, {"text", g.textFile}, {"suite", g.suitePath},
                                   {"base_model", g.baseModel}, {"base", score(g.base)}, {"after", score(g.run)},
                                   {"nll_change", g.nllChange()}, {"perplexity_change", g.perplexityChange()}})
                                 .dump()
                          << '\n' << std::flush;
                return;
            }
            std::cout << "general text " << shown(g.textFile) << "\n"
                      << "base " << shown(g.baseModel) << ": loss " << number(g.base.nll) << ", perplexity "
                      << number(g.base.perplexity) << "\n"
                      << "run " << a->run << ": loss " << number(g.run.nll) << ", perplexity " << number(g.run.perplexity)
                      << "\nchange: loss " << signedNumber(g.nllChange()) << ", perplexity "
                      << signedNumber(g.perplexityChange()) << " ("
                      << (g.nllChange() > 0 ? "worse on general text" : "no worse on general text") << ")\n"
                      << std::flush;
        });
    }
}

} // namespace tb::cli
