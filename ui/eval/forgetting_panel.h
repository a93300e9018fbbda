#pragma once
// Forgetting: a suite's stored scores on the base model and on an ordered
// list of runs (stages) as a heatmap of tasks x stages, coloured by each
// task's change against the base, with the average score, backward transfer
// and forgetting measure of eval/forgetting.h. Each task is judged by its
// primary metric (loss-like ones negated, so higher is always better).
// Clicking a cell asks for that cell's per-example view.
#include "ui/eval/eval_results.h"
#include "eval/forgetting.h"

#include <QWidget>

#include <optional>
#include <vector>

class QComboBox;
class QLabel;
class QListWidget;
class QTableWidget;

namespace tb::ui {

class ForgettingPanel : public QWidget {
    Q_OBJECT
public:
    explicit ForgettingPanel(const QString& dbPath, QWidget* parent = nullptr);

    // Selects the suite named in this SUITE.json.
    void setSuitePath(const QString& path);
    void setSuite(const QString& name);
    QString suite() const;
    void setBaseModel(const QString& path);
    QString baseModel() const;
    // The stages in order (run ids); each stage's trained task is guessed
    // from the run's training files and can be changed with setStageTask.
    void setStages(const std::vector<qint64>& runs);
    std::vector<qint64> stages() const;
    void setStageTask(int stage, const QString& task); // empty = unknown
    QString stageTask(int stage) const;
    // Whether a cell click also opens the built-in example dialog (default true).
    void setOpensExampleDialog(bool open) { m_opensDialog = open; }

    const std::optional<tb::eval::ForgettingReport>& report() const { return m_report; }
    QTableWidget* heatmap() const { return m_heatmap; }
    QLabel* averageLabel() const { return m_average; }
    QLabel* backwardTransferLabel() const { return m_bwt; }
    QLabel* forgettingLabel() const { return m_forgetting; }
    QComboBox* storedReports() const { return m_stored; }

    // Heatmap item roles: the change against the base and the score.
    static constexpr int ChangeRole = Qt::UserRole;
    static constexpr int ScoreRole = Qt::UserRole + 1;

public Q_SLOTS:
    void refresh();
    // Computes the report from the stored scores of the base and the stages.
    void compute();
    // Stores the shown report (RunStore::addForgettingReport); returns its id, 0 on failure.
    qint64 saveReport();
    // Shows a stored report.
    void showStoredReport(qint64 id);

Q_SIGNALS:
    // runId 0: the base model.
    void exampleViewRequested(qint64 runId, const QString& suite, const QString& task);

private:
    void addStage(qint64 run);
    void moveStage(int delta);
    void showReport(const tb::eval::ForgettingReport& report, const std::vector<qint64>& runs);
    void openExamples(int row, int column);
    QString guessStageTask(qint64 run, const QStringList& tasks) const;
    QStringList suiteTasks() const;

    QString m_dbPath;
    bool m_opensDialog = true;
    std::vector<ModelKey> m_models; // every run and base model in the store
    std::optional<tb::eval::ForgettingReport> m_report;
    std::vector<qint64> m_reportRuns; // the stages of the shown report
    QString m_reportBase;

    QComboBox* m_suite = nullptr;
    QComboBox* m_base = nullptr;
    QListWidget* m_available = nullptr;
    QTableWidget* m_stages = nullptr;
    QTableWidget* m_heatmap = nullptr;
    QLabel* m_metric = nullptr;
    QLabel* m_average = nullptr;
    QLabel* m_bwt = nullptr;
    QLabel* m_forgetting = nullptr;
    QComboBox* m_stored = nullptr;
};

} // namespace tb::ui
