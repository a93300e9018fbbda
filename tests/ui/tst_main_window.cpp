// The window as a person uses it, offscreen: open a RUN.json, press Start,
// see points arrive on the loss chart, find the finished run in the history.
#include "ui/common/recent_files.h"
#include "ui/common/theme.h"
#include "common/tiny_model.h"
#include "common/widgets.h"
#include "ui/history/run_details_dialog.h"
#include "ui/history/run_history_panel.h"
#include "io/atomic_file.h"
#include "ui/main_window.h"
#include "store/run_store.h"
#include "ui/training/training_panel.h"

#include <nlohmann/json.hpp>

#include <QAction>
#include <QChart>
#include <QLineSeries>
#include <QMenu>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <sys/wait.h>
#include <unistd.h>

using nlohmann::json;

namespace {

using tbtest::child;

QString writeRun(const QTemporaryDir& dir, const std::string& model, const json& training, const std::string& name = "window-lora")
{
    return tbtest::writeTwiceRun(dir, model, training, name);
}

} // namespace

class TestMainWindow : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_settingsDir;

private Q_SLOTS:
    // Settings go to a temporary folder under a test organisation, never the user's.
    void initTestCase()
    {
        tbtest::useTestSettings("tst_main_window", m_settingsDir.path());
    }
    void init() { QSettings().clear(); }

    void trainFromTheWindowAndSeeItInTheHistory()
    {
        QTemporaryDir tmp;
        const std::string model = tbtest::makeTinyModel(tmp.filePath("base").toStdString());
        std::string data;
        for (int i = 0; i < 40; ++i)
            data += json({{"prompt", "twice " + std::to_string(i)}, {"response", std::to_string(2 * i)}}).dump() + "\n";
        tb::io::writeFileAtomic(tmp.filePath("d.jsonl").toStdString(), data);
        writeRun(tmp, model, {{"max_steps", 30}, {"batch_size", 4}, {"eval_every", 10}, {"seed", 4},
                              {"sample_every", 10}, {"sample_max_new_tokens", 4}});

        tb::ui::MainWindow window(tmp.filePath("runs.sqlite"));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto* panel = window.trainingPanel();
        QVERIFY(panel->openConfig(tmp.filePath("RUN.json")));
        auto* start = panel->findChild<QPushButton*>("startButton");
        QVERIFY(start && start->isEnabled());
        QSignalSpy finished(panel, &tb::ui::TrainingPanel::runFinished);
        QTest::mouseClick(start, Qt::LeftButton);
        QVERIFY(!start->isEnabled());
        QVERIFY(finished.wait(120000));
        QCOMPARE(finished.at(0).at(1).value<tb::train::TrainStatus>(), tb::train::TrainStatus::Completed);
        QCOMPARE(panel->lossSeries()->count(), 30);
        QCOMPARE(panel->validationSeries()->count(), 3);
        QCOMPARE(panel->lossSeries()->at(29).x(), 30.0);
        // Throughput and gradient norm: one point per step as well, all positive.
        QCOMPARE(panel->tokensPerSecondSeries()->count(), 30);
        QCOMPARE(panel->gradNormSeries()->count(), 30);
        for (int i = 0; i < 30; ++i) {
            QVERIFY(panel->tokensPerSecondSeries()->at(i).y() > 0);
            QVERIFY(panel->gradNormSeries()->at(i).y() > 0);
        }
        // Samples every 10 steps for the first two validation prompts: 3 x 2 rows.
        auto* samples = panel->samplesTable();
        QCOMPARE(samples->rowCount(), 6);
        for (int row = 0; row < 6; ++row) {
            QCOMPARE(samples->item(row, 0)->data(Qt::DisplayRole).toLongLong(), qint64(10 * (row / 2 + 1)));
            QVERIFY(samples->item(row, 1)->text().startsWith("twice")); // the fixture tokenizer drops spaces
        }
        QVERIFY(start->isEnabled());

        auto* table = window.historyPanel()->table();
        QCOMPARE(table->rowCount(), 1);
        QCOMPARE(table->item(0, 1)->text(), QString("window-lora"));
        QCOMPARE(table->item(0, 3)->text(), QString("completed"));
    }

    void invalidRunConfigIsRejectedWithoutCrashing()
    {
        QTemporaryDir tmp;
        tb::io::writeFileAtomic(tmp.filePath("bad.json").toStdString(), "{\"model\": 3");
        tb::ui::MainWindow window(tmp.filePath("runs.sqlite"));
        // The warning dialog is modal: close it as soon as it appears.
        QTimer::singleShot(0, [] {
            for (auto* w : QApplication::topLevelWidgets())
                if (w->inherits("QMessageBox"))
                    w->close();
        });
        QVERIFY(!window.trainingPanel()->openConfig(tmp.filePath("bad.json")));
        QVERIFY(window.trainingPanel()->configPath().isEmpty());
    }

    void themeSwitchChangesThePalette()
    {
        QTemporaryDir tmp;
        const QColor platformWindow = QApplication::palette().color(QPalette::Window);
        tb::ui::MainWindow window(tmp.filePath("runs.sqlite"));
        auto* dark = child<QAction>(&window, "actionTheme_dark");
        auto* light = child<QAction>(&window, "actionTheme_light");
        QVERIFY(dark && light);
        // Dark by definition: a window colour below mid-grey lightness; light above it.
        dark->trigger();
        QVERIFY(QApplication::palette().color(QPalette::Window).lightness() < 128);
        // Charts draw with their own theme: it follows.
        QTRY_COMPARE(window.trainingPanel()->lossSeries()->chart()->theme(), QChart::ChartThemeDark);
        QVERIFY(QApplication::palette().color(QPalette::WindowText).lightness() > 128);
        QCOMPARE(QSettings().value("view/theme").toString(), QString("dark"));
        light->trigger();
        QVERIFY(QApplication::palette().color(QPalette::Window).lightness() > 128);
        QTRY_COMPARE(window.trainingPanel()->lossSeries()->chart()->theme(), QChart::ChartThemeLight);
        QVERIFY(QApplication::palette().color(QPalette::WindowText).lightness() < 128);
        QCOMPARE(QSettings().value("view/theme").toString(), QString("light"));
        // The choice is checked again in a new window.
        tb::ui::MainWindow again(tmp.filePath("runs.sqlite"));
        QVERIFY(child<QAction>(&again, "actionTheme_light")->isChecked());
        // System: the platform's own palette again (offscreen has no dark preference).
        child<QAction>(&again, "actionTheme_system")->trigger();
        QCOMPARE(QApplication::palette().color(QPalette::Window), platformWindow);
    }

    void recentFilesPersistInSettings()
    {
        QTemporaryDir tmp;
        QStringList paths;
        for (int i = 0; i < 4; ++i) {
            paths << tmp.filePath(QString("r%1.json").arg(i));
            tb::io::writeFileAtomic(paths.last().toStdString(), "{}");
        }
        {
            tb::ui::RecentFiles recent("suites", 3);
            for (const QString& p : paths)
                recent.add(p);
            recent.add(paths[1]); // used again: back to the front
        }
        // A new instance (as after a restart) reads the same list: newest first, at most 3.
        tb::ui::RecentFiles again("suites", 3);
        QCOMPARE(again.files(), QStringList({paths[1], paths[3], paths[2]}));
        QCOMPARE(QSettings().value("recent/suites").toStringList().size(), 3);
        // A file that disappeared is not offered.
        QFile::remove(paths[3]);
        QCOMPARE(again.files(), QStringList({paths[1], paths[2]}));

        // Opening a run configuration in the window records it and lists it in File.
        const QString run = writeRun(tmp, "model", {{"max_steps", 1}});
        tb::ui::MainWindow window(tmp.filePath("runs.sqlite"));
        QVERIFY(window.trainingPanel()->openConfig(run));
        QCOMPARE(tb::ui::RecentFiles("runConfigs").files(), QStringList({run}));
        auto* menu = child<QMenu>(&window, "recentMenu_runConfigs");
        QVERIFY(menu);
        Q_EMIT menu->aboutToShow();
        QCOMPARE(menu->actions().first()->toolTip(), run);
        QSignalSpy chosen(&window, &tb::ui::MainWindow::recentFileChosen);
        auto* suites = child<QMenu>(&window, "recentMenu_suites");
        Q_EMIT suites->aboutToShow();
        suites->actions().first()->trigger();
        QCOMPARE(chosen.size(), 1);
        QCOMPARE(chosen.at(0).at(0).toString(), QString("suites"));
        QCOMPARE(chosen.at(0).at(1).toString(), paths[1]);
    }

    void shortcutsExistAndSwitchTabs()
    {
        QTemporaryDir tmp;
        tb::ui::MainWindow window(tmp.filePath("runs.sqlite"));
        QCOMPARE(child<QAction>(&window, "actionOpen")->shortcut(), QKeySequence(QKeySequence::Open));
        QCOMPARE(child<QAction>(&window, "actionQuit")->shortcut(), QKeySequence(QKeySequence::Quit));
        QCOMPARE(child<QAction>(&window, "actionStart")->shortcut(), QKeySequence(Qt::Key_F5));
        QCOMPARE(child<QAction>(&window, "actionPause")->shortcut(), QKeySequence(Qt::Key_F6));
        QCOMPARE(child<QAction>(&window, "actionStop")->shortcut(), QKeySequence(Qt::SHIFT | Qt::Key_F5));
        QCOMPARE(child<QAction>(&window, "actionPanel1")->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_1));
        QCOMPARE(child<QAction>(&window, "actionPanel2")->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_2));
        // The panels in the order of the work, then a panel added later gets the next number.
        QStringList titles;
        for (int i = 0; i < window.tabs()->count(); ++i)
            titles << window.tabs()->tabText(i);
        QCOMPARE(titles, QStringList({"Dataset", "Method", "Live training", "Evaluation", "Forgetting", "Run history", "Playground"}));
        auto* extra = new QWidget;
        QCOMPARE(window.addPanel(extra, "Extra"), 7);
        QCOMPARE(child<QAction>(&window, "actionPanel8")->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_8));

        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&window));
        QTest::keyClick(&window, Qt::Key_2, Qt::ControlModifier);
        QCOMPARE(window.tabs()->currentIndex(), 1);
        QTest::keyClick(&window, Qt::Key_8, Qt::ControlModifier);
        QCOMPARE(window.tabs()->currentWidget(), extra);
        QTest::keyClick(&window, Qt::Key_1, Qt::ControlModifier);
        QCOMPARE(window.tabs()->currentIndex(), 0);
    }

    void layoutPersistsAcrossWindows()
    {
        QTemporaryDir tmp;
        QList<int> sizes;
        {
            tb::ui::MainWindow window(tmp.filePath("runs.sqlite"));
            window.resize(1000, 700);
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            auto* split = child<QSplitter>(&window, "trainingSplitter");
            QVERIFY(split);
            split->setSizes({150, 450});
            sizes = split->sizes();
            window.tabs()->setCurrentIndex(1);
            window.close(); // closeEvent saves
        }
        QVERIFY(QSettings().contains("window/geometry"));
        tb::ui::MainWindow window(tmp.filePath("runs.sqlite"));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QCOMPARE(window.tabs()->currentIndex(), 1);
        QCOMPARE(child<QSplitter>(&window, "trainingSplitter")->sizes(), sizes);
    }

    // Stop a run that checkpoints every 2 steps, then Resume it from the
    // history: it continues after its last checkpoint and completes.
    void resumeFromHistoryContinuesACancelledRun()
    {
        QTemporaryDir tmp;
        const std::string model = tbtest::makeTinyModel(tmp.filePath("base").toStdString());
        const QString run = writeRun(tmp, model, {{"max_steps", 120}, {"batch_size", 4}, {"checkpoint_every", 2}, {"seed", 4}},
                                     "to-resume");
        const QString db = tmp.filePath("runs.sqlite");
        tb::ui::MainWindow window(db);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto* panel = window.trainingPanel();
        QVERIFY(panel->openConfig(run));
        QSignalSpy finished(panel, &tb::ui::TrainingPanel::runFinished);
        connect(panel->lossSeries(), &QLineSeries::pointAdded, this, [&](int index) {
            if (index == 4) // step 5
                QTest::mouseClick(child<QPushButton>(panel, "stopButton"), Qt::LeftButton);
        });
        panel->start();
        QVERIFY(finished.wait(120000));
        QCOMPARE(finished.at(0).at(1).value<tb::train::TrainStatus>(), tb::train::TrainStatus::Cancelled);
        disconnect(panel->lossSeries(), nullptr, this, nullptr);
        const qint64 id = finished.at(0).at(0).toLongLong();
        const auto checkpoint = tb::store::RunStore(db.toStdString()).lastCheckpoint(id);
        QVERIFY(checkpoint && checkpoint->step >= 4 && checkpoint->step < 120);

        auto* history = window.historyPanel();
        window.tabs()->setCurrentWidget(history);
        history->selectRun(id);
        auto* resume = child<QPushButton>(history, "resumeRunButton");
        QVERIFY(resume->isEnabled());
        QTest::mouseClick(resume, Qt::LeftButton);
        QCOMPARE(window.tabs()->currentWidget(), panel);
        QVERIFY(finished.wait(120000));
        QCOMPARE(finished.at(1).at(0).toLongLong(), id);
        QCOMPARE(finished.at(1).at(1).value<tb::train::TrainStatus>(), tb::train::TrainStatus::Completed);
        // The resumed run shows its whole history: the stored steps up to its
        // checkpoint, then the steps trained after it, each step once.
        QCOMPARE(panel->lossSeries()->count(), 120);
        for (int i = 0; i < panel->lossSeries()->count(); ++i)
            QCOMPARE(panel->lossSeries()->at(i).x(), double(i + 1));
        QCOMPARE(tb::store::RunStore(db.toStdString()).run(id).status, tb::store::RunStatus::Completed);
        QCOMPARE(history->table()->rowCount(), 1); // the same run, not a new one

        // Its details: every step's loss recorded once, the checkpoints, the adapter.
        history->selectRun(id);
        auto* details = history->openSelected();
        QVERIFY(details);
        QCOMPARE(details->runId(), id);
        QVERIFY(details->configView()->toPlainText().contains("\"checkpoint_every\": 2"));
        auto* metrics = details->metricsTable();
        bool sawLoss = false;
        for (int row = 0; row < metrics->rowCount(); ++row)
            if (metrics->item(row, 0)->text() == "loss") {
                sawLoss = true;
                QVERIFY(metrics->item(row, 1)->data(Qt::DisplayRole).toLongLong() >= 120);
            }
        QVERIFY(sawLoss);
        QCOMPARE(details->checkpointsTable()->rowCount(), 60); // steps 2, 4, ..., 120
        QCOMPARE(details->artifactsTable()->rowCount(), 1);
        QCOMPARE(details->artifactsTable()->item(0, 0)->text(), QString("adapter"));
        details->close();

        // Clone: the stored configuration, handed out as JSON.
        // (The window's own handler asks for a file name in a modal dialog: the
        // method panel will take clones; here the test plays that part.)
        disconnect(history, &tb::ui::RunHistoryPanel::cloneRequested, &window, nullptr);
        QSignalSpy cloned(history, &tb::ui::RunHistoryPanel::cloneRequested);
        QTest::mouseClick(child<QPushButton>(history, "cloneRunButton"), Qt::LeftButton);
        QCOMPARE(cloned.size(), 1);
        const auto config = json::parse(cloned.at(0).at(0).toString().toStdString());
        QCOMPARE(config.at("name").get<std::string>(), std::string("to-resume"));
        QVERIFY(window.openClonedConfig(cloned.at(0).at(0).toString(), tmp.filePath("clone.json")));
        QCOMPARE(json::parse(tb::io::readFile(tmp.filePath("clone.json").toStdString())).at("name").get<std::string>(),
                 std::string("to-resume (copy)"));
        QCOMPARE(panel->configPath(), tmp.filePath("clone.json"));
    }

    // A run whose process died while training shows as interrupted, and the
    // window offers to resume it without a blocking dialog.
    void interruptedRunIsOfferedForResumeAtStartup()
    {
        QTemporaryDir tmp;
        const std::string db = tmp.filePath("runs.sqlite").toStdString();
        tb::store::RunId id = 0;
        {
            tb::store::RunStore store(db);
            id = store.createRun({"crashed", "model", "lora", "{}"});
            store.addCheckpoint(id, 10, tmp.filePath("ck").toStdString(), true);
        }
        // A child process marks it running and dies without a word.
        const pid_t pid = ::fork();
        if (pid == 0) {
            tb::store::RunStore(db).setStatus(id, tb::store::RunStatus::Running);
            ::_exit(0);
        }
        ::waitpid(pid, nullptr, 0);

        tb::ui::MainWindow window(tmp.filePath("runs.sqlite"));
        QCOMPARE(window.interruptedRuns(), QList<qint64>({id}));
        QCOMPARE(window.historyPanel()->table()->item(0, 3)->text(), QString("interrupted"));
        auto* offer = child<QPushButton>(&window, "resumeInterruptedButton");
        QVERIFY(offer);
        QVERIFY(offer->text().contains(QString::number(id)));
        QVERIFY(!window.statusBar()->currentMessage().isEmpty());
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
