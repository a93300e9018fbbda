#pragma once
// A run exported as GGUF for llama.cpp and Ollama (engine::exportForOllama:
// the GGUF, the base model beside an adapter, the Modelfile and README.md)
// on a background thread: the export loads the run's weights, which must
// never happen on the GUI thread. The result comes back as `finished`.
//
// cancel() stops the export between tensors; a job deleted while exporting
// cancels it and does not wait: the worker ends on its own, its result dropped.
#include "engine/modelfile.h"

#include <QObject>
#include <QString>
#include <QStringList>

#include <functional>
#include <memory>

namespace tb {
class RunControl;
}

namespace tb::ui {

class GgufExportJob : public QObject {
    Q_OBJECT
public:
    // Runs on the worker thread and returns the files written; throws to
    // fail. The default is engine::exportForOllama; tests may put another here.
    using Work = std::function<std::vector<std::string>(const engine::OllamaExport& request, const RunControl& control)>;

    explicit GgufExportJob(engine::OllamaExport request, QObject* parent = nullptr);
    ~GgufExportJob() override;

    void setWork(Work work) { m_work = std::move(work); } // before start()
    void start(); // once; later calls do nothing
    void cancel();
    bool isRunning() const { return m_running; }
    const engine::OllamaExport& request() const { return m_request; }
    const QStringList& files() const { return m_files; } // when finished(true)
    const QString& error() const { return m_error; }     // the one-line reason it failed

Q_SIGNALS:
    // In the GUI thread; `ok` false means error() says why.
    void finished(bool ok);

private:
    void deliver(const QStringList& files, const QString& error);

    engine::OllamaExport m_request;
    Work m_work;
    std::shared_ptr<RunControl> m_control;
    bool m_started = false;
    bool m_running = false;
    QStringList m_files;
    QString m_error;
};

} // namespace tb::ui
