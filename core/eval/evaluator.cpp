#include "eval/evaluator.h"

#include "common/error.h"
#include "model/causal_lm.h"
#include "model/language_model.h"
#include "peft/peft_model.h"
#include "store/run_store.h"
#include "tokenizer/tokenizer.h"
#include "train/run_config.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <set>

namespace tb::eval {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// Everything needed to run one suite: the model (with what was learned
// applied), its tokenizer and how results are labelled in the store.
struct Loaded {
    std::unique_ptr<model::LanguageModel> lm;
    std::unique_ptr<peft::PeftModel> peft; // null for a plain model
    std::unique_ptr<tok::Tokenizer> tokenizer;
    std::string baseModel;                 // recorded as the base model path
    std::string adapter;                   // recorded adapter folder (no run)
    int64_t run = 0;
    std::string label;
    bool softPrompt = false;               // prompt tuning: the model alone cannot generate it
};

std::unique_ptr<tok::Tokenizer> tokenizerNear(const std::string& modelPath)
{
    const fs::path m(modelPath);
    const fs::path folder = fs::is_directory(m) ? m : m.parent_path();
    if (!tok::hasTokenizer(folder.string()))
        throw Error(modelPath + ": no tokenizer in the model folder; give one with --tokenizer");
    return tok::loadTokenizer(folder.string());
}

Loaded loadModel(const ModelSpec& spec, const std::string& dbPath)
{
    Loaded l;
    model::LoadOptions lo;
    lo.device = spec.device.empty() ? "cpu" : spec.device;
    std::string tokenizerPath = spec.tokenizer;
    if (spec.run != 0) {
        if (!spec.adapterDir.empty())
            throw Error("evaluate: give either an adapter folder or a run, not both");
        if (dbPath.empty())
            throw Error("evaluate: run " + std::to_string(spec.run) + " needs the run store (--db)");
        store::RunStore store(dbPath);
        const auto found = store.findRun(spec.run);
        if (!found)
            throw Error(dbPath + ": no run with id " + std::to_string(spec.run));
        const auto config = train::parseRunConfig(json::parse(found->configJson),
                                                  "run " + std::to_string(spec.run) + " configuration");
        std::string saved, kind;
        for (const auto& a : store.artifacts(spec.run))
            if (a.kind == "adapter" || a.kind == "model" || a.kind == "merged") {
                saved = a.path;
                kind = a.kind;
            }
        if (saved.empty())
            throw Error("run " + std::to_string(spec.run) + " (" + std::string(store::runStatusName(found->status))
                        + ") has saved no weights yet; only completed runs can be evaluated");
        l.run = spec.run;
        l.baseModel = spec.model.empty() ? config.model : spec.model;
        l.label = "run " + std::to_string(spec.run) + " (" + found->name + ")";
        if (tokenizerPath.empty())
            tokenizerPath = config.tokenizer;
        if (kind == "adapter") {
            l.lm = model::LanguageModel::load(l.baseModel, lo);
            l.peft = peft::PeftModel::loadAdapter(saved, l.lm->module());
        } else {
            l.lm = model::LanguageModel::load(saved, lo); // a whole model folder
        }
        l.tokenizer = tokenizerPath.empty() ? tokenizerNear(l.baseModel) : tok::loadTokenizer(tokenizerPath);
    } else {
        if (spec.model.empty())
            throw Error("evaluate: no model given");
        l.baseModel = spec.model;
        l.lm = model::LanguageModel::load(spec.model, lo);
        if (!spec.adapterDir.empty()) {
            l.peft = peft::PeftModel::loadAdapter(spec.adapterDir, l.lm->module());
            l.adapter = spec.adapterDir;
            l.label = spec.adapterDir;
        } else {
            l.label = "base";
        }
        l.tokenizer = tokenizerPath.empty() ? tokenizerNear(spec.model) : tok::loadTokenizer(tokenizerPath);
    }
    // Modules PEFT added after loading start in training mode (dropout on).
    l.lm->module()->eval();
    for (auto& p : l.lm->module()->parameters())
        p.set_requires_grad(false);
    l.softPrompt = l.peft && l.peft->promptEmbeddings().defined();
    return l;
}

void checkCancel(const EvalOptions& o)
{
    if (o.cancel && o.cancel->load())
        throw Error("cancelled");
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

// --- generation ----------------------------------------------------------------

// Greedy generation with a soft prompt in front of every row (prompt tuning):
// rows are laid out as [padding][virtual tokens][prompt], the padding masked,
// positions counted from the first virtual token as PeftModel::forward does.
std::vector<model::GenerationResult> generateSoftPrompt(Loaded& l, const std::vector<std::vector<int64_t>>& prompts,
                                                        const model::GenerationOptions& o)
{
    auto module = l.lm->module();
    const auto& c = module->config();
    const torch::Tensor soft = l.peft->promptEmbeddings().detach();
    const int64_t B = static_cast<int64_t>(prompts.size());
    const int64_t P = soft.size(0);
    int64_t maxLen = 0;
    for (const auto& p : prompts)
        maxLen = std::max<int64_t>(maxLen, static_cast<int64_t>(p.size()));
    const int64_t width = P + maxLen;
    const int64_t capacity = width + o.maxNewTokens;
    const std::optional<int64_t> eos = l.tokenizer->eosId() ? l.tokenizer->eosId() : c.eosId;
    const auto dev = soft.device();
    torch::NoGradGuard noGrad;
    const auto longOpts = torch::TensorOptions().dtype(torch::kLong);

    auto ids = torch::zeros({B, maxLen}, longOpts);
    auto positions = torch::zeros({B, width}, longOpts);
    auto keyMask = torch::ones({B, capacity}, torch::kBool);
    for (int64_t r = 0; r < B; ++r) {
        const int64_t n = static_cast<int64_t>(prompts[r].size());
        const int64_t offset = maxLen - n;
        ids.index_put_({r, torch::indexing::Slice(offset, maxLen)}, torch::tensor(prompts[r], longOpts));
        positions.index_put_({r, torch::indexing::Slice(offset, width)}, torch::arange(P + n, longOpts));
        keyMask.index_put_({r, torch::indexing::Slice(0, offset)}, false);
    }
    // Token embeddings of the padded ids, then the soft prompt moved in front
    // of each row's first real token.
    auto tokens = module->embed(ids.to(dev));
    std::vector<torch::Tensor> rows;
    for (int64_t r = 0; r < B; ++r) {
        const int64_t offset = maxLen - static_cast<int64_t>(prompts[r].size());
        auto row = tokens[r];
        rows.push_back(torch::cat({row.index({torch::indexing::Slice(0, offset)}), soft.to(row.scalar_type()),
                                   row.index({torch::indexing::Slice(offset, maxLen)})},
                                  0));
    }
    model::KVCache cache = module->makeCache(B, capacity);
    keyMask = keyMask.to(dev);
    model::ForwardInput in;
    in.inputEmbeds = torch::stack(rows);
    in.positions = positions.to(dev);
    in.keyMask = keyMask.index({torch::indexing::Slice(), torch::indexing::Slice(0, width)});
    in.cache = &cache;
    auto last = module->forward(in).index({torch::indexing::Slice(), -1}).to(torch::kCPU, torch::kFloat32);

    std::vector<model::GenerationResult> results(prompts.size());
    std::vector<bool> active(prompts.size(), true);
    for (int64_t step = 0; step < o.maxNewTokens; ++step) {
        std::vector<int64_t> next(prompts.size(), 0);
        for (int64_t r = 0; r < B; ++r) {
            if (!active[r])
                continue;
            auto& res = results[r];
            const int64_t id = last[r].argmax().item<int64_t>();
            next[r] = id;
            res.ids.push_back(id);
            if (o.stopAtEos && eos && id == *eos) {
                res.stopReason = "eos";
            } else if (!o.stopStrings.empty()) {
                const std::string text = l.tokenizer->decode(res.ids, true);
                size_t cut = std::string::npos;
                for (const auto& s : o.stopStrings)
                    if (!s.empty())
                        cut = std::min(cut, text.find(s));
                if (cut != std::string::npos) {
                    res.stopReason = "stop_string";
                    res.text = text.substr(0, cut);
                }
            }
            if (res.stopReason.empty() && P + static_cast<int64_t>(prompts[r].size() + res.ids.size()) >= c.maxPositions)
                res.stopReason = "context_full";
            if (res.stopReason.empty() && step + 1 == o.maxNewTokens)
                res.stopReason = "max_new_tokens";
            if (!res.stopReason.empty())
                active[r] = false;
        }
        if (std::none_of(active.begin(), active.end(), [](bool a) { return a; }))
            break;
        std::vector<int64_t> pos(prompts.size());
        for (int64_t r = 0; r < B; ++r)
            pos[r] = std::min(P + static_cast<int64_t>(prompts[r].size()) + step, c.maxPositions - 1);
        model::ForwardInput s;
        s.ids = torch::tensor(next, longOpts).view({B, 1}).to(dev);
        s.positions = torch::tensor(pos, longOpts).view({B, 1}).to(dev);
        s.keyMask = keyMask.index({torch::indexing::Slice(), torch::indexing::Slice(0, width + step + 1)});
        s.cache = &cache;
        last = module->forward(s).index({torch::indexing::Slice(), -1}).to(torch::kCPU, torch::kFloat32);
    }
    for (auto& res : results)
        if (res.stopReason != "stop_string")
            res.text = l.tokenizer->decode(res.ids, true);
    return results;
}

int64_t softPromptLength(const Loaded& l)
{
    return l.softPrompt ? l.peft->promptEmbeddings().size(0) : 0;
}

struct Generated {
    std::vector<std::string> outputs;
    int64_t tokens = 0;
};

Generated generateAll(Loaded& l, const TaskData& task, const std::vector<EvalExample>& examples,
                      const EvalOptions& o, const std::string& progressName)
{
    const auto& c = l.lm->config();
    model::GenerationOptions go;
    go.maxNewTokens = task.spec.maxNewTokens;
    go.temperature = 0.0;
    go.stopStrings = task.spec.stop;
    // Room for the answer: long prompts lose their beginning, not the question.
    const int64_t keep = std::max<int64_t>(1, c.maxPositions - go.maxNewTokens - softPromptLength(l));
    Generated g;
    g.outputs.resize(examples.size());
    const size_t batch = static_cast<size_t>(std::max<int64_t>(1, o.batchSize));
    for (size_t start = 0; start < examples.size(); start += batch) {
        checkCancel(o);
        const size_t end = std::min(examples.size(), start + batch);
        std::vector<std::vector<int64_t>> prompts;
        for (size_t i = start; i < end; ++i) {
            prompts.push_back(keepTail(l.tokenizer->encode(examples[i].prompt, true), keep, l.tokenizer->bosId()));
            g.tokens += static_cast<int64_t>(prompts.back().size());
        }
        const auto results =
            l.softPrompt ? generateSoftPrompt(l, prompts, go) : l.lm->generate(prompts, go, l.tokenizer.get());
        for (size_t i = start; i < end; ++i) {
            g.outputs[i] = results[i - start].text;
            g.tokens += static_cast<int64_t>(results[i - start].ids.size());
        }
        if (o.progress)
            o.progress(progressName, static_cast<int64_t>(end), static_cast<int64_t>(examples.size()));
    }
    return g;
}

// --- log-likelihood ------------------------------------------------------------

// Logits [B, T, V] for right-padded rows (causal: padding after a row's end
// never changes its earlier positions).
torch::Tensor forwardRows(Loaded& l, const torch::Tensor& ids)
{
    if (l.peft)
        return l.peft->forward(ids);
    model::ForwardInput in;
    in.ids = ids;
    return l.lm->module()->forward(in);
}

// Sum of log p(continuation | context) and the continuation's token count,
// for each (context, continuation) pair.
struct Scored {
    std::vector<double> logprob;
    std::vector<int64_t> tokens;
    int64_t processed = 0;
};

Scored scoreContinuations(Loaded& l, const std::vector<std::vector<int64_t>>& contexts,
                          const std::vector<std::vector<int64_t>>& continuations, size_t batch,
                          const EvalOptions& o, const std::function<void(size_t)>& done)
{
    const auto& c = l.lm->config();
    const int64_t maxInput = c.maxPositions - softPromptLength(l);
    Scored s;
    s.logprob.resize(contexts.size());
    s.tokens.resize(contexts.size());
    torch::NoGradGuard noGrad;
    const auto dev = l.lm->module()->parameters().front().device();
    for (size_t start = 0; start < contexts.size(); start += batch) {
        checkCancel(o);
        const size_t end = std::min(contexts.size(), start + batch);
        std::vector<std::vector<int64_t>> inputs;
        std::vector<int64_t> firstTarget; // index in the input whose next token is the continuation's first
        int64_t width = 0;
        for (size_t i = start; i < end; ++i) {
            std::vector<int64_t> all = contexts[i];
            all.insert(all.end(), continuations[i].begin(), continuations[i].end());
            // The model sees all but the last token; overlong inputs lose their start.
            std::vector<int64_t> input(all.begin(), all.end() - 1);
            int64_t first = static_cast<int64_t>(contexts[i].size()) - 1;
            if (static_cast<int64_t>(input.size()) > maxInput) {
                const int64_t drop = static_cast<int64_t>(input.size()) - maxInput;
                input.erase(input.begin(), input.begin() + drop);
                first -= drop;
                if (first < 0)
                    throw Error("an option is longer than the model's context of " + std::to_string(c.maxPositions)
                                + " tokens");
            }
            width = std::max<int64_t>(width, static_cast<int64_t>(input.size()));
            inputs.push_back(std::move(input));
            firstTarget.push_back(first);
        }
        const int64_t B = static_cast<int64_t>(inputs.size());
        auto ids = torch::zeros({B, width}, torch::kLong);
        for (int64_t r = 0; r < B; ++r)
            ids.index_put_({r, torch::indexing::Slice(0, static_cast<int64_t>(inputs[r].size()))},
                           torch::tensor(inputs[r], torch::kLong));
        auto logp = torch::log_softmax(forwardRows(l, ids.to(dev)).to(torch::kFloat32), -1).cpu();
        for (int64_t r = 0; r < B; ++r) {
            const auto& cont = continuations[start + r];
            const int64_t n = static_cast<int64_t>(cont.size());
            auto rows = logp[r].index({torch::indexing::Slice(firstTarget[r], firstTarget[r] + n)});
            auto picked = rows.gather(1, torch::tensor(cont, torch::kLong).view({n, 1}));
            s.logprob[start + r] = picked.to(torch::kFloat64).sum().item<double>();
            s.tokens[start + r] = n;
            s.processed += static_cast<int64_t>(inputs[r].size());
        }
        if (done)
            done(end);
    }
    return s;
}

// Rows that belong to examples (owner[k] is row k's example): scored in
// batches of o.batchSize, progress reported in examples.
Scored scoreExampleRows(Loaded& l, const std::vector<std::vector<int64_t>>& contexts,
                        const std::vector<std::vector<int64_t>>& continuations, const std::vector<size_t>& owner,
                        size_t exampleCount, const EvalOptions& o, const std::string& progressName)
{
    const size_t batch = static_cast<size_t>(std::max<int64_t>(1, o.batchSize));
    const auto progress = [&](size_t rowsDone) {
        if (o.progress)
            o.progress(progressName, rowsDone == owner.size() ? int64_t(exampleCount) : int64_t(owner[rowsDone]),
                       int64_t(exampleCount));
    };
    return scoreContinuations(l, contexts, continuations, batch, o, progress);
}

struct ChoiceRun {
    std::vector<ChoiceScores> scores;
    std::vector<ChoiceResult> results;
    int64_t tokens = 0;
};

ChoiceRun runChoices(Loaded& l, const std::vector<EvalExample>& examples, const EvalOptions& o,
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

NllRun runPerplexity(Loaded& l, const std::vector<EvalExample>& examples, const EvalOptions& o,
                     const std::string& progressName)
{
    const int64_t window = l.lm->config().maxPositions - softPromptLength(l);
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

TaskResult runTask(Loaded& l, const SuiteSpec& suite, TaskData& task, const EvalOptions& o, json& settings)
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

void record(store::RunStore& store, const Loaded& l, const SuiteSpec& suite, TaskResult& r, const json& settings)
{
    store::TaskEvaluation te;
    te.run = l.run;
    te.baseModel = l.baseModel;
    te.adapter = l.adapter;
    te.suite = suite.name;
    te.task = r.task;
    te.kind = taskTypeName(r.type);
    te.settingsJson = settings.dump();
    te.examples = static_cast<int64_t>(r.examples.size());
    te.seconds = r.seconds;
    te.tokens = r.tokens;
    r.taskEvaluation = store.addTaskEvaluation(te);
    for (const auto& [metric, value] : r.metrics) {
        store::Evaluation e;
        e.run = l.run;
        e.baseModel = l.baseModel;
        e.suite = suite.name;
        e.task = r.task;
        e.metric = metric;
        e.value = value;
        e.taskEvaluation = r.taskEvaluation;
        store.addEvaluation(e);
    }
    std::vector<store::Generation> gens;
    gens.reserve(r.examples.size());
    for (const auto& ex : r.examples) {
        store::Generation g;
        g.exampleId = ex.id;
        g.prompt = ex.prompt;
        g.reference = ex.reference;
        g.output = ex.output;
        g.taskEvaluation = r.taskEvaluation;
        json scores = json::object();
        for (const auto& [k, v] : ex.scores)
            scores[k] = v;
        g.scoresJson = scores.dump();
        gens.push_back(std::move(g));
    }
    store.addGenerations(gens);
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
    if (!options.dbPath.empty())
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

    Loaded l = loadModel(spec, options.dbPath);
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
        TaskResult r = runTask(l, suite, task, options, settings);
        if (store)
            record(*store, l, suite, r, settings);
        result.tasks.push_back(std::move(r));
    }
    return result;
}

std::string primaryMetric(const TaskData& task)
{
    switch (task.spec.type) {
    case TaskType::Perplexity:
        return "perplexity";
    case TaskType::MultipleChoice:
    case TaskType::Classification:
        return "accuracy";
    case TaskType::Generate:
        break;
    }
    const auto& metrics = task.metrics.empty() ? task.spec.metrics : task.metrics;
    if (metrics.empty())
        return "rougeL";
    return metrics.front() == "rouge" ? "rougeL" : metrics.front();
}

bool higherIsBetter(const std::string& metric)
{
    static const std::set<std::string> lower = {"perplexity", "nll", "ece", "seconds"};
    return lower.count(metric) == 0;
}

std::map<std::string, double> rescoreStored(const std::string& dbPath, int64_t taskEvaluation,
                                            const std::vector<std::string>& metrics)
{
    store::RunStore store(dbPath);
    const auto te = store.findTaskEvaluation(taskEvaluation);
    if (!te)
        throw Error(dbPath + ": no task evaluation with id " + std::to_string(taskEvaluation));
    json settings;
    try {
        settings = json::parse(te->settingsJson);
    } catch (const json::exception&) {
        settings = json::object();
    }
    const auto gens = store.taskGenerations(taskEvaluation);
    std::map<std::string, double> out;
    if (te->kind == taskTypeName(TaskType::Generate)) {
        const std::string sep = settings.value("reference_separator", std::string());
        std::vector<std::string> outputs;
        std::vector<std::vector<std::string>> refs;
        for (const auto& g : gens) {
            outputs.push_back(g.output);
            std::vector<std::string> r;
            if (sep.empty()) {
                r.push_back(g.reference);
            } else {
                size_t at = 0;
                for (size_t next; (next = g.reference.find(sep, at)) != std::string::npos; at = next + sep.size())
                    r.push_back(g.reference.substr(at, next - at));
                r.push_back(g.reference.substr(at));
            }
            refs.push_back(std::move(r));
        }
        out = scoreCorpus(outputs, refs, metrics);
    } else {
        // Choice and perplexity tasks: from the per-example values stored with each output.
        std::vector<double> conf, correct, correctNorm, nll, tokens;
        for (const auto& g : gens) {
            json s;
            try {
                s = json::parse(g.scoresJson);
            } catch (const json::exception&) {
                throw Error(dbPath + ": task evaluation " + std::to_string(taskEvaluation) + ": example "
                            + g.exampleId + ": malformed scores JSON");
            }
            conf.push_back(s.value("confidence", 0.0));
            correct.push_back(s.value("correct", 0.0));
            correctNorm.push_back(s.value("correct_norm", 0.0));
            nll.push_back(s.value("nll", 0.0) * s.value("tokens", 0.0));
            tokens.push_back(s.value("tokens", 0.0));
        }
        const auto mean = [](const std::vector<double>& v) {
            double sum = 0;
            for (double x : v)
                sum += x;
            return v.empty() ? 0.0 : sum / double(v.size());
        };
        const bool perplexity = te->kind == taskTypeName(TaskType::Perplexity);
        for (const auto& m : metrics) {
            if (perplexity && (m == "perplexity" || m == "nll")) {
                double total = 0, count = 0;
                for (size_t i = 0; i < nll.size(); ++i) {
                    total += nll[i];
                    count += tokens[i];
                }
                const double mnll = count > 0 ? total / count : 0.0;
                out[m] = m == "nll" ? mnll : std::exp(mnll);
            } else if (!perplexity && m == "accuracy") {
                out[m] = mean(correct);
            } else if (!perplexity && m == "accuracy_norm") {
                out[m] = mean(correctNorm);
            } else if (!perplexity && m == "ece") {
                out[m] = expectedCalibrationError(conf, correct, settings.value("calibration_bins", 10));
            } else {
                throw Error("rescore: metric '" + m + "' cannot be computed for a " + te->kind + " task");
            }
        }
    }
    for (const auto& [metric, value] : out) {
        store::Evaluation e;
        e.run = te->run;
        e.baseModel = te->baseModel;
        e.suite = te->suite;
        e.task = te->task;
        e.metric = metric;
        e.value = value;
        e.taskEvaluation = taskEvaluation;
        store.addEvaluation(e);
    }
    return out;
}

} // namespace tb::eval
