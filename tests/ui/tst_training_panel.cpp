// Live training panel: the run states in its status line, pausing (the ETA
// stands still), finalising, the summary of a completed run checked against
// the store, resuming a run killed after a checkpoint, starting an in-memory
// configuration, the Start button routed by the window, the empty state and
// numbers in the user's locale. Real tiny LibTorch runs (tests/common/tiny_model.h).
#include "common/tiny_model.h"
#include "common/tiny_run.h"
#include "io/atomic_file.h"
#include "store/run_store.h"
#include "train/run_config.h"
#include "ui/training/training_panel.h"

#include <nlohmann/json.hpp>

#include <QElapsedTimer>
#include <QLabel>
#include <QLineSeries>
#include <QLocale>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QStackedWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <numeric>

using nlohmann::json;
using tbtest::tinyRun;
using tbtest::writeRun;
using State = tb::ui::TrainingPanel::RunState;

namespace {

template <class T>
T* child(QObject* parent, const char* name)
{
    auto* c = parent->findChild<T*>(name);
    if (!c)
        qFatal("no child %s", name);
    return c;
}

QString text(QObject* panel, const char* label) { return child<QLabel>(panel, label)->text(); }
QString logText(QObject* panel) { return child<QPlainTextEdit>(panel, "logView")->toPlainText(); }

// Restores the default locale when a test ends, however it ends.
struct LocaleGuard {
    QLocale saved;
    ~LocaleGuard() { QLocale::setDefault(saved); }
};

} // namespace

class TestTrainingPanel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // Pause takes effect after the step being trained: "Pausing…" until the
    // run stands still, then "Paused"; no step arrives and the ETA text stays
    // as it was while paused; Stop does not wait for the run.
    void pauseShowsPausedAndFreezesTheEta()
    {
        QTemporaryDir tmp;
        const std::string model = tbtest::makeTinyModel(tmp.filePath("base").toStdString());
        const json training = {{"max_steps", 400}, {"batch_size", 2}, {"seed", 3}};
        tb::ui::TrainingPanel panel(tmp.filePath("runs.sqlite"));
        QVERIFY(panel.openConfig(writeRun(tmp, tinyRun(tmp, model, training))));
        QCOMPARE(text(&panel, "runState"), tb::ui::TrainingPanel::runStateText(State::Ready));
        QSignalSpy finished(&panel, &tb::ui::TrainingPanel::runFinished);
        State stateAfterAsking = State::NoConfig;
        connect(panel.lossSeries(), &QLineSeries::pointAdded, this, [&](int index) {
            if (index == 2) {
                panel.togglePause();
                stateAfterAsking = panel.runState();
            }
        });
        panel.start();
        QTRY_COMPARE_WITH_TIMEOUT(panel.runState(), State::Paused, 20000);
        disconnect(panel.lossSeries(), nullptr, this, nullptr);
        QCOMPARE(stateAfterAsking, State::Pausing);
        QCOMPARE(text(&panel, "runState"), QString("Paused"));
        auto* pause = child<QPushButton>(&panel, "pauseButton");
        QVERIFY(pause->isEnabled());
        QCOMPARE(pause->text(), QString("&Resume"));

        // It stood still after the last step drawn, and says so.
        const int points = panel.lossSeries()->count();
        const auto lastStep = qint64(panel.lossSeries()->points().back().x());
        QVERIFY(logText(&panel).contains(QString("Paused after step %1").arg(lastStep)));
        const QString status = text(&panel, "statusLabel");
        QVERIFY2(status.contains("ETA"), qPrintable(status));
        QTest::qWait(1500);
        QCOMPARE(text(&panel, "statusLabel"), status);
        QCOMPARE(panel.lossSeries()->count(), points);

        panel.togglePause();
        QCOMPARE(panel.runState(), State::Training);
        QTRY_VERIFY_WITH_TIMEOUT(panel.lossSeries()->count() > points + 1, 20000);
        QCOMPARE(panel.lossSeries()->points()[points].x(), double(lastStep + 1)); // it went on where it stood

        QElapsedTimer clock;
        clock.start();
        panel.stop();
        QVERIFY2(clock.elapsed() < 100, "stop() must not wait for the run");
        QVERIFY(panel.isStopping());
        QCOMPARE(panel.runState(), State::Finalising);
        QVERIFY(!child<QPushButton>(&panel, "pauseButton")->isEnabled());
        QVERIFY(!child<QPushButton>(&panel, "stopButton")->isEnabled());
        QVERIFY(finished.wait(20000));
        QCOMPARE(finished.at(0).at(1).value<tb::train::TrainStatus>(), tb::train::TrainStatus::Cancelled);
        QCOMPARE(panel.runState(), State::Stopped);
        QVERIFY(!panel.isStopping());
        QVERIFY(child<QPushButton>(&panel, "startButton")->isEnabled());
    }

    // Empty state first; then Starting → Training → Finalising (at 100 %,
    // Pause and Stop disabled) → Completed with a summary whose best
    // validation loss and throughput are those the store holds.
    void completedRunFinalisesThenSummarises()
    {
        QTemporaryDir tmp;
        const std::string model = tbtest::makeTinyModel(tmp.filePath("base").toStdString());
        const QString db = tmp.filePath("runs.sqlite");
        tb::ui::TrainingPanel panel(db);
        auto* area = child<QStackedWidget>(&panel, "chartArea");
        auto* guidance = child<QLabel>(&panel, "chartGuidance");
        QCOMPARE(area->currentWidget(), guidance);
        QVERIFY(guidance->text().startsWith("Nothing is training."));
        QCOMPARE(panel.runState(), State::NoConfig);
        QVERIFY(!child<QPushButton>(&panel, "startButton")->isEnabled());

        const json training = {{"max_steps", 8}, {"batch_size", 2}, {"eval_every", 2}, {"learning_rate", 0.01}, {"seed", 4},
                               {"precision", "f32"}};
        QVERIFY(panel.openConfig(writeRun(tmp, tinyRun(tmp, model, training))));
        QCOMPARE(panel.runState(), State::Ready);
        std::vector<State> states;
        bool pauseEnabled = true, stopEnabled = true;
        int progressAtFinalising = -1, pointsAtFinalising = -1;
        connect(&panel, &tb::ui::TrainingPanel::runStateChanged, this, [&](State s) {
            states.push_back(s);
            if (s == State::Finalising) {
                pauseEnabled = child<QPushButton>(&panel, "pauseButton")->isEnabled();
                stopEnabled = child<QPushButton>(&panel, "stopButton")->isEnabled();
                progressAtFinalising = panel.findChild<QProgressBar*>()->value();
                pointsAtFinalising = panel.lossSeries()->count();
            }
        });
        QSignalSpy finished(&panel, &tb::ui::TrainingPanel::runFinished);
        panel.start();
        QCOMPARE(area->currentIndex(), 1); // the charts, once a run starts
        QVERIFY(finished.wait(30000));
        QCOMPARE(finished.at(0).at(1).value<tb::train::TrainStatus>(), tb::train::TrainStatus::Completed);
        QCOMPARE(states, std::vector<State>({State::Starting, State::Training, State::Finalising, State::Completed}));
        QVERIFY(!pauseEnabled);
        QVERIFY(!stopEnabled);
        QCOMPARE(progressAtFinalising, 8);
        QCOMPARE(pointsAtFinalising, 8);
        QCOMPARE(text(&panel, "runState"), QString("Completed"));

        // The best validation loss and the mean throughput, read back from the store.
        const qint64 id = finished.at(0).at(0).toLongLong();
        tb::store::RunStore store(db.toStdString());
        const auto val = store.metrics(id, "val_loss");
        QCOMPARE(val.size(), size_t(4)); // steps 2, 4, 6, 8
        const auto best = std::min_element(val.begin(), val.end(), [](const auto& a, const auto& b) { return a.value < b.value; });
        const auto tps = store.metrics(id, "tokens_per_second");
        QCOMPARE(tps.size(), size_t(8));
        double sum = 0;
        for (const auto& p : tps)
            sum += p.value;
        auto* summary = child<QLabel>(&panel, "runSummary");
        QVERIFY(!summary->isHidden());
        const QString expectedBest = QString("best validation loss %1 at step %2")
                                         .arg(QLocale().toString(best->value, 'f', 4))
                                         .arg(best->step);
        QVERIFY2(summary->text().contains(expectedBest), qPrintable(summary->text() + " / " + expectedBest));
        const QString expectedSpeed = QLocale().toString(sum / 8.0, 'f', 0) + " tokens/s on average";
        QVERIFY2(summary->text().contains(expectedSpeed), qPrintable(summary->text() + " / " + expectedSpeed));
        QVERIFY(summary->text().startsWith("Completed in "));

        // One process: the precision used (f32 as configured), no processes, no per-rank line.
        QCOMPARE(text(&panel, "runSetup"), QString("Precision: f32 (set in the configuration)"));
        QVERIFY(!child<QLabel>(&panel, "rankThroughput")->isVisibleTo(&panel));
    }

    // A run killed after its checkpoint (stored steps beyond it, marked
    // interrupted) resumes from the checkpoint: the log says so and names the
    // steps trained again, and each step is drawn once.
    void resumedRunSaysWhichStepsAreTrainedAgain()
    {
        QTemporaryDir tmp;
        const std::string model = tbtest::makeTinyModel(tmp.filePath("base").toStdString());
        const QString db = tmp.filePath("runs.sqlite");
        const json training = {{"max_steps", 30}, {"batch_size", 2}, {"checkpoint_every", 4}, {"seed", 5}};
        tb::ui::TrainingPanel panel(db);
        QVERIFY(panel.openConfig(writeRun(tmp, tinyRun(tmp, model, training))));
        QSignalSpy finished(&panel, &tb::ui::TrainingPanel::runFinished);
        connect(panel.lossSeries(), &QLineSeries::pointAdded, this, [&](int index) {
            if (index == 5) // step 6: pause where it stands, then stop there
                panel.togglePause();
        });
        panel.start();
        QTRY_COMPARE_WITH_TIMEOUT(panel.runState(), State::Paused, 20000);
        disconnect(panel.lossSeries(), nullptr, this, nullptr);
        panel.stop();
        QVERIFY(finished.wait(20000));
        QCOMPARE(finished.at(0).at(1).value<tb::train::TrainStatus>(), tb::train::TrainStatus::Cancelled);
        const qint64 id = finished.at(0).at(0).toLongLong();

        // The kill: two more steps recorded without a checkpoint, the run left interrupted.
        qint64 checkpoint = 0, lastStored = 0;
        {
            tb::store::RunStore store(db.toStdString());
            for (const auto& p : store.metrics(id, "loss"))
                lastStored = std::max<qint64>(lastStored, p.step);
            store.appendMetrics(id, {{lastStored + 1, "loss", 9.5, 0}, {lastStored + 2, "loss", 9.25, 0}});
            store.setStatus(id, tb::store::RunStatus::Interrupted);
            lastStored += 2;
            checkpoint = store.lastCheckpoint(id)->step;
        }
        QVERIFY(checkpoint >= 4 && checkpoint % 4 == 0);

        QVERIFY(panel.resumeRun(id));
        QVERIFY(finished.wait(30000));
        QCOMPARE(finished.at(1).at(1).value<tb::train::TrainStatus>(), tb::train::TrainStatus::Completed);
        const QString log = logText(&panel);
        QVERIFY2(log.contains(QString("Resumed run %1 from step %2").arg(id).arg(checkpoint)), qPrintable(log));
        const QString redone = QString("Steps %1–%2 after the last checkpoint (step %3) will be trained again")
                                   .arg(checkpoint + 1)
                                   .arg(lastStored)
                                   .arg(checkpoint);
        QVERIFY2(log.contains(redone), qPrintable(log + "\n/ " + redone));
        QVERIFY(!log.mid(log.lastIndexOf("Resumed run")).contains("started"));
        // Steps 1..30 once each: the stored ones up to the checkpoint, then the new ones.
        QCOMPARE(panel.lossSeries()->count(), 30);
        for (int i = 0; i < 30; ++i)
            QCOMPARE(panel.lossSeries()->at(i).x(), double(i + 1));
        QCOMPARE(panel.runState(), State::Completed);
    }

    // startConfig trains the configuration it is given, not the file opened
    // earlier; setConfigDescription writes the header.
    void startConfigTrainsTheInMemoryConfiguration()
    {
        QTemporaryDir tmp;
        const std::string model = tbtest::makeTinyModel(tmp.filePath("base").toStdString());
        const QString db = tmp.filePath("runs.sqlite");
        json run = tinyRun(tmp, model, {{"max_steps", 6}, {"batch_size", 2}, {"seed", 6}});
        const QString path = writeRun(tmp, run);
        tb::ui::TrainingPanel panel(db);
        panel.setConfigDescription("my-run.json", true);
        QCOMPARE(text(&panel, "configLabel"), QString("Run configuration: my-run.json (unsaved changes)"));
        QCOMPARE(panel.runState(), State::Ready);
        QVERIFY(panel.openConfig(path));

        run["training"]["max_steps"] = 3; // edited in the Method panel, not saved
        const auto config = tb::train::parseRunConfig(run, "Method panel");
        QSignalSpy finished(&panel, &tb::ui::TrainingPanel::runFinished);
        QVERIFY(panel.startConfig(config, "my-run.json"));
        QVERIFY(!panel.startConfig(config, "my-run.json")); // one run at a time
        QVERIFY(finished.wait(30000));
        QCOMPARE(finished.at(0).at(1).value<tb::train::TrainStatus>(), tb::train::TrainStatus::Completed);
        const qint64 id = finished.at(0).at(0).toLongLong();
        QCOMPARE(tb::store::RunStore(db.toStdString()).metrics(id, "loss").size(), size_t(3));
        QCOMPARE(panel.configPath(), path);
    }

    // Connected, the Start button only asks the window; alone, it starts the opened file.
    void startButtonAsksTheWindowWhenConnected()
    {
        QTemporaryDir tmp;
        const std::string model = tbtest::makeTinyModel(tmp.filePath("base").toStdString());
        const QString path = writeRun(tmp, tinyRun(tmp, model, {{"max_steps", 2}, {"batch_size", 2}}));
        {
            tb::ui::TrainingPanel panel(tmp.filePath("a.sqlite"));
            auto* start = child<QPushButton>(&panel, "startButton");
            QVERIFY(!start->isEnabled());
            QSignalSpy requested(&panel, &tb::ui::TrainingPanel::startRequested);
            QVERIFY(start->isEnabled()); // the window can start the Method panel's configuration
            QVERIFY(panel.openConfig(path));
            QTest::mouseClick(start, Qt::LeftButton);
            QCOMPARE(requested.size(), 1);
            QCOMPARE(panel.runState(), State::Ready);
            QVERIFY(!panel.isTraining());
        }
        auto* panel = new tb::ui::TrainingPanel(tmp.filePath("b.sqlite"));
        QVERIFY(panel->openConfig(path));
        QSignalSpy finished(panel, &tb::ui::TrainingPanel::runFinished);
        QTest::mouseClick(child<QPushButton>(panel, "startButton"), Qt::LeftButton);
        QCOMPARE(panel->runState(), State::Starting);
        QVERIFY(finished.wait(30000));
        QCOMPARE(finished.at(0).at(1).value<tb::train::TrainStatus>(), tb::train::TrainStatus::Completed);
        // Destroying the panel once its run has finished (the window closing on runFinished).
        QElapsedTimer clock;
        clock.start();
        delete panel;
        QVERIFY(clock.elapsed() < 1000);
    }

    // In German the loss has a decimal comma, in the status line and the summary.
    void germanLocaleShowsDecimalCommas()
    {
        LocaleGuard guard{QLocale()};
        QLocale::setDefault(QLocale(QLocale::German, QLocale::Germany));
        QTemporaryDir tmp;
        const std::string model = tbtest::makeTinyModel(tmp.filePath("base").toStdString());
        tb::ui::TrainingPanel panel(tmp.filePath("runs.sqlite"));
        QVERIFY(panel.openConfig(writeRun(tmp, tinyRun(tmp, model, {{"max_steps", 3}, {"batch_size", 2}, {"seed", 7}}))));
        QString statusAtLastStep;
        connect(&panel, &tb::ui::TrainingPanel::runStateChanged, this, [&](State s) {
            if (s == State::Finalising)
                statusAtLastStep = text(&panel, "statusLabel");
        });
        QSignalSpy finished(&panel, &tb::ui::TrainingPanel::runFinished);
        panel.start();
        QVERIFY(finished.wait(30000));
        const double lastLoss = panel.lossSeries()->points().back().y();
        const QString german = QLocale(QLocale::German).toString(lastLoss, 'f', 4);
        QVERIFY(german.contains(','));
        QVERIFY2(statusAtLastStep.contains("loss " + german), qPrintable(statusAtLastStep));
        const double bestVal = panel.validationSeries()->points().back().y(); // one validation, at the end
        QVERIFY2(text(&panel, "runSummary").contains(QLocale(QLocale::German).toString(bestVal, 'f', 4)),
                 qPrintable(text(&panel, "runSummary")));
    }
};

QTEST_MAIN(TestTrainingPanel)
#include "tst_training_panel.moc"
