#include "ui/dataset/length_histogram.h"

#include "ui/common/chart_style.h"

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QEvent>
#include <QLabel>
#include <QLineSeries>
#include <QLocale>
#include <QPen>
#include <QStackedBarSeries>
#include <QValueAxis>
#include <QVBoxLayout>

#include <algorithm>

namespace tb::ui {

LengthHistogram::LengthHistogram(QWidget* parent) : QWidget(parent)
{
    m_chart = new QChart;
    m_chart->setTitle(tr("Token lengths"));
    m_chartView = new QChartView(m_chart);
    m_chartView->setObjectName("lengthChart");
    m_chartView->setRenderHint(QPainter::Antialiasing);
    m_chartView->setMinimumHeight(220);
    m_note = new QLabel;
    m_note->setObjectName("truncatedLabel");
    m_note->setWordWrap(true);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_chartView, 1);
    layout->addWidget(m_note);
    followPalette(m_chart, palette());
}

void LengthHistogram::changeEvent(QEvent* event)
{
    if (event->type() == QEvent::PaletteChange)
        followPalette(m_chart, palette());
    QWidget::changeEvent(event);
}

QString LengthHistogram::note() const { return m_note->text(); }

bool LengthHistogram::showsChart() const { return !m_chartView->isHidden(); }

void LengthHistogram::clearChart()
{
    m_chart->removeAllSeries(); // deletes the bar sets and the line too
    for (QAbstractAxis* axis : m_chart->axes()) {
        m_chart->removeAxis(axis);
        delete axis;
    }
    m_keptBars = nullptr;
    m_truncatedBars = nullptr;
    m_truncationLine = nullptr;
    m_truncationBin = -1;
}

// In place of a chart without bars: the note alone, centred, as the panel's guidance.
void LengthHistogram::showNote(const QString& note)
{
    clearChart();
    m_chartView->hide();
    m_note->setAlignment(Qt::AlignCenter);
    m_note->setText(note);
}

void LengthHistogram::showHistogram(const data::LengthHistogram& histogram, size_t limit,
                                    const QString& templateLabel)
{
    clearChart();
    m_note->setAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    m_note->setText(histogram.truncated == 1
                        ? tr("1 record longer than %L1 tokens would be truncated").arg(qulonglong(limit))
                        : tr("%L1 records longer than %L2 tokens would be truncated")
                              .arg(qulonglong(histogram.truncated))
                              .arg(qulonglong(limit)));
    m_chartView->setVisible(!histogram.bins.empty());
    if (histogram.bins.empty())
        return;

    m_keptBars = new QBarSet(tr("fits"));
    m_truncatedBars = new QBarSet(tr("truncated"));
    m_keptBars->setColor(QColor(66, 133, 244));
    m_truncatedBars->setColor(QColor(219, 68, 55));
    const QLocale locale;
    QStringList categories;
    double top = 0;
    for (size_t b = 0; b < histogram.bins.size(); ++b) {
        const data::HistogramBin& bin = histogram.bins[b];
        const size_t over = histogram.truncatedInBin[b];
        m_keptBars->append(double(bin.count - over));
        m_truncatedBars->append(double(over));
        categories << locale.toString(qulonglong(bin.lo)); // ranges would be elided at 20 bins
        top = std::max(top, double(bin.count));
    }
    auto* series = new QStackedBarSeries;
    series->append(m_keptBars);
    series->append(m_truncatedBars);
    m_chart->addSeries(series);
    auto* x = new QBarCategoryAxis;
    x->append(categories);
    x->setTitleText(tr("tokens (each bar from the number below, %L1 wide)").arg(qulonglong(histogram.binWidth)));
    auto* y = new QValueAxis;
    y->setTitleText(tr("records"));
    y->setLabelFormat(QStringLiteral("%.0f"));
    y->setRange(0, std::max(1.0, top));
    y->applyNiceNumbers();
    m_chart->addAxis(x, Qt::AlignBottom);
    m_chart->addAxis(y, Qt::AlignLeft);
    series->attachAxis(x);
    series->attachAxis(y);
    drawTruncationLine(histogram, limit, y->max());
    m_chart->setTitle(
        tr("Token lengths (%1 template); truncation at %L2 tokens").arg(templateLabel).arg(qulonglong(limit)));
}

// Bar B stands at B on the category axis and holds the lengths
// [B * width, (B + 1) * width): length L falls at L / width - 0.5.
void LengthHistogram::drawTruncationLine(const data::LengthHistogram& histogram, size_t limit, double top)
{
    const double width = double(histogram.binWidth);
    const double at = double(limit + 1) / width - 0.5;
    if (histogram.binWidth == 0 || at >= double(histogram.bins.size()) - 0.5)
        return; // every length fits: no line inside the chart
    m_truncationLine = new QLineSeries;
    m_truncationLine->setName(tr("max length (%L1)").arg(qulonglong(limit)));
    QPen pen(QColor(219, 68, 55));
    pen.setStyle(Qt::DashLine);
    pen.setWidth(2);
    m_truncationLine->setPen(pen);
    m_truncationLine->append(at, 0);
    m_truncationLine->append(at, top);
    m_chart->addSeries(m_truncationLine);
    for (QAbstractAxis* axis : m_chart->axes())
        m_truncationLine->attachAxis(axis);
    m_truncationBin = int(limit / histogram.binWidth);
}

} // namespace tb::ui
