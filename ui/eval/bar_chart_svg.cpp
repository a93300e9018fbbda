#include "ui/eval/bar_chart_svg.h"

#include <algorithm>
#include <cmath>

namespace tb::ui {

namespace {

QString esc(QString s)
{
    return s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
}

QString num(double v) { return QString::number(v, 'f', 1); }

// 1, 2 or 5 times a power of ten, so that about five steps cover `span`.
double niceStep(double span)
{
    const double raw = span / 5;
    const double p = std::pow(10.0, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0})
        if (m * p >= raw)
            return m * p;
    return 10 * p;
}

} // namespace

QString barChartSvg(const QString& title, const QStringList& categories, const std::vector<SvgBarSet>& sets,
                    int width, int height)
{
    double lo = 0, hi = 0;
    for (const auto& s : sets)
        for (double v : s.values)
            if (std::isfinite(v)) {
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
    if (hi - lo <= 0)
        hi = lo + 1;
    const double step = niceStep(hi - lo);
    lo = std::floor(lo / step) * step;
    hi = std::ceil(hi / step) * step;

    const double left = 70, right = 20, top = 50, legendRow = 22;
    const double bottom = 60 + legendRow * double(sets.size());
    const double plotW = width - left - right, plotH = height - top - bottom;
    auto y = [&](double v) { return top + plotH * (hi - v) / (hi - lo); };

    QString svg;
    svg += QStringLiteral("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%1\" height=\"%2\" viewBox=\"0 0 %1 %2\" "
                          "font-family=\"sans-serif\" font-size=\"12\">\n")
               .arg(width)
               .arg(height);
    svg += QStringLiteral("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    svg += QStringLiteral("<text x=\"%1\" y=\"28\" text-anchor=\"middle\" font-size=\"16\">%2</text>\n")
               .arg(num(width / 2.0), esc(title));
    for (double v = lo; v <= hi + step / 2; v += step) {
        svg += QStringLiteral("<line x1=\"%1\" y1=\"%2\" x2=\"%3\" y2=\"%2\" stroke=\"#ddd\"/>\n")
                   .arg(num(left), num(y(v)), num(left + plotW));
        svg += QStringLiteral("<text x=\"%1\" y=\"%2\" text-anchor=\"end\">%3</text>\n")
                   .arg(num(left - 6), num(y(v) + 4), QString::number(v, 'g', 6));
    }
    svg += QStringLiteral("<line x1=\"%1\" y1=\"%2\" x2=\"%3\" y2=\"%2\" stroke=\"black\"/>\n")
               .arg(num(left), num(y(0)), num(left + plotW));

    const double groupW = categories.isEmpty() ? plotW : plotW / double(categories.size());
    const double barW = sets.empty() ? 0 : groupW * 0.8 / double(sets.size());
    for (int c = 0; c < int(categories.size()); ++c) {
        const double x0 = left + groupW * c + groupW * 0.1;
        for (size_t s = 0; s < sets.size(); ++s) {
            const double v = size_t(c) < sets[s].values.size() ? sets[s].values[size_t(c)] : NAN;
            if (!std::isfinite(v))
                continue;
            const double a = y(std::max(v, 0.0)), b = y(std::min(v, 0.0));
            svg += QStringLiteral("<rect x=\"%1\" y=\"%2\" width=\"%3\" height=\"%4\" fill=\"%5\"><title>%6: %7</title></rect>\n")
                       .arg(num(x0 + barW * double(s)), num(a), num(barW), num(b - a), sets[s].color.name(),
                            esc(sets[s].label), QString::number(v, 'g', 6));
        }
        svg += QStringLiteral("<text x=\"%1\" y=\"%2\" text-anchor=\"middle\">%3</text>\n")
                   .arg(num(left + groupW * (c + 0.5)), num(top + plotH + 18), esc(categories[c]));
    }
    for (size_t s = 0; s < sets.size(); ++s) {
        const double ly = top + plotH + 40 + legendRow * double(s);
        svg += QStringLiteral("<rect x=\"%1\" y=\"%2\" width=\"14\" height=\"14\" fill=\"%3\"/>\n")
                   .arg(num(left), num(ly - 11), sets[s].color.name());
        svg += QStringLiteral("<text x=\"%1\" y=\"%2\">%3</text>\n").arg(num(left + 20), num(ly), esc(sets[s].label));
    }
    svg += QStringLiteral("</svg>\n");
    return svg;
}

} // namespace tb::ui
