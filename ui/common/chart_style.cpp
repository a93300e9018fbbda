#include "ui/common/chart_style.h"

#include "ui/common/theme.h"

#include <QAbstractAxis>
#include <QAbstractSeries>
#include <QChart>
#include <QChartView>
#include <QColor>
#include <QLegend>
#include <QLocale>
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
    // Axis numbers as the user's locale writes them ("0,5" in German).
    chart->setLocale(QLocale());
    chart->setLocalizeNumbers(true);
    const QColor text = palette.color(QPalette::Text);
    QColor grid = text; // faint but visible on the light and the dark base alike
    grid.setAlphaF(0.22f);
    QColor line = text;
    line.setAlphaF(0.6f);
    chart->setBackgroundBrush(palette.color(QPalette::Base));
    chart->setTitleBrush(text);
    chart->legend()->setLabelColor(text);
    for (auto* axis : chart->axes()) {
        axis->setLabelsColor(text);
        axis->setTitleBrush(text);
        axis->setGridLineColor(grid);
        axis->setMinorGridLineColor(grid);
        axis->setLinePenColor(line);
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
