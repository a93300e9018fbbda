#include "ui/dataset/length_histogram.h"

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QLabel>
#include <QStackedBarSeries>
#include <QValueAxis>
#include <QVBoxLayout>

#include <algorithm>

namespace tb::ui {

LengthHistogram::LengthHistogram(QWidget* parent) : QWidget(parent)
{
    m_chart = new QChart;
    m_chart->setTitle(tr("Token lengths"));
    auto* chartView = new QChartView(m_chart);
    chartView->setObjectName("lengthChart");
    chartView->setRenderHint(QPainter::Antialiasing);
    chartView->setMinimumHeight(220);
    m_note = new QLabel;
    m_note->setObjectName("truncatedLabel");
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(chartView, 1);
    layout->addWidget(m_note);
}

QString LengthHistogram::note() const { return m_note->text(); }

void LengthHistogram::clearChart()
{
    m_chart->removeAllSeries(); // deletes the bar sets too
    for (QAbstractAxis* axis : m_chart->axes()) {
        m_chart->removeAxis(axis);
        delete axis;
    }
    m_keptBars = nullptr;
    m_truncatedBars = nullptr;
}

void LengthHistogram::showNote(const QString& note)
{
    clearChart();
    m_note->setText(note);
}

void LengthHistogram::showHistogram(const data::LengthHistogram& histogram, size_t limit,
                                    const QString& templateLabel)
{
    clearChart();
    m_note->setText(tr("%n record(s) longer than %1 tokens would be truncated", nullptr, int(histogram.truncated))
                        .arg(limit));
    if (histogram.bins.empty())
        return;

    m_keptBars = new QBarSet(tr("fits"));
    m_truncatedBars = new QBarSet(tr("truncated"));
    m_keptBars->setColor(QColor(66, 133, 244));
    m_truncatedBars->setColor(QColor(219, 68, 55));
    QStringList categories;
    double top = 0;
    for (size_t b = 0; b < histogram.bins.size(); ++b) {
        const data::HistogramBin& bin = histogram.bins[b];
        const size_t over = histogram.truncatedInBin[b];
        m_keptBars->append(double(bin.count - over));
        m_truncatedBars->append(double(over));
        categories << QStringLiteral("%1–%2").arg(bin.lo).arg(bin.hi - 1);
        top = std::max(top, double(bin.count));
    }
    auto* series = new QStackedBarSeries;
    series->append(m_keptBars);
    series->append(m_truncatedBars);
    m_chart->addSeries(series);
    auto* x = new QBarCategoryAxis;
    x->append(categories);
    x->setTitleText(tr("tokens"));
    auto* y = new QValueAxis;
    y->setTitleText(tr("records"));
    y->setLabelFormat(QStringLiteral("%d"));
    y->setRange(0, std::max(1.0, top));
    m_chart->addAxis(x, Qt::AlignBottom);
    m_chart->addAxis(y, Qt::AlignLeft);
    series->attachAxis(x);
    series->attachAxis(y);
    m_chart->setTitle(tr("Token lengths (%1 template); truncation at %2 tokens").arg(templateLabel).arg(limit));
}

} // namespace tb::ui
