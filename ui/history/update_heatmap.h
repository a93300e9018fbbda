#pragma once
// A LoRA run's updates as a grid: one row per transformer block, one column
// per projection (q_proj, k_proj, ... or c_attn, ...), each cell coloured and
// labelled by ‖s·B·A‖_F, or by that relative to the base weight's ‖W‖_F.
// Painted here rather than charted: the ramp runs from the palette's Base
// colour to a strong hue picked for light or dark, so the map follows the
// theme, and each label is black or white, whichever reads better on its cell.
#include "engine/run_inspection.h"

#include <QColor>
#include <QRect>
#include <QString>
#include <QStringList>
#include <QWidget>

#include <vector>

namespace tb::ui {

class UpdateHeatmap : public QWidget {
    Q_OBJECT
public:
    enum class Scale { Absolute, Relative }; // ‖s·B·A‖_F, or ‖s·B·A‖_F / ‖W‖_F

    explicit UpdateHeatmap(QWidget* parent = nullptr);

    void setUpdates(std::vector<engine::LoraUpdate> updates);
    void setScale(Scale scale);
    Scale scale() const { return m_scale; }

    // Rows are layers in ascending order (modules outside the blocks last);
    // columns are projections in the order the model holds them.
    int rowCount() const { return static_cast<int>(m_layers.size()); }
    int columnCount() const { return static_cast<int>(m_columns.size()); }
    qint64 rowLayer(int row) const { return m_layers.at(size_t(row)); }
    QString rowLabel(int row) const;
    QString columnLabel(int column) const { return m_labels.at(column); }
    // The update shown in a cell; null where that layer has no such projection.
    const engine::LoraUpdate* updateAt(int row, int column) const;
    double value(int row, int column) const; // in the current scale; NaN for an empty cell
    double scaleMaximum() const;             // the legend's top: the largest value shown
    QString cellText(int row, int column) const;
    QString cellToolTip(int row, int column) const;
    QColor cellColor(int row, int column) const; // from the current palette
    QColor textColor(int row, int column) const;
    QRect cellRect(int row, int column) const;
    QRect legendRect() const; // the colour bar

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override { return sizeHint(); }

protected:
    void paintEvent(QPaintEvent* event) override;
    bool event(QEvent* event) override;

private:
    struct Geometry {
        int rowHeader = 0, columnHeader = 0, cellWidth = 0, cellHeight = 0, legendTop = 0, legendWidth = 0;
    };
    Geometry geometry() const;
    static QRect cellRect(const Geometry& g, int row, int column);
    void fitToContents();
    QColor rampColor(double fraction) const;
    QString formatValue(double v) const;
    double valueOf(const engine::LoraUpdate& u) const;
    int cellIndex(int row, int column) const;

    std::vector<engine::LoraUpdate> m_updates;
    std::vector<qint64> m_layers;   // row → layer (-1: outside the blocks)
    QStringList m_columns;          // column → path below the layer (self_attn.q_proj, mlp.c_proj)
    QStringList m_labels;           // column → what the header shows (q_proj, or attn.c_proj when ambiguous)
    std::vector<int> m_cells;       // row * columns + column → index into m_updates, or -1
    Scale m_scale = Scale::Absolute;
};

} // namespace tb::ui
