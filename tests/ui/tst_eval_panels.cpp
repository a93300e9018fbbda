// The evaluation comparison and forgetting panels on a real SQLite run store
// filled with hand-chosen scores and outputs (no model involved).
#include "ui/eval/evaluation_panel.h"
#include "ui/eval/metric_chart.h"
#include "ui/eval/example_view.h"
#include "ui/eval/forgetting_panel.h"
#include "store/run_store.h"

#include <QBarSeries>
#include <QBarSet>
#include <QComboBox>
#include <QFile>
#include <QFont>
#include <QImage>
#include <QLabel>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QStandardPaths>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <map>

using namespace tb;
using tb::ui::EvaluationPanel;
using tb::ui::ForgettingPanel;

namespace {

const std::string kBase = "/models/tiny";

int64_t addTask(store::RunStore& db, store::RunId run, const std::string& suite, const std::string& task,
                const std::string& kind, const std::map<std::string, double>& scores, int64_t createdAt)
{
    store::TaskEvaluation t;
    t.run = run;
    t.baseModel = kBase;
    t.suite = suite;
    t.task = task;
    t.kind = kind;
    t.createdAt = createdAt;
    const int64_t id = db.addTaskEvaluation(t);
    for (const auto& [metric, value] : scores) {
        store::Evaluation e;
        e.run = run;
        e.baseModel = kBase;
        e.suite = suite;
        e.task = task;
        e.metric = metric;
        e.value = value;
        e.taskEvaluation = id;
        db.addEvaluation(e);
    }
    return id;
}

store::RunId addRun(store::RunStore& db, const std::string& name, const std::string& trainFile)
{
    return db.createRun({name, kBase, "lora", R"({"data":{"train":[")" + trainFile + R"("]}})"});
}

} // namespace

class TestEvalPanels : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void comparisonShowsStoredScores();
    void forgettingHeatmapMatchesHandComputation();
};

void TestEvalPanels::comparisonShowsStoredScores()
{
    QTemporaryDir dir;
    const std::string dbPath = dir.filePath("runs.sqlite").toStdString();
    {
        store::RunStore db(dbPath);
        const auto a = addRun(db, "lora-a", "data/summarize/train.jsonl");
        const auto b = addRun(db, "full-b", "data/classify/train.jsonl");
        // An older evaluation of run a: the newer one below must win.
        addTask(db, a, "demo", "summarize", "generate", {{"rougeL", 0.99}}, 1000);
        addTask(db, 0, "demo", "summarize", "generate", {{"rougeL", 0.20}, {"bleu", 10.0}}, 2000);
        const auto sumA = addTask(db, a, "demo", "summarize", "generate", {{"rougeL", 0.45}, {"bleu", 25.5}}, 2000);
        const auto sumB = addTask(db, b, "demo", "summarize", "generate", {{"rougeL", 0.30}, {"bleu", 5.25}}, 2000);
        addTask(db, 0, "demo", "classify", "classification", {{"accuracy", 0.5}}, 2000);
        addTask(db, a, "demo", "classify", "classification", {{"accuracy", 0.75}}, 2000);
        addTask(db, b, "demo", "classify", "classification", {{"accuracy", 0.25}}, 2000);
        store::Generation g;
        g.exampleId = "1";
        g.prompt = "Summarize: the cat sat";
        g.reference = "cat sat";
        g.taskEvaluation = sumA;
        g.output = "the cat";
        g.scoresJson = R"({"rougeL":0.5})";
        db.addGenerations({g});
        g.taskEvaluation = sumB;
        g.output = "a dog";
        g.scoresJson = R"({"rougeL":0})";
        db.addGenerations({g});
    }
    EvaluationPanel panel(QString::fromStdString(dbPath));
    panel.resize(1000, 700);
    QCOMPARE(panel.suite(), QString("demo"));
    // Runs listed newest first: columns are base, full-b (#2), lora-a (#1).
    const auto* model = panel.tableModel();
    QCOMPARE(model->columnCount(), 5);
    QCOMPARE(model->headerData(3, Qt::Horizontal).toString(), QString("full-b (#2)"));
    QCOMPARE(model->headerData(4, Qt::Horizontal).toString(), QString("lora-a (#1)"));
    // Rows: classify/accuracy, summarize/rougeL, summarize/bleu (metric order: ROUGE before BLEU).
    QCOMPARE(model->rowCount(), 3);
    auto cell = [&](int r, int c) { return model->index(r, c).data(); };
    QCOMPARE(cell(0, 0).toString(), QString("classify"));
    QCOMPARE(cell(0, 4).toDouble(), 0.75);
    QCOMPARE(cell(1, 1).toString(), QString("ROUGE-L")); // words in the table, the stored name in a role
    QCOMPARE(model->index(1, 1).data(EvaluationPanel::MetricRole).toString(), QString("rougeL"));
    QCOMPARE(cell(1, 4).toDouble(), 0.45); // the newer evaluation, not 0.99
    QCOMPARE(cell(2, 3).toDouble(), 5.25);

    // Sorting by lora-a's column, descending: 25.5 (bleu), 0.75 (accuracy), 0.45 (rougeL).
    panel.table()->sortByColumn(4, Qt::DescendingOrder);
    QCOMPARE(cell(0, 4).toDouble(), 25.5);
    QCOMPARE(cell(1, 4).toDouble(), 0.75);
    QCOMPARE(cell(2, 4).toDouble(), 0.45);

    // CSV in the view's order.
    const QString expected = "Task,Metric,base: tiny,full-b (#2),lora-a (#1)\n"
                             "summarize,bleu,10,5.25,25.5\n"
                             "classify,accuracy,0.5,0.25,0.75\n"
                             "summarize,rougeL,0.2,0.3,0.45\n";
    QCOMPARE(panel.tableCsv(), expected);
    const QString csvPath = dir.filePath("table.csv");
    QVERIFY(panel.exportCsv(csvPath, true));
    QFile csv(csvPath);
    QVERIFY(csv.open(QIODevice::ReadOnly));
    QCOMPARE(QString::fromUtf8(csv.readAll()), expected);

    // Each cell's change against the baseline (the base model by default), the row's best in bold.
    QCOMPARE(panel.baseline(), 0);
    panel.table()->sortByColumn(-1, Qt::AscendingOrder);
    QCOMPARE(model->index(1, 1).data(EvaluationPanel::MetricRole).toString(), QString("rougeL"));
    QVERIFY(std::abs(model->index(1, 4).data(EvaluationPanel::ChangeRole).toDouble() - (0.45 - 0.20)) < 1e-12);
    QVERIFY(!model->index(1, 2).data(EvaluationPanel::ChangeRole).isValid()); // the baseline's own column
    QVERIFY(model->index(1, 4).data(Qt::FontRole).value<QFont>().bold());
    QVERIFY(!model->index(1, 3).data(Qt::FontRole).value<QFont>().bold());

    // One chart per task with one metric, one bar per model.
    panel.metricFilter()->setCurrentIndex(panel.metricFilter()->findData("rougeL"));
    auto charts = panel.charts();
    QCOMPARE(charts.size(), size_t(1));
    const auto* bars = charts[0]->barSet();
    QCOMPARE(bars->count(), 3);
    QCOMPARE(bars->at(0), 0.20);
    QCOMPARE(bars->at(1), 0.30);
    QCOMPARE(bars->at(2), 0.45);
    // One task: a chart per metric (never two metrics on one axis).
    panel.metricFilter()->setCurrentIndex(0);
    panel.taskFilter()->setCurrentIndex(panel.taskFilter()->findData("summarize"));
    charts = panel.charts();
    QCOMPARE(charts.size(), size_t(2));
    QCOMPARE(charts[0]->data().metric, QString("rougeL"));
    QCOMPARE(charts[1]->data().metric, QString("bleu"));
    QCOMPARE(charts[1]->barSet()->at(2), 25.5);

    const QString pngPath = dir.filePath("chart.png");
    QVERIFY(panel.exportPng(pngPath, true));
    QImage png(pngPath);
    QVERIFY(!png.isNull());
    QVERIFY(png.width() > 10);
    const QString svgPath = dir.filePath("chart.svg");
    QVERIFY(panel.exportSvg(svgPath, true));
    QFile svg(svgPath);
    QVERIFY(svg.open(QIODevice::ReadOnly));
    const QString svgText = QString::fromUtf8(svg.readAll());
    QVERIFY(svgText.contains("<svg"));
    QVERIFY(svgText.contains("lora-a (#1): 25.5"));

    // Per-example view: prompt, reference, and each model's output.
    panel.showExamples("summarize");
    const QTableWidget* ex = panel.exampleView()->table();
    QCOMPARE(ex->rowCount(), 1);
    QCOMPARE(ex->item(0, 1)->text(), QString("Summarize: the cat sat"));
    QCOMPARE(ex->item(0, 2)->text(), QString("cat sat"));
    QCOMPARE(ex->horizontalHeaderItem(5)->text(), QString("full-b (#2): output"));
    QCOMPARE(ex->item(0, 5)->text(), QString("a dog"));
    QCOMPARE(ex->item(0, 7)->text(), QString("the cat"));
    QCOMPARE(ex->item(0, 8)->text(), QString("ROUGE-L 0.5"));
}

void TestEvalPanels::forgettingHeatmapMatchesHandComputation()
{
    QTemporaryDir dir;
    const std::string dbPath = dir.filePath("runs.sqlite").toStdString();
    store::RunId a = 0, b = 0;
    {
        store::RunStore db(dbPath);
        a = addRun(db, "stage1", "data/summarize/train.jsonl");
        b = addRun(db, "stage2", "data/translate/train.jsonl");
        //            summarize rougeL  translate bleu  lm perplexity (raw; lower is better)
        // base            0.20             10.0            20
        // stage 1         0.40              8.0            22
        // stage 2         0.30             20.0            25
        for (auto [run, r, bl, ppl] : {std::tuple{store::RunId(0), 0.20, 10.0, 20.0}, std::tuple{a, 0.40, 8.0, 22.0},
                                       std::tuple{b, 0.30, 20.0, 25.0}}) {
            addTask(db, run, "seq", "summarize", "generate", {{"rougeL", r}}, 1000);
            addTask(db, run, "seq", "translate", "generate", {{"bleu", bl}}, 1000);
            addTask(db, run, "seq", "lm", "perplexity", {{"perplexity", ppl}}, 1000);
        }
    }
    ForgettingPanel panel(QString::fromStdString(dbPath));
    panel.setSuite("seq");
    panel.setStages({a, b});
    // Trained tasks guessed from the runs' training files.
    QCOMPARE(panel.stageTask(0), QString("summarize"));
    QCOMPARE(panel.stageTask(1), QString("translate"));
    QCOMPARE(panel.baseModel(), QString::fromStdString(kBase));
    // Both runs fine-tune kBase: detected as independent; read here as a chain.
    QCOMPARE(panel.mode(), eval::ForgettingMode::Independent);
    panel.setMode(eval::ForgettingMode::Chain);
    QVERIFY(!panel.modeWarningLabel()->isHidden());
    panel.compute();
    const QTableWidget* h = panel.heatmap();
    // Rows are tasks sorted by name: lm, summarize, translate; columns base, stage1, stage2.
    QCOMPARE(h->rowCount(), 3);
    QCOMPARE(h->columnCount(), 3);
    QCOMPARE(h->verticalHeaderItem(0)->text(), QString("lm"));
    auto change = [&](int r, int c) { return h->item(r, c)->data(ForgettingPanel::ChangeRole).toDouble(); };
    // Changes against the base:
    // lm: 22-20 = +2, 25-20 = +5; summarize: 0.40-0.20 = +0.20, 0.30-0.20 = +0.10;
    // translate: 8-10 = -2, 20-10 = +10.
    QCOMPARE(change(0, 0), 0.0);
    QCOMPARE(change(0, 1), 2.0);
    QCOMPARE(change(0, 2), 5.0);
    QVERIFY(std::abs(change(1, 1) - 0.20) < 1e-12);
    QVERIFY(std::abs(change(1, 2) - 0.10) < 1e-12);
    QCOMPARE(change(2, 1), -2.0);
    QCOMPARE(change(2, 2), 10.0);
    QCOMPARE(h->item(2, 2)->text(), QString("20.0000\n+10.0000"));
    // Average after stage 2 without the perplexity: (0.30 + 20)/2 = 10.15.
    QCOMPARE(panel.averageLabel()->text(), QString("Average score: 10.1500"));
    // BWT: stage 1 trained summarize: R[2][sum] - R[1][sum] = 0.30 - 0.40 = -0.10.
    QCOMPARE(panel.backwardTransferLabel()->text(), QString("Backward transfer: -0.1000"));
    // Forgetting: J = {summarize}: max(0.40) - 0.30 = 0.10.
    QCOMPARE(panel.forgettingLabel()->text(), QString("Forgetting: 0.1000"));

    // Stored and read back.
    const qint64 id = panel.saveReport();
    QVERIFY(id > 0);
    QCOMPARE(store::RunStore(dbPath).forgettingReports("seq").size(), size_t(1));
    panel.showStoredReport(id);
    QCOMPARE(panel.backwardTransferLabel()->text(), QString("Backward transfer: -0.1000"));

    // A click asks for the cell's examples: stage 2 (run b) on translate.
    QSignalSpy spy(&panel, &ForgettingPanel::exampleViewRequested);
    panel.setOpensExampleDialog(false);
    Q_EMIT panel.heatmap()->cellClicked(2, 2);
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy[0][0].toLongLong(), qint64(b));
    QCOMPARE(spy[0][1].toString(), QString("seq"));
    QCOMPARE(spy[0][2].toString(), QString("translate"));
    panel.setOpensExampleDialog(true);
    Q_EMIT panel.heatmap()->cellClicked(2, 2);
    auto* dialog = panel.findChild<tb::ui::ExampleDialog*>("forgettingExamples");
    QVERIFY(dialog);
    QCOMPARE(dialog->view()->task(), QString("translate"));
    dialog->close();
}

QTEST_MAIN(TestEvalPanels)
#include "tst_eval_panels.moc"
