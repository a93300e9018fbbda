#include "engine/evaluation.h"

#include "common/error.h"
#include "engine/eval_record.h"
#include "engine/model_loader.h"
#include "eval/likelihood.h"
#include "eval/metric_info.h"
#include "model/autocast.h"
#include "store/run_store.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <set>

namespace tb::engine {

using namespace eval; // this file is the evaluation engine: suites, tasks and results throughout

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

void checkCancel(const EvalOptions& o)
{
    throwIfCancelled(o.control);
}

// Keeps the last `keep` ids, the first (BOS) one included when there was one.
std::vector<int64_t> keepTail(const std::vector<int64_t>& ids, int64_t keep, std::optional<int64_t> bos)
{
    if (static_cast<int64_t>(ids.size()) <= keep || keep <= 0)
        return ids;
    std::vector<int64_t> out;
    const bool hasBos = bos && !ids.empty() && ids.front() == *bos;
    if (hasBos)
        out.push_back(ids.front());
    const int64_t rest = keep - static_cast<int64_t>(out.size());
    out.insert(out.end(), ids.end() - rest, ids.end());
    return out;
}

// --- data parallel -----------------------------------------------------------

int rankOf(const EvalOptions& o) { return o.group ? o.group->rank() : 0; }
int worldOf(const EvalOptions& o) { return o.group ? o.group->size() : 1; }

// The batches of `count` items in batches of `batch` that this rank takes
// (b % world == rank), as (start, end) item ranges in order.
std::vector<std::pair<size_t, size_t>> myBatches(size_t count, size_t batch, const EvalOptions& o)
{
    std::vector<std::pair<size_t, size_t>> out;
    const size_t world = static_cast<size_t>(worldOf(o));
    for (size_t b = static_cast<size_t>(rankOf(o)), start = b * batch; start < count; b += world, start = b * batch)
        out.emplace_back(start, std::min(count, start + batch));
    return out;
}

// Runs `work` (this rank's share, as JSON) on every rank and returns every
// rank's JSON by rank; a rank whose work threw makes every rank throw its
// error (the ranks stay in step). Without a group: work() alone.
std::vector<json> gatherShares(const EvalOptions& o, const std::function<json()>& work)
{
    if (worldOf(o) == 1)
        return {work()};
    json mine;
    try {
        mine = {{"ok", work()}};
    } catch (const std::exception& e) {
        const std::string what = e.what();
        mine = {{"error", what.substr(0, what.find('\n'))}};
    }
    std::vector<json> all;
    for (const auto& text : o.group->allgather(mine.dump(-1, ' ', false, json::error_handler_t::replace))) {
        json j = json::parse(text);
        if (j.contains("error"))
            throw Error(j["error"].get<std::string>());
        all.push_back(std::move(j["ok"]));
    }
    return all;
}

struct Generated {
    std::vector<std::string> outputs;
    int64_t tokens = 0;
};

Generated generateAll(LoadedModel& l, const TaskData& task, const std::vector<EvalExample>& examples,
                      const EvalOptions& o, const std::string& progressName)
{
    const auto& c = l.lm->config();
    model::GenerationOptions go;
    go.maxNewTokens = task.spec.maxNewTokens;
    go.temperature = 0.0;
    go.stopStrings = task.spec.stop;
    // Room for the answer: long prompts lose their beginning, not the question.
    const int64_t keep = std::max<int64_t>(1, c.maxPositions - go.maxNewTokens - l.scoring().softPromptLength());
    const size_t batch = static_cast<size_t>(std::max<int64_t>(1, o.batchSize));
    // This rank's batches: {"first": index of each batch's first example, "outputs", "tokens"}.
    const auto shares = gatherShares(o, [&] {
        json share = {{"first", json::array()}, {"outputs", json::array()}, {"tokens", 0}};
        int64_t tokens = 0;
        for (const auto& [start, end] : myBatches(examples.size(), batch, o)) {
            checkCancel(o);
            std::vector<std::vector<int64_t>> prompts;
            for (size_t i = start; i < end; ++i) {
                prompts.push_back(keepTail(l.tokenizer->encode(examples[i].prompt, true), keep, l.tokenizer->bosId()));
                tokens += static_cast<int64_t>(prompts.back().size());
            }
            const auto results = l.scoring().generate(prompts, go);
            share["first"].push_back(start);
            for (const auto& r : results) {
                share["outputs"].push_back(r.text);
                tokens += static_cast<int64_t>(r.ids.size());
            }
            if (o.progress && rankOf(o) == 0)
                o.progress(progressName, static_cast<int64_t>(end), static_cast<int64_t>(examples.size()));
        }
        share["tokens"] = tokens;
        return share;
    });
    Generated g;
    g.outputs.resize(examples.size());
    for (const auto& share : shares) {
        // Each rank's batches in order: consecutive outputs fill each batch from its first example.
        const auto& outputs = share["outputs"];
        size_t k = 0;
        for (const auto& first : share["first"])
            for (size_t i = first.get<size_t>(); i < std::min(examples.size(), first.get<size_t>() + batch); ++i)
                g.outputs[i] = outputs.at(k++).get<std::string>();
        g.tokens += share["tokens"].get<int64_t>();
    }
    return g;
}

// --- log-likelihood ------------------------------------------------------------

// Rows that belong to examples (owner[k] is row k's example): scored in
// batches of o.batchSize, progress reported in examples.
Scored scoreExampleRows(LoadedModel& l, const std::vector<std::vector<int64_t>>& contexts,
                        const std::vector<std::vector<int64_t>>& continuations, const std::vector<size_t>& owner,
                        size_t exampleCount, const EvalOptions& o, const std::string& progressName)
{
    const size_t batch = static_cast<size_t>(std::max<int64_t>(1, o.batchSize));
    const auto progress = [&](size_t rowsDone) {
        if (o.progress)
            o.progress(progressName, rowsDone == owner.size() ? int64_t(exampleCount) : int64_t(owner[rowsDone]),
                       int64_t(exampleCount));
    };
    if (worldOf(o) == 1)
        return scoreContinuations(l.scoring(), contexts, continuations, batch, o.control, progress);
    // Data parallel: this rank's batches of rows, each scored as one process
    // scores it; every rank's rows, log-probabilities and counts gathered.
    const auto shares = gatherShares(o, [&] {
        std::vector<std::vector<int64_t>> myContexts, myContinuations;
        std::vector<size_t> rows;
        for (const auto& [start, end] : myBatches(contexts.size(), batch, o))
            for (size_t k = start; k < end; ++k) {
                myContexts.push_back(contexts[k]);
                myContinuations.push_back(continuations[k]);
                rows.push_back(k);
            }
        const auto done = [&](size_t mine) { // rank 0 reports where its share has got to
            if (rankOf(o) == 0)
                progress(mine == rows.size() ? owner.size() : rows[mine]);
        };
        const Scored s = scoreContinuations(l.scoring(), myContexts, myContinuations, batch, o.control, done);
        return json{{"rows", rows}, {"logprob", s.logprob}, {"tokens", s.tokens}, {"processed", s.processed}};
    });
    Scored all;
    all.logprob.assign(contexts.size(), 0.0);
    all.tokens.assign(contexts.size(), 0);
    for (const auto& share : shares) {
        const auto rows = share["rows"].get<std::vector<size_t>>();
        const auto logprob = share["logprob"].get<std::vector<double>>();
        const auto tokens = share["tokens"].get<std::vector<int64_t>>();
        for (size_t k = 0; k < rows.size(); ++k) {
            all.logprob[rows[k]] = logprob[k];
            all.tokens[rows[k]] = tokens[k];
        }
        all.processed += share["processed"].get<int64_t>();
    }
    return all;
}

struct ChoiceRun {
    std::vector<ChoiceScores> scores;
    std::vector<ChoiceResult> results;
    int64_t tokens = 0;
};

ChoiceRun runChoices(LoadedModel& l, const std::vector<EvalExample>& examples, const EvalOptions& o,
                     const std::string& progressName)
{
    std::vector<std::vector<int64_t>> contexts, continuations;
    std::vector<size_t> owner;
    for (size_t i = 0; i < examples.size(); ++i) {
        const auto& ex = examples[i];
        if (ex.options.empty())
            throw Error(ex.origin + ": the example has no options to choose from");
        // As lm-evaluation-harness does: the context and the continuation are
        // tokenised separately, then concatenated.
        const auto context = l.tokenizer->encode(ex.prompt, true);
        for (const auto& option : ex.options) {
            auto cont = l.tokenizer->encode(option, false);
            if (cont.empty())
                throw Error(ex.origin + ": option '" + option + "' has no tokens");
            contexts.push_back(context);
            continuations.push_back(std::move(cont));
            owner.push_back(i);
        }
    }
    const Scored s = scoreExampleRows(l, contexts, continuations, owner, examples.size(), o, progressName);
    ChoiceRun run;
    run.tokens = s.processed;
    run.results.resize(examples.size());
    for (size_t k = 0; k < owner.size(); ++k) {
        run.results[owner[k]].logprobs.push_back(s.logprob[k]);
        run.results[owner[k]].tokens.push_back(s.tokens[k]);
    }
    for (size_t i = 0; i < examples.size(); ++i)
        run.scores.push_back(scoreChoice(examples[i], run.results[i]));
    return run;
}

std::string trimmed(const std::string& s)
{
    const size_t a = s.find_first_not_of(" \t\r\n");
    if (a == std::string::npos)
        return {};
    const size_t b = s.find_last_not_of(" \t\r\n");
    return s.substr(a, b - a + 1);
}

int calibrationBins(const SuiteSpec& suite)
{
    return suite.helm ? suite.helm->calibrationBins : 10;
}

bool wants(const TaskData& task, const std::string& metric)
{
    return std::find(task.metrics.begin(), task.metrics.end(), metric) != task.metrics.end();
}

std::map<std::string, double> choiceAggregates(const TaskData& task, const std::vector<ChoiceScores>& scores, int bins)
{
    std::vector<double> conf, correct;
    double acc = 0, accNorm = 0;
    for (const auto& s : scores) {
        acc += s.correct;
        accNorm += s.correctNorm;
        conf.push_back(s.confidence);
        correct.push_back(s.correct);
    }
    const double n = std::max<double>(1.0, double(scores.size()));
    std::map<std::string, double> m;
    if (wants(task, "accuracy"))
        m["accuracy"] = acc / n;
    if (wants(task, "accuracy_norm"))
        m["accuracy_norm"] = accNorm / n;
    if (wants(task, "ece"))
        m["ece"] = expectedCalibrationError(conf, correct, bins);
    return m;
}

// The per-example value the HELM worst case is taken over.
double exampleScore(const TaskData& task, const std::map<std::string, double>& scores)
{
    const std::string m = primaryMetric(task);
    const auto it = scores.find(m == "accuracy" && task.spec.type != TaskType::Generate ? "correct" : m);
    return it == scores.end() ? 0.0 : it->second;
}

// --- perplexity ------------------------------------------------------------------

struct NllRun {
    std::vector<double> nll;      // summed per text
    std::vector<int64_t> counted; // predicted tokens per text
    int64_t tokens = 0;
};

NllRun runPerplexity(LoadedModel& l, const std::vector<EvalExample>& examples, const EvalOptions& o,
                     const std::string& progressName)
{
    const int64_t window = l.lm->config().maxPositions - l.scoring().softPromptLength();
    // Windows of `window` tokens overlapping by one, so each token after the
    // first is predicted exactly once.
    std::vector<std::vector<int64_t>> contexts, continuations;
    std::vector<size_t> owner;
    for (size_t i = 0; i < examples.size(); ++i) {
        if (examples[i].references.empty())
            throw Error(examples[i].origin + ": no text to score");
        const auto ids = l.tokenizer->encode(examples[i].references[0], true);
        if (ids.size() < 2)
            continue;
        for (size_t startAt = 0; startAt + 1 < ids.size(); startAt += size_t(window - 1)) {
            const size_t stop = std::min(ids.size(), startAt + size_t(window));
            contexts.push_back({ids[startAt]});
            continuations.emplace_back(ids.begin() + long(startAt) + 1, ids.begin() + long(stop));
            owner.push_back(i);
        }
    }
    const Scored s = scoreExampleRows(l, contexts, continuations, owner, examples.size(), o, progressName);
    NllRun r;
    r.nll.assign(examples.size(), 0.0);
    r.counted.assign(examples.size(), 0);
    for (size_t k = 0; k < owner.size(); ++k) {
        r.nll[owner[k]] -= s.logprob[k];
        r.counted[owner[k]] += s.tokens[k];
    }
    r.tokens = s.processed;
    return r;
}

json specJson(const TaskSpec& t)
{
    json j = {{"type", taskTypeName(t.type)}, {"format", taskFormatName(t.format)}, {"data", t.data},
              {"shots", t.shots},             {"limit", t.limit},                   {"metrics", t.metrics}};
    if (!t.dev.empty())
        j["dev"] = t.dev;
    if (t.type == TaskType::Generate) {
        j["max_new_tokens"] = t.maxNewTokens;
        j["stop"] = t.stop;
    }
    return j;
}

// --- one task ---------------------------------------------------------------------

TaskResult runTask(LoadedModel& l, const SuiteSpec& suite, TaskData& task, const EvalOptions& o, json& settings)
{
    TaskResult r;
    r.task = task.spec.name;
    r.type = task.spec.type;
    const auto start = Clock::now();
    const auto& ex = task.examples;
    const int bins = calibrationBins(suite);
    const bool helm = o.helm && suite.helm && !suite.helm->perturbations.empty()
                      && task.spec.type != TaskType::Perplexity;
    std::vector<double> perExample; // primary per-example score, for the HELM worst case

    if (task.spec.type == TaskType::Generate) {
        const Generated g = generateAll(l, task, ex, o, r.task);
        r.tokens += g.tokens;
        std::vector<std::vector<std::string>> refs;
        for (size_t i = 0; i < ex.size(); ++i) {
            ExampleOutput out;
            out.id = ex[i].id;
            out.prompt = ex[i].prompt;
            std::string joined;
            for (const auto& ref : ex[i].references)
                joined += (joined.empty() ? "" : "\n") + ref;
            out.reference = joined;
            out.output = g.outputs[i];
            out.scores = scoreGeneration(g.outputs[i], ex[i].references, task.metrics);
            perExample.push_back(exampleScore(task, out.scores));
            r.examples.push_back(std::move(out));
            refs.push_back(ex[i].references);
            if (ex[i].references.size() > 1)
                settings["reference_separator"] = "\n";
        }
        r.metrics = scoreCorpus(g.outputs, refs, task.metrics);
    } else if (task.spec.type == TaskType::Perplexity) {
        const NllRun n = runPerplexity(l, ex, o, r.task);
        r.tokens += n.tokens;
        double nll = 0;
        int64_t count = 0;
        for (size_t i = 0; i < ex.size(); ++i) {
            ExampleOutput out;
            out.id = ex[i].id;
            out.prompt = "";
            out.reference = ex[i].references[0];
            const double mean = n.counted[i] ? n.nll[i] / double(n.counted[i]) : 0.0;
            out.scores = {{"nll", mean}, {"perplexity", std::exp(mean)}, {"tokens", double(n.counted[i])}};
            nll += n.nll[i];
            count += n.counted[i];
            r.examples.push_back(std::move(out));
        }
        const double mean = count ? nll / double(count) : 0.0;
        r.metrics["nll"] = mean;
        r.metrics["perplexity"] = std::exp(mean);
    } else {
        const ChoiceRun c = runChoices(l, ex, o, r.task);
        r.tokens += c.tokens;
        for (size_t i = 0; i < ex.size(); ++i) {
            const auto& s = c.scores[i];
            ExampleOutput out;
            out.id = ex[i].id;
            out.prompt = ex[i].prompt;
            out.reference = ex[i].answer >= 0 ? trimmed(ex[i].options[size_t(ex[i].answer)]) : "";
            out.output = trimmed(ex[i].options[size_t(s.predicted)]);
            out.scores = {{"correct", s.correct}, {"correct_norm", s.correctNorm}, {"confidence", s.confidence}};
            perExample.push_back(s.correct);
            r.examples.push_back(std::move(out));
        }
        r.metrics = choiceAggregates(task, c.scores, bins);
    }

    if (helm) {
        // HELM's robustness: the same examples with perturbed inputs; the
        // worst score an example gets over the original and every perturbation.
        std::vector<double> worst = perExample;
        for (const auto& p : suite.helm->perturbations) {
            std::vector<EvalExample> changed;
            for (const auto& e : ex)
                changed.push_back(perturbExample(e, p, suite.helm->seed));
            const std::string name = r.task + " (" + p + ")";
            std::vector<double> scores;
            if (task.spec.type == TaskType::Generate) {
                const Generated g = generateAll(l, task, changed, o, name);
                r.tokens += g.tokens;
                std::vector<std::vector<std::string>> refs;
                for (size_t i = 0; i < changed.size(); ++i) {
                    scores.push_back(exampleScore(task, scoreGeneration(g.outputs[i], changed[i].references,
                                                                        task.metrics)));
                    refs.push_back(changed[i].references);
                }
                const auto corpus = scoreCorpus(g.outputs, refs, task.metrics);
                const auto it = corpus.find(primaryMetric(task));
                r.metrics["robustness_" + p] = it == corpus.end() ? 0.0 : it->second;
            } else {
                const ChoiceRun c = runChoices(l, changed, o, name);
                r.tokens += c.tokens;
                double acc = 0;
                for (const auto& s : c.scores) {
                    scores.push_back(s.correct);
                    acc += s.correct;
                }
                r.metrics["robustness_" + p] = c.scores.empty() ? 0.0 : acc / double(c.scores.size());
            }
            for (size_t i = 0; i < worst.size(); ++i) {
                worst[i] = std::min(worst[i], scores[i]);
                // Per example too, so the example view shows which inputs broke.
                if (i < r.examples.size())
                    r.examples[i].scores["robustness_" + p] = scores[i];
            }
        }
        double sum = 0;
        for (size_t i = 0; i < worst.size(); ++i) {
            sum += worst[i];
            if (i < r.examples.size())
                r.examples[i].scores["robustness"] = worst[i];
        }
        r.metrics["robustness"] = worst.empty() ? 0.0 : sum / double(worst.size());
        settings["perturbations"] = suite.helm->perturbations;
        settings["perturbation_seed"] = suite.helm->seed;
    }

    r.seconds = secondsSince(start);
    r.metrics["seconds"] = r.seconds;
    r.metrics["examples_per_s"] = r.seconds > 0 ? double(ex.size()) / r.seconds : 0.0;
    r.metrics["tokens_per_s"] = r.seconds > 0 ? double(r.tokens) / r.seconds : 0.0;
    return r;
}

} // namespace

SuiteResult evaluate(const ModelSpec& spec, const SuiteSpec& suite, const EvalOptions& options)
{
    for (const auto& name : options.tasks) {
        const bool known = std::any_of(suite.tasks.begin(), suite.tasks.end(),
                                       [&](const TaskSpec& t) { return t.name == name; });
        if (!known) {
            std::string names;
            for (const auto& t : suite.tasks)
                names += (names.empty() ? "" : ", ") + t.name;
            throw Error(suite.path + ": no task named '" + name + "' (the suite has " + names + ")");
        }
    }
    // Read every selected task's data before the (slow) model load, so bad
    // data fails fast.
    std::vector<TaskData> tasks;
    for (TaskSpec t : suite.tasks) {
        if (!options.tasks.empty()
            && std::find(options.tasks.begin(), options.tasks.end(), t.name) == options.tasks.end())
            continue;
        if (options.limit > 0)
            t.limit = options.limit;
        tasks.push_back(loadTask(t));
    }
    std::optional<store::RunStore> store;
    if (!options.dbPath.empty() && rankOf(options) == 0) // rank 0 alone writes
        store.emplace(options.dbPath);

    const int previousThreads = torch::get_num_threads();
    if (options.threads > 0)
        torch::set_num_threads(options.threads);
    struct RestoreThreads {
        int n;
        bool changed;
        ~RestoreThreads()
        {
            if (changed)
                torch::set_num_threads(n);
        }
    } restore{previousThreads, options.threads > 0};

    LoadedModel l = loadModel(spec, options.dbPath, options.control, TokenizerNeed::Required, "auto");
    SuiteResult result;
    result.suite = suite.name;
    result.modelLabel = l.label;
    for (TaskData& task : tasks) {
        checkCancel(options);
        json settings = specJson(task.spec);
        settings["batch_size"] = options.batchSize;
        settings["limit_override"] = options.limit;
        settings["decoding"] = "greedy";
        settings["calibration_bins"] = calibrationBins(suite);
        settings["suite_path"] = suite.path;
        if (!spec.tokenizer.empty())
            settings["tokenizer"] = spec.tokenizer;
        settings["precision"] = l.precision; // bf16 scores can differ slightly from f32 ones
        TaskResult r;
        {
            model::AutocastScope autocast(l.precision == "bf16", l.scoring().device());
            r = runTask(l, suite, task, options, settings);
        }
        if (store)
            recordTaskResult(*store, l, suite, r, settings.dump());
        result.tasks.push_back(std::move(r));
    }
    return result;
}

} // namespace tb::engine
