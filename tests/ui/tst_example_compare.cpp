// The per-example comparison (ExampleView, ExampleComparison) on a real
// SQLite run store with hand-chosen per-example scores: base and two runs on
// one generation task. Deltas, orders, the regressions filter and the CSV
// are checked against values worked out by hand below.
#include "ui/eval/example_view.h"
#include "ui/eval/eval_results.h"
#include "store/run_store.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QHeaderView>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTextBrowser>
#include <QtTest>

#include <cmath>

using namespace tb;
using tb::ui::ExampleOrder;
using tb::ui::ExampleView;

namespace {

const std::string kBase = "/models/tiny";

// Per-example rougeL (and a bleu beside it, to show the compared metric comes first):
//
//   example   base   full-b   lora-a   | Δ full-b  Δ lora-a  (vs base)
//   e1        0.5    0.35     0.7      |  -0.15     +0.2
//   e2        0.2    0.6      0.1      |  +0.4      -0.1
//   e3        0.8    0.5      0.8      |  -0.3       0
//   e4        0.4    0.4      (none)   |   0        (none)
struct Example {
    const char* id;
    double base, fullB, loraA; // NaN: no rougeL stored
};
const Example kExamples[] = {
    {"e1", 0.5, 0.35, 0.7}, {"e2", 0.2, 0.6, 0.1}, {"e3", 0.8, 0.5, 0.8}, {"e4", 0.4, 0.4, NAN}};

const std::string kLongOutput = std::string(150, 'x') + " " + std::string(150, 'y'); // 301 characters

std::string promptOf(const std::string& id)
{
    // e1's prompt needs CSV quoting: a comma, quotes and a line break.
    return id == "e1" ? "Summarize: \"the cat\", sat\non the mat" : "Summarize " + id;
}

std::string outputOf(const std::string& model, const std::string& id)
{
    return model == "lora-a" && id == "e3" ? kLongOutput : model + " says " + id;
}

void addTask(store::RunStore& db, store::RunId run, const std::string& model, double Example::*score)
{
    store::TaskEvaluation t;
    t.run = run;
    t.baseModel = kBase;
    t.suite = "demo";
    t.task = "summarize";
    t.kind = "generate";
    t.createdAt = 1000;
    const int64_t id = db.addTaskEvaluation(t);
    store::Evaluation e;
    e.run = run;
    e.baseModel = kBase;
    e.suite = "demo";
    e.task = "summarize";
    e.metric = "rougeL";
    e.value = 0.5;
    e.taskEvaluation = id;
    db.addEvaluation(e);
    std::vector<store::Generation> rows;
    for (const auto& ex : kExamples) {
        store::Generation g;
        g.taskEvaluation = id;
        g.exampleId = ex.id;
        g.prompt = promptOf(ex.id);
        g.reference = std::string("ref ") + ex.id;
        g.output = outputOf(model, ex.id);
        const double v = ex.*score;
        g.scoresJson = std::isnan(v) ? R"({"bleu":3})" : R"({"bleu":3,"rougeL":)" + std::to_string(v) + "}";
        rows.push_back(g);
    }
    db.addGenerations(rows);
}

// TB_SCREENSHOTS=DIR keeps a picture of the widget, for a person to look at.
void keepScreenshot(QWidget* w, const QString& name)
{
    const QString dir = qEnvironmentVariable("TB_SCREENSHOTS");
    if (!dir.isEmpty())
        w->grab().save(dir + QLatin1Char('/') + name + QStringLiteral(".png"));
}

QStringList shownIds(const ExampleView& view)
{
    QStringList ids;
    for (int r = 0; r < view.table()->rowCount(); ++r)
        ids << view.table()->item(r, 0)->text();
    return ids;
}

} // namespace

class TestExampleCompare : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void deltasOrdersFilterAndCsv();
};

void TestExampleCompare::deltasOrdersFilterAndCsv()
{
    QTemporaryDir dir;
    const std::string dbPath = dir.filePath("runs.sqlite").toStdString();
    ui::SuiteScores scores;
    {
        store::RunStore db(dbPath);
        const auto a = db.createRun({"lora-a", kBase, "lora", "{}"});
        const auto b = db.createRun({"full-b", kBase, "full", "{}"});
        addTask(db, 0, "base", &Example::base);
        addTask(db, b, "full-b", &Example::fullB);
        addTask(db, a, "lora-a", &Example::loraA);
        scores = ui::loadSuiteScores(db, "demo", ui::availableModels(db));
    }
    // Base models first, then runs newest first.
    QCOMPARE(scores.models.size(), size_t(3));
    QCOMPARE(scores.models[1].label, QString("full-b (#2)"));
    QCOMPARE(scores.models[2].label, QString("lora-a (#1)"));

    ExampleView view(QString::fromStdString(dbPath));
    view.resize(1200, 700);
    view.setScores(scores);
    QCOMPARE(view.task(), QString("summarize"));
    const auto& c = view.comparison();
    QCOMPARE(c.metric(), QString("rougeL"));
    QCOMPARE(c.rows().size(), size_t(4));
    QCOMPARE(view.baseline(), size_t(0));

    // Deltas against base, by hand from the table above.
    QCOMPARE(c.delta(0, 1, 0), -0.15);
    QCOMPARE(c.delta(0, 2, 0), 0.2);
    QCOMPARE(c.delta(1, 1, 0), 0.4);
    QCOMPARE(c.delta(1, 2, 0), -0.1);
    QCOMPARE(c.delta(2, 1, 0), -0.3);
    QVERIFY(std::abs(c.delta(2, 2, 0)) < 1e-12);
    QVERIFY(std::isnan(c.delta(3, 2, 0))); // lora-a has no rougeL for e4

    // The table: example order, outputs and scores per model, then Δ columns for the non-baseline models.
    const QTableWidget* t = view.table();
    QCOMPARE(t->columnCount(), 3 + 2 * 3 + 2);
    QCOMPARE(t->horizontalHeaderItem(9)->text(), QString("Δ full-b (#2)"));
    QCOMPARE(t->horizontalHeaderItem(10)->text(), QString("Δ lora-a (#1)"));
    QCOMPARE(shownIds(view), QStringList({"e1", "e2", "e3", "e4"}));
    QCOMPARE(t->item(0, 5)->text(), QString("full-b says e1"));
    QCOMPARE(t->item(0, 6)->text(), QString("ROUGE-L 0.35 · BLEU 3"));
    QCOMPARE(t->item(0, 9)->text(), QString("-0.15"));
    QCOMPARE(t->item(0, 10)->text(), QString("+0.2"));
    QCOMPARE(t->item(3, 10)->text(), QString());
    // On screen each Δ column follows its model's scores.
    const QHeaderView* header = t->horizontalHeader();
    QCOMPARE(header->visualIndex(9), header->visualIndex(6) + 1);
    QCOMPARE(header->visualIndex(10), header->visualIndex(8) + 1);
    QCOMPARE(header->visualIndex(7), header->visualIndex(9) + 1);
    // A long output is cut in its cell and whole in the tooltip.
    QCOMPARE(t->item(2, 7)->text(), QString::fromStdString(kLongOutput.substr(0, 200)) + QChar(0x2026));
    QCOMPARE(t->item(2, 7)->toolTip(), QString::fromStdString(kLongOutput));

    // Largest absolute change first: e2 (0.4), e3 (0.3), e1 (0.2), e4 (0).
    view.setOrder(ExampleOrder::LargestChange);
    QCOMPARE(shownIds(view), QStringList({"e2", "e3", "e1", "e4"}));
    // Largest drop first: e3 (-0.3), e1 (-0.15), e2 (-0.1), e4 (no drop).
    view.setOrder(ExampleOrder::WorstChange);
    QCOMPARE(shownIds(view), QStringList({"e3", "e1", "e2", "e4"}));

    // Regressions against base: every example where some model scores lower (not e4).
    view.setOrder(ExampleOrder::LargestChange);
    view.regressionsOnlyCheck()->setChecked(true);
    QCOMPARE(shownIds(view), QStringList({"e2", "e3", "e1"}));

    // The CSV of what is shown, by hand (e1's prompt quoted; base has no delta).
    const QString expected =
        "example_id,prompt,reference,"
        "base: tiny: output,base: tiny: rougeL,base: tiny: delta,"
        "full-b (#2): output,full-b (#2): rougeL,full-b (#2): delta,"
        "lora-a (#1): output,lora-a (#1): rougeL,lora-a (#1): delta\n"
        "e2,Summarize e2,ref e2,base says e2,0.2,,full-b says e2,0.6,0.4,lora-a says e2,0.1,-0.1\n"
        "e3,Summarize e3,ref e3,base says e3,0.8,,full-b says e3,0.5,-0.3,"
        + QString::fromStdString(kLongOutput) + ",0.8,0\n"
        "e1,\"Summarize: \"\"the cat\"\", sat\non the mat\",ref e1,base says e1,0.5,,full-b says e1,0.35,-0.15,"
        "lora-a says e1,0.7,0.2\n";
    QCOMPARE(view.tableCsv(), expected);
    const QString csvPath = dir.filePath("examples.csv");
    QVERIFY(view.exportCsv(csvPath, true));
    QFile csv(csvPath);
    QVERIFY(csv.open(QIODevice::ReadOnly));
    QCOMPARE(QString::fromUtf8(csv.readAll()), expected);
    QVERIFY(!view.exportCsv(dir.filePath("no/such/folder/x.csv"), true));

    // Against lora-a: base drops on e1 (-0.2), full-b on e1 (-0.35) and e3 (-0.3); e2 rises for both.
    view.setBaseline(2);
    QCOMPARE(t->horizontalHeaderItem(9)->text(), QString("Δ base: tiny"));
    QCOMPARE(t->horizontalHeaderItem(10)->text(), QString("Δ full-b (#2)"));
    QCOMPARE(header->visualIndex(9), header->visualIndex(4) + 1);
    QCOMPARE(header->visualIndex(10), header->visualIndex(6) + 1);
    QCOMPARE(shownIds(view), QStringList({"e1", "e3"}));
    QCOMPARE(c.delta(0, 1, 2), -0.35);
    QCOMPARE(t->item(0, 10)->text(), QString("-0.35"));

    // The detail pane shows the selected example whole.
    view.regressionsOnlyCheck()->setChecked(false);
    view.setOrder(ExampleOrder::Examples);
    view.table()->selectRow(2);
    keepScreenshot(&view, "example-compare");
    QVERIFY(view.detail()->toPlainText().contains(QString::fromStdString(kLongOutput)));
    QVERIFY(view.detail()->toPlainText().contains("ref e3"));
}

QTEST_MAIN(TestExampleCompare)
#include "tst_example_compare.moc"
