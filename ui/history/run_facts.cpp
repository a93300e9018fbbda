#include "ui/history/run_facts.h"

#include "ui/common/tables.h"
#include "ui/eval/eval_results.h"
#include "ui/history/run_curves.h"

#include <QCoreApplication>
#include <QStringList>

#include <nlohmann/json.hpp>

#include <cmath>

namespace tb::ui {

namespace {

std::optional<qint64> duration(const store::Run& run, qint64 nowMs)
{
    if (run.startedAt == 0)
        return std::nullopt;
    // A resumed run that runs again still holds the end time of its first stint.
    if (run.status == store::RunStatus::Running || run.status == store::RunStatus::Paused)
        return nowMs - run.startedAt;
    if (run.finishedAt >= run.startedAt)
        return run.finishedAt - run.startedAt;
    return std::nullopt;
}

void readValidation(const store::RunStore& db, const store::Run& run, RunFacts& facts)
{
    const Curve val = lastValuePerStep(db.metrics(run.id, "val_loss"));
    for (const double v : val.values)
        if (std::isfinite(v) && (!facts.bestValLoss || v < *facts.bestValLoss))
            facts.bestValLoss = v;
    if (!val.empty())
        facts.finalValLoss = val.values.back();
}

// run_job.cpp stores the parameter counts with the saved adapter or model
// (a run that did not finish has none); the newest one wins.
std::optional<double> trainablePercent(const store::RunStore& db, const store::Run& run)
{
    const auto artifacts = db.artifacts(run.id);
    for (auto it = artifacts.rbegin(); it != artifacts.rend(); ++it) {
        const auto meta = nlohmann::json::parse(it->metadataJson, nullptr, false);
        if (!meta.is_object())
            continue;
        const auto trainable = meta.find("trainable_parameters");
        const auto total = meta.find("total_parameters");
        if (trainable != meta.end() && total != meta.end() && trainable->is_number() && total->is_number() &&
            total->get<double>() > 0)
            return 100.0 * trainable->get<double>() / total->get<double>();
    }
    return std::nullopt;
}

void readScores(const store::RunStore& db, const store::Run& run, RunFacts& facts)
{
    store::EvaluationFilter filter;
    filter.run = run.id;
    QStringList text;
    QStringList tip;
    for (const auto& scored : db.latestScores(filter)) {
        const TaskScores s = taskScores(scored);
        const QString metric = primaryMetric(s);
        const auto it = s.metrics.find(metric);
        if (metric.isEmpty() || it == s.metrics.end())
            continue;
        const QString task = QString::fromStdString(scored.evaluation.task);
        text << QStringLiteral("%1: %2").arg(task, localNumber(it->second, 'g', 4));
        tip << QCoreApplication::translate("tb::ui::RunHistoryPanel", "%1 (%2): %3")
                   .arg(task, metricDisplayName(metric), localNumber(it->second, 'g', 6));
    }
    facts.scores = text.join(QStringLiteral(", "));
    facts.scoresToolTip = tip.join(QLatin1Char('\n'));
}

} // namespace

RunFacts runFacts(const store::RunStore& db, const store::Run& run, qint64 nowMs)
{
    RunFacts facts;
    facts.durationMs = duration(run, nowMs);
    const Curve loss = lastValuePerStep(db.metrics(run.id, "loss"));
    if (!loss.empty())
        facts.steps = static_cast<qint64>(loss.steps.back());
    readValidation(db, run, facts);
    facts.trainablePercent = trainablePercent(db, run);
    readScores(db, run, facts);
    return facts;
}

QString durationText(qint64 ms)
{
    const qint64 s = ms / 1000;
    if (s >= 3600)
        return QCoreApplication::translate("tb::ui::RunHistoryPanel", "%1h %2m")
            .arg(s / 3600)
            .arg((s % 3600) / 60, 2, 10, QLatin1Char('0'));
    if (s >= 60)
        return QCoreApplication::translate("tb::ui::RunHistoryPanel", "%1m %2s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    return QCoreApplication::translate("tb::ui::RunHistoryPanel", "%1s").arg(s);
}

} // namespace tb::ui
