#pragma once
// A suite evaluated on one or more models on a background thread. The
// evaluator reports progress on that thread; EvaluationJob re-emits it as Qt
// signals, which Qt queues to receivers in the GUI thread. Every score and
// output lands in the run store as the evaluator writes it, so the panels
// only need to refresh when the job ends.
#include "common/run_control.h"
#include "engine/evaluation.h"

#include <QObject>
#include <QString>
#include <QStringList>

#include <memory>
#include <thread>
#include <vector>

namespace tb::ui {

struct EvaluationRequest {
    std::vector<tb::engine::ModelSpec> models; // evaluated one after the other
    QStringList labels;                      // one per model, for progress messages
    QString suitePath;                       // SUITE.json
    QString dbPath;                          // where results are recorded
    QStringList tasks;                       // only these; empty = all
    qint64 limit = 0;                        // examples per task; 0 = the suite's own
    qint64 batchSize = 8;
    int threads = 0;
};

class EvaluationJob : public QObject {
    Q_OBJECT
public:
    explicit EvaluationJob(EvaluationRequest request, QObject* parent = nullptr);
    ~EvaluationJob() override; // cancels and joins a job still going

    void start();
    void cancel();
    bool isRunning() const { return m_running; }
    const EvaluationRequest& request() const { return m_request; }

Q_SIGNALS:
    // model: 0-based index into the request's models; done/total: examples of `task`.
    void progress(int model, int models, const QString& label, const QString& task, qint64 done, qint64 total);
    void modelFinished(int model, const QString& label);
    // status: completed, cancelled, failed
    void finished(const QString& status, const QString& error);

private:
    EvaluationRequest m_request;
    RunControl m_control;
    std::thread m_worker;
    bool m_running = false;
};

} // namespace tb::ui
