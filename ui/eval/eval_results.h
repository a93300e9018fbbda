#pragma once
// Stored evaluation results as the evaluation and forgetting panels show
// them: which models can be compared (base models and runs), and for one
// suite the newest task evaluation of every model x task with its scores.
#include "eval/metric_info.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <map>
#include <string>
#include <vector>

namespace tb::store {
class RunStore;
struct ScoredTask;
}

namespace tb::ui {

// A column of a comparison: a run, or a base model evaluated alone (run 0).
struct ModelKey {
    qint64 run = 0;
    QString baseModel; // the model path; for a run, its base model
    QString label;     // what the tables and legends show

    bool operator==(const ModelKey& o) const { return run == o.run && (run != 0 || baseModel == o.baseModel); }
};

struct TaskScores {
    qint64 taskEvaluation = 0; // 0: not evaluated
    QString kind;              // generate, multiple_choice, classification, perplexity
    std::map<QString, double> metrics;
    std::vector<std::string> requested; // the metrics the task asked for, in its order
};

struct SuiteScores {
    QString suite;
    QStringList tasks;   // sorted
    QStringList metrics; // in metricOrder()
    std::vector<ModelKey> models;
    std::vector<std::map<QString, TaskScores>> scores; // [model][task]

    const TaskScores* find(size_t model, const QString& task) const;
    // NaN when the model has no such score.
    double value(size_t model, const QString& task, const QString& metric) const;
};

// Base models (from runs and from stored base evaluations) first, then runs, newest first.
std::vector<ModelKey> availableModels(const store::RunStore& db);
QStringList storedSuites(const store::RunStore& db);
// The newest task evaluation of each model x task of `suite`.
SuiteScores loadSuiteScores(const store::RunStore& db, const QString& suite, const std::vector<ModelKey>& models);

// One stored task result (RunStore::latestScores) as the panels hold it:
// its scores and the metrics its task asked for.
TaskScores taskScores(const store::ScoredTask& scored);

// The metric a stored task result is judged by (eval::primaryMetric).
QString primaryMetric(const TaskScores& scores);
// Headline metrics first (ROUGE, BLEU, chrF, accuracy), the rest by name.
QStringList metricOrder(QStringList metrics);
QString metricDisplayName(const QString& metric); // "rougeL" -> "ROUGE-L"

} // namespace tb::ui
