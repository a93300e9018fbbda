#pragma once
// The "What it learned" tab of Run details: engine::inspectRun measured on a
// background thread (InspectionJob) the first time the tab is shown, then
// shown by method: a heatmap of LoRA update norms (layers × projections),
// adapter up/down norms per layer, a soft prompt's virtual tokens with their
// nearest vocabulary tokens, or the tensors full/selective tuning moved most.
// The whole inspection exports as a long-format CSV.
#include "engine/run_inspection.h"

#include <QString>
#include <QWidget>

class QAbstractButton;
class QGroupBox;
class QLabel;
class QPushButton;
class QTableWidget;

namespace tb::ui {

class InspectionJob;
class UpdateHeatmap;

class InspectionView : public QWidget {
    Q_OBJECT
public:
    InspectionView(const QString& dbPath, qint64 runId, QWidget* parent = nullptr);

    void start(); // measures, once; showing the view starts it too
    bool isMeasuring() const;
    bool hasInspection() const { return m_hasInspection; }
    const engine::RunInspection& inspection() const { return m_inspection; }

    QLabel* messageLabel() const { return m_message; } // "Measuring…" or why it failed
    QLabel* summaryLabel() const { return m_summary; }
    UpdateHeatmap* heatmap() const { return m_heatmap; }
    QAbstractButton* relativeButton() const { return m_relative; }
    QTableWidget* adapterTable() const { return m_adapters; }
    QTableWidget* promptTable() const { return m_prompt; }
    QTableWidget* changesTable() const { return m_changes; }
    QGroupBox* loraSection() const { return m_loraBox; }
    QGroupBox* adapterSection() const { return m_adapterBox; }
    QGroupBox* promptSection() const { return m_promptBox; }
    QGroupBox* changesSection() const { return m_changesBox; }
    QPushButton* exportButton() const { return m_export; }

    // Columns: section,module,layer,measure,value,token_id,token_text; one
    // number per row, written with 17 significant digits. section is lora,
    // adapter, prompt or change; module the module path, tensor name or
    // virtual token index; the token columns only for nearest_K rows.
    static QString inspectionCsv(const engine::RunInspection& inspection);
    // Writes inspectionCsv atomically; false with `error` set when it cannot.
    bool exportCsv(const QString& path, QString* error = nullptr) const;

Q_SIGNALS:
    void measured(bool ok);

protected:
    void showEvent(QShowEvent* event) override;

private:
    void showInspection(const engine::RunInspection& r);
    void showError(const QString& error);
    void exportWithDialog();

    QString m_dbPath;
    qint64 m_runId = 0;
    InspectionJob* m_job = nullptr;
    bool m_hasInspection = false;
    engine::RunInspection m_inspection;

    QLabel* m_message = nullptr;
    QWidget* m_content = nullptr;
    QLabel* m_summary = nullptr;
    QGroupBox* m_loraBox = nullptr;
    UpdateHeatmap* m_heatmap = nullptr;
    QAbstractButton* m_relative = nullptr;
    QGroupBox* m_adapterBox = nullptr;
    QTableWidget* m_adapters = nullptr;
    QGroupBox* m_promptBox = nullptr;
    QTableWidget* m_prompt = nullptr;
    QGroupBox* m_changesBox = nullptr;
    QLabel* m_changesNote = nullptr;
    QTableWidget* m_changes = nullptr;
    QPushButton* m_export = nullptr;
};

} // namespace tb::ui
