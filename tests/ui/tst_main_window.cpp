// The window as a person uses it, offscreen: open a RUN.json, press Start,
// see points arrive on the loss chart, find the finished run in the history.
#include "common/tiny_model.h"
#include "history/run_history_panel.h"
#include "io/atomic_file.h"
#include "main_window.h"
#include "training/training_panel.h"

#include <nlohmann/json.hpp>

#include <QLineSeries>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

using nlohmann::json;

class TestMainWindow : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void trainFromTheWindowAndSeeItInTheHistory()
    {
        QTemporaryDir tmp;
        const std::string model = tbtest::makeTinyModel(tmp.filePath("base").toStdString());
        std::string data;
        for (int i = 0; i < 40; ++i)
            data += json({{"prompt", "twice " + std::to_string(i)}, {"response", std::to_string(2 * i)}}).dump() + "\n";
        tb::io::writeFileAtomic(tmp.filePath("d.jsonl").toStdString(), data);
        const json run = {{"name", "window-lora"},
                          {"model", model},
                          {"data", {{"train", {"d.jsonl"}}, {"template", "plain"}, {"validation_fraction", 0.2}}},
                          {"method", {{"method", "lora"}}},
                          {"training", {{"max_steps", 30}, {"batch_size", 4}, {"eval_every", 10}, {"seed", 4}}}};
        tb::io::writeFileAtomic(tmp.filePath("RUN.json").toStdString(), run.dump());

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
        QCOMPARE(finished.at(0).at(1).toString(), QString("completed"));
        QCOMPARE(panel->lossSeries()->count(), 30);
        QCOMPARE(panel->validationSeries()->count(), 3);
        QCOMPARE(panel->lossSeries()->at(29).x(), 30.0);
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
};

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
