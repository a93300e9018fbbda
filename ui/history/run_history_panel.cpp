#include "ui/history/run_history_panel.h"
#include "ui/common/tables.h"
#include "ui/common/window_store.h"

#include "ui/history/config_diff.h"
#include "ui/history/gguf_export_job.h"
#include "ui/history/run_curves_view.h"
#include "ui/history/run_details_dialog.h"
#include "ui/history/run_facts.h"

#include <QComboBox>
#include <QDateTime>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QSplitter>
#include <QTabWidget>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

namespace tb::ui {

namespace {

NumberItem* lossItem(std::optional<double> loss)
{
    return new NumberItem(loss ? localNumber(*loss, 'f', 4) : QString(), loss);
}

} // namespace

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
    m_export = new QPushButton(tr("E&xport"));
    m_export->setToolTip(tr("Write the selected run for other tools"));
    auto* exportMenu = new QMenu(m_export);
    QAction* gguf = exportMenu->addAction(tr("&GGUF…"));
    gguf->setObjectName("exportGgufAction");
    gguf->setToolTip(tr("A GGUF file for llama.cpp and Ollama, with a Modelfile and a model card"));
    m_export->setMenu(exportMenu);
    m_export->setObjectName("exportRunButton");
    m_open->setObjectName("openRunButton");
    m_resume->setObjectName("resumeRunButton");
    m_clone->setObjectName("cloneRunButton");
    m_rename->setObjectName("renameRunButton");
    m_delete->setObjectName("deleteRunButton");
    m_table = new QTableWidget(0, ColumnCount);
    m_table->setObjectName("runTable");
    m_table->setHorizontalHeaderLabels({tr("Id"), tr("Name"), tr("Method"), tr("Status"), tr("Base model"),
                                        tr("Created"), tr("Duration"), tr("Steps"), tr("Best val. loss"),
                                        tr("Final val. loss"), tr("Trainable"), tr("Evaluation")});
    m_table->horizontalHeaderItem(ColDuration)->setToolTip(tr("From the run's start to its end, pauses included"));
    m_table->horizontalHeaderItem(ColTrainable)
        ->setToolTip(tr("Share of the model's parameters the run trained (stored when it saves its adapter or model)"));
    m_table->horizontalHeaderItem(ColScores)
        ->setToolTip(tr("The newest evaluation of the run per task, by the task's primary metric"));
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSortingEnabled(true);
    m_table->horizontalHeader()->setStretchLastSection(true);

    m_curves = new RunCurvesView;
    m_configDiff = new ConfigDiffView;
    m_compare = new QTabWidget;
    m_compare->setObjectName("compareTabs");
    m_compare->addTab(m_curves, tr("C&urves"));
    m_compare->addTab(m_configDiff, tr("Configuration &differences"));

    auto* top = new QHBoxLayout;
    top->addWidget(m_filter, 1);
    top->addWidget(refreshButton);
    top->addWidget(m_open);
    top->addWidget(m_resume);
    top->addWidget(m_clone);
    top->addWidget(m_rename);
    top->addWidget(m_export);
    top->addWidget(m_delete);
    auto* splitter = new QSplitter(Qt::Vertical);
    splitter->addWidget(m_table);
    splitter->addWidget(m_compare);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 2);
    m_content = splitter;
    m_empty = makeEmptyState(QString(), "runHistoryEmpty");
    m_empty->setVisible(false);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(splitter, 1);
    layout->addWidget(m_empty, 1);

    connect(m_filter, &QLineEdit::textChanged, this, &RunHistoryPanel::refresh);
    connect(refreshButton, &QPushButton::clicked, this, &RunHistoryPanel::refresh);
    connect(m_open, &QPushButton::clicked, this, &RunHistoryPanel::openSelected);
    connect(m_resume, &QPushButton::clicked, this, &RunHistoryPanel::resumeSelected);
    connect(m_clone, &QPushButton::clicked, this, &RunHistoryPanel::cloneSelected);
    connect(m_rename, &QPushButton::clicked, this, &RunHistoryPanel::renameSelected);
    connect(m_delete, &QPushButton::clicked, this, &RunHistoryPanel::deleteSelected);
    connect(gguf, &QAction::triggered, this, &RunHistoryPanel::exportGgufSelected);
    // Shift+arrow or a drag changes the selection many times in a row; the
    // curves are read once it settles.
    m_compareLater = new QTimer(this);
    m_compareLater->setSingleShot(true);
    m_compareLater->setInterval(50);
    connect(m_compareLater, &QTimer::timeout, this, &RunHistoryPanel::updateComparison);
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        if (m_filling)
            return;
        updateButtons();
        m_compareLater->start();
    });
    connect(m_table, &QTableWidget::cellDoubleClicked, this, [this] { openSelected(); });
    refresh();
}

void RunHistoryPanel::refresh()
{
    const QList<qint64> selected = selectedRuns();
    std::vector<store::Run> runs;
    store::RunStore* db = nullptr;
    try {
        db = &windowStore(m_dbPath);
        store::RunFilter filter;
        filter.nameContains = m_filter->text().toStdString();
        runs = db->listRuns(filter);
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Run store"), QString::fromStdString(e.what()));
        return;
    }
    m_filling = true; // one comparison update at the end, not one per row
    m_table->setSortingEnabled(false);
    m_table->clearSelection();
    m_table->setRowCount(static_cast<int>(runs.size()));
    m_runs.clear();
    m_curveCache.clear(); // a running run has new points
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    for (int row = 0; row < static_cast<int>(runs.size()); ++row) {
        try {
            fillRow(row, runs[row], *db, now);
        } catch (const std::exception& e) {
            // A run whose details cannot be read still gets its row; the reason goes in a tooltip.
            m_table->item(row, ColName)->setToolTip(QString::fromStdString(e.what()));
        }
        m_runs[runs[row].id] = runs[row];
    }
    m_table->setSortingEnabled(true);
    const bool empty = runs.empty();
    m_empty->setText(!empty ? QString()
                     : m_filter->text().isEmpty()
                         ? tr("No runs yet — train one in Live training (F5).")
                         : tr("No run's name contains “%1” — clear the filter to see every run.").arg(m_filter->text()));
    m_empty->setVisible(empty);
    m_content->setVisible(!empty);
    selectRuns(selected);
    m_filling = false;
    updateButtons();
    updateComparison();
}

void RunHistoryPanel::fillRow(int row, const store::Run& r, const store::RunStore& db, qint64 now)
{
    auto* id = new QTableWidgetItem;
    id->setData(Qt::DisplayRole, static_cast<qlonglong>(r.id));
    m_table->setItem(row, ColId, id);
    m_table->setItem(row, ColName, new QTableWidgetItem(QString::fromStdString(r.name)));
    m_table->setItem(row, ColMethod, new QTableWidgetItem(methodText(QString::fromStdString(r.method))));
    auto* status = new QTableWidgetItem(statusText(static_cast<int>(r.status)));
    status->setData(Qt::UserRole, static_cast<int>(r.status));
    m_table->setItem(row, ColStatus, status);
    m_table->setItem(row, ColBaseModel, new QTableWidgetItem(QString::fromStdString(r.baseModel)));
    auto* created = new NumberItem(localDateTime(r.createdAt), static_cast<double>(r.createdAt)); // sorts by time
    created->setTextAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    created->setToolTip(QLocale().toString(QDateTime::fromMSecsSinceEpoch(r.createdAt), QLocale::LongFormat));
    m_table->setItem(row, ColCreated, created);
    for (int c = ColDuration; c < ColumnCount; ++c)
        m_table->setItem(row, c, new QTableWidgetItem); // filled below; empty if reading them fails

    const RunFacts facts = runFacts(db, r, now);
    m_table->setItem(row, ColDuration,
                     new NumberItem(facts.durationMs ? durationText(*facts.durationMs) : QString(),
                                    facts.durationMs ? std::optional<double>(*facts.durationMs / 1000.0) : std::nullopt));
    m_table->setItem(row, ColSteps,
                     new NumberItem(facts.steps ? QLocale().toString(*facts.steps) : QString(),
                                    facts.steps ? std::optional<double>(static_cast<double>(*facts.steps)) : std::nullopt));
    m_table->setItem(row, ColBestValLoss, lossItem(facts.bestValLoss));
    m_table->setItem(row, ColFinalValLoss, lossItem(facts.finalValLoss));
    m_table->setItem(row, ColTrainable,
                     new NumberItem(facts.trainablePercent ? tr("%1 %").arg(localNumber(*facts.trainablePercent, 'g', 3)) : QString(),
                                    facts.trainablePercent));
    auto* scores = new QTableWidgetItem(facts.scores);
    scores->setToolTip(facts.scoresToolTip);
    m_table->setItem(row, ColScores, scores);
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

QString RunHistoryPanel::methodText(const QString& method)
{
    if (method == QLatin1String("full"))
        return tr("Full fine-tuning");
    if (method == QLatin1String("selective"))
        return tr("Selective");
    if (method == QLatin1String("lora"))
        return tr("LoRA");
    if (method == QLatin1String("adapter"))
        return tr("Bottleneck adapter");
    if (method == QLatin1String("prompt_tuning"))
        return tr("Prompt tuning");
    return method;
}

int RunHistoryPanel::rowOf(qint64 id) const
{
    for (int row = 0; row < m_table->rowCount(); ++row)
        if (m_table->item(row, ColId)->data(Qt::DisplayRole).toLongLong() == id)
            return row;
    return -1;
}

void RunHistoryPanel::selectRun(qint64 id)
{
    if (const int row = rowOf(id); row >= 0)
        m_table->selectRow(row);
    updateComparison();
}

void RunHistoryPanel::selectRuns(const QList<qint64>& ids)
{
    QItemSelection selection;
    for (const qint64 id : ids)
        if (const int row = rowOf(id); row >= 0)
            selection.select(m_table->model()->index(row, 0), m_table->model()->index(row, ColumnCount - 1));
    m_table->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect);
    if (!selection.isEmpty())
        m_table->selectionModel()->setCurrentIndex(selection.first().topLeft(), QItemSelectionModel::NoUpdate);
    if (!m_filling)
        updateComparison();
}

void RunHistoryPanel::updateButtons()
{
    const auto rows = m_table->selectionModel()->selectedRows();
    const bool one = rows.size() == 1;
    bool resumable = false;
    if (one) {
        const auto status =
            static_cast<store::RunStatus>(m_table->item(rows.first().row(), ColStatus)->data(Qt::UserRole).toInt());
        resumable = status == store::RunStatus::Interrupted || status == store::RunStatus::Cancelled ||
                    status == store::RunStatus::Failed;
    }
    m_open->setEnabled(one);
    m_resume->setEnabled(resumable);
    m_clone->setEnabled(one);
    m_rename->setEnabled(one);
    m_delete->setEnabled(!rows.isEmpty());
    m_export->setEnabled(one && !(m_ggufJob && m_ggufJob->isRunning()));
}

void RunHistoryPanel::updateComparison()
{
    m_compareLater->stop();
    QList<qint64> ids = selectedRuns();
    const int selected = static_cast<int>(ids.size());
    if (selected > kMaxComparedRuns)
        ids = ids.mid(0, kMaxComparedRuns);
    std::vector<RunCurves> curves;
    std::vector<ConfigDiffView::Column> configs;
    try {
        for (const qint64 id : ids) {
            const auto it = m_runs.find(id);
            if (it == m_runs.end())
                continue;
            auto cached = m_curveCache.find(id);
            if (cached == m_curveCache.end())
                cached = m_curveCache.emplace(id, loadRunCurves(windowStore(m_dbPath), it->second)).first;
            curves.push_back(cached->second);
            configs.push_back({id, QStringLiteral("#%1 %2").arg(id).arg(QString::fromStdString(it->second.name)),
                               it->second.configJson});
        }
    } catch (const std::exception& e) {
        m_curves->setNote(tr("Cannot read the runs' metrics: %1").arg(QString::fromStdString(e.what())));
        return;
    }
    m_curves->setNote(selected > kMaxComparedRuns
                          ? tr("Showing the first %1 of the %2 selected runs (by id).").arg(kMaxComparedRuns).arg(selected)
                          : QString());
    m_curves->setRuns(std::move(curves));
    m_configDiff->setRuns(std::move(configs));
}

QList<qint64> RunHistoryPanel::resumableInterruptedRuns() const
{
    QList<qint64> out;
    try {
        store::RunStore& db = windowStore(m_dbPath);
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
        const auto run = windowStore(m_dbPath).run(id);
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

void RunHistoryPanel::exportGgufSelected()
{
    const qint64 id = selectedRun();
    const auto run = m_runs.find(id);
    if (run == m_runs.end())
        return;
    QDialog dialog(this);
    dialog.setWindowTitle(tr("Export run %1 as GGUF").arg(id));
    auto* what = new QComboBox;
    what->addItem(tr("Merged model (one file)"), false);
    if (run->second.method == "lora")
        what->addItem(tr("LoRA adapter, with the base model beside it"), true);
    auto* type = new QComboBox;
    type->addItem(tr("f16 (half the size of f32)"), "f16");
    type->addItem(tr("bf16"), "bf16");
    type->addItem(tr("f32 (exact)"), "f32");
    auto* file = new QLineEdit(QDir::home().filePath(QStringLiteral("run-%1/model.gguf").arg(id)));
    auto* browse = new QPushButton(tr("&Browse…"));
    connect(browse, &QPushButton::clicked, &dialog, [&dialog, file, this] {
        const QString chosen = QFileDialog::getSaveFileName(&dialog, tr("GGUF file"), file->text(), tr("GGUF (*.gguf)"));
        if (!chosen.isEmpty())
            file->setText(chosen);
    });
    auto* fileRow = new QHBoxLayout;
    fileRow->addWidget(file, 1);
    fileRow->addWidget(browse);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    auto* form = new QFormLayout(&dialog);
    form->addRow(tr("Export:"), what);
    form->addRow(tr("Weights:"), type);
    form->addRow(tr("File:"), fileRow);
    form->addRow(new QLabel(tr("A Modelfile (ollama create NAME -f Modelfile) and a README.md are written beside it.")));
    form->addRow(buttons);
    if (dialog.exec() != QDialog::Accepted || file->text().trimmed().isEmpty())
        return;
    QDir().mkpath(QFileInfo(file->text()).absolutePath());
    exportGguf(id, file->text().trimmed(), type->currentData().toString(), what->currentData().toBool());
}

GgufExportJob* RunHistoryPanel::exportGguf(qint64 id, const QString& file, const QString& type, bool adapter)
{
    if (m_ggufJob && m_ggufJob->isRunning())
        return nullptr;
    delete m_ggufJob;
    engine::OllamaExport request;
    request.dbPath = m_dbPath.toStdString();
    request.runId = id;
    request.outFile = file.toStdString();
    request.type = type.toStdString();
    request.adapter = adapter;
    m_ggufJob = new GgufExportJob(request, this);
    connect(m_ggufJob, &GgufExportJob::finished, this, [this, job = m_ggufJob, id](bool ok) {
        updateButtons();
        const QString message = ok ? tr("Run %1 exported:\n%2").arg(id).arg(job->files().join('\n'))
                                   : tr("Run %1 could not be exported as GGUF: %2").arg(id).arg(job->error());
        // Not modal: the panel stays usable, and nothing waits on the box.
        auto* box = new QMessageBox(ok ? QMessageBox::Information : QMessageBox::Warning, tr("Export GGUF"), message,
                                    QMessageBox::Ok, this);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
        refresh(); // the export is recorded as an artifact
        Q_EMIT ggufExportFinished(ok, message);
    });
    m_ggufJob->start();
    updateButtons();
    return m_ggufJob;
}

qint64 RunHistoryPanel::selectedRun() const
{
    const auto* selection = m_table->selectionModel();
    const QModelIndex current = selection->currentIndex();
    if (current.isValid() && selection->isRowSelected(current.row(), {}))
        return m_table->item(current.row(), ColId)->data(Qt::DisplayRole).toLongLong();
    const auto rows = selection->selectedRows();
    if (rows.isEmpty())
        return 0;
    return m_table->item(rows.first().row(), ColId)->data(Qt::DisplayRole).toLongLong();
}

QList<qint64> RunHistoryPanel::selectedRuns() const
{
    QList<qint64> ids;
    for (const auto& index : m_table->selectionModel()->selectedRows())
        ids << m_table->item(index.row(), ColId)->data(Qt::DisplayRole).toLongLong();
    std::sort(ids.begin(), ids.end());
    return ids;
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
        windowStore(m_dbPath).renameRun(id, name.trimmed().toStdString());
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Rename run"), QString::fromStdString(e.what()));
    }
    refresh();
}

void RunHistoryPanel::deleteSelected()
{
    const QList<qint64> ids = selectedRuns();
    if (ids.isEmpty())
        return;
    const QString question = ids.size() == 1
                                 ? tr("Delete run %1 and its metrics from the history?").arg(ids.first())
                                 : tr("Delete %n runs and their metrics from the history?", "", static_cast<int>(ids.size()));
    if (QMessageBox::question(this, tr("Delete run"), question) != QMessageBox::Yes)
        return;
    try {
        store::RunStore& db = windowStore(m_dbPath);
        for (const qint64 id : ids)
            db.deleteRun(id);
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Delete run"), QString::fromStdString(e.what()));
    }
    refresh();
}

} // namespace tb::ui
