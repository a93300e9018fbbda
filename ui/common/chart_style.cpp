#include "ui/common/chart_style.h"

#include "ui/common/theme.h"

#include <QAbstractAxis>
#include <QAbstractSeries>
#include <QChart>
#include <QChartView>
#include <QColor>
#include <QLegend>
#include <QWidget>

#include <vector>

namespace tb::ui {

void followPalette(QChart* chart, const QPalette& palette)
{
    if (!chart)
        return;
    const auto theme = isDark(palette) ? QChart::ChartThemeDark : QChart::ChartThemeLight;
    if (chart->theme() != theme) {
        // setTheme recolours every series; keep the colours a view chose.
        std::vector<std::pair<QAbstractSeries*, QColor>> kept;
        for (auto* series : chart->series())
            if (auto colour = series->property("tbColour"); colour.isValid())
                kept.emplace_back(series, colour.value<QColor>());
        chart->setTheme(theme);
        for (const auto& [series, colour] : kept)
            series->setProperty("color", colour);
    }
    chart->setBackgroundBrush(palette.color(QPalette::Base));
    chart->setTitleBrush(palette.color(QPalette::Text));
    chart->legend()->setLabelColor(palette.color(QPalette::Text));
    for (auto* axis : chart->axes()) {
        axis->setLabelsColor(palette.color(QPalette::Text));
        axis->setTitleBrush(palette.color(QPalette::Text));
    }
}

void followPalette(QWidget* root)
{
    if (!root)
        return;
    for (auto* view : root->findChildren<QChartView*>())
        followPalette(view->chart(), root->palette());
}

} // namespace tb::ui
