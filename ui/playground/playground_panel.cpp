#include "ui/playground/playground_panel.h"
#include "ui/common/tables.h"
#include "ui/common/window_store.h"

#include "store/run_store.h"
#include "ui/playground/playground_job.h"

#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QLocale>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QVBoxLayout>

#include <algorithm>
#include <limits>

namespace tb::ui {

namespace {

constexpr int kRunRole = Qt::UserRole;
constexpr int kBaseRole = Qt::UserRole + 1;
constexpr int kAddedRole = Qt::UserRole + 2; // a folder added by hand, not from the store

ModelKey keyOf(const QListWidgetItem* item)
{
    return {item->data(kRunRole).toLongLong(), item->data(kBaseRole).toString(), item->text()};
}

engine::ModelSpec specOf(const ModelKey& key)
{
    engine::ModelSpec spec;
    if (key.run != 0)
        spec.run = key.run;
    else
        spec.model = key.baseModel.toStdString();
    return spec;
}

// Why generation ended (engine::PlaygroundOutput::stopReason), in words.
QString stopReasonText(const QString& reason)
{
    if (reason == QLatin1String("eos"))
        return PlaygroundPanel::tr("end of text");
    if (reason == QLatin1String("stop_string"))
        return PlaygroundPanel::tr("stop text reached");
    if (reason == QLatin1String("max_new_tokens"))
        return PlaygroundPanel::tr("token limit");
    if (reason == QLatin1String("context_full"))
        return PlaygroundPanel::tr("context window full");
    if (reason == QLatin1String("cancelled"))
        return PlaygroundPanel::tr("stopped by you");
    return reason;
}

} // namespace

PlaygroundPanel::PlaygroundPanel(QString dbPath, QWidget* parent)
    : QWidget(parent), m_dbPath(std::move(dbPath)), m_job(new PlaygroundJob(this))
{
    // Left: which models, and how they decode.
    m_models = new QListWidget;
    m_models->setObjectName("playgroundModels");
    m_models->setToolTip(tr("Every checked run and base model continues the prompt"));
    auto* refreshButton = new QPushButton(tr("&Refresh"));
    auto* addFolder = new QPushButton(tr("Add model &folder…"));
    addFolder->setToolTip(
        tr("A model folder (config.json + safetensors) or a llama2.c .bin that is not in the run store"));

    m_maxNewTokens = new QSpinBox;
    m_maxNewTokens->setObjectName("playgroundMaxNewTokens");
    m_maxNewTokens->setRange(1, 8192);
    m_maxNewTokens->setValue(64);
    m_temperature = new QDoubleSpinBox;
    m_temperature->setObjectName("playgroundTemperature");
    m_temperature->setRange(0.0, 5.0);
    m_temperature->setSingleStep(0.1);
    m_temperature->setDecimals(2);
    m_temperature->setSpecialValueText(tr("0 (greedy)"));
    m_topP = new QDoubleSpinBox;
    m_topP->setObjectName("playgroundTopP");
    m_topP->setRange(0.01, 1.0);
    m_topP->setSingleStep(0.05);
    m_topP->setValue(1.0);
    m_topP->setToolTip(
        tr("Nucleus sampling: keep the most likely tokens that make up this much probability (1 = all)"));
    m_topK = new QSpinBox;
    m_topK->setObjectName("playgroundTopK");
    m_topK->setRange(0, 100000);
    m_topK->setSpecialValueText(tr("off"));
    m_seed = new QSpinBox;
    m_seed->setObjectName("playgroundSeed");
    m_seed->setRange(0, std::numeric_limits<int>::max());
    auto* decoding = new QGroupBox(tr("Decoding (the same for every model)"));
    auto* form = new QFormLayout(decoding);
    form->addRow(tr("Max new &tokens:"), m_maxNewTokens);
    form->addRow(tr("T&emperature:"), m_temperature);
    form->addRow(tr("Top-&p:"), m_topP);
    form->addRow(tr("Top-&k:"), m_topK);
    form->addRow(tr("&Seed:"), m_seed);
    const auto samplingOnly = [this] {
        const bool sampled = m_temperature->value() > 0;
        m_topP->setEnabled(sampled);
        m_topK->setEnabled(sampled);
        m_seed->setEnabled(sampled);
    };
    samplingOnly();
    connect(m_temperature, &QDoubleSpinBox::valueChanged, this, samplingOnly);

    auto* left = new QWidget;
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(new QLabel(tr("Runs and base models:")));
    leftLayout->addWidget(m_models, 1);
    auto* listButtons = new QHBoxLayout;
    listButtons->addWidget(refreshButton);
    listButtons->addWidget(addFolder);
    leftLayout->addLayout(listButtons);
    leftLayout->addWidget(decoding);

    // Right: the prompt, then one column per model.
    m_prompt = new QPlainTextEdit;
    m_prompt->setObjectName("playgroundPrompt");
    m_prompt->setPlaceholderText(tr("Type a prompt; every checked model continues it"));
    m_generate = new QPushButton(tr("&Generate"));
    m_generate->setObjectName("playgroundGenerate");
    m_generate->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return));
    m_generate->setToolTip(tr("Generate with every checked model (Ctrl+Enter)"));
    m_stop = new QPushButton(tr("S&top"));
    m_stop->setObjectName("playgroundStop");
    m_stop->setEnabled(false);
    m_status = new QLabel;
    m_status->setObjectName("playgroundStatus");
    m_status->setWordWrap(true);
    auto* actions = new QHBoxLayout;
    actions->addWidget(m_generate);
    actions->addWidget(m_stop);
    actions->addWidget(m_status, 1);
    m_outputs = new QSplitter(Qt::Horizontal);
    m_outputs->setChildrenCollapsible(false);
    m_placeholder = makeEmptyState(QString(), "playgroundEmpty");
    m_outputs->addWidget(m_placeholder);

    auto* top = new QWidget;
    auto* topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->addWidget(new QLabel(tr("Prompt:")));
    topLayout->addWidget(m_prompt, 1);
    topLayout->addLayout(actions);
    auto* right = new QSplitter(Qt::Vertical);
    right->setObjectName("playgroundPromptSplitter");
    right->addWidget(top);
    right->addWidget(m_outputs);
    right->setStretchFactor(1, 3);
    right->setSizes({180, 520});

    auto* split = new QSplitter(Qt::Horizontal);
    split->setObjectName("playgroundSplitter");
    split->addWidget(left);
    split->addWidget(right);
    split->setStretchFactor(1, 3);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(split);

    connect(refreshButton, &QPushButton::clicked, this, &PlaygroundPanel::refresh);
    connect(addFolder, &QPushButton::clicked, this, &PlaygroundPanel::chooseModelFolder);
    connect(m_generate, &QPushButton::clicked, this, &PlaygroundPanel::generate);
    connect(m_stop, &QPushButton::clicked, this, &PlaygroundPanel::stop);
    connect(m_job, &PlaygroundJob::outputReady, this, &PlaygroundPanel::showOutput);
    connect(m_job, &PlaygroundJob::finished, this, &PlaygroundPanel::finish);
    refresh();
}

PlaygroundPanel::~PlaygroundPanel() = default;

void PlaygroundPanel::refresh()
{
    const std::vector<ModelKey> checked = checkedModels();
    std::vector<ModelKey> added; // folders added by hand stay listed
    for (int i = 0; i < m_models->count(); ++i)
        if (m_models->item(i)->data(kAddedRole).toBool())
            added.push_back(keyOf(m_models->item(i)));
    std::vector<ModelKey> models;
    try {
        models = availableModels(windowStore(m_dbPath));
    } catch (const std::exception& e) {
        m_status->setText(tr("Run store: %1").arg(QString::fromStdString(e.what())));
    }
    m_models->clear();
    for (const auto& key : models)
        addModelItem(key, false);
    for (const auto& key : added) {
        addModelItem(key, false);
        m_models->item(m_models->count() - 1)->setData(kAddedRole, true);
    }
    if (m_placeholder)
        m_placeholder->setText(m_models->count() == 0
                                   ? tr("No models yet — train one in Live training (F5), or add a model folder on "
                                        "the left.")
                                   : tr("Type a prompt and press Generate (Ctrl+Enter): each checked model's output "
                                        "appears here, side by side."));
    // Nothing checked yet: the first model (a base model when there is one).
    if (checked.empty() && m_models->count() > 0)
        m_models->item(0)->setCheckState(Qt::Checked);
    else
        setCheckedModels(checked);
}

void PlaygroundPanel::addModelItem(const ModelKey& key, bool checked)
{
    auto* item = new QListWidgetItem(key.label, m_models);
    item->setData(kRunRole, key.run);
    item->setData(kBaseRole, key.baseModel);
    item->setToolTip(key.run != 0 ? tr("Run %1 on %2").arg(key.run).arg(key.baseModel) : key.baseModel);
    item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
    item->setCheckState(checked ? Qt::Checked : Qt::Unchecked);
}

void PlaygroundPanel::addModelPath(const QString& path)
{
    const ModelKey key{0, path, tr("folder: %1").arg(QFileInfo(path).fileName())};
    for (int i = 0; i < m_models->count(); ++i)
        if (keyOf(m_models->item(i)) == key) {
            m_models->item(i)->setCheckState(Qt::Checked);
            return;
        }
    addModelItem(key, true);
    m_models->item(m_models->count() - 1)->setData(kAddedRole, true);
}

void PlaygroundPanel::chooseModelFolder()
{
    const QString path = QFileDialog::getExistingDirectory(this, tr("Model folder"));
    if (!path.isEmpty())
        addModelPath(path);
}

void PlaygroundPanel::setCheckedModels(const std::vector<ModelKey>& models)
{
    for (int i = 0; i < m_models->count(); ++i) {
        QListWidgetItem* item = m_models->item(i);
        const bool on = std::find(models.begin(), models.end(), keyOf(item)) != models.end();
        item->setCheckState(on ? Qt::Checked : Qt::Unchecked);
    }
}

std::vector<ModelKey> PlaygroundPanel::checkedModels() const
{
    std::vector<ModelKey> out;
    for (int i = 0; i < m_models->count(); ++i)
        if (m_models->item(i)->checkState() == Qt::Checked)
            out.push_back(keyOf(m_models->item(i)));
    return out;
}

void PlaygroundPanel::setPrompt(const QString& prompt) { m_prompt->setPlainText(prompt); }

engine::DecodingOptions PlaygroundPanel::decodingOptions() const
{
    engine::DecodingOptions o;
    o.maxNewTokens = m_maxNewTokens->value();
    o.temperature = m_temperature->value();
    if (o.temperature > 0) {
        o.topP = m_topP->value();
        o.topK = m_topK->value();
        o.seed = static_cast<uint64_t>(m_seed->value());
    }
    return o;
}

bool PlaygroundPanel::isGenerating() const { return m_job->isRunning(); }

bool PlaygroundPanel::generate()
{
    if (m_job->isRunning())
        return false;
    const std::vector<ModelKey> models = checkedModels();
    if (models.empty()) {
        m_status->setText(tr("Check at least one run or base model to generate with."));
        return false;
    }
    if (m_prompt->toPlainText().isEmpty()) {
        m_status->setText(tr("Type a prompt first."));
        return false;
    }
    PlaygroundRequest request;
    request.prompt = m_prompt->toPlainText().toStdString();
    request.decoding = decodingOptions();
    request.dbPath = m_dbPath;
    QStringList titles;
    for (const auto& key : models) {
        request.models.push_back(specOf(key));
        titles << key.label;
    }
    buildColumns(titles);
    if (!m_job->start(std::move(request)))
        return false;
    m_generate->setEnabled(false);
    m_stop->setEnabled(true);
    m_status->setText(tr("Generating with %n model(s)…", nullptr, int(models.size())));
    return true;
}

void PlaygroundPanel::stop()
{
    m_job->cancel();
    m_status->setText(tr("Stopping…"));
}

void PlaygroundPanel::buildColumns(const QStringList& titles)
{
    delete m_placeholder;
    m_placeholder = nullptr;
    for (auto& c : m_columns)
        delete c.box;
    m_columns.clear();
    for (const QString& title : titles) {
        Column c;
        c.box = new QGroupBox(title);
        c.box->setObjectName("playgroundColumn");
        c.text = new QPlainTextEdit;
        c.text->setReadOnly(true);
        c.text->setPlaceholderText(tr("Waiting…"));
        c.stats = new QLabel;
        c.stats->setWordWrap(true);
        auto* layout = new QVBoxLayout(c.box);
        layout->addWidget(c.text, 1);
        layout->addWidget(c.stats);
        m_outputs->addWidget(c.box);
        m_columns.push_back(c);
    }
}

void PlaygroundPanel::showOutput(int index, const engine::PlaygroundOutput& output)
{
    if (index < 0 || index >= columnCount())
        return;
    Column& c = m_columns[size_t(index)];
    c.output = output;
    c.done = true;
    if (!output.error.empty()) {
        c.text->setPlainText(tr("Error: %1").arg(QString::fromStdString(output.error)));
        c.stats->setText(tr("failed"));
        return;
    }
    c.text->setPlainText(QString::fromStdString(output.text));
    c.text->setPlaceholderText(tr("(no text: the model stopped at once)"));
    const QLocale locale;
    QString stats = tr("%n token(s) in %1 s", nullptr, int(output.tokens)).arg(locale.toString(output.seconds, 'f', 2));
    if (output.seconds > 0)
        stats += QStringLiteral(" · ")
                 + tr("%1 tokens/s").arg(locale.toString(double(output.tokens) / output.seconds, 'f', 1));
    if (output.loadSeconds > 0)
        stats += QStringLiteral(" · ") + tr("loaded in %1 s").arg(locale.toString(output.loadSeconds, 'f', 1));
    stats += QStringLiteral(" · ") + tr("stopped: %1").arg(stopReasonText(QString::fromStdString(output.stopReason)));
    c.stats->setText(stats);
}

void PlaygroundPanel::finish(const QString& status)
{
    m_generate->setEnabled(true);
    m_stop->setEnabled(false);
    int failed = 0;
    for (auto& c : m_columns) {
        if (!c.done) {
            c.text->setPlaceholderText(tr("Not generated"));
            c.stats->setText(tr("cancelled"));
        }
        failed += c.done && !c.output.error.empty() ? 1 : 0;
    }
    if (status == QLatin1String("cancelled"))
        m_status->setText(tr("Stopped."));
    else if (failed > 0)
        m_status->setText(tr("Done; %n model(s) failed (the reason is in their column).", nullptr, failed));
    else
        m_status->setText(tr("Done."));
    Q_EMIT generationFinished(status);
}

QString PlaygroundPanel::columnTitle(int column) const
{
    return column >= 0 && column < columnCount() ? m_columns[size_t(column)].box->title() : QString();
}

QString PlaygroundPanel::columnText(int column) const
{
    return column >= 0 && column < columnCount() ? QString::fromStdString(m_columns[size_t(column)].output.text)
                                                 : QString();
}

QString PlaygroundPanel::columnError(int column) const
{
    return column >= 0 && column < columnCount() ? QString::fromStdString(m_columns[size_t(column)].output.error)
                                                 : QString();
}

QString PlaygroundPanel::columnStats(int column) const
{
    return column >= 0 && column < columnCount() ? m_columns[size_t(column)].stats->text() : QString();
}

} // namespace tb::ui
