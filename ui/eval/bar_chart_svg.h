#pragma once
// A grouped bar chart as an SVG document, drawn from the chart's data rather
// than from its pixels, so the file stays vector without Qt SVG (not a
// dependency of Tunebench).
#include <QColor>
#include <QString>
#include <QStringList>

#include <vector>

namespace tb::ui {

struct SvgBarSet {
    QString label;
    QColor color;
    std::vector<double> values; // one per category; NaN draws no bar
};

QString barChartSvg(const QString& title, const QStringList& categories, const std::vector<SvgBarSet>& sets,
                    int width = 900, int height = 520);

} // namespace tb::ui
