#include "history/run_history_panel.h"

#include "store/run_store.h"

#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace tb::ui {

RunHistoryPanel::RunHistoryPanel(QString dbPath, QWidget* parent) : QWidget(parent), m_dbPath(std::move(dbPath))
{
    m_filter = new QLineEdit;
    m_filter->setPlaceholderText(tr("Filter by name"));
    m_filter->setClearButtonEnabled(true);
    auto* refreshButton = new QPushButton(tr("&Refresh"));
    auto* renameButton = new QPushButton(tr("Re&name…"));
    auto* deleteButton = new QPushButton(tr("&Delete"));
    m_table = new QTableWidget(0, 6);
    m_table->setObjectName("runTable");
    m_table->setHorizontalHeaderLabels({tr("Id"), tr("Name"), tr("Method"), tr("Status"), tr("Base model"), tr("Created")});
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSortingEnabled(true);
    m_table->horizontalHeader()->setStretchLastSection(true);

    auto* top = new QHBoxLayout;
    top->addWidget(m_filter, 1);
    top->addWidget(refreshButton);
    top->addWidget(renameButton);
    top->addWidget(deleteButton);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_table);

    connect(m_filter, &QLineEdit::textChanged, this, &RunHistoryPanel::refresh);
    connect(refreshButton, &QPushButton::clicked, this, &RunHistoryPanel::refresh);
    connect(renameButton, &QPushButton::clicked, this, &RunHistoryPanel::renameSelected);
    connect(deleteButton, &QPushButton::clicked, this, &RunHistoryPanel::deleteSelected);
    refresh();
}

void RunHistoryPanel::refresh()
{
    std::vector<store::Run> runs;
    try {
        store::RunStore db(m_dbPath.toStdString());
        store::RunFilter filter;
        filter.nameContains = m_filter->text().toStdString();
        runs = db.listRuns(filter);
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Run store"), QString::fromStdString(e.what()));
        return;
    }
    m_table->setSortingEnabled(false);
    m_table->setRowCount(static_cast<int>(runs.size()));
    for (int row = 0; row < static_cast<int>(runs.size()); ++row) {
        const auto& r = runs[row];
        auto* id = new QTableWidgetItem;
        id->setData(Qt::DisplayRole, static_cast<qlonglong>(r.id));
        m_table->setItem(row, 0, id);
        m_table->setItem(row, 1, new QTableWidgetItem(QString::fromStdString(r.name)));
        m_table->setItem(row, 2, new QTableWidgetItem(QString::fromStdString(r.method)));
        m_table->setItem(row, 3, new QTableWidgetItem(QString::fromUtf8(store::runStatusName(r.status).data())));
        m_table->setItem(row, 4, new QTableWidgetItem(QString::fromStdString(r.baseModel)));
        m_table->setItem(row, 5, new QTableWidgetItem(
                                     QDateTime::fromMSecsSinceEpoch(r.createdAt).toString(Qt::ISODate)));
    }
    m_table->setSortingEnabled(true);
}

qint64 RunHistoryPanel::selectedRun() const
{
    const auto rows = m_table->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return 0;
    return m_table->item(rows.first().row(), 0)->data(Qt::DisplayRole).toLongLong();
}

void RunHistoryPanel::renameSelected()
{
    const qint64 id = selectedRun();
    if (!id)
        return;
    bool ok = false;
    const QString name = QInputDialog::getText(this, tr("Rename run"), tr("New name:"), QLineEdit::Normal, {}, &ok);
    if (!ok || name.trimmed().isEmpty())
        return;
    try {
        store::RunStore(m_dbPath.toStdString()).renameRun(id, name.trimmed().toStdString());
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Rename run"), QString::fromStdString(e.what()));
    }
    refresh();
}

void RunHistoryPanel::deleteSelected()
{
    const qint64 id = selectedRun();
    if (!id)
        return;
    if (QMessageBox::question(this, tr("Delete run"), tr("Delete run %1 and its metrics from the history?").arg(id)) !=
        QMessageBox::Yes)
        return;
    try {
        store::RunStore(m_dbPath.toStdString()).deleteRun(id);
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Delete run"), QString::fromStdString(e.what()));
    }
    refresh();
}

} // namespace tb::ui
