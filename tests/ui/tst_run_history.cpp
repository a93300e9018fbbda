// Run history with runs side by side, on a real SQLite run store filled by
// hand through RunStore: the runs table's numeric columns, the overlaid
// curves (by step, epoch and tokens seen; smoothed by hand-computed EMA; a
// resumed run's replayed steps), hovering, log scale, and the configuration
// diff. Expected values are the ones written into the store here, or worked
// out by hand in the comments.
#include "common/stored_results.h"
#include "store/run_store.h"
#include "ui/history/config_diff.h"
#include "ui/history/run_curves_view.h"
#include "ui/history/run_details_dialog.h"
#include "ui/history/run_history_panel.h"

#include <QChart>
#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLegend>
#include <QLineEdit>
#include <QLegendMarker>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardItemModel>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <vector>

using namespace tb;
using tb::ui::RunHistoryPanel;

namespace {

struct Point {
    int64_t step;
    double value;
};

void addSeries(store::RunStore& db, store::RunId run, const std::string& name, const std::vector<Point>& points)
{
    std::vector<store::MetricPoint> out;
    for (const auto& p : points)
        out.push_back({p.step, name, p.value, 0});
    db.appendMetrics(run, out);
}

store::RunId addRun(store::RunStore& db, const std::string& name, const std::string& config = "{}")
{
    return db.createRun({name, "/models/tiny", "lora", config});
}

// (x, y) of every point of a series.
std::vector<std::pair<double, double>> pointsOf(const QLineSeries* s)
{
    std::vector<std::pair<double, double>> out;
    for (const QPointF& p : s->points())
        out.emplace_back(p.x(), p.y());
    return out;
}

using Pairs = std::vector<std::pair<double, double>>;

void comparePoints(const QLineSeries* s, const Pairs& want)
{
    QVERIFY(s);
    const Pairs got = pointsOf(s);
    QCOMPARE(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
        QVERIFY2(std::abs(got[i].first - want[i].first) < 1e-9, qPrintable(QString("x of point %1").arg(i)));
        QVERIFY2(std::abs(got[i].second - want[i].second) < 1e-9,
                 qPrintable(QString("y of point %1: expected %2, found %3").arg(i).arg(want[i].second).arg(got[i].second)));
    }
}

} // namespace

class TestRunHistory : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QString dbPath() const { return m_dir.filePath("runs.sqlite"); }

    // Run "a" records epochs, tokens seen and a per-task validation loss; run "b" (older) does not.
    struct Fixture {
        store::RunId a = 0, b = 0;
    };
    Fixture twoRuns(store::RunStore& db)
    {
        Fixture f;
        f.a = addRun(db, "with-epochs");
        addSeries(db, f.a, "loss", {{1, 2.0}, {2, 1.5}, {3, 1.2}, {4, 1.0}});
        addSeries(db, f.a, "learning_rate", {{1, 0.0}, {2, 1e-3}, {3, 1e-3}, {4, 5e-4}});
        addSeries(db, f.a, "tokens_per_second", {{1, 100}, {2, 120}, {3, 110}, {4, 130}});
        addSeries(db, f.a, "epoch", {{1, 0.25}, {2, 0.5}, {3, 0.75}, {4, 1.0}});
        addSeries(db, f.a, "tokens_seen", {{1, 64}, {2, 128}, {3, 192}, {4, 256}});
        addSeries(db, f.a, "val_loss", {{2, 1.8}, {4, 1.4}});
        addSeries(db, f.a, "val_loss/qa", {{2, 2.2}, {4, 1.9}});
        f.b = addRun(db, "steps-only");
        addSeries(db, f.b, "loss", {{1, 3.0}, {2, 2.5}, {3, 2.0}});
        addSeries(db, f.b, "val_loss", {{3, 2.1}});
        return f;
    }

private Q_SLOTS:
    void init()
    {
        QVERIFY(m_dir.isValid());
        QFile::remove(dbPath());
    }

    void overlayShowsTheStoredPointsByStepEpochAndTokens()
    {
        store::RunStore db(dbPath().toStdString());
        const auto f = twoRuns(db);
        RunHistoryPanel panel(dbPath());
        auto* view = panel.curvesView();
        panel.selectRuns({f.a, f.b});
        QCOMPARE(panel.selectedRuns(), QList<qint64>({f.a, f.b}));
        view->setSmoothing(0);

        // One chart per quantity; the per-task validation loss gets its own.
        QCOMPARE(view->chartMetrics(),
                 QStringList({"loss", "val_loss", "learning_rate", "tokens_per_second", "val_loss/qa"}));
        comparePoints(view->series("loss", f.a), {{1, 2.0}, {2, 1.5}, {3, 1.2}, {4, 1.0}});
        comparePoints(view->series("loss", f.b), {{1, 3.0}, {2, 2.5}, {3, 2.0}});
        comparePoints(view->series("val_loss", f.a), {{2, 1.8}, {4, 1.4}});
        comparePoints(view->series("val_loss", f.b), {{3, 2.1}});
        comparePoints(view->series("tokens_per_second", f.a), {{1, 100}, {2, 120}, {3, 110}, {4, 130}});
        comparePoints(view->series("val_loss/qa", f.a), {{2, 2.2}, {4, 1.9}});
        QVERIFY(!view->series("val_loss/qa", f.b));
        QVERIFY(!view->rawSeries("loss", f.a)); // no faint copy without smoothing

        // One colour per run, the same in every chart; the legend names id and name.
        QCOMPARE(view->series("val_loss", f.a)->color(), view->series("loss", f.a)->color());
        QCOMPARE(view->series("val_loss", f.b)->color(), view->series("loss", f.b)->color());
        QVERIFY(view->series("loss", f.a)->color() != view->series("loss", f.b)->color());
        QCOMPARE(view->series("loss", f.a)->name(), QString("#%1 with-epochs").arg(f.a));

        // Run b stores no epochs or tokens: those axes are refused, with the reason on the item.
        QVERIFY(!view->isXAxisAvailable(ui::XAxis::Epoch));
        QVERIFY(!view->isXAxisAvailable(ui::XAxis::TokensSeen));
        auto* combo = view->xAxisCombo();
        auto* model = qobject_cast<QStandardItemModel*>(combo->model());
        QVERIFY(!model->item(1)->isEnabled());
        QVERIFY(combo->itemData(1, Qt::ToolTipRole).toString().contains(QString::number(f.b)));
        view->setXAxis(ui::XAxis::Epoch);
        QCOMPARE(view->xAxis(), ui::XAxis::Step);

        // Run a alone: by epoch, each point sits at the epoch stored for its step.
        panel.selectRuns({f.a});
        QVERIFY(view->isXAxisAvailable(ui::XAxis::Epoch));
        view->setXAxis(ui::XAxis::Epoch);
        QCOMPARE(view->xAxis(), ui::XAxis::Epoch);
        comparePoints(view->series("loss", f.a), {{0.25, 2.0}, {0.5, 1.5}, {0.75, 1.2}, {1.0, 1.0}});
        comparePoints(view->series("val_loss", f.a), {{0.5, 1.8}, {1.0, 1.4}});
        view->setXAxis(ui::XAxis::TokensSeen);
        comparePoints(view->series("loss", f.a), {{64, 2.0}, {128, 1.5}, {192, 1.2}, {256, 1.0}});
        comparePoints(view->series("val_loss/qa", f.a), {{128, 2.2}, {256, 1.9}});

        // Adding run b back falls back to steps.
        panel.selectRuns({f.a, f.b});
        QCOMPARE(view->xAxis(), ui::XAxis::Step);
        comparePoints(view->series("val_loss", f.a), {{2, 1.8}, {4, 1.4}});
    }

    void aResumedRunShowsItsWholeHistoryWithTheLastValuePerStep()
    {
        store::RunStore db(dbPath().toStdString());
        const auto run = addRun(db, "resumed");
        addSeries(db, run, "loss", {{1, 4.0}, {2, 3.0}, {3, 2.5}});
        // Resumed from the checkpoint at step 2: step 3 is trained again, then 4.
        addSeries(db, run, "loss", {{3, 2.4}, {4, 2.2}});
        RunHistoryPanel panel(dbPath());
        panel.selectRun(run);
        panel.curvesView()->setSmoothing(0);
        comparePoints(panel.curvesView()->series("loss", run), {{1, 4.0}, {2, 3.0}, {3, 2.4}, {4, 2.2}});
        QCOMPARE(panel.table()->item(0, RunHistoryPanel::ColSteps)->text(), QString("4"));
    }

    void smoothingIsTensorBoardsDebiasedAverageWithTheRawCurveBehind()
    {
        store::RunStore db(dbPath().toStdString());
        const auto run = addRun(db, "smooth");
        const double nan = std::numeric_limits<double>::quiet_NaN();
        addSeries(db, run, "loss", {{1, 1}, {2, 2}, {3, 3}});
        addSeries(db, run, "tokens_per_second", {{1, 1}, {2, nan}, {3, 3}});
        RunHistoryPanel panel(dbPath());
        panel.selectRun(run);
        auto* view = panel.curvesView();
        view->setSmoothing(0.5);
        QCOMPARE(view->smoothing(), 0.5);
        // w = 0.5: last = 0.5*last + 0.5*v, divided by 1 - 0.5^n:
        //   1: 0.5 / 0.5 = 1;  2: (0.25 + 1) / 0.75 = 5/3;  3: (0.625 + 1.5) / 0.875 = 17/7
        comparePoints(view->series("loss", run), {{1, 1.0}, {2, 5.0 / 3.0}, {3, 17.0 / 7.0}});
        comparePoints(view->rawSeries("loss", run), {{1, 1}, {2, 2}, {3, 3}});
        QVERIFY(view->rawSeries("loss", run)->color().alphaF() < 0.5); // faint behind
        QCOMPARE(view->rawSeries("loss", run)->color().rgb(), view->series("loss", run)->color().rgb());
        // The raw line has no legend entry of its own.
        for (auto* marker : view->chart("loss")->legend()->markers(view->rawSeries("loss", run)))
            QVERIFY(!marker->isVisible());

        // NaN passes through: it is not drawn and does not poison the average:
        //   1: 1;  NaN: skipped;  3: (0.25 + 1.5) / (1 - 0.5^2) = 1.75 / 0.75 = 7/3
        comparePoints(view->series("tokens_per_second", run), {{1, 1.0}, {3, 7.0 / 3.0}});
        comparePoints(view->rawSeries("tokens_per_second", run), {{1, 1}, {3, 3}});
    }

    void hoverShowsRunStepAndValue()
    {
        store::RunStore db(dbPath().toStdString());
        const auto run = addRun(db, "hover");
        addSeries(db, run, "loss", {{10, 0.75}, {20, 0.5}});
        RunHistoryPanel panel(dbPath());
        panel.selectRun(run);
        auto* view = panel.curvesView();
        view->setSmoothing(0);
        Q_EMIT view->series("loss", run)->hovered(QPointF(19.2, 0.52), true); // nearest stored point: step 20
        const QString text = view->hoverLabel()->text();
        QVERIFY2(text.contains(QString("#%1 hover").arg(run)), qPrintable(text));
        QVERIFY2(text.contains("step 20"), qPrintable(text));
        QVERIFY2(text.contains("0.5"), qPrintable(text));
        QVERIFY2(!text.contains("0.75"), qPrintable(text));
    }

    void logScaleUsesALogAxisAndDropsNonPositiveValues()
    {
        store::RunStore db(dbPath().toStdString());
        const auto f = twoRuns(db);
        RunHistoryPanel panel(dbPath());
        panel.selectRun(f.a);
        auto* view = panel.curvesView();
        view->setSmoothing(0);
        view->setLogScale(true);
        auto* chart = view->chart("learning_rate");
        QVERIFY(qobject_cast<QLogValueAxis*>(chart->axes(Qt::Vertical).value(0)));
        // The warm-up's learning rate 0 at step 1 cannot be drawn on a log axis.
        comparePoints(view->series("learning_rate", f.a), {{2, 1e-3}, {3, 1e-3}, {4, 5e-4}});
        view->setLogScale(false);
        QVERIFY(!qobject_cast<QLogValueAxis*>(view->chart("learning_rate")->axes(Qt::Vertical).value(0)));
        QCOMPARE(view->series("learning_rate", f.a)->count(), 4);
    }

    void runsTableShowsDurationStepsLossesShareAndScores()
    {
        store::RunStore db(dbPath().toStdString());
        const auto f = twoRuns(db);
        db.setStatus(f.a, store::RunStatus::Running);
        QTest::qWait(20);
        db.setStatus(f.a, store::RunStatus::Completed);
        store::Artifact adapter;
        adapter.run = f.a;
        adapter.kind = "adapter";
        adapter.path = "/runs/a/adapter";
        adapter.metadataJson = R"({"trainable_parameters": 2500, "total_parameters": 100000})"; // 2.5 %
        db.addArtifact(adapter);
        // Two evaluations of task "qa": the newer one counts, judged by the metric it asked for (bleu).
        auto evaluate = [&](int64_t createdAt, double bleu) {
            test::StoredTask t{f.a, "/models/tiny", "suite", "qa", "generate", {{"bleu", bleu}, {"rougeL", 0.25}}};
            t.createdAt = createdAt;
            t.settingsJson = R"({"metrics": ["bleu"]})";
            test::storeTask(db, t);
        };
        evaluate(1000, 10.0);
        evaluate(2000, 12.5);
        const auto stored = db.run(f.a);

        RunHistoryPanel panel(dbPath());
        auto* table = panel.table();
        QCOMPARE(table->columnCount(), int(RunHistoryPanel::ColumnCount));
        const int row = table->item(0, RunHistoryPanel::ColId)->data(Qt::DisplayRole).toLongLong() == f.a ? 0 : 1;
        const int other = 1 - row;
        auto cell = [&](int r, int column) { return table->item(r, column); };
        QCOMPARE(cell(row, RunHistoryPanel::ColName)->text(), QString("with-epochs"));
        QCOMPARE(cell(row, RunHistoryPanel::ColDuration)->data(Qt::UserRole).toDouble(),
                 double(stored.finishedAt - stored.startedAt) / 1000.0);
        QVERIFY(stored.finishedAt - stored.startedAt >= 20);
        QCOMPARE(cell(row, RunHistoryPanel::ColSteps)->data(Qt::UserRole).toDouble(), 4.0);
        QCOMPARE(cell(row, RunHistoryPanel::ColBestValLoss)->data(Qt::UserRole).toDouble(), 1.4);
        QCOMPARE(cell(row, RunHistoryPanel::ColBestValLoss)->text(), QString("1.4000"));
        QCOMPARE(cell(row, RunHistoryPanel::ColFinalValLoss)->data(Qt::UserRole).toDouble(), 1.4);
        QCOMPARE(cell(row, RunHistoryPanel::ColTrainable)->data(Qt::UserRole).toDouble(), 2.5);
        QCOMPARE(cell(row, RunHistoryPanel::ColScores)->text(), QString("qa: 12.5"));
        // Run b: never started (no duration), 3 steps, one validation, no saved adapter, no evaluation.
        QVERIFY(cell(other, RunHistoryPanel::ColDuration)->text().isEmpty());
        QCOMPARE(cell(other, RunHistoryPanel::ColSteps)->text(), QString("3"));
        QCOMPARE(cell(other, RunHistoryPanel::ColBestValLoss)->data(Qt::UserRole).toDouble(), 2.1);
        QCOMPARE(cell(other, RunHistoryPanel::ColFinalValLoss)->data(Qt::UserRole).toDouble(), 2.1);
        QVERIFY(cell(other, RunHistoryPanel::ColTrainable)->text().isEmpty());
        QVERIFY(cell(other, RunHistoryPanel::ColScores)->text().isEmpty());
    }

    void bestAndFinalValidationLossDifferWhenTheLastIsNotTheBest()
    {
        store::RunStore db(dbPath().toStdString());
        const auto run = addRun(db, "overfits");
        addSeries(db, run, "val_loss", {{10, 1.5}, {20, 1.1}, {30, 1.3}});
        RunHistoryPanel panel(dbPath());
        QCOMPARE(panel.table()->item(0, RunHistoryPanel::ColBestValLoss)->data(Qt::UserRole).toDouble(), 1.1);
        QCOMPARE(panel.table()->item(0, RunHistoryPanel::ColFinalValLoss)->data(Qt::UserRole).toDouble(), 1.3);
    }

    void numericColumnsSortByNumber()
    {
        store::RunStore db(dbPath().toStdString());
        // As text "100" < "20" < "3"; as numbers 3 < 20 < 100.
        for (const int steps : {20, 100, 3}) {
            const auto run = addRun(db, "steps-" + std::to_string(steps));
            addSeries(db, run, "loss", {{steps, 1.0}});
        }
        RunHistoryPanel panel(dbPath());
        auto* table = panel.table();
        table->sortItems(RunHistoryPanel::ColSteps, Qt::AscendingOrder);
        QStringList order;
        for (int row = 0; row < table->rowCount(); ++row)
            order << table->item(row, RunHistoryPanel::ColSteps)->text();
        QCOMPARE(order, QStringList({"3", "20", "100"}));
        table->sortItems(RunHistoryPanel::ColSteps, Qt::DescendingOrder);
        QCOMPARE(table->item(0, RunHistoryPanel::ColName)->text(), QString("steps-100"));
    }

    void configDiffListsTheDifferingKeys()
    {
        store::RunStore db(dbPath().toStdString());
        const auto a = addRun(db, "a", R"({"name": "a", "method": {"method": "lora", "rank": 8},
                                           "training": {"learning_rate": 0.001, "epochs": 1}})");
        const auto b = addRun(db, "b", R"({"name": "b", "method": {"method": "lora", "rank": 16},
                                           "training": {"learning_rate": 0.0002, "epochs": 1}, "seed": 3})");
        RunHistoryPanel panel(dbPath());
        panel.selectRuns({a, b});
        auto* diff = panel.configDiffView();
        QVERIFY(diff->differencesOnly()->isChecked()); // on by default
        QCOMPARE(diff->shownKeys(), QStringList({"method.rank", "name", "seed", "training.learning_rate"}));
        auto* table = diff->table();
        QCOMPARE(table->columnCount(), 2);
        QCOMPARE(table->horizontalHeaderItem(0)->text(), QString("#%1 a").arg(a));
        // Row "method.rank": 8 vs 16, the second run's cell marked as changed.
        QCOMPARE(table->item(0, 0)->text(), QString("8"));
        QCOMPARE(table->item(0, 1)->text(), QString("16"));
        QVERIFY(!table->item(0, 0)->data(Qt::UserRole).toBool());
        QVERIFY(table->item(0, 1)->data(Qt::UserRole).toBool());
        // "seed" only in b: a's cell says so.
        QCOMPARE(table->item(2, 0)->text(), QString("(not set)"));
        QCOMPARE(table->item(2, 1)->text(), QString("3"));

        diff->differencesOnly()->setChecked(false);
        QCOMPARE(diff->shownKeys(), QStringList({"method.method", "method.rank", "name", "seed", "training.epochs",
                                                 "training.learning_rate"}));
        QCOMPARE(table->item(0, 0)->text(), QString("lora"));
        QVERIFY(!table->item(0, 1)->data(Qt::UserRole).toBool());

        // One run selected: nothing to compare.
        panel.selectRun(a);
        QCOMPARE(table->rowCount(), 0);
    }

    void aSelectionMadeInTheTableReachesTheCurvesOnceItSettles()
    {
        store::RunStore db(dbPath().toStdString());
        const auto f = twoRuns(db);
        RunHistoryPanel panel(dbPath());
        auto* table = panel.table();
        // As a Ctrl+click would: add each row to the selection through the view's model.
        for (int row = 0; row < table->rowCount(); ++row)
            table->selectionModel()->select(table->model()->index(row, 0),
                                            QItemSelectionModel::Select | QItemSelectionModel::Rows);
        QTRY_VERIFY(panel.curvesView()->series("loss", f.a) && panel.curvesView()->series("loss", f.b));
        QCOMPARE(panel.configDiffView()->table()->columnCount(), 2);
    }

    void atMostTenRunsAreOverlaidWithANote()
    {
        store::RunStore db(dbPath().toStdString());
        QList<qint64> ids;
        for (int i = 0; i < RunHistoryPanel::kMaxComparedRuns + 1; ++i) {
            ids << addRun(db, "run-" + std::to_string(i));
            addSeries(db, ids.back(), "loss", {{1, 1.0 + i}});
        }
        RunHistoryPanel panel(dbPath());
        panel.selectRuns(ids);
        auto* view = panel.curvesView();
        for (int i = 0; i < RunHistoryPanel::kMaxComparedRuns; ++i)
            QVERIFY(view->series("loss", ids[i]));
        QVERIFY(!view->series("loss", ids.back())); // the highest id is left out
        auto* note = view->findChild<QLabel*>("curvesNote");
        QVERIFY(!note->isHidden());
        QVERIFY(note->text().contains("11"));
    }

    void singleRunActionsActOnTheSelectedRun()
    {
        store::RunStore db(dbPath().toStdString());
        const std::string config = R"({"name": "stopped", "training": {"epochs": 2}})";
        const auto stopped = addRun(db, "stopped", config);
        db.setStatus(stopped, store::RunStatus::Running);
        db.setStatus(stopped, store::RunStatus::Cancelled);
        addRun(db, "other");
        RunHistoryPanel panel(dbPath());
        panel.selectRun(stopped);
        QCOMPARE(panel.selectedRun(), stopped);
        auto* resume = panel.findChild<QPushButton*>("resumeRunButton");
        QVERIFY(resume->isEnabled()); // cancelled: it can continue
        QSignalSpy resumed(&panel, &RunHistoryPanel::resumeRequested);
        QTest::mouseClick(resume, Qt::LeftButton);
        QCOMPARE(resumed.size(), 1);
        QCOMPARE(resumed.at(0).at(0).toLongLong(), stopped);
        QSignalSpy cloned(&panel, &RunHistoryPanel::cloneRequested);
        QTest::mouseClick(panel.findChild<QPushButton*>("cloneRunButton"), Qt::LeftButton);
        QCOMPARE(cloned.size(), 1);
        QCOMPARE(nlohmann::json::parse(cloned.at(0).at(0).toString().toStdString()), nlohmann::json::parse(config));
        auto* details = panel.openSelected();
        QVERIFY(details);
        QCOMPARE(details->runId(), stopped);
        details->close();
    }

    void severalSelectedRunsKeepTheTableActionsWorking()
    {
        store::RunStore db(dbPath().toStdString());
        const auto f = twoRuns(db);
        RunHistoryPanel panel(dbPath());
        auto* open = panel.findChild<QPushButton*>("openRunButton");
        auto* del = panel.findChild<QPushButton*>("deleteRunButton");
        panel.selectRuns({f.a, f.b});
        QVERIFY(!open->isEnabled()); // single-run actions need one run
        QVERIFY(del->isEnabled());
        // A rename elsewhere and a refresh keep the selection and its comparison.
        db.renameRun(f.b, "renamed");
        panel.refresh();
        QCOMPARE(panel.selectedRuns(), QList<qint64>({f.a, f.b}));
        QCOMPARE(panel.curvesView()->series("loss", f.b)->name(), QString("#%1 renamed").arg(f.b));
        panel.selectRun(f.a);
        QCOMPARE(panel.selectedRun(), f.a);
        QVERIFY(open->isEnabled());
        // The filter narrows the table; the comparison follows what stays selected.
        panel.findChild<QLineEdit*>()->setText("renamed");
        QCOMPARE(panel.table()->rowCount(), 1);
        QVERIFY(panel.selectedRuns().isEmpty());
    }
};

QTEST_MAIN(TestRunHistory)
#include "tst_run_history.moc"
