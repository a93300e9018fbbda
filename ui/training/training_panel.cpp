#include "ui/training/training_panel.h"

#include "common/cpu_features.h"
#include "common/error.h"
#include "store/run_store.h"
#include "train/run_config.h"
#include "train/validate.h"
#include "ui/common/chart_style.h"
#include "ui/common/window_store.h"
#include "ui/training/training_job.h"

#include <QChart>
#include <QChartView>
#include <QEvent>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineSeries>
#include <QLocale>
#include <QMessageBox>
#include <QMetaMethod>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableWidget>
#include <QValueAxis>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

namespace tb::ui {

namespace {

QChartView* makeChart(const QString& title, const QString& xTitle, std::initializer_list<QLineSeries*> series,
                      QValueAxis*& x, QValueAxis*& y)
{
    auto* chart = new QChart;
    chart->setTitle(title);
    chart->setLocalizeNumbers(true); // axis labels in the user's locale ("0,5")
    x = new QValueAxis;
    y = new QValueAxis;
    x->setTitleText(xTitle);
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    for (auto* s : series) {
        chart->addSeries(s);
        s->attachAxis(x);
        s->attachAxis(y);
    }
    if (series.size() < 2)
        chart->legend()->hide();
    auto* view = new QChartView(chart);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumHeight(180);
    return view;
}

// Grows the y axis so a new value fits with 10 % headroom.
void fitY(QValueAxis* y, double value, bool first)
{
    if (!std::isfinite(value))
        return;
    const double top = value > 0 ? value * 1.1 : 1.0;
    if (first || top > y->max()) {
        y->setRange(0, std::max(top, first ? 0.0 : y->max()));
        y->applyNiceNumbers(); // round tick labels (0, 2, 4, ... rather than 0, 1.9, 3.9, ...)
    }
}

// The engine's end states, as the user reads them.
QString statusText(train::TrainStatus status)
{
    switch (status) {
    case train::TrainStatus::Completed:
        return TrainingPanel::tr("completed");
    case train::TrainStatus::EarlyStopped:
        return TrainingPanel::tr("stopped early (no more improvement)");
    case train::TrainStatus::Cancelled:
        return TrainingPanel::tr("cancelled");
    case train::TrainStatus::Failed:
        break;
    }
    return TrainingPanel::tr("failed");
}

QString methodTitle(peft::Method method)
{
    switch (method) {
    case peft::Method::Full:
        return TrainingPanel::tr("full fine-tuning");
    case peft::Method::Selective:
        return TrainingPanel::tr("selective tuning");
    case peft::Method::Lora:
        return TrainingPanel::tr("LoRA");
    case peft::Method::Adapter:
        return TrainingPanel::tr("bottleneck adapters");
    case peft::Method::PromptTuning:
        break;
    }
    return TrainingPanel::tr("prompt tuning");
}

// mm:ss, or h:mm:ss from an hour on; "--:--" when unknown.
QString formatClock(double seconds)
{
    if (!std::isfinite(seconds) || seconds < 0)
        return QStringLiteral("--:--");
    const qint64 s = static_cast<qint64>(seconds + 0.5);
    const QString minutes = QStringLiteral("%1:%2").arg(s / 60 % 60, 2, 10, QLatin1Char('0')).arg(s % 60, 2, 10, QLatin1Char('0'));
    return s < 3600 ? minutes : QStringLiteral("%1:%2").arg(s / 3600).arg(minutes);
}

QString number(double value, int decimals) { return QLocale().toString(value, 'f', decimals); }
QString count(qint64 value) { return QLocale().toString(value); }

bool isRunning(TrainingPanel::RunState s)
{
    using S = TrainingPanel::RunState;
    return s == S::Starting || s == S::Training || s == S::Pausing || s == S::Paused;
}

} // namespace

TrainingPanel::TrainingPanel(QString dbPath, QWidget* parent) : QWidget(parent), m_dbPath(std::move(dbPath))
{
    m_configLabel = new QLabel(tr("No run configuration yet: configure one in the Method panel or open a RUN.json (Ctrl+O)"));
    m_configLabel->setObjectName("configLabel");
    m_configLabel->setWordWrap(true);
    m_start = new QPushButton(tr("&Start"));
    m_pause = new QPushButton(tr("&Pause"));
    m_stop = new QPushButton(tr("S&top"));
    m_start->setObjectName("startButton");
    m_pause->setObjectName("pauseButton");
    m_stop->setObjectName("stopButton");
    m_progress = new QProgressBar;
    m_runState = new QLabel;
    m_runState->setObjectName("runState");
    m_summary = new QLabel;
    m_summary->setObjectName("runSummary");
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_summary->hide();
    m_status = new QLabel;
    m_status->setObjectName("statusLabel");
    m_status->setWordWrap(true);
    m_setup = new QLabel;
    m_setup->setObjectName("runSetup");
    m_setup->setWordWrap(true);
    m_setup->setToolTip(tr("What this run trains with on this machine"));
    m_rankThroughput = new QLabel;
    m_rankThroughput->setObjectName("rankThroughput");
    m_rankThroughput->setWordWrap(true);
    m_rankThroughput->setToolTip(tr("Input tokens per second of each data-parallel process in the last step; "
                                    "a slow rank holds the others back"));
    m_rankThroughput->hide();

    m_loss = new QLineSeries;
    m_loss->setName(tr("training loss"));
    m_validation = new QLineSeries;
    m_validation->setName(tr("validation loss"));
    m_lr = new QLineSeries;
    m_lr->setName(tr("learning rate"));
    m_tokens = new QLineSeries;
    m_tokens->setName(tr("tokens/s"));
    m_gradNorm = new QLineSeries;
    m_gradNorm->setName(tr("gradient norm"));
    const QString step = tr("step");
    auto* charts = new QWidget;
    auto* grid = new QGridLayout(charts);
    grid->setContentsMargins(0, 0, 0, 0);
    auto* lossView = makeChart(tr("Loss"), step, {m_loss, m_validation}, m_lossX, m_lossY);
    m_lossChart = lossView->chart();
    grid->addWidget(lossView, 0, 0);
    grid->addWidget(makeChart(tr("Learning rate"), step, {m_lr}, m_lrX, m_lrY), 0, 1);
    grid->addWidget(makeChart(tr("Throughput (tokens/s)"), step, {m_tokens}, m_tokensX, m_tokensY), 1, 0);
    grid->addWidget(makeChart(tr("Gradient norm (before clipping)"), step, {m_gradNorm}, m_gradX, m_gradY), 1, 1);
    // Until a run starts: one line saying what to do instead of empty axes.
    m_guidance = new QLabel;
    m_guidance->setObjectName("chartGuidance");
    m_guidance->setAlignment(Qt::AlignCenter);
    m_guidance->setWordWrap(true);
    m_chartArea = new QStackedWidget;
    m_chartArea->setObjectName("chartArea");
    m_chartArea->addWidget(m_guidance);
    m_chartArea->addWidget(charts);

    m_log = new QPlainTextEdit;
    m_log->setObjectName("logView");
    m_log->setReadOnly(true);
    m_log->setMaximumBlockCount(5000);
    // The task column (multi-task runs) is the last logically, shown second.
    m_samples = new QTableWidget(0, 4);
    m_samples->setObjectName("samplesTable");
    m_samples->setHorizontalHeaderLabels({tr("Step"), tr("Prompt"), tr("Output"), tr("Task")});
    m_samples->horizontalHeader()->moveSection(3, 1);
    m_samples->horizontalHeader()->setSectionResizeMode(3, QHeaderView::ResizeToContents);
    m_samples->setColumnHidden(3, true);
    m_samples->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_samples->setWordWrap(true);
    m_samples->verticalHeader()->hide();
    m_samples->horizontalHeader()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_samples->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    m_samples->horizontalHeader()->setSectionResizeMode(2, QHeaderView::Stretch);
    auto* samplesBox = new QWidget;
    auto* samplesLayout = new QVBoxLayout(samplesBox);
    samplesLayout->setContentsMargins(0, 0, 0, 0);
    auto* samplesTitle = new QLabel(tr("Samples: greedy generations at the steps the run configuration asks for"));
    samplesTitle->setWordWrap(true);
    samplesLayout->addWidget(samplesTitle);
    samplesLayout->addWidget(m_samples);
    auto* logBox = new QWidget;
    auto* logLayout = new QVBoxLayout(logBox);
    logLayout->setContentsMargins(0, 0, 0, 0);
    logLayout->addWidget(new QLabel(tr("Log")));
    logLayout->addWidget(m_log);

    auto* bottom = new QSplitter(Qt::Horizontal);
    bottom->setObjectName("trainingBottomSplitter");
    bottom->addWidget(logBox);
    bottom->addWidget(samplesBox);
    auto* split = new QSplitter(Qt::Vertical);
    split->setObjectName("trainingSplitter");
    split->addWidget(m_chartArea);
    split->addWidget(bottom);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 1);

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_start);
    buttons->addWidget(m_pause);
    buttons->addWidget(m_stop);
    buttons->addWidget(m_progress, 1);
    auto* stateLine = new QHBoxLayout;
    stateLine->addWidget(m_runState);
    stateLine->addWidget(m_status, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_configLabel);
    layout->addLayout(buttons);
    layout->addLayout(stateLine);
    layout->addWidget(m_setup);
    layout->addWidget(m_rankThroughput);
    layout->addWidget(m_summary);
    layout->addWidget(split, 1);

    connect(m_start, &QPushButton::clicked, this, [this] {
        if (isSignalConnected(QMetaMethod::fromSignal(&TrainingPanel::startRequested)))
            Q_EMIT startRequested();
        else
            start();
    });
    connect(m_pause, &QPushButton::clicked, this, &TrainingPanel::togglePause);
    connect(m_stop, &QPushButton::clicked, this, &TrainingPanel::stop);
    setState(RunState::NoConfig);
    followPalette(this);
}

// A job still training is cancelled and joined by its destructor (the last
// resort); one that has finished lets its thread end without waiting.
TrainingPanel::~TrainingPanel() = default;

void TrainingPanel::changeEvent(QEvent* event)
{
    if (event->type() == QEvent::PaletteChange)
        followPalette(this);
    QWidget::changeEvent(event);
}

void TrainingPanel::connectNotify(const QMetaMethod& signal)
{
    if (signal == QMetaMethod::fromSignal(&TrainingPanel::startRequested))
        updateButtons();
    QWidget::connectNotify(signal);
}

void TrainingPanel::disconnectNotify(const QMetaMethod& signal)
{
    if (signal == QMetaMethod::fromSignal(&TrainingPanel::startRequested))
        updateButtons();
    QWidget::disconnectNotify(signal);
}

bool TrainingPanel::isTraining() const { return m_job && m_job->isRunning(); }

bool TrainingPanel::isBusy() const { return isTraining() || isRunning(m_state) || m_state == RunState::Finalising; }

QString TrainingPanel::runStateText(RunState state)
{
    switch (state) {
    case RunState::NoConfig:
        return tr("No run configuration");
    case RunState::Ready:
        return tr("Ready");
    case RunState::Starting:
        return tr("Starting");
    case RunState::Training:
        return tr("Training");
    case RunState::Pausing:
        return tr("Pausing after this step");
    case RunState::Paused:
        return tr("Paused");
    case RunState::Finalising:
        return tr("Finalising");
    case RunState::Completed:
        return tr("Completed");
    case RunState::Stopped:
        return tr("Stopped");
    case RunState::Failed:
        break;
    }
    return tr("Failed");
}

QLineSeries* TrainingPanel::taskValidationSeries(const QString& task) const
{
    const auto it = m_taskValidation.find(task);
    return it == m_taskValidation.end() ? nullptr : it->second;
}

QStringList TrainingPanel::validationTasks() const
{
    QStringList tasks;
    for (const auto& [task, series] : m_taskValidation)
        tasks << task;
    return tasks;
}

bool TrainingPanel::openConfig(const QString& path)
{
    try {
        const auto config = train::readRunConfig(path.toStdString());
        m_configPath = path;
        m_configLabel->setText(tr("Run configuration: %1 (%2, %3)")
                                   .arg(path, QString::fromStdString(config.name), methodTitle(config.method.method)));
        if (!isBusy())
            setState(RunState::Ready);
        Q_EMIT configOpened(path);
        return true;
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Cannot open run configuration"), QString::fromStdString(e.what()));
        return false;
    }
}

void TrainingPanel::setConfigDescription(const QString& displayName, bool unsaved)
{
    m_described = !displayName.isEmpty();
    if (!m_described)
        m_configLabel->setText(tr("No run configuration yet: configure one in the Method panel or open a RUN.json (Ctrl+O)"));
    else if (unsaved)
        m_configLabel->setText(tr("Run configuration: %1 (unsaved changes)").arg(displayName));
    else
        m_configLabel->setText(tr("Run configuration: %1").arg(displayName));
    if (m_state == RunState::NoConfig && m_described)
        setState(RunState::Ready);
    else if (m_state == RunState::Ready && !m_described && m_configPath.isEmpty())
        setState(RunState::NoConfig);
    else
        updateButtons();
}

bool TrainingPanel::startConfig(const train::RunConfig& config, const QString& displayName)
{
    if (isBusy()) {
        appendLog(tr("A run is training; stop it before starting another."));
        return false;
    }
    const auto problems = train::validate(config);
    if (!problems.empty()) {
        QStringList lines;
        for (const auto& p : problems)
            lines << QString::fromStdString(p.message);
        QMessageBox::warning(this, tr("Cannot start %1").arg(displayName), lines.join('\n'));
        return false;
    }
    if (!m_described)
        m_configLabel->setText(tr("Run configuration: %1").arg(displayName));
    startJob(config, 0, {});
    return true;
}

void TrainingPanel::start()
{
    if (isBusy() || m_configPath.isEmpty())
        return;
    train::RunConfig config;
    try {
        config = train::readRunConfig(m_configPath.toStdString());
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Cannot start"), QString::fromStdString(e.what()));
        return;
    }
    startJob(config, 0, {});
}

bool TrainingPanel::resumeRun(qint64 runId)
{
    if (isBusy()) {
        QMessageBox::information(this, tr("Resume run"), tr("Another run is training; stop it first."));
        return false;
    }
    train::RunConfig config;
    std::vector<store::MetricPoint> history; // what the charts show before the resumed steps arrive
    qint64 checkpointStep = 0;
    qint64 lastRecorded = 0; // the last step with stored metrics: beyond the checkpoint when the run was killed
    try {
        auto& db = windowStore(m_dbPath);
        const auto run = db.run(runId);
        const auto checkpoint = db.lastCheckpoint(runId);
        if (!checkpoint)
            throw Error("run " + std::to_string(runId) + " has no resumable checkpoint; start it again instead");
        config = train::parseRunConfig(nlohmann::json::parse(run.configJson),
                                       "run " + std::to_string(runId) + " configuration");
        checkpointStep = checkpoint->step;
        for (auto& point : db.metrics(runId)) {
            lastRecorded = std::max<qint64>(lastRecorded, point.step);
            if (point.step <= checkpoint->step) // later steps are trained again: drawn once, when they arrive
                history.push_back(std::move(point));
        }
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Cannot resume run %1").arg(runId), QString::fromStdString(e.what()));
        return false;
    }
    m_configLabel->setText(
        tr("Resuming run %1 (%2, %3)").arg(runId).arg(QString::fromStdString(config.name), methodTitle(config.method.method)));
    startJob(config, runId, history);
    m_resumeStep = checkpointStep;
    if (lastRecorded > checkpointStep + 1)
        m_redoneNote = tr("Steps %1–%2 after the last checkpoint (step %3) will be trained again")
                           .arg(count(checkpointStep + 1), count(lastRecorded), count(checkpointStep));
    else if (lastRecorded == checkpointStep + 1)
        m_redoneNote = tr("Step %1 after the last checkpoint (step %2) will be trained again")
                           .arg(count(lastRecorded), count(checkpointStep));
    return true;
}

void TrainingPanel::clearCharts(const train::RunConfig& config)
{
    for (auto* s : {m_loss, m_validation, m_lr, m_tokens, m_gradNorm})
        s->clear();
    for (auto& [task, series] : m_taskValidation) {
        m_lossChart->removeSeries(series);
        delete series;
    }
    m_taskValidation.clear();
    for (auto* s : {m_loss, m_lr, m_tokens, m_gradNorm})
        s->chart()->setLocale(QLocale()); // the locale of today, for the axis labels
    m_samples->setRowCount(0);
    m_samples->setColumnHidden(3, true);
    const double steps = static_cast<double>(config.training.maxSteps);
    for (auto* x : {m_lossX, m_lrX, m_tokensX, m_gradX})
        x->setRange(0, steps);
    m_lrY->setRange(0, config.training.learningRate * 1.05);
    m_lrY->applyNiceNumbers();
    m_lossY->setRange(0, 1);
    m_tokensY->setRange(0, 1);
    m_gradY->setRange(0, 1);
    m_progress->setRange(0, static_cast<int>(config.training.maxSteps));
    m_progress->setValue(0);
}

void TrainingPanel::showHistory(const std::vector<store::MetricPoint>& history)
{
    // The latest value of each (metric, step): steps recorded twice (a run
    // resumed before from an earlier checkpoint) show once.
    std::map<std::string, std::map<int64_t, double>> byName;
    for (const auto& p : history)
        byName[p.name][p.step] = p.value;
    const std::map<std::string, QLineSeries*> perStep = {{"loss", m_loss},
                                                         {"learning_rate", m_lr},
                                                         {"tokens_per_second", m_tokens},
                                                         {"grad_norm", m_gradNorm},
                                                         {"val_loss", m_validation}};
    const std::string taskPrefix = "val_loss/";
    std::map<QValueAxis*, double> top; // the largest value each y axis must show
    for (const auto& [name, points] : byName) {
        QLineSeries* series = nullptr;
        if (const auto it = perStep.find(name); it != perStep.end())
            series = it->second;
        else if (name.rfind(taskPrefix, 0) == 0)
            series = taskSeries(QString::fromStdString(name.substr(taskPrefix.size())));
        if (!series)
            continue;
        QValueAxis* y = series == m_lr ? nullptr : series == m_tokens ? m_tokensY : series == m_gradNorm ? m_gradY : m_lossY;
        QList<QPointF> xy;
        for (const auto& [step, value] : points) {
            xy.append(QPointF(double(step), value));
            if (y && std::isfinite(value))
                top[y] = std::max(top[y], value);
        }
        series->append(xy);
    }
    for (const auto& [axis, value] : top)
        fitY(axis, value, true);
    // The best validation loss so far counts towards the summary of the whole run.
    if (const auto it = byName.find("val_loss"); it != byName.end())
        for (const auto& [step, value] : it->second)
            if (std::isfinite(value) && (!m_totals.bestValidation || value < m_totals.bestValidation->second))
                m_totals.bestValidation = std::make_pair(qint64(step), value);
    if (!m_loss->points().isEmpty())
        m_progress->setValue(static_cast<int>(m_loss->points().back().x()));
}

void TrainingPanel::startJob(const train::RunConfig& config, qint64 resumeRun,
                             const std::vector<store::MetricPoint>& history)
{
    m_totals = {};
    m_resumeStep = -1; // resumeRun sets both after this
    m_redoneNote.clear();
    m_stopping = false;
    clearCharts(config);
    showHistory(history);
    m_chartArea->setCurrentIndex(1);
    m_summary->clear();
    m_status->setText(tr("Reading the data and loading the model…"));
    showSetup(config);
    // The previous job has finished: its thread ends on its own (no join here).
    // A resumed run trains its stored configuration; `config` is that one, for the processes.
    m_job = std::make_unique<TrainingJob>(config, m_dbPath, resumeRun);
    connectJob();
    setState(RunState::Starting);
    m_job->start();
}

void TrainingPanel::connectJob()
{
    TrainingJob* job = m_job.get();
    connect(job, &TrainingJob::runCreated, this, [this](qint64 id, const QString& dir) {
        if (m_resumeStep >= 0) {
            appendLog(tr("Resumed run %1 from step %2; files in %3").arg(id).arg(count(m_resumeStep), dir));
            if (!m_redoneNote.isEmpty())
                appendLog(m_redoneNote);
        } else
            appendLog(tr("Run %1 started; files in %2").arg(id).arg(dir));
        Q_EMIT runStarted(id);
    });
    connect(job, &TrainingJob::prepared, this, [this](qint64 train, qint64 val, qint64 trainable, qint64 total) {
        appendLog(tr("%1 training and %2 validation sequences; %3 of %4 parameters trainable (%5 %)")
                      .arg(count(train), count(val), count(trainable), count(total),
                           number(total ? 100.0 * double(trainable) / double(total) : 0.0, 3)));
    });
    connect(job, &TrainingJob::stepFinished, this, &TrainingPanel::onStep);
    connect(job, &TrainingJob::pausedAt, this, [this](qint64 step) {
        if (m_state != RunState::Pausing) // resumed again before the pause took effect
            return;
        setState(RunState::Paused);
        appendLog(tr("Paused after step %1").arg(count(step)));
        if (m_job && m_job->processes() > 1)
            appendLog(tr("The other processes wait for this one at most 5 minutes; a longer pause interrupts "
                         "the run (it can be resumed)"));
    });
    connect(job, &TrainingJob::taskValidated, this, &TrainingPanel::addTaskValidation);
    connect(job, &TrainingJob::validated, this, &TrainingPanel::onValidated);
    connect(job, &TrainingJob::checkpointSaved, this, [this](qint64 step, const QString& path) {
        appendLog(tr("Checkpoint at step %1: %2").arg(count(step), path));
    });
    connect(job, &TrainingJob::sampleGenerated, this, &TrainingPanel::addSample);
    connect(job, &TrainingJob::logMessage, this, &TrainingPanel::appendLog);
    connect(job, &TrainingJob::finished, this, &TrainingPanel::onFinished);
}

void TrainingPanel::onFinished(train::TrainStatus status, const QString& error, qint64 id, double activeSeconds)
{
    m_stopping = false;
    m_status->setText(error.isEmpty() ? tr("Run %1: %2").arg(id).arg(statusText(status))
                                      : tr("Run %1: %2 — %3").arg(id).arg(statusText(status), error));
    appendLog(m_status->text());
    switch (status) {
    case train::TrainStatus::Completed:
    case train::TrainStatus::EarlyStopped:
        m_summary->setText(summaryText(status, activeSeconds));
        appendLog(m_summary->text());
        setState(RunState::Completed);
        break;
    case train::TrainStatus::Cancelled:
        setState(RunState::Stopped);
        break;
    case train::TrainStatus::Failed:
        setState(RunState::Failed);
        break;
    }
    Q_EMIT runFinished(id, status);
}

QString TrainingPanel::summaryText(train::TrainStatus status, double activeSeconds) const
{
    QStringList parts;
    parts << (status == train::TrainStatus::EarlyStopped
                  ? tr("Stopped early (no more improvement) after %1 of training").arg(formatClock(activeSeconds))
                  : tr("Completed in %1 of training (paused time not counted)").arg(formatClock(activeSeconds)));
    if (m_totals.bestValidation)
        parts << tr("best validation loss %1 at step %2")
                     .arg(number(m_totals.bestValidation->second, 4), count(m_totals.bestValidation->first));
    else
        parts << tr("no validation loss (the run had no validation data)");
    if (m_totals.steps > 0)
        parts << tr("%1 tokens/s on average").arg(number(m_totals.tokensPerSecondSum / double(m_totals.steps), 0));
    return parts.join(QStringLiteral(" · "));
}

void TrainingPanel::togglePause()
{
    if (!m_job)
        return;
    switch (m_state) {
    case RunState::Starting:
    case RunState::Training:
        m_job->pause();
        setState(RunState::Pausing);
        break;
    case RunState::Pausing:
    case RunState::Paused:
        m_job->resume();
        setState(m_totals.steps > 0 ? RunState::Training : RunState::Starting);
        break;
    default:
        break;
    }
}

void TrainingPanel::stop()
{
    if (!m_job || !isRunning(m_state))
        return;
    m_stopping = true;
    m_job->cancel(); // wakes a paused run too; `finished` arrives when it has ended
    m_status->setText(tr("Stopping after the current step…"));
    setState(RunState::Finalising);
}

void TrainingPanel::showSetup(const train::RunConfig& config)
{
    const auto& t = config.training;
    QString text = tr("Precision: %1").arg(QString::fromStdString(precisionExplanation(t.precision, t.device)));
    if (t.processes > 1)
        text += tr(" · %1 processes, batch %2 each").arg(count(t.processes), count(t.batchSize));
    m_setup->setText(text);
    m_rankThroughput->clear();
    m_rankThroughput->hide();
}

void TrainingPanel::showRankThroughput(const std::vector<double>& tokensPerSecond)
{
    if (tokensPerSecond.size() < 2) { // one process: the tokens/s chart says it all
        m_rankThroughput->hide();
        return;
    }
    QStringList parts;
    for (size_t rank = 0; rank < tokensPerSecond.size(); ++rank)
        parts << tr("rank %1: %2 tok/s").arg(rank).arg(number(tokensPerSecond[rank], 0));
    m_rankThroughput->setText(parts.join(QStringLiteral(" · ")));
    m_rankThroughput->show();
}

void TrainingPanel::onStep(const StepPoint& p)
{
    const bool first = m_loss->count() == 0;
    const double x = double(p.step);
    m_loss->append(x, p.loss);
    m_lr->append(x, p.learningRate);
    m_tokens->append(x, p.tokensPerSecond);
    m_gradNorm->append(x, p.gradNorm);
    fitY(m_lossY, p.loss, first);
    fitY(m_tokensY, p.tokensPerSecond, first);
    fitY(m_gradY, p.gradNorm, first);
    if (first) // a resumed run starts at its checkpoint's step
        for (auto* axis : {m_lossX, m_lrX, m_tokensX, m_gradX})
            axis->setMin(std::max(0.0, x - 1));
    m_progress->setValue(static_cast<int>(p.step));
    showRankThroughput(p.rankTokensPerSecond);
    ++m_totals.steps;
    m_totals.tokensPerSecondSum += p.tokensPerSecond;
    // The ETA comes with the steps (paused time left out), so it stands still while paused.
    m_status->setText(tr("Step %1 of %2 · loss %3 · %4 tokens/s · gradient norm %5 · ETA %6")
                          .arg(count(p.step), count(p.totalSteps), number(p.loss, 4), number(p.tokensPerSecond, 0),
                               number(p.gradNorm, 3), formatClock(p.etaSeconds)));
    if (p.step >= p.totalSteps)
        setState(RunState::Finalising); // the final validation, checkpoint and export follow
    else if (m_state == RunState::Starting)
        setState(RunState::Training);
}

void TrainingPanel::onValidated(qint64 step, double loss, double perplexity)
{
    m_validation->append(double(step), loss);
    fitY(m_lossY, loss, false);
    if (std::isfinite(loss) && (!m_totals.bestValidation || loss < m_totals.bestValidation->second))
        m_totals.bestValidation = std::make_pair(step, loss);
    appendLog(tr("Validation at step %1: loss %2, perplexity %3").arg(count(step), number(loss, 4), number(perplexity, 2)));
}

QLineSeries* TrainingPanel::taskSeries(const QString& task)
{
    if (auto* series = taskValidationSeries(task))
        return series;
    auto* series = new QLineSeries;
    series->setName(tr("validation loss: %1").arg(task));
    m_lossChart->addSeries(series);
    series->attachAxis(m_lossX);
    series->attachAxis(m_lossY);
    m_taskValidation[task] = series;
    return series;
}

void TrainingPanel::addTaskValidation(qint64 step, const QString& task, double loss)
{
    taskSeries(task)->append(double(step), loss);
    fitY(m_lossY, loss, false);
    appendLog(tr("Validation at step %1, task %2: loss %3").arg(count(step), task, number(loss, 4)));
}

void TrainingPanel::addSample(qint64 step, const QString& prompt, const QString& output, const QString& task)
{
    const int row = m_samples->rowCount();
    m_samples->insertRow(row);
    auto* stepItem = new QTableWidgetItem;
    stepItem->setData(Qt::DisplayRole, step);
    m_samples->setItem(row, 0, stepItem);
    m_samples->setItem(row, 1, new QTableWidgetItem(prompt));
    m_samples->setItem(row, 2, new QTableWidgetItem(output));
    m_samples->setItem(row, 3, new QTableWidgetItem(task));
    if (!task.isEmpty())
        m_samples->setColumnHidden(3, false);
    m_samples->scrollToBottom();
}

void TrainingPanel::setState(RunState state)
{
    const bool changed = state != m_state;
    m_state = state;
    m_runState->setText(runStateText(state));
    m_summary->setVisible(state == RunState::Completed && !m_summary->text().isEmpty());
    if (state == RunState::NoConfig)
        m_guidance->setText(tr("Nothing is training. Configure a run in the Method panel and press Start (F5), "
                               "or open a RUN.json (Ctrl+O)."));
    else if (state == RunState::Ready)
        m_guidance->setText(tr("Nothing is training yet. Press Start (F5) to train this run configuration."));
    updateButtons();
    if (changed)
        Q_EMIT runStateChanged(state);
}

void TrainingPanel::updateButtons()
{
    const bool running = isRunning(m_state);
    const bool haveConfig = !m_configPath.isEmpty() || m_described ||
                            isSignalConnected(QMetaMethod::fromSignal(&TrainingPanel::startRequested));
    m_start->setEnabled(!isBusy() && haveConfig);
    m_pause->setEnabled(running); // not while finalising
    m_stop->setEnabled(running);
    m_pause->setText(m_state == RunState::Pausing || m_state == RunState::Paused ? tr("&Resume") : tr("&Pause"));
}

void TrainingPanel::appendLog(const QString& line) { m_log->appendPlainText(line); }

} // namespace tb::ui
