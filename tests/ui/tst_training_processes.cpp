// Data-parallel training from the window (issue 14): with training.processes
// = 2 the Live training panel trains rank 0 on its job thread and rank 1 as a
// tunebench-cli-engine process. The run completes once in the store, every
// step recorded once, with the losses the CLI launcher (`train
// --nproc-per-node 2`, two processes of its own) records for the same
// configuration; the per-rank throughput line names both ranks; Stop ends
// the follower too. Skips when the engine executable was not built.
#include "common/cli_process.h"
#include "common/tiny_model.h"
#include "common/tiny_run.h"
#include "io/atomic_file.h"
#include "store/run_store.h"
#include "train/run_config.h"
#include "ui/training/training_job.h"
#include "ui/training/training_panel.h"

#include <nlohmann/json.hpp>

#include <QFileInfo>
#include <QLabel>
#include <QLineSeries>
#include <QPlainTextEdit>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <map>

using nlohmann::json;
using tbtest::tinyRun;
using tbtest::writeRun;
using State = tb::ui::TrainingPanel::RunState;

namespace {

const QString kEngine = QStringLiteral(TB_CLI_ENGINE);

template <class T>
T* child(QObject* parent, const char* name)
{
    auto* c = parent->findChild<T*>(name);
    if (!c)
        qFatal("no child %s", name);
    return c;
}

// step -> values of `name` recorded for it (more than one would be a step stored twice).
std::map<int64_t, std::vector<double>> metricByStep(const QString& db, int64_t run, const std::string& name)
{
    tb::store::RunStore store(db.toStdString());
    std::map<int64_t, std::vector<double>> out;
    for (const auto& m : store.metrics(run))
        if (m.name == name)
            out[m.step].push_back(m.value);
    return out;
}

} // namespace

class TestTrainingProcesses : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        if (!QFileInfo(kEngine).isExecutable())
            QSKIP("tunebench-cli-engine was not built; data-parallel training from the window needs it");
        tb::ui::TrainingJob::setEngineProgram(kEngine);
    }

    void twoProcessesTrainLikeTheCliLauncher()
    {
        QTemporaryDir tmp;
        const std::string model = tbtest::makeTinyModel(tmp.filePath("base").toStdString());
        const json training = {{"max_steps", 6}, {"batch_size", 2}, {"seed", 3}, {"processes", 2}, {"threads", 1},
                               {"eval_every", 3}, {"learning_rate", 1e-2}};
        const QString config = writeRun(tmp, tinyRun(tmp, model, training, "two-processes"));
        const QString db = tmp.filePath("gui.sqlite");
        tb::ui::TrainingPanel panel(db);
        QVERIFY(panel.openConfig(config));
        QSignalSpy finished(&panel, &tb::ui::TrainingPanel::runFinished);
        panel.start();
        QVERIFY(child<QLabel>(&panel, "runSetup")->text().contains("2 processes, batch 2 each"));
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 180000);
        const QString log = child<QPlainTextEdit>(&panel, "logView")->toPlainText();
        QVERIFY2(panel.runState() == State::Completed, qPrintable(log));
        QVERIFY2(log.contains("Training on 2 processes"), qPrintable(log));

        // The per-rank line of the last step: both ranks, nothing else.
        const QString ranks = child<QLabel>(&panel, "rankThroughput")->text();
        QVERIFY2(child<QLabel>(&panel, "rankThroughput")->isVisibleTo(&panel), qPrintable(ranks));
        QVERIFY2(QRegularExpression("^rank 0: [\\d,.]+ tok/s · rank 1: [\\d,.]+ tok/s$").match(ranks).hasMatch(),
                 qPrintable(ranks));

        // One run, completed, each step's loss stored once.
        const auto runs = tb::store::RunStore(db.toStdString()).listRuns();
        QCOMPARE(runs.size(), size_t(1));
        QCOMPARE(runs[0].status, tb::store::RunStatus::Completed);
        const auto losses = metricByStep(db, runs[0].id, "loss");
        QCOMPARE(losses.size(), size_t(6));
        for (const auto& [step, values] : losses)
            QCOMPARE(values.size(), size_t(1));
        QCOMPARE(losses.begin()->first, int64_t(1));
        QCOMPARE(panel.lossSeries()->count(), 6);

        // The same configuration through the CLI launcher, all ranks processes of its own.
        const QString cliDb = tmp.filePath("cli.sqlite");
        const auto cli = tb::test::runProcess(kEngine, {"train", "--config", config, "--db", cliDb, "--nproc-per-node", "2"},
                                              180000);
        QVERIFY2(cli.exitCode == 0, qPrintable(cli.err));
        const auto cliRuns = tb::store::RunStore(cliDb.toStdString()).listRuns();
        QCOMPARE(cliRuns.size(), size_t(1));
        const auto cliLosses = metricByStep(cliDb, cliRuns[0].id, "loss");
        QCOMPARE(cliLosses.size(), losses.size());
        for (const auto& [step, values] : losses) {
            const double expected = cliLosses.at(step).front();
            QVERIFY2(std::abs(values.front() - expected) <= 1e-5 * std::max(1.0, std::abs(expected)),
                     qPrintable(QString("step %1: window %2, CLI %3").arg(step).arg(values.front()).arg(expected)));
        }
        const auto val = metricByStep(db, runs[0].id, "val_loss");
        const auto cliVal = metricByStep(cliDb, cliRuns[0].id, "val_loss");
        QCOMPARE(val.size(), size_t(2)); // steps 3 and 6
        QCOMPARE(cliVal.size(), size_t(2));
        for (const auto& [step, values] : val)
            QVERIFY(std::abs(values.front() - cliVal.at(step).front()) <= 1e-5);
    }

    // Stop ends rank 0 at a step boundary; the follower does not outlive it.
    void stopEndsTheFollower()
    {
        QTemporaryDir tmp;
        const std::string model = tbtest::makeTinyModel(tmp.filePath("base").toStdString());
        const json training = {{"max_steps", 2000}, {"batch_size", 2}, {"seed", 3}, {"processes", 2}, {"threads", 1}};
        const auto config = tb::train::readRunConfig(writeRun(tmp, tinyRun(tmp, model, training, "two-processes")).toStdString());
        tb::ui::TrainingJob job(config, tmp.filePath("runs.sqlite"));
        QCOMPARE(job.processes(), 2);
        QSignalSpy steps(&job, &tb::ui::TrainingJob::stepFinished);
        QSignalSpy finished(&job, &tb::ui::TrainingJob::finished);
        job.start();
        QCOMPARE(job.runningFollowers(), 1);
        QTRY_VERIFY_WITH_TIMEOUT(steps.count() >= 2, 120000);
        job.cancel();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
        const auto status = finished.at(0).at(0).value<tb::train::TrainStatus>();
        QVERIFY2(status == tb::train::TrainStatus::Cancelled, qPrintable(finished.at(0).at(1).toString()));
        QTRY_COMPARE_WITH_TIMEOUT(job.runningFollowers(), 0, 15000); // on its own, or after the grace period
        const auto runs = tb::store::RunStore(tmp.filePath("runs.sqlite").toStdString()).listRuns();
        QCOMPARE(runs.size(), size_t(1));
        QCOMPARE(runs[0].status, tb::store::RunStatus::Cancelled);
    }

    // No engine to start the other ranks with: the run fails at once with a message saying so.
    void missingEngineFailsWithAMessage()
    {
        QTemporaryDir tmp;
        tb::ui::TrainingJob::setEngineProgram(tmp.filePath("no-such-engine"));
        tb::train::RunConfig config;
        config.training.processes = 2;
        tb::ui::TrainingJob job(config, tmp.filePath("runs.sqlite"));
        QSignalSpy finished(&job, &tb::ui::TrainingJob::finished);
        job.start();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 10000);
        tb::ui::TrainingJob::setEngineProgram(kEngine);
        QCOMPARE(finished.at(0).at(0).value<tb::train::TrainStatus>(), tb::train::TrainStatus::Failed);
        QVERIFY2(finished.at(0).at(1).toString().contains("needs tunebench-cli-engine"), qPrintable(finished.at(0).at(1).toString()));
    }
};

QTEST_MAIN(TestTrainingProcesses)
#include "tst_training_processes.moc"
