#include "ui/eval/eval_results.h"

#include "store/run_store.h"

#include <QCoreApplication>
#include <QFileInfo>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

namespace tb::ui {

namespace {

QString baseLabel(const QString& path)
{
    const QString name = QFileInfo(path).fileName();
    return QCoreApplication::translate("tb::ui::EvalResults", "base: %1").arg(name.isEmpty() ? path : name);
}

const QStringList& headlineMetrics()
{
    static const QStringList list{"rouge1", "rouge2", "rougeL", "rougeLsum", "bleu", "chrf", "accuracy",
                                  "accuracy_norm", "exact_match", "f1", "perplexity"};
    return list;
}

} // namespace

const TaskScores* SuiteScores::find(size_t model, const QString& task) const
{
    if (model >= scores.size())
        return nullptr;
    const auto it = scores[model].find(task);
    return it == scores[model].end() ? nullptr : &it->second;
}

double SuiteScores::value(size_t model, const QString& task, const QString& metric) const
{
    const TaskScores* t = find(model, task);
    if (!t)
        return std::numeric_limits<double>::quiet_NaN();
    const auto it = t->metrics.find(metric);
    return it == t->metrics.end() ? std::numeric_limits<double>::quiet_NaN() : it->second;
}

std::vector<ModelKey> availableModels(const store::RunStore& db)
{
    const auto runs = db.listRuns();
    std::set<QString> bases;
    for (const auto& r : runs)
        if (!r.baseModel.empty())
            bases.insert(QString::fromStdString(r.baseModel));
    store::EvaluationFilter alone;
    alone.run = 0;
    for (const auto& t : db.taskEvaluations(alone))
        if (t.adapter.empty())
            bases.insert(QString::fromStdString(t.baseModel));

    std::vector<ModelKey> models;
    for (const auto& b : bases)
        models.push_back({0, b, baseLabel(b)});
    for (const auto& r : runs)
        models.push_back({r.id, QString::fromStdString(r.baseModel),
                          QCoreApplication::translate("tb::ui::EvalResults", "%1 (#%2)").arg(QString::fromStdString(r.name)).arg(r.id)});
    return models;
}

QStringList storedSuites(const store::RunStore& db)
{
    std::set<QString> names;
    for (const auto& t : db.taskEvaluations())
        names.insert(QString::fromStdString(t.suite));
    return QStringList(names.begin(), names.end());
}

TaskScores taskScores(const store::ScoredTask& scored)
{
    TaskScores s;
    s.taskEvaluation = scored.evaluation.id;
    s.kind = QString::fromStdString(scored.evaluation.kind);
    const auto settings = nlohmann::json::parse(scored.evaluation.settingsJson, nullptr, false);
    if (settings.is_object() && settings.contains("metrics") && settings["metrics"].is_array())
        for (const auto& name : settings["metrics"])
            if (name.is_string())
                s.requested.push_back(name.get<std::string>());
    for (const auto& [name, value] : scored.metrics)
        s.metrics[QString::fromStdString(name)] = value;
    return s;
}

SuiteScores loadSuiteScores(const store::RunStore& db, const QString& suite, const std::vector<ModelKey>& models)
{
    SuiteScores out;
    out.suite = suite;
    out.models = models;
    out.scores.resize(models.size());
    if (suite.isEmpty() || models.empty())
        return out;

    std::set<QString> tasks;
    std::set<QString> metrics;
    for (size_t m = 0; m < models.size(); ++m) {
        const ModelKey& key = models[m];
        store::EvaluationFilter filter;
        filter.suite = suite.toStdString();
        filter.run = key.run;
        if (key.run == 0)
            filter.baseModel = key.baseModel.toStdString();
        for (const auto& scored : db.latestScores(filter)) {
            const QString task = QString::fromStdString(scored.evaluation.task);
            TaskScores s = taskScores(scored);
            for (const auto& [name, value] : s.metrics)
                metrics.insert(name);
            out.scores[m][task] = std::move(s);
            tasks.insert(task);
        }
    }
    out.tasks = QStringList(tasks.begin(), tasks.end());
    out.metrics = metricOrder(QStringList(metrics.begin(), metrics.end()));
    return out;
}

QString primaryMetric(const TaskScores& scores)
{
    std::vector<std::string> available;
    for (const auto& [name, value] : scores.metrics)
        available.push_back(name.toStdString());
    return QString::fromStdString(eval::primaryMetric(scores.kind.toStdString(), scores.requested, available));
}

QStringList metricOrder(QStringList metrics)
{
    const QStringList& head = headlineMetrics();
    std::stable_sort(metrics.begin(), metrics.end(), [&](const QString& a, const QString& b) {
        const qsizetype ia = head.indexOf(a), ib = head.indexOf(b);
        if (ia >= 0 || ib >= 0)
            return ia >= 0 && (ib < 0 || ia < ib);
        return a < b;
    });
    metrics.removeDuplicates();
    return metrics;
}

QString metricDisplayName(const QString& metric)
{
    static const std::map<QString, const char*> names{
        {"rouge1", QT_TRANSLATE_NOOP("tb::ui::EvalResults", "ROUGE-1")},
        {"rouge2", QT_TRANSLATE_NOOP("tb::ui::EvalResults", "ROUGE-2")},
        {"rougeL", QT_TRANSLATE_NOOP("tb::ui::EvalResults", "ROUGE-L")},
        {"rougeLsum", QT_TRANSLATE_NOOP("tb::ui::EvalResults", "ROUGE-Lsum")},
        {"bleu", QT_TRANSLATE_NOOP("tb::ui::EvalResults", "BLEU")},
        {"chrf", QT_TRANSLATE_NOOP("tb::ui::EvalResults", "chrF")},
        {"accuracy", QT_TRANSLATE_NOOP("tb::ui::EvalResults", "Accuracy")},
        {"accuracy_norm", QT_TRANSLATE_NOOP("tb::ui::EvalResults", "Accuracy (length-normalised)")},
        {"exact_match", QT_TRANSLATE_NOOP("tb::ui::EvalResults", "Exact match")},
        {"f1", QT_TRANSLATE_NOOP("tb::ui::EvalResults", "Token F1")},
        {"perplexity", QT_TRANSLATE_NOOP("tb::ui::EvalResults", "Perplexity")},
        {"ece", QT_TRANSLATE_NOOP("tb::ui::EvalResults", "Calibration error")},
        {"correct", QT_TRANSLATE_NOOP("tb::ui::EvalResults", "Correct")},
        {"correct_norm", QT_TRANSLATE_NOOP("tb::ui::EvalResults", "Correct (length-normalised)")},
        {"robustness", QT_TRANSLATE_NOOP("tb::ui::EvalResults", "Robustness")},
    };
    const auto it = names.find(metric);
    return it == names.end() ? metric : QCoreApplication::translate("tb::ui::EvalResults", it->second);
}

} // namespace tb::ui
