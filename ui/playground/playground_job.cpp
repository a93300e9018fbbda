#include "ui/playground/playground_job.h"

#include "common/run_control.h"

namespace tb::ui {

PlaygroundJob::PlaygroundJob(QObject* parent) : QObject(parent)
{
    qRegisterMetaType<tb::engine::PlaygroundOutput>();
}

PlaygroundJob::~PlaygroundJob()
{
    cancel();
    join();
}

void PlaygroundJob::join()
{
    if (m_worker.joinable())
        m_worker.join();
}

bool PlaygroundJob::start(PlaygroundRequest request)
{
    if (m_running)
        return false;
    join(); // the previous request has ended; its thread is only waiting to be joined
    m_running = true;
    m_control = std::make_unique<RunControl>();
    m_worker = std::thread([this, request = std::move(request), control = m_control.get()] {
        m_playground.generate(request.models, request.prompt, request.decoding, request.dbPath.toStdString(), control,
                              [this](size_t i, const engine::PlaygroundOutput& out) {
                                  Q_EMIT outputReady(static_cast<int>(i), out);
                              });
        const QString status = control->cancelled() ? QStringLiteral("cancelled") : QStringLiteral("completed");
        // Queued to the job's own thread, where m_running is read.
        QMetaObject::invokeMethod(this, [this] { m_running = false; }, Qt::QueuedConnection);
        Q_EMIT finished(status);
    });
    return true;
}

void PlaygroundJob::cancel()
{
    if (m_control)
        m_control->cancel();
}

} // namespace tb::ui
