#include "ui/training/training_job.h"

#include "engine/run_job.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace tb::ui {

namespace {

using Clock = std::chrono::steady_clock;

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
};

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
    if (!m->worker.joinable())
        return;
    if (m->done.load()) {
        m->worker.detach(); // past its last use of the job: it only returns now
        return;
    }
    cancel();
    m->worker.join();
}

void TrainingJob::start()
{
    if (m_running || m->worker.joinable())
        return;
    m_running = true;
    m->worker = std::thread([this] {
        const auto started = Clock::now();
        Forwarder forwarder(this, m->gate, m->control);
        engine::JobOptions options{m->dbPath.toStdString(), std::nullopt};
        if (m->resumeRun > 0)
            options.resumeRun = m->resumeRun;
        engine::JobResult result;
        try {
            result = engine::runJob(m->config, options, forwarder, m->control);
        } catch (const std::exception& e) {
            result.train.status = train::TrainStatus::Failed;
            result.train.error = e.what();
        }
        const double active = std::max(0.0, secondsSince(started) - forwarder.pausedSeconds());
        // Queued to the job's own thread, where m_running is read.
        QMetaObject::invokeMethod(this, [this] { m_running = false; }, Qt::QueuedConnection);
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
