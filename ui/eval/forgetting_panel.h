#pragma once
// Forgetting: a suite's stored scores on the base model and on an ordered
// list of runs (stages) as a heatmap of tasks x stages, each cell showing the
// raw score and its change against the base, coloured by the change (better
// or worse, whatever the metric's direction). The runs are read as
// independent fine-tunes of one base (gain on the own task, mean change
// elsewhere) or as a sequential chain (backward transfer, forgetting), as
// eval/forgetting.h computes them; the detected relation is the default and
// a plain-words box explains the numbers. Each task is judged by its primary
// metric; perplexity and other lower-is-better metrics are left out of the
// averages or normalised. The heatmap exports as PNG/SVG, the table as CSV.
// "Check general ability" evaluates the runs and their base on a general
// text sample (engine/general_ability.h) in the background. Clicking a cell
// asks for that cell's per-example view.
#include "ui/eval/eval_results.h"
#include "eval/forgetting.h"

#include <QWidget>

#include <optional>
#include <vector>

class QCheckBox;
class QComboBox;
class QLabel;
class QListWidget;
class QProgressBar;
class QPushButton;
class QTableWidget;

namespace tb::ui {

class EvaluationJob;

class ForgettingPanel : public QWidget {
    Q_OBJECT
public:
    explicit ForgettingPanel(const QString& dbPath, QWidget* parent = nullptr);
    ~ForgettingPanel() override;

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

    // Independent runs of one base, or a chain. Until the user picks one,
    // the relation detected from the stages (engine/run_relation.h) is used.
    void setMode(tb::eval::ForgettingMode mode);
    tb::eval::ForgettingMode mode() const;
    tb::eval::ForgettingMode detectedMode() const { return m_detected; }
    // Perplexity and other lower-is-better tasks: left out (default) or normalised as ln(base / score).
    void setNormaliseLowerIsBetter(bool normalise);

    // The shown report as CSV: one row per task and model (RFC 4180).
    QString tableCsv() const;
    // Writes tableCsv() / the heatmap (.svg: drawn from the data; otherwise
    // PNG pixels). False, with a message box, on failure.
    bool exportTable(const QString& path);
    bool exportHeatmap(const QString& path);

    // The text sample for "Check general ability"; empty = the shipped one.
    void setGeneralTextFile(const QString& path) { m_generalText = path; }
    // Starts evaluating the stages (or, without stages, the selected runs)
    // and their base models on the general text; false when nothing started.
    bool checkGeneralAbility();
    void cancelGeneralAbility();
    bool generalCheckRunning() const;

    const std::optional<tb::eval::ForgettingReport>& report() const { return m_report; }
    QTableWidget* heatmap() const { return m_heatmap; }
    QLabel* averageLabel() const { return m_average; }
    QLabel* backwardTransferLabel() const { return m_bwt; }
    QLabel* forgettingLabel() const { return m_forgetting; }
    QComboBox* storedReports() const { return m_stored; }
    QComboBox* modeChooser() const { return m_mode; }
    QLabel* modeWarningLabel() const { return m_modeWarning; }
    QLabel* gainLabel() const { return m_gain; }
    QLabel* elsewhereLabel() const { return m_elsewhere; }
    QLabel* explanationLabel() const { return m_explanation; }
    // The line shown instead of the heatmap while there is no analysis to show.
    QLabel* emptyState() const { return m_empty; }

    // Heatmap item roles: the change against the base and the score.
    static constexpr int ChangeRole = Qt::UserRole;
    static constexpr int ScoreRole = Qt::UserRole + 1;
    static constexpr int ComparableRole = Qt::UserRole + 2; // eval/forgetting.h's C

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
    // status: completed, cancelled, failed (as EvaluationJob::finished).
    void generalCheckFinished(const QString& status, const QString& error);

protected:
    void changeEvent(QEvent* event) override;

private:
    void addStage(qint64 run);
    void stagesChanged();
    void updateModeWarning();
    void recomputeShown();
    QString explanation(const tb::eval::ForgettingReport& report) const;
    void updateEmptyState();
    void showSummaries(const tb::eval::ForgettingReport& report);
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
    tb::eval::ForgettingMode m_detected = tb::eval::ForgettingMode::Independent;
    QString m_relationProblem; // the stages start from unrelated models: why
    bool m_modeChosen = false; // the user picked the mode; the detected one no longer replaces it
    QString m_generalText;
    EvaluationJob* m_job = nullptr;

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
    QComboBox* m_mode = nullptr;
    QCheckBox* m_normalise = nullptr;
    QLabel* m_modeWarning = nullptr;
    QLabel* m_gain = nullptr;
    QLabel* m_elsewhere = nullptr;
    QLabel* m_explanation = nullptr;
    QLabel* m_empty = nullptr;
    QWidget* m_result = nullptr; // the heatmap and its summaries, hidden while m_empty shows
    QPushButton* m_general = nullptr;
    QPushButton* m_generalCancel = nullptr;
    QProgressBar* m_generalProgress = nullptr;
};

} // namespace tb::ui
