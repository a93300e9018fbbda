#include "ui/eval/forgetting_panel.h"

#include "engine/evaluation.h"
#include "eval/metric_info.h"
#include "ui/eval/example_view.h"
#include "eval/suite.h"
#include "store/run_store.h"

#include <QComboBox>
#include <QDateTime>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLinearGradient>
#include <QListWidget>
#include <QMessageBox>
#include <QPainter>
#include <QPushButton>
#include <QSplitter>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>

#include <nlohmann/json.hpp>

#include <cmath>

namespace tb::ui {

namespace {

const QColor kWorse(178, 24, 43);   // ColorBrewer RdBu ends: red for a drop,
const QColor kBetter(33, 102, 172); // blue for a gain, white for no change

QColor mix(const QColor& a, const QColor& b, double t)
{
    return QColor::fromRgbF(float(a.redF() + (b.redF() - a.redF()) * t), float(a.greenF() + (b.greenF() - a.greenF()) * t),
                            float(a.blueF() + (b.blueF() - a.blueF()) * t));
}

// t in [-1, 1]: -1 the worst drop of the row, +1 its best gain.
QColor divergingColour(double t)
{
    t = std::clamp(t, -1.0, 1.0);
    return t < 0 ? mix(Qt::white, kWorse, -t) : mix(Qt::white, kBetter, t);
}

QString formatNumber(double v) { return std::isfinite(v) ? QString::number(v, 'f', 4) : QStringLiteral("—"); }

QString formatChange(double v)
{
    if (!std::isfinite(v))
        return QStringLiteral("—");
    return (v > 0 ? QStringLiteral("+") : QString()) + QString::number(v, 'f', 4);
}

// The colour scale under the heatmap.
class Legend : public QWidget {
public:
    explicit Legend(QWidget* parent = nullptr) : QWidget(parent) { setMinimumHeight(36); }

protected:
    void paintEvent(QPaintEvent*) override
    {
        QPainter p(this);
        const QRect bar(10, 2, width() - 20, 14);
        QLinearGradient g(bar.topLeft(), bar.topRight());
        g.setColorAt(0, kWorse);
        g.setColorAt(0.5, Qt::white);
        g.setColorAt(1, kBetter);
        p.fillRect(bar, g);
        p.setPen(palette().color(QPalette::WindowText));
        p.drawRect(bar);
        const QRect text(bar.left(), bar.bottom() + 2, bar.width(), height() - bar.height() - 4);
        p.drawText(text, Qt::AlignLeft | Qt::AlignTop, ForgettingPanel::tr("worse than the base"));
        p.drawText(text, Qt::AlignHCenter | Qt::AlignTop, ForgettingPanel::tr("no change"));
        p.drawText(text, Qt::AlignRight | Qt::AlignTop, ForgettingPanel::tr("better (scaled per task)"));
    }
};

} // namespace

ForgettingPanel::ForgettingPanel(const QString& dbPath, QWidget* parent) : QWidget(parent), m_dbPath(dbPath)
{
    m_suite = new QComboBox;
    m_suite->setObjectName("forgettingSuite");
    m_base = new QComboBox;
    m_base->setObjectName("forgettingBase");
    m_base->setToolTip(tr("The base model's own scores are row 0 of the matrix"));
    auto* refreshButton = new QPushButton(tr("&Refresh"));
    auto* top = new QHBoxLayout;
    top->addWidget(new QLabel(tr("Suite:")));
    top->addWidget(m_suite, 1);
    top->addWidget(new QLabel(tr("Base model:")));
    top->addWidget(m_base, 2);
    top->addWidget(refreshButton);

    // Stages: available runs on the left, the ordered stages on the right.
    m_available = new QListWidget;
    m_available->setObjectName("forgettingRuns");
    m_available->setSelectionMode(QAbstractItemView::ExtendedSelection);
    auto* add = new QPushButton(tr("&Add →"));
    auto* remove = new QPushButton(tr("Re&move"));
    auto* up = new QPushButton(tr("&Up"));
    auto* down = new QPushButton(tr("&Down"));
    m_stages = new QTableWidget(0, 2);
    m_stages->setObjectName("forgettingStages");
    m_stages->setHorizontalHeaderLabels({tr("Stage (run)"), tr("Trained task")});
    m_stages->horizontalHeader()->setStretchLastSection(true);
    m_stages->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_stages->setSelectionMode(QAbstractItemView::SingleSelection);
    m_stages->setEditTriggers(QAbstractItemView::NoEditTriggers);
    auto* compute = new QPushButton(tr("&Compute"));
    auto* save = new QPushButton(tr("&Save report"));
    m_stored = new QComboBox;
    m_stored->setObjectName("forgettingStored");
    auto* showStored = new QPushButton(tr("S&how"));

    auto* stageButtons = new QVBoxLayout;
    stageButtons->addWidget(add);
    stageButtons->addWidget(remove);
    stageButtons->addWidget(up);
    stageButtons->addWidget(down);
    stageButtons->addStretch(1);
    auto* stageRow = new QHBoxLayout;
    stageRow->addWidget(m_available, 1);
    stageRow->addLayout(stageButtons);
    stageRow->addWidget(m_stages, 2);
    auto* actions = new QHBoxLayout;
    actions->addWidget(compute);
    actions->addWidget(save);
    actions->addStretch(1);
    actions->addWidget(new QLabel(tr("Stored reports:")));
    actions->addWidget(m_stored, 1);
    actions->addWidget(showStored);
    auto* stagesBox = new QWidget;
    auto* stagesLayout = new QVBoxLayout(stagesBox);
    stagesLayout->setContentsMargins(0, 0, 0, 0);
    stagesLayout->addLayout(stageRow, 1);
    stagesLayout->addLayout(actions);

    // The result.
    m_heatmap = new QTableWidget;
    m_heatmap->setObjectName("forgettingHeatmap");
    m_heatmap->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_heatmap->setSelectionMode(QAbstractItemView::SingleSelection);
    m_heatmap->setToolTip(tr("Click a cell to see that model's outputs on that task"));
    m_heatmap->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_heatmap->horizontalHeader()->setDefaultSectionSize(130);
    // Run names are long: columns take their header's width, at least 130 px.
    m_heatmap->horizontalHeader()->setMinimumSectionSize(130);
    m_heatmap->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_metric = new QLabel;
    m_average = new QLabel;
    m_average->setObjectName("forgettingAverage");
    m_average->setToolTip(tr("Mean score over the tasks after the last stage"));
    m_bwt = new QLabel;
    m_bwt->setObjectName("forgettingBwt");
    m_bwt->setToolTip(tr("Backward transfer (Lopez-Paz & Ranzato 2017): mean change on each earlier stage's task "
                         "from right after that stage to the end; negative means forgetting"));
    m_forgetting = new QLabel;
    m_forgetting->setObjectName("forgettingMeasure");
    m_forgetting->setToolTip(tr("Forgetting (Chaudhry et al. 2018): mean over the tasks trained before the last "
                                "stage of the best earlier score minus the final score"));
    auto* summary = new QHBoxLayout;
    summary->addWidget(m_metric);
    summary->addStretch(1);
    summary->addWidget(m_average);
    summary->addSpacing(20);
    summary->addWidget(m_bwt);
    summary->addSpacing(20);
    summary->addWidget(m_forgetting);
    auto* resultBox = new QWidget;
    auto* resultLayout = new QVBoxLayout(resultBox);
    resultLayout->setContentsMargins(0, 0, 0, 0);
    resultLayout->addLayout(summary);
    resultLayout->addWidget(m_heatmap, 1);
    resultLayout->addWidget(new Legend);

    auto* splitter = new QSplitter(Qt::Vertical);
    splitter->addWidget(stagesBox);
    splitter->addWidget(resultBox);
    splitter->setStretchFactor(1, 2);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(splitter, 1);

    connect(refreshButton, &QPushButton::clicked, this, &ForgettingPanel::refresh);
    connect(add, &QPushButton::clicked, this, [this] {
        for (QListWidgetItem* item : m_available->selectedItems())
            addStage(item->data(Qt::UserRole).toLongLong());
    });
    connect(m_available, &QListWidget::itemDoubleClicked, this,
            [this](QListWidgetItem* item) { addStage(item->data(Qt::UserRole).toLongLong()); });
    connect(remove, &QPushButton::clicked, this, [this] {
        const int row = m_stages->currentRow();
        if (row >= 0)
            m_stages->removeRow(row);
    });
    connect(up, &QPushButton::clicked, this, [this] { moveStage(-1); });
    connect(down, &QPushButton::clicked, this, [this] { moveStage(+1); });
    connect(compute, &QPushButton::clicked, this, &ForgettingPanel::compute);
    connect(save, &QPushButton::clicked, this, &ForgettingPanel::saveReport);
    connect(showStored, &QPushButton::clicked, this,
            [this] { showStoredReport(m_stored->currentData().toLongLong()); });
    connect(m_suite, &QComboBox::currentTextChanged, this, &ForgettingPanel::refresh);
    connect(m_heatmap, &QTableWidget::cellClicked, this, &ForgettingPanel::openExamples);

    refresh();
}

void ForgettingPanel::refresh()
{
    QStringList suites;
    std::vector<store::ForgettingRecord> reports;
    try {
        store::RunStore db(m_dbPath.toStdString());
        m_models = availableModels(db);
        suites = storedSuites(db);
        {
            const QSignalBlocker block(m_suite);
            const QString keep = m_suite->currentText();
            m_suite->clear();
            m_suite->addItems(suites);
            if (!keep.isEmpty() && m_suite->findText(keep) < 0)
                m_suite->addItem(keep);
            m_suite->setCurrentIndex(keep.isEmpty() ? (suites.isEmpty() ? -1 : 0) : m_suite->findText(keep));
        }
        reports = db.forgettingReports(suite().toStdString());
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Run store"), QString::fromStdString(e.what()));
        return;
    }
    {
        const QString keep = m_base->currentText();
        m_base->clear();
        for (const auto& key : m_models)
            if (key.run == 0)
                m_base->addItem(key.baseModel);
        if (!keep.isEmpty())
            setBaseModel(keep);
    }
    m_available->clear();
    for (const auto& key : m_models) {
        if (key.run == 0)
            continue;
        auto* item = new QListWidgetItem(key.label, m_available);
        item->setData(Qt::UserRole, static_cast<qlonglong>(key.run));
        item->setToolTip(key.baseModel);
    }
    m_stored->clear();
    for (const auto& r : reports)
        m_stored->addItem(tr("%1 (%2)").arg(QString::fromStdString(r.name),
                                            QDateTime::fromMSecsSinceEpoch(r.createdAt).toString(Qt::ISODate)),
                          static_cast<qlonglong>(r.id));
    // Opening the panel on a store that already holds an analysis (say, one
    // made by `tunebench-cli forgetting`) shows the newest instead of nothing.
    if (!m_report && !reports.empty())
        QTimer::singleShot(0, this, [this, id = reports.front().id] {
            if (!m_report)
                showStoredReport(id);
        });
    // Stage task choices follow the suite's tasks.
    const QStringList tasks = suiteTasks();
    for (int row = 0; row < m_stages->rowCount(); ++row) {
        auto* combo = qobject_cast<QComboBox*>(m_stages->cellWidget(row, 1));
        if (!combo)
            continue;
        const QString keep = combo->currentData().toString();
        combo->clear();
        combo->addItem(tr("(unknown)"), QString());
        for (const QString& t : tasks)
            combo->addItem(t, t);
        combo->setCurrentIndex(std::max(0, combo->findData(keep)));
    }
}

void ForgettingPanel::setSuitePath(const QString& path)
{
    try {
        setSuite(QString::fromStdString(eval::readSuite(path.toStdString()).name));
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Suite"), QString::fromStdString(e.what()));
    }
}

void ForgettingPanel::setSuite(const QString& name)
{
    if (m_suite->findText(name) < 0)
        m_suite->addItem(name);
    m_suite->setCurrentIndex(m_suite->findText(name));
}

QString ForgettingPanel::suite() const { return m_suite->currentText(); }

void ForgettingPanel::setBaseModel(const QString& path)
{
    if (m_base->findText(path) < 0)
        m_base->addItem(path);
    m_base->setCurrentIndex(m_base->findText(path));
}

QString ForgettingPanel::baseModel() const { return m_base->currentText(); }

QStringList ForgettingPanel::suiteTasks() const
{
    try {
        store::RunStore db(m_dbPath.toStdString());
        std::vector<ModelKey> all = m_models;
        return loadSuiteScores(db, suite(), all).tasks;
    } catch (const std::exception&) {
        return {};
    }
}

// A run trained a task when its training files name it: a file's "task", or a
// suite task's name as a folder or file name in the file's path (the demo's
// data/<task>/train.jsonl). Several matches mean a multi-task stage: unknown.
QString ForgettingPanel::guessStageTask(qint64 run, const QStringList& tasks) const
{
    QStringList found;
    try {
        const auto r = store::RunStore(m_dbPath.toStdString()).run(run);
        const auto config = nlohmann::json::parse(r.configJson);
        const auto data = config.find("data");
        if (data == config.end() || !data->is_object() || !data->contains("train"))
            return {};
        for (const auto& file : data->at("train")) {
            QString task;
            QString path;
            if (file.is_string()) {
                path = QString::fromStdString(file.get<std::string>());
            } else if (file.is_object()) {
                path = QString::fromStdString(file.value("path", std::string()));
                task = QString::fromStdString(file.value("task", std::string()));
            }
            if (task.isEmpty()) {
                const QStringList parts = QString(path).replace(QLatin1Char('\\'), QLatin1Char('/')).split(QLatin1Char('/'));
                for (const QString& t : tasks)
                    for (const QString& part : parts)
                        if (part == t || QFileInfo(part).completeBaseName() == t)
                            task = t;
            }
            if (!task.isEmpty() && tasks.contains(task) && !found.contains(task))
                found << task;
        }
    } catch (const std::exception&) {
        return {};
    }
    return found.size() == 1 ? found.first() : QString();
}

void ForgettingPanel::addStage(qint64 run)
{
    QString label = QString::number(run);
    QString base;
    for (const auto& key : m_models)
        if (key.run == run) {
            label = key.label;
            base = key.baseModel;
        }
    const int row = m_stages->rowCount();
    m_stages->insertRow(row);
    auto* item = new QTableWidgetItem(label);
    item->setData(Qt::UserRole, static_cast<qlonglong>(run));
    m_stages->setItem(row, 0, item);
    auto* combo = new QComboBox;
    combo->addItem(tr("(unknown)"), QString());
    const QStringList tasks = suiteTasks();
    for (const QString& t : tasks)
        combo->addItem(t, t);
    combo->setCurrentIndex(std::max(0, combo->findData(guessStageTask(run, tasks))));
    m_stages->setCellWidget(row, 1, combo);
    // The first stage's base model is the natural row 0.
    if (row == 0 && !base.isEmpty())
        setBaseModel(base);
}

void ForgettingPanel::moveStage(int delta)
{
    const int row = m_stages->currentRow();
    const int to = row + delta;
    if (row < 0 || to < 0 || to >= m_stages->rowCount())
        return;
    std::vector<qint64> runs = stages();
    std::vector<QString> tasks;
    for (int i = 0; i < m_stages->rowCount(); ++i)
        tasks.push_back(stageTask(i));
    std::swap(runs[size_t(row)], runs[size_t(to)]);
    std::swap(tasks[size_t(row)], tasks[size_t(to)]);
    const QString base = baseModel();
    setStages(runs);
    for (int i = 0; i < int(tasks.size()); ++i)
        setStageTask(i, tasks[size_t(i)]);
    setBaseModel(base);
    m_stages->setCurrentCell(to, 0);
}

void ForgettingPanel::setStages(const std::vector<qint64>& runs)
{
    m_stages->setRowCount(0);
    for (qint64 run : runs)
        addStage(run);
}

std::vector<qint64> ForgettingPanel::stages() const
{
    std::vector<qint64> runs;
    for (int row = 0; row < m_stages->rowCount(); ++row)
        runs.push_back(m_stages->item(row, 0)->data(Qt::UserRole).toLongLong());
    return runs;
}

void ForgettingPanel::setStageTask(int stage, const QString& task)
{
    if (auto* combo = qobject_cast<QComboBox*>(m_stages->cellWidget(stage, 1)))
        combo->setCurrentIndex(std::max(0, combo->findData(task)));
}

QString ForgettingPanel::stageTask(int stage) const
{
    const auto* combo = qobject_cast<QComboBox*>(m_stages->cellWidget(stage, 1));
    return combo ? combo->currentData().toString() : QString();
}

void ForgettingPanel::compute()
{
    const std::vector<qint64> runs = stages();
    if (suite().isEmpty() || baseModel().isEmpty() || runs.empty()) {
        QMessageBox::information(this, tr("Forgetting"), tr("Choose a suite, a base model and at least one stage."));
        return;
    }
    std::vector<ModelKey> models{{0, baseModel(), {}}};
    eval::ForgettingInput input;
    for (int i = 0; i < int(runs.size()); ++i) {
        ModelKey key{runs[size_t(i)], {}, m_stages->item(i, 0)->text()};
        models.push_back(key);
        input.stages.push_back(key.label.toStdString());
    }
    SuiteScores scores;
    try {
        scores = loadSuiteScores(store::RunStore(m_dbPath.toStdString()), suite(), models);
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Run store"), QString::fromStdString(e.what()));
        return;
    }
    if (scores.tasks.isEmpty()) {
        QMessageBox::information(this, tr("Forgetting"),
                                 tr("No stored scores of suite %1 for these models: evaluate them first.").arg(suite()));
        return;
    }
    // Each task by its primary metric, taken from the first model that has it.
    QStringList metrics;
    for (const QString& task : scores.tasks) {
        QString metric;
        for (size_t m = 0; m < models.size() && metric.isEmpty(); ++m)
            if (const TaskScores* s = scores.find(m, task))
                metric = primaryMetric(*s);
        metrics << metric;
        input.tasks.push_back(task.toStdString());
    }
    input.scores.assign(models.size(), {});
    for (size_t m = 0; m < models.size(); ++m)
        for (int j = 0; j < int(scores.tasks.size()); ++j) {
            const double v = scores.value(m, scores.tasks[j], metrics[j]);
            // Loss-like metrics are negated so that higher is better everywhere.
            input.scores[m].push_back(eval::higherIsBetter(metrics[j].toStdString()) ? v : -v);
        }
    for (int i = 0; i < int(runs.size()); ++i)
        input.stageTask.push_back(int(scores.tasks.indexOf(stageTask(i))));
    QStringList shown;
    for (int j = 0; j < int(metrics.size()); ++j)
        shown << (eval::higherIsBetter(metrics[j].toStdString()) ? metrics[j] : QStringLiteral("-") + metrics[j]);
    shown.removeDuplicates();
    input.metric = shown.join(QStringLiteral(", ")).toStdString();
    try {
        m_reportBase = baseModel();
        showReport(eval::computeForgetting(input), runs);
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Forgetting"), QString::fromStdString(e.what()));
    }
}

void ForgettingPanel::showReport(const eval::ForgettingReport& report, const std::vector<qint64>& runs)
{
    m_report = report;
    m_reportRuns = runs;
    const auto& in = report.input;
    const int tasks = int(in.tasks.size());
    const int columns = int(in.stages.size()) + 1;
    m_heatmap->clear();
    m_heatmap->setRowCount(tasks);
    m_heatmap->setColumnCount(columns);
    QStringList headers{tr("Base")};
    for (const auto& s : in.stages)
        headers << QString::fromStdString(s);
    m_heatmap->setHorizontalHeaderLabels(headers);
    QStringList rows;
    for (const auto& t : in.tasks)
        rows << QString::fromStdString(t);
    m_heatmap->setVerticalHeaderLabels(rows);
    for (int j = 0; j < tasks; ++j) {
        // Each task has its own scale (BLEU is 0..100, ROUGE 0..1): colour by
        // the change relative to the task's largest change.
        double scale = 0;
        for (int i = 1; i < columns; ++i)
            if (std::isfinite(report.change[size_t(i)][size_t(j)]))
                scale = std::max(scale, std::abs(report.change[size_t(i)][size_t(j)]));
        for (int i = 0; i < columns; ++i) {
            const double score = in.scores[size_t(i)][size_t(j)];
            const double change = report.change[size_t(i)][size_t(j)];
            auto* item = new QTableWidgetItem(i == 0 ? formatNumber(score)
                                                     : formatNumber(score) + QLatin1Char('\n') + formatChange(change));
            item->setData(ScoreRole, score);
            item->setData(ChangeRole, change);
            item->setTextAlignment(Qt::AlignCenter);
            if (std::isfinite(change)) {
                const QColor c = divergingColour(scale > 0 ? change / scale : 0.0);
                item->setBackground(c);
                item->setForeground(c.lightnessF() < 0.55 ? Qt::white : Qt::black);
            }
            item->setToolTip(tr("%1 on %2: %3 (change against the base %4)")
                                 .arg(headers[i], rows[j], formatNumber(score), formatChange(change)));
            m_heatmap->setItem(j, i, item);
        }
    }
    m_metric->setText(tr("Metric: %1").arg(QString::fromStdString(in.metric)));
    m_average->setText(tr("Average score: %1").arg(formatNumber(report.averageScore)));
    m_bwt->setText(tr("Backward transfer: %1")
                       .arg(report.backwardTransfer ? formatChange(*report.backwardTransfer) : tr("n/a")));
    m_forgetting->setText(tr("Forgetting: %1")
                              .arg(report.forgetting ? formatNumber(*report.forgetting) : tr("n/a")));
    if (!report.backwardTransfer)
        m_bwt->setToolTip(tr("Needs at least two stages and the task each earlier stage trained"));
}

qint64 ForgettingPanel::saveReport()
{
    if (!m_report)
        return 0;
    store::ForgettingRecord record;
    record.suite = suite().toStdString();
    QStringList names;
    for (const auto& s : m_report->input.stages)
        names << QString::fromStdString(s);
    record.name = tr("%1: %2").arg(suite(), names.join(QStringLiteral(" → "))).toStdString();
    record.runsJson = nlohmann::json(std::vector<int64_t>(m_reportRuns.begin(), m_reportRuns.end())).dump();
    nlohmann::json json = eval::toJson(*m_report);
    json["base_model"] = m_reportBase.toStdString(); // for the example view of a stored report
    record.reportJson = json.dump();
    qint64 id = 0;
    try {
        id = store::RunStore(m_dbPath.toStdString()).addForgettingReport(record);
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Save report"), QString::fromStdString(e.what()));
        return 0;
    }
    refresh();
    m_stored->setCurrentIndex(std::max(0, m_stored->findData(id)));
    return id;
}

void ForgettingPanel::showStoredReport(qint64 id)
{
    try {
        for (const auto& r : store::RunStore(m_dbPath.toStdString()).forgettingReports()) {
            if (r.id != id)
                continue;
            const auto json = nlohmann::json::parse(r.reportJson);
            m_reportBase = QString::fromStdString(json.value("base_model", baseModel().toStdString()));
            showReport(eval::forgettingFromJson(json),
                       nlohmann::json::parse(r.runsJson).get<std::vector<qint64>>());
            if (suite() != QString::fromStdString(r.suite))
                setSuite(QString::fromStdString(r.suite));
            return;
        }
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Forgetting"), QString::fromStdString(e.what()));
    }
}

void ForgettingPanel::openExamples(int row, int column)
{
    if (!m_report || row < 0 || column < 0 || row >= int(m_report->input.tasks.size()))
        return;
    const qint64 run = column == 0 ? 0 : m_reportRuns.at(size_t(column - 1));
    const QString task = QString::fromStdString(m_report->input.tasks[size_t(row)]);
    Q_EMIT exampleViewRequested(run, suite(), task);
    if (!m_opensDialog)
        return;
    // The base beside the clicked model, so the change is visible example by example.
    std::vector<ModelKey> models{{0, m_reportBase, {}}};
    for (const auto& key : m_models)
        if (key.run == 0 && key.baseModel == m_reportBase)
            models[0].label = key.label;
    if (models[0].label.isEmpty())
        models[0].label = tr("base");
    if (run != 0)
        models.push_back({run, {}, m_heatmap->horizontalHeaderItem(column)->text()});
    try {
        const SuiteScores scores = loadSuiteScores(store::RunStore(m_dbPath.toStdString()), suite(), models);
        auto* dialog = new ExampleDialog(m_dbPath, scores, task, this);
        dialog->setObjectName("forgettingExamples");
        dialog->show();
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Examples"), QString::fromStdString(e.what()));
    }
}

} // namespace tb::ui
