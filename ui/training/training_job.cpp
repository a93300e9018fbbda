#include "ui/training/training_job.h"

#include "engine/run_job.h"

namespace tb::ui {

namespace {

class Forwarder : public engine::JobObserver {
public:
    explicit Forwarder(TrainingJob* job) : m_job(job) {}
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
        StepPoint p;
        p.step = e.step;
        p.totalSteps = e.totalSteps;
        p.loss = e.loss;
        p.learningRate = e.learningRate;
        p.gradNorm = e.gradNorm;
        p.tokensPerSecond = e.tokensPerSecond;
        p.elapsedSeconds = e.elapsedSeconds;
        p.etaSeconds = e.etaSeconds;
        p.peakMemoryBytes = e.peakMemoryBytes;
        p.epoch = e.epochProgress;
        p.tokensSeen = e.tokensSeen;
        Q_EMIT m_job->stepFinished(p);
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
};

} // namespace

struct TrainingJob::Impl {
    train::RunConfig config;
    QString dbPath;
    qint64 resumeRun = 0;
    RunControl control;
    std::thread worker;
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
    if (m->worker.joinable()) {
        m->control.cancel();
        m->worker.join();
    }
}

void TrainingJob::start()
{
    if (m_running || m->worker.joinable())
        return;
    m_running = true;
    m->worker = std::thread([this] {
        Forwarder forwarder(this);
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
        // Queued to the job's own thread, where m_running is read.
        QMetaObject::invokeMethod(this, [this] { m_running = false; }, Qt::QueuedConnection);
        Q_EMIT finished(result.train.status, QString::fromStdString(result.train.error), result.runId);
    });
}

void TrainingJob::pause() { m->control.pause(); }
void TrainingJob::resume() { m->control.resume(); }
void TrainingJob::cancel() { m->control.cancel(); }

} // namespace tb::ui
