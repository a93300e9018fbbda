// What the Evaluation, Forgetting, Run history and Playground panels show a
// person whatever their language and theme: numbers and dates in the user's
// locale (German here) with numeric columns still sorting by the number, one
// line of guidance when there is nothing to show, no truncated labels with
// texts 30% longer (a pseudo-translation, as German is), and check boxes and
// radio buttons whose unchecked indicator stands out from the dark theme's
// window by WCAG's 3:1 (relative luminance computed here from the pixels).
#include "common/stored_results.h"
#include "store/run_store.h"
#include "ui/common/chart_style.h"
#include "ui/common/theme.h"
#include "ui/common/window_store.h"
#include "ui/eval/evaluation_panel.h"
#include "ui/eval/forgetting_panel.h"
#include "ui/history/run_curves_view.h"
#include "ui/history/run_history_panel.h"
#include "ui/playground/playground_panel.h"

#include <QAbstractButton>
#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QComboBox>
#include <QImage>
#include <QLabel>
#include <QLineEdit>
#include <QRadioButton>
#include <QRegularExpression>
#include <QSortFilterProxyModel>
#include <QStandardPaths>
#include <QStyleFactory>
#include <QStyleOptionButton>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QThread>
#include <QTranslator>
#include <QValueAxis>
#include <QtTest>

#include <cmath>
#include <memory>

using namespace tb;
using tb::ui::EvaluationPanel;
using tb::ui::RunHistoryPanel;

namespace {

// WCAG 2 relative luminance and contrast ratio (https://www.w3.org/TR/WCAG21/#dfn-relative-luminance).
double channel(int c8)
{
    const double c = c8 / 255.0;
    return c <= 0.03928 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
}
double luminance(const QColor& c)
{
    return 0.2126 * channel(c.red()) + 0.7152 * channel(c.green()) + 0.0722 * channel(c.blue());
}
double contrast(const QColor& a, const QColor& b)
{
    const double la = luminance(a), lb = luminance(b);
    return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

// Every text 30% longer, as German texts are: the source text, then ä's.
class LongerTexts : public QTranslator {
public:
    QString translate(const char*, const char* source, const char*, int) const override
    {
        const QString text = QString::fromUtf8(source);
        return text + QString(int(std::ceil(text.size() * 0.3)), QChar(0x00E4));
    }
    bool isEmpty() const override { return false; }
};

// Restores the default locale when the test function ends, passed or not.
struct GermanLocale {
    QLocale previous;
    GermanLocale() { QLocale::setDefault(QLocale(QLocale::German, QLocale::Germany)); }
    ~GermanLocale() { QLocale::setDefault(previous); }
};

// Labels, buttons and check boxes under `root` that are shown narrower than their text needs.
QStringList truncated(QWidget* root)
{
    QStringList out;
    for (auto* label : root->findChildren<QLabel*>())
        if (label->isVisibleTo(root) && !label->wordWrap() && !label->text().isEmpty()
            && label->width() < label->minimumSizeHint().width())
            out << QStringLiteral("label \"%1\": %2 < %3").arg(label->text()).arg(label->width()).arg(label->minimumSizeHint().width());
    for (auto* button : root->findChildren<QAbstractButton*>())
        if (button->isVisibleTo(root) && !button->text().isEmpty() && button->width() < button->sizeHint().width())
            out << QStringLiteral("button \"%1\": %2 < %3").arg(button->text()).arg(button->width()).arg(button->sizeHint().width());
    return out;
}

// For a failure message: what under `w` is wide (debugging aid, TB_DEBUG_WIDTHS=1).
void dumpWidths(QWidget* w, int depth)
{
    if (depth > 7 || !w->isVisibleTo(w->window()))
        return;
    if (w->minimumSizeHint().width() > 150)
        qInfo().noquote() << QString(depth * 2, ' ') << w->metaObject()->className() << w->objectName()
                          << w->minimumSizeHint().width() << w->minimumWidth();
    for (auto* child : w->findChildren<QWidget*>(Qt::FindDirectChildrenOnly))
        dumpWidths(child, depth + 1);
}

// The indicator of a check box or radio button as its style places it.
QRect indicatorRect(QAbstractButton* button, QStyle::SubElement element)
{
    QStyleOptionButton option;
    option.initFrom(button);
    option.rect = button->rect();
    return button->style()->subElementRect(element, &option, button);
}

} // namespace

class TestLocaleTheme : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_db;

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void init()
    {
        QVERIFY(m_dir.isValid());
        m_db = m_dir.filePath(QStringLiteral("runs-%1.sqlite").arg(QTest::currentTestFunction()));
        ui::closeWindowStore(m_db);
        QFile::remove(m_db);
    }

    void evaluationTableInGermanSortsByNumber()
    {
        {
            store::RunStore db(m_db.toStdString());
            const auto run = db.createRun({"lora-a", "/models/tiny", "lora", "{}"});
            // Three tasks whose text order ("0,48" < "10,5" < "2,25") is not their numeric order.
            const std::pair<const char*, double> scores[] = {{"alpha", 0.48}, {"beta", 10.5}, {"gamma", 2.25}};
            for (const auto& [task, value] : scores) {
                test::storeTask(db, {0, "/models/tiny", "demo", task, "generate", {{"bleu", 0.2}}});
                test::storeTask(db, {run, "/models/tiny", "demo", task, "generate", {{"bleu", value}}});
            }
        }
        GermanLocale german;
        EvaluationPanel panel(m_db);
        QVERIFY(panel.emptyState()->isHidden());
        const auto* model = panel.tableModel();
        QCOMPARE(model->rowCount(), 3);
        QCOMPARE(model->headerData(3, Qt::Horizontal).toString(), QString("lora-a (#1)"));
        // As drawn: the score with a decimal comma, its change against the base (0.2) in brackets.
        QCOMPARE(EvaluationPanel::cellText(model->index(0, 3)), QString("0,48 (+0,28)"));
        QCOMPARE(EvaluationPanel::cellText(model->index(0, 2)), QString("0,2"));
        QCOMPARE(EvaluationPanel::cellText(model->index(1, 3)), QString("10,5 (+10,3)"));
        QCOMPARE(model->index(0, 1).data().toString(), QString("BLEU")); // words, not the key "bleu"

        panel.table()->sortByColumn(3, Qt::AscendingOrder);
        QStringList order;
        for (int r = 0; r < model->rowCount(); ++r)
            order << model->index(r, 0).data().toString();
        QCOMPARE(order, QStringList({"alpha", "gamma", "beta"})); // 0.48 < 2.25 < 10.5
        // The CSV export stays machine-readable: C-locale numbers, stored metric names.
        QVERIFY(panel.tableCsv().contains("alpha,bleu,0.2,0.48\n"));
        // Chart sentences and the axis read German too.
        panel.metricFilter()->setCurrentIndex(panel.metricFilter()->findData("bleu"));
        QVERIFY(!panel.charts().empty());
        const QString sentences = panel.charts().front()->sentences()->text();
        QVERIFY2(sentences.contains("+0,28"), qPrintable(sentences));
        QCOMPARE(panel.charts().front()->chartView()->chart()->locale().language(), QLocale::German);
        QVERIFY(panel.charts().front()->chartView()->chart()->localizeNumbers());
    }

    void runHistoryInGermanDatesAndNumericSort()
    {
        std::vector<store::RunId> ids;
        {
            store::RunStore db(m_db.toStdString());
            const double best[] = {10.5, 0.48, 2.25};
            for (int i = 0; i < 3; ++i) {
                ids.push_back(db.createRun({"run-" + std::to_string(i), "/models/tiny", "prompt_tuning", "{}"}));
                db.appendMetrics(ids.back(), {{1, "val_loss", best[i], 0}});
                QThread::msleep(3); // distinct creation times
            }
        }
        GermanLocale german;
        RunHistoryPanel panel(m_db);
        QVERIFY(panel.emptyState()->isHidden());
        QTableWidget* table = panel.table();
        QCOMPARE(table->rowCount(), 3);
        const auto created = store::RunStore(m_db.toStdString()).run(ids[0]).createdAt;
        const QDate day = QDateTime::fromMSecsSinceEpoch(created).date();
        int row = -1;
        for (int r = 0; r < table->rowCount(); ++r)
            if (table->item(r, RunHistoryPanel::ColId)->data(Qt::DisplayRole).toLongLong() == ids[0])
                row = r;
        QVERIFY(row >= 0);
        // German short format: day.month.year (two digits each), then the time.
        const QString date = table->item(row, RunHistoryPanel::ColCreated)->text();
        const auto match = QRegularExpression(R"(^(\d\d)\.(\d\d)\.(\d\d) \d\d:\d\d$)").match(date);
        QVERIFY2(match.hasMatch(), qPrintable(date));
        QCOMPARE(match.captured(1).toInt(), day.day());
        QCOMPARE(match.captured(2).toInt(), day.month());
        QCOMPARE(match.captured(3).toInt(), day.year() % 100);
        QCOMPARE(table->item(row, RunHistoryPanel::ColBestValLoss)->text(), QString("10,5000"));
        QCOMPARE(table->item(row, RunHistoryPanel::ColMethod)->text(), QString("Prompt tuning"));

        auto column = [&](int c) {
            QStringList out;
            for (int r = 0; r < table->rowCount(); ++r)
                out << table->item(r, c)->text();
            return out;
        };
        table->sortByColumn(RunHistoryPanel::ColBestValLoss, Qt::AscendingOrder);
        QCOMPARE(column(RunHistoryPanel::ColBestValLoss), QStringList({"0,4800", "2,2500", "10,5000"}));
        table->sortByColumn(RunHistoryPanel::ColCreated, Qt::AscendingOrder); // by time, not by the text
        QCOMPARE(column(RunHistoryPanel::ColName), QStringList({"run-0", "run-1", "run-2"}));
    }

    void emptyStoresShowWhatToDo()
    {
        {
            EvaluationPanel evaluation(m_db);
            QVERIFY(!evaluation.emptyState()->isHidden());
            QVERIFY(evaluation.tabs()->isHidden()); // no empty 0-1 axes
            QCOMPARE(evaluation.emptyState()->text(),
                     QString("No runs or base models yet — train one in Live training (F5), then evaluate it here."));
        }
        {
            ui::ForgettingPanel forgetting(m_db);
            QVERIFY(!forgetting.emptyState()->isHidden());
            QVERIFY(!forgetting.heatmap()->isVisibleTo(&forgetting));
            QVERIFY(forgetting.emptyState()->text().startsWith("No runs yet — train one in Live training (F5)"));
        }
        {
            RunHistoryPanel history(m_db);
            QVERIFY(!history.emptyState()->isHidden());
            QVERIFY(!history.table()->isVisibleTo(&history));
            QCOMPARE(history.emptyState()->text(), QString("No runs yet — train one in Live training (F5)."));
        }
        {
            ui::PlaygroundPanel playground(m_db);
            QVERIFY(playground.emptyState());
            QVERIFY(playground.emptyState()->text().startsWith("No models yet — train one in Live training (F5)"));
        }

        // A run, but no evaluation and no metrics yet.
        store::RunId run = 0;
        {
            store::RunStore db(m_db.toStdString());
            run = db.createRun({"fresh", "/models/tiny", "lora", "{}"});
        }
        {
            EvaluationPanel evaluation(m_db);
            QCOMPARE(evaluation.emptyState()->text(), QString("No evaluations yet — choose a suite and press Evaluate."));
            QVERIFY(evaluation.tabs()->isHidden());
        }
        {
            ui::ForgettingPanel forgetting(m_db);
            QCOMPARE(forgetting.emptyState()->text(),
                     QString("No forgetting analysis yet — add runs as stages above and press Compute."));
        }
        {
            ui::PlaygroundPanel playground(m_db);
            QVERIFY(playground.emptyState()->text().startsWith("Type a prompt and press Generate"));
        }
        RunHistoryPanel history(m_db);
        QVERIFY(history.emptyState()->isHidden());
        auto* curves = history.curvesView();
        auto* curvesEmpty = curves->findChild<QLabel*>("curvesEmpty");
        QVERIFY(curvesEmpty);
        QVERIFY(!curvesEmpty->isHidden());
        QVERIFY(curvesEmpty->text().startsWith("Select one or more runs"));
        history.selectRun(run);
        QVERIFY(curves->chartMetrics().isEmpty()); // nothing recorded: no placeholder charts
        QVERIFY(!curvesEmpty->isHidden());
        QVERIFY(curvesEmpty->text().startsWith("The selected runs have no recorded metrics yet"));
        // A filter that matches nothing says so.
        QLineEdit* filter = nullptr;
        for (auto* edit : history.findChildren<QLineEdit*>())
            if (edit->placeholderText() == QLatin1String("Filter by name"))
                filter = edit;
        QVERIFY(filter);
        filter->setText("zzz");
        QVERIFY(!history.emptyState()->isHidden());
        QVERIFY(history.emptyState()->text().contains("“zzz”"));
    }

    void longerTextsDoNotTruncateAt1180x800()
    {
        {
            store::RunStore db(m_db.toStdString());
            const auto run = db.createRun({"a-run-with-a-name", "/models/tiny", "lora", "{}"});
            db.appendMetrics(run, {{1, "loss", 2.0, 0}, {2, "loss", 1.5, 0}});
            test::storeTask(db, {0, "/models/tiny", "demo", "summarize", "generate", {{"rougeL", 0.2}}});
            test::storeTask(db, {run, "/models/tiny", "demo", "summarize", "generate", {{"rougeL", 0.4}}});
        }
        LongerTexts longer;
        QCoreApplication::installTranslator(&longer);
        GermanLocale german;
        // The window is 1180 x 800; its tabs and margins leave a panel about this much.
        const QSize room(1160, 740);
        auto check = [&](QWidget* panel, const char* name) {
            panel->resize(room);
            panel->show();
            QVERIFY(QTest::qWaitForWindowExposed(panel));
            QCoreApplication::processEvents();
            if (qEnvironmentVariableIsSet("TB_DEBUG_WIDTHS"))
                dumpWidths(panel, 0);
            QVERIFY2(panel->minimumSizeHint().width() <= room.width(),
                     qPrintable(QStringLiteral("%1 needs %2 px").arg(name).arg(panel->minimumSizeHint().width())));
            const QStringList cut = truncated(panel);
            QVERIFY2(cut.isEmpty(), qPrintable(QStringLiteral("%1: %2").arg(name, cut.join("; "))));
        };
        {
            EvaluationPanel p(m_db);
            check(&p, "Evaluation");
        }
        {
            ui::ForgettingPanel p(m_db);
            check(&p, "Forgetting");
        }
        {
            RunHistoryPanel p(m_db);
            p.selectRun(1);
            check(&p, "Run history");
        }
        {
            ui::PlaygroundPanel p(m_db);
            check(&p, "Playground");
        }
        QCoreApplication::removeTranslator(&longer);
    }

    void darkCheckBoxesAndRadioButtonsAreVisible()
    {
        ui::applyTheme(ui::Theme::Dark);
        QWidget window;
        window.setAutoFillBackground(true);
        auto* unchecked = new QCheckBox(&window);
        auto* checked = new QCheckBox(&window);
        auto* radio = new QRadioButton(&window);
        checked->setChecked(true);
        for (QAbstractButton* b : std::initializer_list<QAbstractButton*>{unchecked, checked, radio})
            b->resize(b->sizeHint());
        const QColor background = window.palette().color(QPalette::Window);
        QVERIFY(contrast(background, QColor(45, 45, 48)) < 1.01); // the dark palette's window

        // The border: the middle of each side of the indicator.
        auto borderContrast = [&](QAbstractButton* b, QStyle::SubElement element) {
            const QImage image = b->grab().toImage();
            const QRect r = indicatorRect(b, element);
            const QPoint points[] = {{r.left(), r.center().y()}, {r.right(), r.center().y()},
                                     {r.center().x(), r.top()}, {r.center().x(), r.bottom()}};
            double lowest = 1e9;
            for (const QPoint& p : points)
                lowest = std::min(lowest, contrast(image.pixelColor(p), background));
            return lowest;
        };
        // The control: Fusion alone outlines the box in the window colour made darker, all but invisible.
        std::unique_ptr<QStyle> fusion(QStyleFactory::create("Fusion"));
        auto* plain = new QCheckBox(&window);
        plain->setStyle(fusion.get());
        plain->resize(plain->sizeHint());
        QVERIFY(borderContrast(plain, QStyle::SE_CheckBoxIndicator) < 3.0);
        delete plain;

        const double box = borderContrast(unchecked, QStyle::SE_CheckBoxIndicator);
        QVERIFY2(box >= 3.0, qPrintable(QString("check box border contrast %1:1").arg(box)));
        const double round = borderContrast(radio, QStyle::SE_RadioButtonIndicator);
        QVERIFY2(round >= 3.0, qPrintable(QString("radio button border contrast %1:1").arg(round)));

        // A checked box still looks checked: its inside differs from the unchecked one's.
        const QImage off = unchecked->grab().toImage(), on = checked->grab().toImage();
        const QRect inside = indicatorRect(unchecked, QStyle::SE_CheckBoxIndicator).adjusted(3, 3, -3, -3);
        int differing = 0;
        for (int y = inside.top(); y <= inside.bottom(); ++y)
            for (int x = inside.left(); x <= inside.right(); ++x)
                differing += contrast(off.pixelColor(x, y), on.pixelColor(x, y)) > 1.5 ? 1 : 0;
        QVERIFY2(differing >= inside.width() * inside.height() / 10, qPrintable(QString::number(differing)));

        // Charts in the dark: labels in the text colour, grid lines visible against the base.
        QChart chart;
        auto* axis = new QValueAxis;
        chart.addAxis(axis, Qt::AlignLeft);
        ui::followPalette(&chart, window.palette());
        QCOMPARE(axis->labelsColor(), window.palette().color(QPalette::Text));
        const QColor base = window.palette().color(QPalette::Base), grid = axis->gridLineColor();
        const double a = grid.alphaF();
        const QColor drawn = QColor::fromRgbF(float(grid.redF() * a + base.redF() * (1 - a)),
                                              float(grid.greenF() * a + base.greenF() * (1 - a)),
                                              float(grid.blueF() * a + base.blueF() * (1 - a)));
        QVERIFY2(contrast(drawn, base) >= 1.5, qPrintable(QString::number(contrast(drawn, base))));
        ui::applyTheme(ui::Theme::Light);
    }
};

QTEST_MAIN(TestLocaleTheme)
#include "tst_locale_theme.moc"
