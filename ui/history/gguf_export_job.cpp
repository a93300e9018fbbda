#include "ui/history/gguf_export_job.h"

#include "common/run_control.h"

#include <QCoreApplication>
#include <QPointer>

#include <thread>

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
    // The worker owns copies of what it reads and shares only the control;
    // it reaches the job through a QPointer dereferenced in the GUI thread.
    QPointer<GgufExportJob> self(this);
    std::thread([self, work = m_work, request = m_request, control = m_control] {
        QStringList files;
        QString error;
        try {
            for (const std::string& f : work(request, *control))
                files << QString::fromStdString(f);
        } catch (const std::exception& e) {
            error = QString::fromStdString(e.what());
            if (error.isEmpty())
                error = tr("unknown error");
        } catch (...) {
            error = tr("unknown error");
        }
        QMetaObject::invokeMethod(
            QCoreApplication::instance(),
            [self, files, error] {
                if (self)
                    self->deliver(files, error);
            },
            Qt::QueuedConnection);
    }).detach();
}

void GgufExportJob::deliver(const QStringList& files, const QString& error)
{
    m_running = false;
    m_files = files;
    m_error = error;
    Q_EMIT finished(error.isEmpty());
}

} // namespace tb::ui
