#pragma once
// A fine-tuning run on a background thread. The engine reports through its
// observer interface on that thread; TrainingJob re-emits each event as a Qt
// signal, which Qt queues to receivers living in the GUI thread, so the window
// never waits on training.
//
// Pausing is done here rather than in the trainer: a pause asked for takes
// effect right after the next step's event (the worker then blocks and says
// so with pausedAt), so the window knows exactly when the run stands still,
// and the time spent paused is left out of the elapsed time and the ETA the
// step events carry.
//
// Data-parallel runs (training.processes = N > 1): rank 0 trains on the job's
// thread as a single-process run does, in a group with N - 1 follower
// processes of the CLI engine (tunebench-cli-engine, started with torchrun's
// variables on a free local port). Rank 0 alone reports events and writes the
// store; the followers' stderr arrives as log lines "[rank R] ...". Cancel
// reaches them through rank 0 at a step boundary; any still running a few
// seconds after rank 0 has ended are terminated. A pause holds the followers
// at their next collective, which waits at most 5 minutes.
#include "train/train_types.h"

#include <QObject>
#include <QString>
#include <QVariantMap>

#include <memory>
#include <thread>
#include <vector>

namespace tb {
class RunControl;
}
namespace tb::train {
struct RunConfig;
}

namespace tb::ui {

struct StepPoint {
    qint64 step = 0;
    qint64 totalSteps = 0;
    double loss = 0;
    double learningRate = 0;
    double gradNorm = 0;
    double tokensPerSecond = 0;
    double elapsedSeconds = 0; // training time of this session so far, paused time left out
    double etaSeconds = 0;     // elapsedSeconds / steps done this session × steps left
    double pausedSeconds = 0;  // time paused in this session so far
    qint64 peakMemoryBytes = 0;
    double epoch = 0;       // fractional
    qint64 tokensSeen = 0;
    std::vector<double> rankTokensPerSecond; // data-parallel runs: each rank's tokens/s, rank 0 first
};

class TrainingJob : public QObject {
    Q_OBJECT
public:
    // Starts a new run of `config`, or resumes `resumeRun` when it is > 0.
    // When resuming, `config` is ignored: the run continues with its stored configuration.
    TrainingJob(const tb::train::RunConfig& config, QString dbPath, qint64 resumeRun = 0, QObject* parent = nullptr);
    // Resumes run `resumeRun` of the store from its last resumable checkpoint.
    TrainingJob(QString dbPath, qint64 resumeRun, QObject* parent = nullptr);
    // A finished job lets its thread end on its own; one still training is
    // cancelled and joined (the last resort: stop it and wait for `finished`).
    ~TrainingJob() override;

    void start();
    // Asks the run to pause after the step being trained; pausedAt says when it did.
    // The last step is never paused after (the run is finalising then).
    void pause();
    void resume();
    void cancel(); // also wakes a paused run, which then ends
    bool isRunning() const { return m_running; }
    // Data-parallel processes of this run (training.processes; 1 for a single process).
    int processes() const;
    // Follower processes (ranks 1..N-1) not yet ended.
    int runningFollowers() const;
    // The CLI engine that runs the other ranks: by default tunebench-cli-engine
    // beside this program or in ../lib/tunebench/ (installed); tests set it.
    static void setEngineProgram(const QString& path);
    static QString engineProgram();

Q_SIGNALS:
    void runCreated(qint64 runId, const QString& outputDir);
    void prepared(qint64 trainExamples, qint64 validationExamples, qint64 trainable, qint64 total);
    void stepFinished(const tb::ui::StepPoint& point);
    // The pause asked for took effect: the run stands still after `step`.
    void pausedAt(qint64 step);
    // Multi-task runs: one per task just before `validated` at the same step.
    void taskValidated(qint64 step, const QString& task, double loss);
    void validated(qint64 step, double loss, double perplexity);
    void checkpointSaved(qint64 step, const QString& path);
    // A greedy generation with the model after `step` (training.sample_every);
    // `task`: the task the prompt came from (multi-task runs), else empty.
    void sampleGenerated(qint64 step, const QString& prompt, const QString& output, const QString& task);
    void logMessage(const QString& message);
    // `activeSeconds`: the job's wall time from start to end, paused time left out.
    void finished(tb::train::TrainStatus status, const QString& error, qint64 runId, double activeSeconds);

private:
    struct Impl;
    std::unique_ptr<Impl> m;
    bool m_running = false;
};

} // namespace tb::ui

Q_DECLARE_METATYPE(tb::ui::StepPoint)
Q_DECLARE_METATYPE(tb::train::TrainStatus)
