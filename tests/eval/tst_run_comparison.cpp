// engine::compareRuns on a real SQLite run store whose per-example outputs
// are written by hand: scores against BLEU and ROUGE computed directly from
// the same strings (eval/bleu.h, eval/rouge.h), identical systems, a
// four-example accuracy case whose bootstrap interval is worked by hand, and
// the errors a person sees when outputs are missing or differ.
#include "common/stored_results.h"
#include "common/error.h"
#include "engine/run_comparison.h"
#include "eval/bleu.h"
#include "eval/rouge.h"
#include "eval/significance.h"
#include "store/run_store.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace tb;

namespace {

const std::string kBase = "/models/tiny";
const std::vector<std::string> kRefs = {"the cat sat on the mat", "a quick brown fox jumps over the dog",
                                        "rain is expected in the north tomorrow", "she sold her old car last week",
                                        "the meeting starts at nine in the morning"};
const std::vector<std::string> kBaseHyps = {"a cat sat on a mat", "the brown fox jumped over a dog",
                                            "rain expected north", "she sold the car", "meeting at nine"};
const std::vector<std::string> kRunHyps = {"the cat sat on the mat", "a quick brown fox jumps over a dog",
                                           "rain is expected in the north", "she sold her car last week",
                                           "the meeting starts at nine"};

// A task evaluation with per-example rows; `scores` become its stored metrics.
int64_t addTask(store::RunStore& db, store::RunId run, const std::string& task, const std::string& kind,
                const std::map<std::string, double>& scores, const std::vector<std::string>& ids,
                const std::vector<std::string>& outputs, const std::vector<std::string>& refs,
                const std::vector<nlohmann::json>& perExample = {})
{
    test::StoredTask t{run, kBase, "s", task, kind, scores};
    for (size_t i = 0; i < ids.size(); ++i)
        t.examples.push_back({ids[i], outputs[i], refs[i], i < perExample.size() ? perExample[i] : nlohmann::json::object()});
    return test::storeTask(db, t);
}

std::vector<std::string> ids(size_t n)
{
    std::vector<std::string> out;
    for (size_t i = 0; i < n; ++i)
        out.push_back(std::to_string(i + 1));
    return out;
}

std::vector<std::vector<std::string>> single(const std::vector<std::string>& refs)
{
    std::vector<std::vector<std::string>> out;
    for (const auto& r : refs)
        out.push_back({r});
    return out;
}

double rougeLMean(const std::vector<std::string>& hyps)
{
    double sum = 0;
    for (size_t i = 0; i < hyps.size(); ++i)
        sum += eval::rougeScore(kRefs[i], hyps[i]).rougeL.fmeasure;
    return sum / double(hyps.size());
}

engine::RunComparisonRequest request(const std::string& task, const std::string& metric,
                                     std::vector<engine::ComparedModel> models)
{
    engine::RunComparisonRequest r;
    r.suite = "s";
    r.task = task;
    r.metric = metric;
    r.models = std::move(models);
    return r;
}

} // namespace

class TestRunComparison : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>(); // a fresh store for every test
        QVERIFY(m_dir->isValid());
        m_db = std::make_unique<store::RunStore>(m_dir->filePath("runs.sqlite").toStdString());
        m_run = m_db->createRun({"run-a", kBase, "lora", "{}"});
        m_same = m_db->createRun({"same-as-base", kBase, "lora", "{}"});
        const double baseBleu = eval::corpusBleu(kBaseHyps, single(kRefs)).score;
        const double runBleu = eval::corpusBleu(kRunHyps, single(kRefs)).score;
        addTask(*m_db, 0, "sum", "generate", {{"bleu", baseBleu}, {"rougeL", rougeLMean(kBaseHyps)}}, ids(5), kBaseHyps,
                kRefs);
        addTask(*m_db, m_run, "sum", "generate", {{"bleu", runBleu}, {"rougeL", rougeLMean(kRunHyps)}}, ids(5), kRunHyps,
                kRefs);
        addTask(*m_db, m_same, "sum", "generate", {{"bleu", baseBleu}, {"rougeL", rougeLMean(kBaseHyps)}}, ids(5),
                kBaseHyps, kRefs);
    }
    void cleanup()
    {
        m_db.reset();
        m_dir.reset();
    }

    void scoresEqualBleuAndRougeOfTheStoredStrings()
    {
        const auto models = std::vector<engine::ComparedModel>{{0, kBase, "base"}, {m_run, {}, "run a"}};
        const auto bleu = engine::compareRuns(*m_db, request("sum", "bleu", models));
        QCOMPARE(bleu.models.size(), size_t(2));
        QCOMPARE(bleu.examples, size_t(5));
        QCOMPARE(bleu.metricName, std::string("BLEU"));
        QVERIFY(std::abs(bleu.models[0].score - eval::corpusBleu(kBaseHyps, single(kRefs)).score) < 1e-9);
        QVERIFY(std::abs(bleu.models[1].score - eval::corpusBleu(kRunHyps, single(kRefs)).score) < 1e-9);
        QVERIFY(!bleu.models[0].pValue); // the baseline
        QVERIFY(bleu.models[1].pValue && *bleu.models[1].pValue > 0 && *bleu.models[1].pValue <= 1);
        QVERIFY(bleu.models[0].ci && bleu.models[1].ci && *bleu.models[1].ci > 0);
        QCOMPARE(bleu.samples, int64_t(1000));

        // The primary metric of a generation task with none requested: ROUGE-L.
        const auto rouge = engine::compareRuns(*m_db, request("sum", "", models));
        QCOMPARE(rouge.metric, std::string("rougeL"));
        QVERIFY(std::abs(rouge.models[0].score - rougeLMean(kBaseHyps)) < 1e-12);
        QVERIFY(std::abs(rouge.models[1].score - rougeLMean(kRunHyps)) < 1e-12);

        // The baseline need not come first: results stay in the request's order.
        auto swapped = request("sum", "bleu", models);
        swapped.baseline = 1;
        const auto other = engine::compareRuns(*m_db, swapped);
        QVERIFY(!other.models[1].pValue);
        QVERIFY(other.models[0].pValue);
        QCOMPARE(other.models[0].score, bleu.models[0].score);
    }

    void identicalSystemsHavePValueOne()
    {
        const auto c = engine::compareRuns(
            *m_db, request("sum", "bleu", {{0, kBase, "base"}, {m_same, {}, "same"}, {m_run, {}, "run a"}}));
        QVERIFY(c.models[1].pValue);
        QCOMPARE(*c.models[1].pValue, 1.0);
        QVERIFY(c.models[1].identicalToBaseline);
        QCOMPARE(*c.models[1].ci, *c.models[0].ci); // the same resamples of the same statistics
    }

    void accuracyBootstrapWorkedByHand()
    {
        // 4 examples. Base correct 1,1,0,0; the run gets all right.
        const std::vector<std::string> four = {"A", "B", "A", "B"};
        auto corr = [](std::vector<double> v) {
            std::vector<nlohmann::json> out;
            for (double x : v)
                out.push_back({{"correct", x}, {"correct_norm", x}});
            return out;
        };
        addTask(*m_db, 0, "cls", "classification", {{"accuracy", 0.5}}, ids(4), four, four, corr({1, 1, 0, 0}));
        addTask(*m_db, m_run, "cls", "classification", {{"accuracy", 1.0}}, ids(4), four, four, corr({1, 1, 1, 1}));
        const auto c = engine::compareRuns(*m_db, request("cls", "", {{0, kBase, "base"}, {m_run, {}, "run a"}}));
        QCOMPARE(c.metric, std::string("accuracy"));
        QCOMPARE(c.models[0].score, 0.5);
        QCOMPARE(c.models[1].score, 1.0);
        // Every resample of four 1s has mean 1: no spread at all.
        QCOMPARE(*c.models[1].mean, 1.0);
        QCOMPARE(*c.models[1].ci, 0.0);
        // A resample of 1,1,0,0 is all 0s or all 1s with probability 1/16 each,
        // so about 62 of 1000 resamples sit at each end: the 2.5th percentile
        // (rank 25) is 0 and the 97.5th (rank 974) is 1, a half-width of 0.5.
        QCOMPARE(*c.models[0].ci, 0.5);
        QVERIFY(std::abs(*c.models[0].mean - 0.5) < 0.05);
        // The same numbers as the test itself on the same per-example values.
        const auto direct = eval::pairedTest({{"base", eval::valueTable({1, 1, 0, 0})}, {"run", eval::valueTable({1, 1, 1, 1})}},
                                             eval::meanCorpusMetric("accuracy"));
        QCOMPARE(*c.models[1].pValue, *direct[1].pValue);
        QCOMPARE(*c.models[0].ci, *direct[0].ci);
    }

    // 400 examples of about 20 words, three systems: how long the panel's
    // worker takes per chart (printed), and the score still equals corpus BLEU.
    void aFewHundredExamplesScoreAndTime()
    {
        std::vector<std::string> refs, hyps[3];
        for (size_t i = 0; i < 400; ++i) {
            std::string r, h0, h1, h2;
            for (size_t w = 0; w < 20; ++w) {
                const std::string word = "w" + std::to_string((i * 7 + w * 13) % 97);
                r += word + " ";
                h0 += (w % 3 ? word : "x") + " ";
                h1 += (w % 5 ? word : "y") + " ";
                h2 += (w % 2 ? word : "z") + " ";
            }
            refs.push_back(r);
            hyps[0].push_back(h0);
            hyps[1].push_back(h1);
            hyps[2].push_back(h2);
        }
        const store::RunId b = m_db->createRun({"b", kBase, "lora", "{}"});
        const store::RunId c = m_db->createRun({"c", kBase, "lora", "{}"});
        addTask(*m_db, 0, "big", "generate", {}, ids(400), hyps[0], refs);
        addTask(*m_db, b, "big", "generate", {}, ids(400), hyps[1], refs);
        addTask(*m_db, c, "big", "generate", {}, ids(400), hyps[2], refs);
        const std::vector<engine::ComparedModel> models{{0, kBase, "base"}, {b, {}, "b"}, {c, {}, "c"}};
        for (const char* metric : {"bleu", "rougeL"}) {
            QElapsedTimer timer;
            timer.start();
            const auto r = engine::compareRuns(*m_db, request("big", metric, models));
            qInfo("compareRuns %s, 400 examples x 3 systems, 1000 resamples: %lld ms", metric, qint64(timer.elapsed()));
            if (std::string(metric) == "bleu")
                QVERIFY(std::abs(r.models[1].score - eval::corpusBleu(hyps[1], single(refs)).score) < 1e-9);
            // b changes every 5th word, the base every 3rd: b is better, and clearly so.
            QVERIFY(r.models[1].score > r.models[0].score);
            QVERIFY(*r.models[1].pValue < 0.01);
        }
    }

    void perplexityIsShownWithoutATest()
    {
        addTask(*m_db, 0, "lm", "perplexity", {{"perplexity", 12.5}}, ids(2), {"", ""}, {"x", "y"});
        addTask(*m_db, m_run, "lm", "perplexity", {{"perplexity", 9.0}}, ids(2), {"", ""}, {"x", "y"});
        const auto c = engine::compareRuns(*m_db, request("lm", "", {{0, kBase, "base"}, {m_run, {}, "run a"}}));
        QCOMPARE(c.metric, std::string("perplexity"));
        QVERIFY(!c.significance);
        QVERIFY(c.note.find("no significance test") != std::string::npos);
        QCOMPARE(c.models[0].score, 12.5);
        QCOMPARE(c.models[1].score, 9.0);
        QVERIFY(!c.models[1].pValue && !c.models[1].ci);
    }

    void missingOrDifferentOutputsAreClearErrors()
    {
        const store::RunId bare = m_db->createRun({"bare", kBase, "lora", "{}"});
        addTask(*m_db, bare, "sum", "generate", {{"bleu", 1.0}}, {}, {}, {});
        try {
            engine::compareRuns(*m_db, request("sum", "bleu", {{0, kBase, "base"}, {bare, {}, "run bare"}}));
            QFAIL("no error");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("run bare, task 'sum') stored no per-example outputs") != std::string::npos,
                     e.what());
        }
        const store::RunId fewer = m_db->createRun({"fewer", kBase, "lora", "{}"});
        addTask(*m_db, fewer, "sum", "generate", {{"bleu", 1.0}}, ids(4), kRunHyps, kRefs);
        try {
            engine::compareRuns(*m_db, request("sum", "bleu", {{0, kBase, "base"}, {fewer, {}, "run fewer"}}));
            QFAIL("no error");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("has no output for example '5'") != std::string::npos, e.what());
        }
        const store::RunId more = m_db->createRun({"more", kBase, "lora", "{}"});
        auto sixIds = ids(6);
        auto sixHyps = kRunHyps;
        sixHyps.push_back("extra");
        auto sixRefs = kRefs;
        sixRefs.push_back("extra");
        addTask(*m_db, more, "sum", "generate", {{"bleu", 1.0}}, sixIds, sixHyps, sixRefs);
        try {
            engine::compareRuns(*m_db, request("sum", "bleu", {{0, kBase, "base"}, {more, {}, "run more"}}));
            QFAIL("no error");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("the example sets differ") != std::string::npos, e.what());
        }
        try {
            engine::compareRuns(*m_db, request("nothing", "bleu", {{0, kBase, "base"}}));
            QFAIL("no error");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("base has no stored evaluation of task 'nothing'") != std::string::npos,
                     e.what());
        }
    }

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<store::RunStore> m_db;
    store::RunId m_run = 0, m_same = 0;
};

QTEST_GUILESS_MAIN(TestRunComparison)
#include "tst_run_comparison.moc"
