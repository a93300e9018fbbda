#pragma once
// Evaluation comparison: runs and base models side by side on one suite.
// Bar charts (one bar set per model; categories are the tasks for one metric,
// or the metrics of one task), a sortable task x metric table with a column
// per model, the per-example view, and "Evaluate…" which runs the suite on
// the checked models in the background. Everything shown is read back from
// the run store, so results recorded by the CLI appear here too.
#include "ui/eval/eval_results.h"

#include <QWidget>

class QBarSeries;
class QChart;
class QChartView;
class QComboBox;
class QLabel;
class QListWidget;
class QProgressBar;
class QPushButton;
class QSortFilterProxyModel;
class QStandardItemModel;
class QTabWidget;
class QTableView;

namespace tb::ui {

class EvaluationJob;
class ExampleView;

class EvaluationPanel : public QWidget {
    Q_OBJECT
public:
    explicit EvaluationPanel(const QString& dbPath, QWidget* parent = nullptr);
    ~EvaluationPanel() override;

    // The SUITE.json that "Evaluate…" runs; its results are selected for display.
    void setSuitePath(const QString& path);
    QString suitePath() const;
    // The suite whose stored results are shown (by name).
    void setSuite(const QString& name);
    QString suite() const;
    // Shows (checks) exactly these models; unknown ones are ignored.
    void setCheckedModels(const std::vector<ModelKey>& models);
    std::vector<ModelKey> checkedModels() const;
    QStringList recentSuites() const;

    const SuiteScores& scores() const { return m_scores; }
    QListWidget* modelList() const { return m_models; }
    QComboBox* taskFilter() const { return m_taskFilter; }
    QComboBox* metricFilter() const { return m_metricFilter; }
    QTableView* table() const { return m_table; }
    QSortFilterProxyModel* tableModel() const { return m_proxy; }
    QChartView* chartView() const { return m_chartView; }
    QBarSeries* barSeries() const { return m_series; }
    ExampleView* exampleView() const { return m_examples; }
    QTabWidget* tabs() const { return m_tabs; }
    EvaluationJob* job() const { return m_job; }

    // The table as shown (sorted, filtered): a header row, then one row per
    // task x metric, values with up to 12 significant digits, missing ones empty.
    QString tableCsv() const;
    // Atomic writes; false (and a message box unless quiet) on failure.
    bool exportCsv(const QString& path, bool quiet = false);
    bool exportPng(const QString& path, bool quiet = false);
    bool exportSvg(const QString& path, bool quiet = false);

public Q_SLOTS:
    void refresh();
    // Runs the suite file on the checked models.
    void evaluate();
    void cancelEvaluation();
    // Switches to the per-example view of `task`.
    void showExamples(const QString& task);

Q_SIGNALS:
    void evaluationFinished(const QString& status, const QString& error);

private:
    void rebuild();
    void rebuildTable();
    void rebuildChart();
    void chooseSuiteFile();
    void addRecentSuite(const QString& path);
    void exportWithDialog(const QString& kind);

    QString m_dbPath;
    SuiteScores m_scores;
    bool m_firstRefresh = true;

    QListWidget* m_models = nullptr;
    QComboBox* m_suite = nullptr;
    QComboBox* m_suiteFile = nullptr;
    QComboBox* m_taskFilter = nullptr;
    QComboBox* m_metricFilter = nullptr;
    QTabWidget* m_tabs = nullptr;
    QChart* m_chart = nullptr;
    QChartView* m_chartView = nullptr;
    QBarSeries* m_series = nullptr;
    QStringList m_chartCategories;
    QString m_chartTitle;
    QStandardItemModel* m_model = nullptr;
    QSortFilterProxyModel* m_proxy = nullptr;
    QTableView* m_table = nullptr;
    ExampleView* m_examples = nullptr;
    QPushButton* m_evaluate = nullptr;
    QPushButton* m_cancel = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_status = nullptr;
    EvaluationJob* m_job = nullptr;
};

} // namespace tb::ui
