#include "ui/eval/evaluation_panel.h"

#include "ui/eval/bar_chart_svg.h"
#include "ui/eval/evaluation_job.h"
#include "ui/eval/example_view.h"
#include "eval/suite.h"
#include "store/run_store.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QMessageBox>
#include <QPixmap>
#include <QProgressBar>
#include <QPushButton>
#include <QSaveFile>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStandardItemModel>
#include <QTabWidget>
#include <QTableView>
#include <QValueAxis>
#include <QVBoxLayout>

#include <cmath>

namespace tb::ui {

namespace {

constexpr const char* kRecentKey = "evaluation/recentSuites";
constexpr int kRecentMax = 10;
constexpr int kRunRole = Qt::UserRole;
constexpr int kBaseRole = Qt::UserRole + 1;

QString csvField(const QString& s)
{
    if (!s.contains(QLatin1Char(',')) && !s.contains(QLatin1Char('"')) && !s.contains(QLatin1Char('\n')))
        return s;
    QString quoted = s;
    quoted.replace(QLatin1String("\""), QLatin1String("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
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
    m_evaluate = new QPushButton(tr("&Evaluate…"));
    m_evaluate->setToolTip(tr("Run the suite file on the checked models (only the filtered task, if one is chosen)"));
    m_cancel = new QPushButton(tr("&Cancel"));
    m_cancel->setEnabled(false);
    m_progress = new QProgressBar;
    m_progress->setRange(0, 1000);
    m_progress->setValue(0);
    m_progress->setVisible(false);
    m_status = new QLabel;

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
    filterRow->addWidget(m_progress, 1);
    filterRow->addWidget(m_status, 1);

    // Centre: chart, table, examples.
    m_chart = new QChart;
    m_chart->legend()->setAlignment(Qt::AlignBottom);
    m_chartView = new QChartView(m_chart);
    m_chartView->setObjectName("evalChart");
    m_chartView->setRenderHint(QPainter::Antialiasing);
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
    m_examples = new ExampleView(m_dbPath);
    m_tabs = new QTabWidget;
    m_tabs->addTab(m_chartView, tr("C&hart"));
    m_tabs->addTab(m_table, tr("&Table"));
    m_tabs->addTab(m_examples, tr("E&xamples"));

    auto* exportCsvButton = new QPushButton(tr("Export table as &CSV…"));
    auto* exportPngButton = new QPushButton(tr("Export chart as &PNG…"));
    auto* exportSvgButton = new QPushButton(tr("Export chart as &SVG…"));
    auto* exportRow = new QHBoxLayout;
    exportRow->addStretch(1);
    exportRow->addWidget(exportCsvButton);
    exportRow->addWidget(exportPngButton);
    exportRow->addWidget(exportSvgButton);

    auto* right = new QWidget;
    auto* rightLayout = new QVBoxLayout(right);
    rightLayout->setContentsMargins(0, 0, 0, 0);
    rightLayout->addLayout(suiteRow);
    rightLayout->addLayout(filterRow);
    rightLayout->addWidget(m_tabs, 1);
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
        rebuildChart();
        if (m_taskFilter->currentIndex() > 0)
            m_examples->setTask(m_taskFilter->currentText());
    });
    connect(m_metricFilter, &QComboBox::currentIndexChanged, this, [this] {
        rebuildTable();
        rebuildChart();
    });
    connect(browse, &QPushButton::clicked, this, &EvaluationPanel::chooseSuiteFile);
    connect(m_evaluate, &QPushButton::clicked, this, &EvaluationPanel::evaluate);
    connect(m_cancel, &QPushButton::clicked, this, &EvaluationPanel::cancelEvaluation);
    connect(m_table, &QTableView::doubleClicked, this, [this](const QModelIndex& index) {
        showExamples(m_proxy->index(index.row(), 0).data().toString());
    });
    connect(exportCsvButton, &QPushButton::clicked, this, [this] { exportWithDialog(QStringLiteral("csv")); });
    connect(exportPngButton, &QPushButton::clicked, this, [this] { exportWithDialog(QStringLiteral("png")); });
    connect(exportSvgButton, &QPushButton::clicked, this, [this] { exportWithDialog(QStringLiteral("svg")); });

    refresh();
}

EvaluationPanel::~EvaluationPanel() = default; // m_job is a child: its destructor cancels and joins

void EvaluationPanel::refresh()
{
    std::vector<ModelKey> models;
    QStringList suites;
    try {
        store::RunStore db(m_dbPath.toStdString());
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
            item->setToolTip(key.baseModel);
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
        store::RunStore db(m_dbPath.toStdString());
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
    rebuildTable();
    rebuildChart();
    m_examples->setScores(m_scores);
    if (m_taskFilter->currentIndex() > 0)
        m_examples->setTask(m_taskFilter->currentData().toString());
}

void EvaluationPanel::rebuildTable()
{
    const QString taskOnly = m_taskFilter->currentData().toString();
    const QString metricOnly = m_metricFilter->currentData().toString();
    QStringList headers{tr("Task"), tr("Metric")};
    for (const auto& model : m_scores.models)
        headers << model.label;
    m_model->clear();
    m_model->setColumnCount(int(headers.size()));
    m_model->setHorizontalHeaderLabels(headers);
    for (const QString& task : m_scores.tasks) {
        if (!taskOnly.isEmpty() && task != taskOnly)
            continue;
        for (const QString& metric : m_scores.metrics) {
            if (!metricOnly.isEmpty() && metric != metricOnly)
                continue;
            QList<QStandardItem*> row{new QStandardItem(task), new QStandardItem(metric)};
            row[1]->setToolTip(metricDisplayName(metric));
            bool any = false;
            for (size_t m = 0; m < m_scores.models.size(); ++m) {
                auto* cell = new QStandardItem;
                const double v = m_scores.value(m, task, metric);
                if (std::isfinite(v)) {
                    cell->setData(v, Qt::DisplayRole); // a number, so the proxy sorts numerically
                    any = true;
                }
                row << cell;
            }
            if (any)
                m_model->appendRow(row);
            else
                qDeleteAll(row);
        }
    }
    m_table->resizeColumnsToContents();
}

void EvaluationPanel::rebuildChart()
{
    const QString taskOnly = m_taskFilter->currentData().toString();
    const QString metricOnly = m_metricFilter->currentData().toString();

    // Categories and, per category, the task and metric its bars show.
    struct Category {
        QString label, task, metric;
    };
    std::vector<Category> categories;
    if (taskOnly.isEmpty()) {
        for (const QString& task : m_scores.tasks) {
            QString metric = metricOnly;
            if (metric.isEmpty()) // each task by its own primary metric
                for (size_t m = 0; m < m_scores.models.size() && metric.isEmpty(); ++m)
                    if (const TaskScores* s = m_scores.find(m, task))
                        metric = primaryMetric(*s);
            const bool present = [&] {
                for (size_t m = 0; m < m_scores.models.size(); ++m)
                    if (std::isfinite(m_scores.value(m, task, metric)))
                        return true;
                return false;
            }();
            if (!present)
                continue;
            categories.push_back({metricOnly.isEmpty() ? tr("%1 (%2)").arg(task, metricDisplayName(metric)) : task,
                                  task, metric});
        }
        m_chartTitle = metricOnly.isEmpty() ? tr("Primary metric per task")
                                            : tr("%1 per task").arg(metricDisplayName(metricOnly));
    } else {
        for (const QString& metric : m_scores.metrics) {
            if (!metricOnly.isEmpty() && metric != metricOnly)
                continue;
            bool present = false;
            for (size_t m = 0; m < m_scores.models.size(); ++m)
                present = present || std::isfinite(m_scores.value(m, taskOnly, metric));
            if (present)
                categories.push_back({metricDisplayName(metric), taskOnly, metric});
        }
        m_chartTitle = tr("Scores on %1").arg(taskOnly);
    }

    m_chart->removeAllSeries();
    for (QAbstractAxis* axis : m_chart->axes()) {
        m_chart->removeAxis(axis);
        delete axis;
    }
    m_chartCategories.clear();
    for (const auto& c : categories)
        m_chartCategories << c.label;
    m_series = new QBarSeries;
    double lo = 0, hi = 0;
    for (size_t m = 0; m < m_scores.models.size(); ++m) {
        auto* set = new QBarSet(m_scores.models[m].label);
        for (const auto& c : categories) {
            const double v = m_scores.value(m, c.task, c.metric);
            // A bar set cannot hold a gap; a missing score is drawn as 0 and named in the table.
            set->append(std::isfinite(v) ? v : 0.0);
            if (std::isfinite(v)) {
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
        }
        m_series->append(set);
    }
    m_chart->addSeries(m_series);
    m_chart->setTitle(m_chartTitle);
    auto* x = new QBarCategoryAxis;
    x->append(m_chartCategories);
    auto* y = new QValueAxis;
    y->setRange(lo, hi > lo ? hi * 1.05 : lo + 1);
    y->applyNiceNumbers();
    m_chart->addAxis(x, Qt::AlignBottom);
    m_chart->addAxis(y, Qt::AlignLeft);
    m_series->attachAxis(x);
    m_series->attachAxis(y);
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
        fields << csvField(m_proxy->headerData(c, Qt::Horizontal).toString());
    csv += fields.join(QLatin1Char(',')) + QLatin1Char('\n');
    for (int r = 0; r < m_proxy->rowCount(); ++r) {
        fields.clear();
        for (int c = 0; c < m_proxy->columnCount(); ++c) {
            const QVariant v = m_proxy->index(r, c).data();
            fields << csvField(v.typeId() == QMetaType::Double ? QString::number(v.toDouble(), 'g', 12) : v.toString());
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
    const QPixmap pixmap = m_chartView->grab();
    if (file.open(QIODevice::WriteOnly) && pixmap.save(&file, "PNG") && file.commit())
        return true;
    if (!quiet)
        QMessageBox::warning(this, tr("Export PNG"), tr("Cannot write %1: %2").arg(path, file.errorString()));
    return false;
}

bool EvaluationPanel::exportSvg(const QString& path, bool quiet)
{
    std::vector<SvgBarSet> sets;
    if (m_series)
        for (QBarSet* set : m_series->barSets()) {
            SvgBarSet s{set->label(), set->color(), {}};
            for (int i = 0; i < set->count(); ++i)
                s.values.push_back(set->at(i));
            sets.push_back(std::move(s));
        }
    QString error;
    if (writeAtomically(path, barChartSvg(m_chartTitle, m_chartCategories, sets).toUtf8(), error))
        return true;
    if (!quiet)
        QMessageBox::warning(this, tr("Export SVG"), tr("Cannot write %1: %2").arg(path, error));
    return false;
}

void EvaluationPanel::exportWithDialog(const QString& kind)
{
    const QString filter = kind == QLatin1String("csv")   ? tr("CSV files (*.csv)")
                           : kind == QLatin1String("png") ? tr("PNG images (*.png)")
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
