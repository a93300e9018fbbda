// The way between the panels (issue 11), through the window offscreen: one
// configuration is the truth — what the Dataset and Method panels show is what
// F5 and every Start button train; unsaved edits come back after a restart; a
// training process killed mid-run is offered for resume at the next start and
// its chart shows the whole history; closing while training never blocks.
#include "common/tiny_model.h"
#include "common/widgets.h"
#include "io/atomic_file.h"
#include "store/run_store.h"
#include "train/run_config.h"
#include "ui/dataset/dataset_panel.h"
#include "ui/main_window.h"
#include "ui/method/method_panel.h"
#include "ui/training/training_panel.h"

#include <nlohmann/json.hpp>

#include <QAction>
#include <QLabel>
#include <QLineSeries>
#include <QMessageBox>
#include <QProcess>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStatusBar>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <set>

using nlohmann::json;

namespace {

using tbtest::child;

QString writeRun(const QTemporaryDir& dir, const std::string& model, const json& training)
{
    return tbtest::writeTwiceRun(dir, model, training, "flow");
}

QAction* action(QObject* window, const char* name) { return child<QAction>(window, name); }

std::vector<tb::store::MetricPoint> losses(const QString& db, qint64 run)
{
    return tb::store::RunStore(db.toStdString()).metrics(run, "loss");
}

// Waits for the Dataset panel to finish reading its files.
bool datasetSettled(tb::ui::DatasetPanel* panel)
{
    return QTest::qWaitFor([panel] { return !panel->isBusy(); }, 20000);
}

} // namespace

class TestWorkbenchState : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_settingsDir;

private Q_SLOTS:
    void initTestCase()
    {
        tbtest::useTestSettings("tst_workbench_state", m_settingsDir.path());
    }
    void init() { QSettings().clear(); }

    // A file added in the Dataset panel is what the started run trains on,
    // and the number of steps typed into the Method form is what F5 runs.
    void datasetAndFormEditsAreWhatF5Trains()
    {
        QTemporaryDir tmp;
        const std::string model = tbtest::makeTinyModel(tmp.filePath("base").toStdString());
        const QString run = writeRun(tmp, model, {{"max_steps", 50}, {"batch_size", 4}, {"seed", 3}});
        const QString db = tmp.filePath("runs.sqlite");
        tb::ui::MainWindow window(db);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.trainingPanel()->openConfig(run));
        QCOMPARE(window.methodPanel()->runConfig().training.maxSteps, 50);
        QVERIFY(datasetSettled(window.datasetPanel()));

        tbtest::writeTwiceRecords(tmp.filePath("extra.jsonl"), 30, 100);
        window.datasetPanel()->addFiles({tmp.filePath("extra.jsonl")});
        QVERIFY(datasetSettled(window.datasetPanel()));
        child<QSpinBox>(window.methodPanel(), "maxSteps")->setValue(3);
        QVERIFY(window.methodPanel()->isModified());

        QSignalSpy finished(window.trainingPanel(), &tb::ui::TrainingPanel::runFinished);
        action(&window, "actionStart")->trigger(); // F5
        QVERIFY(window.trainingPanel()->isTraining());
        QCOMPARE(window.tabs()->currentWidget(), window.trainingPanel());
        QVERIFY(finished.wait(120000));
        QCOMPARE(finished.at(0).at(1).value<tb::train::TrainStatus>(), tb::train::TrainStatus::Completed);
        const qint64 id = finished.at(0).at(0).toLongLong();

        // The engine's record of what it trained, read back from the store.
        QCOMPARE(losses(db, id).size(), size_t(3));
        const auto stored = json::parse(tb::store::RunStore(db.toStdString()).run(id).configJson);
        std::set<std::string> files;
        for (const auto& f : stored.at("data").at("train"))
            files.insert(std::filesystem::path(f.is_string() ? f.get<std::string>() : f.at("path").get<std::string>())
                             .filename()
                             .string());
        QCOMPARE(files, (std::set<std::string>{"d.jsonl", "extra.jsonl"}));
        QCOMPARE(stored.at("training").at("max_steps").get<int>(), 3);
        // Start saved the form: nothing unsaved is left, and the file holds what ran.
        QVERIFY(!window.methodPanel()->isModified());
        QCOMPARE(tb::train::readRunConfig(run.toStdString()).training.maxSteps, 3);
    }

    // Live training's own Start button goes through the window too.
    void trainingStartButtonTrainsTheForm()
    {
        QTemporaryDir tmp;
        const std::string model = tbtest::makeTinyModel(tmp.filePath("base").toStdString());
        const QString run = writeRun(tmp, model, {{"max_steps", 50}, {"batch_size", 4}, {"seed", 3}});
        const QString db = tmp.filePath("runs.sqlite");
        tb::ui::MainWindow window(db);
        window.show();
        QVERIFY(window.trainingPanel()->openConfig(run));
        child<QSpinBox>(window.methodPanel(), "maxSteps")->setValue(2);
        QSignalSpy finished(window.trainingPanel(), &tb::ui::TrainingPanel::runFinished);
        QTest::mouseClick(child<QPushButton>(window.trainingPanel(), "startButton"), Qt::LeftButton);
        QVERIFY(finished.wait(120000));
        QCOMPARE(losses(db, finished.at(0).at(0).toLongLong()).size(), size_t(2));
    }

    // Unsaved edits (a dataset file, a step count) survive closing the window.
    void unsavedChangesComeBackAfterARestart()
    {
        QTemporaryDir tmp;
        const std::string model = tbtest::makeTinyModel(tmp.filePath("base").toStdString());
        const QString run = writeRun(tmp, model, {{"max_steps", 50}, {"batch_size", 4}});
        const QString db = tmp.filePath("runs.sqlite");
        tbtest::writeTwiceRecords(tmp.filePath("extra.jsonl"), 12, 500);
        {
            tb::ui::MainWindow window(db);
            window.show();
            QVERIFY(window.trainingPanel()->openConfig(run));
            QVERIFY(datasetSettled(window.datasetPanel()));
            window.datasetPanel()->addFiles({tmp.filePath("extra.jsonl")});
            QVERIFY(datasetSettled(window.datasetPanel()));
            child<QSpinBox>(window.methodPanel(), "maxSteps")->setValue(7);
            QVERIFY(window.methodPanel()->isModified());
            window.close();
            QVERIFY(QFileInfo::exists(window.draftPath()));
        }
        // The file on disk still has the old values: the edits were never saved.
        QCOMPARE(tb::train::readRunConfig(run.toStdString()).training.maxSteps, 50);

        tb::ui::MainWindow again(db);
        again.show();
        QVERIFY(datasetSettled(again.datasetPanel()));
        QVERIFY(again.methodPanel()->isModified());
        QCOMPARE(QFileInfo(again.methodPanel()->configPath()).absoluteFilePath(), QFileInfo(run).absoluteFilePath());
        QCOMPARE(again.methodPanel()->runConfig().training.maxSteps, 7);
        QStringList names;
        for (const QString& f : again.datasetPanel()->files())
            names << QFileInfo(f).fileName();
        names.sort();
        QCOMPARE(names, QStringList({"d.jsonl", "extra.jsonl"}));
        QVERIFY(again.statusBar()->currentMessage().contains("RUN.json"));

        // Saving ends the draft; the next window opens the saved file unmodified.
        QVERIFY(again.methodPanel()->saveConfig(run));
        again.close();
        QVERIFY(!QFileInfo::exists(again.draftPath()));
        QCOMPARE(tb::train::readRunConfig(run.toStdString()).training.maxSteps, 7);
    }

    // A training process killed after a checkpoint: the next start asks to
    // resume it, names the steps that will be redone, and the resumed chart
    // shows every step once.
    void killedTrainingIsOfferedForResumeAtStartup()
    {
        QTemporaryDir tmp;
        const std::string model = tbtest::makeTinyModel(tmp.filePath("base").toStdString());
        const int steps = 300;
        const QString run = writeRun(tmp, model, {{"max_steps", steps}, {"batch_size", 4}, {"checkpoint_every", 5}, {"seed", 9}});
        const QString db = tmp.filePath("runs.sqlite");
        QProcess train;
        train.start(QStringLiteral(TB_CLI), {"train", "--config", run, "--db", db});
        QVERIFY(train.waitForStarted());
        // Killed once its second checkpoint is stored (metric rows may be
        // stored in batches, so the steps after it may or may not be there).
        qint64 id = 0, checkpointStep = 0, lastStep = 0;
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < 120000 && train.state() == QProcess::Running) {
            QTest::qWait(20);
            try {
                tb::store::RunStore store(db.toStdString());
                const auto runs = store.listRuns();
                if (runs.empty())
                    continue;
                id = runs.front().id;
                const auto checkpoint = store.lastCheckpoint(id);
                if (checkpoint && checkpoint->step >= 10) {
                    train.kill(); // SIGKILL: no chance to record anything
                    train.waitForFinished();
                    break;
                }
            } catch (const std::exception&) {
                // the store is being created
            }
        }
        if (train.exitStatus() != QProcess::CrashExit)
            qWarning("%s", train.readAllStandardError().constData());
        QCOMPARE(train.exitStatus(), QProcess::CrashExit);
        {
            tb::store::RunStore store(db.toStdString());
            checkpointStep = store.lastCheckpoint(id)->step;
            for (const auto& p : store.metrics(id, "loss"))
                lastStep = std::max<qint64>(lastStep, p.step);
        }
        QVERIFY(lastStep >= checkpointStep && lastStep < steps);

        tb::ui::MainWindow window(db);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QTRY_VERIFY(window.interruptedPrompt() != nullptr);
        QMessageBox* prompt = window.interruptedPrompt();
        QVERIFY(prompt->text().contains(QString("Run %1").arg(id)));
        QVERIFY(prompt->text().contains(QString("step %1").arg(lastStep)));
        QVERIFY(prompt->informativeText().contains(QString("checkpoint at step %1").arg(checkpointStep)));
        // The steps stored after the checkpoint are named as the ones trained again.
        QCOMPARE(prompt->informativeText().contains(QString("%1–%2").arg(checkpointStep + 1).arg(lastStep)),
                 lastStep > checkpointStep);

        QSignalSpy finished(window.trainingPanel(), &tb::ui::TrainingPanel::runFinished);
        QTest::mouseClick(child<QPushButton>(prompt, "resumeInterruptedPromptButton"), Qt::LeftButton);
        QVERIFY(finished.wait(120000));
        QCOMPARE(finished.at(0).at(0).toLongLong(), id);
        QCOMPARE(finished.at(0).at(1).value<tb::train::TrainStatus>(), tb::train::TrainStatus::Completed);
        auto* loss = window.trainingPanel()->lossSeries();
        QCOMPARE(loss->count(), steps);
        for (int i = 0; i < loss->count(); ++i)
            QCOMPARE(loss->at(i).x(), double(i + 1));
    }

    // Closing while a run trains stops it without the GUI thread waiting on
    // the training thread: the window stays up until the run has finished.
    void closingWhileTrainingDoesNotBlock()
    {
        QTemporaryDir tmp;
        const std::string model = tbtest::makeTinyModel(tmp.filePath("base").toStdString());
        const QString run = writeRun(tmp, model, {{"max_steps", 100000}, {"batch_size", 4}});
        tb::ui::MainWindow window(tmp.filePath("runs.sqlite"));
        window.show();
        QVERIFY(window.trainingPanel()->openConfig(run));
        QSignalSpy finished(window.trainingPanel(), &tb::ui::TrainingPanel::runFinished);
        QVERIFY(window.startCurrentConfig());
        QTRY_VERIFY(window.trainingPanel()->lossSeries()->count() > 0);
        // Answer "Stop it and quit?" with Yes once it shows.
        QTimer::singleShot(0, this, [] {
            for (auto* w : QApplication::topLevelWidgets())
                if (auto* box = qobject_cast<QMessageBox*>(w); box && box->isVisible())
                    box->button(QMessageBox::Yes)->click();
        });
        window.close();
        // close() came back while the run is still stopping: nothing waited for it.
        QVERIFY(window.isVisible());
        QVERIFY(finished.isEmpty());
        QVERIFY(finished.wait(60000));
        QCOMPARE(finished.at(0).at(1).value<tb::train::TrainStatus>(), tb::train::TrainStatus::Cancelled);
        QTRY_VERIFY(!window.isVisible());
    }
};

QTEST_MAIN(TestWorkbenchState)
#include "tst_workbench_state.moc"
