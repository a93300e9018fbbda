#include "ui/history/run_curves.h"

#include <QCoreApplication>

#include <algorithm>

namespace tb::ui {

namespace {
const std::string kTaskValidationPrefix = "val_loss/";
}

std::string xAxisMetric(XAxis axis)
{
    switch (axis) {
    case XAxis::Epoch: return "epoch";
    case XAxis::TokensSeen: return "tokens_seen";
    case XAxis::Step: break;
    }
    return {};
}

const Curve* RunCurves::find(const std::string& metric) const
{
    const auto it = metrics.find(metric);
    return it == metrics.end() || it->second.empty() ? nullptr : &it->second;
}

bool RunCurves::hasAxis(XAxis axis) const
{
    return axis == XAxis::Step || find(xAxisMetric(axis)) != nullptr;
}

std::vector<double> RunCurves::xValues(const Curve& curve, XAxis axis) const
{
    if (axis == XAxis::Step)
        return curve.steps;
    const Curve* x = find(xAxisMetric(axis));
    if (!x)
        return {};
    std::vector<double> out;
    out.reserve(curve.size());
    for (const double step : curve.steps) {
        // The newest x point at or before this step.
        auto it = std::upper_bound(x->steps.begin(), x->steps.end(), step);
        const size_t i = it == x->steps.begin() ? 0 : static_cast<size_t>(it - x->steps.begin()) - 1;
        out.push_back(x->values[i]);
    }
    return out;
}

Curve lastValuePerStep(const std::vector<store::MetricPoint>& points)
{
    Curve c;
    c.steps.reserve(points.size());
    c.values.reserve(points.size());
    for (const auto& p : points) {
        const auto step = static_cast<double>(p.step);
        if (!c.steps.empty() && c.steps.back() == step)
            c.values.back() = p.value; // a step replayed after a resume: the later value wins
        else {
            c.steps.push_back(step);
            c.values.push_back(p.value);
        }
    }
    return c;
}

RunCurves loadRunCurves(const store::RunStore& db, const store::Run& run)
{
    RunCurves out;
    out.run = run.id;
    out.name = QString::fromStdString(run.name);
    // One query for every series; RunStore orders them by name, then step, then insertion.
    const auto all = db.metrics(run.id);
    auto begin = all.begin();
    while (begin != all.end()) {
        auto end = std::find_if(begin, all.end(), [&](const store::MetricPoint& p) { return p.name != begin->name; });
        out.metrics[begin->name] = lastValuePerStep(std::vector<store::MetricPoint>(begin, end));
        begin = end;
    }
    return out;
}

std::vector<std::string> taskValidationMetrics(const std::vector<std::string>& names)
{
    std::vector<std::string> out;
    for (const auto& n : names)
        if (n.size() > kTaskValidationPrefix.size() && n.compare(0, kTaskValidationPrefix.size(), kTaskValidationPrefix) == 0)
            out.push_back(n);
    std::sort(out.begin(), out.end());
    return out;
}

QString seriesDisplayName(const QString& metric)
{
    auto tr = [](const char* text) { return QCoreApplication::translate("tb::ui::RunCurvesView", text); };
    if (metric == QLatin1String("loss"))
        return tr("Training loss");
    if (metric == QLatin1String("val_loss"))
        return tr("Validation loss");
    if (metric == QLatin1String("learning_rate"))
        return tr("Learning rate");
    if (metric == QLatin1String("tokens_per_second"))
        return tr("Throughput (tokens/s)");
    if (metric == QLatin1String("epoch"))
        return tr("Epoch");
    if (metric == QLatin1String("tokens_seen"))
        return tr("Tokens seen");
    if (metric.startsWith(QLatin1String("val_loss/")))
        return tr("Validation loss: %1").arg(metric.section(QLatin1Char('/'), 1));
    return metric;
}

} // namespace tb::ui
