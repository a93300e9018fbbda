#pragma once
// The per-example view: for one task of a suite, every example's prompt and
// reference beside each model's output and per-example scores, read from
// the run store (RunStore::taskGenerations). Examples line up by their id.
// Each model's change on the task's primary metric against a baseline model
// is shown per example; the rows can be ordered by that change, narrowed to
// regressions and exported as CSV (example_compare.h does the arithmetic).
#include "ui/eval/eval_results.h"
#include "ui/eval/example_compare.h"

#include <QDialog>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QTableWidget;
class QTextBrowser;

namespace tb::ui {

class ExampleView : public QWidget {
    Q_OBJECT
public:
    explicit ExampleView(QString dbPath, QWidget* parent = nullptr);

    // The models to show side by side and the tasks to choose from.
    void setScores(const SuiteScores& scores);
    QString task() const;
    // Columns: example, prompt, reference, then per model its output and
    // scores, then per model other than the baseline its change ("Δ ...").
    // On screen each Δ column stands after its model's scores.
    QTableWidget* table() const { return m_table; }
    QComboBox* taskCombo() const { return m_task; }
    QComboBox* baselineCombo() const { return m_baseline; } // item index = model index
    QComboBox* orderCombo() const { return m_order; }       // item data = int(ExampleOrder)
    QCheckBox* regressionsOnlyCheck() const { return m_regressionsOnly; }
    QTextBrowser* detail() const { return m_detail; }       // the selected example in full

    const ExampleComparison& comparison() const { return m_comparison; }
    size_t baseline() const;
    void setBaseline(size_t model);
    void setOrder(ExampleOrder order);
    void setRegressionsOnly(bool on);
    // The rows shown, as indices into comparison().rows().
    const std::vector<size_t>& shownRows() const { return m_shown; }
    // The comparison as shown (order and filter) in CSV; written atomically.
    QString tableCsv() const;
    bool exportCsv(const QString& path, bool quiet = false);

public Q_SLOTS:
    void setTask(const QString& task);
    // Re-reads the task's examples from the store.
    void refresh();

private:
    void fillTable();
    void placeChangesBesideScores(const std::vector<size_t>& compared);
    void showDetail();
    void exportWithDialog();

    QString m_dbPath;
    SuiteScores m_scores;
    ExampleComparison m_comparison;
    std::vector<size_t> m_shown;
    QComboBox* m_task = nullptr;
    QComboBox* m_baseline = nullptr;
    QComboBox* m_order = nullptr;
    QCheckBox* m_regressionsOnly = nullptr;
    QLabel* m_summary = nullptr;
    QTableWidget* m_table = nullptr;
    QTextBrowser* m_detail = nullptr;
};

// The view in a window of its own, for a click elsewhere (a heatmap cell).
class ExampleDialog : public QDialog {
    Q_OBJECT
public:
    ExampleDialog(const QString& dbPath, const SuiteScores& scores, const QString& task, QWidget* parent = nullptr);
    ExampleView* view() const { return m_view; }

private:
    ExampleView* m_view = nullptr;
};

} // namespace tb::ui
