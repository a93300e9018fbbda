#include "ui/history/inspection_view.h"
#include "ui/common/tables.h"
#include "ui/common/csv.h"

#include "io/atomic_file.h"
#include "ui/history/inspection_job.h"
#include "ui/history/run_history_panel.h"
#include "ui/history/update_heatmap.h"

#include <QButtonGroup>
#include <QFileDialog>
#include <QFileInfo>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QMessageBox>
#include <QPushButton>
#include <QRadioButton>
#include <QScrollArea>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace tb::ui {

namespace {

// Numbers stay numbers (they sort as such); `tip` shows on hover.
QTableWidgetItem* item(const QVariant& value, const QString& tip = {})
{
    auto* i = new QTableWidgetItem;
    i->setData(Qt::DisplayRole, value);
    if (!tip.isEmpty())
        i->setToolTip(tip);
    return i;
}

QVariant layerValue(int64_t layer) { return layer >= 0 ? QVariant(static_cast<qlonglong>(layer)) : QVariant(QStringLiteral("—")); }

// A vocabulary token as text a person can see: quoted, so spaces show, line
// breaks and tabs escaped, and isolated (U+2068 … U+2069) so a right-to-left
// token does not reorder the quotes and the similarity around it.
QString visibleToken(const std::string& text)
{
    QString s = QString::fromStdString(text);
    s.replace(QLatin1Char('\n'), QLatin1String("\\n")).replace(QLatin1Char('\t'), QLatin1String("\\t"));
    return QLatin1Char('"') + QChar(0x2068) + s + QChar(0x2069) + QLatin1Char('"');
}

QGroupBox* section(const QString& title, const char* name, QWidget* content)
{
    auto* box = new QGroupBox(title);
    box->setObjectName(name);
    auto* layout = new QVBoxLayout(box);
    layout->addWidget(content);
    box->hide();
    return box;
}

struct CsvWriter {
    QString text = QStringLiteral("section,module,layer,measure,value,token_id,token_text\n");
    void row(const char* section, const QString& module, int64_t layer, const char* measure, double value,
             const QString& tokenId = {}, const QString& tokenText = {})
    {
        text += QStringList{QLatin1String(section), csvCell(module), layer >= 0 ? QString::number(layer) : QString(),
                            QLatin1String(measure), QString::number(value, 'g', 17), tokenId, csvCell(tokenText)}
                    .join(QLatin1Char(','));
        text += QLatin1Char('\n');
    }
};

} // namespace

InspectionView::InspectionView(const QString& dbPath, qint64 runId, QWidget* parent)
    : QWidget(parent), m_dbPath(dbPath), m_runId(runId)
{
    setObjectName(QStringLiteral("inspectionView"));
    m_message = new QLabel(tr("Measuring…"));
    m_message->setObjectName(QStringLiteral("inspectionMessage"));
    m_message->setWordWrap(true);
    m_message->setAlignment(Qt::AlignCenter);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_summary = new QLabel;
    m_summary->setObjectName(QStringLiteral("inspectionSummary"));
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);

    // LoRA: the heatmap and its scale toggle.
    m_heatmap = new UpdateHeatmap;
    auto* absolute = new QRadioButton(tr("&Absolute ‖s·B·A‖"));
    m_relative = new QRadioButton(tr("&Relative to ‖W‖"));
    m_relative->setObjectName(QStringLiteral("relativeScale"));
    absolute->setChecked(true);
    auto* scaleGroup = new QButtonGroup(this);
    scaleGroup->addButton(absolute);
    scaleGroup->addButton(m_relative);
    connect(m_relative, &QAbstractButton::toggled, this, [this](bool relative) {
        m_heatmap->setScale(relative ? UpdateHeatmap::Scale::Relative : UpdateHeatmap::Scale::Absolute);
    });
    auto* scroll = new QScrollArea;
    scroll->setWidget(m_heatmap);
    scroll->setWidgetResizable(false);
    auto* loraPage = new QWidget;
    auto* loraLayout = new QVBoxLayout(loraPage);
    loraLayout->setContentsMargins(0, 0, 0, 0);
    auto* toggles = new QHBoxLayout;
    toggles->addWidget(new QLabel(tr("Colour by:")));
    toggles->addWidget(absolute);
    toggles->addWidget(m_relative);
    toggles->addStretch();
    loraLayout->addLayout(toggles);
    loraLayout->addWidget(scroll);
    m_loraBox = section(tr("LoRA updates by layer and projection"), "loraSection", loraPage);

    m_adapters = makeReadOnlyTable({tr("Adapter"), tr("Layer"), tr("‖up‖"), tr("‖down‖")}, "adapterTable");
    m_adapterBox = section(tr("Bottleneck adapters: the up-projection starts at zero, so ‖up‖ is how much each adds"),
                           "adapterSection", m_adapters);
    m_prompt = makeReadOnlyTable({tr("Virtual token"), tr("Norm")}, "promptTable");
    m_promptBox = section(tr("Soft prompt: each virtual token's nearest vocabulary tokens (cosine similarity)"),
                          "promptSection", m_prompt);
    m_changes = makeReadOnlyTable({tr("Tensor"), tr("Layer"), tr("Relative change"), tr("‖change‖"), tr("‖base‖")},
                          "changesTable");
    m_changesNote = new QLabel;
    auto* changesPage = new QWidget;
    auto* changesLayout = new QVBoxLayout(changesPage);
    changesLayout->setContentsMargins(0, 0, 0, 0);
    changesLayout->addWidget(m_changesNote);
    changesLayout->addWidget(m_changes);
    m_changesBox = section(tr("Tensors that changed most against the base model"), "changesSection", changesPage);

    m_export = new QPushButton(tr("&Export as CSV…"));
    m_export->setObjectName(QStringLiteral("exportInspection"));
    connect(m_export, &QPushButton::clicked, this, &InspectionView::exportWithDialog);
    auto* buttons = new QHBoxLayout;
    buttons->addStretch();
    buttons->addWidget(m_export);

    m_content = new QWidget;
    auto* content = new QVBoxLayout(m_content);
    content->setContentsMargins(0, 0, 0, 0);
    content->addWidget(m_summary);
    for (QWidget* w : {static_cast<QWidget*>(m_loraBox), static_cast<QWidget*>(m_adapterBox),
                       static_cast<QWidget*>(m_promptBox), static_cast<QWidget*>(m_changesBox)})
        content->addWidget(w, 1);
    content->addLayout(buttons);
    m_content->hide();

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_message);
    layout->addWidget(m_content, 1);
}

bool InspectionView::isMeasuring() const { return m_job && m_job->isRunning(); }

void InspectionView::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    start();
}

void InspectionView::start()
{
    if (m_job)
        return;
    m_job = new InspectionJob(m_dbPath, m_runId, 5, this);
    connect(m_job, &InspectionJob::finished, this, [this](bool ok) {
        if (ok)
            showInspection(m_job->result());
        else
            showError(m_job->error());
        Q_EMIT measured(ok);
    });
    m_message->setText(tr("Measuring…"));
    m_message->show();
    m_job->start();
}

void InspectionView::showError(const QString& error)
{
    m_message->setText(tr("Cannot measure what this run learned: %1").arg(error));
    m_message->show();
    m_content->hide();
}

void InspectionView::showInspection(const engine::RunInspection& r)
{
    m_inspection = r;
    m_hasInspection = true;
    m_message->hide();
    m_summary->setText(tr("Method %1; it saved %2 weights in %3 (base model %4).")
                           .arg(RunHistoryPanel::methodText(QString::fromStdString(r.method)),
                                QString::fromStdString(r.weightsKind),
                                QString::fromStdString(r.weightsPath), QString::fromStdString(r.baseModel)));

    m_heatmap->setUpdates(r.lora);
    m_loraBox->setVisible(!r.lora.empty());

    m_adapters->setRowCount(0);
    for (const auto& a : r.adapters) {
        const int row = m_adapters->rowCount();
        m_adapters->insertRow(row);
        m_adapters->setItem(row, 0, item(QString::fromStdString(a.path)));
        m_adapters->setItem(row, 1, item(layerValue(a.layer)));
        m_adapters->setItem(row, 2, item(a.upNorm));
        m_adapters->setItem(row, 3, item(a.downNorm));
    }
    m_adapterBox->setVisible(!r.adapters.empty());

    size_t nearest = 0;
    for (const auto& v : r.prompt)
        nearest = std::max(nearest, v.nearest.size());
    QStringList headers{tr("Virtual token"), tr("Norm")};
    for (size_t k = 0; k < nearest; ++k)
        headers << tr("Nearest %1").arg(k + 1);
    m_prompt->setColumnCount(static_cast<int>(headers.size()));
    m_prompt->setHorizontalHeaderLabels(headers);
    m_prompt->setRowCount(0);
    for (const auto& v : r.prompt) {
        const int row = m_prompt->rowCount();
        m_prompt->insertRow(row);
        m_prompt->setItem(row, 0, item(static_cast<qlonglong>(v.index)));
        m_prompt->setItem(row, 1, item(v.norm));
        for (size_t k = 0; k < v.nearest.size(); ++k) {
            const auto& t = v.nearest[k];
            m_prompt->setItem(row, static_cast<int>(2 + k),
                              item(QStringLiteral("%1  %2").arg(visibleToken(t.text), locale().toString(t.similarity, 'f', 3)),
                                   tr("token %1, cosine similarity %2").arg(t.id).arg(locale().toString(t.similarity, 'g', 6))));
        }
    }
    m_promptBox->setVisible(!r.prompt.empty());

    m_changes->setRowCount(0);
    for (const auto& c : r.changes) {
        const int row = m_changes->rowCount();
        m_changes->insertRow(row);
        m_changes->setItem(row, 0, item(QString::fromStdString(c.name)));
        m_changes->setItem(row, 1, item(layerValue(c.layer)));
        m_changes->setItem(row, 2, item(c.relative));
        m_changes->setItem(row, 3, item(c.changeNorm));
        m_changes->setItem(row, 4, item(c.baseNorm));
    }
    m_changesNote->setText(tr("%1 of %2 tensors changed; the %3 that changed most, relative to their base norm:")
                               .arg(r.tensorsChanged)
                               .arg(r.tensorsCompared)
                               .arg(r.changes.size()));
    m_changesBox->setVisible(r.tensorsCompared > 0);
    m_content->show();
}

QString InspectionView::inspectionCsv(const engine::RunInspection& r)
{
    CsvWriter csv;
    for (const auto& u : r.lora) {
        const QString path = QString::fromStdString(u.path);
        csv.row("lora", path, u.layer, "update_norm", u.updateNorm);
        csv.row("lora", path, u.layer, "weight_norm", u.weightNorm);
        csv.row("lora", path, u.layer, "ratio", u.ratio);
    }
    for (const auto& a : r.adapters) {
        const QString path = QString::fromStdString(a.path);
        csv.row("adapter", path, a.layer, "up_norm", a.upNorm);
        csv.row("adapter", path, a.layer, "down_norm", a.downNorm);
    }
    for (const auto& v : r.prompt) {
        const QString index = QString::number(v.index);
        csv.row("prompt", index, -1, "norm", v.norm);
        for (size_t k = 0; k < v.nearest.size(); ++k) {
            const auto& t = v.nearest[k];
            const std::string measure = "nearest_" + std::to_string(k + 1);
            csv.row("prompt", index, -1, measure.c_str(), t.similarity, QString::number(t.id),
                    QString::fromStdString(t.text));
        }
    }
    for (const auto& c : r.changes) {
        const QString name = QString::fromStdString(c.name);
        csv.row("change", name, c.layer, "relative", c.relative);
        csv.row("change", name, c.layer, "change_norm", c.changeNorm);
        csv.row("change", name, c.layer, "base_norm", c.baseNorm);
    }
    return csv.text;
}

bool InspectionView::exportCsv(const QString& path, QString* error) const
{
    if (!m_hasInspection) {
        if (error)
            *error = tr("nothing measured yet");
        return false;
    }
    try {
        io::writeFileAtomic(path.toStdString(), inspectionCsv(m_inspection).toStdString());
        return true;
    } catch (const std::exception& e) {
        if (error)
            *error = QString::fromStdString(e.what());
        return false;
    }
}

void InspectionView::exportWithDialog()
{
    QString path = QFileDialog::getSaveFileName(this, tr("Export what the run learned"),
                                                QStringLiteral("run-%1-inspection.csv").arg(m_runId),
                                                tr("CSV files (*.csv)"));
    if (path.isEmpty())
        return;
    if (QFileInfo(path).suffix().isEmpty())
        path += QStringLiteral(".csv");
    QString error;
    if (!exportCsv(path, &error))
        QMessageBox::warning(this, tr("Export CSV"), tr("Cannot write %1: %2").arg(path, error));
}

} // namespace tb::ui
