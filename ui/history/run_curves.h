#pragma once
// A run's stored metric series as the Run history charts and columns read
// them: one value per step (the last stored one wins, so a resumed run that
// replayed steps shows each step once), and the x coordinate of each point by
// step, by epoch or by tokens seen.
#include "store/run_store.h"

#include <QString>

#include <map>
#include <string>
#include <vector>

namespace tb::ui {

// One metric of one run, by increasing step.
struct Curve {
    std::vector<double> steps;
    std::vector<double> values;

    bool empty() const { return steps.empty(); }
    size_t size() const { return steps.size(); }
};

// What a curve is drawn against.
enum class XAxis { Step, Epoch, TokensSeen };

// The per-step metric an x axis needs ("epoch", "tokens_seen"); empty for steps.
std::string xAxisMetric(XAxis axis);

struct RunCurves {
    qint64 run = 0;
    QString name;
    std::map<std::string, Curve> metrics; // by metric name

    const Curve* find(const std::string& metric) const;
    bool hasAxis(XAxis axis) const;
    // x of each point of `curve` (a curve of this run): the step itself, or
    // the run's epoch / tokens-seen value at that step (the newest one stored
    // at or before it; the first one for a point before every recorded step).
    // Empty when the run does not record that axis.
    std::vector<double> xValues(const Curve& curve, XAxis axis) const;
};

// Points of one series (as RunStore::metrics returns them: by step, then in
// the order they were stored), keeping the last value stored for each step.
Curve lastValuePerStep(const std::vector<store::MetricPoint>& points);
// Every metric series of a run.
RunCurves loadRunCurves(const store::RunStore& db, const store::Run& run);

// Validation metric names per task ("val_loss/<task>") among `names`, sorted.
std::vector<std::string> taskValidationMetrics(const std::vector<std::string>& names);

// A stored series as the user reads it: "loss" -> "Training loss",
// "val_loss/qa" -> "Validation loss: qa"; unknown names as they are.
QString seriesDisplayName(const QString& metric);

} // namespace tb::ui
