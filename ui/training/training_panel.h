#pragma once
// Live training: start a RUN.json (or resume a stored run), watch loss,
// validation loss, learning rate, throughput, gradient norm and sample
// generations arrive, pause, resume or stop it.
#include "ui/training/training_job.h" // TrainStatus as a Qt metatype

#include <QWidget>

#include <memory>

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
    void startJob(const train::RunConfig& config, qint64 resumeRun);
    void followPalette(); // light or dark chart theme, as the palette is
    void onStep(const StepPoint& p);
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
