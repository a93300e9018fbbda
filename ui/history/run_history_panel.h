#pragma once
// Every run in the SQLite store, with filter and sort; open a run's details,
// rename, delete, clone its configuration, resume an interrupted run.
#include <QList>
#include <QWidget>

class QLineEdit;
class QPushButton;
class QTableWidget;

namespace tb::ui {

class RunDetailsDialog;

class RunHistoryPanel : public QWidget {
    Q_OBJECT
public:
    explicit RunHistoryPanel(QString dbPath, QWidget* parent = nullptr);
    QTableWidget* table() const { return m_table; }
    qint64 selectedRun() const;
    void selectRun(qint64 id);
    // A run status as the user reads it ("completed", "interrupted", ... translated).
    static QString statusText(int status);
    // Interrupted runs (their process died) that hold a resumable checkpoint.
    QList<qint64> resumableInterruptedRuns() const;

Q_SIGNALS:
    // Asks the window to continue run `id` in Live training.
    void resumeRequested(qint64 id);
    // The stored configuration (RUN.json as JSON text) of the selected run,
    // for the method panel to open as a new run.
    void cloneRequested(const QString& configJson);

public Q_SLOTS:
    void refresh();
    void renameSelected();
    void deleteSelected();
    void resumeSelected();
    void cloneSelected();
    // Opens a (non-modal) window with the run's configuration, metrics,
    // checkpoints and artifacts; returns it.
    RunDetailsDialog* openSelected();

private:
    void updateButtons();

    QString m_dbPath;
    QLineEdit* m_filter = nullptr;
    QTableWidget* m_table = nullptr;
    QPushButton* m_open = nullptr;
    QPushButton* m_resume = nullptr;
    QPushButton* m_clone = nullptr;
    QPushButton* m_rename = nullptr;
    QPushButton* m_delete = nullptr;
};

} // namespace tb::ui
