#include "ui/eval/forgetting_panel.h"
#include "ui/common/window_store.h"
#include "ui/common/csv.h"
#include "ui/common/tables.h"

#include "engine/evaluation.h"
#include "engine/general_ability.h"
#include "engine/run_relation.h"
#include "eval/metric_info.h"
#include "io/atomic_file.h"
#include "ui/eval/evaluation_job.h"
#include "ui/eval/example_view.h"
#include "eval/suite.h"
#include "store/run_store.h"

#include <QBuffer>
#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLinearGradient>
#include <QListWidget>
#include <QLocale>
#include <QMessageBox>
#include <QPainter>
#include <QProgressBar>
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
const QColor kBetter(33, 102, 172); // blue for a gain, the palette's base colour for no change

QColor mix(const QColor& a, const QColor& b, double t)
{
    return QColor::fromRgbF(float(a.redF() + (b.redF() - a.redF()) * t), float(a.greenF() + (b.greenF() - a.greenF()) * t),
                            float(a.blueF() + (b.blueF() - a.blueF()) * t));
}

// t in [-1, 1]: -1 the worst drop of the row, +1 its best gain; 0 the
// palette's base colour, so the map reads in the dark palette too.
QColor divergingColour(double t, const QColor& neutral)
{
    t = std::clamp(t, -1.0, 1.0);
    return t < 0 ? mix(neutral, kWorse, -t) : mix(neutral, kBetter, t);
}

QColor textOn(const QColor& background) { return background.lightnessF() < 0.55 ? Qt::white : Qt::black; }

QString csvNumber(double v) { return std::isfinite(v) ? QString::number(v, 'g', 17) : QString(); }

// What a person reads: the user's locale ("0,4800" in German); csvNumber is for files.
QString formatNumber(double v) { return std::isfinite(v) ? QLocale().toString(v, 'f', 4) : QStringLiteral("—"); }

QString formatChange(double v)
{
    if (!std::isfinite(v))
        return QStringLiteral("—");
    return (v > 0 ? QStringLiteral("+") : QString()) + QLocale().toString(v, 'f', 4);
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
        g.setColorAt(0.5, palette().color(QPalette::Base));
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
    for (QComboBox* combo : {m_suite, m_base}) { // a long model path must not widen the panel
        combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        combo->setMinimumContentsLength(16);
    }
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
    m_mode = new QComboBox;
    m_mode->setObjectName("forgettingMode");
    m_mode->addItem(tr("Independent runs of one base"), QStringLiteral("independent"));
    m_mode->addItem(tr("Sequential chain"), QStringLiteral("chain"));
    m_mode->setToolTip(tr("Independent: each run fine-tunes the same base model. Chain: each run fine-tunes the "
                          "model the previous run produced. The default is what the runs' configurations show."));
    m_normalise = new QCheckBox(tr("Count &perplexity as log change"));
    m_normalise->setObjectName("forgettingNormalise");
    m_normalise->setToolTip(tr("Perplexity and other lower-is-better scores are left out of gains, costs, backward "
                               "transfer and forgetting; checked, they count as ln(base / score) (for perplexity: "
                               "the drop in mean token loss)"));
    m_modeWarning = new QLabel;
    m_modeWarning->setObjectName("forgettingModeWarning");
    m_modeWarning->setWordWrap(true);
    m_modeWarning->setVisible(false);
    m_general = new QPushButton(tr("Check &general ability"));
    m_general->setObjectName("forgettingGeneral");
    m_general->setToolTip(tr("Loss and perplexity on a general text sample, of the stages (or the selected runs) "
                             "and their base models; stored as suite \"general\""));
    auto* generalText = new QPushButton(tr("Te&xt…"));
    generalText->setToolTip(tr("The text sample for the general check (default: the one shipped with Tunebench)"));
    m_generalProgress = new QProgressBar;
    m_generalProgress->setObjectName("forgettingGeneralProgress");
    m_generalProgress->setVisible(false);
    m_generalCancel = new QPushButton(tr("Cancel"));
    m_generalCancel->setObjectName("forgettingGeneralCancel");
    m_generalCancel->setVisible(false);
    auto* modeRow = new QHBoxLayout;
    modeRow->addWidget(new QLabel(tr("Runs are:")));
    modeRow->addWidget(m_mode);
    modeRow->addWidget(m_normalise);
    modeRow->addStretch(1);
    modeRow->addWidget(m_general);
    modeRow->addWidget(generalText);
    modeRow->addWidget(m_generalProgress);
    modeRow->addWidget(m_generalCancel);
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
    stagesLayout->addLayout(modeRow);
    stagesLayout->addWidget(m_modeWarning);
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
    m_metric->setWordWrap(true);
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
    m_gain = new QLabel;
    m_gain->setObjectName("forgettingGain");
    m_gain->setToolTip(tr("Mean over the runs of the change on the task each run was trained on"));
    m_elsewhere = new QLabel;
    m_elsewhere->setObjectName("forgettingElsewhere");
    m_elsewhere->setToolTip(tr("Mean over the runs of the mean change on the tasks a run was not trained on; "
                               "negative is the cost of fine-tuning"));
    m_explanation = new QLabel;
    m_explanation->setObjectName("forgettingExplanation");
    m_explanation->setWordWrap(true);
    m_explanation->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_explanation->setFrameShape(QFrame::StyledPanel);
    m_explanation->setMargin(6);
    auto* exportHeatmapButton = new QPushButton(tr("Export &heatmap…"));
    auto* exportTableButton = new QPushButton(tr("Export &table…"));
    // Two rows, so that longer (translated) labels do not widen the panel.
    auto* heading = new QHBoxLayout;
    heading->addWidget(m_metric, 1);
    heading->addWidget(exportHeatmapButton);
    heading->addWidget(exportTableButton);
    auto* summary = new QHBoxLayout;
    summary->addWidget(m_average);
    summary->addSpacing(20);
    summary->addWidget(m_gain);
    summary->addSpacing(20);
    summary->addWidget(m_elsewhere);
    summary->addWidget(m_bwt);
    summary->addSpacing(20);
    summary->addWidget(m_forgetting);
    summary->addStretch(1);
    m_result = new QWidget;
    auto* resultLayout = new QVBoxLayout(m_result);
    resultLayout->setContentsMargins(0, 0, 0, 0);
    resultLayout->addLayout(heading);
    resultLayout->addLayout(summary);
    resultLayout->addWidget(m_heatmap, 1);
    resultLayout->addWidget(new Legend);
    resultLayout->addWidget(m_explanation);
    m_empty = makeEmptyState(QString(), "forgettingEmpty");
    auto* resultBox = new QWidget;
    auto* resultBoxLayout = new QVBoxLayout(resultBox);
    resultBoxLayout->setContentsMargins(0, 0, 0, 0);
    resultBoxLayout->addWidget(m_result, 1);
    resultBoxLayout->addWidget(m_empty, 1);

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
        stagesChanged();
    });
    connect(m_available, &QListWidget::itemDoubleClicked, this, [this](QListWidgetItem* item) {
        addStage(item->data(Qt::UserRole).toLongLong());
        stagesChanged();
    });
    connect(remove, &QPushButton::clicked, this, [this] {
        const int row = m_stages->currentRow();
        if (row >= 0)
            m_stages->removeRow(row);
        stagesChanged();
    });
    connect(up, &QPushButton::clicked, this, [this] { moveStage(-1); });
    connect(down, &QPushButton::clicked, this, [this] { moveStage(+1); });
    connect(compute, &QPushButton::clicked, this, &ForgettingPanel::compute);
    connect(save, &QPushButton::clicked, this, &ForgettingPanel::saveReport);
    connect(showStored, &QPushButton::clicked, this,
            [this] { showStoredReport(m_stored->currentData().toLongLong()); });
    connect(m_suite, &QComboBox::currentTextChanged, this, &ForgettingPanel::refresh);
    connect(m_heatmap, &QTableWidget::cellClicked, this, &ForgettingPanel::openExamples);
    connect(m_mode, QOverload<int>::of(&QComboBox::activated), this, [this] {
        m_modeChosen = true;
        updateModeWarning();
        recomputeShown();
    });
    connect(m_normalise, &QCheckBox::toggled, this, [this] { recomputeShown(); });
    connect(exportHeatmapButton, &QPushButton::clicked, this, [this] {
        QString filter;
        const QString path = QFileDialog::getSaveFileName(this, tr("Export heatmap"), QStringLiteral("forgetting.svg"),
                                                          tr("SVG (*.svg);;PNG image (*.png)"), &filter);
        if (!path.isEmpty())
            exportHeatmap(path);
    });
    connect(exportTableButton, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export table"), QStringLiteral("forgetting.csv"),
                                                          tr("CSV (*.csv)"));
        if (!path.isEmpty())
            exportTable(path);
    });
    connect(m_general, &QPushButton::clicked, this, &ForgettingPanel::checkGeneralAbility);
    connect(m_generalCancel, &QPushButton::clicked, this, &ForgettingPanel::cancelGeneralAbility);
    connect(generalText, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("General text sample"), m_generalText,
                                                          tr("Text (*.txt);;All files (*)"));
        if (!path.isEmpty())
            m_generalText = path;
    });

    refresh();
}

void ForgettingPanel::refresh()
{
    QStringList suites;
    std::vector<store::ForgettingRecord> reports;
    try {
        store::RunStore& db = windowStore(m_dbPath);
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
        m_stored->addItem(tr("%1 (%2)").arg(QString::fromStdString(r.name), localDateTime(r.createdAt)),
                          static_cast<qlonglong>(r.id));
    updateEmptyState();
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
        store::RunStore& db = windowStore(m_dbPath);
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
        const auto r = windowStore(m_dbPath).run(run);
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
    stagesChanged();
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
        scores = loadSuiteScores(windowStore(m_dbPath), suite(), models);
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
    // Raw scores: each task's metric tells eval/forgetting.h its direction.
    input.scores.assign(models.size(), {});
    for (size_t m = 0; m < models.size(); ++m)
        for (int j = 0; j < int(scores.tasks.size()); ++j)
            input.scores[m].push_back(scores.value(m, scores.tasks[j], metrics[j]));
    for (const QString& metric : metrics)
        input.taskMetrics.push_back(metric.toStdString());
    for (int i = 0; i < int(runs.size()); ++i)
        input.stageTask.push_back(int(scores.tasks.indexOf(stageTask(i))));
    input.mode = mode();
    input.lowerIsBetter = m_normalise->isChecked() ? eval::LowerIsBetter::Normalise : eval::LowerIsBetter::Exclude;
    QStringList shown = metrics;
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
    const QColor neutral = palette().color(QPalette::Base);
    for (int j = 0; j < tasks; ++j) {
        // Each task has its own scale (BLEU is 0..100, ROUGE 0..1): colour by
        // the comparable change (better is blue whatever the metric's
        // direction) relative to the task's largest one.
        double scale = 0;
        for (int i = 1; i < columns; ++i)
            if (std::isfinite(report.comparable[size_t(i)][size_t(j)]))
                scale = std::max(scale, std::abs(report.comparable[size_t(i)][size_t(j)]));
        const bool lower = !report.higherIsBetter[size_t(j)];
        const QString metric =
            in.taskMetrics.empty() ? QString() : metricDisplayName(QString::fromStdString(in.taskMetrics[size_t(j)]));
        for (int i = 0; i < columns; ++i) {
            const double score = in.scores[size_t(i)][size_t(j)];
            const double change = report.change[size_t(i)][size_t(j)];
            const double comparable = report.comparable[size_t(i)][size_t(j)];
            QString text = formatNumber(score);
            if (i > 0)
                text += QLatin1Char('\n') + formatChange(change);
            // Lower-is-better cells say how the summaries treat them.
            if (lower && i > 0)
                text += QLatin1Char('\n') + (report.counted[size_t(j)] ? tr("ln %1").arg(formatChange(comparable))
                                                                       : tr("(excluded)"));
            auto* item = new QTableWidgetItem(text);
            item->setData(ScoreRole, score);
            item->setData(ChangeRole, change);
            item->setData(ComparableRole, comparable);
            item->setTextAlignment(Qt::AlignCenter);
            if (std::isfinite(comparable)) {
                const QColor c = divergingColour(scale > 0 ? comparable / scale : 0.0, neutral);
                item->setBackground(c);
                item->setForeground(textOn(c));
            }
            QString tip = tr("%1 on %2: %3 (change against the base %4)")
                              .arg(headers[i], rows[j], formatNumber(score), formatChange(change));
            if (lower)
                tip += QLatin1Char('\n')
                       + (report.counted[size_t(j)]
                              ? tr("%1 is lower-is-better: counted as ln(base / score) = %2").arg(metric, formatChange(comparable))
                              : tr("%1 is lower-is-better: left out of the averages, gains and costs").arg(metric));
            item->setToolTip(tip);
            m_heatmap->setItem(j, i, item);
        }
    }
    QStringList metricNames; // in.metric lists the stored names, comma-separated
    for (const QString& name : QString::fromStdString(in.metric).split(QStringLiteral(", "), Qt::SkipEmptyParts))
        metricNames << metricDisplayName(name);
    m_metric->setText(tr("Metric: %1").arg(metricNames.join(QStringLiteral(", "))));
    updateEmptyState();
    showSummaries(report);
    // A stored report brings its own mode.
    const QSignalBlocker block(m_mode);
    m_mode->setCurrentIndex(std::max(0, m_mode->findData(QString::fromStdString(eval::forgettingModeName(in.mode)))));
    const QSignalBlocker blockNormalise(m_normalise);
    m_normalise->setChecked(in.lowerIsBetter == eval::LowerIsBetter::Normalise);
    updateModeWarning();
}

void ForgettingPanel::showSummaries(const eval::ForgettingReport& report)
{
    const bool chain = report.input.mode == eval::ForgettingMode::Chain;
    m_average->setText(tr("Average score: %1").arg(formatNumber(report.averageScore)));
    m_bwt->setVisible(chain);
    m_forgetting->setVisible(chain);
    m_gain->setVisible(!chain);
    m_elsewhere->setVisible(!chain);
    m_bwt->clear();
    m_forgetting->clear();
    m_gain->clear();
    m_elsewhere->clear();
    if (chain) {
        m_bwt->setText(tr("Backward transfer: %1")
                           .arg(report.backwardTransfer ? formatChange(*report.backwardTransfer) : tr("n/a")));
        m_forgetting->setText(tr("Forgetting: %1")
                                  .arg(report.forgetting ? formatNumber(*report.forgetting) : tr("n/a")));
    } else {
        m_gain->setText(tr("Mean gain: %1").arg(report.meanGain ? formatChange(*report.meanGain) : tr("n/a")));
        m_elsewhere->setText(tr("Mean change elsewhere: %1")
                                 .arg(report.meanChangeElsewhere ? formatChange(*report.meanChangeElsewhere) : tr("n/a")));
    }
    m_explanation->setText(explanation(report));
}

// The numbers of the current mode in plain words.
QString ForgettingPanel::explanation(const eval::ForgettingReport& report) const
{
    const auto& in = report.input;
    QStringList parts;
    if (in.mode == eval::ForgettingMode::Independent) {
        parts << tr("Independent runs of one base model: each run is compared with the base. Gain is the change on "
                    "the task the run was trained on; the change elsewhere is the mean change on the other tasks, "
                    "and a negative one is what the fine-tune cost.");
        for (size_t i = 0; i < report.perStage.size(); ++i) {
            const auto& st = report.perStage[i];
            const QString run = QString::fromStdString(in.stages[i]);
            const int t = in.stageTask.empty() ? -1 : in.stageTask[i];
            QString elsewhere;
            if (!st.changeElsewhere)
                elsewhere = tr("had no other task to compare");
            else if (*st.changeElsewhere < 0)
                elsewhere = tr("lost %1 on average elsewhere").arg(formatNumber(-*st.changeElsewhere));
            else
                elsewhere = tr("gained %1 on average elsewhere").arg(formatNumber(*st.changeElsewhere));
            if (st.gain)
                parts << tr("%1 gained %2 on %3 and %4.")
                             .arg(run, formatChange(*st.gain), QString::fromStdString(in.tasks[size_t(t)]), elsewhere);
            else if (t >= 0)
                parts << tr("%1 has no comparable score on its task %2 and %3.")
                             .arg(run, QString::fromStdString(in.tasks[size_t(t)]), elsewhere);
            else
                parts << tr("%1 (trained task unknown: choose it in the stage list) %2.").arg(run, elsewhere);
        }
    } else {
        parts << tr("A sequential chain: each run continues from the model the run before it produced.");
        if (report.backwardTransfer)
            parts << tr("Backward transfer %1: on average, each earlier stage's task changed by %1 from right after "
                        "it was trained to the end of the chain (negative means it was forgotten).")
                         .arg(formatChange(*report.backwardTransfer));
        if (report.forgetting)
            parts << tr("Forgetting %1: on average, the tasks trained before the last stage ended %1 below their "
                        "best score.")
                         .arg(formatNumber(*report.forgetting));
        if (!report.backwardTransfer && !report.forgetting)
            parts << tr("Backward transfer and forgetting need at least two stages and the task each earlier stage "
                        "trained.");
    }
    parts << tr("Average score after the last stage: %1.").arg(formatNumber(report.averageScore));
    for (size_t j = 0; j < in.tasks.size(); ++j) {
        if (report.higherIsBetter[j])
            continue;
        const QString task = QString::fromStdString(in.tasks[j]);
        const QString metric = in.taskMetrics.empty() ? QString() : metricDisplayName(QString::fromStdString(in.taskMetrics[j]));
        parts << (report.counted[j]
                      ? tr("%1 (%2, lower is better) counts as ln(base / score): %3 is about 5% lower.")
                            .arg(task, metric, QLocale().toString(0.05, 'f', 2).prepend(QLatin1Char('+')))
                      : tr("%1 (%2, lower is better) is shown as measured but left out of the average and the "
                           "summaries.")
                            .arg(task, metric));
    }
    return parts.join(QLatin1Char(' '));
}

void ForgettingPanel::updateEmptyState()
{
    QString text;
    if (!m_report)
        text = m_available->count() == 0
                   ? tr("No runs yet — train one in Live training (F5) and evaluate it; then add runs here as stages.")
                   : tr("No forgetting analysis yet — add runs as stages above and press Compute.");
    m_empty->setText(text);
    m_empty->setVisible(!text.isEmpty());
    m_result->setVisible(text.isEmpty());
}

void ForgettingPanel::recomputeShown()
{
    if (!m_report)
        return;
    auto input = m_report->input;
    input.mode = mode();
    input.lowerIsBetter = m_normalise->isChecked() ? eval::LowerIsBetter::Normalise : eval::LowerIsBetter::Exclude;
    try {
        showReport(eval::computeForgetting(input), m_reportRuns);
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Forgetting"), QString::fromStdString(e.what()));
    }
}

void ForgettingPanel::setMode(eval::ForgettingMode mode)
{
    m_mode->setCurrentIndex(m_mode->findData(QString::fromStdString(eval::forgettingModeName(mode))));
    m_modeChosen = true;
    updateModeWarning();
    recomputeShown();
}

eval::ForgettingMode ForgettingPanel::mode() const
{
    return eval::parseForgettingMode(m_mode->currentData().toString().toStdString());
}

void ForgettingPanel::setNormaliseLowerIsBetter(bool normalise) { m_normalise->setChecked(normalise); }

// The stages changed: detect how they relate and, unless the user chose a
// mode, make the detected relation the mode.
void ForgettingPanel::stagesChanged()
{
    m_detected = eval::ForgettingMode::Independent;
    m_relationProblem.clear();
    const std::vector<qint64> runs = stages();
    try {
        const auto info = engine::detectRunRelation(windowStore(m_dbPath),
                                                    std::vector<int64_t>(runs.begin(), runs.end()));
        if (info.relation == engine::RunRelation::Chain)
            m_detected = eval::ForgettingMode::Chain;
        else if (info.relation == engine::RunRelation::Unrelated)
            m_relationProblem = QString::fromStdString(info.reason);
    } catch (const std::exception& e) {
        m_relationProblem = QString::fromStdString(e.what());
    }
    if (!m_modeChosen) {
        const QSignalBlocker block(m_mode);
        m_mode->setCurrentIndex(m_mode->findData(QString::fromStdString(eval::forgettingModeName(m_detected))));
    }
    updateModeWarning();
}

void ForgettingPanel::updateModeWarning()
{
    QString warning;
    if (!m_relationProblem.isEmpty())
        warning = tr("These runs do not share a base model (%1): the comparison with the base is not meaningful.")
                      .arg(m_relationProblem);
    else if (mode() == eval::ForgettingMode::Chain && m_detected != eval::ForgettingMode::Chain && stages().size() > 1)
        warning = tr("These runs each fine-tune the same base model, not the previous run's model: backward transfer "
                     "and forgetting assume a chain and may mislead here.");
    m_modeWarning->setText(warning);
    m_modeWarning->setVisible(!warning.isEmpty());
}

void ForgettingPanel::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange && m_report)
        showReport(*m_report, m_reportRuns);
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
        id = windowStore(m_dbPath).addForgettingReport(record);
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
        for (const auto& r : windowStore(m_dbPath).forgettingReports()) {
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
        const SuiteScores scores = loadSuiteScores(windowStore(m_dbPath), suite(), models);
        auto* dialog = new ExampleDialog(m_dbPath, scores, task, this);
        dialog->setObjectName("forgettingExamples");
        dialog->show();
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Examples"), QString::fromStdString(e.what()));
    }
}

ForgettingPanel::~ForgettingPanel()
{
    delete m_job; // cancels and joins a check still going, before the widgets it reports to go
}

QString ForgettingPanel::tableCsv() const
{
    if (!m_report)
        return {};
    const auto& r = *m_report;
    const auto& in = r.input;
    QString text = QStringLiteral("task,metric,model,score,change,comparable_change,in_summaries\n");
    for (size_t j = 0; j < in.tasks.size(); ++j)
        for (size_t i = 0; i < in.scores.size(); ++i) {
            const QString model = i == 0 ? tr("base") : QString::fromStdString(in.stages[i - 1]);
            const QString metric = in.taskMetrics.empty() ? QString() : QString::fromStdString(in.taskMetrics[j]);
            text += QStringList{csvCell(QString::fromStdString(in.tasks[j])), csvCell(metric), csvCell(model),
                                csvNumber(in.scores[i][j]), csvNumber(r.change[i][j]), csvNumber(r.comparable[i][j]),
                                r.counted[j] ? QStringLiteral("yes") : QStringLiteral("no")}
                        .join(QLatin1Char(','))
                    + QLatin1Char('\n');
        }
    return text;
}

bool ForgettingPanel::exportTable(const QString& path)
{
    if (!m_report) {
        QMessageBox::information(this, tr("Export table"), tr("Compute or show a report first."));
        return false;
    }
    try {
        io::writeFileAtomic(path.toStdString(), tableCsv().toUtf8().toStdString());
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Export table"), QString::fromStdString(e.what()));
        return false;
    }
    return true;
}

bool ForgettingPanel::exportHeatmap(const QString& path)
{
    if (!m_report) {
        QMessageBox::information(this, tr("Export heatmap"), tr("Compute or show a report first."));
        return false;
    }
    QByteArray bytes;
    if (path.endsWith(QLatin1String(".svg"), Qt::CaseInsensitive)) {
        // Drawn from the cells: colours and the same labels, as a vector file.
        const int cellW = 150, cellH = 58, left = 160, top = 40;
        const int rows = m_heatmap->rowCount(), cols = m_heatmap->columnCount();
        const int width = left + cols * cellW + 10, height = top + rows * cellH + 10;
        const auto esc = [](const QString& t) { return t.toHtmlEscaped(); };
        QString svg = QStringLiteral("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
                                     "width=\"%1\" height=\"%2\" font-family=\"sans-serif\" font-size=\"12\">\n")
                          .arg(width)
                          .arg(height);
        svg += QStringLiteral("<rect width=\"100%\" height=\"100%\" fill=\"%1\"/>\n").arg(palette().color(QPalette::Window).name());
        const QString ink = palette().color(QPalette::WindowText).name();
        for (int c = 0; c < cols; ++c)
            svg += QStringLiteral("<text x=\"%1\" y=\"%2\" text-anchor=\"middle\" fill=\"%3\">%4</text>\n")
                       .arg(left + c * cellW + cellW / 2)
                       .arg(top - 12)
                       .arg(ink, esc(m_heatmap->horizontalHeaderItem(c)->text()));
        for (int r = 0; r < rows; ++r) {
            svg += QStringLiteral("<text x=\"%1\" y=\"%2\" text-anchor=\"end\" fill=\"%3\">%4</text>\n")
                       .arg(left - 8)
                       .arg(top + r * cellH + cellH / 2 + 4)
                       .arg(ink, esc(m_heatmap->verticalHeaderItem(r)->text()));
            for (int c = 0; c < cols; ++c) {
                const QTableWidgetItem* item = m_heatmap->item(r, c);
                const QColor fill = item->background().style() == Qt::NoBrush ? palette().color(QPalette::Base)
                                                                             : item->background().color();
                svg += QStringLiteral("<rect x=\"%1\" y=\"%2\" width=\"%3\" height=\"%4\" fill=\"%5\" stroke=\"%6\"/>\n")
                           .arg(left + c * cellW)
                           .arg(top + r * cellH)
                           .arg(cellW)
                           .arg(cellH)
                           .arg(fill.name(), ink);
                const QStringList lines = item->text().split(QLatin1Char('\n'));
                for (int k = 0; k < lines.size(); ++k)
                    svg += QStringLiteral("<text x=\"%1\" y=\"%2\" text-anchor=\"middle\" fill=\"%3\">%4</text>\n")
                               .arg(left + c * cellW + cellW / 2)
                               .arg(top + r * cellH + cellH / 2 + 4 + (2 * k - (lines.size() - 1)) * 8)
                               .arg(textOn(fill).name(), esc(lines[k]));
            }
        }
        svg += QStringLiteral("</svg>\n");
        bytes = svg.toUtf8();
    } else {
        QBuffer buffer(&bytes);
        buffer.open(QIODevice::WriteOnly);
        if (!m_heatmap->grab().save(&buffer, "PNG")) {
            QMessageBox::warning(this, tr("Export heatmap"), tr("Could not draw the heatmap as PNG."));
            return false;
        }
    }
    try {
        io::writeFileAtomic(path.toStdString(), std::string_view(bytes.constData(), size_t(bytes.size())));
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Export heatmap"), QString::fromStdString(e.what()));
        return false;
    }
    return true;
}

bool ForgettingPanel::generalCheckRunning() const { return m_job && m_job->isRunning(); }

void ForgettingPanel::cancelGeneralAbility()
{
    if (m_job)
        m_job->cancel();
}

bool ForgettingPanel::checkGeneralAbility()
{
    if (generalCheckRunning())
        return false;
    std::vector<qint64> runs = stages();
    if (runs.empty())
        for (QListWidgetItem* item : m_available->selectedItems())
            runs.push_back(item->data(Qt::UserRole).toLongLong());
    if (runs.empty()) {
        QMessageBox::information(this, tr("General ability"), tr("Add runs as stages, or select runs, first."));
        return false;
    }
    EvaluationRequest request;
    try {
        const std::string text = m_generalText.isEmpty() ? engine::defaultGeneralTextPath() : m_generalText.toStdString();
        request.suitePath = QString::fromStdString(
            engine::writeGeneralSuite(text, engine::generalSuiteFolder(m_dbPath.toStdString())));
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("General ability"), QString::fromStdString(e.what()));
        return false;
    }
    request.dbPath = m_dbPath;
    // Each run's base model once, then the runs: loss before and after.
    QStringList bases;
    for (qint64 run : runs)
        for (const auto& key : m_models)
            if (key.run == run && !key.baseModel.isEmpty() && !bases.contains(key.baseModel))
                bases << key.baseModel;
    for (const QString& base : bases) {
        engine::ModelSpec spec;
        spec.model = base.toStdString();
        request.models.push_back(spec);
        request.labels << tr("base %1").arg(QFileInfo(base).fileName());
    }
    for (qint64 run : runs) {
        engine::ModelSpec spec;
        spec.run = run;
        request.models.push_back(spec);
        request.labels << tr("run %1").arg(run);
    }
    delete m_job;
    m_job = new EvaluationJob(request, this);
    m_generalProgress->setRange(0, int(request.models.size()));
    m_generalProgress->setValue(0);
    m_generalProgress->setFormat(tr("general text: %v of %m models"));
    m_generalProgress->setVisible(true);
    m_generalCancel->setVisible(true);
    m_general->setEnabled(false);
    connect(m_job, &EvaluationJob::progress, this,
            [this](int model, int models, const QString& label, const QString&, qint64 done, qint64 total) {
                m_generalProgress->setValue(model);
                m_generalProgress->setToolTip(tr("%1: %2 of %3 windows").arg(label).arg(done).arg(total));
                m_generalProgress->setFormat(tr("%1 (%2 of %3)").arg(label).arg(model + 1).arg(models));
            });
    connect(m_job, &EvaluationJob::finished, this, [this, runs, bases](const QString& status, const QString& error) {
        m_generalProgress->setVisible(false);
        m_generalCancel->setVisible(false);
        m_general->setEnabled(true);
        if (status == QLatin1String("completed")) {
            refresh();
            setSuite(QString::fromLatin1(engine::kGeneralSuite));
            if (stages() != runs)
                setStages(runs);
            if (!bases.isEmpty())
                setBaseModel(bases.first());
            compute();
        } else if (status == QLatin1String("failed")) {
            QMessageBox::warning(this, tr("General ability"), error);
        }
        Q_EMIT generalCheckFinished(status, error);
    });
    m_job->start();
    return true;
}

} // namespace tb::ui
