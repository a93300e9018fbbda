// The Evaluation panel as an honest comparison, on a real SQLite run store
// with hand-written per-example outputs: one chart per metric whose bars are
// the stored scores, error bars equal to engine::compareRuns' intervals,
// sentences with the right sign, change and p, and the HTML report (inline
// SVG per chart, the table, the settings, hostile names escaped).
#include "common/stored_results.h"
#include "ui/eval/comparison_report.h"
#include "ui/eval/evaluation_panel.h"
#include "ui/eval/metric_chart.h"
#include "engine/run_comparison.h"
#include "eval/bleu.h"
#include "eval/rouge.h"
#include "store/run_store.h"

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QElapsedTimer>
#include <QFile>
#include <QFont>
#include <QLabel>
#include <QLineSeries>
#include <QSortFilterProxyModel>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <map>

using namespace tb;
using tb::ui::EvaluationPanel;

namespace {

const std::string kBase = "/models/tiny";
const std::vector<std::string> kRefs = {"the cat sat on the mat", "a quick brown fox jumps over the dog",
                                        "rain is expected in the north tomorrow", "she sold her old car last week",
                                        "the meeting starts at nine in the morning", "birds sing in the early spring"};
const std::vector<std::string> kBaseHyps = {"a cat sat on a mat", "the brown fox jumped over a dog",
                                            "rain expected north", "she sold the car", "meeting at nine", "birds sing"};
const std::vector<std::string> kRunHyps = {"the cat sat on the mat", "a quick brown fox jumps over a dog",
                                           "rain is expected in the north", "she sold her car last week",
                                           "the meeting starts at nine", "birds sing in spring"};
const QString kHostile = "<b>x</b>";

double rougeLMean(const std::vector<std::string>& hyps)
{
    double sum = 0;
    for (size_t i = 0; i < hyps.size(); ++i)
        sum += eval::rougeScore(kRefs[i], hyps[i]).rougeL.fmeasure;
    return sum / double(hyps.size());
}

double bleu(const std::vector<std::string>& hyps)
{
    std::vector<std::vector<std::string>> refs;
    for (const auto& r : kRefs)
        refs.push_back({r});
    return eval::corpusBleu(hyps, refs).score;
}

void addTask(store::RunStore& db, store::RunId run, const std::string& task, const std::string& kind,
             const std::map<std::string, double>& scores, const std::vector<std::string>& outputs,
             const std::vector<std::string>& refs, const std::vector<double>& correct = {})
{
    test::StoredTask t{run, kBase, "demo", task, kind, scores};
    for (size_t i = 0; i < outputs.size(); ++i)
        t.examples.push_back({std::to_string(i + 1), outputs[i], refs[i],
                              i < correct.size() ? nlohmann::json{{"correct", correct[i]}} : nlohmann::json::object()});
    test::storeTask(db, t);
}

double span(const QLineSeries* s)
{
    double lo = INFINITY, hi = -INFINITY;
    for (const QPointF& p : s->points()) {
        lo = std::min(lo, p.y());
        hi = std::max(hi, p.y());
    }
    return hi - lo;
}

} // namespace

class TestEvalCompare : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void chartsPerMetricWithIntervalsAndSentences();
    void htmlReportHoldsChartsTableAndSettings();
    void sentencesSayDirectionAndSignificance();

private:
    QTemporaryDir m_dir;
    std::string m_db;
    store::RunId m_run = 0, m_hostile = 0;
};

void TestEvalCompare::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    m_db = m_dir.filePath("runs.sqlite").toStdString();
    store::RunStore db(m_db);
    m_run = db.createRun({"lora-a", kBase, "lora", "{}"});
    // Newest run: listed right after the base model.
    m_hostile = db.createRun({kHostile.toStdString(), kBase, "lora", "{}"});
    addTask(db, 0, "summarize", "generate", {{"rougeL", rougeLMean(kBaseHyps)}, {"bleu", bleu(kBaseHyps)}}, kBaseHyps,
            kRefs);
    addTask(db, m_run, "summarize", "generate", {{"rougeL", rougeLMean(kRunHyps)}, {"bleu", bleu(kRunHyps)}}, kRunHyps,
            kRefs);
    addTask(db, m_hostile, "summarize", "generate", {{"rougeL", rougeLMean(kBaseHyps)}, {"bleu", bleu(kBaseHyps)}},
            kBaseHyps, kRefs);
    // Classification: base 2 of 4 right, lora-a 4 of 4, the hostile run 0 of 4 (a zero-height bar).
    const std::vector<std::string> labels = {"A", "B", "A", "B"};
    addTask(db, 0, "classify", "classification", {{"accuracy", 0.5}}, labels, labels, {1, 1, 0, 0});
    addTask(db, m_run, "classify", "classification", {{"accuracy", 1.0}}, labels, labels, {1, 1, 1, 1});
    addTask(db, m_hostile, "classify", "classification", {{"accuracy", 0.0}}, labels, labels, {0, 0, 0, 0});
}

void TestEvalCompare::chartsPerMetricWithIntervalsAndSentences()
{
    EvaluationPanel panel(QString::fromStdString(m_db));
    panel.resize(1100, 800);
    QCOMPARE(panel.suite(), QString("demo"));
    QCOMPARE(panel.scores().models.size(), size_t(3)); // base, <b>x</b> (#2), lora-a (#1)
    QCOMPARE(panel.baseline(), 0);                      // the base model
    QTRY_VERIFY(!panel.comparisonPending());

    // All tasks: a chart per task on its primary metric.
    auto charts = panel.charts();
    QCOMPARE(charts.size(), size_t(2));
    QCOMPARE(charts[0]->data().task, QString("classify"));
    QCOMPARE(charts[0]->data().metric, QString("accuracy"));
    QCOMPARE(charts[1]->data().metric, QString("rougeL"));
    QVERIFY(charts[0]->chartView()->chart()->title().contains("higher is better"));
    // The zero score is a bar with value 0; its label reads 0; names on the axis are escaped.
    QCOMPARE(charts[0]->barSet()->at(1), 0.0);
    auto* axis = qobject_cast<QBarCategoryAxis*>(charts[0]->chartView()->chart()->axes(Qt::Horizontal).value(0));
    QVERIFY(axis);
    QCOMPARE(axis->categories().size(), 3);
    QVERIFY2(axis->categories()[1].startsWith("<b>0</b><br>&lt;b&gt;x&lt;/b&gt; (#2)"), qPrintable(axis->categories()[1]));
    QVERIFY(axis->categories()[0].endsWith("(baseline)"));
    QVERIFY2(axis->categories()[2].contains("<b>1</b><br>lora-a (#1)"), qPrintable(axis->categories()[2]));

    // One task: ROUGE-L and BLEU each on their own axis.
    panel.taskFilter()->setCurrentIndex(panel.taskFilter()->findData("summarize"));
    QTRY_VERIFY(!panel.comparisonPending());
    charts = panel.charts();
    QCOMPARE(charts.size(), size_t(2));
    QCOMPARE(charts[0]->data().metric, QString("rougeL"));
    QCOMPARE(charts[1]->data().metric, QString("bleu"));

    // The same comparison straight from the engine.
    engine::RunComparisonRequest r;
    r.suite = "demo";
    r.task = "summarize";
    r.metric = "bleu";
    r.models = {{0, kBase, "base"}, {m_hostile, {}, "hostile"}, {m_run, {}, "lora-a"}};
    QElapsedTimer timer;
    timer.start();
    const auto expected = engine::compareRuns(store::RunStore(m_db), r);
    qInfo("compareRuns on %zu examples, 3 models: %lld ms", expected.examples, qint64(timer.elapsed()));

    const ui::MetricChart* chart = charts[1];
    for (int m = 0; m < 3; ++m) {
        // Bars are the stored scores (BLEU of the strings, written by initTestCase).
        QCOMPARE(chart->barSet()->at(m), panel.scores().value(size_t(m), "summarize", "bleu"));
        QVERIFY(std::abs(chart->barSet()->at(m) - expected.models[size_t(m)].score) < 1e-9);
        // Error bars span value ± the engine's 95% half-width.
        QVERIFY(chart->errorBar(m));
        QVERIFY2(std::abs(span(chart->errorBar(m)) / 2 - *expected.models[size_t(m)].ci) < 1e-9,
                 qPrintable(QString::number(span(chart->errorBar(m)) / 2)));
    }
    QVERIFY(std::abs(chart->barSet()->at(2) - bleu(kRunHyps)) < 1e-9);

    // Sentences: lora-a against the base, with the sign, the change and p.
    const double delta = bleu(kRunHyps) - bleu(kBaseHyps);
    QVERIFY(delta > 0);
    const double p = *expected.models[2].pValue;
    const QString text = chart->sentences()->text();
    const QString verb = p < 0.05 ? QString("lora-a (#1) beats base: tiny on BLEU by +%1").arg(QString::number(delta, 'g', 3))
                                  : QString("lora-a (#1) is not significantly different from base: tiny on BLEU (+%1")
                                        .arg(QString::number(delta, 'g', 3));
    QVERIFY2(text.contains(verb), qPrintable(text));
    const QString pText = p < 0.001 ? QString("p < 0.001") : QString("p = %1").arg(QString::number(p, 'f', 3));
    QVERIFY2(text.contains(pText), qPrintable(text));
    // The hostile run has the base's very outputs: p = 1, not different.
    QVERIFY2(text.contains(kHostile + " (#2) is not significantly different from base: tiny on BLEU (+0, p = 1.000)"),
             qPrintable(text));

    // Table: change against the baseline, the best bold.
    const auto* model = panel.tableModel();
    int bleuRow = -1;
    for (int row = 0; row < model->rowCount(); ++row)
        if (model->index(row, 1).data(EvaluationPanel::MetricRole).toString() == "bleu")
            bleuRow = row;
    QVERIFY(bleuRow >= 0);
    QVERIFY(std::abs(model->index(bleuRow, 4).data(EvaluationPanel::ChangeRole).toDouble() - delta) < 1e-9);
    QVERIFY(model->index(bleuRow, 4).data(Qt::FontRole).value<QFont>().bold());
    QVERIFY(!model->index(bleuRow, 2).data(Qt::FontRole).value<QFont>().bold());
    QCOMPARE(model->headerData(3, Qt::Horizontal, Qt::ToolTipRole).toString(), kHostile + " (#2)");

    // A dark palette: the charts follow it (background, error bars in the text colour).
    QPalette dark = panel.palette();
    dark.setColor(QPalette::Window, QColor(30, 30, 30));
    dark.setColor(QPalette::Base, QColor(20, 20, 20));
    dark.setColor(QPalette::Text, QColor(235, 235, 235));
    dark.setColor(QPalette::WindowText, QColor(235, 235, 235));
    panel.setPalette(dark);
    QCOMPARE(panel.charts()[1]->chartView()->chart()->backgroundBrush().color(), QColor(20, 20, 20));
    QCOMPARE(panel.charts()[1]->errorBar(2)->pen().color(), QColor(235, 235, 235));

    // Another baseline: lora-a. The base is now worse, and changes are against lora-a.
    panel.baselineCombo()->setCurrentIndex(2);
    QTRY_VERIFY(!panel.comparisonPending());
    QVERIFY(std::abs(model->index(bleuRow, 2).data(EvaluationPanel::ChangeRole).toDouble() + delta) < 1e-9);
    const QString after = panel.charts()[1]->sentences()->text();
    QVERIFY2(after.contains(QString("base: tiny is worse than lora-a (#1) on BLEU by -%1").arg(QString::number(delta, 'g', 3)))
                 || after.contains("base: tiny is not significantly different from lora-a (#1) on BLEU"),
             qPrintable(after));
}

void TestEvalCompare::htmlReportHoldsChartsTableAndSettings()
{
    EvaluationPanel panel(QString::fromStdString(m_db));
    panel.taskFilter()->setCurrentIndex(panel.taskFilter()->findData("summarize"));
    panel.setTestOptions(500, 7);
    QTRY_VERIFY(!panel.comparisonPending());
    const QString path = m_dir.filePath("report.html");
    QVERIFY(panel.exportHtml(path, true));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QString html = QString::fromUtf8(file.readAll());
    QVERIFY(html.startsWith("<!DOCTYPE html>"));
    QCOMPARE(int(html.count("<svg")), int(panel.charts().size()));
    QCOMPARE(int(html.count("class=\"errorbar\"")), 2 * 3); // every bar of both charts
    // Settings.
    QVERIFY(html.contains("<th>Suite</th><td>demo</td>"));
    QVERIFY(html.contains("<th>Task</th><td>summarize</td>"));
    QVERIFY(html.contains("<th>Baseline</th><td>base: tiny</td>"));
    QVERIFY(html.contains("<th>Test</th><td>Paired bootstrap</td>"));
    QVERIFY(html.contains("<th>Samples</th><td>500</td>"));
    QVERIFY(html.contains("<th>Seed</th><td>7</td>"));
    // Table values with their change, the best in bold.
    const QString runBleu = ui::formatScore(bleu(kRunHyps));
    const QString change = ui::formatChange(bleu(kRunHyps) - bleu(kBaseHyps));
    QVERIFY2(html.contains(QString("<td><b>%1 (%2)</b></td>").arg(runBleu, change)), qPrintable(runBleu + " " + change));
    QVERIFY(html.contains(QString("<td>%1</td>").arg(ui::formatScore(bleu(kBaseHyps)))));
    // Sentences.
    QVERIFY(html.contains("lora-a (#1)"));
    QVERIFY(html.contains("on BLEU"));
    // The hostile name only escaped, nowhere as markup.
    QVERIFY(!html.contains(kHostile));
    QVERIFY(html.contains("&lt;b&gt;x&lt;/b&gt;"));

    // The other exports still work: CSV unchanged in meaning, SVG with every chart.
    QVERIFY(panel.tableCsv().startsWith("Task,Metric,base: tiny," + kHostile + " (#2),lora-a (#1)\n"));
    const QString svgPath = m_dir.filePath("charts.svg");
    QVERIFY(panel.exportSvg(svgPath, true));
    QFile svg(svgPath);
    QVERIFY(svg.open(QIODevice::ReadOnly));
    const QString svgText = QString::fromUtf8(svg.readAll());
    QCOMPARE(int(svgText.count("<svg")), 1 + int(panel.charts().size()));
    QVERIFY(!svgText.contains(kHostile));
}

void TestEvalCompare::sentencesSayDirectionAndSignificance()
{
    // Perplexity: lower is better, so a drop is a win.
    ui::MetricChartData d;
    d.task = "lm";
    d.metric = "perplexity";
    d.labels = {"base", "run 3"};
    d.values = {20.0, 15.5};
    d.ci = {NAN, 0.4};
    d.pValues = {std::nullopt, 0.002};
    QVERIFY(!d.higherIsBetter());
    QCOMPARE(ui::directionText(d), QString("lower is better"));
    QCOMPARE(ui::significanceMarker(d, 1), QString("▲**"));
    QCOMPARE(ui::significanceSentences(d).value(0),
             QString("run 3 beats base on Perplexity by -4.5 (95% CI ±0.4, p = 0.002)."));
    d.values = {20.0, 20.3};
    d.pValues = {std::nullopt, 0.41};
    QCOMPARE(ui::significanceMarker(d, 1), QString());
    QCOMPARE(ui::significanceSentences(d).value(0),
             QString("run 3 is not significantly different from base on Perplexity (+0.3, p = 0.410)."));
    d.metric = "bleu";
    d.values = {30.0, 25.9};
    d.pValues = {std::nullopt, 0.0004};
    QCOMPARE(ui::significanceMarker(d, 1), QString("▼***"));
    QCOMPARE(ui::significanceSentences(d).value(0),
             QString("run 3 is worse than base on BLEU by -4.1 (95% CI ±0.4, p < 0.001)."));
}

QTEST_MAIN(TestEvalCompare)
#include "tst_eval_compare.moc"
