#include "eval/eval_results.h"

#include "store/run_store.h"

#include <QCoreApplication>
#include <QFileInfo>

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

SuiteScores loadSuiteScores(const store::RunStore& db, const QString& suite, const std::vector<ModelKey>& models)
{
    SuiteScores out;
    out.suite = suite;
    out.models = models;
    out.scores.resize(models.size());
    if (suite.isEmpty() || models.empty())
        return out;

    store::EvaluationFilter filter;
    filter.suite = suite.toStdString();
    std::map<int64_t, std::map<QString, double>> byEvaluation;
    for (const auto& e : db.evaluations(filter))
        if (e.taskEvaluation != 0)
            byEvaluation[e.taskEvaluation][QString::fromStdString(e.metric)] = e.value;

    std::set<QString> tasks;
    std::set<QString> metrics;
    // Listed newest first: the first one met for a model and task wins.
    for (const auto& t : db.taskEvaluations(filter)) {
        const QString task = QString::fromStdString(t.task);
        for (size_t m = 0; m < models.size(); ++m) {
            const ModelKey& key = models[m];
            const bool match = key.run != 0 ? t.run == key.run
                                            : t.run == 0 && t.adapter.empty()
                                                  && QString::fromStdString(t.baseModel) == key.baseModel;
            if (!match || out.scores[m].count(task))
                continue;
            TaskScores s;
            s.taskEvaluation = t.id;
            s.kind = QString::fromStdString(t.kind);
            s.metrics = byEvaluation[t.id];
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

QString primaryMetric(const QString& kind, const std::map<QString, double>& metrics)
{
    if (kind == QLatin1String("perplexity"))
        return QStringLiteral("perplexity");
    if (kind == QLatin1String("multiple_choice") || kind == QLatin1String("classification"))
        return QStringLiteral("accuracy");
    for (const char* name : {"rougeL", "bleu", "chrf", "exact_match", "f1", "accuracy", "perplexity"})
        if (metrics.count(QString::fromLatin1(name)))
            return QString::fromLatin1(name);
    return metrics.empty() ? QString() : metrics.begin()->first;
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
        {"robustness", QT_TRANSLATE_NOOP("tb::ui::EvalResults", "Robustness")},
    };
    const auto it = names.find(metric);
    return it == names.end() ? metric : QCoreApplication::translate("tb::ui::EvalResults", it->second);
}

} // namespace tb::ui
