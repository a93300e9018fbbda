#pragma once
// The per-example comparison behind ExampleView: for one task of a suite,
// every example's prompt and reference with each model's output and its
// score on the task's primary metric (as stored per example in the run
// store's Generation rows), the change of each model against a baseline
// model, an order by that change, a regressions filter and a CSV of it.
// No widgets, so it is tested on its own.
#include "ui/common/csv.h"
#include "ui/eval/eval_results.h"

#include <QString>

#include <cstddef>
#include <vector>

namespace tb::ui {

struct ExampleRow {
    QString id;
    QString prompt;
    QString reference;
    std::vector<QString> outputs;    // [model]; empty when the model has no output for it
    std::vector<QString> scoresText; // [model]: every per-example metric, "rougeL 0.5 · bleu 12"
    std::vector<double> scores;      // [model]: the compared metric; NaN when absent
};

enum class ExampleOrder {
    Examples,      // as the examples were evaluated
    LargestChange, // the largest absolute change of any model against the baseline first
    WorstChange,   // the largest drop first (a rise for metrics where lower is better)
};

class ExampleComparison {
public:
    // Reads the Generation rows of each model's evaluation of `task`.
    // Throws what the run store throws (tb::Error naming the file).
    static ExampleComparison load(const store::RunStore& db, const SuiteScores& scores, const QString& task);

    const QString& task() const { return m_task; }
    // The per-example metric compared ("rougeL", "correct" for accuracy); empty when none.
    const QString& metric() const { return m_metric; }
    bool higherIsBetter() const { return m_higherIsBetter; }
    const QStringList& labels() const { return m_labels; }
    size_t models() const { return static_cast<size_t>(m_labels.size()); }
    int evaluatedModels() const { return m_evaluated; }
    const std::vector<ExampleRow>& rows() const { return m_rows; }

    // scores[model] - scores[baseline] of a row; NaN when either is missing.
    double delta(size_t row, size_t model, size_t baseline) const;
    // Some model scores worse than the baseline on this row.
    bool isRegression(size_t row, size_t baseline) const;
    // The rows to show, as indices into rows(); ties keep the examples' order.
    std::vector<size_t> view(size_t baseline, ExampleOrder order, bool regressionsOnly) const;
    // Example, prompt, reference, then per model its output, score and
    // delta against the baseline (empty for the baseline itself), for `view`'s rows.
    QString csv(const std::vector<size_t>& view, size_t baseline) const;

private:
    QString m_task;
    QString m_metric;
    bool m_higherIsBetter = true;
    QStringList m_labels;
    int m_evaluated = 0;
    std::vector<ExampleRow> m_rows;
};


} // namespace tb::ui
