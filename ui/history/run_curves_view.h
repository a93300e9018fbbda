#pragma once
// The curves of several runs overlaid, one chart per quantity (training loss,
// validation loss, learning rate, throughput, and validation loss per task
// when runs store it), one colour per run in every chart. Controls: EMA
// smoothing (common/smoothing.h) with the raw curve faint behind, the x axis
// (step, epoch, tokens seen), a log y scale, zoom (drag a rectangle; double
// click or "Reset zoom" to undo); hovering a line shows its values.
#include "ui/history/run_curves.h"

#include <QColor>
#include <QPointF>
#include <QStringList>
#include <QWidget>

#include <map>
#include <vector>

class QChart;
class QChartView;
class QCheckBox;
class QComboBox;
class QGridLayout;
class QLabel;
class QLineSeries;
class QScrollArea;
class QSlider;

namespace tb::ui {

class RunCurvesView : public QWidget {
    Q_OBJECT
public:
    explicit RunCurvesView(QWidget* parent = nullptr);

    // The runs to overlay, in legend (and colour) order.
    void setRuns(std::vector<RunCurves> runs);
    void setNote(const QString& text); // e.g. that only some of the selected runs are shown

    double smoothing() const;
    void setSmoothing(double weight); // 0 .. 0.999
    XAxis xAxis() const { return m_xAxis; }
    void setXAxis(XAxis axis);        // ignored when some run does not record it
    bool isXAxisAvailable(XAxis axis) const;
    bool logScale() const { return m_logScale; }
    void setLogScale(bool on);

    // The metrics that have a chart now, in the order shown.
    QStringList chartMetrics() const;
    QChart* chart(const QString& metric) const;
    // The line of `run` in the chart of `metric` (smoothed when smoothing is
    // on), and its raw values drawn faint behind (none without smoothing).
    QLineSeries* series(const QString& metric, qint64 run) const;
    QLineSeries* rawSeries(const QString& metric, qint64 run) const;
    QLabel* hoverLabel() const { return m_hover; }
    QComboBox* xAxisCombo() const { return m_xAxisCombo; }

    static QColor runColour(size_t index);

public Q_SLOTS:
    void resetZoom();

protected:
    void changeEvent(QEvent* event) override;

private:
    // One run's line in one chart, with what the hover text needs.
    struct Line {
        size_t runIndex = 0;
        std::vector<double> x, raw, shown;
        QLineSeries* series = nullptr;
        QLineSeries* rawSeries = nullptr;
    };
    struct Plot {
        QString metric;
        QChartView* view = nullptr;
        std::vector<Line> lines;
    };

    void rebuild();
    void updateAxisChoices();
    Plot makePlot(const QString& metric);
    static QString chartTitle(const QString& metric);
    void showHover(const QString& metric, size_t line, const QPointF& at, bool entered);
    const Line* findLine(const QString& metric, qint64 run) const;
    QString xTitle() const;

    std::vector<RunCurves> m_runs;
    XAxis m_xAxis = XAxis::Step;
    bool m_logScale = false;
    std::vector<Plot> m_plots;

    QSlider* m_smoothing = nullptr;
    QLabel* m_smoothingValue = nullptr;
    QComboBox* m_xAxisCombo = nullptr;
    QCheckBox* m_log = nullptr;
    QLabel* m_note = nullptr;
    QLabel* m_hover = nullptr;
    QString m_hoverHint;
    QLabel* m_empty = nullptr;
    QScrollArea* m_scroll = nullptr;
    QGridLayout* m_grid = nullptr;
};

} // namespace tb::ui
