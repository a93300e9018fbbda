#include "ui/training/training_panel.h"

#include "common/error.h"
#include "store/run_store.h"
#include "train/run_config.h"
#include "ui/common/chart_style.h"
#include "ui/training/training_job.h"

#include <QChart>
#include <QChartView>
#include <QEvent>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineSeries>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
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

QString formatClock(double seconds)
{
    if (!std::isfinite(seconds) || seconds < 0)
        return QStringLiteral("--:--");
    const int s = static_cast<int>(seconds + 0.5);
    return QStringLiteral("%1:%2").arg(s / 60, 2, 10, QLatin1Char('0')).arg(s % 60, 2, 10, QLatin1Char('0'));
}

} // namespace

TrainingPanel::TrainingPanel(QString dbPath, QWidget* parent) : QWidget(parent), m_dbPath(std::move(dbPath))
{
    m_configLabel = new QLabel(tr("No run configuration open (File ▸ Open run configuration…)"));
    m_start = new QPushButton(tr("&Start"));
    m_pause = new QPushButton(tr("&Pause"));
    m_stop = new QPushButton(tr("S&top"));
    m_start->setObjectName("startButton");
    m_pause->setObjectName("pauseButton");
    m_stop->setObjectName("stopButton");
    m_progress = new QProgressBar;
    m_status = new QLabel;
    m_status->setObjectName("statusLabel");

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
    samplesLayout->addWidget(new QLabel(tr("Samples (greedy, every training.sample_every steps)")));
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
    split->addWidget(charts);
    split->addWidget(bottom);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 1);

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_start);
    buttons->addWidget(m_pause);
    buttons->addWidget(m_stop);
    buttons->addWidget(m_progress, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_configLabel);
    layout->addLayout(buttons);
    layout->addWidget(m_status);
    layout->addWidget(split, 1);

    connect(m_start, &QPushButton::clicked, this, &TrainingPanel::start);
    connect(m_pause, &QPushButton::clicked, this, &TrainingPanel::togglePause);
    connect(m_stop, &QPushButton::clicked, this, &TrainingPanel::stop);
    setIdle(true);
    m_start->setEnabled(false);
    followPalette(this);
}

TrainingPanel::~TrainingPanel() = default;

void TrainingPanel::changeEvent(QEvent* event)
{
    if (event->type() == QEvent::PaletteChange)
        followPalette(this);
    QWidget::changeEvent(event);
}

bool TrainingPanel::isTraining() const { return m_job && m_job->isRunning(); }

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
        m_configLabel->setText(tr("Run configuration: %1 (%2, method %3)")
                                   .arg(path, QString::fromStdString(config.name),
                                        QString::fromStdString(peft::methodName(config.method.method))));
        m_start->setEnabled(!isTraining());
        Q_EMIT configOpened(path);
        return true;
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Cannot open run configuration"), QString::fromStdString(e.what()));
        return false;
    }
}

void TrainingPanel::start()
{
    if (isTraining() || m_configPath.isEmpty())
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
    if (isTraining()) {
        QMessageBox::information(this, tr("Resume run"), tr("Another run is training; stop it first."));
        return false;
    }
    train::RunConfig config;
    std::vector<store::MetricPoint> history; // what the charts show before the resumed steps arrive
    try {
        store::RunStore db(m_dbPath.toStdString());
        const auto run = db.run(runId);
        const auto checkpoint = db.lastCheckpoint(runId);
        if (!checkpoint)
            throw Error("run " + std::to_string(runId) + " has no resumable checkpoint; start it again instead");
        config = train::parseRunConfig(nlohmann::json::parse(run.configJson),
                                       "run " + std::to_string(runId) + " configuration");
        for (auto& point : db.metrics(runId))
            if (point.step <= checkpoint->step)
                history.push_back(std::move(point));
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Cannot resume run %1").arg(runId), QString::fromStdString(e.what()));
        return false;
    }
    m_configLabel->setText(tr("Resuming run %1 (%2, method %3)")
                               .arg(runId)
                               .arg(QString::fromStdString(config.name),
                                    QString::fromStdString(peft::methodName(config.method.method))));
    startJob(config, runId, history);
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
    if (!m_loss->points().isEmpty())
        m_progress->setValue(static_cast<int>(m_loss->points().back().x()));
}

void TrainingPanel::startJob(const train::RunConfig& config, qint64 resumeRun,
                             const std::vector<store::MetricPoint>& history)
{
    clearCharts(config);
    showHistory(history);
    m_job = resumeRun > 0 ? std::make_unique<TrainingJob>(m_dbPath, resumeRun)
                          : std::make_unique<TrainingJob>(config, m_dbPath);
    connect(m_job.get(), &TrainingJob::runCreated, this, [this](qint64 id, const QString& dir) {
        appendLog(tr("Run %1 started; files in %2").arg(id).arg(dir));
        Q_EMIT runStarted(id);
    });
    connect(m_job.get(), &TrainingJob::prepared, this, [this](qint64 train, qint64 val, qint64 trainable, qint64 total) {
        appendLog(tr("%1 training and %2 validation sequences; %3 of %4 parameters trainable (%5%)")
                      .arg(train)
                      .arg(val)
                      .arg(trainable)
                      .arg(total)
                      .arg(total ? 100.0 * double(trainable) / double(total) : 0.0, 0, 'f', 3));
    });
    connect(m_job.get(), &TrainingJob::stepFinished, this, &TrainingPanel::onStep);
    connect(m_job.get(), &TrainingJob::taskValidated, this, &TrainingPanel::addTaskValidation);
    connect(m_job.get(), &TrainingJob::validated, this, [this](qint64 step, double loss, double ppl) {
        m_validation->append(double(step), loss);
        fitY(m_lossY, loss, false);
        appendLog(tr("Validation at step %1: loss %2, perplexity %3").arg(step).arg(loss, 0, 'f', 4).arg(ppl, 0, 'f', 2));
    });
    connect(m_job.get(), &TrainingJob::checkpointSaved, this,
            [this](qint64 step, const QString& path) { appendLog(tr("Checkpoint at step %1: %2").arg(step).arg(path)); });
    connect(m_job.get(), &TrainingJob::sampleGenerated, this, &TrainingPanel::addSample);
    connect(m_job.get(), &TrainingJob::logMessage, this, &TrainingPanel::appendLog);
    connect(m_job.get(), &TrainingJob::finished, this, [this](train::TrainStatus status, const QString& error, qint64 id) {
        setIdle(true);
        m_status->setText(error.isEmpty() ? tr("Run %1: %2").arg(id).arg(statusText(status))
                                          : tr("Run %1: %2 — %3").arg(id).arg(statusText(status), error));
        appendLog(m_status->text());
        Q_EMIT runFinished(id, status);
    });
    setIdle(false);
    m_job->start();
}

void TrainingPanel::togglePause()
{
    if (!isTraining())
        return;
    m_paused = !m_paused;
    if (m_paused)
        m_job->pause();
    else
        m_job->resume();
    m_pause->setText(m_paused ? tr("&Resume") : tr("&Pause"));
    m_status->setText(m_paused ? tr("Paused") : tr("Training"));
}

void TrainingPanel::stop()
{
    if (!isTraining())
        return;
    m_job->resume(); // a paused run must wake up to see the cancel
    m_job->cancel();
    m_status->setText(tr("Stopping after the current step…"));
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
    m_status->setText(tr("Step %1/%2 · loss %3 · %4 tokens/s · grad norm %5 · ETA %6")
                          .arg(p.step)
                          .arg(p.totalSteps)
                          .arg(p.loss, 0, 'f', 4)
                          .arg(p.tokensPerSecond, 0, 'f', 0)
                          .arg(p.gradNorm, 0, 'f', 3)
                          .arg(formatClock(p.etaSeconds)));
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
    appendLog(tr("Validation at step %1, task %2: loss %3").arg(step).arg(task).arg(loss, 0, 'f', 4));
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

void TrainingPanel::setIdle(bool idle)
{
    m_start->setEnabled(idle && !m_configPath.isEmpty());
    m_pause->setEnabled(!idle);
    m_stop->setEnabled(!idle);
    m_paused = false;
    m_pause->setText(tr("&Pause"));
}

void TrainingPanel::appendLog(const QString& line) { m_log->appendPlainText(line); }

} // namespace tb::ui
