#include "ui/eval/example_compare.h"

#include "eval/metric_info.h"
#include "store/run_store.h"

#include <QLocale>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace tb::ui {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::map<QString, double> parseScores(const std::string& json)
{
    std::map<QString, double> values;
    const auto j = nlohmann::json::parse(json, nullptr, false);
    if (j.is_object())
        for (const auto& [key, value] : j.items())
            if (value.is_number())
                values[QString::fromStdString(key)] = value.get<double>();
    return values;
}

// {"rougeL":0.5,"bleu":12} -> "ROUGE-L 0.5 · BLEU 12" (in the user's locale): the compared metric
// first, then headline metrics.
QString formatScores(const std::map<QString, double>& values, const QString& first)
{
    QStringList names;
    for (const auto& [name, value] : values)
        names << name;
    names = metricOrder(names);
    if (names.removeOne(first))
        names.prepend(first);
    QStringList parts;
    for (const QString& name : names)
        parts << QStringLiteral("%1 %2").arg(metricDisplayName(name), QLocale().toString(values.at(name), 'g', 4));
    return parts.join(QStringLiteral(" · "));
}

// The names a task-level metric goes by per example: accuracy is stored as
// each example's 0/1 "correct", ROUGE as "rougeL".
QStringList perExampleNames(const QString& metric)
{
    if (metric == QLatin1String("accuracy"))
        return {QStringLiteral("correct"), metric};
    if (metric == QLatin1String("accuracy_norm"))
        return {QStringLiteral("correct_norm"), metric};
    if (metric == QLatin1String("rouge"))
        return {QStringLiteral("rougeL"), metric};
    return {metric};
}

QString number(double v) { return std::isnan(v) ? QString() : QString::number(v, 'g', 12); }

} // namespace

ExampleComparison ExampleComparison::load(const store::RunStore& db, const SuiteScores& scores, const QString& task)
{
    ExampleComparison c;
    c.m_task = task;
    const size_t models = scores.models.size();
    for (const auto& m : scores.models)
        c.m_labels << m.label;
    if (task.isEmpty())
        return c;

    // The task's primary metric, from the first model that evaluated it.
    QString primary;
    for (size_t m = 0; m < models && primary.isEmpty(); ++m)
        if (const TaskScores* s = scores.find(m, task))
            primary = primaryMetric(*s);

    std::map<QString, size_t> rowOf; // example id -> row, rows in the first model's order
    std::vector<std::vector<std::map<QString, double>>> values; // [row][model]
    for (size_t m = 0; m < models; ++m) {
        const TaskScores* s = scores.find(m, task);
        if (!s)
            continue;
        ++c.m_evaluated;
        for (const auto& g : db.taskGenerations(s->taskEvaluation)) {
            const QString id = QString::fromStdString(g.exampleId);
            auto [it, added] = rowOf.try_emplace(id, c.m_rows.size());
            if (added) {
                ExampleRow row;
                row.id = id;
                row.prompt = QString::fromStdString(g.prompt);
                row.reference = QString::fromStdString(g.reference);
                row.outputs.resize(models);
                row.scoresText.resize(models);
                row.scores.assign(models, kNaN);
                c.m_rows.push_back(std::move(row));
                values.emplace_back(models);
            }
            c.m_rows[it->second].outputs[m] = QString::fromStdString(g.output);
            values[it->second][m] = parseScores(g.scoresJson);
        }
    }

    // The per-example name of the primary metric that the rows hold;
    // failing that, the first headline metric they hold.
    QStringList present;
    for (const auto& row : values)
        for (const auto& model : row)
            for (const auto& [name, value] : model)
                if (!present.contains(name))
                    present << name;
    for (const QString& name : perExampleNames(primary))
        if (c.m_metric.isEmpty() && present.contains(name))
            c.m_metric = name;
    if (c.m_metric.isEmpty() && !present.isEmpty())
        c.m_metric = metricOrder(present).front();
    c.m_higherIsBetter = c.m_metric.isEmpty() || eval::higherIsBetter(c.m_metric.toStdString());

    for (size_t r = 0; r < c.m_rows.size(); ++r)
        for (size_t m = 0; m < models; ++m) {
            const auto& v = values[r][m];
            c.m_rows[r].scoresText[m] = formatScores(v, c.m_metric);
            if (const auto it = v.find(c.m_metric); it != v.end())
                c.m_rows[r].scores[m] = it->second;
        }
    return c;
}

double ExampleComparison::delta(size_t row, size_t model, size_t baseline) const
{
    if (row >= m_rows.size() || model >= models() || baseline >= models())
        return kNaN;
    const auto& s = m_rows[row].scores;
    return s[model] - s[baseline]; // NaN when either is NaN
}

bool ExampleComparison::isRegression(size_t row, size_t baseline) const
{
    for (size_t m = 0; m < models(); ++m) {
        const double d = delta(row, m, baseline);
        if (m != baseline && !std::isnan(d) && (m_higherIsBetter ? d < 0 : d > 0))
            return true;
    }
    return false;
}

std::vector<size_t> ExampleComparison::view(size_t baseline, ExampleOrder order, bool regressionsOnly) const
{
    std::vector<size_t> rows;
    for (size_t r = 0; r < m_rows.size(); ++r)
        if (!regressionsOnly || isRegression(r, baseline))
            rows.push_back(r);
    if (order == ExampleOrder::Examples)
        return rows;
    // A row's sort key: the largest |delta|, or the largest drop, over the models; NaN when it has none.
    const double sign = m_higherIsBetter ? 1.0 : -1.0;
    std::vector<double> key(m_rows.size(), kNaN);
    for (size_t r : rows)
        for (size_t m = 0; m < models(); ++m) {
            const double d = delta(r, m, baseline);
            if (m == baseline || std::isnan(d))
                continue;
            const double k = order == ExampleOrder::LargestChange ? std::abs(d) : -sign * d;
            if (std::isnan(key[r]) || k > key[r])
                key[r] = k;
        }
    std::stable_sort(rows.begin(), rows.end(), [&](size_t a, size_t b) {
        if (std::isnan(key[b]))
            return !std::isnan(key[a]);
        return !std::isnan(key[a]) && key[a] > key[b];
    });
    return rows;
}

QString ExampleComparison::csv(const std::vector<size_t>& view, size_t baseline) const
{
    const QString metric = m_metric.isEmpty() ? QStringLiteral("score") : m_metric;
    QStringList header{QStringLiteral("example_id"), QStringLiteral("prompt"), QStringLiteral("reference")};
    for (const QString& label : m_labels)
        header << label + QStringLiteral(": output") << label + QStringLiteral(": ") + metric
               << label + QStringLiteral(": delta");
    QString out;
    for (QString& h : header)
        h = csvCell(h);
    out += header.join(QLatin1Char(',')) + QLatin1Char('\n');
    for (size_t r : view) {
        if (r >= m_rows.size())
            continue;
        const ExampleRow& row = m_rows[r];
        QStringList fields{csvCell(row.id), csvCell(row.prompt), csvCell(row.reference)};
        for (size_t m = 0; m < models(); ++m)
            fields << csvCell(row.outputs[m]) << number(row.scores[m])
                   << (m == baseline ? QString() : number(delta(r, m, baseline)));
        out += fields.join(QLatin1Char(',')) + QLatin1Char('\n');
    }
    return out;
}

} // namespace tb::ui
