#include "ui/eval/evaluation_job.h"

#include "eval/suite.h"

namespace tb::ui {

EvaluationJob::EvaluationJob(EvaluationRequest request, QObject* parent)
    : QObject(parent), m_request(std::move(request))
{
}

EvaluationJob::~EvaluationJob()
{
    if (m_worker.joinable()) {
        m_control.cancel();
        m_worker.join();
    }
}

void EvaluationJob::start()
{
    if (m_running || m_worker.joinable())
        return;
    m_running = true;
    m_worker = std::thread([this] {
        QString status = QStringLiteral("completed");
        QString error;
        const int count = static_cast<int>(m_request.models.size());
        try {
            const eval::SuiteSpec suite = eval::readSuite(m_request.suitePath.toStdString());
            engine::EvalOptions options;
            options.dbPath = m_request.dbPath.toStdString();
            options.batchSize = m_request.batchSize;
            options.threads = m_request.threads;
            options.limit = m_request.limit;
            for (const QString& t : m_request.tasks)
                options.tasks.push_back(t.toStdString());
            options.control = &m_control;
            for (int i = 0; i < count && !m_control.cancelled(); ++i) {
                const QString label = i < m_request.labels.size() ? m_request.labels[i] : QString::number(i + 1);
                options.progress = [this, i, count, label](const std::string& task, int64_t done, int64_t total) {
                    Q_EMIT progress(i, count, label, QString::fromStdString(task), done, total);
                };
                engine::evaluate(m_request.models[size_t(i)], suite, options);
                Q_EMIT modelFinished(i, label);
            }
            if (m_control.cancelled())
                status = QStringLiteral("cancelled");
        } catch (const std::exception& e) {
            // The evaluator ends a cancelled run by throwing; the flag tells it from a failure.
            if (m_control.cancelled()) {
                status = QStringLiteral("cancelled");
            } else {
                status = QStringLiteral("failed");
                error = QString::fromStdString(e.what());
            }
        }
        // Queued to the job's own thread, where m_running is read.
        QMetaObject::invokeMethod(this, [this] { m_running = false; }, Qt::QueuedConnection);
        Q_EMIT finished(status, error);
    });
}

void EvaluationJob::cancel() { m_control.cancel(); }

} // namespace tb::ui
