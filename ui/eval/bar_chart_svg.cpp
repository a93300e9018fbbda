#include "ui/eval/bar_chart_svg.h"

#include <QLocale>

#include <algorithm>
#include <cmath>

namespace tb::ui {

namespace {

QString esc(const QString& s) { return s.toHtmlEscaped(); }

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

double at(const std::vector<double>& v, int i) { return size_t(i) < v.size() ? v[size_t(i)] : NAN; }

} // namespace

QString barChartSvg(const QString& title, const QStringList& categories, const std::vector<SvgBarSet>& sets,
                    int width, int height)
{
    SvgChartOptions o;
    o.width = width;
    o.height = height;
    return barChartSvg(title, categories, sets, o);
}

QString barChartSvg(const QString& title, const QStringList& categories, const std::vector<SvgBarSet>& sets,
                    const SvgChartOptions& o)
{
    double lo = 0, hi = 0;
    for (const auto& s : sets)
        for (int c = 0; c < int(s.values.size()); ++c) {
            const double v = s.values[size_t(c)];
            if (!std::isfinite(v))
                continue;
            const double e = std::isfinite(at(s.errors, c)) ? at(s.errors, c) : 0.0;
            lo = std::min(lo, v - e);
            hi = std::max(hi, v + e);
        }
    if (hi - lo <= 0)
        hi = lo + 1;
    const double step = niceStep(hi - lo);
    lo = std::floor(lo / step) * step;
    hi = std::ceil(hi / step) * step;

    const int width = o.width, height = o.height;
    const double legendRow = o.legend ? 22 : 0;
    const double left = 70, right = 20, top = o.subtitle.isEmpty() ? 50 : 68;
    const double bottom = 60 + legendRow * double(sets.size());
    const double plotW = width - left - right, plotH = height - top - bottom;
    auto y = [&](double v) { return top + plotH * (hi - v) / (hi - lo); };

    QString svg;
    if (o.standalone)
        svg += QStringLiteral("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    svg += QStringLiteral("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%1\" height=\"%2\" viewBox=\"0 0 %1 %2\" "
                          "font-family=\"sans-serif\" font-size=\"12\">\n")
               .arg(width)
               .arg(height);
    svg += QStringLiteral("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    svg += QStringLiteral("<text x=\"%1\" y=\"28\" text-anchor=\"middle\" font-size=\"16\">%2</text>\n")
               .arg(num(width / 2.0), esc(title));
    if (!o.subtitle.isEmpty())
        svg += QStringLiteral("<text x=\"%1\" y=\"48\" text-anchor=\"middle\" fill=\"#555\">%2</text>\n")
                   .arg(num(width / 2.0), esc(o.subtitle));
    for (double v = lo; v <= hi + step / 2; v += step) {
        svg += QStringLiteral("<line x1=\"%1\" y1=\"%2\" x2=\"%3\" y2=\"%2\" stroke=\"#ddd\"/>\n")
                   .arg(num(left), num(y(v)), num(left + plotW));
        svg += QStringLiteral("<text x=\"%1\" y=\"%2\" text-anchor=\"end\">%3</text>\n")
                   .arg(num(left - 6), num(y(v) + 4), QLocale().toString(v, 'g', 6));
    }
    svg += QStringLiteral("<line x1=\"%1\" y1=\"%2\" x2=\"%3\" y2=\"%2\" stroke=\"black\"/>\n")
               .arg(num(left), num(y(0)), num(left + plotW));

    const double groupW = categories.isEmpty() ? plotW : plotW / double(categories.size());
    const double barW = sets.empty() ? 0 : groupW * 0.8 / double(sets.size());
    for (int c = 0; c < int(categories.size()); ++c) {
        const double x0 = left + groupW * c + groupW * 0.1;
        for (size_t s = 0; s < sets.size(); ++s) {
            const double v = at(sets[s].values, c);
            if (!std::isfinite(v))
                continue;
            const double e = at(sets[s].errors, c);
            const double a = y(std::max(v, 0.0)), b = y(std::min(v, 0.0));
            const double bx = x0 + barW * double(s), mid = bx + barW / 2;
            // At least one unit tall and outlined: a zero score is a visible bar.
            svg += QStringLiteral("<rect x=\"%1\" y=\"%2\" width=\"%3\" height=\"%4\" fill=\"%5\" stroke=\"%6\">"
                                  "<title>%7: %8%9</title></rect>\n")
                       .arg(num(bx), num(std::min(a, b - 1)), num(barW), num(std::max(b - a, 1.0)),
                            sets[s].color.name(), sets[s].color.darker(150).name(),
                            esc(c < sets[s].barNames.size() ? sets[s].barNames[c] : sets[s].label),
                            QLocale().toString(v, 'g', 6),
                            std::isfinite(e) ? QStringLiteral(" ± %1").arg(QLocale().toString(e, 'g', 4)) : QString());
            double labelY = a - 4;
            if (std::isfinite(e)) {
                const double top = y(v + e), bot = y(v - e), cap = std::min(barW / 4, 8.0);
                svg += QStringLiteral("<path class=\"errorbar\" d=\"M%1 %2H%3M%4 %2V%5M%1 %5H%3\" stroke=\"black\" "
                                      "stroke-width=\"1.5\" fill=\"none\"/>\n")
                           .arg(num(mid - cap), num(bot), num(mid + cap), num(mid), num(top));
                labelY = std::min(labelY, top - 4);
            }
            if (o.valueLabels)
                svg += QStringLiteral("<text x=\"%1\" y=\"%2\" text-anchor=\"middle\">%3</text>\n")
                           .arg(num(mid), num(labelY), QLocale().toString(v, 'g', 4));
        }
        svg += QStringLiteral("<text x=\"%1\" y=\"%2\" text-anchor=\"middle\">%3</text>\n")
                   .arg(num(left + groupW * (c + 0.5)), num(top + plotH + 18), esc(categories[c]));
    }
    if (o.legend)
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
