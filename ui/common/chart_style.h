#pragma once
// Qt Charts draw with their own theme, not the widget palette. These keep a
// chart readable in the light and the dark palette (ui/common/theme.h):
// call followPalette from a widget's PaletteChange (and once when built).
#include <QPalette>

class QChart;
class QWidget;

namespace tb::ui {

// Light or dark chart theme by the palette's window colour; the chart's
// background, labels, axis lines and grid then follow the palette, and axis
// numbers the default QLocale. Series colours are kept.
void followPalette(QChart* chart, const QPalette& palette);
// Every QChartView under `root`.
void followPalette(QWidget* root);

} // namespace tb::ui
