#pragma once
// Every run in the SQLite store, with filter, sort, rename and delete.
#include <QWidget>

class QLineEdit;
class QTableWidget;

namespace tb::ui {

class RunHistoryPanel : public QWidget {
    Q_OBJECT
public:
    explicit RunHistoryPanel(QString dbPath, QWidget* parent = nullptr);
    QTableWidget* table() const { return m_table; }

public Q_SLOTS:
    void refresh();
    void renameSelected();
    void deleteSelected();

private:
    qint64 selectedRun() const;

    QString m_dbPath;
    QLineEdit* m_filter = nullptr;
    QTableWidget* m_table = nullptr;
};

} // namespace tb::ui
