#pragma once
// The dataset preview: every record of every file, or of the one selected
// (bad ones included, with their problem), shown one page at a time, as the
// mapped Tunebench fields.
#include <QAbstractTableModel>
#include <QStringList>

#include <vector>

namespace tb::ui {

struct PreviewRow {
    int file = 0;      // index of the file in the panel's list
    qint64 line = 0;   // 1-based line of the record in its file
    int record = -1;   // index into that file's records; -1 for a record that did not read
    QStringList cells; // one per column
};

class PreviewModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        File, Line, Task, Shape, Instruction, Input, Output, Prompt, Response, Text, Messages, Problem, ColumnCount
    };
    static constexpr int kPageSize = 100;

    using QAbstractTableModel::QAbstractTableModel;

    // Replaces every row and goes back to the first page.
    void setRows(std::vector<PreviewRow> rows);
    int totalRows() const { return static_cast<int>(m_rows.size()); }
    int page() const { return m_page; }
    int pageCount() const;
    void setPage(int page);
    // The row at ROW of the current page.
    const PreviewRow& rowAt(int row) const { return m_rows[size_t(m_page * kPageSize + row)]; }
    // Every row, over all pages.
    const std::vector<PreviewRow>& rows() const { return m_rows; }
    // Whether COLUMN is empty in every row of every page.
    bool columnEmpty(int column) const;
    // Index over all pages of the row for FILE's LINE; -1 when there is none.
    int indexOf(int file, qint64 line) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

Q_SIGNALS:
    void pageChanged(int page);

private:
    std::vector<PreviewRow> m_rows;
    int m_page = 0;
};

} // namespace tb::ui
