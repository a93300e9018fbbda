// General ability (engine/general_ability.h) on a tiny random Llama and a
// short LoRA run: the stored loss and perplexity of the base model and of the
// run equal exp(mean token NLL) computed here from each model's logits (the
// run's through its merged export, a different path from the adapter the
// evaluator applies), and the `general` command's output and errors.
#include "common/cli_process.h"
#include "common/tiny_model.h"

#include "common/error.h"
#include "engine/export.h"
#include "engine/general_ability.h"
#include "engine/run_job.h"
#include "io/atomic_file.h"
#include "store/run_store.h"
#include "train/run_config.h"

#include <nlohmann/json.hpp>

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <filesystem>
#include <fstream>

using namespace tb;
using nlohmann::json;

namespace {

using Cli = tb::test::ProcessRun;

Cli cli(const QStringList& args) { return tb::test::runProcess(QStringLiteral(TB_CLI), args, 240000); }

// The sample's paragraphs, as the test writes them (each well under the tiny
// model's 128 positions, so no windowing).
const std::vector<std::string> kParagraphs = {
    "The kettle boiled while the toast burned.",
    "A short walk after lunch\nclears the head.",
    "Rain again today, so the picnic moved indoors."};

// exp(mean over every predicted token of -log p), each paragraph's tokens
// after the first predicted from the logits of the whole paragraph.
double perplexityFromLogits(const std::string& modelDir, const std::string& tokenizerDir)
{
    const auto lm = model::LanguageModel::load(modelDir);
    const auto tokenizer = tok::loadTokenizer(tokenizerDir);
    double nll = 0;
    int64_t count = 0;
    for (const auto& p : kParagraphs) {
        const auto ids = tokenizer->encode(p, true);
        const auto logits = lm->logits(ids);
        for (size_t k = 1; k < ids.size(); ++k) {
            const auto& row = logits[k - 1];
            double mx = -1e300;
            for (float v : row)
                mx = std::max(mx, double(v));
            double z = 0;
            for (float v : row)
                z += std::exp(double(v) - mx);
            nll -= double(row[size_t(ids[k])]) - mx - std::log(z);
            ++count;
        }
    }
    return std::exp(nll / double(count));
}

} // namespace

class TestGeneralAbility : public QObject {
    Q_OBJECT

    QTemporaryDir m_tmp;
    std::string path(const std::string& name) const { return (m_tmp.path() + "/").toStdString() + name; }

private Q_SLOTS:
    void shippedSampleIsFound()
    {
        const std::string shipped = engine::defaultGeneralTextPath();
        QVERIFY(std::filesystem::is_regular_file(shipped));
        QCOMPARE(QString::fromStdString(shipped), QStringLiteral(TB_RESOURCES_DIR "/general/general_text.txt"));
        // Every paragraph of the sample becomes one example of the suite.
        const std::string suite = engine::writeGeneralSuite(shipped, path("suites"));
        std::ifstream jsonl(std::filesystem::path(suite).parent_path() / "general_text.jsonl");
        int lines = 0;
        for (std::string line; std::getline(jsonl, line);)
            lines += json::parse(line).contains("text");
        QCOMPARE(lines, 16); // the shipped file has 16 paragraphs
    }

    void baseAndRunMatchLogits()
    {
        QVERIFY(m_tmp.isValid());
        const std::string model = tbtest::makeTinyModel(path("base"), 3, /*tied=*/false);
        // Blank lines (some with spaces, CRLF endings) separate the paragraphs.
        std::string text;
        for (const auto& p : kParagraphs) {
            std::string crlf;
            for (char c : p)
                crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
            text += crlf + "\r\n  \r\n\r\n";
        }
        io::writeFileAtomic(path("sample.txt"), text);
        std::string train;
        for (int i = 0; i < 8; ++i)
            train += json({{"prompt", "Count " + std::to_string(i)}, {"response", std::to_string(i + 1)}}).dump() + "\n";
        io::writeFileAtomic(path("count.jsonl"), train);
        const std::string db = path("store.sqlite");
        json cfg = {{"name", "general-lora"},
                    {"model", model},
                    {"data", {{"train", {{{"path", path("count.jsonl")}}}}, {"template", "plain"}, {"max_length", 32}}},
                    {"method", {{"method", "lora"}, {"lora", {{"rank", 2}, {"alpha", 8}, {"dropout", 0.0}}}}},
                    {"training", {{"max_steps", 4}, {"batch_size", 4}, {"learning_rate", 5e-2}, {"seed", 1}}}};
        struct Quiet : engine::JobObserver {} quiet;
        RunControl control;
        const auto job = engine::runJob(train::parseRunConfig(cfg, "RUN.json"), {db, std::nullopt}, quiet, control);
        QCOMPARE(job.train.status, train::TrainStatus::Completed);

        engine::GeneralOptions o;
        o.dbPath = db;
        o.textFile = path("sample.txt");
        o.batchSize = 2;
        const auto g = engine::checkGeneralAbility(job.runId, o);
        QCOMPARE(g.baseModel, model);

        const double base = perplexityFromLogits(model, model);
        engine::exportRun(db, job.runId, "", path("merged"));
        const double after = perplexityFromLogits(path("merged"), model);
        QVERIFY2(std::abs(after / base - 1.0) > 1e-4, "the run should have changed the model");
        QVERIFY2(std::abs(g.base.perplexity / base - 1.0) < 1e-4,
                 qPrintable(QString("base %1 vs %2").arg(g.base.perplexity).arg(base)));
        QVERIFY2(std::abs(g.run.perplexity / after - 1.0) < 1e-4,
                 qPrintable(QString("run %1 vs %2").arg(g.run.perplexity).arg(after)));
        QVERIFY(std::abs(g.base.nll - std::log(base)) < 1e-4);
        QVERIFY(std::abs(g.nllChange() - (std::log(after) - std::log(base))) < 1e-4);

        // Both are stored as suite "general", task "general_text".
        store::RunStore store(db);
        store::EvaluationFilter f;
        f.suite = "general";
        f.task = "general_text";
        f.run = 0;
        f.baseModel = model;
        auto stored = store.latestScores(f);
        QCOMPARE(stored.size(), size_t(1));
        QVERIFY(std::abs(stored[0].metrics.at("perplexity") / base - 1.0) < 1e-4);
        QVERIFY(std::abs(stored[0].metrics.at("nll") - std::log(base)) < 1e-4);
        f.run = job.runId;
        f.baseModel.clear();
        stored = store.latestScores(f);
        QCOMPARE(stored.size(), size_t(1));
        QVERIFY(std::abs(stored[0].metrics.at("perplexity") / after - 1.0) < 1e-4);
        QCOMPARE(stored[0].evaluation.id, g.run.taskEvaluation);

        // The command prints the same numbers; a missing text file is one line and exit code 1.
        const QString dbQ = QString::fromStdString(db), run = QString::number(job.runId);
        auto r = cli({"general", "--run", run, "--db", dbQ, "--text", QString::fromStdString(path("sample.txt")), "--json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto doc = json::parse(r.out.toStdString());
        QVERIFY(std::abs(doc.at("base").at("perplexity").get<double>() / base - 1.0) < 1e-4);
        QVERIFY(std::abs(doc.at("after").at("perplexity").get<double>() / after - 1.0) < 1e-4);
        r = cli({"general", "--run", run, "--db", dbQ, "--text", QString::fromStdString(path("sample.txt"))});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        // The table shows the stored values (4 decimals) and the change.
        const double storedBase = doc.at("base").at("perplexity").get<double>();
        const double storedAfter = doc.at("after").at("perplexity").get<double>();
        QVERIFY2(r.out.contains("perplexity " + QString::number(storedBase, 'f', 4)), qPrintable(r.out));
        QVERIFY2(r.out.contains(QString::number(storedAfter - storedBase, 'f', 4)), qPrintable(r.out));
        // The forgetting command on the stored general scores: raw perplexities
        // (no sign change), the detected mode, and no sequential summaries.
        r = cli({"forgetting", "--suite", QString::fromStdString(g.suitePath), "--runs", run, "--db", dbQ, "--json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto fj = json::parse(r.out.toStdString());
        QCOMPARE(fj.at("mode").get<std::string>(), std::string("independent"));
        QCOMPARE(fj.at("detected_mode").get<std::string>(), std::string("independent"));
        const auto& rep = fj.at("report");
        QCOMPARE(rep.at("task_metrics"), json::array({"perplexity"}));
        QVERIFY(std::abs(rep.at("scores")[0][0].get<double>() / base - 1.0) < 1e-4);
        QVERIFY(std::abs(rep.at("scores")[1][0].get<double>() / after - 1.0) < 1e-4);
        QVERIFY(std::abs(rep.at("comparable")[1][0].get<double>() - std::log(base / after)) < 1e-4);
        QVERIFY(rep.at("backward_transfer").is_null());
        r = cli({"forgetting", "--suite", QString::fromStdString(g.suitePath), "--runs", run, "--db", dbQ, "--mode",
                 "parallel"});
        QVERIFY(r.exitCode != 0); // a usage error: CLI11's own exit code
        QVERIFY2(r.err.contains("--mode"), qPrintable(r.err));
        r = cli({"general", "--run", run, "--db", dbQ, "--text", "/no/such/text.txt"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.startsWith("error: ") && r.err.contains("/no/such/text.txt: no such text file"), qPrintable(r.err));
        QCOMPARE(r.err.count('\n'), 1);
        io::writeFileAtomic(path("blank.txt"), "\n  \n");
        r = cli({"general", "--run", run, "--db", dbQ, "--text", QString::fromStdString(path("blank.txt"))});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("no text to score"), qPrintable(r.err));
        r = cli({"general", "--run", "999", "--db", dbQ, "--text", QString::fromStdString(path("sample.txt"))});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("no run with id 999"), qPrintable(r.err));
    }
};

QTEST_GUILESS_MAIN(TestGeneralAbility)
#include "tst_general_ability.moc"
