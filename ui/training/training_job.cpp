#include "ui/training/training_job.h"

#include "common/error.h"
#include "engine/local_group.h"
#include "engine/run_job.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace tb::ui {

namespace {

using Clock = std::chrono::steady_clock;

// How long rank 0 waits for the followers to start and join the group.
constexpr std::chrono::seconds kJoinTimeout{60};
// How long followers may outlive rank 0 (they finish the same step and exit)
// before they are terminated, and then killed.
constexpr int kFollowerGraceMs = 5000;
constexpr int kFollowerKillMs = 2000;

QString& engineOverride()
{
    static QString path;
    return path;
}

double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Where the worker stands still while a pause is asked for: the GUI thread
// asks and releases, the worker waits between steps.
class PauseGate {
public:
    void request()
    {
        std::lock_guard lock(m_mutex);
        m_requested = true;
    }
    void release()
    {
        std::lock_guard lock(m_mutex);
        m_requested = false;
        m_cv.notify_all();
    }
    // After `control` was cancelled: a waiting worker wakes up and goes on to end.
    void wake()
    {
        std::lock_guard lock(m_mutex);
        m_cv.notify_all();
    }
    // Worker thread: when a pause is asked for, calls `onPaused` and blocks
    // until released or cancelled. Returns the seconds it stood still.
    template <class OnPaused>
    double waitIfRequested(const RunControl& control, OnPaused onPaused)
    {
        std::unique_lock lock(m_mutex);
        const auto stop = [&] { return !m_requested || control.cancelled(); };
        if (stop())
            return 0;
        onPaused();
        const auto since = Clock::now();
        m_cv.wait(lock, stop);
        return secondsSince(since);
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_requested = false;
};

class Forwarder : public engine::JobObserver {
public:
    Forwarder(TrainingJob* job, PauseGate& gate, const RunControl& control) : m_job(job), m_gate(gate), m_control(control) {}
    double pausedSeconds() const { return m_paused; }

    void onRunCreated(int64_t runId, const std::string& dir) override
    {
        Q_EMIT m_job->runCreated(runId, QString::fromStdString(dir));
    }
    void onPrepared(const engine::DataSummary& d, int64_t trainable, int64_t total) override
    {
        Q_EMIT m_job->prepared(static_cast<qint64>(d.trainExamples), static_cast<qint64>(d.validationExamples),
                               trainable, total);
    }
    void onStep(const train::StepEvent& e) override
    {
        if (m_firstStep < 0) // a resumed run's first event is the step after its checkpoint
            m_firstStep = e.step - 1;
        StepPoint p;
        p.step = e.step;
        p.totalSteps = e.totalSteps;
        p.loss = e.loss;
        p.learningRate = e.learningRate;
        p.gradNorm = e.gradNorm;
        p.tokensPerSecond = e.tokensPerSecond;
        // The trainer's clock runs on while paused: leave that time out of both.
        p.pausedSeconds = m_paused;
        p.elapsedSeconds = std::max(0.0, e.elapsedSeconds - m_paused);
        const double done = static_cast<double>(e.step - m_firstStep);
        p.etaSeconds = done > 0 ? p.elapsedSeconds / done * static_cast<double>(e.totalSteps - e.step) : 0;
        p.peakMemoryBytes = e.peakMemoryBytes;
        p.epoch = e.epochProgress;
        p.tokensSeen = e.tokensSeen;
        p.rankTokensPerSecond = e.rankTokensPerSecond;
        Q_EMIT m_job->stepFinished(p);
        if (e.step < e.totalSteps) // after the last step the run finalises
            m_paused += m_gate.waitIfRequested(m_control, [&] { Q_EMIT m_job->pausedAt(e.step); });
    }
    void onValidation(const train::ValidationEvent& v) override
    {
        for (const auto& [task, loss] : v.perTask)
            Q_EMIT m_job->taskValidated(v.step, QString::fromStdString(task), loss);
        Q_EMIT m_job->validated(v.step, v.loss, v.perplexity);
    }
    void onCheckpoint(int64_t step, const std::string& dir) override
    {
        Q_EMIT m_job->checkpointSaved(step, QString::fromStdString(dir));
    }
    void onTaskSample(const engine::SampleEvent& s) override
    {
        Q_EMIT m_job->sampleGenerated(s.step, QString::fromStdString(s.prompt), QString::fromStdString(s.output),
                                      QString::fromStdString(s.task));
    }
    void onLog(const std::string& message) override { Q_EMIT m_job->logMessage(QString::fromStdString(message)); }

private:
    TrainingJob* m_job;
    PauseGate& m_gate;
    const RunControl& m_control;
    int64_t m_firstStep = -1;
    double m_paused = 0; // worker thread only
};

} // namespace

struct TrainingJob::Impl {
    train::RunConfig config;
    QString dbPath;
    qint64 resumeRun = 0;
    RunControl control;
    PauseGate gate;
    std::thread worker;
    std::atomic<bool> done{false}; // the worker touches nothing of the job any more

    // Data-parallel runs: ranks 1..N-1 (GUI thread only), the folder of the
    // RUN.json they read, the rendezvous port, and why they could not start.
    std::vector<std::unique_ptr<QProcess>> followers;
    QTemporaryDir followerDir;
    int port = 0;
    std::string setupError;
    bool reaping = false; // rank 0 has ended: a follower ended by us is no news

    int processes() const { return static_cast<int>(std::max<int64_t>(1, config.training.processes)); }
    void startFollowers(TrainingJob* job);
    void reapFollowers(TrainingJob* job);
    void killFollowers();
};

// Starts ranks 1..N-1 as CLI engine processes; a problem is kept in
// setupError, which the worker reports as the run's failure.
void TrainingJob::Impl::startFollowers(TrainingJob* job)
{
    const QString program = engineProgram();
    if (program.isEmpty() || !QFileInfo(program).isExecutable()) {
        setupError = tr("training on %1 processes needs tunebench-cli-engine beside this program or in "
                        "../lib/tunebench/; it was not found (reinstall Tunebench, or set Processes to 1)")
                         .arg(processes())
                         .toStdString();
        return;
    }
    QStringList args;
    const QString db = QFileInfo(dbPath).absoluteFilePath();
    try {
        port = engine::freeLocalPort();
        if (resumeRun > 0) {
            args = {QStringLiteral("resume"), QStringLiteral("--run"), QString::number(resumeRun), QStringLiteral("--db"), db};
        } else {
            if (!followerDir.isValid())
                throw Error("cannot create a temporary folder for the training processes' configuration");
            const QString path = followerDir.filePath(QStringLiteral("run.json"));
            engine::writeFollowerConfig(config, path.toStdString());
            args = {QStringLiteral("train"), QStringLiteral("--config"), path, QStringLiteral("--db"), db};
        }
    } catch (const std::exception& e) {
        setupError = e.what();
        return;
    }
    for (int rank = 1; rank < processes(); ++rank) {
        auto process = std::make_unique<QProcess>();
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const auto& [name, value] : engine::torchrunVariables(engine::localRank(rank, processes(), port)))
            env.insert(QString::fromStdString(name), QString::fromStdString(value));
        process->setProcessEnvironment(env);
        process->setProcessChannelMode(QProcess::MergedChannels); // followers print only on stderr
        QProcess* p = process.get();
        const QString prefix = QStringLiteral("[rank %1] ").arg(rank);
        QObject::connect(p, &QProcess::readyReadStandardOutput, job, [job, p, prefix] {
            while (p->canReadLine())
                Q_EMIT job->logMessage(prefix + QString::fromUtf8(p->readLine()).trimmed());
        });
        QObject::connect(p, &QProcess::finished, job, [this, job, p, prefix](int code, QProcess::ExitStatus status) {
            const QString rest = QString::fromUtf8(p->readAll()).trimmed();
            if (!rest.isEmpty())
                Q_EMIT job->logMessage(prefix + rest);
            if (!reaping && (status != QProcess::NormalExit || code != 0))
                Q_EMIT job->logMessage(prefix + (status == QProcess::NormalExit ? tr("ended with exit status %1").arg(code)
                                                                                 : tr("crashed")));
        });
        QObject::connect(p, &QProcess::errorOccurred, job, [job, p, prefix](QProcess::ProcessError error) {
            if (error == QProcess::FailedToStart)
                Q_EMIT job->logMessage(prefix + tr("could not start %1: %2").arg(p->program(), p->errorString()));
        });
        process->start(program, args);
        followers.push_back(std::move(process));
    }
}

// After rank 0 has ended: followers still running after a grace period are
// terminated, and killed if they do not end.
void TrainingJob::Impl::reapFollowers(TrainingJob* job)
{
    if (followers.empty())
        return;
    QTimer::singleShot(kFollowerGraceMs, job, [this, job] {
        reaping = true;
        bool left = false;
        for (auto& f : followers)
            if (f->state() != QProcess::NotRunning) {
                f->terminate();
                left = true;
            }
        if (left)
            QTimer::singleShot(kFollowerKillMs, job, [this] {
                for (auto& f : followers)
                    if (f->state() != QProcess::NotRunning)
                        f->kill();
            });
    });
}

void TrainingJob::Impl::killFollowers()
{
    reaping = true;
    for (auto& f : followers) {
        f->disconnect();
        if (f->state() != QProcess::NotRunning) {
            f->kill();
            f->waitForFinished(kFollowerKillMs);
        }
    }
    followers.clear();
}

TrainingJob::TrainingJob(const train::RunConfig& config, QString dbPath, qint64 resumeRun, QObject* parent)
    : QObject(parent), m(std::make_unique<Impl>())
{
    qRegisterMetaType<tb::ui::StepPoint>();
    m->config = config;
    m->dbPath = std::move(dbPath);
    m->resumeRun = resumeRun;
}

TrainingJob::TrainingJob(QString dbPath, qint64 resumeRun, QObject* parent)
    : TrainingJob(train::RunConfig{}, std::move(dbPath), resumeRun, parent)
{
}

TrainingJob::~TrainingJob()
{
    if (m->worker.joinable()) {
        if (m->done.load()) {
            m->worker.detach(); // past its last use of the job: it only returns now
        } else {
            cancel();
            m->worker.join();
        }
    }
    m->killFollowers();
}

int TrainingJob::processes() const { return m->processes(); }

int TrainingJob::runningFollowers() const
{
    return static_cast<int>(std::count_if(m->followers.begin(), m->followers.end(),
                                          [](const auto& f) { return f->state() != QProcess::NotRunning; }));
}

void TrainingJob::setEngineProgram(const QString& path) { engineOverride() = path; }

QString TrainingJob::engineProgram()
{
    if (!engineOverride().isEmpty())
        return engineOverride();
    const QDir dir(QCoreApplication::applicationDirPath());
    for (const QString& name : {QStringLiteral("tunebench-cli-engine"), QStringLiteral("../lib/tunebench/tunebench-cli-engine")})
        if (const QFileInfo candidate(dir.filePath(name)); candidate.isExecutable())
            return QDir::cleanPath(candidate.absoluteFilePath());
    return {};
}

void TrainingJob::start()
{
    if (m_running || m->worker.joinable())
        return;
    m_running = true;
    if (m->processes() > 1)
        m->startFollowers(this);
    m->worker = std::thread([this] {
        const auto started = Clock::now();
        Forwarder forwarder(this, m->gate, m->control);
        engine::JobOptions options{m->dbPath.toStdString(), std::nullopt};
        if (m->resumeRun > 0)
            options.resumeRun = m->resumeRun;
        engine::JobResult result;
        std::unique_ptr<train::ProcessGroup> group; // rank 0 of a data-parallel run
        try {
            if (!m->setupError.empty())
                throw Error(m->setupError);
            if (m->processes() > 1) {
                Q_EMIT logMessage(tr("Training on %1 processes: waiting for ranks 1–%2 to join")
                                      .arg(m->processes())
                                      .arg(m->processes() - 1));
                group = engine::joinGroup(engine::localRank(0, m->processes(), m->port), kJoinTimeout);
                options.group = group.get();
            }
            result = engine::runJob(m->config, options, forwarder, m->control);
        } catch (const std::exception& e) {
            result.train.status = train::TrainStatus::Failed;
            result.train.error = e.what();
        }
        group.reset();
        const double active = std::max(0.0, secondsSince(started) - forwarder.pausedSeconds());
        // Queued to the job's own thread, where m_running and the followers live.
        QMetaObject::invokeMethod(this, [this] {
            m_running = false;
            m->reapFollowers(this);
        }, Qt::QueuedConnection);
        Q_EMIT finished(result.train.status, QString::fromStdString(result.train.error), result.runId, active);
        m->done.store(true);
    });
}

void TrainingJob::pause() { m->gate.request(); }
void TrainingJob::resume() { m->gate.release(); }

void TrainingJob::cancel()
{
    m->control.cancel();
    m->gate.wake();
}

} // namespace tb::ui
