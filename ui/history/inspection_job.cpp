#include "ui/history/inspection_job.h"

#include "store/run_store.h"

#include <QCoreApplication>
#include <QPointer>

#include <thread>

namespace tb::ui {

InspectionJob::InspectionJob(const QString& dbPath, qint64 runId, qint64 nearest, QObject* parent)
    : QObject(parent), m_dbPath(dbPath), m_runId(runId), m_nearest(nearest),
      m_measure([](const std::string& db, int64_t run, int64_t near) {
          return engine::inspectRun(store::RunStore(db), run, near);
      })
{
}

void InspectionJob::start()
{
    if (m_started)
        return;
    m_started = m_running = true;
    // The worker owns copies of everything it reads; it reaches the job only
    // through a QPointer that is dereferenced in the GUI thread, so a job
    // deleted meanwhile is simply not told.
    QPointer<InspectionJob> self(this);
    std::thread([self, measure = m_measure, db = m_dbPath.toStdString(), runId = m_runId, nearest = m_nearest] {
        engine::RunInspection result;
        QString error;
        try {
            result = measure(db, runId, nearest);
        } catch (const std::exception& e) {
            error = QString::fromStdString(e.what());
            if (error.isEmpty())
                error = tr("unknown error");
        } catch (...) {
            error = tr("unknown error");
        }
        QMetaObject::invokeMethod(
            QCoreApplication::instance(),
            [self, result = std::move(result), error]() mutable {
                if (self)
                    self->deliver(std::move(result), error);
            },
            Qt::QueuedConnection);
    }).detach();
}

void InspectionJob::deliver(engine::RunInspection result, const QString& error)
{
    m_running = false;
    m_done = true;
    m_result = std::move(result);
    m_error = error;
    Q_EMIT finished(error.isEmpty());
}

} // namespace tb::ui
