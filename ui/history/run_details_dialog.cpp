#include "ui/history/run_details_dialog.h"
#include "ui/common/window_store.h"
#include "ui/common/tables.h"

#include "ui/history/inspection_view.h"
#include "ui/history/run_curves.h"
#include "ui/history/run_history_panel.h"
#include "store/run_store.h"

#include <nlohmann/json.hpp>

#include <QDateTime>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>
#include <map>

namespace tb::ui {

namespace {

QString when(int64_t ms) { return ms ? localDateTime(ms) : QStringLiteral("—"); }

void addRow(QTableWidget* t, const QList<QVariant>& values)
{
    const int row = t->rowCount();
    t->insertRow(row);
    for (int c = 0; c < values.size(); ++c) {
        auto* item = new QTableWidgetItem;
        item->setData(Qt::DisplayRole, values[c]);
        t->setItem(row, c, item);
    }
}

} // namespace

RunDetailsDialog::RunDetailsDialog(const QString& dbPath, qint64 runId, QWidget* parent)
    : QDialog(parent), m_runId(runId)
{
    store::RunStore& db = windowStore(dbPath);
    const auto run = db.run(runId);
    setWindowTitle(tr("Run %1: %2").arg(runId).arg(QString::fromStdString(run.name)));
    setAttribute(Qt::WA_DeleteOnClose);

    auto* summary = new QWidget;
    auto* form = new QFormLayout(summary);
    form->addRow(tr("Name:"), new QLabel(QString::fromStdString(run.name)));
    form->addRow(tr("Status:"), new QLabel(RunHistoryPanel::statusText(static_cast<int>(run.status))));
    form->addRow(tr("Method:"), new QLabel(RunHistoryPanel::methodText(QString::fromStdString(run.method))));
    form->addRow(tr("Base model:"), new QLabel(QString::fromStdString(run.baseModel)));
    form->addRow(tr("Created:"), new QLabel(when(run.createdAt)));
    form->addRow(tr("Started:"), new QLabel(when(run.startedAt)));
    form->addRow(tr("Finished:"), new QLabel(when(run.finishedAt)));
    if (!run.errorMessage.empty()) {
        auto* error = new QLabel(QString::fromStdString(run.errorMessage));
        error->setWordWrap(true);
        form->addRow(tr("Error:"), error);
    }

    m_config = new QPlainTextEdit;
    m_config->setObjectName("configView");
    m_config->setReadOnly(true);
    try {
        m_config->setPlainText(QString::fromStdString(nlohmann::json::parse(run.configJson).dump(2)));
    } catch (const nlohmann::json::exception&) {
        m_config->setPlainText(QString::fromStdString(run.configJson));
    }

    // One row per series: how many points, where it started and ended, its lowest value.
    m_metrics = makeReadOnlyTable({tr("Metric"), tr("Points"), tr("First"), tr("Last"), tr("Minimum"), tr("At step")},
                          "metricsTable");
    std::map<std::string, std::vector<store::MetricPoint>> series;
    for (auto& p : db.metrics(runId))
        series[p.name].push_back(p);
    for (const auto& [name, points] : series) {
        auto best = std::min_element(points.begin(), points.end(), [](const auto& a, const auto& b) {
            return !std::isnan(a.value) && (std::isnan(b.value) || a.value < b.value);
        });
        // The stored name, as the CLI and exports write it; its meaning in the tooltip.
        addRow(m_metrics, {QString::fromStdString(name), static_cast<qlonglong>(points.size()), points.front().value,
                           points.back().value, best->value, static_cast<qlonglong>(best->step)});
        m_metrics->item(m_metrics->rowCount() - 1, 0)->setToolTip(seriesDisplayName(QString::fromStdString(name)));
    }

    m_checkpoints = makeReadOnlyTable({tr("Step"), tr("Resumable"), tr("Path"), tr("Created")}, "checkpointsTable");
    for (const auto& c : db.checkpoints(runId))
        addRow(m_checkpoints, {static_cast<qlonglong>(c.step), c.resumable ? tr("yes") : tr("no"),
                               QString::fromStdString(c.path), when(c.createdAt)});

    m_artifacts = makeReadOnlyTable({tr("Kind"), tr("Path"), tr("Details"), tr("Created")}, "artifactsTable");
    for (const auto& a : db.artifacts(runId))
        addRow(m_artifacts, {QString::fromStdString(a.kind), QString::fromStdString(a.path),
                             QString::fromStdString(a.metadataJson), when(a.createdAt)});

    m_tabs = new QTabWidget;
    m_tabs->addTab(summary, tr("Summary"));
    m_tabs->addTab(m_config, tr("Configuration"));
    m_tabs->addTab(m_metrics, tr("Metrics"));
    m_tabs->addTab(m_checkpoints, tr("Checkpoints"));
    m_tabs->addTab(m_artifacts, tr("Artifacts"));
    m_inspection = new InspectionView(dbPath, runId);
    m_tabs->addTab(m_inspection, tr("What it &learned"));
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::close);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_tabs);
    layout->addWidget(buttons);
    resize(760, 520);
}

} // namespace tb::ui
