#pragma once
// One metric of one task as a bar chart of its own (never two metrics on one
// axis): a bar per model with its value under it, a 95% CI error bar, a
// significance marker against the baseline, the direction in the title, and below it one
// plain sentence per model ("run 3 beats the base on BLEU by +4.1 (95% CI
// ±1.2, p = 0.002)"). The same data draws the SVG of the HTML report.
#include <QSize>
#include <QString>
#include <QStringList>
#include <QWidget>

#include <optional>
#include <vector>

class QBarCategoryAxis;
class QBarSet;
class QChart;
class QChartView;
class QLabel;
class QLineSeries;

namespace tb::ui {

struct MetricChartData {
    QString task;
    QString metric;             // the stored name: rougeL, bleu, accuracy, perplexity
    QStringList labels;         // model labels, in full
    std::vector<double> values; // stored scores; NaN: not evaluated
    std::vector<double> ci;     // 95% CI half-widths; NaN: none
    std::vector<std::optional<double>> pValues; // against the baseline; none for it
    int baseline = 0;
    QString note; // why there is no CI or test (perplexity, no stored outputs), or empty

    bool higherIsBetter() const;
};

// "BLEU on summarize", and "higher is better" / "lower is better".
QString chartTitle(const MetricChartData& d);
QString directionText(const MetricChartData& d);
// "▲**" (better, p < 0.01), "▼*" (worse, p < 0.05), "" when not significant.
QString significanceMarker(const MetricChartData& d, int model);
// One sentence per model other than the baseline.
QStringList significanceSentences(const MetricChartData& d);
// A score and a change as the views print them, in the user's locale:
// "0.412", "+0.031" ("0,412", "+0,031" in German).
QString formatScore(double v);
QString formatChange(double delta);
// The chart as a standalone SVG (or an element to inline in HTML), and its size.
QString metricChartSvg(const MetricChartData& d, bool standalone);
QSize metricChartSvgSize(const MetricChartData& d);

class MetricChart : public QWidget {
    Q_OBJECT
public:
    explicit MetricChart(QWidget* parent = nullptr);

    void setData(const MetricChartData& data);
    const MetricChartData& data() const { return m_data; }

    QChartView* chartView() const { return m_view; }
    QBarSet* barSet() const { return m_set; }
    // The error bar of a model's bar (its points span value ± CI), or null.
    QLineSeries* errorBar(int model) const;
    QLabel* sentences() const { return m_sentences; }

protected:
    void changeEvent(QEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    void rebuild();
    // The axis labels, elided to the room each bar has now.
    void updateCategories();

    MetricChartData m_data;
    QChart* m_chart = nullptr;
    QChartView* m_view = nullptr;
    QBarSet* m_set = nullptr;
    QBarCategoryAxis* m_axisX = nullptr;
    std::vector<QLineSeries*> m_errorBars;
    QLabel* m_sentences = nullptr;
};

} // namespace tb::ui
