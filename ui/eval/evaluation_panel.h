#pragma once
// Evaluation comparison: runs and base models side by side on one suite.
// One chart per task x metric (never two metrics on one axis) with 95% CI
// error bars and significance against a chosen baseline, computed off the
// GUI thread from the stored per-example outputs (engine/run_comparison.h);
// a sortable task x metric table with each cell's change against the
// baseline and the best value of each row in bold; the per-example view;
// exports (CSV, PNG, SVG, one HTML report); and "Evaluate…" which runs the
// suite on the checked models in the background. Everything shown is read
// back from the run store, so results recorded by the CLI appear here too.
#include "ui/eval/comparison_report.h"
#include "ui/eval/eval_results.h"
#include "ui/eval/metric_chart.h"
#include "eval/significance.h"

#include <QWidget>

#include <map>

class QComboBox;
class QLabel;
class QListWidget;
class QProgressBar;
class QPushButton;
class QScrollArea;
class QThread;
class QVBoxLayout;
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
    // A table cell's change against the baseline (a double; absent in the baseline's column).
    static constexpr int ChangeRole = Qt::UserRole + 2;
    // The metric column's stored metric name ("rougeL"); the cell shows its display name.
    static constexpr int MetricRole = Qt::UserRole + 3;
    // A table cell as it is drawn: a score in the user's locale with its
    // change against the baseline ("0,412 (+0,031)" in German).
    static QString cellText(const QModelIndex& index);

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
    QComboBox* baselineCombo() const { return m_baseline; }
    QComboBox* testCombo() const { return m_test; }
    // The charts shown, in order: one per task x metric.
    std::vector<MetricChart*> charts() const;
    // The baseline column (an index into scores().models), or -1 with no models.
    int baseline() const;
    // Resamples and seed of the significance test (its kind follows testCombo()).
    void setTestOptions(qint64 samples, quint64 seed);
    eval::PairedTestOptions testOptions() const;
    // True while significance is computed in the background.
    bool comparisonPending() const { return m_pending > 0; }
    ExampleView* exampleView() const { return m_examples; }
    QTabWidget* tabs() const { return m_tabs; }
    EvaluationJob* job() const { return m_job; }

    // The line shown instead of the charts and table when there is nothing to compare.
    QLabel* emptyState() const { return m_empty; }

    // The table as shown (sorted, filtered): a header row, then one row per
    // task x metric (by stored metric name), C-locale values with up to 12
    // significant digits, missing ones empty.
    QString tableCsv() const;
    // Atomic writes; false (and a message box unless quiet) on failure.
    bool exportCsv(const QString& path, bool quiet = false);
    bool exportPng(const QString& path, bool quiet = false);
    bool exportSvg(const QString& path, bool quiet = false);
    // The whole comparison (settings, charts as SVG, sentences, table) as one HTML file.
    ComparisonReport report() const;
    bool exportHtml(const QString& path, bool quiet = false);

public Q_SLOTS:
    void refresh();
    // Runs the suite file on the checked models.
    void evaluate();
    void cancelEvaluation();
    // Switches to the per-example view of `task`.
    void showExamples(const QString& task);

Q_SIGNALS:
    void evaluationFinished(const QString& status, const QString& error);
    // Significance for the charts shown has arrived (or failed, with a note per chart).
    void comparisonsUpdated();

private:
    void rebuild();
    void rebuildTable();
    void rebuildChart();
    void refillBaselines();
    void updateEmptyState();
    // Charts and significance for the current filters and baseline.
    void recompare();
    void startComparisons();
    struct ChartSpec {
        QString task, metric;
    };
    std::vector<ChartSpec> chartSpecs() const;
    MetricChartData chartData(const ChartSpec& spec) const;
    ReportTable reportTable() const;
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
    QComboBox* m_baseline = nullptr;
    QComboBox* m_test = nullptr;
    qint64 m_samples = 0; // 0: the test's default
    quint64 m_seed = 12345;
    QScrollArea* m_chartArea = nullptr;
    QVBoxLayout* m_chartLayout = nullptr;
    std::vector<MetricChart*> m_charts;
    // Significance per task x metric for the current models and baseline.
    struct Significance {
        std::vector<double> ci;
        std::vector<std::optional<double>> pValues;
        QString note;
    };
    std::map<std::pair<QString, QString>, Significance> m_significance;
    quint64 m_generation = 0; // results of an older request are dropped
    int m_pending = 0;
    std::vector<QThread*> m_workers;
    QStandardItemModel* m_model = nullptr;
    QSortFilterProxyModel* m_proxy = nullptr;
    QTableView* m_table = nullptr;
    ExampleView* m_examples = nullptr;
    QPushButton* m_evaluate = nullptr;
    QPushButton* m_cancel = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_status = nullptr;
    QLabel* m_empty = nullptr;
    EvaluationJob* m_job = nullptr;
};

} // namespace tb::ui
