#pragma once
// One run from the store: its summary, stored configuration, metric series
// (with their first, last and best values), checkpoints, artifacts, and what
// the run learned (InspectionView, measured in the background when shown).
#include <QDialog>

class QTableWidget;
class QPlainTextEdit;
class QTabWidget;

namespace tb::ui {

class InspectionView;

class RunDetailsDialog : public QDialog {
    Q_OBJECT
public:
    // Throws tb::Error when the run does not exist or the store cannot be read.
    RunDetailsDialog(const QString& dbPath, qint64 runId, QWidget* parent = nullptr);
    qint64 runId() const { return m_runId; }
    QTabWidget* tabs() const { return m_tabs; }
    QTableWidget* metricsTable() const { return m_metrics; }
    QTableWidget* checkpointsTable() const { return m_checkpoints; }
    QTableWidget* artifactsTable() const { return m_artifacts; }
    QPlainTextEdit* configView() const { return m_config; }
    InspectionView* inspectionView() const { return m_inspection; }

private:
    qint64 m_runId = 0;
    QTabWidget* m_tabs = nullptr;
    QPlainTextEdit* m_config = nullptr;
    QTableWidget* m_metrics = nullptr;
    QTableWidget* m_checkpoints = nullptr;
    QTableWidget* m_artifacts = nullptr;
    InspectionView* m_inspection = nullptr;
};

} // namespace tb::ui
