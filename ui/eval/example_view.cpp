#include "ui/eval/example_view.h"
#include "ui/common/window_store.h"

#include "io/atomic_file.h"
#include "store/run_store.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QMessageBox>
#include <QPushButton>
#include <QSplitter>
#include <QTableWidget>
#include <QTextBrowser>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace tb::ui {

namespace {

constexpr int kCellChars = 200;    // longer texts are cut in their cell; the detail pane has them whole
constexpr int kTooltipChars = 2000;
constexpr int kRowRole = Qt::UserRole; // on column 0: the row's index in the comparison

QString elided(const QString& text, int chars)
{
    return text.size() <= chars ? text : text.left(chars) + QChar(0x2026);
}

QTableWidgetItem* textItem(const QString& text)
{
    auto* item = new QTableWidgetItem(elided(text, kCellChars));
    item->setToolTip(elided(text, kTooltipChars));
    item->setTextAlignment(Qt::AlignLeft | Qt::AlignTop);
    return item;
}

QString signedNumber(double v) { return (v > 0 ? QStringLiteral("+") : QString()) + QLocale().toString(v, 'g', 4); }

// Red for worse, green for better: readable on light and dark backgrounds.
QColor changeColour(bool better) { return better ? QColor(0x2e, 0x9d, 0x55) : QColor(0xd0, 0x47, 0x3b); }

} // namespace

ExampleView::ExampleView(QString dbPath, QWidget* parent) : QWidget(parent), m_dbPath(std::move(dbPath))
{
    m_task = new QComboBox;
    m_task->setObjectName("exampleTask");
    m_baseline = new QComboBox;
    m_baseline->setObjectName("exampleBaseline");
    m_baseline->setToolTip(tr("Each model's change per example is measured against this one"));
    m_order = new QComboBox;
    m_order->setObjectName("exampleOrder");
    m_order->addItem(tr("Example order"), int(ExampleOrder::Examples));
    m_order->addItem(tr("Largest change first"), int(ExampleOrder::LargestChange));
    m_order->addItem(tr("Largest drop first"), int(ExampleOrder::WorstChange));
    m_regressionsOnly = new QCheckBox(tr("&Regressions only"));
    m_regressionsOnly->setObjectName("exampleRegressionsOnly");
    m_regressionsOnly->setToolTip(tr("Only examples where some model scores worse than the baseline"));
    auto* exportButton = new QPushButton(tr("Export &comparison as CSV…"));
    exportButton->setObjectName("exampleExportCsv");
    m_summary = new QLabel;
    m_summary->setObjectName("exampleSummary");

    m_table = new QTableWidget;
    m_table->setObjectName("exampleTable");
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setWordWrap(true);
    m_table->setAlternatingRowColors(true);
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_table->horizontalHeader()->setDefaultSectionSize(260);
    m_detail = new QTextBrowser;
    m_detail->setObjectName("exampleDetail");
    m_detail->setPlaceholderText(tr("Select an example to read it in full"));

    for (QComboBox* combo : {m_task, m_baseline}) { // long task and model names must not widen the view
        combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        combo->setMinimumContentsLength(14);
    }
    m_summary->setWordWrap(true);
    // Two rows, so that longer (translated) labels fit beside the panel's model list.
    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Task:")));
    top->addWidget(m_task, 1);
    top->addWidget(new QLabel(tr("Baseline:")));
    top->addWidget(m_baseline, 1);
    auto* options = new QHBoxLayout;
    options->addWidget(new QLabel(tr("Order:")));
    options->addWidget(m_order);
    options->addWidget(m_regressionsOnly);
    options->addStretch(1);
    options->addWidget(exportButton);
    auto* split = new QSplitter(Qt::Vertical);
    split->setObjectName("exampleSplitter");
    split->addWidget(m_table);
    split->addWidget(m_detail);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addLayout(options);
    layout->addWidget(m_summary);
    layout->addWidget(split, 1);

    connect(m_task, &QComboBox::currentTextChanged, this, &ExampleView::refresh);
    connect(m_baseline, &QComboBox::currentIndexChanged, this, &ExampleView::fillTable);
    connect(m_order, &QComboBox::currentIndexChanged, this, &ExampleView::fillTable);
    connect(m_regressionsOnly, &QCheckBox::toggled, this, &ExampleView::fillTable);
    connect(m_table, &QTableWidget::itemSelectionChanged, this, &ExampleView::showDetail);
    connect(exportButton, &QPushButton::clicked, this, &ExampleView::exportWithDialog);
}

void ExampleView::setScores(const SuiteScores& scores)
{
    const QString keep = task();
    const QString keepBaseline = m_baseline->currentText();
    m_scores = scores;
    {
        const QSignalBlocker block(m_task);
        m_task->clear();
        m_task->addItems(scores.tasks);
        const int at = m_task->findText(keep);
        m_task->setCurrentIndex(at >= 0 ? at : (scores.tasks.isEmpty() ? -1 : 0));
    }
    {
        const QSignalBlocker block(m_baseline);
        m_baseline->clear();
        for (const auto& model : scores.models)
            m_baseline->addItem(model.label);
        const int at = m_baseline->findText(keepBaseline);
        m_baseline->setCurrentIndex(at >= 0 ? at : (scores.models.empty() ? -1 : 0));
    }
    refresh();
}

QString ExampleView::task() const { return m_task->currentText(); }

void ExampleView::setTask(const QString& task)
{
    const int at = m_task->findText(task);
    if (at >= 0)
        m_task->setCurrentIndex(at);
}

size_t ExampleView::baseline() const { return static_cast<size_t>(std::max(0, m_baseline->currentIndex())); }

void ExampleView::setBaseline(size_t model)
{
    if (model < static_cast<size_t>(m_baseline->count()))
        m_baseline->setCurrentIndex(static_cast<int>(model));
}

void ExampleView::setOrder(ExampleOrder order) { m_order->setCurrentIndex(m_order->findData(int(order))); }

void ExampleView::setRegressionsOnly(bool on) { m_regressionsOnly->setChecked(on); }

void ExampleView::refresh()
{
    m_comparison = ExampleComparison();
    try {
        m_comparison = ExampleComparison::load(windowStore(m_dbPath), m_scores, task());
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Run store"), QString::fromStdString(e.what()));
    }
    fillTable();
}

void ExampleView::fillTable()
{
    const ExampleComparison& c = m_comparison;
    const size_t models = c.models();
    const size_t base = baseline();
    m_shown = c.view(base, ExampleOrder(m_order->currentData().toInt()), m_regressionsOnly->isChecked());

    QStringList headers{tr("Example"), tr("Prompt"), tr("Reference")};
    for (const QString& label : c.labels())
        headers << tr("%1: output").arg(label) << tr("%1: scores").arg(label);
    std::vector<size_t> compared; // the models with a change column
    for (size_t m = 0; m < models; ++m)
        if (m != base) {
            compared.push_back(m);
            headers << tr("Δ %1").arg(c.labels()[int(m)]);
        }
    m_table->clear();
    m_table->setColumnCount(int(headers.size()));
    m_table->setHorizontalHeaderLabels(headers);
    m_table->setRowCount(int(m_shown.size()));
    const int deltaColumn = 3 + 2 * int(models);
    for (int r = 0; r < int(m_shown.size()); ++r) {
        const size_t index = m_shown[size_t(r)];
        const ExampleRow& row = c.rows()[index];
        auto* id = textItem(row.id);
        id->setData(kRowRole, qulonglong(index));
        m_table->setItem(r, 0, id);
        m_table->setItem(r, 1, textItem(row.prompt));
        m_table->setItem(r, 2, textItem(row.reference));
        for (size_t m = 0; m < models; ++m) {
            m_table->setItem(r, 3 + 2 * int(m), textItem(row.outputs[m]));
            m_table->setItem(r, 4 + 2 * int(m), textItem(row.scoresText[m]));
        }
        for (size_t k = 0; k < compared.size(); ++k) {
            const double d = c.delta(index, compared[k], base);
            auto* item = new QTableWidgetItem(std::isnan(d) ? QString() : signedNumber(d));
            item->setData(Qt::UserRole, d);
            item->setTextAlignment(Qt::AlignRight | Qt::AlignTop);
            if (!std::isnan(d) && d != 0)
                item->setForeground(changeColour((d > 0) == c.higherIsBetter()));
            m_table->setItem(r, deltaColumn + int(k), item);
        }
    }
    // Narrow enough that each model's output, scores and change fit beside
    // the prompt on a laptop screen; the detail pane shows the texts in full.
    m_table->setColumnWidth(0, 70);
    m_table->setColumnWidth(1, 220);
    m_table->setColumnWidth(2, 160);
    for (size_t m = 0; m < models; ++m) {
        m_table->setColumnWidth(3 + 2 * int(m), 180);
        m_table->setColumnWidth(4 + 2 * int(m), 150);
    }
    for (size_t k = 0; k < compared.size(); ++k)
        m_table->setColumnWidth(deltaColumn + int(k), 90);
    placeChangesBesideScores(compared);

    QString summary;
    if (task().isEmpty()) {
        summary = tr("No evaluated examples yet — choose a suite and press Evaluate to see each model's outputs here.");
    } else {
        summary = tr("%n example(s)", nullptr, int(c.rows().size())) + QStringLiteral(" · ")
                  + tr("%1 of %2 models evaluated").arg(c.evaluatedModels()).arg(models);
        if (!c.metric().isEmpty())
            summary += QStringLiteral(" · ") + tr("changes in %1").arg(metricDisplayName(c.metric()));
        if (m_shown.size() != c.rows().size())
            summary += QStringLiteral(" · ") + tr("%n shown", nullptr, int(m_shown.size()));
    }
    m_summary->setText(summary);
    m_detail->clear();
}

void ExampleView::placeChangesBesideScores(const std::vector<size_t>& compared)
{
    // The Δ columns come last in the model (its column numbers stay put for
    // code that reads them) and are shown after their model's scores.
    QHeaderView* header = m_table->horizontalHeader();
    for (int logical = 0; logical < header->count(); ++logical)
        header->moveSection(header->visualIndex(logical), logical);
    const int deltaColumn = 3 + 2 * int(m_comparison.models());
    for (size_t k = 0; k < compared.size(); ++k) {
        const int scores = 4 + 2 * int(compared[k]);
        header->moveSection(header->visualIndex(deltaColumn + int(k)), header->visualIndex(scores) + 1);
    }
}

void ExampleView::showDetail()
{
    const auto selected = m_table->selectionModel()->selectedRows();
    if (selected.isEmpty() || !m_table->item(selected.front().row(), 0)) {
        m_detail->clear();
        return;
    }
    const size_t index = m_table->item(selected.front().row(), 0)->data(kRowRole).toULongLong();
    const ExampleComparison& c = m_comparison;
    if (index >= c.rows().size())
        return;
    const ExampleRow& row = c.rows()[index];
    const auto block = [](const QString& title, const QString& text) {
        return QStringLiteral("<h4>%1</h4><pre style=\"white-space: pre-wrap\">%2</pre>")
            .arg(title.toHtmlEscaped(), text.toHtmlEscaped());
    };
    QString html = block(tr("Prompt (example %1)").arg(row.id), row.prompt) + block(tr("Reference"), row.reference);
    for (size_t m = 0; m < c.models(); ++m) {
        QString title = c.labels()[int(m)];
        if (!row.scoresText[m].isEmpty())
            title += QStringLiteral(" — ") + row.scoresText[m];
        const double d = c.delta(index, m, baseline());
        if (m != baseline() && !std::isnan(d))
            title += QStringLiteral(" (Δ %1)").arg(signedNumber(d));
        html += block(title, row.outputs[m]);
    }
    m_detail->setHtml(html);
}

QString ExampleView::tableCsv() const { return m_comparison.csv(m_shown, baseline()); }

bool ExampleView::exportCsv(const QString& path, bool quiet)
{
    try {
        io::writeFileAtomic(path.toStdString(), tableCsv().toStdString());
        return true;
    } catch (const std::exception& e) {
        if (!quiet)
            QMessageBox::warning(this, tr("Export CSV"),
                                 tr("Cannot write %1: %2").arg(path, QString::fromStdString(e.what())));
        return false;
    }
}

void ExampleView::exportWithDialog()
{
    QString path = QFileDialog::getSaveFileName(this, tr("Export comparison"),
                                                QStringLiteral("examples-%1.csv").arg(task()), tr("CSV files (*.csv)"));
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += QStringLiteral(".csv");
    exportCsv(path);
}

ExampleDialog::ExampleDialog(const QString& dbPath, const SuiteScores& scores, const QString& task, QWidget* parent)
    : QDialog(parent)
{
    setWindowTitle(tr("Examples of %1 (%2)").arg(task, scores.suite));
    setAttribute(Qt::WA_DeleteOnClose);
    m_view = new ExampleView(dbPath, this);
    m_view->setScores(scores);
    m_view->setTask(task);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_view, 1);
    layout->addWidget(buttons);
    resize(1100, 700);
}

} // namespace tb::ui
