#include "training/training_panel.h"

#include "common/error.h"
#include "train/run_config.h"
#include "training/training_job.h"

#include <QChart>
#include <QChartView>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineSeries>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QValueAxis>
#include <QVBoxLayout>

#include <cmath>

namespace tb::ui {

namespace {

QChartView* makeChart(const QString& title, std::initializer_list<QLineSeries*> series, QValueAxis*& x, QValueAxis*& y)
{
    auto* chart = new QChart;
    chart->setTitle(title);
    x = new QValueAxis;
    y = new QValueAxis;
    x->setTitleText(QObject::tr("step"));
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    for (auto* s : series) {
        chart->addSeries(s);
        s->attachAxis(x);
        s->attachAxis(y);
    }
    auto* view = new QChartView(chart);
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumHeight(220);
    return view;
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
    auto* lossView = makeChart(tr("Loss"), {m_loss, m_validation}, m_lossX, m_lossY);
    auto* lrView = makeChart(tr("Learning rate"), {m_lr}, m_lrX, m_lrY);
    m_log = new QPlainTextEdit;
    m_log->setReadOnly(true);
    m_log->setMaximumBlockCount(5000);

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_start);
    buttons->addWidget(m_pause);
    buttons->addWidget(m_stop);
    buttons->addWidget(m_progress, 1);
    auto* charts = new QHBoxLayout;
    charts->addWidget(lossView, 2);
    charts->addWidget(lrView, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_configLabel);
    layout->addLayout(buttons);
    layout->addWidget(m_status);
    layout->addLayout(charts, 1);
    layout->addWidget(m_log);

    connect(m_start, &QPushButton::clicked, this, &TrainingPanel::start);
    connect(m_pause, &QPushButton::clicked, this, &TrainingPanel::togglePause);
    connect(m_stop, &QPushButton::clicked, this, &TrainingPanel::stop);
    setIdle(true);
    m_start->setEnabled(false);
}

TrainingPanel::~TrainingPanel() = default;

bool TrainingPanel::isTraining() const { return m_job && m_job->isRunning(); }

bool TrainingPanel::openConfig(const QString& path)
{
    try {
        const auto config = train::readRunConfig(path.toStdString());
        m_configPath = path;
        m_configLabel->setText(tr("Run configuration: %1 (%2, method %3)")
                                   .arg(path, QString::fromStdString(config.name),
                                        QString::fromStdString(peft::methodName(config.method.method))));
        m_start->setEnabled(!isTraining());
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
    m_loss->clear();
    m_validation->clear();
    m_lr->clear();
    m_lossX->setRange(0, static_cast<double>(config.training.maxSteps));
    m_lrX->setRange(0, static_cast<double>(config.training.maxSteps));
    m_lrY->setRange(0, config.training.learningRate * 1.05);
    m_lossY->setRange(0, 1);
    m_progress->setRange(0, static_cast<int>(config.training.maxSteps));
    m_progress->setValue(0);
    m_job = std::make_unique<TrainingJob>(config, m_dbPath);
    connect(m_job.get(), &TrainingJob::runCreated, this, [this](qint64 id, const QString& dir) {
        appendLog(tr("Run %1 started; files in %2").arg(id).arg(dir));
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
    connect(m_job.get(), &TrainingJob::validated, this, [this](qint64 step, double loss, double ppl) {
        m_validation->append(double(step), loss);
        m_lossY->setMax(std::max(m_lossY->max(), loss * 1.1));
        appendLog(tr("Validation at step %1: loss %2, perplexity %3").arg(step).arg(loss, 0, 'f', 4).arg(ppl, 0, 'f', 2));
    });
    connect(m_job.get(), &TrainingJob::checkpointSaved, this,
            [this](qint64 step, const QString& path) { appendLog(tr("Checkpoint at step %1: %2").arg(step).arg(path)); });
    connect(m_job.get(), &TrainingJob::logMessage, this, &TrainingPanel::appendLog);
    connect(m_job.get(), &TrainingJob::finished, this, [this](const QString& status, const QString& error, qint64 id) {
        setIdle(true);
        m_status->setText(error.isEmpty() ? tr("Run %1: %2").arg(id).arg(status)
                                          : tr("Run %1: %2 — %3").arg(id).arg(status, error));
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
    m_loss->append(double(p.step), p.loss);
    m_lr->append(double(p.step), p.learningRate);
    if (p.step == 1 || p.loss * 1.1 > m_lossY->max())
        m_lossY->setMax(std::max(p.loss * 1.1, p.step == 1 ? 0.0 : m_lossY->max()));
    m_progress->setValue(static_cast<int>(p.step));
    m_status->setText(tr("Step %1/%2 · loss %3 · %4 tokens/s · grad norm %5 · ETA %6")
                          .arg(p.step)
                          .arg(p.totalSteps)
                          .arg(p.loss, 0, 'f', 4)
                          .arg(p.tokensPerSecond, 0, 'f', 0)
                          .arg(p.gradNorm, 0, 'f', 3)
                          .arg(formatClock(p.etaSeconds)));
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
