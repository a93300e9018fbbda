#include "ui/eval/comparison_report.h"

#include "io/atomic_file.h"

#include <QCoreApplication>
#include <QDateTime>

namespace tb::ui {

namespace {

// tr() for this file's strings, in the context "ComparisonReport".
struct Text {
    Q_DECLARE_TR_FUNCTIONS(ComparisonReport)
};

QString esc(const QString& s) { return s.toHtmlEscaped(); }

QString settingsHtml(const ComparisonReport& r)
{
    const std::pair<QString, QString> rows[] = {
        {Text::tr("Suite"), r.suite},       {Text::tr("Task"), r.task},
        {Text::tr("Metric"), r.metric},     {Text::tr("Baseline"), r.baseline},
        {Text::tr("Test"), r.test},         {Text::tr("Samples"), QString::number(r.samples)},
        {Text::tr("Seed"), QString::number(r.seed)},
    };
    QString html = QStringLiteral("<table class=\"settings\">\n");
    for (const auto& [key, value] : rows)
        html += QStringLiteral("<tr><th>%1</th><td>%2</td></tr>\n").arg(esc(key), esc(value));
    return html + QStringLiteral("</table>\n");
}

QString chartHtml(const MetricChartData& d)
{
    QString html = QStringLiteral("<section class=\"chart\">\n<h2>%1 <small>(%2)</small></h2>\n")
                       .arg(esc(chartTitle(d)), esc(directionText(d)));
    html += metricChartSvg(d, false);
    html += QStringLiteral("<ul class=\"sentences\">\n");
    for (const QString& s : significanceSentences(d))
        html += QStringLiteral("<li>%1</li>\n").arg(esc(s));
    return html + QStringLiteral("</ul>\n</section>\n");
}

QString tableHtml(const ReportTable& t)
{
    QString html = QStringLiteral("<table class=\"scores\">\n<tr>");
    for (const QString& h : t.headers)
        html += QStringLiteral("<th>%1</th>").arg(esc(h));
    html += QStringLiteral("</tr>\n");
    for (size_t r = 0; r < t.rows.size(); ++r) {
        html += QStringLiteral("<tr>");
        for (int c = 0; c < int(t.rows[r].size()); ++c) {
            const bool bold = r < t.bold.size() && size_t(c) < t.bold[r].size() && t.bold[r][size_t(c)];
            html += bold ? QStringLiteral("<td><b>%1</b></td>").arg(esc(t.rows[r][c]))
                         : QStringLiteral("<td>%1</td>").arg(esc(t.rows[r][c]));
        }
        html += QStringLiteral("</tr>\n");
    }
    return html + QStringLiteral("</table>\n");
}

} // namespace

QString comparisonReportHtml(const ComparisonReport& r)
{
    QString html = QStringLiteral(
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>%1</title>\n<style>\n"
        "body{font-family:sans-serif;margin:2em;color:#222}\n"
        "table{border-collapse:collapse;margin:1em 0}\n"
        "th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}\n"
        "section.chart{margin:2em 0}\nsvg{max-width:100%;height:auto}\n"
        "</style>\n</head>\n<body>\n<h1>%1</h1>\n")
                       .arg(esc(Text::tr("Evaluation comparison: %1").arg(r.suite)));
    html += QStringLiteral("<p>%1</p>\n").arg(esc(Text::tr("Written %1 by Tunebench.")
                                                      .arg(QDateTime::currentDateTimeUtc().toString(Qt::ISODate))));
    html += QStringLiteral("<h2>%1</h2>\n").arg(esc(Text::tr("Settings"))) + settingsHtml(r);
    for (const auto& chart : r.charts)
        html += chartHtml(chart);
    html += QStringLiteral("<h2>%1</h2>\n").arg(esc(Text::tr("Scores (change against the baseline)")));
    html += tableHtml(r.table);
    return html + QStringLiteral("</body>\n</html>\n");
}

void writeComparisonReport(const QString& path, const ComparisonReport& report)
{
    io::writeFileAtomic(path.toStdString(), comparisonReportHtml(report).toUtf8().toStdString());
}

} // namespace tb::ui
