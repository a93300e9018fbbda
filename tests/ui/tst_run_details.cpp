// Run details, "What it learned": real tiny runs (LoRA, adapter, prompt
// tuning, full) are trained here, the dialog measures them on its own
// thread, and every number it shows is checked against engine::inspectRun
// called by the test itself; colours against a WCAG contrast computed here.
#include "common/tiny_model.h"

#include "common/error.h"
#include "data/csv.h"
#include "engine/run_inspection.h"
#include "engine/run_job.h"
#include "io/atomic_file.h"
#include "store/run_store.h"
#include "ui/common/theme.h"
#include "ui/history/inspection_job.h"
#include "ui/history/inspection_view.h"
#include "ui/history/run_details_dialog.h"
#include "ui/history/update_heatmap.h"

#include <nlohmann/json.hpp>

#include <QAbstractButton>
#include <QGroupBox>
#include <QLabel>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <future>
#include <memory>
#include <thread>

using namespace tb;
using nlohmann::json;

namespace {

struct Quiet : engine::JobObserver {};

// A tiny Llama (2 layers, hidden 32) trained 4 steps on 24 "upper-case"
// records, as tests/train/tst_inspect.cpp does; returns the run id.
int trainedRuns = 0;

int64_t trainRun(const QTemporaryDir& dir, const std::string& base, const std::string& db, const json& method)
{
    std::string lines;
    for (int i = 0; i < 24; ++i) {
        const std::string word = std::string(1, char('a' + i)) + "xy" + std::to_string(i);
        std::string out = word;
        for (auto& ch : out)
            ch = static_cast<char>(std::toupper(ch));
        lines += json({{"instruction", "Upper-case the word."}, {"input", word}, {"output", out}}).dump() + "\n";
    }
    const std::string data = dir.filePath("train.jsonl").toStdString();
    io::writeFileAtomic(data, lines);
    const std::string name = "details-" + method.at("method").get<std::string>();
    // A folder per run: the engine refuses one that holds another run's files.
    const std::string folder = dir.filePath(QString::fromStdString(name + "-" + std::to_string(++trainedRuns))).toStdString();
    const json j = {{"name", name},
                    {"model", base},
                    {"output_dir", folder},
                    {"data", {{"train", {data}}, {"validation_fraction", 0.0}, {"template", "plain"}, {"max_length", 64}}},
                    {"method", method},
                    {"training", {{"max_steps", 4}, {"batch_size", 4}, {"learning_rate", 2e-2}, {"seed", 5}}}};
    RunControl control;
    Quiet quiet;
    const auto r = engine::runJob(train::parseRunConfig(j, "RUN.json"), {db, std::nullopt}, quiet, control);
    if (r.train.status != train::TrainStatus::Completed)
        throw Error("test run failed: " + r.train.error);
    return r.runId;
}

// WCAG 2 contrast ratio, https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio
double contrastRatio(const QColor& a, const QColor& b)
{
    const auto lum = [](const QColor& c) {
        const auto lin = [](double v) { return v <= 0.03928 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4); };
        return 0.2126 * lin(c.redF()) + 0.7152 * lin(c.greenF()) + 0.0722 * lin(c.blueF());
    };
    const double x = lum(a), y = lum(b);
    return (std::max(x, y) + 0.05) / (std::min(x, y) + 0.05);
}

bool sameColour(const QColor& a, const QColor& b, int tolerance = 3)
{
    return std::abs(a.red() - b.red()) <= tolerance && std::abs(a.green() - b.green()) <= tolerance &&
           std::abs(a.blue() - b.blue()) <= tolerance;
}

struct Opened {
    std::unique_ptr<ui::RunDetailsDialog> dialog;
    ui::InspectionView* view = nullptr;
    bool ok = false;
    QString messageRightAfterShow;
    bool resultRightAfterShow = true;
};

// TB_SCREENSHOTS=DIR keeps a picture of the tab, for a person to look at.
void keepScreenshot(QWidget* w, const QString& name)
{
    const QString dir = qEnvironmentVariable("TB_SCREENSHOTS");
    if (!dir.isEmpty())
        w->grab().save(dir + QLatin1Char('/') + name + QStringLiteral(".png"));
}

// Opens Run details on the "What it learned" tab and waits for the measurement.
Opened openAndMeasure(const std::string& db, int64_t runId)
{
    Opened o;
    o.dialog = std::make_unique<ui::RunDetailsDialog>(QString::fromStdString(db), runId);
    o.dialog->setAttribute(Qt::WA_DeleteOnClose, false);
    o.view = o.dialog->inspectionView();
    QSignalSpy measured(o.view, &ui::InspectionView::measured);
    o.dialog->show();
    o.dialog->tabs()->setCurrentWidget(o.view); // showing the tab starts the measurement
    o.messageRightAfterShow = o.view->messageLabel()->text();
    o.resultRightAfterShow = o.view->hasInspection();
    if (measured.wait(120000))
        o.ok = measured.at(0).at(0).toBool();
    return o;
}

} // namespace

class TestRunDetails : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    std::string m_base, m_db;

private Q_SLOTS:
    void initTestCase()
    {
        torch::set_num_threads(1);
        QVERIFY(m_dir.isValid());
        m_base = tbtest::makeTinyModel(m_dir.filePath("base").toStdString());
        m_db = m_dir.filePath("runs.sqlite").toStdString();
    }

    void theTabIsCalledWhatItLearned()
    {
        const auto id = trainRun(m_dir, m_base, m_db, {{"method", "lora"}});
        ui::RunDetailsDialog dialog(QString::fromStdString(m_db), id);
        dialog.setAttribute(Qt::WA_DeleteOnClose, false);
        const int at = dialog.tabs()->indexOf(dialog.inspectionView());
        QVERIFY(at >= 0);
        QCOMPARE(dialog.tabs()->tabText(at).remove(QLatin1Char('&')), QString("What it learned"));
        // Not measured until the tab is shown: loading weights is not free.
        QVERIFY(!dialog.inspectionView()->isMeasuring());
    }

    void loraHeatmapShowsInspectRunsNorms()
    {
        const auto id = trainRun(m_dir, m_base, m_db,
                                 {{"method", "lora"},
                                  {"lora", {{"rank", 4}, {"alpha", 8}, {"dropout", 0.0},
                                            {"targets", {"q_proj", "k_proj", "v_proj", "o_proj"}}}}});
        const auto o = openAndMeasure(m_db, id);
        // Nothing is measured on the GUI thread: right after showing, the tab only says so.
        QCOMPARE(o.messageRightAfterShow, QString("Measuring…"));
        QVERIFY(!o.resultRightAfterShow);
        QVERIFY(o.ok);

        const auto want = engine::inspectRun(store::RunStore(m_db), id);
        QCOMPARE(want.lora.size(), size_t(8));
        auto* map = o.view->heatmap();
        QVERIFY(o.view->loraSection()->isVisibleTo(o.view));
        QVERIFY(!o.view->adapterSection()->isVisibleTo(o.view));
        QCOMPARE(map->rowCount(), 2);
        for (int r = 0; r < 2; ++r) {
            QCOMPARE(map->rowLayer(r), qint64(r));
            QVERIFY(map->rowLabel(r).contains(QString::number(r)));
        }
        const QStringList projections{"q_proj", "k_proj", "v_proj", "o_proj"};
        QCOMPARE(map->columnCount(), 4);
        for (int c = 0; c < 4; ++c)
            QCOMPARE(map->columnLabel(c), projections[c]);

        double top = 0, topRatio = 0;
        for (const auto& u : want.lora) {
            const int r = static_cast<int>(u.layer), c = static_cast<int>(projections.indexOf(QString::fromStdString(u.projection)));
            QVERIFY(c >= 0);
            QCOMPARE(QString::fromStdString(map->updateAt(r, c)->path), QString::fromStdString(u.path));
            QVERIFY(u.updateNorm > 0);
            QCOMPARE(map->value(r, c), u.updateNorm);
            // The label: the value to three significant digits.
            const double shown = map->locale().toDouble(map->cellText(r, c));
            QVERIFY2(std::abs(shown - u.updateNorm) <= 0.005 * u.updateNorm, qPrintable(map->cellText(r, c)));
            const QString tip = map->cellToolTip(r, c);
            QVERIFY2(tip.contains(QString::fromStdString(u.path)), qPrintable(tip));
            QVERIFY2(tip.contains(map->locale().toString(u.weightNorm, 'g', 6)), qPrintable(tip));
            top = std::max(top, u.updateNorm);
            topRatio = std::max(topRatio, u.ratio);
        }
        QCOMPARE(map->scaleMaximum(), top);

        // Relative to ‖W‖: values become the ratios, labels percentages.
        o.view->relativeButton()->click();
        QCOMPARE(map->scale(), ui::UpdateHeatmap::Scale::Relative);
        for (const auto& u : want.lora) {
            const int r = static_cast<int>(u.layer), c = static_cast<int>(projections.indexOf(QString::fromStdString(u.projection)));
            QCOMPARE(map->value(r, c), u.ratio);
            QString text = map->cellText(r, c);
            QVERIFY2(text.endsWith('%'), qPrintable(text));
            text.chop(1);
            QVERIFY2(std::abs(map->locale().toDouble(text) / 100 - u.ratio) <= 0.005 * u.ratio, qPrintable(text));
        }
        QCOMPARE(map->scaleMaximum(), topRatio);

        // Colours follow the palette, every label stays readable, and what is
        // painted is what cellColor says.
        for (const QPalette& palette : {ui::lightPalette(), ui::darkPalette()}) {
            o.dialog->setPalette(palette);
            keepScreenshot(o.dialog.get(), ui::isDark(palette) ? "lora-dark" : "lora-light");
            QCOMPARE(map->palette().color(QPalette::Base), palette.color(QPalette::Base));
            const QImage image = map->grab().toImage();
            const qreal dpr = image.devicePixelRatio();
            for (int r = 0; r < map->rowCount(); ++r)
                for (int c = 0; c < map->columnCount(); ++c) {
                    const double ratio = contrastRatio(map->cellColor(r, c), map->textColor(r, c));
                    QVERIFY2(ratio >= 4.5, qPrintable(QString("cell %1,%2: contrast %3").arg(r).arg(c).arg(ratio)));
                    const QPoint corner = (map->cellRect(r, c).topLeft() + QPoint(2, 2)) * dpr;
                    QVERIFY(sameColour(image.pixelColor(corner), map->cellColor(r, c)));
                }
            // The scale starts at the palette's Base colour: "no update" looks like the background.
            const QRect bar = map->legendRect();
            QVERIFY(sameColour(image.pixelColor(QPoint(bar.left() + 2, bar.center().y()) * dpr),
                               palette.color(QPalette::Base), 8));
            // The largest update is the cell furthest from Base.
            double farthest = 0;
            int far = -1;
            for (int r = 0; r < map->rowCount(); ++r)
                for (int c = 0; c < map->columnCount(); ++c) {
                    const double d = contrastRatio(map->cellColor(r, c), palette.color(QPalette::Base));
                    if (d > farthest) {
                        farthest = d;
                        far = r * 4 + c;
                    }
                }
            QVERIFY(map->value(far / 4, far % 4) >= 0.99 * topRatio);
        }

        // Export: read back with the project's CSV reader, every norm to 17 digits.
        const QString csvPath = m_dir.filePath("lora-inspection.csv");
        QString error;
        QVERIFY2(o.view->exportCsv(csvPath, &error), qPrintable(error));
        const auto rows = data::parseCsv(io::readFile(csvPath.toStdString()), "export");
        QCOMPARE(rows.front().fields,
                 (std::vector<std::string>{"section", "module", "layer", "measure", "value", "token_id", "token_text"}));
        QCOMPARE(rows.size(), 1 + 3 * want.lora.size());
        for (const auto& u : want.lora) {
            const auto row = std::find_if(rows.begin(), rows.end(), [&](const data::CsvRow& x) {
                return x.fields[0] == "lora" && x.fields[1] == u.path && x.fields[3] == "update_norm";
            });
            QVERIFY(row != rows.end());
            QCOMPARE(row->fields[2], std::to_string(u.layer));
            QCOMPARE(std::stod(row->fields[4]), u.updateNorm);
        }
        QVERIFY(!o.view->exportCsv(m_dir.filePath("no/such/folder/x.csv"), &error));
        QVERIFY(!error.isEmpty());
    }

    void adapterTableListsUpAndDownNormsPerLayer()
    {
        const auto id = trainRun(m_dir, m_base, m_db, {{"method", "adapter"}, {"adapter", {{"size", 8}}}});
        const auto o = openAndMeasure(m_db, id);
        QVERIFY(o.ok);
        const auto want = engine::inspectRun(store::RunStore(m_db), id);
        auto* table = o.view->adapterTable();
        QVERIFY(o.view->adapterSection()->isVisibleTo(o.view));
        QVERIFY(!o.view->loraSection()->isVisibleTo(o.view));
        QCOMPARE(size_t(table->rowCount()), want.adapters.size());
        for (int r = 0; r < table->rowCount(); ++r) {
            const auto& a = want.adapters[size_t(r)];
            QCOMPARE(table->item(r, 0)->text(), QString::fromStdString(a.path));
            QCOMPARE(table->item(r, 1)->data(Qt::DisplayRole).toLongLong(), qlonglong(a.layer));
            QVERIFY(a.upNorm > 0);
            QCOMPARE(table->item(r, 2)->data(Qt::DisplayRole).toDouble(), a.upNorm);
            QCOMPARE(table->item(r, 3)->data(Qt::DisplayRole).toDouble(), a.downNorm);
        }
    }

    void promptTableShowsEachVirtualTokensNearestTokens()
    {
        const auto id = trainRun(m_dir, m_base, m_db,
                                 {{"method", "prompt_tuning"}, {"prompt_tuning", {{"num_virtual_tokens", 3}}}});
        const auto o = openAndMeasure(m_db, id);
        QVERIFY(o.ok);
        const auto want = engine::inspectRun(store::RunStore(m_db), id, 5);
        auto* table = o.view->promptTable();
        QVERIFY(o.view->promptSection()->isVisibleTo(o.view));
        QCOMPARE(table->rowCount(), 3);
        QCOMPARE(table->columnCount(), 2 + 5);
        QCOMPARE(table->horizontalHeaderItem(2)->text(), QString("Nearest 1"));
        keepScreenshot(o.dialog.get(), "prompt");
        for (int r = 0; r < 3; ++r) {
            const auto& v = want.prompt[size_t(r)];
            QCOMPARE(table->item(r, 0)->data(Qt::DisplayRole).toLongLong(), qlonglong(r));
            QCOMPARE(table->item(r, 1)->data(Qt::DisplayRole).toDouble(), v.norm);
            QCOMPARE(v.nearest.size(), size_t(5));
            for (int k = 0; k < 5; ++k) {
                const auto& t = v.nearest[size_t(k)];
                const auto* cell = table->item(r, 2 + k);
                QVERIFY2(cell->toolTip().contains(QString("token %1,").arg(t.id)), qPrintable(cell->toolTip()));
                // The token between quotes, in a bidi isolate (U+2068 … U+2069).
                if (t.text.find_first_of("\n\t") == std::string::npos)
                    QVERIFY2(cell->text().startsWith(QString("\"\u2068%1\u2069\"").arg(QString::fromStdString(t.text))),
                             qPrintable(cell->text()));
                QVERIFY2(cell->text().endsWith(table->locale().toString(t.similarity, 'f', 3)), qPrintable(cell->text()));
            }
        }
    }

    void fullRunListsTheTensorsThatMovedMost()
    {
        const auto id = trainRun(m_dir, m_base, m_db, {{"method", "full"}});
        const auto o = openAndMeasure(m_db, id);
        QVERIFY(o.ok);
        const auto want = engine::inspectRun(store::RunStore(m_db), id);
        auto* table = o.view->changesTable();
        QVERIFY(o.view->changesSection()->isVisibleTo(o.view));
        QCOMPARE(size_t(table->rowCount()), want.changes.size());
        QVERIFY(table->rowCount() > 0);
        for (int r = 0; r < table->rowCount(); ++r) {
            const auto& c = want.changes[size_t(r)];
            QCOMPARE(table->item(r, 0)->text(), QString::fromStdString(c.name));
            QCOMPARE(table->item(r, 2)->data(Qt::DisplayRole).toDouble(), c.relative);
            QCOMPARE(table->item(r, 3)->data(Qt::DisplayRole).toDouble(), c.changeNorm);
        }
    }

    void aRunThatSavedNothingSaysSoInTheTab()
    {
        const std::string db = m_dir.filePath("empty.sqlite").toStdString();
        int64_t id = 0;
        {
            store::RunStore store(db);
            store::NewRun n;
            n.name = "never-ran";
            n.baseModel = "/nowhere";
            n.method = "lora";
            n.configJson = json({{"name", "never-ran"}, {"model", "/nowhere"}, {"data", {{"train", {"/x.jsonl"}}}}}).dump();
            id = store.createRun(n);
        }
        const auto o = openAndMeasure(db, id);
        QVERIFY(!o.ok);
        const QString message = o.view->messageLabel()->text();
        QVERIFY2(message.contains("run " + QString::number(id)) && message.contains("saved no weights"), qPrintable(message));
        QVERIFY(o.view->messageLabel()->isVisibleTo(o.view));
        QVERIFY(!o.view->heatmap()->isVisibleTo(o.view));
        QVERIFY(!o.view->hasInspection());
        keepScreenshot(o.dialog.get(), "no-weights");
        QString error;
        QVERIFY(!o.view->exportCsv(m_dir.filePath("nothing.csv"), &error));
    }

    void theEventLoopKeepsTurningWhileMeasuring()
    {
        // The measurement waits for the GUI thread to turn 20 heartbeats: it
        // can only get them if it runs on another thread.
        const auto id = trainRun(m_dir, m_base, m_db, {{"method", "lora"}});
        ui::InspectionJob job(QString::fromStdString(m_db), id);
        std::promise<void> release;
        std::shared_future<void> released = release.get_future().share();
        std::atomic<bool> onGuiThread{true};
        const auto gui = std::this_thread::get_id();
        job.setMeasure([&onGuiThread, gui, released](const std::string& db, int64_t run, int64_t nearest) {
            onGuiThread = std::this_thread::get_id() == gui;
            released.wait_for(std::chrono::seconds(20));
            return engine::inspectRun(store::RunStore(db), run, nearest);
        });
        int beats = 0;
        QTimer beat;
        beat.setInterval(5);
        connect(&beat, &QTimer::timeout, this, [&] {
            if (++beats == 20)
                release.set_value();
        });
        QSignalSpy finished(&job, &ui::InspectionJob::finished);
        beat.start();
        job.start();
        QVERIFY(job.isRunning());
        QVERIFY(finished.wait(60000));
        beat.stop();
        QVERIFY(!onGuiThread);
        QVERIFY(beats >= 20);
        QVERIFY(finished.at(0).at(0).toBool());
        QVERIFY(!job.isRunning());
        const auto want = engine::inspectRun(store::RunStore(m_db), id);
        QCOMPARE(job.result().lora.size(), want.lora.size());
        QCOMPARE(job.result().lora.front().updateNorm, want.lora.front().updateNorm);
    }

    void aJobDeletedWhileMeasuringDeliversNothing()
    {
        const auto id = trainRun(m_dir, m_base, m_db, {{"method", "lora"}});
        std::promise<void> release, done;
        std::shared_future<void> released = release.get_future().share();
        std::future<void> measuredDone = done.get_future();
        bool delivered = false;
        auto* job = new ui::InspectionJob(QString::fromStdString(m_db), id);
        job->setMeasure([&done, released](const std::string& db, int64_t run, int64_t nearest) {
            released.wait_for(std::chrono::seconds(20));
            auto r = engine::inspectRun(store::RunStore(db), run, nearest);
            done.set_value();
            return r;
        });
        connect(job, &ui::InspectionJob::finished, this, [&] { delivered = true; });
        job->start();
        delete job; // the dialog closed: nothing waits for the worker
        release.set_value();
        QCOMPARE(measuredDone.wait_for(std::chrono::seconds(30)), std::future_status::ready);
        QTest::qWait(200); // the worker's queued delivery runs and finds no job
        QVERIFY(!delivered);
    }
};

QTEST_MAIN(TestRunDetails)
#include "tst_run_details.moc"
