#include "ui/history/inspection_job.h"

#include "store/run_store.h"
#include "ui/common/worker_thread.h"

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
    runDetached(
        this,
        [measure = m_measure, db = m_dbPath.toStdString(), runId = m_runId, nearest = m_nearest] {
            return measure(db, runId, nearest);
        },
        [](InspectionJob& job, engine::RunInspection result, const QString& error) {
            job.deliver(std::move(result), error);
        });
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
