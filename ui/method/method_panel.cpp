#include "method/method_panel.h"

#include "common/error.h"
#include "io/atomic_file.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollArea>
#include <QSettings>
#include <QSpinBox>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <charconv>
#include <climits>
#include <cmath>
#include <filesystem>
#include <limits>
#include <regex>

namespace fs = std::filesystem;

namespace tb::ui {

namespace {

const char* kRecentKey = "methodPanel/recentModels";
constexpr int kMaxRecent = 10;

// Shortest text that reads back to the same double, so RUN.json round-trips exactly.
QString formatNumber(double v)
{
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, v);
    return QString::fromLatin1(buf, static_cast<int>(res.ptr - buf));
}

std::optional<double> parseNumber(const QString& text)
{
    const std::string s = text.trimmed().toStdString();
    if (s.empty())
        return std::nullopt;
    double v = 0;
    auto res = std::from_chars(s.data(), s.data() + s.size(), v);
    if (res.ec != std::errc() || res.ptr != s.data() + s.size() || !std::isfinite(v))
        return std::nullopt;
    return v;
}

QString qs(const std::string& s) { return QString::fromStdString(s); }

QString countText(int64_t n) { return QLocale().toString(static_cast<qlonglong>(n)); }

// "0-3, 7" -> {{0,3},{7,7}}; nullopt when malformed.
std::optional<std::vector<std::pair<int64_t, int64_t>>> parseLayers(const QString& text)
{
    std::vector<std::pair<int64_t, int64_t>> out;
    static const QRegularExpression item(QStringLiteral(R"(^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$)"));
    for (const QString& part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        if (part.trimmed().isEmpty())
            continue;
        auto m = item.match(part);
        if (!m.hasMatch())
            return std::nullopt;
        const int64_t a = m.captured(1).toLongLong();
        const int64_t b = m.captured(2).isEmpty() ? a : m.captured(2).toLongLong();
        if (b < a)
            return std::nullopt;
        out.emplace_back(a, b);
    }
    return out;
}

QString layersText(const std::vector<std::pair<int64_t, int64_t>>& layers)
{
    QStringList parts;
    for (const auto& [a, b] : layers)
        parts << (a == b ? QString::number(a) : QStringLiteral("%1-%2").arg(a).arg(b));
    return parts.join(QStringLiteral(", "));
}

QStringList splitList(const QString& text)
{
    QStringList out;
    for (const QString& s : text.split(QRegularExpression(QStringLiteral("[,\\s]+")), Qt::SkipEmptyParts))
        out << s;
    return out;
}

QString exactPattern(const QString& name)
{
    return QLatin1Char('^') + QRegularExpression::escape(name) + QLatin1Char('$');
}

QSpinBox* spin(const char* name, int min, const QString& tip)
{
    auto* s = new QSpinBox;
    s->setObjectName(QLatin1String(name));
    s->setRange(min, INT_MAX);
    s->setToolTip(tip);
    return s;
}

QLineEdit* edit(const char* name, const QString& tip)
{
    auto* e = new QLineEdit;
    e->setObjectName(QLatin1String(name));
    e->setToolTip(tip);
    return e;
}

QComboBox* combo(const char* name, const QStringList& items, const QString& tip)
{
    auto* c = new QComboBox;
    c->setObjectName(QLatin1String(name));
    c->addItems(items);
    c->setToolTip(tip);
    return c;
}

void setComboText(QComboBox* c, const std::string& value)
{
    const int i = c->findText(qs(value));
    if (i >= 0)
        c->setCurrentIndex(i);
    else if (c->isEditable())
        c->setEditText(qs(value));
    else {
        c->addItem(qs(value)); // keep an unknown value rather than lose it
        c->setCurrentIndex(c->count() - 1);
    }
}

} // namespace

MethodPanel::MethodPanel(QString runsDir, QWidget* parent) : QWidget(parent), m_runsDir(std::move(runsDir))
{
    auto* modelBox = new QGroupBox(tr("Base model"));
    buildModelGroup(modelBox);
    auto* methodBox = buildMethodGroup();
    auto* trainingBox = buildTrainingGroup();

    auto* estimateBox = new QGroupBox(tr("Estimate"));
    m_trainable = new QLabel;
    m_trainable->setObjectName("trainableLabel");
    m_trainable->setToolTip(tr("Parameters the optimiser updates, out of all parameters (base plus added ones)"));
    m_memory = new QLabel;
    m_memory->setObjectName("memoryLabel");
    m_memory->setToolTip(tr("A rough estimate of training memory: float32 weights, gradients and optimiser state "
                            "for the trainable parameters, and activations for one micro-batch"));
    m_memory->setWordWrap(true);
    auto* estimateLayout = new QVBoxLayout(estimateBox);
    estimateLayout->addWidget(m_trainable);
    estimateLayout->addWidget(m_memory);

    m_problemLabel = new QLabel;
    m_problemLabel->setObjectName("problemLabel");
    m_problemLabel->setWordWrap(true);
    m_problemLabel->setStyleSheet(QStringLiteral("color: #c0392b"));
    auto* load = new QPushButton(tr("&Load…"));
    load->setObjectName("loadButton");
    load->setToolTip(tr("Fill every field from a RUN.json file"));
    auto* save = new QPushButton(tr("Sa&ve…"));
    save->setObjectName("saveButton");
    save->setToolTip(tr("Save these settings as a RUN.json file"));
    m_start = new QPushButton(tr("&Start training"));
    m_start->setObjectName("startButton");
    connect(load, &QPushButton::clicked, this, &MethodPanel::openConfigDialog);
    connect(save, &QPushButton::clicked, this, &MethodPanel::saveConfigDialog);
    connect(m_start, &QPushButton::clicked, this, &MethodPanel::start);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_problemLabel, 1);
    buttons->addWidget(load);
    buttons->addWidget(save);
    buttons->addWidget(m_start);

    auto* left = new QVBoxLayout;
    left->addWidget(modelBox);
    left->addWidget(methodBox, 1);
    auto* right = new QVBoxLayout;
    right->addWidget(trainingBox);
    right->addWidget(estimateBox);
    right->addStretch(1);
    auto* columns = new QHBoxLayout;
    columns->addLayout(left, 3);
    columns->addLayout(right, 2);
    auto* content = new QWidget;
    content->setLayout(columns);
    auto* scroll = new QScrollArea;
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(content);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(scroll, 1);
    layout->addLayout(buttons);

    setRunConfig(train::RunConfig{});
}

MethodPanel::~MethodPanel() = default;

// A field with an error label beside it (hidden while the field is fine).
#define TB_WITH_ERROR(field) withError(field, m_errors)

namespace {

QWidget* withError(QWidget* field, std::map<QString, QLabel*>& errors)
{
    auto* row = new QWidget;
    auto* h = new QHBoxLayout(row);
    h->setContentsMargins(0, 0, 0, 0);
    h->addWidget(field, 1);
    auto* err = new QLabel;
    err->setObjectName(field->objectName() + QStringLiteral("Error"));
    err->setStyleSheet(QStringLiteral("color: #c0392b"));
    err->setWordWrap(true);
    err->hide();
    h->addWidget(err, 1);
    errors[field->objectName()] = err;
    return row;
}

} // namespace

void MethodPanel::buildModelGroup(QWidget* box)
{
    m_modelPath = new QComboBox;
    m_modelPath->setObjectName("modelPath");
    m_modelPath->setEditable(true);
    m_modelPath->setInsertPolicy(QComboBox::NoInsert);
    m_modelPath->addItems(recentModels());
    m_modelPath->setEditText(QString());
    m_modelPath->setToolTip(tr("A Hugging Face model folder (config.json + safetensors) or a llama2.c .bin; "
                               "the list holds recently used models"));
    m_modelPath->lineEdit()->setPlaceholderText(tr("model folder or .bin"));
    auto* browse = new QPushButton(tr("&Browse…"));
    browse->setObjectName("browseModel");
    connect(browse, &QPushButton::clicked, this, &MethodPanel::browseModel);
    connect(m_modelPath, &QComboBox::editTextChanged, this, [this] { readModel(); });
    auto* pathRow = new QHBoxLayout;
    pathRow->addWidget(TB_WITH_ERROR(m_modelPath), 1);
    pathRow->addWidget(browse);

    auto* facts = new QFormLayout;
    const std::pair<const char*, QString> rows[] = {
        {"factFamily", tr("Family")},       {"factParameters", tr("Parameters")},
        {"factVocabulary", tr("Vocabulary")}, {"factContext", tr("Context length")},
        {"factLayers", tr("Layers")},       {"factHidden", tr("Hidden size")},
        {"factHeads", tr("Attention heads")}, {"factDtype", tr("Stored dtype")},
    };
    for (const auto& [name, label] : rows) {
        auto* value = new QLabel(QStringLiteral("—"));
        value->setObjectName(QLatin1String(name));
        value->setTextInteractionFlags(Qt::TextSelectableByMouse);
        m_facts[QLatin1String(name)] = value;
        facts->addRow(label, value);
    }

    m_name = edit("runName", tr("Shown in the run history; default: <model folder>-run"));
    m_tokenizer = edit("tokenizer", tr("Tokenizer file or folder; default: the one in the model folder"));
    m_tokenizer->setPlaceholderText(tr("from the model folder"));
    m_outputDir = edit("outputDir", tr("Where checkpoints and the trained adapter or model go; "
                                       "default: a folder per run beside the run store"));
    m_outputDir->setPlaceholderText(tr("default"));
    for (auto* e : {m_name, m_tokenizer, m_outputDir})
        connect(e, &QLineEdit::textChanged, this, &MethodPanel::refresh);
    auto* names = new QFormLayout;
    names->addRow(tr("Run name"), m_name);
    names->addRow(tr("Tokenizer"), m_tokenizer);
    names->addRow(tr("Output folder"), m_outputDir);

    auto* v = new QVBoxLayout(box);
    v->addLayout(pathRow);
    v->addLayout(facts);
    v->addLayout(names);
}

QWidget* MethodPanel::buildMethodGroup()
{
    auto* box = new QGroupBox(tr("Method"));
    m_method = new QComboBox;
    m_method->setObjectName("method");
    m_method->addItem(tr("Full fine-tuning"), Full);
    m_method->addItem(tr("Instruction tuning (full, loss on responses)"), Instruction);
    m_method->addItem(tr("Selective (BitFit, norms, layers, patterns)"), Selective);
    m_method->addItem(tr("LoRA"), Lora);
    m_method->addItem(tr("Bottleneck adapters"), Adapter);
    m_method->addItem(tr("Prompt tuning"), PromptTuning);
    m_method->setToolTip(tr("How the base model is adapted"));
    m_pages = new QStackedWidget;
    m_pages->setObjectName("methodPages");

    // Full
    auto* full = new QLabel(tr("Every weight trains; the loss covers every token, prompt included. "
                               "Needs the most memory: gradients and two AdamW moments for all parameters."));
    full->setWordWrap(true);
    m_pages->addWidget(full);

    // Instruction
    auto* instruction = new QLabel(tr("Full fine-tuning on prompt/response data: examples are formatted with the "
                                      "prompt template (see Training) and the loss covers only the response tokens."));
    instruction->setWordWrap(true);
    m_pages->addWidget(instruction);

    // Selective
    auto* selective = new QWidget;
    m_biases = new QCheckBox(tr("Biases (BitFit)"));
    m_biases->setObjectName("selectiveBiases");
    m_norms = new QCheckBox(tr("Normalisation weights"));
    m_norms->setObjectName("selectiveNorms");
    m_embeddings = new QCheckBox(tr("Embeddings"));
    m_embeddings->setObjectName("selectiveEmbeddings");
    m_head = new QCheckBox(tr("Output head"));
    m_head->setObjectName("selectiveHead");
    m_head->setToolTip(tr("The output projection; with tied embeddings this is the token embedding itself"));
    m_layers = edit("selectiveLayers", tr("Blocks whose weights all train, e.g. \"0-3, 10\" (inclusive)"));
    m_layers->setPlaceholderText(tr("e.g. 0-3, 10"));
    m_patterns = new QPlainTextEdit;
    m_patterns->setObjectName("selectivePatterns");
    m_patterns->setToolTip(tr("Regular expressions (one per line) searched in parameter names; "
                              "ticking a parameter below adds its exact name"));
    m_patterns->setMaximumHeight(70);
    m_tree = new QTreeWidget;
    m_tree->setObjectName("parameterTree");
    m_tree->setHeaderLabels({tr("Parameter"), tr("Shape"), tr("Count")});
    m_tree->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_tree->setToolTip(tr("Ticked parameters train. Ticking one adds its exact name as a pattern; "
                          "a parameter chosen by a rule above stays ticked"));
    auto* flags = new QHBoxLayout;
    for (auto* c : {m_biases, m_norms, m_embeddings, m_head}) {
        flags->addWidget(c);
        connect(c, &QCheckBox::toggled, this, &MethodPanel::refresh);
    }
    connect(m_layers, &QLineEdit::textChanged, this, &MethodPanel::refresh);
    connect(m_patterns, &QPlainTextEdit::textChanged, this, &MethodPanel::refresh);
    connect(m_tree, &QTreeWidget::itemChanged, this, &MethodPanel::onParameterToggled);
    auto* selForm = new QFormLayout;
    selForm->addRow(tr("Layers"), TB_WITH_ERROR(m_layers));
    selForm->addRow(tr("Patterns"), TB_WITH_ERROR(m_patterns));
    auto* sv = new QVBoxLayout(selective);
    sv->setContentsMargins(0, 0, 0, 0);
    sv->addLayout(flags);
    sv->addLayout(selForm);
    sv->addWidget(m_tree, 1);
    m_pages->addWidget(selective);

    // LoRA
    auto* lora = new QWidget;
    m_rank = spin("loraRank", 1, tr("r: the rank of the update B·A; trainable parameters grow linearly with it"));
    m_alpha = edit("loraAlpha", tr("The update is scaled by alpha/r (alpha/√r with rank-stabilised scaling)"));
    m_dropout = edit("loraDropout", tr("Dropout on the LoRA input during training, in [0, 1)"));
    m_targets = edit("loraTargets", tr("Module names LoRA attaches to, comma separated; a name matches a module path "
                                       "exactly or as its last components. Empty: the family default"));
    m_rsLora = new QCheckBox(tr("Rank-stabilised scaling (rsLoRA)"));
    m_rsLora->setObjectName("loraRs");
    m_projections = new QLabel;
    m_projections->setObjectName("loraProjections");
    m_projections->setWordWrap(true);
    connect(m_rank, &QSpinBox::valueChanged, this, &MethodPanel::refresh);
    for (auto* e : {m_alpha, m_dropout, m_targets})
        connect(e, &QLineEdit::textChanged, this, &MethodPanel::refresh);
    connect(m_rsLora, &QCheckBox::toggled, this, &MethodPanel::refresh);
    auto* lf = new QFormLayout(lora);
    lf->addRow(tr("Rank"), m_rank);
    lf->addRow(tr("Alpha"), TB_WITH_ERROR(m_alpha));
    lf->addRow(tr("Dropout"), TB_WITH_ERROR(m_dropout));
    lf->addRow(tr("Targets"), TB_WITH_ERROR(m_targets));
    lf->addRow(QString(), m_rsLora);
    lf->addRow(tr("Projections"), m_projections);
    m_pages->addWidget(lora);

    // Adapters
    auto* adapter = new QWidget;
    m_adapterSize = spin("adapterSize", 1, tr("Bottleneck width of each adapter (one after attention, one after "
                                              "the MLP of every block)"));
    m_adapterActivation = combo("adapterActivation", {"relu", "gelu", "silu", "tanh"},
                                tr("Non-linearity inside the bottleneck"));
    connect(m_adapterSize, &QSpinBox::valueChanged, this, &MethodPanel::refresh);
    connect(m_adapterActivation, &QComboBox::currentIndexChanged, this, &MethodPanel::refresh);
    auto* af = new QFormLayout(adapter);
    af->addRow(tr("Size"), m_adapterSize);
    af->addRow(tr("Activation"), m_adapterActivation);
    m_pages->addWidget(adapter);

    // Prompt tuning
    auto* prompt = new QWidget;
    m_promptTokens = spin("promptTokens", 1, tr("Length of the trainable soft prompt prepended to every example"));
    m_promptInit = combo("promptInit", {"random", "vocab", "text"},
                         tr("random: scaled noise; vocab: embeddings of random vocabulary tokens; "
                            "text: the embeddings of the text below, repeated to fill"));
    m_promptText = edit("promptText", tr("Initial text for init \"text\""));
    connect(m_promptTokens, &QSpinBox::valueChanged, this, &MethodPanel::refresh);
    connect(m_promptInit, &QComboBox::currentIndexChanged, this, &MethodPanel::refresh);
    connect(m_promptText, &QLineEdit::textChanged, this, &MethodPanel::refresh);
    auto* pf = new QFormLayout(prompt);
    pf->addRow(tr("Virtual tokens"), m_promptTokens);
    pf->addRow(tr("Initialisation"), m_promptInit);
    pf->addRow(tr("Text"), TB_WITH_ERROR(m_promptText));
    m_pages->addWidget(prompt);

    connect(m_method, &QComboBox::currentIndexChanged, this, [this](int i) {
        m_pages->setCurrentIndex(i);
        refresh();
    });
    auto* methodError = new QLabel;
    methodError->setObjectName("methodError");
    methodError->setStyleSheet(QStringLiteral("color: #c0392b"));
    methodError->setWordWrap(true);
    methodError->hide();
    m_errors[QStringLiteral("method")] = methodError;

    auto* v = new QVBoxLayout(box);
    v->addWidget(m_method);
    v->addWidget(m_pages, 1);
    v->addWidget(methodError);
    return box;
}

QWidget* MethodPanel::buildTrainingGroup()
{
    auto* box = new QGroupBox(tr("Training"));
    m_optimizer = combo("optimizer", {"adamw", "sgd"},
                        tr("AdamW (no weight decay on biases and norms) or plain SGD with optional momentum"));
    m_learningRate = edit("learningRate", tr("Peak learning rate, e.g. 2e-4 for LoRA, 1e-5 to 5e-5 for full "
                                             "fine-tuning of large models"));
    m_maxSteps = spin("maxSteps", 1, tr("Optimiser steps to run. One step sees batch × accumulation examples; "
                                        "an epoch is (training examples) / (batch × accumulation) steps"));
    m_batchSize = spin("batchSize", 1, tr("Examples per micro-batch; activation memory grows with it"));
    m_accumulation = spin("gradAccumulation", 1, tr("Micro-batches per optimiser step: a larger effective batch "
                                                    "without more memory"));
    m_schedule = combo("schedule", {"constant", "linear", "cosine"},
                       tr("How the learning rate decays after warm-up"));
    m_warmup = spin("warmupSteps", 0, tr("Steps of linear warm-up from 0 to the peak learning rate"));
    m_minLrRatio = edit("minLrRatio", tr("Where linear/cosine decay ends, as a share of the peak (0 to 1)"));
    m_weightDecay = edit("weightDecay", tr("AdamW decoupled weight decay; never applied to biases and norms"));
    m_momentum = edit("momentum", tr("SGD momentum (0 = none)"));
    m_clipNorm = edit("clipNorm", tr("Clip the global gradient norm to this value (0 = off)"));
    m_maxLength = spin("maxLength", 2, tr("Tokens per example; longer examples are truncated"));
    m_template = combo("template", {"alpaca", "chatml", "plain"},
                       tr("How prompt/response records become text: Alpaca, ChatML or plain prompt\\nresponse"));
    m_evalEvery = spin("evalEvery", 0, tr("Validation loss every N steps (0 = only at the end)"));
    m_evalBatches = spin("evalBatches", 0, tr("Validation batches per evaluation (0 = the whole validation set)"));
    m_patience = spin("earlyStopping", 0, tr("Stop after N evaluations without improvement (0 = off)"));
    m_checkpointEvery = spin("checkpointEvery", 0, tr("Resumable checkpoint every N steps (0 = only at the end)"));
    m_seed = edit("seed", tr("Seed for data order, initialisation and dropout; the same seed repeats a run exactly"));
    m_precision = combo("precision", {"f32", "bf16"},
                        tr("f32, or bf16 autocast (mixed precision with float32 master weights)"));
    m_device = combo("device", {"cpu", "cuda", "cuda:0", "cuda:1"}, tr("Where to train: cpu, cuda or cuda:N"));
    m_device->setEditable(true);
    m_threads = spin("threads", 0, tr("Intra-op CPU threads (0 = LibTorch's default)"));
    m_threads->setMaximum(4096);

    for (auto* s : {m_maxSteps, m_batchSize, m_accumulation, m_warmup, m_maxLength, m_evalEvery, m_evalBatches,
                    m_patience, m_checkpointEvery, m_threads})
        connect(s, &QSpinBox::valueChanged, this, &MethodPanel::refresh);
    for (auto* e : {m_learningRate, m_minLrRatio, m_weightDecay, m_momentum, m_clipNorm, m_seed})
        connect(e, &QLineEdit::textChanged, this, &MethodPanel::refresh);
    for (auto* c : {m_optimizer, m_schedule, m_template, m_precision})
        connect(c, &QComboBox::currentIndexChanged, this, &MethodPanel::refresh);
    connect(m_device, &QComboBox::editTextChanged, this, &MethodPanel::refresh);

    auto* f = new QFormLayout(box);
    f->addRow(tr("Optimiser"), m_optimizer);
    f->addRow(tr("Learning rate"), TB_WITH_ERROR(m_learningRate));
    f->addRow(tr("Steps"), m_maxSteps);
    f->addRow(tr("Batch size"), m_batchSize);
    f->addRow(tr("Accumulation"), m_accumulation);
    f->addRow(tr("Schedule"), m_schedule);
    f->addRow(tr("Warm-up steps"), TB_WITH_ERROR(m_warmup));
    f->addRow(tr("Final LR ratio"), TB_WITH_ERROR(m_minLrRatio));
    f->addRow(tr("Weight decay"), TB_WITH_ERROR(m_weightDecay));
    f->addRow(tr("Momentum"), TB_WITH_ERROR(m_momentum));
    f->addRow(tr("Gradient clipping"), TB_WITH_ERROR(m_clipNorm));
    f->addRow(tr("Max length"), m_maxLength);
    f->addRow(tr("Prompt template"), m_template);
    f->addRow(tr("Validate every"), m_evalEvery);
    f->addRow(tr("Validation batches"), m_evalBatches);
    f->addRow(tr("Early stopping"), m_patience);
    f->addRow(tr("Checkpoint every"), m_checkpointEvery);
    f->addRow(tr("Seed"), TB_WITH_ERROR(m_seed));
    f->addRow(tr("Precision"), m_precision);
    f->addRow(tr("Device"), TB_WITH_ERROR(m_device));
    f->addRow(tr("Threads"), m_threads);
    return box;
}

#undef TB_WITH_ERROR

QStringList MethodPanel::recentModels() const { return QSettings().value(kRecentKey).toStringList(); }

void MethodPanel::rememberModel(const QString& path)
{
    if (path.isEmpty())
        return;
    QStringList recent = recentModels();
    recent.removeAll(path);
    recent.prepend(path);
    while (recent.size() > kMaxRecent)
        recent.removeLast();
    QSettings().setValue(kRecentKey, recent);
    const QString current = m_modelPath->currentText();
    const QSignalBlocker block(m_modelPath);
    m_modelPath->clear();
    m_modelPath->addItems(recent);
    m_modelPath->setEditText(current);
}

void MethodPanel::browseModel()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Choose a model folder"), m_modelPath->currentText());
    if (dir.isEmpty())
        return;
    setModelPath(dir);
    if (m_model)
        rememberModel(dir);
}

void MethodPanel::setModelPath(const QString& path)
{
    {
        const QSignalBlocker block(m_modelPath);
        m_modelPath->setEditText(path);
    }
    readModel();
}

void MethodPanel::readModel()
{
    const QString path = m_modelPath->currentText().trimmed();
    m_model.reset();
    m_modelError.clear();
    if (path.isEmpty()) {
        m_modelError = tr("Choose a base model");
    } else {
        try {
            m_model = peft::readModelConfig(path.toStdString());
        } catch (const std::exception& e) {
            m_modelError = qs(e.what());
        }
    }
    auto set = [this](const char* key, const QString& text) { m_facts[QLatin1String(key)]->setText(text); };
    if (m_model) {
        const auto& c = *m_model;
        const int64_t n = c.parameterCount();
        set("factFamily", tr("%1 (model_type %2)").arg(qs(c.familyName()), qs(c.modelType)));
        set("factParameters", tr("%1 (%2 M)").arg(countText(n)).arg(static_cast<double>(n) / 1e6, 0, 'f', 2));
        set("factVocabulary", countText(c.vocabSize));
        set("factContext", countText(c.maxPositions));
        set("factLayers", QString::number(c.numLayers));
        set("factHidden", QString::number(c.hiddenSize));
        set("factHeads", c.numKvHeads && c.numKvHeads != c.numHeads
                             ? tr("%1 (%2 key/value)").arg(c.numHeads).arg(c.numKvHeads)
                             : QString::number(c.numHeads));
        set("factDtype", qs(c.storageDType) + (c.tieEmbeddings ? tr(", tied embeddings") : QString()));
        QStringList kinds;
        for (const auto& p : peft::projectionList(c)) {
            const QString last = qs(p.path.substr(p.path.rfind('.') + 1));
            if (!kinds.contains(last))
                kinds << last;
        }
        m_projections->setText(kinds.join(QStringLiteral(", ")));
        QStringList defaults;
        for (const auto& t : peft::defaultLoraTargets(c))
            defaults << qs(t);
        m_targets->setPlaceholderText(tr("default: %1").arg(defaults.join(QStringLiteral(", "))));
    } else {
        for (auto& [key, label] : m_facts)
            label->setText(QStringLiteral("—"));
        m_projections->clear();
        m_targets->setPlaceholderText(tr("default for the model family"));
    }
    rebuildParameterTree();
    refresh();
}

void MethodPanel::rebuildParameterTree()
{
    const QSignalBlocker block(m_tree);
    m_tree->clear();
    if (!m_model)
        return;
    std::map<int64_t, QTreeWidgetItem*> groups;
    auto group = [&](int64_t layer) {
        auto& g = groups[layer];
        if (!g) {
            g = new QTreeWidgetItem(m_tree, {layer < 0 ? tr("Embeddings, final norm, head") : tr("Block %1").arg(layer)});
        }
        return g;
    };
    group(-1);
    for (const auto& p : peft::parameterList(*m_model)) {
        QStringList shape;
        for (auto s : p.shape)
            shape << QString::number(s);
        auto* item = new QTreeWidgetItem(group(peft::layerIndexOf(p.name)),
                                         {qs(p.name), shape.join(QStringLiteral(" × ")), countText(p.numel())});
        item->setData(0, Qt::UserRole, qs(p.name));
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
        item->setCheckState(0, Qt::Unchecked);
    }
}

void MethodPanel::updateParameterChecks()
{
    if (!m_model || m_tree->topLevelItemCount() == 0)
        return;
    std::optional<peft::SelectiveMatcher> matcher;
    try {
        matcher.emplace(runConfig().method.selective, m_model->tieEmbeddings);
    } catch (const std::exception&) {
        return; // an invalid pattern is reported beside the field
    }
    const QSignalBlocker block(m_tree);
    for (int g = 0; g < m_tree->topLevelItemCount(); ++g) {
        auto* group = m_tree->topLevelItem(g);
        int on = 0;
        for (int i = 0; i < group->childCount(); ++i) {
            auto* item = group->child(i);
            const bool selected = matcher->selects(item->data(0, Qt::UserRole).toString().toStdString());
            item->setCheckState(0, selected ? Qt::Checked : Qt::Unchecked);
            on += selected;
        }
        group->setText(2, tr("%1 of %2 ticked").arg(on).arg(group->childCount()));
    }
}

void MethodPanel::onParameterToggled(QTreeWidgetItem* item, int column)
{
    if (column != 0 || m_filling || item->data(0, Qt::UserRole).isNull())
        return;
    const QString pattern = exactPattern(item->data(0, Qt::UserRole).toString());
    QStringList lines = m_patterns->toPlainText().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    if (item->checkState(0) == Qt::Checked) {
        if (!lines.contains(pattern))
            lines << pattern;
    } else {
        lines.removeAll(pattern);
    }
    m_patterns->setPlainText(lines.join(QLatin1Char('\n'))); // refresh() recomputes the ticks
}

tb::train::RunConfig MethodPanel::runConfig() const
{
    train::RunConfig c = m_base;
    c.model = m_modelPath->currentText().trimmed().toStdString();
    c.name = m_name->text().trimmed().toStdString();
    if (c.name.empty()) // the name readRunConfig would give
        c.name = fs::path(c.model).filename().string() + "-run";
    c.tokenizer = m_tokenizer->text().trimmed().toStdString();
    c.outputDir = m_outputDir->text().trimmed().toStdString();

    auto number = [](QLineEdit* e, double& out) {
        if (auto v = parseNumber(e->text()))
            out = *v;
    };
    const auto choice = static_cast<Choice>(m_method->currentData().toInt());
    auto& m = c.method;
    switch (choice) {
    case Full:
    case Instruction:
        m.method = peft::Method::Full;
        c.data.lossOnPrompt = choice == Full;
        break;
    case Selective: m.method = peft::Method::Selective; break;
    case Lora: m.method = peft::Method::Lora; break;
    case Adapter: m.method = peft::Method::Adapter; break;
    case PromptTuning: m.method = peft::Method::PromptTuning; break;
    }
    m.selective.biases = m_biases->isChecked();
    m.selective.norms = m_norms->isChecked();
    m.selective.embeddings = m_embeddings->isChecked();
    m.selective.head = m_head->isChecked();
    if (auto layers = parseLayers(m_layers->text()))
        m.selective.layers = *layers;
    m.selective.patterns.clear();
    for (const QString& line : m_patterns->toPlainText().split(QLatin1Char('\n'), Qt::SkipEmptyParts))
        if (!line.trimmed().isEmpty())
            m.selective.patterns.push_back(line.trimmed().toStdString());
    m.lora.rank = m_rank->value();
    number(m_alpha, m.lora.alpha);
    number(m_dropout, m.lora.dropout);
    m.lora.targets.clear();
    for (const QString& t : splitList(m_targets->text()))
        m.lora.targets.push_back(t.toStdString());
    m.lora.rsLora = m_rsLora->isChecked();
    m.adapter.size = m_adapterSize->value();
    m.adapter.activation = m_adapterActivation->currentText().toStdString();
    m.prompt.numVirtualTokens = m_promptTokens->value();
    m.prompt.init = m_promptInit->currentText().toStdString();
    m.prompt.text = m_promptText->text().toStdString();

    auto& t = c.training;
    t.optimizer = m_optimizer->currentText().toStdString();
    number(m_learningRate, t.learningRate);
    t.maxSteps = m_maxSteps->value();
    t.batchSize = m_batchSize->value();
    t.gradAccumulation = m_accumulation->value();
    t.schedule = m_schedule->currentText().toStdString();
    t.warmupSteps = m_warmup->value();
    number(m_minLrRatio, t.minLrRatio);
    number(m_weightDecay, t.weightDecay);
    number(m_momentum, t.momentum);
    number(m_clipNorm, t.clipNorm);
    t.evalEvery = m_evalEvery->value();
    t.evalBatches = m_evalBatches->value();
    t.earlyStoppingPatience = m_patience->value();
    t.checkpointEvery = m_checkpointEvery->value();
    bool ok = false;
    const qulonglong seed = m_seed->text().trimmed().toULongLong(&ok);
    if (ok)
        t.seed = seed;
    t.precision = m_precision->currentText().toStdString();
    t.device = m_device->currentText().trimmed().toStdString();
    t.threads = m_threads->value();
    c.data.maxLength = m_maxLength->value();
    c.data.templateName = m_template->currentText().toStdString();
    return c;
}

void MethodPanel::setRunConfig(const tb::train::RunConfig& c)
{
    m_filling = true;
    m_base = c;
    m_name->setText(qs(c.name));
    m_tokenizer->setText(qs(c.tokenizer));
    m_outputDir->setText(qs(c.outputDir));

    Choice choice = Lora;
    switch (c.method.method) {
    case peft::Method::Full: choice = c.data.lossOnPrompt ? Full : Instruction; break;
    case peft::Method::Selective: choice = Selective; break;
    case peft::Method::Lora: choice = Lora; break;
    case peft::Method::Adapter: choice = Adapter; break;
    case peft::Method::PromptTuning: choice = PromptTuning; break;
    }
    m_method->setCurrentIndex(m_method->findData(choice));
    m_pages->setCurrentIndex(m_method->currentIndex());
    const auto& m = c.method;
    m_biases->setChecked(m.selective.biases);
    m_norms->setChecked(m.selective.norms);
    m_embeddings->setChecked(m.selective.embeddings);
    m_head->setChecked(m.selective.head);
    m_layers->setText(layersText(m.selective.layers));
    QStringList patterns;
    for (const auto& p : m.selective.patterns)
        patterns << qs(p);
    m_patterns->setPlainText(patterns.join(QLatin1Char('\n')));
    m_rank->setValue(static_cast<int>(m.lora.rank));
    m_alpha->setText(formatNumber(m.lora.alpha));
    m_dropout->setText(formatNumber(m.lora.dropout));
    QStringList targets;
    for (const auto& t : m.lora.targets)
        targets << qs(t);
    m_targets->setText(targets.join(QStringLiteral(", ")));
    m_rsLora->setChecked(m.lora.rsLora);
    m_adapterSize->setValue(static_cast<int>(m.adapter.size));
    setComboText(m_adapterActivation, m.adapter.activation);
    m_promptTokens->setValue(static_cast<int>(m.prompt.numVirtualTokens));
    setComboText(m_promptInit, m.prompt.init);
    m_promptText->setText(qs(m.prompt.text));

    const auto& t = c.training;
    setComboText(m_optimizer, t.optimizer);
    m_learningRate->setText(formatNumber(t.learningRate));
    m_maxSteps->setValue(static_cast<int>(t.maxSteps));
    m_batchSize->setValue(static_cast<int>(t.batchSize));
    m_accumulation->setValue(static_cast<int>(t.gradAccumulation));
    setComboText(m_schedule, t.schedule);
    m_warmup->setValue(static_cast<int>(t.warmupSteps));
    m_minLrRatio->setText(formatNumber(t.minLrRatio));
    m_weightDecay->setText(formatNumber(t.weightDecay));
    m_momentum->setText(formatNumber(t.momentum));
    m_clipNorm->setText(formatNumber(t.clipNorm));
    m_evalEvery->setValue(static_cast<int>(t.evalEvery));
    m_evalBatches->setValue(static_cast<int>(t.evalBatches));
    m_patience->setValue(static_cast<int>(t.earlyStoppingPatience));
    m_checkpointEvery->setValue(static_cast<int>(t.checkpointEvery));
    m_seed->setText(QString::number(static_cast<qulonglong>(t.seed)));
    setComboText(m_precision, t.precision);
    setComboText(m_device, t.device);
    m_threads->setValue(static_cast<int>(t.threads));
    m_maxLength->setValue(static_cast<int>(c.data.maxLength));
    setComboText(m_template, c.data.templateName);

    {
        const QSignalBlocker block(m_modelPath);
        m_modelPath->setEditText(qs(c.model));
    }
    m_filling = false;
    readModel(); // facts, tree, estimate
}

void MethodPanel::setDataConfig(const tb::train::DataConfig& data)
{
    m_filling = true;
    m_base.data = data;
    m_maxLength->setValue(static_cast<int>(data.maxLength));
    setComboText(m_template, data.templateName);
    m_filling = false;
    refresh();
}

void MethodPanel::setError(const QString& field, const QString& message)
{
    auto it = m_errors.find(field);
    if (it == m_errors.end())
        return;
    it->second->setText(message);
    it->second->setVisible(!message.isEmpty());
}

void MethodPanel::refresh()
{
    if (m_filling)
        return;
    for (auto& [field, label] : m_errors)
        setError(field, QString());
    QStringList problems;
    auto fail = [&](const QString& field, const QString& message) {
        setError(field, message);
        problems << message;
    };

    if (!m_model)
        fail(QStringLiteral("modelPath"), m_modelError.isEmpty() ? tr("Choose a base model") : m_modelError);

    auto checkNumber = [&](QLineEdit* e, double min, double max, bool minOpen, bool maxOpen, const QString& what) {
        const auto v = parseNumber(e->text());
        const bool ok = v && (minOpen ? *v > min : *v >= min) && (maxOpen ? *v < max : *v <= max);
        if (!ok) {
            QString range = QStringLiteral("%1%2, %3%4")
                                .arg(minOpen ? QStringLiteral("(") : QStringLiteral("["))
                                .arg(formatNumber(min))
                                .arg(std::isinf(max) ? QStringLiteral("∞") : formatNumber(max))
                                .arg(maxOpen ? QStringLiteral(")") : QStringLiteral("]"));
            fail(e->objectName(), tr("%1: expected a number in %2, found \"%3\"").arg(what, range, e->text()));
        }
        return ok;
    };
    const double inf = std::numeric_limits<double>::infinity();
    checkNumber(m_learningRate, 0, inf, true, true, tr("Learning rate"));
    checkNumber(m_minLrRatio, 0, 1, false, false, tr("Final LR ratio"));
    checkNumber(m_weightDecay, 0, inf, false, true, tr("Weight decay"));
    checkNumber(m_momentum, 0, 1, false, true, tr("Momentum"));
    checkNumber(m_clipNorm, 0, inf, false, true, tr("Gradient clipping"));
    if (m_warmup->value() > m_maxSteps->value())
        fail(m_warmup->objectName(), tr("Warm-up (%1 steps) is longer than the run (%2 steps)")
                                         .arg(m_warmup->value())
                                         .arg(m_maxSteps->value()));
    bool seedOk = false;
    m_seed->text().trimmed().toULongLong(&seedOk);
    if (!seedOk)
        fail(m_seed->objectName(), tr("Seed: expected a whole number ≥ 0, found \"%1\"").arg(m_seed->text()));
    static const QRegularExpression deviceRe(QStringLiteral("^(cpu|cuda(:\\d+)?)$"));
    if (!deviceRe.match(m_device->currentText().trimmed()).hasMatch())
        fail(m_device->objectName(),
             tr("Device: expected cpu, cuda or cuda:N, found \"%1\"").arg(m_device->currentText()));

    const auto choice = static_cast<Choice>(m_method->currentData().toInt());
    bool methodFieldsOk = true;
    if (choice == Selective) {
        if (!parseLayers(m_layers->text())) {
            fail(m_layers->objectName(), tr("Layers: expected ranges like \"0-3, 10\", found \"%1\"").arg(m_layers->text()));
            methodFieldsOk = false;
        }
        for (const QString& line : m_patterns->toPlainText().split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
            try {
                std::regex re(line.trimmed().toStdString());
            } catch (const std::regex_error&) {
                fail(m_patterns->objectName(), tr("Pattern \"%1\" is not a valid regular expression").arg(line));
                methodFieldsOk = false;
            }
        }
    } else if (choice == Lora) {
        methodFieldsOk = checkNumber(m_alpha, 0, inf, true, true, tr("Alpha")) &&
                         checkNumber(m_dropout, 0, 1, false, true, tr("Dropout"));
    } else if (choice == PromptTuning && m_promptInit->currentText() == QLatin1String("text") &&
               m_promptText->text().isEmpty()) {
        fail(m_promptText->objectName(), tr("Initialisation \"text\" needs a text"));
    }

    const auto config = runConfig();
    m_estimate.reset();
    if (m_model && methodFieldsOk) {
        try {
            m_estimate = peft::estimate(*m_model, config.method, config.training, config.data.maxLength);
        } catch (const std::exception& e) {
            fail(choice == Lora ? m_targets->objectName() : QStringLiteral("method"), qs(e.what()));
        }
    }
    if (m_estimate) {
        const auto& e = *m_estimate;
        m_trainable->setText(tr("Trainable: %1 of %2 parameters (%3 %)")
                                 .arg(countText(e.trainable), countText(e.total))
                                 .arg(100.0 * e.share(), 0, 'f', e.share() < 0.01 ? 3 : 2));
        const QLocale loc;
        auto size = [&](int64_t b) { return loc.formattedDataSize(b); };
        m_memory->setText(tr("Memory (estimate): %1 in total — weights %2, gradients %3, optimiser %4, "
                             "activations %5")
                              .arg(size(e.memory.total()), size(e.memory.weights), size(e.memory.gradients),
                                   size(e.memory.optimizer), size(e.memory.activations)));
    } else {
        m_trainable->setText(tr("Trainable: —"));
        m_memory->setText(tr("Memory (estimate): —"));
    }
    updateParameterChecks();

    if (config.data.train.empty())
        problems << tr("No training data: import files in the Dataset panel or load a RUN.json");
    if (problems.isEmpty()) {
        // Whatever the fields above do not check, the RUN.json reader does.
        try {
            train::parseRunConfig(train::toJson(config), tr("settings").toStdString());
        } catch (const std::exception& e) {
            problems << qs(e.what());
        }
    }
    m_problem = problems.isEmpty() ? QString() : problems.first();
    m_problemLabel->setText(m_problem.isEmpty() ? QString() : tr("Cannot start: %1").arg(m_problem));
    m_start->setEnabled(m_problem.isEmpty());
    m_start->setToolTip(m_problem.isEmpty() ? tr("Save the settings and start training") : m_problemLabel->text());
    Q_EMIT configChanged();
}

bool MethodPanel::saveConfig(const QString& path)
{
    if (!m_problem.isEmpty()) {
        m_problemLabel->setText(tr("Cannot save: %1").arg(m_problem));
        return false;
    }
    auto c = runConfig();
    // Absolute paths, so the file reads back the same from any folder.
    auto absolute = [](std::string& p) {
        if (!p.empty())
            p = fs::absolute(p).lexically_normal().string();
    };
    absolute(c.model);
    absolute(c.tokenizer);
    absolute(c.outputDir);
    for (auto* files : {&c.data.train, &c.data.validation})
        for (auto& f : *files)
            absolute(f.path);
    try {
        io::writeFileAtomic(path.toStdString(), train::toJson(c).dump(2) + "\n");
    } catch (const std::exception& e) {
        m_problemLabel->setText(tr("Cannot save: %1").arg(qs(e.what())));
        return false;
    }
    m_configPath = path;
    rememberModel(qs(c.model));
    return true;
}

bool MethodPanel::loadConfig(const QString& path)
{
    try {
        setRunConfig(train::readRunConfig(path.toStdString()));
    } catch (const std::exception& e) {
        m_problemLabel->setText(tr("Cannot load %1: %2").arg(path, qs(e.what())));
        return false;
    }
    m_configPath = path;
    return true;
}

void MethodPanel::openConfigDialog()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Load run configuration"), m_configPath,
                                                      tr("Run configuration (*.json)"));
    if (!path.isEmpty() && !loadConfig(path))
        QMessageBox::warning(this, tr("Cannot load run configuration"), m_problemLabel->text());
}

void MethodPanel::saveConfigDialog()
{
    const QString path = QFileDialog::getSaveFileName(this, tr("Save run configuration"),
                                                      m_configPath.isEmpty() ? autoConfigPath() : m_configPath,
                                                      tr("Run configuration (*.json)"));
    if (!path.isEmpty() && !saveConfig(path))
        QMessageBox::warning(this, tr("Cannot save run configuration"), m_problemLabel->text());
}

QString MethodPanel::autoConfigPath() const
{
    const QString dir = m_runsDir.isEmpty()
                            ? QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + QStringLiteral("/runs")
                            : m_runsDir;
    QDir().mkpath(dir);
    QString name = QString::fromStdString(runConfig().name);
    name.replace(QRegularExpression(QStringLiteral("[^A-Za-z0-9._-]+")), QStringLiteral("_"));
    return QDir(dir).filePath(name + QLatin1Char('-') +
                              QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss")) +
                              QStringLiteral(".json"));
}

void MethodPanel::start()
{
    refresh();
    if (!m_problem.isEmpty())
        return;
    const QString path = m_configPath.isEmpty() ? autoConfigPath() : m_configPath;
    if (saveConfig(path))
        Q_EMIT startRequested(path);
}

} // namespace tb::ui
