#pragma once
// Live training: start a RUN.json (or resume a stored run), watch loss,
// validation loss (one curve per task too, for multi-task runs), learning
// rate, throughput, gradient norm and sample generations arrive, pause,
// resume or stop it. A resumed run first shows its stored earlier steps.
#include "ui/training/training_job.h" // TrainStatus as a Qt metatype

#include <QStringList>
#include <QWidget>

#include <map>
#include <memory>
#include <vector>

class QChart;
class QLabel;
class QLineSeries;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
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
    explicit TrainingPanel(QString dbPath, QWidget* parent = nullptr);
    ~TrainingPanel() override;

    // Reads RUN.json; shows a message and returns false when it is invalid.
    bool openConfig(const QString& path);
    QString configPath() const { return m_configPath; }
    bool isTraining() const;

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
    void runStarted(qint64 runId);
    void runFinished(qint64 runId, tb::train::TrainStatus status);
    // A run configuration was opened successfully (for the recent files list).
    void configOpened(const QString& path);

public Q_SLOTS:
    void start();
    // Continues a stored run from its last resumable checkpoint; false (with a
    // message) when it cannot be read or another run is training.
    bool resumeRun(qint64 runId);
    void togglePause();
    void stop();

protected:
    void changeEvent(QEvent* event) override;

private:
    // `history`: stored metrics of the steps before the resume point.
    void startJob(const train::RunConfig& config, qint64 resumeRun, const std::vector<store::MetricPoint>& history);
    void clearCharts(const train::RunConfig& config);
    void showHistory(const std::vector<store::MetricPoint>& history);
    void onStep(const StepPoint& p);
    QLineSeries* taskSeries(const QString& task); // created on first use
    void addTaskValidation(qint64 step, const QString& task, double loss);
    void addSample(qint64 step, const QString& prompt, const QString& output, const QString& task);
    void setIdle(bool idle);
    void appendLog(const QString& line);

    QString m_dbPath;
    QString m_configPath;
    std::unique_ptr<TrainingJob> m_job;
    bool m_paused = false;

    QLabel* m_configLabel = nullptr;
    QPushButton* m_start = nullptr;
    QPushButton* m_pause = nullptr;
    QPushButton* m_stop = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_status = nullptr;
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
