#include "engine/eval_record.h"

#include "common/error.h"
#include "engine/evaluation.h"

#include <nlohmann/json.hpp>

#include <set>

namespace tb::engine {

using nlohmann::json;
using namespace eval; // metrics and suites throughout

void recordTaskResult(store::RunStore& store, const LoadedModel& l, const eval::SuiteSpec& suite, eval::TaskResult& r,
                      const std::string& settingsJson)
{
    store::TaskEvaluation te;
    te.run = l.run;
    te.baseModel = l.baseModel;
    te.adapter = l.adapter;
    te.suite = suite.name;
    te.task = r.task;
    te.kind = eval::taskTypeName(r.type);
    te.settingsJson = settingsJson;
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

} // namespace tb::engine
