#include "ui/history/run_history_panel.h"

#include "ui/history/run_details_dialog.h"
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
    m_open = new QPushButton(tr("&Open…"));
    m_open->setToolTip(tr("Configuration, metrics, checkpoints and artifacts of the selected run"));
    m_resume = new QPushButton(tr("Res&ume"));
    m_resume->setToolTip(tr("Continue the selected run from its last checkpoint in Live training"));
    m_clone = new QPushButton(tr("&Clone configuration"));
    m_clone->setToolTip(tr("Start a new run from the selected run's configuration"));
    m_rename = new QPushButton(tr("Re&name…"));
    m_delete = new QPushButton(tr("&Delete"));
    m_open->setObjectName("openRunButton");
    m_resume->setObjectName("resumeRunButton");
    m_clone->setObjectName("cloneRunButton");
    m_rename->setObjectName("renameRunButton");
    m_delete->setObjectName("deleteRunButton");
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
    top->addWidget(m_open);
    top->addWidget(m_resume);
    top->addWidget(m_clone);
    top->addWidget(m_rename);
    top->addWidget(m_delete);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_table);

    connect(m_filter, &QLineEdit::textChanged, this, &RunHistoryPanel::refresh);
    connect(refreshButton, &QPushButton::clicked, this, &RunHistoryPanel::refresh);
    connect(m_open, &QPushButton::clicked, this, &RunHistoryPanel::openSelected);
    connect(m_resume, &QPushButton::clicked, this, &RunHistoryPanel::resumeSelected);
    connect(m_clone, &QPushButton::clicked, this, &RunHistoryPanel::cloneSelected);
    connect(m_rename, &QPushButton::clicked, this, &RunHistoryPanel::renameSelected);
    connect(m_delete, &QPushButton::clicked, this, &RunHistoryPanel::deleteSelected);
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, &RunHistoryPanel::updateButtons);
    connect(m_table, &QTableWidget::cellDoubleClicked, this, [this] { openSelected(); });
    refresh();
}

void RunHistoryPanel::refresh()
{
    const qint64 selected = selectedRun();
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
        auto* status = new QTableWidgetItem(statusText(static_cast<int>(r.status)));
        status->setData(Qt::UserRole, static_cast<int>(r.status));
        m_table->setItem(row, 3, status);
        m_table->setItem(row, 4, new QTableWidgetItem(QString::fromStdString(r.baseModel)));
        m_table->setItem(row, 5, new QTableWidgetItem(
                                     QDateTime::fromMSecsSinceEpoch(r.createdAt).toString(Qt::ISODate)));
    }
    m_table->setSortingEnabled(true);
    if (selected)
        selectRun(selected);
    updateButtons();
}

QString RunHistoryPanel::statusText(int status)
{
    switch (static_cast<store::RunStatus>(status)) {
    case store::RunStatus::Queued: return tr("queued");
    case store::RunStatus::Running: return tr("running");
    case store::RunStatus::Paused: return tr("paused");
    case store::RunStatus::Completed: return tr("completed");
    case store::RunStatus::Failed: return tr("failed");
    case store::RunStatus::Cancelled: return tr("cancelled");
    case store::RunStatus::Interrupted: return tr("interrupted");
    }
    return QString::number(status);
}

void RunHistoryPanel::selectRun(qint64 id)
{
    for (int row = 0; row < m_table->rowCount(); ++row)
        if (m_table->item(row, 0)->data(Qt::DisplayRole).toLongLong() == id) {
            m_table->selectRow(row);
            return;
        }
}

void RunHistoryPanel::updateButtons()
{
    const auto rows = m_table->selectionModel()->selectedRows();
    const bool any = !rows.isEmpty();
    bool resumable = false;
    if (any) {
        const auto status = static_cast<store::RunStatus>(m_table->item(rows.first().row(), 3)->data(Qt::UserRole).toInt());
        resumable = status == store::RunStatus::Interrupted || status == store::RunStatus::Cancelled ||
                    status == store::RunStatus::Failed;
    }
    m_open->setEnabled(any);
    m_resume->setEnabled(resumable);
    m_clone->setEnabled(any);
    m_rename->setEnabled(any);
    m_delete->setEnabled(any);
}

QList<qint64> RunHistoryPanel::resumableInterruptedRuns() const
{
    QList<qint64> out;
    try {
        store::RunStore db(m_dbPath.toStdString());
        store::RunFilter filter;
        filter.status = store::RunStatus::Interrupted;
        for (const auto& r : db.listRuns(filter))
            if (db.lastCheckpoint(r.id))
                out.push_back(r.id);
    } catch (const std::exception&) {
        // refresh() already reports a store that cannot be read
    }
    return out;
}

void RunHistoryPanel::resumeSelected()
{
    if (const qint64 id = selectedRun())
        Q_EMIT resumeRequested(id);
}

void RunHistoryPanel::cloneSelected()
{
    const qint64 id = selectedRun();
    if (!id)
        return;
    try {
        const auto run = store::RunStore(m_dbPath.toStdString()).run(id);
        Q_EMIT cloneRequested(QString::fromStdString(run.configJson));
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Clone configuration"), QString::fromStdString(e.what()));
    }
}

RunDetailsDialog* RunHistoryPanel::openSelected()
{
    const qint64 id = selectedRun();
    if (!id)
        return nullptr;
    try {
        auto* dialog = new RunDetailsDialog(m_dbPath, id, this);
        dialog->setWindowFlag(Qt::Window);
        dialog->show();
        return dialog;
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Open run"), QString::fromStdString(e.what()));
        return nullptr;
    }
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
