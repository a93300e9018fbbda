#include "ui/eval/metric_chart.h"

#include "ui/common/chart_style.h"
#include "ui/eval/bar_chart_svg.h"
#include "ui/eval/eval_results.h"
#include "eval/metric_info.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QCursor>
#include <QEvent>
#include <QLabel>
#include <QFontMetrics>
#include <QPen>
#include <QResizeEvent>
#include <QLineSeries>
#include <QLocale>
#include <QToolTip>
#include <QValueAxis>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace tb::ui {

namespace {

constexpr double kSignificant = 0.05;
const QColor kBarColour(0x3b, 0x82, 0xc4);

double at(const std::vector<double>& v, int i) { return size_t(i) < v.size() ? v[size_t(i)] : NAN; }

std::optional<double> pAt(const MetricChartData& d, int i)
{
    return size_t(i) < d.pValues.size() ? d.pValues[size_t(i)] : std::nullopt;
}

QString pText(double p)
{
    const QLocale locale;
    return p < 0.001 ? QStringLiteral("p < %1").arg(locale.toString(0.001, 'f', 3))
                     : QStringLiteral("p = %1").arg(locale.toString(p, 'f', 3));
}

// The model's label on the axis: elided in the middle, with its marker.
QString categoryLabel(const MetricChartData& d, int i, const QFontMetrics& fm, int width)
{
    const QString label = fm.elidedText(d.labels.value(i), Qt::ElideMiddle, width);
    if (i == d.baseline)
        return MetricChart::tr("%1 (baseline)").arg(label);
    const QString marker = significanceMarker(d, i);
    return marker.isEmpty() ? label : label + QLatin1Char(' ') + marker;
}

} // namespace

bool MetricChartData::higherIsBetter() const { return eval::higherIsBetter(metric.toStdString()); }

QString chartTitle(const MetricChartData& d)
{
    return MetricChart::tr("%1 on %2").arg(metricDisplayName(d.metric), d.task);
}

QString directionText(const MetricChartData& d)
{
    return d.higherIsBetter() ? MetricChart::tr("higher is better") : MetricChart::tr("lower is better");
}

QString significanceMarker(const MetricChartData& d, int model)
{
    const auto p = pAt(d, model);
    const double delta = at(d.values, model) - at(d.values, d.baseline);
    if (!p || *p >= kSignificant || !std::isfinite(delta) || delta == 0)
        return {};
    const bool better = d.higherIsBetter() ? delta > 0 : delta < 0;
    const QString stars = *p < 0.001 ? QStringLiteral("***") : *p < 0.01 ? QStringLiteral("**") : QStringLiteral("*");
    return (better ? QStringLiteral("▲") : QStringLiteral("▼")) + stars;
}

QString formatScore(double v) { return std::isfinite(v) ? QLocale().toString(v, 'g', 4) : QString(); }

QString formatChange(double delta)
{
    if (!std::isfinite(delta))
        return {};
    return (delta >= 0 ? QStringLiteral("+") : QString()) + QLocale().toString(delta, 'g', 3);
}

QStringList significanceSentences(const MetricChartData& d)
{
    QStringList out;
    const QString metric = metricDisplayName(d.metric);
    const QString base = d.labels.value(d.baseline);
    const double baseValue = at(d.values, d.baseline);
    for (int i = 0; i < int(d.labels.size()); ++i) {
        if (i == d.baseline)
            continue;
        const QString name = d.labels[i];
        const double v = at(d.values, i);
        if (!std::isfinite(v) || !std::isfinite(baseValue)) {
            out << MetricChart::tr("%1 cannot be compared with %2 on %3: one of them has no score.")
                       .arg(name, base, metric);
            continue;
        }
        const double delta = v - baseValue;
        const auto p = pAt(d, i);
        if (!p) {
            out << MetricChart::tr("%1 differs from %2 on %3 by %4 (no significance test).")
                       .arg(name, base, metric, formatChange(delta));
            continue;
        }
        const double ci = at(d.ci, i);
        const QString ciText =
            std::isfinite(ci) ? MetricChart::tr("95% CI ±%1, ").arg(QLocale().toString(ci, 'g', 3)) : QString();
        if (*p >= kSignificant || delta == 0) {
            out << MetricChart::tr("%1 is not significantly different from %2 on %3 (%4, %5).")
                       .arg(name, base, metric, formatChange(delta), pText(*p));
            continue;
        }
        const bool better = d.higherIsBetter() ? delta > 0 : delta < 0;
        const QString sentence = better ? MetricChart::tr("%1 beats %2 on %3 by %4 (%5%6).")
                                        : MetricChart::tr("%1 is worse than %2 on %3 by %4 (%5%6).");
        out << sentence.arg(name, base, metric, formatChange(delta), ciText, pText(*p));
    }
    if (!d.note.isEmpty())
        out << d.note;
    return out;
}

QSize metricChartSvgSize(const MetricChartData& d) { return {std::max(420, 140 * int(d.labels.size()) + 90), 360}; }

QString metricChartSvg(const MetricChartData& d, bool standalone)
{
    const QFont font;
    const QFontMetrics fm(font);
    QStringList categories;
    for (int i = 0; i < int(d.labels.size()); ++i)
        categories << categoryLabel(d, i, fm, 130);
    SvgBarSet set{metricDisplayName(d.metric), kBarColour, d.values, d.ci, d.labels}; // full names as tooltips
    SvgChartOptions o;
    o.width = metricChartSvgSize(d).width();
    o.height = metricChartSvgSize(d).height();
    o.subtitle = directionText(d);
    o.valueLabels = true;
    o.standalone = standalone;
    o.legend = false;
    return barChartSvg(chartTitle(d), categories, {set}, o);
}

MetricChart::MetricChart(QWidget* parent) : QWidget(parent)
{
    m_chart = new QChart;
    m_chart->legend()->setVisible(false);
    m_view = new QChartView(m_chart);
    m_view->setRenderHint(QPainter::Antialiasing);
    m_view->setMinimumHeight(280);
    m_sentences = new QLabel;
    m_sentences->setObjectName("evalSentences");
    m_sentences->setWordWrap(true);
    m_sentences->setTextFormat(Qt::PlainText); // model names are not markup
    m_sentences->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 6);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_sentences);
}

QLineSeries* MetricChart::errorBar(int model) const
{
    return size_t(model) < m_errorBars.size() ? m_errorBars[size_t(model)] : nullptr;
}

void MetricChart::setData(const MetricChartData& data)
{
    m_data = data;
    rebuild();
}

void MetricChart::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        rebuild();
}

void MetricChart::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    updateCategories();
}

void MetricChart::updateCategories()
{
    if (!m_axisX)
        return;
    const int n = std::max(1, int(m_data.labels.size()));
    const int room = std::clamp(width() / n - 30, 60, 220);
    QStringList categories;
    for (int i = 0; i < int(m_data.labels.size()); ++i) {
        // Axis labels are rich text: the value (under its bar, so it never
        // hides behind an error bar) over the escaped model name.
        const double v = at(m_data.values, i);
        QString label = QStringLiteral("<b>%1</b><br>%2")
                            .arg(std::isfinite(v) ? formatScore(v) : tr("not evaluated"),
                                 categoryLabel(m_data, i, fontMetrics(), room).toHtmlEscaped());
        while (categories.contains(label)) // the axis drops repeated categories
            label += QChar(0x200B);
        categories << label;
    }
    if (categories != m_axisX->categories())
        m_axisX->setCategories(categories);
}

void MetricChart::rebuild()
{
    const MetricChartData& d = m_data;
    m_chart->removeAllSeries();
    m_axisX = nullptr;
    for (QAbstractAxis* axis : m_chart->axes()) {
        m_chart->removeAxis(axis);
        delete axis;
    }
    m_errorBars.assign(size_t(d.labels.size()), nullptr);
    followPalette(m_chart, palette()); // the theme first: setTheme recolours series
    m_chart->setTitle(tr("%1 (%2)").arg(chartTitle(d), directionText(d)).toHtmlEscaped()); // rich text

    const QColor text = palette().color(QPalette::Text);
    auto* series = new QBarSeries;
    m_set = new QBarSet(metricDisplayName(d.metric));
    QColor fill = kBarColour;
    fill.setAlpha(150);
    m_set->setColor(fill);
    m_set->setPen(QPen(kBarColour.darker(130), 2)); // outlined: a zero score is still a visible line
    double lo = 0, hi = 0;
    for (int i = 0; i < int(d.labels.size()); ++i) {
        const double v = at(d.values, i);
        // A bar set cannot hold a gap: a missing score is 0 here, and the sentence says so.
        m_set->append(std::isfinite(v) ? v : 0.0);
        const double e = std::isfinite(at(d.ci, i)) ? at(d.ci, i) : 0.0;
        if (std::isfinite(v)) {
            lo = std::min(lo, v - e);
            hi = std::max(hi, v + e);
        }
    }
    series->append(m_set);
    m_chart->addSeries(series);
    auto* x = new QBarCategoryAxis;
    m_axisX = x;
    updateCategories();
    auto* y = new QValueAxis;
    static const QStringList fractions{"rouge1", "rouge2", "rougeL", "rougeLsum", "accuracy", "accuracy_norm",
                                       "exact_match", "f1"};
    if (fractions.contains(d.metric) && lo >= 0 && hi <= 1) {
        y->setRange(0, 1); // a proportion on its whole scale
        y->setTickCount(6);
    } else {
        y->setRange(lo, hi > lo ? hi + (hi - lo) * 0.08 : lo + 1);
        y->applyNiceNumbers();
    }
    m_chart->addAxis(x, Qt::AlignBottom);
    m_chart->addAxis(y, Qt::AlignLeft);
    series->attachAxis(x);
    series->attachAxis(y);

    // Error bars: an I-beam per bar (bottom cap, the span, top cap) as a line series on the category axis.
    for (int i = 0; i < int(d.labels.size()); ++i) {
        const double v = at(d.values, i), e = at(d.ci, i);
        if (!std::isfinite(v) || !std::isfinite(e))
            continue;
        auto* bar = new QLineSeries;
        const double cap = 0.08;
        const double c = i;
        const std::pair<double, double> points[] = {{c - cap, v - e}, {c + cap, v - e}, {c, v - e},
                                                    {c, v + e},       {c - cap, v + e}, {c + cap, v + e}};
        for (const auto& [px, py] : points)
            bar->append(px, py);
        bar->setPen(QPen(text, 1.5));
        bar->setName(tr("95% CI"));
        m_chart->addSeries(bar);
        bar->attachAxis(x);
        bar->attachAxis(y);
        m_errorBars[size_t(i)] = bar;
    }
    followPalette(m_chart, palette()); // the new axes' labels
    connect(m_set, &QBarSet::hovered, this, [this](bool on, int index) {
        if (!on) {
            QToolTip::hideText();
            return;
        }
        const double e = at(m_data.ci, index);
        const auto p = pAt(m_data, index);
        QString tip = m_data.labels.value(index) + QLatin1Char('\n') + metricDisplayName(m_data.metric)
                      + QStringLiteral(": ") + formatScore(at(m_data.values, index));
        if (std::isfinite(e))
            tip += tr(" (95% CI ±%1)").arg(QLocale().toString(e, 'g', 3));
        if (p)
            tip += QLatin1Char('\n') + pText(*p);
        QToolTip::showText(QCursor::pos(), tip, m_view);
    });
    m_sentences->setText(significanceSentences(d).join(QLatin1Char('\n')));
}

} // namespace tb::ui
