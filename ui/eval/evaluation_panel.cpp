#include "ui/eval/evaluation_panel.h"
#include "ui/common/window_store.h"
#include "ui/common/csv.h"
#include "ui/common/tables.h"

#include "ui/eval/evaluation_job.h"
#include "ui/eval/example_view.h"
#include "common/error.h"
#include "engine/run_comparison.h"
#include "eval/suite.h"
#include "store/run_store.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QMenu>
#include <QMessageBox>
#include <QPixmap>
#include <QProgressBar>
#include <QPushButton>
#include <QSaveFile>
#include <QScrollArea>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStandardItemModel>
#include <QStyledItemDelegate>
#include <QTabWidget>
#include <QTableView>
#include <QThread>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

namespace tb::ui {

namespace {

constexpr const char* kRecentKey = "evaluation/recentSuites";
constexpr int kRecentMax = 10;
constexpr int kRunRole = Qt::UserRole;
constexpr int kBaseRole = Qt::UserRole + 1;
constexpr int kChangeRole = EvaluationPanel::ChangeRole;
constexpr int kMetricRole = EvaluationPanel::MetricRole;
constexpr int kMaxLabelWidth = 220;            // longer model and task names are elided in the middle

} // namespace

// What a score cell shows: "0.412 (+0.031)" in the user's locale, its change
// against the baseline in brackets (none in the baseline's column); other
// cells as they are.
QString EvaluationPanel::cellText(const QModelIndex& index)
{
    const QVariant v = index.data(Qt::DisplayRole);
    if (v.typeId() != QMetaType::Double)
        return v.toString();
    const QVariant change = index.data(kChangeRole);
    return change.isValid() ? QStringLiteral("%1 (%2)").arg(formatScore(v.toDouble()), formatChange(change.toDouble()))
                            : formatScore(v.toDouble());
}

namespace {

// Draws cells through cellText: the value stays a number in the model, so
// sorting and the CSV export are unchanged.
class ChangeDelegate : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;

protected:
    void initStyleOption(QStyleOptionViewItem* option, const QModelIndex& index) const override
    {
        QStyledItemDelegate::initStyleOption(option, index);
        if (index.data(Qt::DisplayRole).typeId() == QMetaType::Double)
            option->text = EvaluationPanel::cellText(index);
    }
};

// One chart's significance request: the models that have the task, by their panel index.
struct ComparisonJob {
    QString task, metric;
    engine::RunComparisonRequest request;
    std::vector<size_t> columns; // request.models[i] is panel column columns[i]
    size_t models = 0;           // columns in the panel
    QString note;                // set when there is nothing to compute
};

struct ComparisonOutcome {
    QString task, metric;
    std::vector<double> ci;
    std::vector<std::optional<double>> pValues;
    QString note;
};

// Runs on a worker thread: its own store connection, no widgets.
std::vector<ComparisonOutcome> runComparisons(const std::string& dbPath, const std::vector<ComparisonJob>& jobs)
{
    std::vector<ComparisonOutcome> out;
    std::unique_ptr<store::RunStore> db;
    for (const auto& job : jobs) {
        ComparisonOutcome o{job.task, job.metric, std::vector<double>(job.models, std::numeric_limits<double>::quiet_NaN()),
                            std::vector<std::optional<double>>(job.models), job.note};
        if (o.note.isEmpty()) {
            try {
                if (!db)
                    db = std::make_unique<store::RunStore>(dbPath);
                const engine::RunComparison c = engine::compareRuns(*db, job.request);
                for (size_t i = 0; i < c.models.size(); ++i) {
                    if (c.models[i].ci)
                        o.ci[job.columns[i]] = *c.models[i].ci;
                    o.pValues[job.columns[i]] = c.models[i].pValue;
                }
                if (!c.significance)
                    o.note = QString::fromStdString(c.note);
            } catch (const std::exception& e) {
                o.note = QString::fromStdString(e.what());
            }
        }
        out.push_back(std::move(o));
    }
    return out;
}

bool writeAtomically(const QString& path, const QByteArray& bytes, QString& error)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
        error = file.errorString();
        return false;
    }
    return true;
}

} // namespace

EvaluationPanel::EvaluationPanel(const QString& dbPath, QWidget* parent) : QWidget(parent), m_dbPath(dbPath)
{
    // Left: what to compare.
    m_models = new QListWidget;
    m_models->setObjectName("evalModels");
    m_models->setTextElideMode(Qt::ElideMiddle);
    m_models->setToolTip(tr("Checked runs and base models are compared and evaluated"));
    auto* refreshButton = new QPushButton(tr("&Refresh"));
    auto* left = new QWidget;
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(new QLabel(tr("Runs and base models:")));
    leftLayout->addWidget(m_models, 1);
    leftLayout->addWidget(refreshButton);

    // Top: suite, filters, evaluation.
    m_suite = new QComboBox;
    m_suite->setObjectName("evalSuite");
    m_suite->setToolTip(tr("Suite whose stored results are shown"));
    m_suiteFile = new QComboBox;
    m_suiteFile->setObjectName("evalSuiteFile");
    m_suiteFile->setEditable(true);
    m_suiteFile->setInsertPolicy(QComboBox::NoInsert);
    m_suiteFile->setMinimumContentsLength(30);
    m_suiteFile->setToolTip(tr("SUITE.json to run with Evaluate…"));
    m_suiteFile->addItems(recentSuites());
    auto* browse = new QPushButton(tr("&Browse…"));
    m_taskFilter = new QComboBox;
    m_taskFilter->setObjectName("evalTaskFilter");
    m_metricFilter = new QComboBox;
    m_metricFilter->setObjectName("evalMetricFilter");
    m_baseline = new QComboBox;
    m_baseline->setObjectName("evalBaseline");
    m_baseline->setToolTip(tr("The model every other one is compared with (changes, significance)"));
    m_baseline->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_baseline->setMinimumContentsLength(14);
    m_test = new QComboBox;
    m_test->setObjectName("evalTest");
    m_test->addItem(tr("Paired bootstrap"), int(eval::PairedTestKind::Bootstrap));
    m_test->addItem(tr("Approximate randomization"), int(eval::PairedTestKind::Randomization));
    m_test->setToolTip(tr("Significance test against the baseline, on the stored per-example outputs "
                          "(sacreBLEU --paired-bs / --paired-ar)"));
    m_evaluate = new QPushButton(tr("&Evaluate…"));
    m_evaluate->setToolTip(tr("Run the suite file on the checked models (only the filtered task, if one is chosen)"));
    m_cancel = new QPushButton(tr("&Cancel"));
    m_cancel->setEnabled(false);
    m_progress = new QProgressBar;
    m_progress->setRange(0, 1000);
    m_progress->setValue(0);
    m_progress->setVisible(false);
    m_status = new QLabel;
    m_status->setObjectName("evalStatus");
    m_status->setWordWrap(true); // an error message wraps instead of widening the panel
    for (QComboBox* combo : {m_taskFilter, m_metricFilter, m_test}) { // long names must not widen the panel
        combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        combo->setMinimumContentsLength(12);
    }

    auto* suiteRow = new QHBoxLayout;
    suiteRow->addWidget(new QLabel(tr("Suite:")));
    suiteRow->addWidget(m_suite, 1);
    suiteRow->addWidget(new QLabel(tr("Suite file:")));
    suiteRow->addWidget(m_suiteFile, 2);
    suiteRow->addWidget(browse);
    suiteRow->addWidget(m_evaluate);
    suiteRow->addWidget(m_cancel);
    auto* filterRow = new QHBoxLayout;
    filterRow->addWidget(new QLabel(tr("Task:")));
    filterRow->addWidget(m_taskFilter, 1);
    filterRow->addWidget(new QLabel(tr("Metric:")));
    filterRow->addWidget(m_metricFilter, 1);
    filterRow->addWidget(new QLabel(tr("Baseline:")));
    filterRow->addWidget(m_baseline, 1);
    filterRow->addWidget(new QLabel(tr("Test:")));
    filterRow->addWidget(m_test, 1);
    auto* statusRow = new QHBoxLayout;
    statusRow->addWidget(m_progress, 1);
    statusRow->addWidget(m_status, 2);

    // Centre: charts (one per task x metric), table, examples.
    auto* chartBox = new QWidget;
    m_chartLayout = new QVBoxLayout(chartBox);
    m_chartLayout->addStretch(1);
    m_chartArea = new QScrollArea;
    m_chartArea->setObjectName("evalCharts");
    m_chartArea->setWidgetResizable(true);
    m_chartArea->setWidget(chartBox);
    m_model = new QStandardItemModel(this);
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(m_model);
    m_table = new QTableView;
    m_table->setObjectName("evalTable");
    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(-1, Qt::AscendingOrder); // insertion order until a header is clicked
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->horizontalHeader()->setTextElideMode(Qt::ElideMiddle);
    m_table->horizontalHeader()->setMaximumSectionSize(kMaxLabelWidth);
    m_table->setTextElideMode(Qt::ElideMiddle);
    m_table->setItemDelegate(new ChangeDelegate(m_table));
    m_examples = new ExampleView(m_dbPath);
    m_tabs = new QTabWidget;
    m_tabs->addTab(m_chartArea, tr("C&harts"));
    m_tabs->addTab(m_table, tr("&Table"));
    m_tabs->addTab(m_examples, tr("E&xamples"));
    m_empty = makeEmptyState(QString(), "evalEmpty");
    m_empty->setVisible(false);

    // One button with a menu: four side by side would not fit a laptop screen in German.
    auto* exportMenu = new QMenu(this);
    auto* exportCsvAction = exportMenu->addAction(tr("Table as &CSV…"));
    auto* exportPngAction = exportMenu->addAction(tr("Charts as &PNG…"));
    auto* exportSvgAction = exportMenu->addAction(tr("Charts as &SVG…"));
    auto* exportHtmlAction = exportMenu->addAction(tr("&Report as HTML…"));
    exportHtmlAction->setToolTip(tr("One self-contained file: settings, charts, significance and the table"));
    exportMenu->setToolTipsVisible(true);
    auto* exportButton = new QPushButton(tr("Ex&port"));
    exportButton->setObjectName("evalExport");
    exportButton->setMenu(exportMenu);
    auto* exportRow = new QHBoxLayout;
    exportRow->addStretch(1);
    exportRow->addWidget(exportButton);

    auto* right = new QWidget;
    auto* rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->addLayout(suiteRow);
    rightLayout->addLayout(filterRow);
    rightLayout->addLayout(statusRow);
    rightLayout->addWidget(m_tabs, 1);
    rightLayout->addWidget(m_empty, 1);
    rightLayout->addLayout(exportRow);

    auto* splitter = new QSplitter;
    splitter->addWidget(left);
    splitter->addWidget(right);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({220, 800});
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(splitter);

    connect(refreshButton, &QPushButton::clicked, this, &EvaluationPanel::refresh);
    connect(m_models, &QListWidget::itemChanged, this, [this] { rebuild(); });
    connect(m_suite, &QComboBox::currentTextChanged, this, [this] { rebuild(); });
    connect(m_taskFilter, &QComboBox::currentIndexChanged, this, [this] {
        rebuildTable();
        recompare();
        if (m_taskFilter->currentIndex() > 0)
            m_examples->setTask(m_taskFilter->currentText());
    });
    connect(m_metricFilter, &QComboBox::currentIndexChanged, this, [this] {
        rebuildTable();
        recompare();
    });
    connect(m_baseline, &QComboBox::currentIndexChanged, this, [this] {
        rebuildTable();
        recompare();
    });
    connect(m_test, &QComboBox::currentIndexChanged, this, [this] { recompare(); });
    connect(browse, &QPushButton::clicked, this, &EvaluationPanel::chooseSuiteFile);
    connect(m_evaluate, &QPushButton::clicked, this, &EvaluationPanel::evaluate);
    connect(m_cancel, &QPushButton::clicked, this, &EvaluationPanel::cancelEvaluation);
    connect(m_table, &QTableView::doubleClicked, this, [this](const QModelIndex& index) {
        showExamples(m_proxy->index(index.row(), 0).data().toString());
    });
    connect(exportCsvAction, &QAction::triggered, this, [this] { exportWithDialog(QStringLiteral("csv")); });
    connect(exportPngAction, &QAction::triggered, this, [this] { exportWithDialog(QStringLiteral("png")); });
    connect(exportSvgAction, &QAction::triggered, this, [this] { exportWithDialog(QStringLiteral("svg")); });
    connect(exportHtmlAction, &QAction::triggered, this, [this] { exportWithDialog(QStringLiteral("html")); });

    refresh();
}

EvaluationPanel::~EvaluationPanel()
{
    // m_job is a child: its destructor cancels and joins. Significance
    // workers read the store only and end on their own; wait for them.
    for (QThread* worker : m_workers) {
        worker->wait();
        delete worker;
    }
}

void EvaluationPanel::refresh()
{
    std::vector<ModelKey> models;
    QStringList suites;
    try {
        store::RunStore& db = windowStore(m_dbPath);
        models = availableModels(db);
        suites = storedSuites(db);
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Run store"), QString::fromStdString(e.what()));
        return;
    }
    // Keep what the user checked; the first time, check everything.
    std::vector<ModelKey> checked = checkedModels();
    {
        const QSignalBlocker block(m_models);
        m_models->clear();
        for (const auto& key : models) {
            auto* item = new QListWidgetItem(key.label, m_models);
            item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable | Qt::ItemIsSelectable);
            item->setData(kRunRole, static_cast<qlonglong>(key.run));
            item->setData(kBaseRole, key.baseModel);
            item->setToolTip(key.label + QLatin1Char('\n') + key.baseModel);
            const bool on = m_firstRefresh || std::find(checked.begin(), checked.end(), key) != checked.end();
            item->setCheckState(on ? Qt::Checked : Qt::Unchecked);
        }
    }
    m_firstRefresh = false;
    {
        const QSignalBlocker block(m_suite);
        const QString keep = m_suite->currentText();
        m_suite->clear();
        m_suite->addItems(suites);
        if (!keep.isEmpty() && m_suite->findText(keep) < 0)
            m_suite->addItem(keep);
        m_suite->setCurrentIndex(keep.isEmpty() ? (suites.isEmpty() ? -1 : 0) : m_suite->findText(keep));
    }
    rebuild();
}

void EvaluationPanel::setSuitePath(const QString& path)
{
    m_suiteFile->setCurrentText(path);
    addRecentSuite(path);
    try {
        const auto suite = eval::readSuite(path.toStdString());
        setSuite(QString::fromStdString(suite.name));
    } catch (const std::exception& e) {
        m_status->setText(QString::fromStdString(e.what()));
    }
}

QString EvaluationPanel::suitePath() const { return m_suiteFile->currentText().trimmed(); }

void EvaluationPanel::setSuite(const QString& name)
{
    if (m_suite->findText(name) < 0)
        m_suite->addItem(name);
    m_suite->setCurrentIndex(m_suite->findText(name));
}

QString EvaluationPanel::suite() const { return m_suite->currentText(); }

void EvaluationPanel::setCheckedModels(const std::vector<ModelKey>& models)
{
    {
        const QSignalBlocker block(m_models);
        for (int i = 0; i < m_models->count(); ++i) {
            QListWidgetItem* item = m_models->item(i);
            const ModelKey key{item->data(kRunRole).toLongLong(), item->data(kBaseRole).toString(), {}};
            const bool on = std::find(models.begin(), models.end(), key) != models.end();
            item->setCheckState(on ? Qt::Checked : Qt::Unchecked);
        }
    }
    rebuild();
}

std::vector<ModelKey> EvaluationPanel::checkedModels() const
{
    std::vector<ModelKey> out;
    for (int i = 0; i < m_models->count(); ++i) {
        const QListWidgetItem* item = m_models->item(i);
        if (item->checkState() == Qt::Checked)
            out.push_back({item->data(kRunRole).toLongLong(), item->data(kBaseRole).toString(), item->text()});
    }
    return out;
}

QStringList EvaluationPanel::recentSuites() const { return QSettings().value(kRecentKey).toStringList(); }

void EvaluationPanel::addRecentSuite(const QString& path)
{
    if (path.isEmpty())
        return;
    QStringList recent = recentSuites();
    recent.removeAll(path);
    recent.prepend(path);
    while (recent.size() > kRecentMax)
        recent.removeLast();
    QSettings().setValue(kRecentKey, recent);
    const QSignalBlocker block(m_suiteFile);
    m_suiteFile->clear();
    m_suiteFile->addItems(recent);
    m_suiteFile->setCurrentText(path);
}

void EvaluationPanel::chooseSuiteFile()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Choose a suite"), QFileInfo(suitePath()).path(),
                                                      tr("Suites (*.json);;All files (*)"));
    if (!path.isEmpty())
        setSuitePath(path);
}

void EvaluationPanel::rebuild()
{
    try {
        store::RunStore& db = windowStore(m_dbPath);
        m_scores = loadSuiteScores(db, suite(), checkedModels());
    } catch (const std::exception& e) {
        m_scores = {};
        m_status->setText(QString::fromStdString(e.what()));
    }
    auto refill = [](QComboBox* combo, const QString& all, const QStringList& items, auto display) {
        const QSignalBlocker block(combo);
        const QString keep = combo->currentData().toString();
        combo->clear();
        combo->addItem(all, QString());
        for (const QString& item : items)
            combo->addItem(display(item), item);
        const int at = combo->findData(keep);
        combo->setCurrentIndex(at >= 0 ? at : 0);
    };
    refill(m_taskFilter, tr("All tasks"), m_scores.tasks, [](const QString& s) { return s; });
    refill(m_metricFilter, tr("All metrics"), m_scores.metrics, [](const QString& s) { return metricDisplayName(s); });
    refillBaselines();
    rebuildTable();
    recompare();
    m_examples->setScores(m_scores);
    if (m_taskFilter->currentIndex() > 0)
        m_examples->setTask(m_taskFilter->currentData().toString());
    updateEmptyState();
}

void EvaluationPanel::updateEmptyState()
{
    QString text;
    if (m_models->count() == 0)
        text = tr("No runs or base models yet — train one in Live training (F5), then evaluate it here.");
    else if (m_suite->count() == 0 || m_suite->currentText().isEmpty())
        text = tr("No evaluations yet — choose a suite and press Evaluate.");
    else if (checkedModels().empty())
        text = tr("Check one or more runs or base models on the left to compare them.");
    else if (m_scores.tasks.isEmpty())
        text = tr("The checked models have no results on %1 yet — press Evaluate to run the suite on them.")
                   .arg(suite());
    m_empty->setText(text);
    m_empty->setVisible(!text.isEmpty());
    m_tabs->setVisible(text.isEmpty()); // no empty charts or table, only what to do
}

void EvaluationPanel::refillBaselines()
{
    const QSignalBlocker block(m_baseline);
    const qlonglong keepRun = m_baseline->currentData(kRunRole).toLongLong();
    const QString keepBase = m_baseline->currentData(kBaseRole).toString();
    const bool had = m_baseline->currentIndex() >= 0;
    m_baseline->clear();
    int chosen = -1, firstBase = -1;
    for (size_t m = 0; m < m_scores.models.size(); ++m) {
        const ModelKey& key = m_scores.models[m];
        m_baseline->addItem(fontMetrics().elidedText(key.label, Qt::ElideMiddle, kMaxLabelWidth));
        const int i = m_baseline->count() - 1;
        m_baseline->setItemData(i, static_cast<qlonglong>(key.run), kRunRole);
        m_baseline->setItemData(i, key.baseModel, kBaseRole);
        m_baseline->setItemData(i, key.label, Qt::ToolTipRole);
        if (had && key == ModelKey{keepRun, keepBase, {}})
            chosen = i;
        if (key.run == 0 && firstBase < 0)
            firstBase = i;
    }
    // Default: the base model if shown, else the first column.
    m_baseline->setCurrentIndex(chosen >= 0 ? chosen : firstBase >= 0 ? firstBase : (m_baseline->count() ? 0 : -1));
}

int EvaluationPanel::baseline() const
{
    const int i = m_baseline->currentIndex();
    return i >= 0 && size_t(i) < m_scores.models.size() ? i : (m_scores.models.empty() ? -1 : 0);
}

void EvaluationPanel::setTestOptions(qint64 samples, quint64 seed)
{
    m_samples = samples;
    m_seed = seed;
    recompare();
}

eval::PairedTestOptions EvaluationPanel::testOptions() const
{
    eval::PairedTestOptions o;
    o.kind = eval::PairedTestKind(m_test->currentData().toInt());
    o.samples = m_samples;
    o.seed = m_seed;
    return o;
}

void EvaluationPanel::rebuildTable()
{
    const QString taskOnly = m_taskFilter->currentData().toString();
    const QString metricOnly = m_metricFilter->currentData().toString();
    const int base = baseline();
    QStringList headers{tr("Task"), tr("Metric")};
    for (const auto& model : m_scores.models)
        headers << model.label;
    m_model->clear();
    m_model->setColumnCount(int(headers.size()));
    m_model->setHorizontalHeaderLabels(headers);
    for (int c = 2; c < int(headers.size()); ++c) // the header elides long names; the tooltip has them whole
        m_model->setHeaderData(c, Qt::Horizontal, headers[c], Qt::ToolTipRole);
    QFont bold = font();
    bold.setBold(true);
    for (const QString& task : m_scores.tasks) {
        if (!taskOnly.isEmpty() && task != taskOnly)
            continue;
        for (const QString& metric : m_scores.metrics) {
            if (!metricOnly.isEmpty() && metric != metricOnly)
                continue;
            QList<QStandardItem*> row{new QStandardItem(task), new QStandardItem(metricDisplayName(metric))};
            row[0]->setToolTip(task);
            row[1]->setData(metric, kMetricRole); // the stored name, for the CSV export and the tests
            row[1]->setToolTip(tr("Stored as %1").arg(metric));
            const bool higher = eval::higherIsBetter(metric.toStdString());
            const double baseValue = base >= 0 ? m_scores.value(size_t(base), task, metric) : NAN;
            double best = NAN;
            int present = 0;
            for (size_t m = 0; m < m_scores.models.size(); ++m) {
                auto* cell = new QStandardItem;
                const double v = m_scores.value(m, task, metric);
                if (std::isfinite(v)) {
                    cell->setData(v, Qt::DisplayRole); // a number, so the proxy sorts numerically
                    if (int(m) != base && std::isfinite(baseValue))
                        cell->setData(v - baseValue, kChangeRole);
                    best = !std::isfinite(best) ? v : higher ? std::max(best, v) : std::min(best, v);
                    ++present;
                }
                row << cell;
            }
            if (present == 0) {
                qDeleteAll(row);
                continue;
            }
            if (present > 1) // the best value of the row, in the metric's direction
                for (int c = 2; c < int(row.size()); ++c)
                    if (row[c]->data(Qt::DisplayRole).toDouble() == best && row[c]->data(Qt::DisplayRole).isValid())
                        row[c]->setData(bold, Qt::FontRole);
            m_model->appendRow(row);
        }
    }
    m_table->resizeColumnsToContents();
}

std::vector<EvaluationPanel::ChartSpec> EvaluationPanel::chartSpecs() const
{
    const QString taskOnly = m_taskFilter->currentData().toString();
    const QString metricOnly = m_metricFilter->currentData().toString();
    auto present = [&](const QString& task, const QString& metric) {
        for (size_t m = 0; m < m_scores.models.size(); ++m)
            if (std::isfinite(m_scores.value(m, task, metric)))
                return true;
        return false;
    };
    auto primaryOf = [&](const QString& task) {
        for (size_t m = 0; m < m_scores.models.size(); ++m)
            if (const TaskScores* s = m_scores.find(m, task))
                return primaryMetric(*s);
        return QString();
    };
    std::vector<ChartSpec> specs;
    if (taskOnly.isEmpty()) { // a chart per task: the chosen metric, or each task's primary one
        for (const QString& task : m_scores.tasks) {
            const QString metric = metricOnly.isEmpty() ? primaryOf(task) : metricOnly;
            if (!metric.isEmpty() && present(task, metric))
                specs.push_back({task, metric});
        }
        return specs;
    }
    if (!metricOnly.isEmpty()) {
        if (present(taskOnly, metricOnly))
            specs.push_back({taskOnly, metricOnly});
        return specs;
    }
    // One task: its primary metric and the headline text metrics (ROUGE-L,
    // BLEU, chrF) it has; the metric filter reaches the others.
    const QString primary = primaryOf(taskOnly);
    for (const QString& metric : m_scores.metrics)
        if (present(taskOnly, metric)
            && (metric == primary || metric == QLatin1String("rougeL") || metric == QLatin1String("bleu")
                || metric == QLatin1String("chrf")))
            specs.push_back({taskOnly, metric});
    if (specs.empty())
        for (const QString& metric : m_scores.metrics)
            if (present(taskOnly, metric))
                specs.push_back({taskOnly, metric});
    return specs;
}

MetricChartData EvaluationPanel::chartData(const ChartSpec& spec) const
{
    MetricChartData d;
    d.task = spec.task;
    d.metric = spec.metric;
    d.baseline = std::max(0, baseline());
    const size_t n = m_scores.models.size();
    for (size_t m = 0; m < n; ++m) {
        d.labels << m_scores.models[m].label;
        d.values.push_back(m_scores.value(m, spec.task, spec.metric));
    }
    const auto it = m_significance.find({spec.task, spec.metric});
    if (it != m_significance.end()) {
        d.ci = it->second.ci;
        d.pValues = it->second.pValues;
        d.note = it->second.note;
    } else {
        d.ci.assign(n, std::numeric_limits<double>::quiet_NaN());
        d.pValues.assign(n, std::nullopt);
        if (m_pending)
            d.note = tr("Computing significance…");
    }
    return d;
}

std::vector<MetricChart*> EvaluationPanel::charts() const { return m_charts; }

void EvaluationPanel::rebuildChart()
{
    const auto specs = chartSpecs();
    bool same = specs.size() == m_charts.size();
    for (size_t i = 0; same && i < specs.size(); ++i)
        same = m_charts[i]->data().task == specs[i].task && m_charts[i]->data().metric == specs[i].metric;
    if (!same) {
        for (MetricChart* chart : m_charts)
            delete chart;
        m_charts.clear();
        for (size_t i = 0; i < specs.size(); ++i) {
            auto* chart = new MetricChart;
            chart->setObjectName("evalChart");
            m_chartLayout->insertWidget(m_chartLayout->count() - 1, chart); // before the stretch
            m_charts.push_back(chart);
        }
    }
    for (size_t i = 0; i < specs.size(); ++i)
        m_charts[i]->setData(chartData(specs[i]));
}

void EvaluationPanel::recompare()
{
    m_significance.clear();
    startComparisons();
    rebuildChart();
}

void EvaluationPanel::startComparisons()
{
    const int base = baseline();
    const quint64 generation = ++m_generation;
    if (base < 0) {
        m_pending = 0;
        return;
    }
    std::vector<ComparisonJob> jobs;
    for (const ChartSpec& spec : chartSpecs()) {
        ComparisonJob job;
        job.task = spec.task;
        job.metric = spec.metric;
        job.models = m_scores.models.size();
        job.request.suite = m_scores.suite.toStdString();
        job.request.task = spec.task.toStdString();
        job.request.metric = spec.metric.toStdString();
        job.request.test = testOptions();
        for (size_t m = 0; m < m_scores.models.size(); ++m) {
            if (!std::isfinite(m_scores.value(m, spec.task, spec.metric)))
                continue; // not evaluated: no bar to test
            const ModelKey& key = m_scores.models[m];
            if (int(m) == base)
                job.request.baseline = job.request.models.size();
            job.request.models.push_back({key.run, key.baseModel.toStdString(), key.label.toStdString()});
            job.columns.push_back(m);
        }
        if (!std::isfinite(m_scores.value(size_t(base), spec.task, spec.metric)))
            job.note = tr("The baseline (%1) has no %2 score on %3, so nothing is tested against it.")
                           .arg(m_scores.models[size_t(base)].label, metricDisplayName(spec.metric), spec.task);
        jobs.push_back(std::move(job));
    }
    if (jobs.empty()) {
        m_pending = 0;
        return;
    }
    m_pending = 1;
    // A few hundred examples take milliseconds, a large suite longer: never on the GUI thread.
    auto result = std::make_shared<std::vector<ComparisonOutcome>>();
    QThread* worker = QThread::create([db = m_dbPath.toStdString(), jobs = std::move(jobs), result] {
        *result = runComparisons(db, jobs);
    });
    m_workers.push_back(worker);
    connect(worker, &QThread::finished, this, [this, worker, generation, result] {
        m_workers.erase(std::remove(m_workers.begin(), m_workers.end(), worker), m_workers.end());
        worker->deleteLater();
        if (generation != m_generation)
            return; // the filters or the baseline changed meanwhile
        m_pending = 0;
        for (auto& o : *result)
            m_significance[{o.task, o.metric}] = {std::move(o.ci), std::move(o.pValues), std::move(o.note)};
        rebuildChart();
        Q_EMIT comparisonsUpdated();
    });
    worker->start();
}

void EvaluationPanel::showExamples(const QString& task)
{
    m_examples->setTask(task);
    m_tabs->setCurrentWidget(m_examples);
}

QString EvaluationPanel::tableCsv() const
{
    QString csv;
    QStringList fields;
    for (int c = 0; c < m_proxy->columnCount(); ++c)
        fields << csvCell(m_proxy->headerData(c, Qt::Horizontal).toString());
    csv += fields.join(QLatin1Char(',')) + QLatin1Char('\n');
    for (int r = 0; r < m_proxy->rowCount(); ++r) {
        fields.clear();
        for (int c = 0; c < m_proxy->columnCount(); ++c) {
            const QVariant v = m_proxy->index(r, c).data();
            // Machine-readable: C-locale numbers and the stored metric names.
            const QVariant metric = m_proxy->index(r, c).data(kMetricRole);
            fields << csvCell(v.typeId() == QMetaType::Double ? QString::number(v.toDouble(), 'g', 12)
                              : metric.isValid()                ? metric.toString()
                                                                : v.toString());
        }
        csv += fields.join(QLatin1Char(',')) + QLatin1Char('\n');
    }
    return csv;
}

bool EvaluationPanel::exportCsv(const QString& path, bool quiet)
{
    QString error;
    if (writeAtomically(path, tableCsv().toUtf8(), error))
        return true;
    if (!quiet)
        QMessageBox::warning(this, tr("Export CSV"), tr("Cannot write %1: %2").arg(path, error));
    return false;
}

bool EvaluationPanel::exportPng(const QString& path, bool quiet)
{
    QSaveFile file(path);
    const QPixmap pixmap = m_chartArea->widget()->grab(); // every chart, also those scrolled away
    if (file.open(QIODevice::WriteOnly) && pixmap.save(&file, "PNG") && file.commit())
        return true;
    if (!quiet)
        QMessageBox::warning(this, tr("Export PNG"), tr("Cannot write %1: %2").arg(path, file.errorString()));
    return false;
}

bool EvaluationPanel::exportSvg(const QString& path, bool quiet)
{
    // The charts one under the other, each its own SVG element.
    QString body;
    int width = 200, height = 0;
    for (const MetricChart* chart : m_charts) {
        const QSize size = metricChartSvgSize(chart->data());
        body += QStringLiteral("<g transform=\"translate(0,%1)\">\n").arg(height) + metricChartSvg(chart->data(), false)
                + QStringLiteral("</g>\n");
        width = std::max(width, size.width());
        height += size.height();
    }
    const QString svg = QStringLiteral("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                                       "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%1\" height=\"%2\" "
                                       "viewBox=\"0 0 %1 %2\">\n")
                            .arg(width)
                            .arg(std::max(height, 1))
                        + body + QStringLiteral("</svg>\n");
    QString error;
    if (writeAtomically(path, svg.toUtf8(), error))
        return true;
    if (!quiet)
        QMessageBox::warning(this, tr("Export SVG"), tr("Cannot write %1: %2").arg(path, error));
    return false;
}

ReportTable EvaluationPanel::reportTable() const
{
    ReportTable t;
    for (int c = 0; c < m_proxy->columnCount(); ++c)
        t.headers << m_proxy->headerData(c, Qt::Horizontal).toString();
    for (int r = 0; r < m_proxy->rowCount(); ++r) {
        QStringList row;
        std::vector<bool> bold;
        for (int c = 0; c < m_proxy->columnCount(); ++c) {
            const QModelIndex index = m_proxy->index(r, c);
            row << cellText(index);
            bold.push_back(index.data(Qt::FontRole).value<QFont>().bold());
        }
        t.rows.push_back(row);
        t.bold.push_back(bold);
    }
    return t;
}

ComparisonReport EvaluationPanel::report() const
{
    ComparisonReport r;
    r.suite = suite();
    r.task = m_taskFilter->currentText();
    r.metric = m_metricFilter->currentIndex() > 0 ? m_metricFilter->currentText()
                                                  : tr("each chart's own (primary, ROUGE-L, BLEU, chrF)");
    const int base = baseline();
    r.baseline = base >= 0 ? m_scores.models[size_t(base)].label : QString();
    r.test = m_test->currentText();
    r.samples = engine::effectiveSamples(testOptions());
    r.seed = m_seed;
    for (const MetricChart* chart : m_charts)
        r.charts.push_back(chart->data());
    r.table = reportTable();
    return r;
}

bool EvaluationPanel::exportHtml(const QString& path, bool quiet)
{
    try {
        writeComparisonReport(path, report());
        return true;
    } catch (const std::exception& e) {
        if (!quiet)
            QMessageBox::warning(this, tr("Export report"), QString::fromStdString(e.what()));
        return false;
    }
}

void EvaluationPanel::exportWithDialog(const QString& kind)
{
    const QString filter = kind == QLatin1String("csv")    ? tr("CSV files (*.csv)")
                           : kind == QLatin1String("png")  ? tr("PNG images (*.png)")
                           : kind == QLatin1String("html") ? tr("HTML reports (*.html)")
                                                           : tr("SVG images (*.svg)");
    QString path = QFileDialog::getSaveFileName(this, tr("Export"), QStringLiteral("evaluation.%1").arg(kind), filter);
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += QLatin1Char('.') + kind;
    if (kind == QLatin1String("csv"))
        exportCsv(path);
    else if (kind == QLatin1String("png"))
        exportPng(path);
    else if (kind == QLatin1String("html"))
        exportHtml(path);
    else
        exportSvg(path);
}

void EvaluationPanel::evaluate()
{
    if (m_job && m_job->isRunning())
        return;
    const QString path = suitePath();
    if (path.isEmpty() || !QFileInfo::exists(path)) {
        QMessageBox::warning(this, tr("Evaluate"), tr("Choose a suite file (SUITE.json) first."));
        return;
    }
    const std::vector<ModelKey> models = checkedModels();
    if (models.empty()) {
        QMessageBox::warning(this, tr("Evaluate"), tr("Check at least one run or base model to evaluate."));
        return;
    }
    addRecentSuite(path);
    EvaluationRequest request;
    request.suitePath = path;
    request.dbPath = m_dbPath;
    if (m_taskFilter->currentIndex() > 0)
        request.tasks << m_taskFilter->currentData().toString();
    for (const auto& key : models) {
        engine::ModelSpec spec;
        if (key.run != 0)
            spec.run = key.run;
        else
            spec.model = key.baseModel.toStdString();
        request.models.push_back(spec);
        request.labels << key.label;
    }
    delete m_job;
    m_job = new EvaluationJob(std::move(request), this);
    connect(m_job, &EvaluationJob::progress, this,
            [this](int model, int models, const QString& label, const QString& task, qint64 done, qint64 total) {
                const double inModel = total > 0 ? double(done) / double(total) : 0.0;
                m_progress->setValue(int(1000.0 * (model + inModel) / std::max(models, 1)));
                m_status->setText(tr("%1: %2 (%3/%4)").arg(label, task).arg(done).arg(total));
            });
    connect(m_job, &EvaluationJob::finished, this, [this](const QString& status, const QString& error) {
        m_evaluate->setEnabled(true);
        m_cancel->setEnabled(false);
        m_progress->setVisible(false);
        m_status->setText(status == QLatin1String("completed") ? tr("Evaluation finished.")
                          : status == QLatin1String("cancelled") ? tr("Evaluation cancelled.")
                                                                 : tr("Evaluation failed: %1").arg(error));
        try {
            setSuite(QString::fromStdString(eval::readSuite(suitePath().toStdString()).name));
        } catch (const std::exception&) {
        }
        refresh();
        Q_EMIT evaluationFinished(status, error);
    });
    m_evaluate->setEnabled(false);
    m_cancel->setEnabled(true);
    m_progress->setValue(0);
    m_progress->setVisible(true);
    m_status->setText(tr("Loading the model…"));
    m_job->start();
}

void EvaluationPanel::cancelEvaluation()
{
    if (m_job && m_job->isRunning()) {
        m_job->cancel();
        m_status->setText(tr("Cancelling…"));
    }
}

} // namespace tb::ui
