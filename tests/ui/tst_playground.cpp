// The Playground: one prompt, several models (base models, a stored run, a
// model folder, a broken path), greedy decoding on a background thread.
// Each column must equal what the model generates when loaded and run
// directly (LanguageModel::load / PeftModel::loadAdapter + generate, not the
// engine's loader), a broken model fails only its own column, and the event
// loop keeps turning while the models load and generate.
#include "common/tiny_model.h"
#include "engine/playground.h"
#include "engine/run_job.h"
#include "io/atomic_file.h"
#include "common/run_control.h"
#include "train/run_config.h"
#include "ui/playground/playground_panel.h"

#include <nlohmann/json.hpp>

#include <QElapsedTimer>
#include <QListWidget>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

using nlohmann::json;

namespace {

const std::string kPrompt = "add one to 3";

// The text a model folder generates for kPrompt, greedily, loaded without the engine.
std::string generateDirectly(const std::string& modelDir, const std::string& adapterDir, int64_t maxNewTokens)
{
    auto tokenizer = tb::tok::loadTokenizer(modelDir);
    auto lm = tb::model::LanguageModel::load(modelDir);
    tb::model::GenerationOptions o;
    o.maxNewTokens = maxNewTokens;
    const std::vector<std::vector<int64_t>> prompts = {tokenizer->encode(kPrompt, true)};
    if (adapterDir.empty()) {
        lm->module()->eval();
        return lm->generate(prompts, o, tokenizer.get()).front().text;
    }
    auto peft = tb::peft::PeftModel::loadAdapter(adapterDir, lm->module());
    lm->module()->eval();
    return peft->generate(prompts, o, tokenizer.get()).front().text;
}

// TB_SCREENSHOTS=DIR keeps a picture of the widget, for a person to look at.
void keepScreenshot(QWidget* w, const QString& name)
{
    const QString dir = qEnvironmentVariable("TB_SCREENSHOTS");
    if (!dir.isEmpty())
        w->grab().save(dir + QLatin1Char('/') + name + QStringLiteral(".png"));
}

// A LoRA run on model A, trained a few steps and recorded in the store.
tb::engine::JobResult trainRun(const QTemporaryDir& tmp, const std::string& model, const std::string& dbPath)
{
    std::string data;
    for (int i = 0; i < 16; ++i) {
        data += json({{"prompt", "add one to " + std::to_string(i)}, {"response", std::to_string(i + 1)}}).dump();
        data += "\n";
    }
    tb::io::writeFileAtomic(tmp.filePath("d.jsonl").toStdString(), data);
    const json run = {{"name", "lora-play"},
                      {"model", model},
                      {"output_dir", tmp.filePath("out").toStdString()},
                      {"data", {{"train", {tmp.filePath("d.jsonl").toStdString()}}, {"template", "plain"}}},
                      {"method", {{"method", "lora"}}},
                      {"training", {{"max_steps", 8}, {"batch_size", 4}, {"learning_rate", 0.01}, {"seed", 3}}}};
    tb::engine::JobOptions options;
    options.dbPath = dbPath;
    tb::engine::JobObserver observer;
    tb::RunControl control;
    return tb::engine::runJob(tb::train::parseRunConfig(run, "RUN.json"), options, observer, control);
}

} // namespace

class TestPlayground : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void columnsMatchDirectGenerationAndTheLoopKeepsTurning();
    void engineKeepsTheLastModelsLoaded();
    void stopCancelsTheRequest();
};

void TestPlayground::columnsMatchDirectGenerationAndTheLoopKeepsTurning()
{
    QTemporaryDir tmp;
    const std::string modelA = tbtest::makeTinyModel(tmp.filePath("a").toStdString(), 3, /*tied=*/false);
    const std::string modelB = tbtest::makeTinyModel(tmp.filePath("b").toStdString(), 4, /*tied=*/false);
    const std::string dbPath = tmp.filePath("runs.sqlite").toStdString();
    const auto run = trainRun(tmp, modelA, dbPath);
    QCOMPARE(run.train.status, tb::train::TrainStatus::Completed);
    QVERIFY(!run.savedDir.empty());
    const int64_t maxNew = 12;
    const std::string expectA = generateDirectly(modelA, {}, maxNew);
    const std::string expectRun = generateDirectly(modelA, run.savedDir, maxNew);
    const std::string expectB = generateDirectly(modelB, {}, maxNew);
    // Three different texts, so no column can be shown in another's place unnoticed.
    QVERIFY(expectA != expectB);
    QVERIFY(expectRun != expectA);
    QVERIFY(expectRun != expectB);

    tb::ui::PlaygroundPanel panel(QString::fromStdString(dbPath));
    panel.resize(1000, 700);
    // From the store: model A (the run's base model) first, then the run.
    QCOMPARE(panel.modelList()->count(), 2);
    QCOMPARE(panel.modelList()->item(1)->text(), QString("lora-play (#%1)").arg(run.runId));
    for (int i = 0; i < panel.modelList()->count(); ++i)
        panel.modelList()->item(i)->setCheckState(Qt::Checked);
    panel.addModelPath(QString::fromStdString(modelB));
    const QString missing = tmp.filePath("no-such-model");
    panel.addModelPath(missing);
    QCOMPARE(panel.checkedModels().size(), size_t(4));
    panel.setPrompt(QString::fromStdString(kPrompt));
    panel.maxNewTokensSpin()->setValue(int(maxNew));
    QCOMPARE(panel.decodingOptions().temperature, 0.0);

    // A 5 ms heartbeat: the longest gap between beats is how long the loop stalled.
    QElapsedTimer clock;
    qint64 last = 0, worst = 0;
    int beats = 0;
    QTimer beat;
    beat.setInterval(5);
    connect(&beat, &QTimer::timeout, this, [&] {
        const qint64 now = clock.elapsed();
        worst = std::max(worst, now - last);
        last = now;
        ++beats;
    });
    QSignalSpy finished(&panel, &tb::ui::PlaygroundPanel::generationFinished);
    clock.start();
    beat.start();
    QVERIFY(panel.generate());
    // generate() only starts the job: nothing is shown before the loop turns.
    QVERIFY(panel.isGenerating());
    QCOMPARE(panel.columnCount(), 4);
    for (int c = 0; c < 4; ++c)
        QVERIFY(panel.columnText(c).isEmpty() && panel.columnError(c).isEmpty());
    QVERIFY(!panel.generateButton()->isEnabled());
    QVERIFY(finished.wait(60000));
    beat.stop();
    QCOMPARE(finished.at(0).at(0).toString(), QString("completed"));
    QVERIFY(!panel.isGenerating());
    QVERIFY(panel.generateButton()->isEnabled());
    QVERIFY(beats > 0);
    QVERIFY2(worst < 100, qPrintable(QString("event loop stalled for %1 ms").arg(worst)));

    QCOMPARE(panel.columnTitle(1), QString("lora-play (#%1)").arg(run.runId));
    QCOMPARE(panel.columnText(0), QString::fromStdString(expectA));
    QCOMPARE(panel.columnText(1), QString::fromStdString(expectRun));
    QCOMPARE(panel.columnText(2), QString::fromStdString(expectB));
    for (int c = 0; c < 3; ++c) {
        QVERIFY2(panel.columnError(c).isEmpty(), qPrintable(panel.columnError(c)));
        QVERIFY(panel.columnStats(c).contains("token"));
    }
    // The broken path fails in its own column, naming the path.
    QVERIFY(panel.columnText(3).isEmpty());
    QVERIFY2(panel.columnError(3).contains("no-such-model"), qPrintable(panel.columnError(3)));
    keepScreenshot(&panel, "playground");
}

void TestPlayground::engineKeepsTheLastModelsLoaded()
{
    QTemporaryDir tmp;
    const std::string modelA = tbtest::makeTinyModel(tmp.filePath("a").toStdString(), 3, false);
    const std::string modelB = tbtest::makeTinyModel(tmp.filePath("b").toStdString(), 4, false);
    std::vector<tb::engine::ModelSpec> specs(3);
    specs[0].model = modelA;
    specs[1].model = tmp.filePath("missing").toStdString();
    specs[2].model = modelB;
    tb::engine::DecodingOptions options;
    options.maxNewTokens = 6;

    tb::engine::Playground playground;
    std::vector<size_t> reported;
    const auto onOutput = [&](size_t i, const tb::engine::PlaygroundOutput&) { reported.push_back(i); };
    const auto first = playground.generate(specs, kPrompt, options, {}, nullptr, onOutput);
    QVERIFY(reported == std::vector<size_t>({0, 1, 2}));
    QCOMPARE(first[0].text, generateDirectly(modelA, {}, 6));
    QCOMPARE(first[2].text, generateDirectly(modelB, {}, 6));
    QVERIFY(first[0].tokens > 0 && first[0].tokens <= 6);
    QVERIFY(first[0].loadSeconds > 0);
    QVERIFY(!first[1].error.empty());
    QCOMPARE(first[1].label, specs[1].model);
    QCOMPARE(playground.cached(), size_t(2));

    // Again: nothing loads, the same text comes out.
    const auto second = playground.generate(specs, kPrompt, options, {});
    QCOMPARE(second[0].loadSeconds, 0.0);
    QCOMPARE(second[2].loadSeconds, 0.0);
    QCOMPARE(second[0].text, first[0].text);
    // A request without model A lets it go.
    playground.generate({specs[2]}, kPrompt, options, {});
    QCOMPARE(playground.cached(), size_t(1));

    // The one-call function agrees.
    const auto once = tb::engine::playground({specs[0]}, kPrompt, options, {});
    QCOMPARE(once[0].text, first[0].text);
}

void TestPlayground::stopCancelsTheRequest()
{
    QTemporaryDir tmp;
    const std::string model = tbtest::makeTinyModel(tmp.filePath("a").toStdString(), 3, false);
    tb::ui::PlaygroundPanel panel(tmp.filePath("runs.sqlite"));
    panel.addModelPath(QString::fromStdString(model));
    panel.addModelPath(QString::fromStdString(model) + "-copy-that-is-not-there");
    panel.setPrompt(QString::fromStdString(kPrompt));
    panel.maxNewTokensSpin()->setValue(100);
    QSignalSpy finished(&panel, &tb::ui::PlaygroundPanel::generationFinished);
    QVERIFY(panel.generate());
    QVERIFY(!panel.generate()); // one request at a time
    panel.stop();
    QVERIFY(finished.wait(60000));
    QCOMPARE(finished.at(0).at(0).toString(), QString("cancelled"));
    // A new request after a cancelled one runs normally.
    QVERIFY(panel.generate());
    QVERIFY(finished.wait(60000));
    QCOMPARE(finished.at(1).at(0).toString(), QString("completed"));
    QVERIFY2(panel.columnError(0).isEmpty(), qPrintable(panel.columnError(0)));
    QVERIFY(!panel.columnError(1).isEmpty());
}

QTEST_MAIN(TestPlayground)
#include "tst_playground.moc"
