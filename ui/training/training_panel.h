#pragma once
// Live training: start a run configuration (a RUN.json, or the Method panel's
// configuration in memory) or resume a stored run, watch loss, validation
// loss (one curve per task too, for multi-task runs), learning rate,
// throughput, gradient norm and sample generations arrive, pause, resume or
// stop it. One status line says where the run stands (RunState); a completed
// run gets a one-line summary. A resumed run first shows its stored earlier
// steps up to the checkpoint it continues from.
#include "ui/training/training_job.h" // TrainStatus as a Qt metatype

#include <QStringList>
#include <QWidget>

#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

class QChart;
class QLabel;
class QLineSeries;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QStackedWidget;
class QTableWidget;
class QValueAxis;

namespace tb::train {
struct RunConfig;
}
namespace tb::store {
struct MetricPoint;
}

namespace tb::ui {

class TrainingJob;
struct StepPoint;

class TrainingPanel : public QWidget {
    Q_OBJECT
public:
    // Where the panel's run stands, shown in the status line "runState".
    enum class RunState {
        NoConfig,   // nothing opened or described yet
        Ready,      // a configuration is there to start
        Starting,   // reading data, loading the model
        Training,
        Pausing,    // a pause was asked for; the step being trained finishes first
        Paused,     // the run stands still (paused time is not counted)
        Finalising, // last step done or Stop pressed: final checkpoint, export
        Completed,  // also a run stopped early by early stopping
        Stopped,
        Failed,
    };
    Q_ENUM(RunState)

    explicit TrainingPanel(QString dbPath, QWidget* parent = nullptr);
    ~TrainingPanel() override;

    // Reads RUN.json; shows a message and returns false when it is invalid.
    bool openConfig(const QString& path);
    QString configPath() const { return m_configPath; }
    // The header: "Run configuration: <displayName>" plus "(unsaved changes)"
    // when `unsaved`. A panel with no configuration becomes Ready.
    void setConfigDescription(const QString& displayName, bool unsaved);
    // Starts exactly `config` (nothing is read from a file); false when a run
    // is going (said in the log) or the configuration has problems (a message).
    bool startConfig(const tb::train::RunConfig& config, const QString& displayName);

    bool isTraining() const;
    bool isStopping() const { return m_stopping; } // Stop pressed, the run is still ending
    RunState runState() const { return m_state; }
    static QString runStateText(RunState state); // the status line's words

    QLineSeries* lossSeries() const { return m_loss; }
    QLineSeries* validationSeries() const { return m_validation; }
    QLineSeries* learningRateSeries() const { return m_lr; }
    QLineSeries* tokensPerSecondSeries() const { return m_tokens; }
    QLineSeries* gradNormSeries() const { return m_gradNorm; }
    // Multi-task runs: the validation loss curve of `task` (nullptr if none yet).
    QLineSeries* taskValidationSeries(const QString& task) const;
    QStringList validationTasks() const; // those with a curve, sorted
    QTableWidget* samplesTable() const { return m_samples; }

Q_SIGNALS:
    // The Start button was pressed and something is connected here: the
    // window decides what to start (else the button calls start()).
    void startRequested();
    void runStarted(qint64 runId);
    void runFinished(qint64 runId, tb::train::TrainStatus status);
    void runStateChanged(tb::ui::TrainingPanel::RunState state);
    // A run configuration was opened successfully (for the recent files list).
    void configOpened(const QString& path);

public Q_SLOTS:
    void start(); // the opened RUN.json, read again
    // Continues a stored run from its last resumable checkpoint; false (with a
    // message) when it cannot be read or another run is training.
    bool resumeRun(qint64 runId);
    void togglePause();
    void stop(); // asks the run to end after the current step; never waits

protected:
    void changeEvent(QEvent* event) override;
    void connectNotify(const QMetaMethod& signal) override;
    void disconnectNotify(const QMetaMethod& signal) override;

private:
    // What the summary of a completed run is made of, gathered from its events.
    struct RunTotals {
        std::optional<std::pair<qint64, double>> bestValidation; // (step, loss)
        double tokensPerSecondSum = 0;
        qint64 steps = 0;
    };

    bool isBusy() const;
    // `history`: stored metrics of the steps before the resume point.
    void startJob(const train::RunConfig& config, qint64 resumeRun, const std::vector<store::MetricPoint>& history);
    void connectJob();
    void clearCharts(const train::RunConfig& config);
    void showHistory(const std::vector<store::MetricPoint>& history);
    void onStep(const StepPoint& p);
    void showSetup(const train::RunConfig& config); // precision used, processes
    void showRankThroughput(const std::vector<double>& tokensPerSecond);
    void onValidated(qint64 step, double loss, double perplexity);
    void onFinished(train::TrainStatus status, const QString& error, qint64 id, double activeSeconds);
    QString summaryText(train::TrainStatus status, double activeSeconds) const;
    QLineSeries* taskSeries(const QString& task); // created on first use
    void addTaskValidation(qint64 step, const QString& task, double loss);
    void addSample(qint64 step, const QString& prompt, const QString& output, const QString& task);
    void setState(RunState state);
    void updateButtons();
    void appendLog(const QString& line);

    QString m_dbPath;
    QString m_configPath;
    bool m_described = false; // setConfigDescription gave a configuration
    std::unique_ptr<TrainingJob> m_job;
    RunState m_state = RunState::NoConfig;
    bool m_stopping = false;
    qint64 m_resumeStep = -1; // the checkpoint step a resumed run continues from; -1 for a new run
    QString m_redoneNote;     // a resumed run's steps past its checkpoint that are trained again
    RunTotals m_totals;

    QLabel* m_configLabel = nullptr;
    QLabel* m_runState = nullptr;
    QLabel* m_summary = nullptr;
    QLabel* m_guidance = nullptr;
    QStackedWidget* m_chartArea = nullptr;
    QPushButton* m_start = nullptr;
    QPushButton* m_pause = nullptr;
    QPushButton* m_stop = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_status = nullptr;
    QLabel* m_setup = nullptr;          // "Precision: f32 (...) · 2 processes, batch 4 each"
    QLabel* m_rankThroughput = nullptr; // "rank 0: 812 tok/s · rank 1: 790 tok/s"; hidden for one process
    QLineSeries* m_loss = nullptr;
    QLineSeries* m_validation = nullptr;
    QLineSeries* m_lr = nullptr;
    QLineSeries* m_tokens = nullptr;
    QLineSeries* m_gradNorm = nullptr;
    QChart* m_lossChart = nullptr;
    std::map<QString, QLineSeries*> m_taskValidation; // task -> its validation curve
    QValueAxis* m_lossX = nullptr;
    QValueAxis* m_lossY = nullptr;
    QValueAxis* m_lrX = nullptr;
    QValueAxis* m_lrY = nullptr;
    QValueAxis* m_tokensX = nullptr;
    QValueAxis* m_tokensY = nullptr;
    QValueAxis* m_gradX = nullptr;
    QValueAxis* m_gradY = nullptr;
    QPlainTextEdit* m_log = nullptr;
    QTableWidget* m_samples = nullptr;
};

} // namespace tb::ui
