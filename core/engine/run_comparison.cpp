#include "engine/run_comparison.h"

#include "common/error.h"
#include "eval/bleu.h"
#include "eval/chrf.h"
#include "eval/metric_info.h"
#include "eval/rouge.h"
#include "store/run_store.h"

#include <nlohmann/json.hpp>

#include <map>

using nlohmann::json;

namespace tb::engine {

namespace {

bool isRouge(const std::string& m)
{
    return m == "rouge" || m == "rouge1" || m == "rouge2" || m == "rougeL" || m == "rougeLsum";
}

// The newest evaluation of the task for one model, with its per-example outputs.
struct Stored {
    store::ScoredTask scored;
    std::vector<store::Generation> gens;
};

std::string hint(const RunComparisonRequest& r, const ComparedModel& m)
{
    const std::string suite = r.suiteFile.empty() ? r.suite : r.suiteFile;
    return m.run != 0 ? "tunebench-cli eval --run " + std::to_string(m.run) + " --suite " + suite
                      : "tunebench-cli eval --model " + m.baseModel + " --suite " + suite;
}

Stored loadStored(const store::RunStore& db, const RunComparisonRequest& r, const ComparedModel& m,
                  const std::string& where)
{
    store::EvaluationFilter f;
    f.run = m.run;
    if (m.run == 0)
        f.baseModel = m.baseModel;
    f.suite = r.suite;
    f.task = r.task;
    const auto latest = db.latestScores(f);
    if (latest.empty())
        throw Error(where + ": " + m.label + " has no stored evaluation of task '" + r.task + "' of suite '" + r.suite
                    + "'; evaluate it first (" + hint(r, m) + ")");
    return {latest.front(), db.taskGenerations(latest.front().evaluation.id)};
}

std::vector<std::string> splitLines(const std::string& text)
{
    std::vector<std::string> out;
    size_t at = 0;
    while (true) {
        const size_t nl = text.find('\n', at);
        out.push_back(text.substr(at, nl == std::string::npos ? std::string::npos : nl - at));
        if (nl == std::string::npos)
            return out;
        at = nl + 1;
    }
}

// Each model's outputs in the baseline's example order. Every model must
// have exactly the baseline's examples.
std::vector<std::vector<const store::Generation*>> align(const std::vector<Stored>& stored,
                                                         const RunComparisonRequest& r, const std::string& where)
{
    const Stored& base = stored[r.baseline];
    const auto taskEval = [&](size_t m) {
        return where + ": task evaluation " + std::to_string(stored[m].scored.evaluation.id) + " ("
               + r.models[m].label + ", task '" + r.task + "')";
    };
    if (base.gens.empty())
        throw Error(taskEval(r.baseline) + " stored no per-example outputs; evaluate it again to compare it");
    std::vector<std::vector<const store::Generation*>> aligned(stored.size());
    for (size_t m = 0; m < stored.size(); ++m) {
        std::map<std::string, const store::Generation*> byId;
        for (const auto& g : stored[m].gens)
            byId[g.exampleId] = &g;
        if (stored[m].gens.empty())
            throw Error(taskEval(m) + " stored no per-example outputs; evaluate it again to compare it");
        for (const auto& g : base.gens) {
            const auto it = byId.find(g.exampleId);
            if (it == byId.end())
                throw Error(taskEval(m) + " has no output for example '" + g.exampleId + "' that the baseline has");
            aligned[m].push_back(it->second);
        }
        if (byId.size() != base.gens.size())
            throw Error(taskEval(m) + " has " + std::to_string(byId.size()) + " examples where the baseline ("
                        + r.models[r.baseline].label + ") has " + std::to_string(base.gens.size())
                        + "; the example sets differ, evaluate both on the same suite");
    }
    return aligned;
}

// BLEU and chrF from sufficient statistics; ROUGE from per-example F-measures.
eval::CorpusMetric textSystems(const std::string& metric, const Stored& base,
                               const std::vector<std::vector<const store::Generation*>>& aligned,
                               std::vector<eval::SegmentStats>& systems)
{
    const json settings = json::parse(base.scored.evaluation.settingsJson, nullptr, false);
    const bool split = settings.is_object() && settings.value("reference_separator", std::string()) == "\n";
    std::vector<std::vector<std::string>> refs;
    for (const auto* g : aligned[0])
        refs.push_back(split ? splitLines(g->reference) : std::vector<std::string>{g->reference});
    for (const auto& outputs : aligned) {
        std::vector<std::string> hyps;
        for (const auto* g : outputs)
            hyps.push_back(g->output);
        if (metric == "bleu")
            systems.push_back(eval::bleuSegmentTable(hyps, refs, {}));
        else if (metric == "chrf")
            systems.push_back(eval::chrfSegmentTable(hyps, refs, {}));
        else
            systems.push_back(eval::valueTable(eval::rougeValues(hyps, refs, metric, {})));
    }
    if (metric == "bleu")
        return eval::bleuCorpusMetric({});
    if (metric == "chrf")
        return eval::chrfCorpusMetric({});
    return eval::meanCorpusMetric(metric == "rouge" ? "rougeL" : metric);
}

// Accuracy-type metrics: the stored per-example value (0/1 correctness for
// multiple choice and classification), scored as the mean.
eval::CorpusMetric valueSystems(const std::string& metric, const std::vector<Stored>& stored,
                                const std::vector<std::vector<const store::Generation*>>& aligned,
                                const std::string& where, std::vector<eval::SegmentStats>& systems)
{
    const std::string alias = metric == "accuracy" ? "correct" : metric == "accuracy_norm" ? "correct_norm" : metric;
    for (size_t m = 0; m < aligned.size(); ++m) {
        std::vector<double> values;
        for (const auto* g : aligned[m]) {
            const json s = json::parse(g->scoresJson, nullptr, false);
            const std::string key = s.is_object() && s.contains(alias) ? alias : metric;
            if (!s.is_object() || !s.contains(key) || !s[key].is_number())
                throw Error(where + ": task evaluation " + std::to_string(stored[m].scored.evaluation.id)
                            + ", example '" + g->exampleId + "': no per-example value '" + alias + "' for metric '"
                            + metric + "'; compare bleu, chrf, rouge* or a metric stored per example");
            values.push_back(s[key].get<double>());
        }
        systems.push_back(eval::valueTable(values));
    }
    return eval::meanCorpusMetric(metric);
}

std::string chooseMetric(const RunComparisonRequest& r, const Stored& base)
{
    if (!r.metric.empty())
        return r.metric;
    std::vector<std::string> available;
    for (const auto& [m, _] : base.scored.metrics)
        available.push_back(m);
    const std::string metric = eval::primaryMetric(base.scored.evaluation.kind, r.requested, available);
    if (metric.empty())
        throw Error("task '" + r.task + "': no metric to compare; give one");
    return metric;
}

} // namespace

int64_t effectiveSamples(const eval::PairedTestOptions& o)
{
    return o.samples > 0 ? o.samples : (o.kind == eval::PairedTestKind::Bootstrap ? 1000 : 10000);
}

RunComparison compareRuns(const store::RunStore& db, const RunComparisonRequest& r)
{
    if (r.models.empty())
        throw Error("compare: no models to compare");
    if (r.baseline >= r.models.size())
        throw Error("compare: the baseline is model " + std::to_string(r.baseline) + " of "
                    + std::to_string(r.models.size()));
    const std::string where = r.where.empty() ? db.path() : r.where;
    std::vector<Stored> stored;
    for (const auto& m : r.models)
        stored.push_back(loadStored(db, r, m, where));

    RunComparison out;
    out.task = r.task;
    out.baseline = r.baseline;
    out.metric = chooseMetric(r, stored[r.baseline]);
    out.samples = effectiveSamples(r.test);
    if (out.metric == "perplexity" || out.metric == "nll" || stored[r.baseline].scored.evaluation.kind == "perplexity") {
        // Perplexity is exp of the mean NLL over all tokens, not a mean over
        // examples; the stored score is shown without a test.
        out.significance = false;
        out.metricName = out.metric;
        out.note = "no significance test for " + out.metric + " (a token-level quantity, not paired per example)";
        for (size_t m = 0; m < stored.size(); ++m) {
            ModelComparison c;
            c.model = r.models[m];
            c.taskEvaluation = stored[m].scored.evaluation.id;
            const auto it = stored[m].scored.metrics.find(out.metric);
            c.score = it == stored[m].scored.metrics.end() ? 0.0 : it->second;
            out.models.push_back(std::move(c));
        }
        return out;
    }

    const auto aligned = align(stored, r, where);
    // pairedTest wants the baseline first; the results go back to the request's order.
    std::vector<size_t> order{r.baseline};
    for (size_t m = 0; m < r.models.size(); ++m)
        if (m != r.baseline)
            order.push_back(m);
    std::vector<std::vector<const store::Generation*>> ordered;
    std::vector<Stored> orderedStored;
    for (size_t m : order) {
        ordered.push_back(aligned[m]);
        orderedStored.push_back(stored[m]);
    }
    std::vector<eval::SegmentStats> tables;
    const eval::CorpusMetric corpus = out.metric == "bleu" || out.metric == "chrf" || isRouge(out.metric)
                                          ? textSystems(out.metric, orderedStored[0], ordered, tables)
                                          : valueSystems(out.metric, orderedStored, ordered, where, tables);
    std::vector<std::pair<std::string, eval::SegmentStats>> systems;
    for (size_t i = 0; i < order.size(); ++i)
        systems.emplace_back(r.models[order[i]].label, std::move(tables[i]));
    const auto results = eval::pairedTest(systems, corpus, r.test);

    out.metricName = corpus.name;
    out.examples = aligned[r.baseline].size();
    out.models.resize(r.models.size());
    for (size_t i = 0; i < order.size(); ++i) {
        ModelComparison& c = out.models[order[i]];
        const eval::SystemResult& s = results[i];
        c.model = r.models[order[i]];
        c.taskEvaluation = stored[order[i]].scored.evaluation.id;
        c.score = s.score;
        c.mean = s.mean;
        c.ci = s.ci;
        c.low = s.low;
        c.high = s.high;
        c.pValue = s.pValue;
        c.identicalToBaseline = s.identicalToBaseline;
    }
    return out;
}

} // namespace tb::engine
