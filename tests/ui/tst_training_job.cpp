// TrainingJob: a real run on a background thread while the event loop keeps
// turning; events arrive in the GUI thread, in order.
#include "common/tiny_model.h"
#include "io/atomic_file.h"
#include "train/run_config.h"
#include "training/training_job.h"

#include <nlohmann/json.hpp>

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

using nlohmann::json;

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

        QCOMPARE(finished.at(0).at(0).toString(), QString("completed"));
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
        QCOMPARE(finished.at(0).at(0).toString(), QString("cancelled"));
    }
};

QTEST_GUILESS_MAIN(TestTrainingJob)
#include "tst_training_job.moc"
