#include "ui/history/config_diff.h"

#include <QCheckBox>
#include <QCoreApplication>
#include <QEvent>
#include <QHeaderView>
#include <QLabel>
#include <QTableWidget>
#include <QVBoxLayout>

#include <nlohmann/json.hpp>

#include <set>

namespace tb::ui {

namespace {

void flattenInto(const nlohmann::json& j, const std::string& prefix, std::map<QString, QString>& out)
{
    if (j.is_object() && !j.empty()) {
        for (auto it = j.begin(); it != j.end(); ++it)
            flattenInto(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
        return;
    }
    out[QString::fromStdString(prefix)] = QString::fromStdString(j.is_string() ? j.get<std::string>() : j.dump());
}

} // namespace

std::map<QString, QString> flattenConfig(const std::string& configJson)
{
    std::map<QString, QString> out;
    const auto j = nlohmann::json::parse(configJson, nullptr, false);
    if (j.is_object())
        for (auto it = j.begin(); it != j.end(); ++it)
            flattenInto(it.value(), it.key(), out);
    return out;
}

ConfigDiff diffConfigs(const std::vector<std::string>& configsJson)
{
    std::vector<std::map<QString, QString>> flat;
    std::set<QString> keys;
    for (const auto& text : configsJson) {
        flat.push_back(flattenConfig(text));
        for (const auto& [key, value] : flat.back())
            keys.insert(key);
    }
    ConfigDiff diff;
    diff.keys = QStringList(keys.begin(), keys.end());
    for (const QString& key : diff.keys) {
        std::vector<std::optional<QString>> row;
        for (const auto& config : flat) {
            const auto it = config.find(key);
            row.push_back(it == config.end() ? std::nullopt : std::optional<QString>(it->second));
        }
        bool differs = false;
        for (const auto& v : row)
            differs = differs || v != row.front();
        diff.values.push_back(std::move(row));
        diff.differs.push_back(differs);
    }
    return diff;
}

namespace {

// What a RUN.json key means, for the tooltip of its row; empty for keys without words here.
QString keyMeaning(const QString& key)
{
    static const std::map<QString, const char*> words{
        {"name", QT_TRANSLATE_NOOP("tb::ui::ConfigDiffView", "Run name")},
        {"model", QT_TRANSLATE_NOOP("tb::ui::ConfigDiffView", "Base model")},
        {"method.type", QT_TRANSLATE_NOOP("tb::ui::ConfigDiffView", "Fine-tuning method")},
        {"method.lora.rank", QT_TRANSLATE_NOOP("tb::ui::ConfigDiffView", "LoRA rank")},
        {"method.lora.alpha", QT_TRANSLATE_NOOP("tb::ui::ConfigDiffView", "LoRA alpha")},
        {"method.lora.dropout", QT_TRANSLATE_NOOP("tb::ui::ConfigDiffView", "LoRA dropout")},
        {"method.lora.targets", QT_TRANSLATE_NOOP("tb::ui::ConfigDiffView", "LoRA target modules")},
        {"method.adapter.size", QT_TRANSLATE_NOOP("tb::ui::ConfigDiffView", "Adapter bottleneck size")},
        {"method.prompt_tuning.num_virtual_tokens", QT_TRANSLATE_NOOP("tb::ui::ConfigDiffView", "Virtual tokens")},
        {"data.train", QT_TRANSLATE_NOOP("tb::ui::ConfigDiffView", "Training files")},
        {"data.max_length", QT_TRANSLATE_NOOP("tb::ui::ConfigDiffView", "Maximum sequence length")},
        {"data.template", QT_TRANSLATE_NOOP("tb::ui::ConfigDiffView", "Prompt template")},
        {"data.loss_on_prompt", QT_TRANSLATE_NOOP("tb::ui::ConfigDiffView", "Loss on the prompt too")},
        {"training.optimizer", QT_TRANSLATE_NOOP("tb::ui::ConfigDiffView", "Optimizer")},
        {"training.learning_rate", QT_TRANSLATE_NOOP("tb::ui::ConfigDiffView", "Learning rate")},
        {"training.max_steps", QT_TRANSLATE_NOOP("tb::ui::ConfigDiffView", "Steps")},
        {"training.batch_size", QT_TRANSLATE_NOOP("tb::ui::ConfigDiffView", "Batch size")},
        {"training.grad_accumulation", QT_TRANSLATE_NOOP("tb::ui::ConfigDiffView", "Gradient accumulation")},
        {"training.schedule", QT_TRANSLATE_NOOP("tb::ui::ConfigDiffView", "Learning-rate schedule")},
        {"training.warmup_steps", QT_TRANSLATE_NOOP("tb::ui::ConfigDiffView", "Warm-up steps")},
        {"training.weight_decay", QT_TRANSLATE_NOOP("tb::ui::ConfigDiffView", "Weight decay")},
        {"training.clip_norm", QT_TRANSLATE_NOOP("tb::ui::ConfigDiffView", "Gradient clipping")},
        {"training.eval_every", QT_TRANSLATE_NOOP("tb::ui::ConfigDiffView", "Validate every (steps)")},
        {"training.checkpoint_every", QT_TRANSLATE_NOOP("tb::ui::ConfigDiffView", "Checkpoint every (steps)")},
        {"training.seed", QT_TRANSLATE_NOOP("tb::ui::ConfigDiffView", "Seed")},
        {"training.precision", QT_TRANSLATE_NOOP("tb::ui::ConfigDiffView", "Precision")},
    };
    const auto it = words.find(key);
    return it == words.end() ? QString() : QCoreApplication::translate("tb::ui::ConfigDiffView", it->second);
}

} // namespace

ConfigDiffView::ConfigDiffView(QWidget* parent) : QWidget(parent)
{
    m_differencesOnly = new QCheckBox(tr("&Differences only"));
    m_differencesOnly->setObjectName("differencesOnly");
    m_differencesOnly->setChecked(true);
    m_note = new QLabel;
    m_note->setObjectName("configDiffNote");
    m_note->setWordWrap(true);
    m_table = new QTableWidget;
    m_table->setObjectName("configDiffTable");
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_differencesOnly);
    layout->addWidget(m_note);
    layout->addWidget(m_table, 1);
    connect(m_differencesOnly, &QCheckBox::toggled, this, &ConfigDiffView::rebuild);
    rebuild();
}

void ConfigDiffView::setRuns(std::vector<Column> runs)
{
    m_runs = std::move(runs);
    rebuild();
}

QStringList ConfigDiffView::shownKeys() const
{
    QStringList keys;
    for (int row = 0; row < m_table->rowCount(); ++row)
        keys << m_table->verticalHeaderItem(row)->text();
    return keys;
}

void ConfigDiffView::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        rebuild(); // the highlight follows the palette
}

void ConfigDiffView::rebuild()
{
    m_table->clear();
    m_table->setRowCount(0);
    m_table->setColumnCount(0);
    const bool enough = m_runs.size() >= 2;
    m_table->setVisible(enough); // no empty grid: the note says what to do
    m_differencesOnly->setVisible(enough);
    m_note->setAlignment(enough ? Qt::AlignLeft | Qt::AlignVCenter : Qt::AlignCenter);
    if (auto* box = qobject_cast<QVBoxLayout*>(layout()))
        box->setStretchFactor(m_note, enough ? 0 : 1); // alone, the note sits in the middle
    if (!enough) {
        m_note->setText(tr("Select two or more runs in the table to compare their configurations."));
        return;
    }
    std::vector<std::string> configs;
    QStringList headers;
    for (const auto& r : m_runs) {
        configs.push_back(r.configJson);
        headers << r.label;
    }
    const ConfigDiff diff = diffConfigs(configs);
    int differing = 0;
    for (const bool d : diff.differs)
        differing += d ? 1 : 0;
    m_note->setText(differing == 0 ? tr("The configurations are the same.")
                                   : tr("%n key(s) differ; cells unlike the first run's are highlighted.", "", differing));

    QColor highlight = palette().color(QPalette::Highlight);
    highlight.setAlpha(70);
    m_table->setColumnCount(static_cast<int>(m_runs.size()));
    m_table->setHorizontalHeaderLabels(headers);
    for (int k = 0; k < diff.keys.size(); ++k) {
        if (m_differencesOnly->isChecked() && !diff.differs[k])
            continue;
        const int row = m_table->rowCount();
        m_table->insertRow(row);
        auto* key = new QTableWidgetItem(diff.keys[k]); // the key itself: what RUN.json and the CLI use
        key->setToolTip(keyMeaning(diff.keys[k]));
        m_table->setVerticalHeaderItem(row, key);
        const auto& values = diff.values[k];
        for (size_t c = 0; c < values.size(); ++c) {
            auto* item = new QTableWidgetItem(values[c] ? *values[c] : tr("(not set)"));
            if (!values[c])
                item->setForeground(palette().color(QPalette::PlaceholderText));
            if (values[c] != values.front()) {
                item->setBackground(highlight);
                item->setData(Qt::UserRole, true); // changed: read by tests and assistive tools
                item->setToolTip(tr("Differs from run %1").arg(m_runs.front().run));
            }
            m_table->setItem(row, static_cast<int>(c), item);
        }
    }
    m_table->resizeColumnsToContents();
}

} // namespace tb::ui
