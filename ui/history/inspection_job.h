#pragma once
// What a run learned (engine::inspectRun) measured on a background thread:
// inspectRun loads the run's weights, which must never happen on the GUI
// thread. The result comes back to the GUI thread as `finished`.
//
// inspectRun takes no RunControl, so a measurement cannot be cancelled. A job
// deleted while measuring (its dialog closed) does not wait: the worker runs
// to its end on its own and its result is dropped.
#include "engine/run_inspection.h"

#include <QObject>
#include <QString>

#include <functional>
#include <string>

namespace tb::ui {

class InspectionJob : public QObject {
    Q_OBJECT
public:
    // Runs on the worker thread; throws to fail. The default opens the store
    // and calls engine::inspectRun; tests put a slower or blocking one here.
    using Measure = std::function<engine::RunInspection(const std::string& dbPath, int64_t runId, int64_t nearest)>;

    // `nearest`: vocabulary neighbours listed per soft-prompt virtual token.
    InspectionJob(const QString& dbPath, qint64 runId, qint64 nearest = 5, QObject* parent = nullptr);

    void setMeasure(Measure measure) { m_measure = std::move(measure); } // before start()
    void start(); // once; later calls do nothing
    bool isRunning() const { return m_running; }
    bool hasResult() const { return m_done && m_error.isEmpty(); }
    const engine::RunInspection& result() const { return m_result; } // valid when hasResult()
    const QString& error() const { return m_error; }                  // the one-line reason it failed

Q_SIGNALS:
    // In the GUI thread; `ok` false means error() says why.
    void finished(bool ok);

private:
    void deliver(engine::RunInspection result, const QString& error);

    QString m_dbPath;
    qint64 m_runId = 0;
    qint64 m_nearest = 5;
    Measure m_measure;
    bool m_started = false;
    bool m_running = false;
    bool m_done = false;
    engine::RunInspection m_result;
    QString m_error;
};

} // namespace tb::ui
