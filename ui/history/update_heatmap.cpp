#include "ui/history/update_heatmap.h"

#include "ui/common/theme.h"

#include <QEvent>
#include <QHelpEvent>
#include <QLinearGradient>
#include <QLocale>
#include <QPainter>
#include <QToolTip>

#include <algorithm>
#include <cmath>
#include <limits>

namespace tb::ui {

namespace {

constexpr int kPad = 8;

// The module path below its block: model.layers.3.self_attn.q_proj → self_attn.q_proj.
// GPT-2 has both attn.c_proj and mlp.c_proj, so the last component alone is not a column.
QString belowLayer(const engine::LoraUpdate& u)
{
    const QStringList parts = QString::fromStdString(u.path).split(QLatin1Char('.'));
    if (u.layer >= 0) {
        const int at = static_cast<int>(parts.indexOf(QString::number(u.layer)));
        if (at >= 0 && at + 1 < parts.size())
            return parts.mid(at + 1).join(QLatin1Char('.'));
    }
    return QString::fromStdString(u.path);
}

// WCAG 2 relative luminance and contrast ratio (https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio).
double luminance(const QColor& c)
{
    const auto channel = [](double v) { return v <= 0.03928 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF());
}

double contrast(const QColor& a, const QColor& b)
{
    const double la = luminance(a), lb = luminance(b);
    return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

QColor readableOn(const QColor& background)
{
    const QColor black(Qt::black), white(Qt::white);
    return contrast(background, black) >= contrast(background, white) ? black : white;
}

QColor mix(const QColor& a, const QColor& b, double t)
{
    const auto lerp = [t](double x, double y) { return x + (y - x) * t; };
    return QColor::fromRgbF(static_cast<float>(lerp(a.redF(), b.redF())), static_cast<float>(lerp(a.greenF(), b.greenF())),
                            static_cast<float>(lerp(a.blueF(), b.blueF())));
}

} // namespace

UpdateHeatmap::UpdateHeatmap(QWidget* parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("updateHeatmap"));
    setSizePolicy(QSizePolicy::Minimum, QSizePolicy::Minimum);
}

void UpdateHeatmap::setUpdates(std::vector<engine::LoraUpdate> updates)
{
    m_updates = std::move(updates);
    m_layers.clear();
    m_columns.clear();
    for (const auto& u : m_updates) {
        if (std::find(m_layers.begin(), m_layers.end(), u.layer) == m_layers.end())
            m_layers.push_back(u.layer);
        const QString column = belowLayer(u);
        if (!m_columns.contains(column))
            m_columns << column;
    }
    // Ascending blocks; modules outside them (layer -1) after the last block.
    std::sort(m_layers.begin(), m_layers.end(), [](qint64 a, qint64 b) {
        return (a < 0) != (b < 0) ? b < 0 : a < b;
    });
    // Headers show the projection name alone unless two columns share it.
    m_labels.clear();
    for (const QString& column : m_columns) {
        const QString last = column.section(QLatin1Char('.'), -1);
        const auto same = std::count_if(m_columns.begin(), m_columns.end(),
                                        [&](const QString& c) { return c.section(QLatin1Char('.'), -1) == last; });
        m_labels << (same > 1 ? column : last);
    }
    m_cells.assign(m_layers.size() * size_t(m_columns.size()), -1);
    for (size_t i = 0; i < m_updates.size(); ++i) {
        const auto row = std::find(m_layers.begin(), m_layers.end(), m_updates[i].layer) - m_layers.begin();
        const auto column = m_columns.indexOf(belowLayer(m_updates[i]));
        m_cells[size_t(row) * size_t(m_columns.size()) + size_t(column)] = static_cast<int>(i);
    }
    fitToContents();
}

void UpdateHeatmap::fitToContents()
{
    // Inside a QScrollArea that does not resize it, the widget keeps the size it is given.
    updateGeometry();
    resize(sizeHint());
    update();
}

void UpdateHeatmap::setScale(Scale scale)
{
    if (scale == m_scale)
        return;
    m_scale = scale;
    fitToContents();
}

QString UpdateHeatmap::rowLabel(int row) const
{
    const qint64 layer = rowLayer(row);
    return layer >= 0 ? tr("layer %1").arg(layer) : tr("outside blocks");
}

int UpdateHeatmap::cellIndex(int row, int column) const
{
    if (row < 0 || column < 0 || row >= rowCount() || column >= columnCount())
        return -1;
    return m_cells[size_t(row) * size_t(columnCount()) + size_t(column)];
}

const engine::LoraUpdate* UpdateHeatmap::updateAt(int row, int column) const
{
    const int i = cellIndex(row, column);
    return i < 0 ? nullptr : &m_updates[size_t(i)];
}

double UpdateHeatmap::valueOf(const engine::LoraUpdate& u) const
{
    return m_scale == Scale::Absolute ? u.updateNorm : u.ratio;
}

double UpdateHeatmap::value(int row, int column) const
{
    const auto* u = updateAt(row, column);
    return u ? valueOf(*u) : std::numeric_limits<double>::quiet_NaN();
}

double UpdateHeatmap::scaleMaximum() const
{
    double top = 0;
    for (const auto& u : m_updates)
        top = std::max(top, valueOf(u));
    return top;
}

QString UpdateHeatmap::formatValue(double v) const
{
    return m_scale == Scale::Absolute ? locale().toString(v, 'g', 3)
                                      : locale().toString(100 * v, 'g', 3) + QLatin1Char('%');
}

QString UpdateHeatmap::cellText(int row, int column) const
{
    const auto* u = updateAt(row, column);
    return u ? formatValue(valueOf(*u)) : QStringLiteral("—");
}

QString UpdateHeatmap::cellToolTip(int row, int column) const
{
    const auto* u = updateAt(row, column);
    if (!u)
        return tr("%1 has no LoRA on %2").arg(rowLabel(row), m_columns.at(column));
    const QLocale l = locale();
    return tr("%1\nupdate ‖s·B·A‖_F: %2\nweight ‖W‖_F: %3\nratio: %4 (%5%)")
        .arg(QString::fromStdString(u->path), l.toString(u->updateNorm, 'g', 6), l.toString(u->weightNorm, 'g', 6),
             l.toString(u->ratio, 'g', 6), l.toString(100 * u->ratio, 'g', 4));
}

QColor UpdateHeatmap::rampColor(double fraction) const
{
    // From the palette's Base (no update) to a hue that stands out against it.
    const QColor high = isDark(palette()) ? QColor(255, 176, 59) : QColor(8, 69, 148);
    return mix(palette().color(QPalette::Base), high, std::clamp(fraction, 0.0, 1.0));
}

QColor UpdateHeatmap::cellColor(int row, int column) const
{
    const auto* u = updateAt(row, column);
    if (!u)
        return palette().color(QPalette::Window);
    const double top = scaleMaximum();
    return rampColor(top > 0 ? valueOf(*u) / top : 0.0);
}

QColor UpdateHeatmap::textColor(int row, int column) const { return readableOn(cellColor(row, column)); }

UpdateHeatmap::Geometry UpdateHeatmap::geometry() const
{
    const QFontMetrics fm = fontMetrics();
    Geometry g;
    for (int r = 0; r < rowCount(); ++r)
        g.rowHeader = std::max(g.rowHeader, fm.horizontalAdvance(rowLabel(r)));
    g.rowHeader += 2 * kPad;
    g.cellWidth = fm.horizontalAdvance(formatValue(0.000123456)) + 2 * kPad;
    for (const QString& label : m_labels)
        g.cellWidth = std::max(g.cellWidth, fm.horizontalAdvance(label) + 2 * kPad);
    g.cellHeight = 2 * fm.height();
    g.columnHeader = fm.height() + kPad;
    g.legendTop = g.columnHeader + rowCount() * g.cellHeight + 2 * kPad;
    g.legendWidth = std::max(12 * fm.averageCharWidth(), std::min(columnCount() * g.cellWidth, 30 * fm.averageCharWidth()));
    return g;
}

QRect UpdateHeatmap::cellRect(const Geometry& g, int row, int column)
{
    return {g.rowHeader + column * g.cellWidth, g.columnHeader + row * g.cellHeight, g.cellWidth, g.cellHeight};
}

QRect UpdateHeatmap::cellRect(int row, int column) const { return cellRect(geometry(), row, column); }

QRect UpdateHeatmap::legendRect() const
{
    const Geometry g = geometry();
    // Under the caption line, above the 0 … max labels.
    return {g.rowHeader, g.legendTop + fontMetrics().height() + kPad / 2, g.legendWidth, fontMetrics().height()};
}

QSize UpdateHeatmap::sizeHint() const
{
    const Geometry g = geometry();
    const int width = g.rowHeader + std::max(columnCount() * g.cellWidth, g.legendWidth) + kPad;
    return {width, legendRect().bottom() + fontMetrics().height() + 2 * kPad};
}

void UpdateHeatmap::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    const Geometry g = geometry();
    const QColor text = palette().color(QPalette::WindowText);
    p.setPen(text);
    for (int c = 0; c < columnCount(); ++c)
        p.drawText(QRect(g.rowHeader + c * g.cellWidth, 0, g.cellWidth, g.columnHeader), Qt::AlignCenter, m_labels[c]);
    for (int r = 0; r < rowCount(); ++r) {
        p.setPen(text);
        p.drawText(QRect(0, g.columnHeader + r * g.cellHeight, g.rowHeader - kPad, g.cellHeight),
                   Qt::AlignRight | Qt::AlignVCenter, rowLabel(r));
        for (int c = 0; c < columnCount(); ++c) {
            const QRect cell = cellRect(g, r, c).adjusted(0, 0, -1, -1); // a 1 px gap between cells
            p.fillRect(cell, cellColor(r, c));
            p.setPen(textColor(r, c));
            p.drawText(cell, Qt::AlignCenter, cellText(r, c));
        }
    }

    // The colour scale: caption, bar, 0 and the maximum under its ends.
    const QRect bar = legendRect();
    p.setPen(text);
    p.drawText(QRect(bar.left(), g.legendTop, width() - bar.left(), fontMetrics().height()), Qt::AlignLeft,
               m_scale == Scale::Absolute ? tr("Update norm ‖s·B·A‖_F") : tr("Update relative to the weight, ‖s·B·A‖ / ‖W‖"));
    QLinearGradient gradient(bar.topLeft(), bar.topRight());
    for (double t : {0.0, 0.25, 0.5, 0.75, 1.0})
        gradient.setColorAt(t, rampColor(t));
    p.fillRect(bar, gradient);
    p.setPen(palette().color(QPalette::Mid));
    p.drawRect(bar.adjusted(0, 0, -1, -1));
    p.setPen(text);
    const QRect labels(bar.left(), bar.bottom() + 2, bar.width(), fontMetrics().height());
    p.drawText(labels, Qt::AlignLeft, formatValue(0));
    p.drawText(labels, Qt::AlignRight, formatValue(scaleMaximum()));
}

bool UpdateHeatmap::event(QEvent* event)
{
    if (event->type() == QEvent::ToolTip) {
        const auto* help = static_cast<QHelpEvent*>(event);
        const Geometry g = geometry();
        for (int r = 0; r < rowCount(); ++r)
            for (int c = 0; c < columnCount(); ++c)
                if (cellRect(g, r, c).contains(help->pos())) {
                    QToolTip::showText(help->globalPos(), cellToolTip(r, c), this, cellRect(g, r, c));
                    return true;
                }
        QToolTip::hideText();
        event->ignore();
        return true;
    }
    if (event->type() == QEvent::FontChange || event->type() == QEvent::LocaleChange)
        fitToContents();
    return QWidget::event(event);
}

} // namespace tb::ui
