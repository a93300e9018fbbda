#include "ui/history/gguf_export_job.h"

#include "common/run_control.h"
#include "ui/common/worker_thread.h"

namespace tb::ui {

GgufExportJob::GgufExportJob(engine::OllamaExport request, QObject* parent)
    : QObject(parent), m_request(std::move(request)),
      m_work([](const engine::OllamaExport& r, const RunControl& control) {
          return engine::exportForOllama(r, &control);
      }),
      m_control(std::make_shared<RunControl>())
{
}

GgufExportJob::~GgufExportJob()
{
    m_control->cancel();
}

void GgufExportJob::cancel()
{
    m_control->cancel();
}

void GgufExportJob::start()
{
    if (m_started)
        return;
    m_started = m_running = true;
    runDetached(
        this,
        [work = m_work, request = m_request, control = m_control] {
            QStringList files;
            for (const std::string& f : work(request, *control))
                files << QString::fromStdString(f);
            return files;
        },
        [](GgufExportJob& job, QStringList files, const QString& error) { job.deliver(files, error); });
}

void GgufExportJob::deliver(const QStringList& files, const QString& error)
{
    m_running = false;
    m_files = files;
    m_error = error;
    Q_EMIT finished(error.isEmpty());
}

} // namespace tb::ui
