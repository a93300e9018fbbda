// The Forgetting panel on a real SQLite run store: hand-chosen stored scores
// for independent runs and for a chain (cell labels, mode switch, the
// plain-words explanation, CSV / SVG / PNG export, all checked against
// numbers worked out here), and the "Check general ability" button on a tiny
// model and a short LoRA run, its stored perplexities read back from the
// store.
#include "common/stored_results.h"
#include "common/tiny_model.h"

#include "data/csv.h"
#include "engine/run_job.h"
#include "io/atomic_file.h"
#include "store/run_store.h"
#include "train/run_config.h"
#include "ui/eval/forgetting_panel.h"

#include <nlohmann/json.hpp>

#include <QFile>
#include <QImage>
#include <QLabel>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <map>

using namespace tb;
using tb::ui::ForgettingPanel;

namespace {

const std::string kBase = "/models/tiny";

void addTask(store::RunStore& db, store::RunId run, const std::string& task, const std::string& kind,
             const std::map<std::string, double>& scores)
{
    test::storeTask(db, {run, kBase, "mix", task, kind, scores});
}

store::RunId addRun(store::RunStore& db, const std::string& name, const std::string& model, const std::string& task,
                    const std::string& outputDir)
{
    const nlohmann::json config = {{"name", name},
                                   {"model", model},
                                   {"output_dir", outputDir},
                                   {"data", {{"train", {"data/" + task + "/train.jsonl"}}}}};
    return db.createRun({name, model, "lora", config.dump()});
}

// Scores (rows sorted by task name: lm, summarize, translate):
//               lm perplexity  summarize rougeL  translate bleu
//   base            20.0            0.20            10.0
//   run 1 (sum)     22.0            0.32             9.0
//   run 2 (tra)     21.0            0.18            14.0
std::pair<store::RunId, store::RunId> fillStore(const std::string& dbPath, bool chain)
{
    store::RunStore db(dbPath);
    const auto a = addRun(db, "sum", kBase, "summarize", "/work/out/sum");
    // A chain: run 2 fine-tunes run 1's merged export under its output folder.
    const auto b = addRun(db, "tra", chain ? "/work/out/sum/merged" : kBase, "translate", "/work/out/tra");
    for (auto [run, ppl, r, bl] : {std::tuple{store::RunId(0), 20.0, 0.20, 10.0}, std::tuple{a, 22.0, 0.32, 9.0},
                                   std::tuple{b, 21.0, 0.18, 14.0}}) {
        addTask(db, run, "lm", "perplexity", {{"perplexity", ppl}, {"nll", std::log(ppl)}});
        addTask(db, run, "summarize", "generate", {{"rougeL", r}});
        addTask(db, run, "translate", "generate", {{"bleu", bl}});
    }
    return {a, b};
}

struct QuietJob : engine::JobObserver {};

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

class TestForgettingPanel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void independentRunsShowGainsAndCosts()
    {
        QTemporaryDir dir;
        const std::string dbPath = dir.filePath("runs.sqlite").toStdString();
        const auto ids = fillStore(dbPath, /*chain=*/false);
        ForgettingPanel panel(QString::fromStdString(dbPath));
        panel.setOpensExampleDialog(false);
        panel.setSuite("mix");
        panel.setStages({ids.first, ids.second});
        QCOMPARE(panel.stageTask(0), QString("summarize"));
        QCOMPARE(panel.stageTask(1), QString("translate"));
        // Both fine-tune kBase: detected as independent runs, no warning.
        QCOMPARE(panel.detectedMode(), eval::ForgettingMode::Independent);
        QCOMPARE(panel.mode(), eval::ForgettingMode::Independent);
        QVERIFY(panel.modeWarningLabel()->isHidden());
        panel.compute();

        const QTableWidget* h = panel.heatmap();
        QCOMPARE(h->rowCount(), 3);
        QCOMPARE(h->verticalHeaderItem(1)->text(), QString("summarize"));
        // Raw score and change: 0.32 - 0.20; 14 - 10; perplexity raw, marked excluded.
        QCOMPARE(h->item(1, 1)->text(), QString("0.3200\n+0.1200"));
        QCOMPARE(h->item(2, 2)->text(), QString("14.0000\n+4.0000"));
        QCOMPARE(h->item(0, 0)->text(), QString("20.0000"));
        QCOMPARE(h->item(0, 1)->text(), QString("22.0000\n+2.0000\n(excluded)"));
        // A perplexity rise is a change for the worse: coloured like a drop.
        QVERIFY(h->item(0, 1)->data(ForgettingPanel::ComparableRole).toDouble() < 0);

        // Run 1: gain 0.12 on summarize, elsewhere translate only (lm left out): 9 - 10 = -1.
        // Run 2: gain +4 on translate, elsewhere 0.18 - 0.20 = -0.02.
        // Means: gain (0.12 + 4) / 2 = 2.06; elsewhere (-1 - 0.02) / 2 = -0.51.
        QCOMPARE(panel.gainLabel()->text(), QString("Mean gain: +2.0600"));
        QCOMPARE(panel.elsewhereLabel()->text(), QString("Mean change elsewhere: -0.5100"));
        QVERIFY(!panel.gainLabel()->isHidden());
        QVERIFY(panel.backwardTransferLabel()->isHidden());
        QVERIFY(panel.backwardTransferLabel()->text().isEmpty());
        QVERIFY(panel.forgettingLabel()->text().isEmpty());
        // Average score after run 2 without the perplexity: (0.18 + 14) / 2 = 7.09.
        QCOMPARE(panel.averageLabel()->text(), QString("Average score: 7.0900"));
        const QString run1 = h->horizontalHeaderItem(1)->text(), run2 = h->horizontalHeaderItem(2)->text();
        const QString words = panel.explanationLabel()->text();
        QVERIFY2(words.contains(run1 + " gained +0.1200 on summarize and lost 1.0000 on average elsewhere."),
                 qPrintable(words));
        QVERIFY2(words.contains(run2 + " gained +4.0000 on translate and lost 0.0200 on average elsewhere."),
                 qPrintable(words));
        QVERIFY2(words.contains("lm (Perplexity, lower is better) is shown as measured but left out"), qPrintable(words));
        QVERIFY(!words.contains("Backward transfer"));

        // CSV: one row per task and model, read back with an RFC 4180 reader.
        const QString csvPath = dir.filePath("table.csv");
        QVERIFY(panel.exportTable(csvPath));
        const QByteArray csv = readAll(csvPath);
        QCOMPARE(QString::fromUtf8(csv), panel.tableCsv());
        const auto rows = data::parseCsv(csv.toStdString(), "table.csv");
        QCOMPARE(rows.size(), size_t(1 + 3 * 3));
        QCOMPARE(rows[0].fields, (std::vector<std::string>{"task", "metric", "model", "score", "change",
                                                           "comparable_change", "in_summaries"}));
        int checked = 0;
        for (const auto& row : rows) {
            if (row.fields[0] == "summarize" && row.fields[2] == run1.toStdString()) {
                QCOMPARE(row.fields[1], std::string("rougeL"));
                QCOMPARE(std::stod(row.fields[3]), 0.32);
                QVERIFY(std::abs(std::stod(row.fields[4]) - 0.12) < 1e-12);
                QCOMPARE(row.fields[6], std::string("yes"));
                ++checked;
            }
            if (row.fields[0] == "lm" && row.fields[2] == run1.toStdString()) {
                QCOMPARE(std::stod(row.fields[3]), 22.0);
                QCOMPARE(std::stod(row.fields[4]), 2.0);
                QVERIFY(std::abs(std::stod(row.fields[5]) - std::log(20.0 / 22.0)) < 1e-12);
                QCOMPARE(row.fields[6], std::string("no"));
                ++checked;
            }
        }
        QCOMPARE(checked, 2);

        // The heatmap as SVG (drawn from the cells) and as PNG.
        QVERIFY(panel.exportHeatmap(dir.filePath("map.svg")));
        const QString svg = QString::fromUtf8(readAll(dir.filePath("map.svg")));
        QVERIFY(svg.startsWith("<?xml") && svg.contains("<svg"));
        QVERIFY(svg.contains(">+0.1200<") && svg.contains(">(excluded)<") && svg.contains(">summarize<"));
        QVERIFY(panel.exportHeatmap(dir.filePath("map.png")));
        QVERIFY(!QImage(dir.filePath("map.png")).isNull());

        // Normalised perplexity: run 1's elsewhere is (-1 + ln(20/22)) / 2 = -0.547655...
        panel.setNormaliseLowerIsBetter(true);
        const double elsewhere = (-1.0 + std::log(20.0 / 22.0)) / 2;
        QVERIFY2(panel.explanationLabel()->text().contains(
                     QString("lost %1 on average elsewhere").arg(-elsewhere, 0, 'f', 4)),
                 qPrintable(panel.explanationLabel()->text()));
        QCOMPARE(h->item(0, 1)->text(), QString("22.0000\n+2.0000\nln %1").arg(std::log(20.0 / 22.0), 0, 'f', 4));
        panel.setNormaliseLowerIsBetter(false);

        // Read as a chain (the user's choice): BWT and forgetting appear, the
        // gains go, and a warning says these runs are not a chain.
        // BWT = R2sum - R1sum = 0.18 - 0.32 = -0.14; F = 0.32 - 0.18 = 0.14.
        panel.setMode(eval::ForgettingMode::Chain);
        QCOMPARE(panel.backwardTransferLabel()->text(), QString("Backward transfer: -0.1400"));
        QCOMPARE(panel.forgettingLabel()->text(), QString("Forgetting: 0.1400"));
        QVERIFY(panel.gainLabel()->isHidden());
        QVERIFY(!panel.modeWarningLabel()->isHidden());
        QVERIFY(panel.modeWarningLabel()->text().contains("same base model"));
        QVERIFY(panel.explanationLabel()->text().contains("Backward transfer -0.1400"));
        QVERIFY(panel.explanationLabel()->text().contains("ended 0.1400 below their best score"));
        // Stored with its mode; shown again as a chain.
        const qint64 id = panel.saveReport();
        panel.setMode(eval::ForgettingMode::Independent);
        QVERIFY(panel.backwardTransferLabel()->text().isEmpty());
        panel.showStoredReport(id);
        QCOMPARE(panel.mode(), eval::ForgettingMode::Chain);
        QCOMPARE(panel.backwardTransferLabel()->text(), QString("Backward transfer: -0.1400"));
    }

    void chainIsDetected()
    {
        QTemporaryDir dir;
        const std::string dbPath = dir.filePath("runs.sqlite").toStdString();
        const auto ids = fillStore(dbPath, /*chain=*/true);
        ForgettingPanel panel(QString::fromStdString(dbPath));
        panel.setSuite("mix");
        panel.setStages({ids.first, ids.second});
        QCOMPARE(panel.detectedMode(), eval::ForgettingMode::Chain);
        QCOMPARE(panel.mode(), eval::ForgettingMode::Chain);
        QVERIFY(panel.modeWarningLabel()->isHidden());
        panel.compute();
        QCOMPARE(panel.backwardTransferLabel()->text(), QString("Backward transfer: -0.1400"));
        QVERIFY(panel.gainLabel()->isHidden());
    }

    // The button evaluates the base and the run on a text sample in the
    // background; the heatmap then shows suite "general" with the stored
    // perplexities (read back here from the store directly).
    void generalAbilityButton()
    {
        QTemporaryDir dir;
        const std::string model = tbtest::makeTinyModel(dir.filePath("base").toStdString(), 5, false);
        std::string train;
        for (int i = 0; i < 8; ++i)
            train += nlohmann::json({{"prompt", "Say " + std::to_string(i)}, {"response", "ok " + std::to_string(i)}})
                         .dump() + "\n";
        io::writeFileAtomic(dir.filePath("say.jsonl").toStdString(), train);
        io::writeFileAtomic(dir.filePath("sample.txt").toStdString(),
                            "The bus was late again this morning.\n\nSoup is easy to make at home.\n");
        const std::string dbPath = dir.filePath("runs.sqlite").toStdString();
        nlohmann::json cfg = {{"name", "say"},
                              {"model", model},
                              {"data", {{"train", {dir.filePath("say.jsonl").toStdString()}}, {"template", "plain"},
                                        {"max_length", 32}}},
                              {"method", {{"method", "lora"}, {"lora", {{"rank", 2}, {"alpha", 8}, {"dropout", 0.0}}}}},
                              {"training", {{"max_steps", 3}, {"batch_size", 4}, {"learning_rate", 5e-2}, {"seed", 1}}}};
        QuietJob quiet;
        RunControl control;
        const auto job = engine::runJob(train::parseRunConfig(cfg, "RUN.json"), {dbPath, std::nullopt}, quiet, control);
        QCOMPARE(job.train.status, train::TrainStatus::Completed);

        ForgettingPanel panel(QString::fromStdString(dbPath));
        panel.setOpensExampleDialog(false);
        panel.refresh();
        panel.setStages({job.runId});
        panel.setGeneralTextFile(dir.filePath("sample.txt"));
        QSignalSpy done(&panel, &ForgettingPanel::generalCheckFinished);
        QVERIFY(panel.checkGeneralAbility());
        QVERIFY(panel.generalCheckRunning());
        QVERIFY(done.wait(120000));
        QCOMPARE(done[0][0].toString(), QString("completed"));

        store::RunStore db(dbPath);
        store::EvaluationFilter f;
        f.suite = "general";
        f.task = "general_text";
        f.run = 0;
        f.baseModel = model;
        const auto base = db.latestScores(f);
        f.run = job.runId;
        f.baseModel.clear();
        const auto run = db.latestScores(f);
        QCOMPARE(base.size(), size_t(1));
        QCOMPARE(run.size(), size_t(1));
        QCOMPARE(panel.suite(), QString("general"));
        const QTableWidget* h = panel.heatmap();
        QCOMPARE(h->rowCount(), 1);
        QCOMPARE(h->verticalHeaderItem(0)->text(), QString("general_text"));
        QCOMPARE(h->item(0, 0)->data(ForgettingPanel::ScoreRole).toDouble(), base[0].metrics.at("perplexity"));
        QCOMPARE(h->item(0, 1)->data(ForgettingPanel::ScoreRole).toDouble(), run[0].metrics.at("perplexity"));
        QVERIFY(std::abs(base[0].metrics.at("perplexity") - std::exp(base[0].metrics.at("nll"))) < 1e-6);
        QVERIFY(base[0].metrics.at("perplexity") != run[0].metrics.at("perplexity"));
    }
};

QTEST_MAIN(TestForgettingPanel)
#include "tst_forgetting_panel.moc"
