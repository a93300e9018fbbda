#pragma once
// Token lengths of a dataset as stacked bars: per length bin, the records
// that fit and those past the truncation point, a dashed line where the
// truncation point falls, and a line saying how many would be truncated.
#include <QString>
#include <QWidget>

#include <cstddef>

#include "data/dataset_session.h"

class QBarSet;
class QChart;
class QChartView;
class QLabel;
class QLineSeries;

namespace tb::ui {

class LengthHistogram : public QWidget {
    Q_OBJECT
public:
    explicit LengthHistogram(QWidget* parent = nullptr);

    // No chart, NOTE in its place (no tokenizer yet, lengths being counted).
    void showNote(const QString& note);
    // HISTOGRAM's bars for a truncation point of LIMIT tokens under the
    // template named TEMPLATELABEL; no bars when it has none.
    void showHistogram(const data::LengthHistogram& histogram, size_t limit, const QString& templateLabel);

    QBarSet* keptBars() const { return m_keptBars; }
    QBarSet* truncatedBars() const { return m_truncatedBars; }
    QString note() const;
    bool showsChart() const;
    // The truncation line, on the bar axis where bar B stands at B: at
    // (limit + 1) / binWidth - 0.5, where the first length past the limit
    // begins; null when it falls right of the last bar (nothing is cut) or
    // no bars are shown.
    QLineSeries* truncationLine() const { return m_truncationLine; }
    // The bin holding the max length (limit / binWidth); -1 when no line is drawn.
    int truncationBin() const { return m_truncationBin; }

protected:
    void changeEvent(QEvent* event) override;

private:
    void clearChart();
    void drawTruncationLine(const data::LengthHistogram& histogram, size_t limit, double top);

    QChart* m_chart = nullptr;
    QChartView* m_chartView = nullptr;
    QBarSet* m_keptBars = nullptr;
    QBarSet* m_truncatedBars = nullptr;
    QLineSeries* m_truncationLine = nullptr;
    int m_truncationBin = -1;
    QLabel* m_note = nullptr;
};

} // namespace tb::ui
