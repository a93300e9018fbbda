#pragma once
// Every run in the SQLite store, with filter and sort; open a run's details,
// rename, delete, clone its configuration, resume an interrupted run. Select
// several runs to see them side by side: their curves overlaid
// (run_curves_view.h) and their configurations compared (config_diff.h).
// Export ▸ GGUF… writes a run for llama.cpp and Ollama on a worker thread
// (gguf_export_job.h).
#include "store/run_store.h"
#include "ui/history/run_curves.h"

#include <QList>
#include <QWidget>

#include <map>

class QLabel;
class QLineEdit;
class QPushButton;
class QTimer;
class QTableWidget;
class QTabWidget;

namespace tb::ui {

class ConfigDiffView;
class RunCurvesView;
class GgufExportJob;
class RunDetailsDialog;

class RunHistoryPanel : public QWidget {
    Q_OBJECT
public:
    // The columns of table(); numeric ones sort by the number (Qt::UserRole).
    enum Column {
        ColId,
        ColName,
        ColMethod,
        ColStatus,
        ColBaseModel,
        ColCreated,
        ColDuration,   // seconds
        ColSteps,
        ColBestValLoss,
        ColFinalValLoss,
        ColTrainable,  // percent of the parameters
        ColScores,     // "task: value" of the newest evaluation per task
        ColumnCount
    };
    // At most this many selected runs are overlaid (one colour each).
    static constexpr int kMaxComparedRuns = 10;

    explicit RunHistoryPanel(QString dbPath, QWidget* parent = nullptr);
    QTableWidget* table() const { return m_table; }
    // The current run when several are selected (the one the single-run actions act on).
    qint64 selectedRun() const;
    // Every selected run, by id.
    QList<qint64> selectedRuns() const;
    void selectRun(qint64 id);
    void selectRuns(const QList<qint64>& ids);
    RunCurvesView* curvesView() const { return m_curves; }
    ConfigDiffView* configDiffView() const { return m_configDiff; }
    QTabWidget* compareTabs() const { return m_compare; }
    // The line shown instead of the table when there are no runs (or none match the filter).
    QLabel* emptyState() const { return m_empty; }
    // A run status as the user reads it ("completed", "interrupted", ... translated).
    static QString statusText(int status);
    // A method as the user reads it ("lora" -> "LoRA", "prompt_tuning" -> "Prompt tuning").
    static QString methodText(const QString& method);
    // Interrupted runs (their process died) that hold a resumable checkpoint.
    QList<qint64> resumableInterruptedRuns() const;

Q_SIGNALS:
    // Asks the window to continue run `id` in Live training.
    void resumeRequested(qint64 id);
    // The stored configuration (RUN.json as JSON text) of the selected run,
    // for the method panel to open as a new run.
    void cloneRequested(const QString& configJson);
    // A GGUF export ended; MESSAGE is what the user was told (files or error).
    void ggufExportFinished(bool ok, const QString& message);

public Q_SLOTS:
    void refresh();
    void renameSelected();
    // Deletes every selected run after one confirmation.
    void deleteSelected();
    void resumeSelected();
    void cloneSelected();
    // Opens a (non-modal) window with the run's configuration, metrics,
    // checkpoints and artifacts; returns it.
    RunDetailsDialog* openSelected();
    // Asks what to write (merged model or LoRA adapter, weight type, file),
    // then exportGguf().
    void exportGgufSelected();

public:
    // Exports run ID as FILE (.gguf) of TYPE (f32, f16, bf16), the LoRA
    // adapter with the base model beside it when ADAPTER, plus the Modelfile
    // and README.md, on a worker thread. One export at a time: returns null
    // while another runs. The job belongs to the panel.
    GgufExportJob* exportGguf(qint64 id, const QString& file, const QString& type, bool adapter);
    GgufExportJob* ggufExportJob() const { return m_ggufJob; }

private:
    void fillRow(int row, const store::Run& run, const store::RunStore& db, qint64 now);
    void updateButtons();
    void updateComparison();
    int rowOf(qint64 id) const;

    QString m_dbPath;
    QLineEdit* m_filter = nullptr;
    QTableWidget* m_table = nullptr;
    QPushButton* m_open = nullptr;
    QPushButton* m_resume = nullptr;
    QPushButton* m_clone = nullptr;
    QPushButton* m_rename = nullptr;
    QPushButton* m_delete = nullptr;
    QPushButton* m_export = nullptr;     // Export ▸ GGUF…
    GgufExportJob* m_ggufJob = nullptr;  // the running (or last) GGUF export
    QTabWidget* m_compare = nullptr;
    RunCurvesView* m_curves = nullptr;
    ConfigDiffView* m_configDiff = nullptr;
    QLabel* m_empty = nullptr;
    QWidget* m_content = nullptr; // the table and the comparison, hidden while m_empty shows
    std::map<qint64, store::Run> m_runs; // the rows of the last refresh, by id
    std::map<qint64, RunCurves> m_curveCache; // metric series read since the last refresh
    QTimer* m_compareLater = nullptr;    // one comparison update for a burst of selection changes
    bool m_filling = false;              // refresh() is rebuilding the rows
};

} // namespace tb::ui
