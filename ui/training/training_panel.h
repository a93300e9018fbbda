#pragma once
// Live training: start a RUN.json, watch loss, validation loss, learning rate
// and throughput arrive, pause, resume or stop it.
#include <QWidget>

#include <memory>

class QChart;
class QLabel;
class QLineSeries;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QValueAxis;

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

Q_SIGNALS:
    void runFinished(qint64 runId, const QString& status);

public Q_SLOTS:
    void start();
    void togglePause();
    void stop();

private:
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
    QValueAxis* m_lossX = nullptr;
    QValueAxis* m_lossY = nullptr;
    QValueAxis* m_lrX = nullptr;
    QValueAxis* m_lrY = nullptr;
    QPlainTextEdit* m_log = nullptr;
};

} // namespace tb::ui
