#pragma once
// A grouped bar chart as an SVG document, drawn from the chart's data rather
// than from its pixels, so the file stays vector without Qt SVG (not a
// dependency of Tunebench). Bars may carry 95% CI error bars and value
// labels; a zero-height bar is drawn as an outline, so it stays visible.
// Numbers a person reads (values, ticks) follow QLocale(); coordinates are C.
#include <QColor>
#include <QString>
#include <QStringList>

#include <vector>

namespace tb::ui {

struct SvgBarSet {
    QString label;
    QColor color;
    std::vector<double> values; // one per category; NaN draws no bar
    std::vector<double> errors; // half-widths of error bars, one per category; empty or NaN: none
    QStringList barNames;       // a bar's tooltip name, one per category; empty: the set's label
};

struct SvgChartOptions {
    int width = 900;
    int height = 520;
    QString subtitle;         // a line under the title, e.g. "higher is better"
    bool valueLabels = false; // the value above each bar (and its error bar)
    bool standalone = true;   // an XML declaration first; false: an element to inline in HTML
    bool legend = true;
};

QString barChartSvg(const QString& title, const QStringList& categories, const std::vector<SvgBarSet>& sets,
                    int width = 900, int height = 520);
QString barChartSvg(const QString& title, const QStringList& categories, const std::vector<SvgBarSet>& sets,
                    const SvgChartOptions& options);

} // namespace tb::ui
