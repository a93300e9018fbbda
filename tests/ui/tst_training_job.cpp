// TrainingJob: a real run on a background thread while the event loop keeps
// turning; events arrive in the GUI thread, in order.
#include "common/tiny_model.h"
#include "io/atomic_file.h"
#include "train/run_config.h"
#include "store/run_store.h"
#include "ui/training/training_job.h"
#include "ui/training/training_panel.h"

#include <nlohmann/json.hpp>

#include <QDir>
#include <QElapsedTimer>
#include <QLineSeries>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

using nlohmann::json;

namespace {

struct Sample {
    qint64 step;
    QString prompt, output;
};

// 16 prompt/response records, the plain template: prompt "add one to N\n".
json samplingRun(const QTemporaryDir& tmp, const std::string& model, const json& training)
{
    std::string data;
    for (int i = 0; i < 16; ++i)
        data += json({{"prompt", "add one to " + std::to_string(i)}, {"response", std::to_string(i + 1)}}).dump() + "\n";
    tb::io::writeFileAtomic(tmp.filePath("d.jsonl").toStdString(), data);
    return {{"name", "samples"},
            {"model", model},
            {"data", {{"train", {tmp.filePath("d.jsonl").toStdString()}}, {"template", "plain"}, {"validation_fraction", 0.25}}},
            // Dropout on: samples must be drawn in eval mode and leave the dropout RNG alone.
            {"method", {{"method", "lora"}, {"lora", {{"dropout", 0.1}}}}},
            {"training", training}};
}

// Two tasks of prompt/response records, 16 each: "add one to N" (task
// "add") and "double N" (task "double"), a quarter held out for validation.
QString writeTwoTaskRun(const QTemporaryDir& tmp, const std::string& model, const json& training)
{
    std::string data;
    for (int i = 0; i < 16; ++i) {
        const std::string n = std::to_string(i);
        data += json({{"prompt", "add one to " + n}, {"response", std::to_string(i + 1)}, {"task", "add"}}).dump() + "\n";
        data += json({{"prompt", "double " + n}, {"response", std::to_string(2 * i)}, {"task", "double"}}).dump() + "\n";
    }
    tb::io::writeFileAtomic(tmp.filePath("tasks.jsonl").toStdString(), data);
    const json run = {{"name", "two-tasks"},
                      {"model", model},
                      {"data", {{"train", {tmp.filePath("tasks.jsonl").toStdString()}}, {"template", "plain"},
                                {"validation_fraction", 0.25}}},
                      {"method", {{"method", "lora"}}},
                      {"training", training}};
    tb::io::writeFileAtomic(tmp.filePath("RUN.json").toStdString(), run.dump(2));
    return tmp.filePath("RUN.json");
}

// The stored points of `name` up to `lastStep`, as (step, value).
QList<QPointF> storedPoints(const QString& db, qint64 run, const std::string& name, int64_t lastStep)
{
    QList<QPointF> out;
    for (const auto& p : tb::store::RunStore(db.toStdString()).metrics(run, name))
        if (p.step <= lastStep)
            out.append(QPointF(double(p.step), p.value));
    return out;
}

} // namespace

class TestTrainingJob : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void eventLoopNeverStallsWhileTraining()
    {
        QTemporaryDir tmp;
        const std::string model = tbtest::makeTinyModel(tmp.filePath("base").toStdString());
        std::string data;
        for (int i = 0; i < 64; ++i)
            data += json({{"prompt", "add one to " + std::to_string(i)}, {"response", std::to_string(i + 1)}}).dump() + "\n";
        tb::io::writeFileAtomic(tmp.filePath("d.jsonl").toStdString(), data);
        const json run = {{"name", "gui-lora"},
                          {"model", model},
                          {"data", {{"train", {tmp.filePath("d.jsonl").toStdString()}}, {"template", "plain"}}},
                          {"method", {{"method", "lora"}}},
                          {"training", {{"max_steps", 120}, {"batch_size", 8}, {"eval_every", 40}, {"seed", 2}}}};
        const auto config = tb::train::parseRunConfig(run, "RUN.json");

        tb::ui::TrainingJob job(config, tmp.filePath("runs.sqlite"));
        std::vector<qint64> steps;
        bool allInGuiThread = true;
        QObject::connect(&job, &tb::ui::TrainingJob::stepFinished, this, [&](const tb::ui::StepPoint& p) {
            steps.push_back(p.step);
            allInGuiThread = allInGuiThread && QThread::currentThread() == thread();
        });
        QSignalSpy validated(&job, &tb::ui::TrainingJob::validated);
        QSignalSpy finished(&job, &tb::ui::TrainingJob::finished);

        // A 5 ms heartbeat: the longest gap between beats is how long the loop stalled.
        QElapsedTimer clock;
        qint64 last = 0, worst = 0;
        QTimer beat;
        beat.setInterval(5);
        QObject::connect(&beat, &QTimer::timeout, this, [&] {
            const qint64 now = clock.elapsed();
            worst = std::max(worst, now - last);
            last = now;
        });
        clock.start();
        beat.start();
        job.start();
        QVERIFY(finished.wait(120000));
        beat.stop();

        QCOMPARE(finished.at(0).at(0).value<tb::train::TrainStatus>(), tb::train::TrainStatus::Completed);
        QCOMPARE(steps.size(), size_t(120));
        for (size_t i = 0; i < steps.size(); ++i)
            QCOMPARE(steps[i], qint64(i + 1));
        QVERIFY(allInGuiThread);
        QCOMPARE(validated.size(), 3);
        QVERIFY2(worst < 100, qPrintable(QString("event loop stalled for %1 ms").arg(worst)));
    }

    void cancelStopsTheRun()
    {
        QTemporaryDir tmp;
        const std::string model = tbtest::makeTinyModel(tmp.filePath("base").toStdString());
        std::string data;
        for (int i = 0; i < 16; ++i)
            data += json({{"text", "story number " + std::to_string(i)}}).dump() + "\n";
        tb::io::writeFileAtomic(tmp.filePath("d.jsonl").toStdString(), data);
        const json run = {{"model", model},
                          {"data", {{"train", {tmp.filePath("d.jsonl").toStdString()}}, {"validation_fraction", 0}}},
                          {"method", {{"method", "lora"}}},
                          {"training", {{"max_steps", 100000}, {"batch_size", 2}}}};
        tb::ui::TrainingJob job(tb::train::parseRunConfig(run, "RUN.json"), tmp.filePath("runs.sqlite"));
        QSignalSpy finished(&job, &tb::ui::TrainingJob::finished);
        QObject::connect(&job, &tb::ui::TrainingJob::stepFinished, &job, [&](const tb::ui::StepPoint& p) {
            if (p.step == 3)
                job.cancel();
        });
        job.start();
        QVERIFY(finished.wait(60000));
        QCOMPARE(finished.at(0).at(0).value<tb::train::TrainStatus>(), tb::train::TrainStatus::Cancelled);
    }

    // A pause takes effect after the step being trained (pausedAt names it, no
    // step follows while paused), and the paused time is left out of the
    // elapsed time and the ETA of the steps after it.
    void pausedTimeIsLeftOutOfElapsedAndEta()
    {
        QTemporaryDir tmp;
        const std::string model = tbtest::makeTinyModel(tmp.filePath("base").toStdString());
        const json training = {{"max_steps", 400}, {"batch_size", 2}, {"seed", 8}};
        tb::ui::TrainingJob job(tb::train::parseRunConfig(samplingRun(tmp, model, training), "RUN.json"),
                                tmp.filePath("runs.sqlite"));
        std::vector<tb::ui::StepPoint> points;
        QObject::connect(&job, &tb::ui::TrainingJob::stepFinished, this, [&](const tb::ui::StepPoint& p) {
            points.push_back(p);
            if (p.step == 3)
                job.pause();
        });
        QSignalSpy paused(&job, &tb::ui::TrainingJob::pausedAt);
        QSignalSpy finished(&job, &tb::ui::TrainingJob::finished);
        QElapsedTimer wall;
        wall.start();
        job.start();
        QVERIFY(paused.wait(30000));
        const qint64 pausedStep = paused.at(0).at(0).toLongLong();
        QVERIFY(pausedStep >= 3);
        QTest::qWait(1500);
        QCOMPARE(qint64(points.size()), pausedStep); // nothing trained while paused
        const tb::ui::StepPoint before = points.back();
        QCOMPARE(before.step, pausedStep);
        job.resume();
        QTRY_VERIFY_WITH_TIMEOUT(qint64(points.size()) >= pausedStep + 2, 20000);
        job.cancel();
        QVERIFY(finished.wait(20000));
        const double wallSeconds = double(wall.elapsed()) / 1000.0;
        QCOMPARE(finished.at(0).at(0).value<tb::train::TrainStatus>(), tb::train::TrainStatus::Cancelled);

        const tb::ui::StepPoint after = points[size_t(pausedStep)]; // the first step after the pause
        QCOMPARE(after.step, pausedStep + 1);
        QVERIFY2(after.pausedSeconds >= 1.5, qPrintable(QString::number(after.pausedSeconds)));
        QCOMPARE(before.pausedSeconds, 0.0);
        // One step's training time lies between them, not the 1.5 s pause.
        QVERIFY2(after.elapsedSeconds - before.elapsedSeconds < 1.0,
                 qPrintable(QString("%1 → %2 s").arg(before.elapsedSeconds).arg(after.elapsedSeconds)));
        // The ETA: time per step so far × steps left (a new run: every step is this session's).
        for (const auto& p : {before, after})
            QVERIFY(qAbs(p.etaSeconds - p.elapsedSeconds / double(p.step) * double(400 - p.step)) < 1e-9);
        // The job's own duration leaves the pause out as well.
        const double active = finished.at(0).at(3).toDouble();
        // (50 ms of slack: the job's pause clock starts when it blocks, a moment before the test hears of it.)
        QVERIFY2(active > 0 && active <= wallSeconds - 1.5 + 0.05,
                 qPrintable(QString("%1 of %2 s").arg(active).arg(wallSeconds)));
    }

    // Greedy samples at every sample_every-th step; the last one equals what
    // the saved adapter generates on its own (LanguageModel::generate with its
    // KV cache, a separate decoding path), and sampling leaves training alone.
    void samplesArriveAtTheirStepsAndMatchTheSavedAdapter()
    {
        QTemporaryDir tmp;
        const std::string model = tbtest::makeTinyModel(tmp.filePath("base").toStdString(), 7, /*tied=*/false);
        const std::vector<std::string> prompts = {"add one to 3", "add one to 10"};
        const json training = {{"max_steps", 6},  {"batch_size", 4}, {"learning_rate", 0.002}, {"seed", 5},
                               {"sample_every", 3}, {"sample_prompts", prompts}, {"sample_max_new_tokens", 8}};
        const auto config = tb::train::parseRunConfig(samplingRun(tmp, model, training), "RUN.json");

        tb::ui::TrainingJob job(config, tmp.filePath("runs.sqlite"));
        std::vector<Sample> samples;
        std::vector<double> losses;
        QString outputDir;
        QObject::connect(&job, &tb::ui::TrainingJob::sampleGenerated, this,
                         [&](qint64 step, const QString& p, const QString& o) { samples.push_back({step, p, o}); });
        QObject::connect(&job, &tb::ui::TrainingJob::stepFinished, this,
                         [&](const tb::ui::StepPoint& p) { losses.push_back(p.loss); });
        QObject::connect(&job, &tb::ui::TrainingJob::runCreated, this,
                         [&](qint64, const QString& dir) { outputDir = dir; });
        QSignalSpy finished(&job, &tb::ui::TrainingJob::finished);
        job.start();
        QVERIFY(finished.wait(120000));
        QCOMPARE(finished.at(0).at(0).value<tb::train::TrainStatus>(), tb::train::TrainStatus::Completed);

        // Steps 3 and 6, both prompts each time, in order.
        QCOMPARE(samples.size(), size_t(4));
        const qint64 steps[] = {3, 3, 6, 6};
        for (size_t i = 0; i < 4; ++i) {
            QCOMPARE(samples[i].step, steps[i]);
            QCOMPARE(samples[i].prompt, QString::fromStdString(prompts[i % 2]));
            QVERIFY2(!samples[i].output.isEmpty(), "a sample should hold some text");
        }

        // The adapter saved after step 6, loaded onto a fresh base, generating
        // greedily from "add one to 3\n" (the plain template's prompt).
        auto tokenizer = tb::tok::loadTokenizer(tbtest::tokenizerFixture());
        tb::model::GenerationOptions greedy;
        greedy.maxNewTokens = 8;
        // What the untrained base says: the samples must come from the trained weights instead.
        auto base = tb::model::LanguageModel::load(model);
        bool differsFromBase = false;
        for (size_t i = 0; i < 2; ++i) {
            const auto said = base->generate({tokenizer->encode(prompts[i] + "\n", true)}, greedy, tokenizer.get());
            differsFromBase = differsFromBase || samples[2 + i].output != QString::fromStdString(said[0].text);
        }
        QVERIFY(differsFromBase);
        auto lm = tb::model::LanguageModel::load(model);
        auto adapter = tb::peft::PeftModel::loadAdapter(QDir(outputDir).filePath("adapter").toStdString(), lm->module());
        lm->module()->eval();
        for (size_t i = 0; i < 2; ++i) {
            const auto ids = tokenizer->encode(prompts[i] + "\n", true);
            const auto alone = lm->generate({ids}, greedy, tokenizer.get());
            QCOMPARE(samples[2 + i].output, QString::fromStdString(alone[0].text));
        }

        // The same run without samples: the same losses, bit for bit.
        QTemporaryDir tmp2;
        json quiet = training;
        quiet["sample_every"] = 0;
        tb::ui::TrainingJob plain(tb::train::parseRunConfig(samplingRun(tmp2, model, quiet), "RUN.json"),
                                  tmp2.filePath("runs.sqlite"));
        std::vector<double> plainLosses;
        QObject::connect(&plain, &tb::ui::TrainingJob::stepFinished, this,
                         [&](const tb::ui::StepPoint& p) { plainLosses.push_back(p.loss); });
        QSignalSpy plainFinished(&plain, &tb::ui::TrainingJob::finished);
        plain.start();
        QVERIFY(plainFinished.wait(120000));
        QCOMPARE(plainLosses, losses);
    }

    // Prompt tuning samples through its own decoding path (the soft prompt
    // must take part): at the right steps, non-empty, the same on a rerun, and
    // different from the same model without its trained soft prompt.
    void promptTuningSamplesAreDeterministic()
    {
        QTemporaryDir tmp;
        const std::string model = tbtest::makeTinyModel(tmp.filePath("base").toStdString(), 7, /*tied=*/false);
        const json training = {{"max_steps", 4},    {"batch_size", 4},          {"learning_rate", 0.05}, {"seed", 5},
                               {"sample_every", 2}, {"sample_prompts", {"add one to 3"}}, {"sample_max_new_tokens", 6}};
        json run = samplingRun(tmp, model, training);
        run["method"] = {{"method", "prompt_tuning"}, {"prompt_tuning", {{"num_virtual_tokens", 4}}}};
        auto samplesOf = [&](const QString& db) {
            tb::ui::TrainingJob job(tb::train::parseRunConfig(run, "RUN.json"), db);
            std::vector<Sample> samples;
            QObject::connect(&job, &tb::ui::TrainingJob::sampleGenerated, this,
                             [&](qint64 step, const QString& p, const QString& o) { samples.push_back({step, p, o}); });
            QSignalSpy finished(&job, &tb::ui::TrainingJob::finished);
            job.start();
            if (!finished.wait(120000) || finished.at(0).at(0).value<tb::train::TrainStatus>() != tb::train::TrainStatus::Completed)
                qWarning() << "run did not complete" << finished;
            return samples;
        };
        const auto first = samplesOf(tmp.filePath("a.sqlite"));
        const auto again = samplesOf(tmp.filePath("b.sqlite"));
        QCOMPARE(first.size(), size_t(2));
        QCOMPARE(again.size(), size_t(2));
        for (size_t i = 0; i < 2; ++i) {
            QCOMPARE(first[i].step, qint64(2 * (i + 1)));
            QVERIFY(!first[i].output.isEmpty());
            QCOMPARE(again[i].output, first[i].output);
        }
        // The base alone (no soft prompt) from the same text says something else.
        auto tokenizer = tb::tok::loadTokenizer(tbtest::tokenizerFixture());
        tb::model::GenerationOptions greedy;
        greedy.maxNewTokens = 6;
        const auto plain = tb::model::LanguageModel::load(model)->generate(
            {tokenizer->encode("add one to 3\n", true)}, greedy, tokenizer.get());
        QVERIFY(first[1].output != QString::fromStdString(plain[0].text));
    }

    // Without sample_prompts, the prompts are those of the first validation examples.
    void samplesDefaultToValidationPrompts()
    {
        QTemporaryDir tmp;
        const std::string model = tbtest::makeTinyModel(tmp.filePath("base").toStdString(), 3);
        const json training = {{"max_steps", 2}, {"batch_size", 4}, {"seed", 5}, {"sample_every", 2},
                               {"sample_max_new_tokens", 4}};
        tb::ui::TrainingJob job(tb::train::parseRunConfig(samplingRun(tmp, model, training), "RUN.json"),
                                tmp.filePath("runs.sqlite"));
        QSignalSpy samples(&job, &tb::ui::TrainingJob::sampleGenerated);
        QSignalSpy finished(&job, &tb::ui::TrainingJob::finished);
        job.start();
        QVERIFY(finished.wait(120000));
        QCOMPARE(samples.size(), 2);
        // A record's prompt as the plain template renders it, through the tokenizer and back.
        auto tokenizer = tb::tok::loadTokenizer(tbtest::tokenizerFixture());
        QStringList validationPrompts;
        for (int i = 0; i < 16; ++i)
            validationPrompts << QString::fromStdString(
                tokenizer->decode(tokenizer->encode("add one to " + std::to_string(i) + "\n", true), true));
        for (const auto& s : samples) {
            QCOMPARE(s.at(0).toLongLong(), qint64(2));
            // A validation record's prompt as the plain template renders it.
            QVERIFY2(validationPrompts.contains(s.at(1).toString()), qPrintable(s.at(1).toString()));
        }
        QVERIFY(samples.at(0).at(1) != samples.at(1).at(1));
    }

    // Live training of a two-task run: one validation curve per task beside
    // the overall one, samples labelled with their task; stopped and resumed,
    // the charts first show the stored steps up to the checkpoint, then go on.
    void resumedMultiTaskRunShowsItsWholeHistory()
    {
        QTemporaryDir tmp;
        const std::string model = tbtest::makeTinyModel(tmp.filePath("base").toStdString(), 4);
        const json training = {{"max_steps", 60},     {"batch_size", 4},  {"eval_every", 4},
                               {"checkpoint_every", 2}, {"sample_every", 30}, {"sample_max_new_tokens", 2},
                               {"seed", 6}};
        const QString db = tmp.filePath("runs.sqlite");
        tb::ui::TrainingPanel panel(db);
        QVERIFY(panel.openConfig(writeTwoTaskRun(tmp, model, training)));
        QSignalSpy finished(&panel, &tb::ui::TrainingPanel::runFinished);
        connect(panel.lossSeries(), &QLineSeries::pointAdded, this, [&](int index) {
            if (index == 9) // step 10
                panel.stop();
        });
        panel.start();
        QVERIFY(finished.wait(120000));
        QCOMPARE(finished.at(0).at(1).value<tb::train::TrainStatus>(), tb::train::TrainStatus::Cancelled);
        disconnect(panel.lossSeries(), nullptr, this, nullptr);
        const qint64 id = finished.at(0).at(0).toLongLong();

        // One curve per task, named after it, with a point at every validation.
        QCOMPARE(panel.validationTasks(), QStringList({"add", "double"}));
        QVERIFY(panel.validationSeries()->count() >= 2);
        for (const QString& task : panel.validationTasks()) {
            auto* series = panel.taskValidationSeries(task);
            QVERIFY(series->name().contains(task));
            QVERIFY(series->chart() == panel.lossSeries()->chart());
            QCOMPARE(series->count(), panel.validationSeries()->count());
        }

        const auto checkpoint = tb::store::RunStore(db.toStdString()).lastCheckpoint(id);
        QVERIFY(checkpoint && checkpoint->step >= 10 && checkpoint->step < 60);
        const auto loss = storedPoints(db, id, "loss", checkpoint->step);
        const auto addLoss = storedPoints(db, id, "val_loss/add", checkpoint->step);
        QCOMPARE(loss.size(), qsizetype(checkpoint->step)); // one per step before the resume point
        QCOMPARE(addLoss.size(), qsizetype(checkpoint->step / 4));

        // Resumed: before any new step arrives, the charts hold exactly the stored points.
        QVERIFY(panel.resumeRun(id));
        QCOMPARE(panel.lossSeries()->points(), loss);
        QCOMPARE(panel.taskValidationSeries("add")->points(), addLoss);
        QCOMPARE(panel.validationSeries()->points(), storedPoints(db, id, "val_loss", checkpoint->step));
        QCOMPARE(panel.gradNormSeries()->points(), storedPoints(db, id, "grad_norm", checkpoint->step));

        QVERIFY(finished.wait(120000));
        QCOMPARE(finished.at(1).at(1).value<tb::train::TrainStatus>(), tb::train::TrainStatus::Completed);
        // The whole run, one point per step, the curve continuing where it stopped.
        QCOMPARE(panel.lossSeries()->count(), 60);
        for (int i = 0; i < 60; ++i)
            QCOMPARE(panel.lossSeries()->at(i).x(), double(i + 1));
        for (const QString& task : panel.validationTasks())
            QCOMPARE(panel.taskValidationSeries(task)->count(), 15);
        QCOMPARE(panel.validationSeries()->count(), 15);

        // Samples at step 60: one per task, the task shown beside the prompt.
        auto* samples = panel.samplesTable();
        QVERIFY(samples->rowCount() >= 2);
        QVERIFY(!samples->isColumnHidden(3));
        const int last = samples->rowCount() - 2;
        QCOMPARE(samples->item(last, 0)->data(Qt::DisplayRole).toLongLong(), qint64(60));
        QCOMPARE(samples->item(last, 3)->text(), QString("add"));
        QCOMPARE(samples->item(last + 1, 3)->text(), QString("double"));
        QVERIFY(samples->item(last, 1)->text().startsWith("add"));
        QVERIFY(samples->item(last + 1, 1)->text().startsWith("double"));
    }

    void badSampleSettingsAreRejectedWithTheField()
    {
        const json run = {{"model", "m"}, {"data", {{"train", {"d.jsonl"}}}}, {"training", {{"sample_every", -1}}}};
        try {
            tb::train::parseRunConfig(run, "RUN.json");
            QFAIL("expected an error");
        } catch (const std::exception& e) {
            QVERIFY2(QString(e.what()).contains("RUN.json.training.sample_every"), e.what());
        }
    }
};

QTEST_MAIN(TestTrainingJob) // widgets: the Live training panel
#include "tst_training_job.moc"
