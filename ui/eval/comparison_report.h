#pragma once
// The Evaluation panel's comparison as one self-contained HTML file: the
// settings (suite, task, metric, baseline, test, samples, seed), a chart per
// metric as inline SVG with its significance sentences, and the table with
// each cell's change against the baseline. Every text is HTML-escaped.
#include "ui/eval/metric_chart.h"

#include <QString>
#include <QStringList>

#include <vector>

namespace tb::ui {

struct ReportTable {
    QStringList headers;
    std::vector<QStringList> rows;
    std::vector<std::vector<bool>> bold; // [row][column]: the best value of its row
};

struct ComparisonReport {
    QString suite, task, metric, baseline, test;
    qint64 samples = 0;
    quint64 seed = 0;
    std::vector<MetricChartData> charts;
    ReportTable table;
};

QString comparisonReportHtml(const ComparisonReport& report);
// Written atomically; throws tb::Error naming the file.
void writeComparisonReport(const QString& path, const ComparisonReport& report);

} // namespace tb::ui
