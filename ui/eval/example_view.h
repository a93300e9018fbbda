#pragma once
// The per-example view: for one task of a suite, every example's prompt and
// reference beside each model's output and per-example scores, read from
// the run store (RunStore::taskGenerations). Examples line up by their id.
#include "ui/eval/eval_results.h"

#include <QDialog>
#include <QWidget>

class QComboBox;
class QLabel;
class QTableWidget;

namespace tb::ui {

class ExampleView : public QWidget {
    Q_OBJECT
public:
    explicit ExampleView(QString dbPath, QWidget* parent = nullptr);

    // The models to show side by side and the tasks to choose from.
    void setScores(const SuiteScores& scores);
    QString task() const;
    QTableWidget* table() const { return m_table; }
    QComboBox* taskCombo() const { return m_task; }

public Q_SLOTS:
    void setTask(const QString& task);
    void refresh();

private:
    QString m_dbPath;
    SuiteScores m_scores;
    QComboBox* m_task = nullptr;
    QLabel* m_summary = nullptr;
    QTableWidget* m_table = nullptr;
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
