#pragma once
// The playground's generation on a background thread: one prompt, several
// models, the same decoding settings (engine/playground.h). Each model's
// output is re-emitted as a queued Qt signal as soon as it is done; models
// stay loaded between requests while they are asked for again.
#include "engine/playground.h"

#include <QMetaType>
#include <QObject>
#include <QString>

#include <memory>
#include <thread>
#include <vector>

namespace tb {
class RunControl;
}

namespace tb::ui {

struct PlaygroundRequest {
    std::vector<tb::engine::ModelSpec> models;
    std::string prompt;
    tb::engine::DecodingOptions decoding;
    QString dbPath; // for runs
};

class PlaygroundJob : public QObject {
    Q_OBJECT
public:
    explicit PlaygroundJob(QObject* parent = nullptr);
    ~PlaygroundJob() override; // cancels and joins a request still going

    // False (and nothing starts) while a request is still going.
    bool start(PlaygroundRequest request);
    void cancel();
    bool isRunning() const { return m_running; }

Q_SIGNALS:
    void outputReady(int index, const tb::engine::PlaygroundOutput& output);
    // status: completed, cancelled
    void finished(const QString& status);

private:
    void join();

    tb::engine::Playground m_playground; // used only by the worker thread
    std::unique_ptr<RunControl> m_control; // one per request: a cancel cannot be undone
    std::thread m_worker;
    bool m_running = false;
};

} // namespace tb::ui

Q_DECLARE_METATYPE(tb::engine::PlaygroundOutput)
