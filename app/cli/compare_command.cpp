// compare: is the difference between systems real? Paired bootstrap or
// approximate randomization (eval/significance.h) on hypotheses from a JSONL
// file, or on the stored per-example outputs of runs' newest evaluations
// (engine/run_comparison.h, shared with the Evaluation panel).
#include "cli/commands.h"
#include "cli/json_lines.h"
#include "common/error.h"
#include "engine/run_comparison.h"
#include "eval/bleu.h"
#include "eval/chrf.h"
#include "eval/rouge.h"
#include "eval/significance.h"
#include "eval/suite_spec.h"
#include "store/run_store.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <iostream>

using nlohmann::json;

namespace tb::cli {

namespace {

struct CompareArgs {
    std::string input, metric, test = "bs", baseline, runs, suite, task, db;
    int64_t samples = 0;
    uint64_t seed = 12345;
};

bool isRouge(const std::string& m) { return m == "rouge" || m == "rouge1" || m == "rouge2" || m == "rougeL" || m == "rougeLsum"; }

// Statistics and the corpus metric for hypotheses of one system, or per-example values.
struct Prepared {
    eval::CorpusMetric metric;
    std::function<eval::SegmentStats(const std::vector<std::string>&)> table;
};

Prepared prepareText(const std::string& metric, const std::vector<std::vector<std::string>>& refs)
{
    Prepared p;
    if (metric == "bleu") {
        p.metric = eval::bleuCorpusMetric({});
        p.table = [&refs](const std::vector<std::string>& hyps) { return eval::bleuSegmentTable(hyps, refs, {}); };
    } else if (metric == "chrf") {
        p.metric = eval::chrfCorpusMetric({});
        p.table = [&refs](const std::vector<std::string>& hyps) { return eval::chrfSegmentTable(hyps, refs, {}); };
    } else if (isRouge(metric)) {
        // rouge_score F-measures per example; the corpus score is their mean.
        p.metric = eval::meanCorpusMetric(metric == "rouge" ? "rougeL" : metric);
        p.table = [&refs, metric](const std::vector<std::string>& hyps) {
            return eval::valueTable(eval::rougeValues(hyps, refs, metric, {}));
        };
    } else {
        throw Error("--metric: expected bleu, chrf, rouge, rouge1, rouge2, rougeL or rougeLsum but found '" + metric + "'");
    }
    return p;
}

eval::PairedTestOptions testOptions(const CompareArgs& a)
{
    eval::PairedTestOptions o;
    o.kind = a.test == "ar" ? eval::PairedTestKind::Randomization : eval::PairedTestKind::Bootstrap;
    o.samples = a.samples;
    o.seed = a.seed;
    return o;
}

json systemsJson(const std::vector<eval::SystemResult>& results)
{
    json out = json::array();
    for (const auto& r : results) {
        json s = {{"name", r.name}, {"score", r.score}};
        s["mean"] = r.mean ? json(*r.mean) : json(nullptr);
        s["ci"] = r.ci ? json(*r.ci) : json(nullptr);
        s["low"] = r.low ? json(*r.low) : json(nullptr);
        s["high"] = r.high ? json(*r.high) : json(nullptr);
        s["p_value"] = r.pValue ? json(*r.pValue) : json(nullptr);
        if (r.identicalToBaseline)
            s["identical_to_baseline"] = true;
        out.push_back(std::move(s));
    }
    return out;
}

// The baseline first, the others in their order.
template <typename T>
void moveBaselineFirst(std::vector<std::pair<std::string, T>>& systems, const std::string& baseline,
                       const std::string& where)
{
    const auto it = std::find_if(systems.begin(), systems.end(), [&](const auto& s) { return s.first == baseline; });
    if (it == systems.end()) {
        std::string names;
        for (const auto& s : systems)
            names += (names.empty() ? "" : ", ") + s.first;
        throw Error(where + ": --baseline: no system named '" + baseline + "'; found " + names);
    }
    std::rotate(systems.begin(), it, it + 1);
}

void compareInput(const CompareArgs& a)
{
    const std::string metric = a.metric.empty() ? "bleu" : a.metric;
    std::ifstream in(a.input);
    if (!in)
        throw Error(a.input + ": cannot open the input file");
    std::vector<std::string> names; // from the first line, in its order
    std::vector<std::vector<std::string>> refs;
    std::vector<std::vector<std::string>> hyps; // per system
    std::string line;
    size_t lineNo = 0;
    while (std::getline(in, line)) {
        ++lineNo;
        if (line.find_first_not_of(" \t\r") == std::string::npos)
            continue;
        const std::string at = a.input + ":" + std::to_string(lineNo);
        // ordered_json keeps the systems in the order the file gives them.
        nlohmann::ordered_json j;
        try {
            j = nlohmann::ordered_json::parse(line);
        } catch (const nlohmann::json::parse_error& e) {
            throw Error(at + ": not valid JSON (" + std::string(e.what()) + ")");
        }
        if (!j.is_object())
            throw Error(at + ": expected a JSON object {\"id\", \"refs\", \"hyps\"}, found " + std::string(j.type_name()));
        const auto r = j.find("refs");
        if (r == j.end() || !r->is_array() || r->empty())
            throw Error(at + ": field 'refs': expected a non-empty array of strings, found "
                        + (r == j.end() ? std::string("nothing") : std::string(r->type_name())));
        std::vector<std::string> segRefs;
        for (const auto& x : *r) {
            if (!x.is_string())
                throw Error(at + ": field 'refs': expected strings, found " + std::string(x.type_name()));
            segRefs.push_back(x.get<std::string>());
        }
        const auto h = j.find("hyps");
        if (h == j.end() || !h->is_object() || h->empty())
            throw Error(at + ": field 'hyps': expected an object {\"system name\": \"hypothesis\", ...}, found "
                        + (h == j.end() ? std::string("nothing") : std::string(h->type_name())));
        if (names.empty()) {
            for (const auto& [name, _] : h->items())
                names.push_back(name);
            hyps.resize(names.size());
        }
        if (h->size() != names.size())
            throw Error(at + ": field 'hyps': expected the " + std::to_string(names.size())
                        + " systems of the first line, found " + std::to_string(h->size()));
        for (size_t s = 0; s < names.size(); ++s) {
            const auto v = h->find(names[s]);
            if (v == h->end())
                throw Error(at + ": field 'hyps': no hypothesis for system '" + names[s] + "' (named on the first line)");
            if (!v->is_string())
                throw Error(at + ": field 'hyps." + names[s] + "': expected a string, found " + std::string(v->type_name()));
            hyps[s].push_back(v->get<std::string>());
        }
        refs.push_back(std::move(segRefs));
    }
    if (refs.empty())
        throw Error(a.input + ": no input lines; expected JSON objects {\"id\", \"refs\", \"hyps\"}");

    const Prepared p = prepareText(metric, refs);
    std::vector<std::pair<std::string, eval::SegmentStats>> systems;
    for (size_t s = 0; s < names.size(); ++s)
        systems.emplace_back(names[s], p.table(hyps[s]));
    moveBaselineFirst(systems, a.baseline.empty() ? names.front() : a.baseline, a.input);
    const auto o = testOptions(a);
    const auto results = eval::pairedTest(systems, p.metric, o);
    json out = {{"metric", p.metric.name}, {"test", a.test}, {"samples", engine::effectiveSamples(o)}, {"seed", a.seed},
                {"baseline", systems.front().first}, {"segments", refs.size()}, {"systems", systemsJson(results)}};
    std::cout << out.dump(2) << '\n';
}

// Each task through engine::compareRuns, the baseline run first in the JSON.
void compareRuns(const CompareArgs& a)
{
    if (a.suite.empty())
        throw Error("--runs needs --suite SUITE.json: the suite whose stored evaluations to compare");
    const auto runIds = parseIdList(a.runs, "--runs");
    if (runIds.size() < 2)
        throw Error("--runs: expected at least two run ids separated by commas (e.g. 3,4), found '" + a.runs + "'");
    const eval::SuiteSpec suite = eval::readSuite(a.suite);
    store::RunStore store(a.db);
    for (int64_t id : runIds)
        if (!store.findRun(id))
            throw Error(a.db + ": no run with id " + std::to_string(id));
    std::string baseline = a.baseline.empty() ? std::to_string(runIds.front()) : a.baseline;
    if (baseline.rfind("run ", 0) == 0)
        baseline = baseline.substr(4);
    std::vector<std::pair<std::string, int64_t>> runs;
    for (int64_t id : runIds)
        runs.emplace_back(std::to_string(id), id);
    moveBaselineFirst(runs, baseline, "--runs");

    engine::RunComparisonRequest request;
    request.suite = suite.name;
    request.metric = a.metric;
    request.test = testOptions(a);
    request.where = a.db;
    request.suiteFile = a.suite;
    for (const auto& [name, id] : runs)
        request.models.push_back({id, {}, "run " + name});
    json tasks = json::array();
    for (const auto& t : suite.tasks) {
        if (!a.task.empty() && t.name != a.task)
            continue;
        request.task = t.name;
        request.requested = t.metrics;
        const engine::RunComparison c = engine::compareRuns(store, request);
        std::vector<eval::SystemResult> results;
        for (const auto& m : c.models)
            results.push_back({m.model.label, m.score, m.mean, m.ci, m.low, m.high, m.pValue, m.identicalToBaseline});
        json task = {{"task", t.name}, {"metric", c.metricName}, {"baseline", c.models.front().model.label},
                     {"segments", c.examples}, {"systems", systemsJson(results)}};
        if (!c.significance)
            task["note"] = c.note;
        for (size_t r = 0; r < c.models.size(); ++r) {
            task["systems"][r]["run"] = c.models[r].model.run;
            task["systems"][r]["task_evaluation"] = c.models[r].taskEvaluation;
        }
        tasks.push_back(std::move(task));
    }
    if (tasks.empty())
        throw Error(suite.path + ": --task: no task named '" + a.task + "'");
    json out = {{"suite", suite.name}, {"test", a.test}, {"samples", engine::effectiveSamples(request.test)}, {"seed", a.seed},
                {"tasks", std::move(tasks)}};
    std::cout << out.dump(2) << '\n';
}

} // namespace

void addCompareCommand(CLI::App& app, std::vector<std::pair<CLI::App*, Runner>>& commands)
{
    auto a = std::make_shared<CompareArgs>();
    a->db = store::defaultStorePath();
    auto* cmd = app.add_subcommand("compare", "Is the difference real? Paired bootstrap (sacreBLEU --paired-bs) or "
                                              "approximate randomization (--paired-ar) against a baseline system");
    auto* input = cmd->add_option("--input", a->input, "JSONL lines {\"id\", \"refs\": [...], \"hyps\": {\"system\": \"text\"}}");
    auto* runs = cmd->add_option("--runs", a->runs, "run ids (e.g. 3,4,5): their newest stored evaluations of --suite");
    input->excludes(runs);
    cmd->add_option("--suite", a->suite, "with --runs: the suite (SUITE.json)");
    cmd->add_option("--task", a->task, "with --runs: only this task");
    cmd->add_option("--metric", a->metric,
                    "bleu, chrf, rouge (= rougeL), rouge1, rouge2, rougeLsum; with --runs also a per-example metric "
                    "such as accuracy or exact_match (default: bleu, or the task's primary metric)");
    cmd->add_option("--test", a->test, "bs (paired bootstrap) or ar (approximate randomization)")
        ->capture_default_str()->check(CLI::IsMember({"bs", "ar"}));
    cmd->add_option("--samples", a->samples, "resamples (bs) or trials (ar); 0 = 1000 for bs, 10000 for ar")
        ->capture_default_str()->check(CLI::Range(int64_t(0), int64_t(100000000)));
    cmd->add_option("--seed", a->seed, "seed of numpy's default_rng stream, as SACREBLEU_SEED")->capture_default_str();
    cmd->add_option("--baseline", a->baseline, "the baseline system (a run id with --runs); default: the first");
    cmd->add_option("--db", a->db, "with --runs: the run store (SQLite)")->capture_default_str();
    commands.emplace_back(cmd, [a] {
        if (!a->input.empty())
            compareInput(*a);
        else if (!a->runs.empty())
            compareRuns(*a);
        else
            throw Error("compare: give --input FILE.jsonl, or --runs IDS with --suite SUITE.json");
    });
}

} // namespace tb::cli
