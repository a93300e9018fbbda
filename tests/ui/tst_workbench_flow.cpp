// The whole workbench flow through the window's widgets, offscreen: import a
// dataset, configure LoRA, train two short runs from the Method panel and
// see their points arrive on the chart, evaluate the base model and both
// runs on a suite, see all three in the comparison, and see the forgetting
// heatmap's cells; then select both runs in Run history and see both loss
// curves and their configuration difference, and the per-example changes of
// each run against the base. Values shown are checked against the run store,
// which the training and evaluation engines wrote independently of the panels.
#include "common/tiny_model.h"
#include "common/widgets.h"
#include "ui/dataset/dataset_panel.h"
#include "ui/eval/eval_results.h"
#include "ui/eval/evaluation_panel.h"
#include "ui/eval/example_view.h"
#include "ui/eval/forgetting_panel.h"
#include "io/atomic_file.h"
#include "ui/history/config_diff.h"
#include "ui/history/run_curves_view.h"
#include "ui/history/run_history_panel.h"
#include "ui/main_window.h"
#include "ui/method/method_panel.h"
#include "store/run_store.h"
#include "ui/training/training_panel.h"

#include <nlohmann/json.hpp>

#include <QCheckBox>
#include <QComboBox>
#include <QLineEdit>
#include <QLineSeries>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using nlohmann::json;

namespace {

using tbtest::child;

// The newest stored value of `metric` for a model (run 0 = base) on a task.
double stored(const tb::store::RunStore& store, qint64 run, const std::string& task, const std::string& metric)
{
    const auto tes = store.taskEvaluations({run, {}, "flow", task});
    if (tes.empty())
        return std::nan("");
    for (const auto& e : store.evaluations({run, {}, "flow", task}))
        if (e.taskEvaluation == tes.front().id && e.metric == metric)
            return e.value;
    return std::nan("");
}

} // namespace

class TestWorkbenchFlow : public QObject {
    Q_OBJECT
    QTemporaryDir m_settings;

private Q_SLOTS:
    void initTestCase()
    {
        tbtest::useTestSettings("tst_workbench_flow", m_settings.path());
        QSettings().clear();
    }

    void importConfigureTrainEvaluateCompare()
    {
        QTemporaryDir tmp;
        const std::string model = tbtest::makeTinyModel(tmp.filePath("base").toStdString());
        std::string data, test;
        for (int i = 0; i < 40; ++i)
            data += json({{"prompt", "twice " + std::to_string(i)}, {"response", std::to_string(2 * i)},
                          {"task", "twice"}}).dump() + "\n";
        for (int i = 40; i < 44; ++i)
            test += json({{"prompt", "twice " + std::to_string(i)}, {"response", std::to_string(2 * i)}}).dump() + "\n";
        const QString dataPath = tmp.filePath("twice.jsonl");
        tb::io::writeFileAtomic(dataPath.toStdString(), data);
        tb::io::writeFileAtomic(tmp.filePath("test.jsonl").toStdString(), test);
        const json suite = {{"name", "flow"},
                            {"tasks",
                             {{{"name", "twice"}, {"data", "test.jsonl"}, {"template", "plain"},
                               {"metrics", {"rouge", "bleu"}}, {"max_new_tokens", 4}},
                              {{"name", "text"}, {"type", "perplexity"}, {"data", "test.jsonl"},
                               {"fields", {{"prompt", "text"}, {"response", "ignore"}}}}}}};
        const QString suitePath = tmp.filePath("suite.json");
        tb::io::writeFileAtomic(suitePath.toStdString(), suite.dump());

        const QString db = tmp.filePath("runs.sqlite");
        tb::ui::MainWindow window(db);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));

        // 1. Import the dataset: it reaches the Method panel's configuration.
        auto* dataset = window.datasetPanel();
        dataset->addFiles({dataPath});
        QTRY_VERIFY_WITH_TIMEOUT(!dataset->isBusy(), 20000);
        QCOMPARE(dataset->recordCount(), 40);
        QCOMPARE(dataset->taskTable()->rowCount(), 1);
        auto* method = window.methodPanel();
        QCOMPARE(method->runConfig().data.train.size(), size_t(1));
        QCOMPARE(QFileInfo(QString::fromStdString(method->runConfig().data.train[0].path)).fileName(),
                 QString("twice.jsonl"));

        // 2. Configure LoRA on the tiny model.
        window.tabs()->setCurrentWidget(method);
        method->setModelPath(QString::fromStdString(model));
        auto* methods = child<QComboBox>(method, "method");
        methods->setCurrentIndex(methods->findData(int(tb::ui::MethodPanel::Lora)));
        child<QSpinBox>(method, "loraRank")->setValue(2);
        child<QSpinBox>(method, "maxSteps")->setValue(6);
        child<QSpinBox>(method, "batchSize")->setValue(4);
        child<QSpinBox>(method, "evalEvery")->setValue(3);
        child<QLineEdit>(method, "runName")->setText("flow-r2");
        QVERIFY2(method->problem().isEmpty(), qPrintable(method->problem()));
        QCOMPARE(method->runConfig().method.lora.rank, int64_t(2));

        // 3. Start from the Method panel; points arrive on the loss chart.
        auto* training = window.trainingPanel();
        auto trainOnce = [&](const QString& name, int rank) -> qint64 {
            child<QSpinBox>(method, "loraRank")->setValue(rank);
            child<QLineEdit>(method, "runName")->setText(name);
            QSignalSpy finished(training, &tb::ui::TrainingPanel::runFinished);
            QTest::mouseClick(child<QPushButton>(method, "startButton"), Qt::LeftButton);
            if (window.tabs()->currentWidget() != training)
                return 0;
            if (!finished.wait(120000))
                return 0;
            if (finished.at(0).at(1).value<tb::train::TrainStatus>() != tb::train::TrainStatus::Completed)
                return 0;
            return finished.at(0).at(0).toLongLong();
        };
        const qint64 run1 = trainOnce("flow-r2", 2);
        QVERIFY(run1 > 0);
        QCOMPARE(training->lossSeries()->count(), 6);
        const qint64 run2 = trainOnce("flow-r4", 4);
        QVERIFY(run2 > run1);
        QCOMPARE(training->lossSeries()->count(), 6);
        {
            tb::store::RunStore store(db.toStdString());
            QCOMPARE(store.run(run1).name, std::string("flow-r2"));
            QCOMPARE(store.metrics(run2, "loss").size(), size_t(6));
        }

        // 4. Evaluate the base model and both runs from the Evaluation panel.
        window.setSuitePath(suitePath);
        auto* evaluation = window.evaluationPanel();
        window.tabs()->setCurrentWidget(evaluation);
        evaluation->refresh();
        std::vector<tb::ui::ModelKey> models;
        {
            tb::store::RunStore store(db.toStdString());
            for (const auto& key : tb::ui::availableModels(store))
                if (key.run == run1 || key.run == run2 || (key.run == 0 && key.baseModel == QString::fromStdString(model)))
                    models.push_back(key);
        }
        QCOMPARE(models.size(), size_t(3));
        evaluation->setCheckedModels(models);
        QSignalSpy evaluated(evaluation, &tb::ui::EvaluationPanel::evaluationFinished);
        evaluation->evaluate();
        QVERIFY(evaluated.wait(180000));
        QCOMPARE(evaluated.at(0).at(0).toString(), QString("completed"));

        // All three side by side, with the values the engine stored.
        evaluation->setSuite("flow");
        const auto& scores = evaluation->scores();
        QCOMPARE(scores.models.size(), size_t(3));
        QCOMPARE(scores.tasks, QStringList({"text", "twice"}));
        tb::store::RunStore store(db.toStdString());
        for (size_t m = 0; m < scores.models.size(); ++m) {
            const qint64 run = scores.models[m].run;
            for (const char* metric : {"rougeL", "bleu"}) {
                const double expected = stored(store, run, "twice", metric);
                QVERIFY(std::isfinite(expected));
                QCOMPARE(scores.value(m, "twice", metric), expected);
            }
            QCOMPARE(scores.value(m, "text", "perplexity"), stored(store, run, "text", "perplexity"));
        }
        QVERIFY(evaluation->tableModel()->rowCount() > 0);

        // 5. The forgetting heatmap: base + the two runs as stages, tasks as rows.
        auto* forgetting = window.forgettingPanel();
        window.tabs()->setCurrentWidget(forgetting);
        forgetting->refresh();
        forgetting->setSuite("flow");
        forgetting->setBaseModel(QString::fromStdString(model));
        forgetting->setStages({run1, run2});
        forgetting->compute();
        QVERIFY(forgetting->report().has_value());
        const auto& report = *forgetting->report();
        QCOMPARE(report.input.tasks.size(), size_t(2));
        QCOMPARE(report.input.scores.size(), size_t(3));
        // Each cell's change is the stored score minus the base's (raw, also for perplexity).
        for (size_t j = 0; j < report.input.tasks.size(); ++j) {
            const std::string task = report.input.tasks[j];
            const bool ppl = task == "text";
            const std::string metric = ppl ? "perplexity" : "rougeL";
            const double base = stored(store, 0, task, metric);
            const qint64 runs[] = {run1, run2};
            for (size_t i = 0; i < 2; ++i) {
                const double score = stored(store, runs[i], task, metric);
                QVERIFY(std::abs(report.change[i + 1][j] - (score - base)) < 1e-9);
            }
        }
        auto* heatmap = forgetting->heatmap();
        QVERIFY(heatmap->rowCount() * heatmap->columnCount() >= 6);
        int cellsWithChange = 0;
        for (int r = 0; r < heatmap->rowCount(); ++r)
            for (int c = 0; c < heatmap->columnCount(); ++c)
                if (auto* item = heatmap->item(r, c); item && item->data(tb::ui::ForgettingPanel::ChangeRole).isValid())
                    ++cellsWithChange;
        QCOMPARE(cellsWithChange, 6); // 2 tasks x (base + 2 stages)

        // 6. Run history: select both runs; both loss curves are the stored losses.
        auto* history = window.historyPanel();
        window.tabs()->setCurrentWidget(history);
        history->refresh();
        history->selectRuns({run1, run2});
        auto* curves = history->curvesView();
        curves->setSmoothing(0);
        for (const qint64 run : {run1, run2}) {
            QTRY_VERIFY(curves->series("loss", run) != nullptr);
            const auto points = store.metrics(run, "loss");
            auto* line = curves->series("loss", run);
            QCOMPARE(line->count(), int(points.size()));
            for (int i = 0; i < line->count(); ++i) {
                QCOMPARE(line->at(i).x(), double(points[size_t(i)].step));
                QCOMPARE(line->at(i).y(), points[size_t(i)].value);
            }
        }
        // Their configurations differ in exactly the keys whose stored values differ.
        auto* diff = history->configDiffView();
        QVERIFY(diff->differencesOnly()->isChecked());
        const QStringList keys = diff->shownKeys();
        QVERIFY(keys.contains("method.lora.rank"));
        const auto config1 = json::parse(store.run(run1).configJson);
        const auto config2 = json::parse(store.run(run2).configJson);
        for (const QString& key : keys) {
            std::string path = "/" + key.toStdString();
            for (auto& c : path)
                if (c == '.')
                    c = '/';
            const json::json_pointer at(path);
            const bool in1 = config1.contains(at), in2 = config2.contains(at);
            QVERIFY2(!in1 || !in2 || config1.at(at) != config2.at(at), qPrintable(key));
        }

        // 7. Per-example changes of each run against the base on "twice".
        window.tabs()->setCurrentWidget(evaluation);
        evaluation->showExamples("twice");
        auto* examples = evaluation->exampleView();
        QCOMPARE(examples->task(), QString("twice"));
        const auto& shown = evaluation->scores();
        size_t base = shown.models.size();
        for (size_t m = 0; m < shown.models.size(); ++m)
            if (shown.models[m].run == 0)
                base = m;
        QVERIFY(base < shown.models.size());
        examples->setBaseline(base);
        const auto& comparison = examples->comparison();
        QCOMPARE(comparison.metric(), QString("rougeL"));
        // Per-example rougeL as the evaluation engine stored it, by example id.
        auto perExample = [&](qint64 run) {
            std::map<std::string, double> values;
            const auto tes = store.taskEvaluations({run, {}, "flow", "twice"});
            for (const auto& g : store.taskGenerations(tes.front().id))
                values[g.exampleId] = json::parse(g.scoresJson).at("rougeL").get<double>();
            return values;
        };
        const auto baseValues = perExample(0);
        QVERIFY(!comparison.rows().empty());
        int deltas = 0;
        for (size_t m = 0; m < shown.models.size(); ++m) {
            if (m == base)
                continue;
            const auto runValues = perExample(shown.models[m].run);
            for (size_t r = 0; r < comparison.rows().size(); ++r) {
                const std::string id = comparison.rows()[r].id.toStdString();
                const double expected = runValues.at(id) - baseValues.at(id);
                QVERIFY(std::abs(comparison.delta(r, m, base) - expected) < 1e-12);
                ++deltas;
            }
        }
        QCOMPARE(deltas, 2 * int(comparison.rows().size()));
    }
};

QTEST_MAIN(TestWorkbenchFlow)
#include "tst_workbench_flow.moc"
