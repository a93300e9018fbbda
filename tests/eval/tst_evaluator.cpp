// The evaluation engine on a tiny random Llama: every score is checked
// against a computation that does not go through the evaluator (logits of
// single sequences, generation one prompt at a time, a KV-less greedy loop),
// results go through a real SQLite store, and the CLI runs as a real process.
#include "common/cli_process.h"
#include "common/tiny_model.h"

#include "common/error.h"
#include "data/csv.h"
#include "demo/demo.h"
#include "demo/suite.h"
#include "engine/evaluation.h"
#include "io/atomic_file.h"
#include "store/run_store.h"
#include "engine/export.h"
#include "engine/run_job.h"

#include <nlohmann/json.hpp>

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <filesystem>

using namespace tb;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

using Cli = tb::test::ProcessRun;

Cli cli(const QStringList& args) { return tb::test::runProcess(QStringLiteral(TB_CLI), args, 240000); }

// log p(continuation | context) from the logits of the whole sequence,
// computed here in double precision.
double logLikelihood(model::LanguageModel& lm, const std::vector<int64_t>& context,
                     const std::vector<int64_t>& continuation)
{
    std::vector<int64_t> all = context;
    all.insert(all.end(), continuation.begin(), continuation.end());
    const auto logits = lm.logits(all);
    double sum = 0;
    for (size_t k = 0; k < continuation.size(); ++k) {
        const auto& row = logits[context.size() - 1 + k];
        double mx = -1e300;
        for (float v : row)
            mx = std::max(mx, double(v));
        double z = 0;
        for (float v : row)
            z += std::exp(double(v) - mx);
        sum += double(row[size_t(continuation[k])]) - mx - std::log(z);
    }
    return sum;
}

const std::vector<std::string> kPrompts = {"The cat sat on", "Once upon a time", "Hello world", "A B C D",
                                           "Numbers: one two", "Why is the sky blue?", "Paris is the capital of"};

} // namespace

class TestEvaluator : public QObject {
    Q_OBJECT

    QTemporaryDir m_tmp;
    std::string m_model;
    std::unique_ptr<model::LanguageModel> m_lm;
    std::unique_ptr<tok::Tokenizer> m_tok;

    std::string path(const std::string& name) const { return (m_tmp.path() + "/").toStdString() + name; }

    std::string writeSuite(const std::string& name, const json& tasks, const json& helm = nullptr)
    {
        json j = {{"name", name}, {"tasks", tasks}};
        if (!helm.is_null())
            j["helm"] = helm;
        io::writeFileAtomic(path(name + ".json"), j.dump(2));
        return path(name + ".json");
    }

    // Records whose responses are what the model generates greedily for the
    // prompt, alone (batch of one), with the plain template's "prompt\n".
    std::string writeOwnOutputs(int64_t maxNew)
    {
        std::string lines;
        model::GenerationOptions o;
        o.maxNewTokens = maxNew;
        for (const auto& p : kPrompts) {
            const auto r = m_lm->generate({m_tok->encode(p + "\n", true)}, o, m_tok.get());
            lines += json({{"prompt", p}, {"response", r[0].text}}).dump() + "\n";
        }
        io::writeFileAtomic(path("own.jsonl"), lines);
        return path("own.jsonl");
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        m_model = tbtest::makeTinyModel(path("base"), 7, /*tied=*/false);
        m_lm = model::LanguageModel::load(m_model);
        m_tok = tok::loadTokenizer(m_model);
        // Two-way classification with verbalisers, and text for perplexity.
        std::string cls, text;
        const char* words[] = {"good", "bad", "fine", "awful", "great", "poor", "nice", "dull", "ok"};
        for (int i = 0; i < 9; ++i) {
            cls += json({{"prompt", std::string("Review: it was ") + words[i]}, {"response", i % 2 ? "no" : "yes"}})
                       .dump() + "\n";
            text += json({{"text", std::string("Story ") + std::to_string(i) + ": the " + words[i]
                                       + " fox jumped over the lazy dog " + std::to_string(i * 7) + " times."}})
                        .dump() + "\n";
        }
        io::writeFileAtomic(path("cls.jsonl"), cls);
        io::writeFileAtomic(path("text.jsonl"), text);
    }

    // Option log-likelihoods: the predicted option and its confidence equal
    // those computed from LanguageModel::logits on each full sequence; batching
    // the options changes nothing.
    void choiceMatchesLogits()
    {
        const auto suitePath = writeSuite(
            "choice", json::array({{{"name", "cls"},
                                    {"type", "classification"},
                                    {"data", path("cls.jsonl")},
                                    {"template", "plain"},
                                    {"verbalizers", {{"yes", " positive"}, {"no", " negative review"}}}}}));
        const auto suite = eval::readSuite(suitePath);
        engine::EvalOptions o;
        o.batchSize = 5; // options of different examples share batches
        const auto r = engine::evaluate({m_model}, suite, o);
        o.batchSize = 1;
        const auto alone = engine::evaluate({m_model}, suite, o);
        QCOMPARE(r.tasks.size(), size_t(1));
        const auto data = eval::loadTask(suite.tasks[0]);
        QCOMPARE(r.tasks[0].examples.size(), data.examples.size());
        double accuracy = 0;
        std::vector<double> conf, correct;
        for (size_t i = 0; i < data.examples.size(); ++i) {
            const auto& ex = data.examples[i];
            const auto context = m_tok->encode(ex.prompt, true);
            std::vector<double> ll;
            for (const auto& option : ex.options)
                ll.push_back(logLikelihood(*m_lm, context, m_tok->encode(option, false)));
            const size_t best = size_t(std::max_element(ll.begin(), ll.end()) - ll.begin());
            double z = 0;
            for (double l : ll)
                z += std::exp(l - ll[best]);
            const auto& out = r.tasks[0].examples[i];
            QCOMPARE(out.output, std::string(ex.options[best]).substr(1)); // trimmed option text
            QVERIFY(std::abs(out.scores.at("confidence") - 1.0 / z) < 1e-4);
            QCOMPARE(out.scores.at("correct"), best == size_t(ex.answer) ? 1.0 : 0.0);
            QVERIFY(std::abs(alone.tasks[0].examples[i].scores.at("confidence") - out.scores.at("confidence")) < 1e-5);
            accuracy += out.scores.at("correct");
            conf.push_back(1.0 / z);
            correct.push_back(best == size_t(ex.answer) ? 1.0 : 0.0);
        }
        QVERIFY(std::abs(r.tasks[0].metrics.at("accuracy") - accuracy / double(data.examples.size())) < 1e-12);
        // ECE over 10 equal-width bins, written out here: sum_b |B|/n |acc(B) - conf(B)|.
        double ece = 0;
        for (int b = 0; b < 10; ++b) {
            double n = 0, a = 0, c = 0;
            for (size_t i = 0; i < conf.size(); ++i)
                if (std::min(int(conf[i] * 10), 9) == b) {
                    n += 1;
                    a += correct[i];
                    c += conf[i];
                }
            if (n > 0)
                ece += n / double(conf.size()) * std::abs(a / n - c / n);
        }
        QVERIFY(std::abs(r.tasks[0].metrics.at("ece") - ece) < 1e-4);
        QVERIFY(r.tasks[0].metrics.count("accuracy_norm"));
        QVERIFY(r.tasks[0].metrics.at("examples_per_s") > 0);
    }

    // Perplexity is exp of the mean token NLL over all texts, each text's
    // tokens after the first predicted from the logits of the whole text.
    void perplexityMatchesLogits()
    {
        const auto suite = eval::readSuite(writeSuite(
            "ppl", json::array({{{"name", "lm"}, {"type", "perplexity"}, {"data", path("text.jsonl")}}})));
        engine::EvalOptions o;
        o.batchSize = 4;
        const auto r = engine::evaluate({m_model}, suite, o);
        const auto data = eval::loadTask(suite.tasks[0]);
        double nll = 0;
        int64_t count = 0;
        for (const auto& ex : data.examples) {
            const auto ids = m_tok->encode(ex.references[0], true);
            nll -= logLikelihood(*m_lm, {ids[0]}, std::vector<int64_t>(ids.begin() + 1, ids.end()));
            count += int64_t(ids.size()) - 1;
        }
        const double expected = std::exp(nll / double(count));
        QVERIFY2(std::abs(r.tasks[0].metrics.at("perplexity") / expected - 1.0) < 1e-4,
                 (std::to_string(r.tasks[0].metrics.at("perplexity")) + " vs " + std::to_string(expected)).c_str());
        QVERIFY(std::abs(r.tasks[0].metrics.at("nll") - nll / double(count)) < 1e-4);
    }

    // Generation in batches equals generating each prompt alone: with the
    // model's own greedy outputs as references, every score is perfect. The
    // results go to the store, read back, and are rescored without a model.
    void generationStoredAndRescored()
    {
        const auto data = writeOwnOutputs(10);
        const auto suite = eval::readSuite(writeSuite(
            "gen", json::array({{{"name", "own"},
                                 {"type", "generate"},
                                 {"data", data},
                                 {"template", "plain"},
                                 {"max_new_tokens", 10},
                                 {"metrics", {"exact_match", "rouge", "chrf"}}}})));
        engine::EvalOptions o;
        o.batchSize = 3; // 7 prompts of different lengths: batches of 3, 3, 1
        o.dbPath = path("store.sqlite");
        std::vector<std::pair<int64_t, int64_t>> progress;
        o.progress = [&](const std::string&, int64_t done, int64_t total) { progress.emplace_back(done, total); };
        const auto r = engine::evaluate({m_model}, suite, o);
        const auto& t = r.tasks[0];
        QCOMPARE(t.examples.size(), kPrompts.size());
        QCOMPARE(progress.back(), std::make_pair(int64_t(kPrompts.size()), int64_t(kPrompts.size())));
        QCOMPARE(progress.size(), size_t(3));
        const auto task = eval::loadTask(suite.tasks[0]);
        int words = 0;
        for (size_t i = 0; i < t.examples.size(); ++i) {
            QCOMPARE(t.examples[i].output, task.examples[i].references[0]);
            QCOMPARE(t.examples[i].scores.at("exact_match"), 1.0);
            if (t.examples[i].output.find_first_of("abcdefghijklmnopqrstuvwxyz0123456789") != std::string::npos) {
                QCOMPARE(t.examples[i].scores.at("rougeL"), 1.0);
                ++words;
            }
        }
        QVERIFY2(words >= 3, "too few outputs with words for the ROUGE check to mean anything");
        QCOMPARE(t.metrics.at("exact_match"), 1.0);
        QVERIFY(t.taskEvaluation > 0);

        store::RunStore store(o.dbPath);
        const auto te = store.findTaskEvaluation(t.taskEvaluation);
        QVERIFY(te.has_value());
        QCOMPARE(te->suite, std::string("gen"));
        QCOMPARE(te->task, std::string("own"));
        QCOMPARE(te->kind, std::string("generate"));
        QCOMPARE(te->baseModel, m_model);
        QCOMPARE(te->examples, int64_t(kPrompts.size()));
        QCOMPARE(te->run, int64_t(0));
        const auto gens = store.taskGenerations(t.taskEvaluation);
        QCOMPARE(gens.size(), kPrompts.size());
        for (size_t i = 0; i < gens.size(); ++i) {
            QCOMPARE(gens[i].output, t.examples[i].output);
            QCOMPARE(gens[i].reference, task.examples[i].references[0]);
            QCOMPARE(json::parse(gens[i].scoresJson).at("exact_match").get<double>(), 1.0);
        }
        int stored = 0;
        for (const auto& e : store.evaluations({}))
            if (e.taskEvaluation == t.taskEvaluation && e.metric == "exact_match") {
                QCOMPARE(e.value, 1.0);
                ++stored;
            }
        QCOMPARE(stored, 1);

        // Rescoring reads only the store: chrF of identical texts is 100, F1 is 1.
        const auto re = engine::rescoreStored(o.dbPath, t.taskEvaluation, {"chrf", "f1"});
        QVERIFY(std::abs(re.at("chrf") - t.metrics.at("chrf")) < 1e-9);
        QVERIFY(std::abs(re.at("chrf") - 100.0) < 1e-9);
        QCOMPARE(re.at("f1"), 1.0);
        int f1Rows = 0;
        for (const auto& e : store.evaluations({}))
            f1Rows += e.taskEvaluation == t.taskEvaluation && e.metric == "f1";
        QCOMPARE(f1Rows, 1);
    }

    // A prompt-tuning adapter: batched generation with the soft prompt equals
    // a KV-less greedy loop over PeftModel::forward, one prompt at a time.
    void softPromptGeneration()
    {
        const std::string adapter = path("prompt_adapter");
        {
            auto lm = model::LanguageModel::load(m_model);
            peft::MethodConfig mc;
            mc.method = peft::Method::PromptTuning;
            mc.prompt.numVirtualTokens = 4;
            peft::PeftModel pm(lm->module(), mc, nullptr, 5);
            torch::NoGradGuard g;
            pm.promptEmbeddings().mul_(20.0); // a prompt strong enough to change what is generated
            pm.saveAdapter(adapter, m_model);
        }
        io::writeFileAtomic(path("plain.jsonl"), [] {
            std::string s;
            for (const auto& p : kPrompts)
                s += json({{"prompt", p}, {"response", "x"}}).dump() + "\n";
            return s;
        }());
        const auto suite = eval::readSuite(writeSuite(
            "soft", json::array({{{"name", "g"},
                                  {"type", "generate"},
                                  {"data", path("plain.jsonl")},
                                  {"template", "plain"},
                                  {"max_new_tokens", 6},
                                  {"metrics", {"exact_match"}}}})));
        engine::EvalOptions o;
        o.batchSize = 4;
        engine::ModelSpec spec;
        spec.model = m_model;
        spec.adapterDir = adapter;
        const auto r = engine::evaluate(spec, suite, o);
        QCOMPARE(r.modelLabel, adapter);

        auto lm = model::LanguageModel::load(m_model);
        auto pm = peft::PeftModel::loadAdapter(adapter, lm->module());
        lm->module()->eval();
        const auto eos = m_tok->eosId();
        torch::NoGradGuard g;
        bool differs = false;
        const auto plain = engine::evaluate({m_model}, suite, o);
        for (size_t i = 0; i < kPrompts.size(); ++i) {
            std::vector<int64_t> ids = m_tok->encode(kPrompts[i] + "\n", true);
            std::vector<int64_t> fresh;
            for (int step = 0; step < 6; ++step) {
                auto logits = pm->forward(torch::tensor(ids, torch::kLong).unsqueeze(0));
                const int64_t next = logits[0][-1].argmax().item<int64_t>();
                if (eos && next == *eos)
                    break;
                ids.push_back(next);
                fresh.push_back(next);
            }
            QCOMPARE(r.tasks[0].examples[i].output, m_tok->decode(fresh, true));
            differs = differs || plain.tasks[0].examples[i].output != r.tasks[0].examples[i].output;
        }
        QVERIFY2(differs, "the soft prompt changed no generation; the test would not notice it being ignored");
    }

    // HELM block: robustness per perturbation and the worst case, efficiency.
    void helmMetrics()
    {
        const auto suite = eval::readSuite(writeSuite(
            "helm",
            json::array({{{"name", "cls"},
                          {"type", "classification"},
                          {"data", path("cls.jsonl")},
                          {"template", "plain"},
                          {"verbalizers", {{"yes", " positive"}, {"no", " negative"}}}}}),
            {{"perturbations", {"lowercase", "typos"}}, {"calibration_bins", 5}}));
        const auto r = engine::evaluate({m_model}, suite, {});
        const auto& m = r.tasks[0].metrics;
        for (const char* k : {"robustness", "robustness_lowercase", "robustness_typos", "seconds", "tokens_per_s"})
            QVERIFY2(m.count(k), k);
        // The worst case over perturbations can be no better than any of them.
        QVERIFY(m.at("robustness") <= m.at("accuracy") + 1e-12);
        QVERIFY(m.at("robustness") <= m.at("robustness_lowercase") + 1e-12);
        QVERIFY(m.at("robustness") <= m.at("robustness_typos") + 1e-12);
        // Per example: the worst of the original and each perturbed score, and
        // the task's robustness is their mean.
        double sum = 0;
        for (const auto& e : r.tasks[0].examples) {
            const double worst = std::min({e.scores.at("correct"), e.scores.at("robustness_lowercase"),
                                           e.scores.at("robustness_typos")});
            QCOMPARE(e.scores.at("robustness"), worst);
            sum += worst;
        }
        QVERIFY(std::abs(m.at("robustness") - sum / double(r.tasks[0].examples.size())) < 1e-12);
        engine::EvalOptions off;
        off.helm = false;
        QVERIFY(!engine::evaluate({m_model}, suite, off).tasks[0].metrics.count("robustness"));
    }

    // The demo workspace's suite runs every format offline: its generated
    // MMLU-layout quiz is right by the dictionary, its BIG-bench task by the
    // classify labels, and the files do not change between builds.
    void demoSuite()
    {
        QCOMPARE(demo::lumiVocabularyCsv(9, 30), demo::lumiVocabularyCsv(9, 30));
        QVERIFY(demo::lumiVocabularyCsv(9, 30) != demo::lumiVocabularyCsv(10, 30));
        demo::DemoOptions o;
        o.dir = path("demo");
        o.pretrainSteps = 2;
        const auto ws = demo::createDemoWorkspace(o);
        QCOMPARE(ws.suites.size(), size_t(1));

        std::map<std::string, std::string> dictionary(demo::translationDictionary().words.begin(),
                                                      demo::translationDictionary().words.end());
        const std::string csv = io::readFile(ws.dir + "/suites/mmlu/lumi_vocabulary_test.csv");
        int rows = 0;
        for (const auto& row : data::parseCsv(csv, "quiz.csv")) {
            QCOMPARE(row.fields.size(), size_t(6));
            const std::string& q = row.fields[0];
            const size_t a = q.find('\''), b = q.rfind('\'');
            const std::string english = q.substr(a + 1, b - a - 1);
            QVERIFY2(dictionary.count(english), english.c_str());
            QCOMPARE(row.fields[size_t(1 + row.fields[5][0] - 'A')], dictionary.at(english));
            ++rows;
        }
        QCOMPARE(rows, 40);
        const auto classify = demo::generateSuite(o.seed)[2];
        QCOMPARE(classify.name, std::string("classify"));
        const auto bigbench = json::parse(io::readFile(ws.dir + "/suites/bigbench/sentiment/task.json"));
        QCOMPARE(bigbench.at("examples").size(), classify.test.size());
        for (size_t i = 0; i < classify.test.size(); ++i)
            QCOMPARE(bigbench["examples"][i]["target_scores"][classify.test[i].response].get<int>(), 1);

        const auto suite = eval::readSuite(ws.suites[0]);
        engine::EvalOptions eo;
        eo.limit = 2;
        eo.dbPath = path("demo.sqlite");
        const auto r = engine::evaluate({ws.baseModel}, suite, eo);
        std::map<std::string, std::vector<std::string>> expected = {
            {"summarize", {"rougeL", "robustness"}},       {"translate", {"bleu", "chrf", "robustness_typos"}},
            {"classify", {"accuracy", "ece", "robustness"}}, {"lm", {"perplexity", "nll"}},
            {"lumi_vocabulary", {"accuracy", "accuracy_norm"}}, {"sentiment_bigbench", {"accuracy", "robustness"}}};
        QCOMPARE(r.tasks.size(), expected.size());
        for (const auto& t : r.tasks) {
            QCOMPARE(t.examples.size(), size_t(2));
            for (const auto& m : expected.at(t.task))
                QVERIFY2(t.metrics.count(m), (t.task + ": " + m).c_str());
            QVERIFY(t.taskEvaluation > 0);
        }
    }

    void cancelAndErrors()
    {
        const auto suite = eval::readSuite(writeSuite(
            "c", json::array({{{"name", "lm"}, {"type", "perplexity"}, {"data", path("text.jsonl")}}})));
        RunControl control;
        control.cancel();
        engine::EvalOptions o;
        o.control = &control;
        QVERIFY_THROWS_EXCEPTION(Error, engine::evaluate({m_model}, suite, o));
        engine::EvalOptions bad;
        bad.tasks = {"nope"};
        try {
            engine::evaluate({m_model}, suite, bad);
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY(std::string(e.what()).find("no task named 'nope'") != std::string::npos);
        }
        engine::ModelSpec run;
        run.run = 42;
        engine::EvalOptions withDb;
        withDb.dbPath = path("errors.sqlite");
        try {
            engine::evaluate(run, suite, withDb);
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY(std::string(e.what()).find("no run with id 42") != std::string::npos);
        }
    }

    // The CLI: eval of a trained run, forgetting over it (stored, reused on a
    // second call), and one-line errors for a bad suite path / unknown run.
    void commandLine()
    {
        const std::string db = path("cli.sqlite");
        // A short LoRA run on the "own" data (task "own").
        json cfg = {{"name", "cli-lora"},
                    {"model", m_model},
                    {"data", {{"train", {{{"path", path("own.jsonl")}, {"task", "own"}}}}, {"template", "plain"},
                              {"validation_fraction", 0.3}, {"max_length", 64}}},
                    {"method", {{"method", "lora"}, {"lora", {{"rank", 2}, {"alpha", 4}, {"dropout", 0.0}}}}},
                    {"training", {{"max_steps", 2}, {"batch_size", 2}, {"learning_rate", 1e-2}, {"seed", 1}}}};
        struct Quiet : engine::JobObserver {} quiet;
        RunControl control;
        const auto job = engine::runJob(train::parseRunConfig(cfg, "RUN.json"), {db, std::nullopt}, quiet, control);
        QCOMPARE(job.train.status, train::TrainStatus::Completed);
        const QString runId = QString::number(job.runId);
        const QString suite = QString::fromStdString(path("gen.json"));

        auto r = cli({"eval", "--run", runId, "--suite", suite, "--db", QString::fromStdString(db), "--json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto doc = json::parse(r.out.toStdString());
        QCOMPARE(doc.at("tasks").size(), size_t(1));
        QVERIFY(doc.at("tasks")[0].at("metrics").contains("rougeL"));
        QVERIFY(doc.at("model").get<std::string>().find("cli-lora") != std::string::npos);

        r = cli({"forgetting", "--suite", suite, "--runs", runId, "--db", QString::fromStdString(db), "--json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto f = json::parse(r.out.toStdString());
        const auto& scores = f.at("report").at("scores");
        QCOMPARE(scores.size(), size_t(2)); // base, the run
        // The base model generates exactly its own references: exact match 1 there.
        QCOMPARE(scores[0][0].get<double>(), 1.0);
        QCOMPARE(f.at("report").at("stage_task")[0].get<int>(), 0); // the run trained on "own"
        QCOMPARE(f.at("report").at("change")[1][0].get<double>(), scores[1][0].get<double>() - 1.0);
        store::RunStore store(db);
        const size_t evaluations = store.taskEvaluations({}).size();
        QCOMPARE(evaluations, size_t(2)); // the run (from eval), then the base model
        QCOMPARE(store.forgettingReports().size(), size_t(1));
        r = cli({"forgetting", "--suite", suite, "--runs", runId, "--db", QString::fromStdString(db)});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(r.out.contains("backward transfer"));
        QCOMPARE(store.taskEvaluations({}).size(), evaluations); // reused, not evaluated again
        QCOMPARE(store.forgettingReports().size(), size_t(2));

        // A sequential chain: stage 2 fine-tunes run 1's merged export. The
        // matrix then has the first base, stage 1 and stage 2 as rows.
        const std::string merged = path("stage1-merged");
        engine::exportRun(db, job.runId, "", merged);

        // forward and generate take an adapter folder or a run: the adapter
        // applied at run time gives the logits of the merged export (W + s·B·A
        // folded in on copies), and differs from the base model.
        const auto forward = [&](QStringList args) {
            const auto out = cli(QStringList{"forward", "--ids", "1,5,9,14,3"} + args);
            return out.exitCode == 0 ? json::parse(out.out.toStdString()) : json(out.err.toStdString());
        };
        const QString dbQ = QString::fromStdString(db);
        const json viaRun = forward({"--run", runId, "--db", dbQ});
        const json viaAdapter = forward({"--model", QString::fromStdString(m_model), "--adapter",
                                         QString::fromStdString(job.savedDir)});
        const json viaMerged = forward({"--model", QString::fromStdString(merged)});
        const json base = forward({"--model", QString::fromStdString(m_model)});
        for (const json* j : {&viaRun, &viaAdapter, &viaMerged, &base})
            QVERIFY2(j->is_object(), j->dump().c_str());
        const auto maxDiff = [](const json& a, const json& b) {
            double worst = 0;
            for (size_t i = 0; i < a.at("logits_last").size(); ++i)
                worst = std::max(worst, std::abs(a["logits_last"][i].get<double>() - b["logits_last"][i].get<double>()));
            return worst;
        };
        QCOMPARE(maxDiff(viaRun, viaAdapter), 0.0);
        QVERIFY2(maxDiff(viaRun, viaMerged) < 1e-4, qPrintable(QString::number(maxDiff(viaRun, viaMerged))));
        QVERIFY(maxDiff(viaRun, base) > 1e-4);
        QCOMPARE(viaRun.at("argmax"), viaMerged.at("argmax"));
        const auto generated = [&](QStringList args) {
            const auto out = cli(QStringList{"generate", "--prompt-ids", "1,5,9", "--max-new-tokens", "6"} + args);
            return out.exitCode == 0 ? json::parse(out.out.toStdString()).at("ids") : json(out.err.toStdString());
        };
        QCOMPARE(generated({"--run", runId, "--db", dbQ}), generated({"--model", QString::fromStdString(merged)}));
        const auto both = cli({"forward", "--ids", "1", "--run", runId, "--adapter", "x"});
        QVERIFY2(both.exitCode != 0 && both.err.contains("excludes"), qPrintable(both.err));
        json cfg2 = cfg;
        cfg2["name"] = "cli-stage2";
        cfg2["model"] = merged;
        cfg2["tokenizer"] = m_model;
        const auto job2 = engine::runJob(train::parseRunConfig(cfg2, "RUN.json"), {db, std::nullopt}, quiet, control);
        QCOMPARE(job2.train.status, train::TrainStatus::Completed);
        r = cli({"forgetting", "--suite", suite, "--runs", runId + "," + QString::number(job2.runId), "--db",
                 QString::fromStdString(db), "--json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto chain = json::parse(r.out.toStdString());
        QCOMPARE(chain.at("report").at("scores").size(), size_t(3));
        QCOMPARE(chain.at("report").at("scores")[0][0].get<double>(), 1.0); // row 0: the first run's base

        // compare --runs: both runs' stored generations rescored and paired;
        // each run's score equals the rougeL that `eval` stored for it.
        const QString run2 = QString::number(job2.runId);
        r = cli({"eval", "--run", run2, "--suite", suite, "--db", dbQ, "--json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        r = cli({"compare", "--runs", runId + "," + run2, "--suite", suite, "--metric", "rouge", "--db", dbQ});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto compared = json::parse(r.out.toStdString()).at("tasks").at(0);
        QCOMPARE(compared.at("systems").size(), size_t(2));
        QVERIFY(compared.at("systems")[0].at("p_value").is_null()); // the baseline
        QVERIFY(compared.at("systems")[1].at("p_value").is_number());
        for (const auto& system : compared.at("systems")) {
            store::EvaluationFilter f;
            f.run = system.at("run").get<int64_t>();
            f.task = compared.at("task").get<std::string>();
            const auto stored = store.latestScores(f);
            QCOMPARE(stored.size(), size_t(1));
            QCOMPARE(stored[0].evaluation.id, system.at("task_evaluation").get<int64_t>());
            QVERIFY2(std::abs(stored[0].metrics.at("rougeL") - system.at("score").get<double>()) < 1e-9,
                     qPrintable(QString("%1 vs %2").arg(stored[0].metrics.at("rougeL")).arg(system.at("score").get<double>())));
        }
        // A run on an unrelated copy of the base is not a stage of this chain.
        const std::string other = path("other-base");
        std::filesystem::copy(m_model, other, std::filesystem::copy_options::recursive);
        json cfg3 = cfg;
        cfg3["name"] = "cli-other";
        cfg3["model"] = other;
        const auto job3 = engine::runJob(train::parseRunConfig(cfg3, "RUN.json"), {db, std::nullopt}, quiet, control);
        r = cli({"forgetting", "--suite", suite, "--runs", runId + "," + QString::number(job3.runId), "--db",
                 QString::fromStdString(db)});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("needs one base model"), qPrintable(r.err));

        r = cli({"eval", "--model", QString::fromStdString(m_model), "--suite", "/no/such/suite.json", "--db",
                 QString::fromStdString(db)});
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.err.startsWith("error: ") && r.err.contains("/no/such/suite.json"));
        QCOMPARE(r.err.count('\n'), 1);
        r = cli({"forgetting", "--suite", suite, "--runs", runId + ",999", "--db", QString::fromStdString(db)});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("no run with id 999"), qPrintable(r.err));
        QCOMPARE(r.err.count('\n'), 1);
        r = cli({"eval", "--run", "999", "--suite", suite, "--db", QString::fromStdString(db)});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("no run with id 999"), qPrintable(r.err));
    }
};

QTEST_GUILESS_MAIN(TestEvaluator)
#include "tst_evaluator.moc"
