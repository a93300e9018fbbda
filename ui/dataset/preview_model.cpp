#include "ui/dataset/preview_model.h"

#include <QBrush>
#include <QColor>
#include <QLocale>

#include <algorithm>

namespace tb::ui {

void PreviewModel::setRows(std::vector<PreviewRow> rows)
{
    beginResetModel();
    m_rows = std::move(rows);
    m_page = 0;
    endResetModel();
    Q_EMIT pageChanged(m_page);
}

int PreviewModel::pageCount() const
{
    return std::max(1, (totalRows() + kPageSize - 1) / kPageSize);
}

void PreviewModel::setPage(int page)
{
    page = std::clamp(page, 0, pageCount() - 1);
    if (page == m_page)
        return;
    beginResetModel();
    m_page = page;
    endResetModel();
    Q_EMIT pageChanged(m_page);
}

bool PreviewModel::columnEmpty(int column) const
{
    return std::all_of(m_rows.begin(), m_rows.end(), [column](const PreviewRow& row) {
        return column >= row.cells.size() || row.cells[column].isEmpty();
    });
}

int PreviewModel::indexOf(int file, qint64 line) const
{
    for (size_t i = 0; i < m_rows.size(); ++i) {
        if (m_rows[i].file == file && m_rows[i].line == line)
            return static_cast<int>(i);
    }
    return -1;
}

int PreviewModel::rowCount(const QModelIndex& parent) const
{
    if (parent.isValid())
        return 0;
    return std::clamp(totalRows() - m_page * kPageSize, 0, int(kPageSize));
}

int PreviewModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant PreviewModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount() || index.column() >= ColumnCount)
        return {};
    const PreviewRow& row = rowAt(index.row());
    const QString cell = index.column() < row.cells.size() ? row.cells[index.column()] : QString();
    switch (role) {
    case Qt::DisplayRole: {
        // One line per cell; the whole text is in the tooltip.
        QString shown = cell;
        shown.replace(QLatin1Char('\n'), QStringLiteral(" ⏎ "));
        return shown.size() > 200 ? shown.left(200) + QStringLiteral("…") : shown;
    }
    case Qt::ToolTipRole:
        return cell.isEmpty() ? QVariant() : QVariant(cell);
    case Qt::ForegroundRole:
        if (row.record < 0)
            return QBrush(QColor(200, 40, 40));
        return {};
    case Qt::UserRole: // the unshortened text, for tests and copying
        return cell;
    default:
        return {};
    }
}

QVariant PreviewModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (role != Qt::DisplayRole)
        return {};
    if (orientation == Qt::Vertical)
        return QLocale().toString(m_page * kPageSize + section + 1);
    switch (section) {
    case File:
        return tr("File");
    case Line:
        return tr("Line");
    case Task:
        return tr("Task");
    case Shape:
        return tr("Shape");
    case Instruction:
        return tr("Instruction");
    case Input:
        return tr("Input");
    case Output:
        return tr("Output");
    case Prompt:
        return tr("Prompt");
    case Response:
        return tr("Response");
    case Text:
        return tr("Text");
    case Messages:
        return tr("Messages");
    case Problem:
        return tr("Problem");
    default:
        return {};
    }
}

} // namespace tb::ui
