#include "ui/history/run_curves_view.h"

#include "common/smoothing.h"
#include "ui/common/chart_style.h"
#include "ui/common/tables.h"

#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QComboBox>
#include <QCursor>
#include <QEvent>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QLocale>
#include <QLogValueAxis>
#include <QMouseEvent>
#include <QPushButton>
#include <QScrollArea>
#include <QSlider>
#include <QStandardItemModel>
#include <QToolTip>
#include <QVBoxLayout>
#include <QValueAxis>

#include <algorithm>
#include <cmath>
#include <limits>

namespace tb::ui {

namespace {

const char* const kBaseMetrics[] = {"loss", "val_loss", "learning_rate", "tokens_per_second"};
constexpr int kSliderScale = 1000; // slider position = weight * 1000

QString kSelectRuns() { return RunCurvesView::tr("Select one or more runs in the table to overlay their curves."); }

// A chart view that zooms to a dragged rectangle and back on double click.
class ZoomChartView : public QChartView {
public:
    explicit ZoomChartView(QChart* chart) : QChartView(chart)
    {
        setRubberBand(QChartView::RectangleRubberBand);
        setRenderHint(QPainter::Antialiasing);
        setMinimumHeight(240);
    }

protected:
    void mouseDoubleClickEvent(QMouseEvent* event) override
    {
        chart()->zoomReset();
        event->accept();
    }
};

struct Bounds {
    double xMin = std::numeric_limits<double>::infinity(), xMax = -xMin;
    double yMin = xMin, yMax = -xMin;
    bool empty() const { return !(xMin <= xMax); }
    void add(double x, double y)
    {
        xMin = std::min(xMin, x);
        xMax = std::max(xMax, x);
        yMin = std::min(yMin, y);
        yMax = std::max(yMax, y);
    }
};

// The drawable points: x and y finite, y positive on a log scale.
QList<QPointF> drawable(const std::vector<double>& x, const std::vector<double>& y, bool log, Bounds& bounds)
{
    QList<QPointF> points;
    points.reserve(static_cast<qsizetype>(x.size()));
    for (size_t i = 0; i < x.size() && i < y.size(); ++i)
        if (std::isfinite(x[i]) && std::isfinite(y[i]) && (!log || y[i] > 0)) {
            points.append(QPointF(x[i], y[i]));
            bounds.add(x[i], y[i]);
        }
    return points;
}

QLineSeries* makeSeries(const QList<QPointF>& points, QColor colour, qreal width)
{
    auto* s = new QLineSeries;
    s->replace(points);
    QPen pen(colour);
    pen.setWidthF(width);
    s->setPen(pen);
    s->setProperty("tbColour", colour); // followPalette keeps it across a theme change
    return s;
}

// Ranges around every drawn point; round tick values on linear axes.
void fitAxes(QValueAxis* x, QAbstractAxis* y, const Bounds& bounds)
{
    if (bounds.empty())
        return;
    const double xPad = bounds.xMax > bounds.xMin ? 0 : 1;
    x->setRange(bounds.xMin - xPad, bounds.xMax + xPad);
    x->applyNiceNumbers();
    if (auto* linear = qobject_cast<QValueAxis*>(y)) {
        const double span = bounds.yMax - bounds.yMin;
        const double pad = span > 0 ? span * 0.05 : std::max(std::abs(bounds.yMax) * 0.1, 1e-9);
        linear->setRange(bounds.yMin - pad, bounds.yMax + pad);
        linear->applyNiceNumbers();
    } else { // log: a single value gets a decade around it
        const double factor = bounds.yMax > bounds.yMin ? 1.0 : 2.0;
        y->setRange(bounds.yMin / factor, bounds.yMax * factor);
    }
}

QString formatValue(double v)
{
    return localNumber(v, 'g', 5);
}

} // namespace

RunCurvesView::RunCurvesView(QWidget* parent) : QWidget(parent)
{
    m_smoothing = new QSlider(Qt::Horizontal);
    m_smoothing->setObjectName("smoothingSlider");
    m_smoothing->setRange(0, static_cast<int>(kMaxSmoothingWeight * kSliderScale));
    m_smoothing->setTracking(false); // redraw when the handle is let go, not on every pixel
    m_smoothing->setToolTip(tr("Exponential moving average as in TensorBoard; the raw curve stays faint behind"));
    m_smoothingValue = new QLabel;
    m_xAxisCombo = new QComboBox;
    m_xAxisCombo->setObjectName("xAxisCombo");
    m_xAxisCombo->addItem(tr("Step"), static_cast<int>(XAxis::Step));
    m_xAxisCombo->addItem(tr("Epoch"), static_cast<int>(XAxis::Epoch));
    m_xAxisCombo->addItem(tr("Tokens seen"), static_cast<int>(XAxis::TokensSeen));
    m_log = new QCheckBox(tr("&Log scale"));
    m_log->setObjectName("logScale");
    m_log->setToolTip(tr("Logarithmic y axis; values at or below zero are not drawn"));
    auto* reset = new QPushButton(tr("Reset &zoom"));
    reset->setObjectName("resetZoom");
    m_note = new QLabel;
    m_note->setObjectName("curvesNote");
    m_note->setVisible(false);
    m_hover = new QLabel;
    m_hover->setObjectName("hoverLabel");
    m_hoverHint = tr("Point at a line to read its values.");
    m_hover->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_empty = makeEmptyState(kSelectRuns(), "curvesEmpty");

    auto* gridHolder = new QWidget;
    m_grid = new QGridLayout(gridHolder);
    m_scroll = new QScrollArea;
    m_scroll->setWidgetResizable(true);
    m_scroll->setWidget(gridHolder);

    auto* controls = new QHBoxLayout;
    auto* smoothingLabel = new QLabel(tr("&Smoothing:"));
    smoothingLabel->setBuddy(m_smoothing);
    controls->addWidget(smoothingLabel);
    controls->addWidget(m_smoothing, 1);
    controls->addWidget(m_smoothingValue);
    auto* xLabel = new QLabel(tr("&X axis:"));
    xLabel->setBuddy(m_xAxisCombo);
    controls->addWidget(xLabel);
    controls->addWidget(m_xAxisCombo);
    controls->addWidget(m_log);
    controls->addWidget(reset);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(controls);
    layout->addWidget(m_note);
    layout->addWidget(m_hover);
    layout->addWidget(m_empty, 1);
    layout->addWidget(m_scroll, 1);

    connect(m_smoothing, &QSlider::sliderMoved, this,
            [this](int v) { m_smoothingValue->setText(QLocale().toString(double(v) / kSliderScale, 'f', 3)); });
    connect(m_smoothing, &QSlider::valueChanged, this, [this] { rebuild(); });
    connect(m_xAxisCombo, qOverload<int>(&QComboBox::currentIndexChanged), this,
            [this] { setXAxis(static_cast<XAxis>(m_xAxisCombo->currentData().toInt())); });
    connect(m_log, &QCheckBox::toggled, this, &RunCurvesView::setLogScale);
    connect(reset, &QPushButton::clicked, this, &RunCurvesView::resetZoom);

    {
        const QSignalBlocker block(m_smoothing);
        m_smoothing->setValue(600); // TensorBoard's default weight, 0.6
    }
    rebuild();
}

QColor RunCurvesView::runColour(size_t index)
{
    // Tableau 10: told apart on light and dark backgrounds alike.
    static const QColor colours[] = {QColor(0x4e79a7), QColor(0xf28e2b), QColor(0xe15759), QColor(0x76b7b2),
                                     QColor(0x59a14f), QColor(0xedc948), QColor(0xb07aa1), QColor(0xff9da7),
                                     QColor(0x9c755f), QColor(0xbab0ac)};
    return colours[index % std::size(colours)];
}

void RunCurvesView::setRuns(std::vector<RunCurves> runs)
{
    m_runs = std::move(runs);
    updateAxisChoices();
    rebuild();
}

void RunCurvesView::setNote(const QString& text)
{
    m_note->setText(text);
    m_note->setVisible(!text.isEmpty());
}

double RunCurvesView::smoothing() const
{
    return double(m_smoothing->value()) / kSliderScale;
}

void RunCurvesView::setSmoothing(double weight)
{
    m_smoothing->setValue(static_cast<int>(std::lround(weight * kSliderScale))); // rebuilds when it changes
}

bool RunCurvesView::isXAxisAvailable(XAxis axis) const
{
    return std::all_of(m_runs.begin(), m_runs.end(), [&](const RunCurves& r) { return r.hasAxis(axis); });
}

void RunCurvesView::setXAxis(XAxis axis)
{
    if (!isXAxisAvailable(axis))
        axis = XAxis::Step;
    const int index = m_xAxisCombo->findData(static_cast<int>(axis));
    if (m_xAxisCombo->currentIndex() != index) {
        const QSignalBlocker block(m_xAxisCombo);
        m_xAxisCombo->setCurrentIndex(index);
    }
    if (axis == m_xAxis)
        return;
    m_xAxis = axis;
    rebuild();
}

void RunCurvesView::setLogScale(bool on)
{
    if (m_log->isChecked() != on) {
        const QSignalBlocker block(m_log);
        m_log->setChecked(on);
    }
    if (on == m_logScale)
        return;
    m_logScale = on;
    rebuild();
}

void RunCurvesView::updateAxisChoices()
{
    auto* model = qobject_cast<QStandardItemModel*>(m_xAxisCombo->model());
    for (int i = 0; i < m_xAxisCombo->count(); ++i) {
        const auto axis = static_cast<XAxis>(m_xAxisCombo->itemData(i).toInt());
        QStringList missing;
        for (const auto& r : m_runs)
            if (!r.hasAxis(axis))
                missing << QString::number(r.run);
        model->item(i)->setEnabled(missing.isEmpty());
        m_xAxisCombo->setItemData(
            i,
            missing.isEmpty() ? QVariant()
                              : QVariant(tr("Run(s) %1 did not record this (stored before Tunebench kept it); "
                                            "they can be drawn by step only")
                                             .arg(missing.join(QStringLiteral(", ")))),
            Qt::ToolTipRole);
    }
    if (!isXAxisAvailable(m_xAxis))
        setXAxis(XAxis::Step);
}

QString RunCurvesView::xTitle() const
{
    switch (m_xAxis) {
    case XAxis::Epoch: return tr("Epoch");
    case XAxis::TokensSeen: return tr("Tokens seen");
    case XAxis::Step: break;
    }
    return tr("Step");
}

void RunCurvesView::rebuild()
{
    m_smoothingValue->setText(QLocale().toString(smoothing(), 'f', 3));
    for (auto& plot : m_plots)
        delete plot.view;
    m_plots.clear();
    m_hover->setText(m_hoverHint);
    m_empty->setText(kSelectRuns());
    m_empty->setVisible(m_runs.empty());
    m_scroll->setVisible(!m_runs.empty());
    if (m_runs.empty())
        return;

    QStringList metrics;
    for (const char* m : kBaseMetrics)
        metrics << QString::fromLatin1(m);
    std::vector<std::string> names;
    for (const auto& r : m_runs)
        for (const auto& [name, curve] : r.metrics)
            names.push_back(name);
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    for (const auto& name : taskValidationMetrics(names))
        metrics << QString::fromStdString(name);

    for (const QString& metric : metrics) {
        const bool recorded = std::any_of(m_runs.begin(), m_runs.end(),
                                          [&](const RunCurves& r) { return r.find(metric.toStdString()); });
        if (!recorded)
            continue; // no empty axes for a quantity no selected run recorded
        const int i = int(m_plots.size());
        m_plots.push_back(makePlot(metric));
        m_grid->addWidget(m_plots.back().view, i / 2, i % 2);
    }
    if (m_plots.empty()) {
        m_empty->setText(tr("The selected runs have no recorded metrics yet — they appear once a run logs its first step."));
        m_empty->setVisible(true);
        m_scroll->setVisible(false);
    }
}

QString RunCurvesView::chartTitle(const QString& metric) { return seriesDisplayName(metric); }

RunCurvesView::Plot RunCurvesView::makePlot(const QString& metric)
{
    Plot plot;
    plot.metric = metric;
    auto* chart = new QChart;
    chart->setTitle(chartTitle(metric));
    chart->legend()->setAlignment(Qt::AlignBottom);

    const double weight = smoothing();
    Bounds bounds;
    for (size_t i = 0; i < m_runs.size(); ++i) {
        const RunCurves& run = m_runs[i];
        const Curve* curve = run.find(metric.toStdString());
        if (!curve)
            continue;
        Line line;
        line.runIndex = i;
        line.x = run.xValues(*curve, m_xAxis);
        line.raw = curve->values;
        line.shown = weight > 0 ? smoothEma(curve->values, weight) : curve->values;
        const QColor colour = runColour(i);
        if (weight > 0) {
            QColor faint = colour;
            faint.setAlphaF(0.25);
            line.rawSeries = makeSeries(drawable(line.x, line.raw, m_logScale, bounds), faint, 1.0);
            chart->addSeries(line.rawSeries);
        }
        line.series = makeSeries(drawable(line.x, line.shown, m_logScale, bounds), colour, 2.0);
        line.series->setName(QStringLiteral("#%1 %2").arg(run.run).arg(run.name));
        chart->addSeries(line.series);
        if (line.rawSeries)
            for (auto* marker : chart->legend()->markers(line.rawSeries))
                marker->setVisible(false);
        const size_t index = plot.lines.size();
        connect(line.series, &QLineSeries::hovered, this,
                [this, metric, index](const QPointF& at, bool entered) { showHover(metric, index, at, entered); });
        plot.lines.push_back(std::move(line));
    }

    auto* x = new QValueAxis;
    x->setTitleText(xTitle());
    x->setLabelFormat(m_xAxis == XAxis::Epoch ? "%.2f" : "%.4g");
    QAbstractAxis* y = nullptr;
    if (m_logScale) {
        auto* log = new QLogValueAxis;
        log->setBase(10);
        log->setLabelFormat("%.3g");
        y = log;
    } else {
        auto* linear = new QValueAxis;
        linear->setLabelFormat("%.4g");
        y = linear;
    }
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    for (auto* s : chart->series()) {
        s->attachAxis(x);
        s->attachAxis(y);
    }
    fitAxes(x, y, bounds);

    followPalette(chart, palette());
    plot.view = new ZoomChartView(chart);
    plot.view->setToolTip(tr("Drag a rectangle to zoom in, right-click to zoom out, double-click to reset"));
    plot.view->setObjectName(QStringLiteral("chart:%1").arg(metric));
    return plot;
}

void RunCurvesView::showHover(const QString& metric, size_t lineIndex, const QPointF& at, bool entered)
{
    if (!entered) {
        QToolTip::hideText();
        return;
    }
    const auto plot = std::find_if(m_plots.begin(), m_plots.end(), [&](const Plot& p) { return p.metric == metric; });
    if (plot == m_plots.end() || lineIndex >= plot->lines.size())
        return;
    const Line& line = plot->lines[lineIndex];
    // The stored point nearest to the pointer along x.
    size_t best = line.x.size();
    for (size_t i = 0; i < line.x.size(); ++i)
        if (std::isfinite(line.x[i]) && (best == line.x.size() || std::abs(line.x[i] - at.x()) < std::abs(line.x[best] - at.x())))
            best = i;
    if (best == line.x.size())
        return;
    const RunCurves& run = m_runs[line.runIndex];
    QString text = tr("#%1 %2 · %3 %4 · %5").arg(run.run).arg(run.name, xTitle().toLower(), formatValue(line.x[best]),
                                                    formatValue(line.raw[best]));
    if (line.rawSeries)
        text += tr(" (smoothed %1)").arg(formatValue(line.shown[best]));
    m_hover->setText(text);
    QToolTip::showText(QCursor::pos(), text, plot->view);
}

const RunCurvesView::Line* RunCurvesView::findLine(const QString& metric, qint64 run) const
{
    for (const auto& plot : m_plots)
        if (plot.metric == metric)
            for (const auto& line : plot.lines)
                if (m_runs[line.runIndex].run == run)
                    return &line;
    return nullptr;
}

QStringList RunCurvesView::chartMetrics() const
{
    QStringList out;
    for (const auto& plot : m_plots)
        out << plot.metric;
    return out;
}

QChart* RunCurvesView::chart(const QString& metric) const
{
    for (const auto& plot : m_plots)
        if (plot.metric == metric)
            return plot.view->chart();
    return nullptr;
}

QLineSeries* RunCurvesView::series(const QString& metric, qint64 run) const
{
    const Line* line = findLine(metric, run);
    return line ? line->series : nullptr;
}

QLineSeries* RunCurvesView::rawSeries(const QString& metric, qint64 run) const
{
    const Line* line = findLine(metric, run);
    return line ? line->rawSeries : nullptr;
}

void RunCurvesView::resetZoom()
{
    for (auto& plot : m_plots)
        plot.view->chart()->zoomReset();
}

void RunCurvesView::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    if (event->type() != QEvent::PaletteChange)
        return;
    for (auto& plot : m_plots) {
        followPalette(plot.view->chart(), palette());
        for (auto& line : plot.lines) // a theme change resets the pens' widths; the colours it keeps
            if (line.rawSeries) {
                QPen pen = line.rawSeries->pen();
                pen.setWidthF(1.0);
                line.rawSeries->setPen(pen);
            }
    }
}

} // namespace tb::ui
