#include "ui/method/method_panel.h"

#include "common/cpu_features.h"
#include "common/error.h"
#include "io/atomic_file.h"
#include "peft/targets.h"
#include "ui/method/lora_target_picker.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QFrame>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
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
#include <QTabWidget>
#include <QThread>
#include <QTimer>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>
#include <climits>
#include <cmath>
#include <filesystem>

namespace fs = std::filesystem;

namespace tb::ui {

namespace {

const char* kRecentKey = "methodPanel/recentModels";
constexpr int kMaxRecent = 10;
constexpr int kModelReadDelayMs = 300; // typing in the model path: read once it pauses
// A highlighted field's own tooltip, put back when its problem is gone.
const char* kPlainToolTip = "tbPlainToolTip";

QString qs(const std::string& s) { return QString::fromStdString(s); }

QString countText(int64_t n) { return QLocale().toString(static_cast<qlonglong>(n)); }

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

} // namespace

MethodPanel::MethodPanel(QString runsDir, QWidget* parent) : QWidget(parent), m_runsDir(std::move(runsDir))
{
    m_modelTimer = new QTimer(this);
    m_modelTimer->setSingleShot(true);
    m_modelTimer->setInterval(kModelReadDelayMs);
    connect(m_modelTimer, &QTimer::timeout, this, &MethodPanel::readModel);

    auto* modelBox = new QGroupBox(tr("Base model"));
    buildModelGroup(modelBox);
    auto* methodBox = buildMethodGroup();
    auto* trainingBox = buildTrainingGroup();

    // Which file is shown and whether it has unsaved changes.
    m_configState = new QLabel;
    m_configState->setObjectName("configState");
    m_configState->setWordWrap(true);
    m_configState->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* left = new QVBoxLayout;
    left->addWidget(modelBox);
    left->addWidget(methodBox, 1);
    auto* right = new QVBoxLayout;
    right->addWidget(trainingBox);
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

    m_preview = new QPlainTextEdit;
    m_preview->setObjectName("runJsonPreview");
    m_preview->setReadOnly(true);
    m_preview->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_preview->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_preview->setToolTip(tr("The RUN.json that Save and Start write from these settings"));
    auto* tabs = new QTabWidget;
    tabs->setObjectName("methodTabs");
    tabs->setDocumentMode(true);
    tabs->addTab(scroll, tr("Settings"));
    tabs->addTab(m_preview, tr("RUN.json"));

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_configState);
    layout->addWidget(tabs, 1);
    layout->addWidget(buildFooter());

    fillFrom(train::RunConfig{}, true);
}

QWidget* MethodPanel::buildFooter()
{
    // Outside the scroll area: the estimate, the problems and Start stay in view.
    auto* footer = new QFrame;
    footer->setObjectName("estimateFooter");
    footer->setFrameShape(QFrame::StyledPanel);
    footer->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Maximum); // no taller than its text
    m_guidance = new QLabel(tr("Choose a model folder (Hugging Face or llama2.c) to see what will train"));
    m_guidance->setObjectName("modelGuidance");
    m_guidance->setWordWrap(true);
    m_trainable = new QLabel;
    m_trainable->setObjectName("trainableLabel");
    m_trainable->setWordWrap(true);
    m_trainable->setToolTip(tr("Parameters the optimiser updates, out of all parameters (base plus added ones)"));
    m_memory = new QLabel;
    m_memory->setObjectName("memoryLabel");
    m_memory->setToolTip(tr("A rough estimate of training memory: float32 weights, gradients and optimiser state "
                            "for the trainable parameters, and activations for one micro-batch"));
    m_memory->setWordWrap(true);

    m_problemLabel = new QLabel;
    m_problemLabel->setObjectName("problemLabel");
    m_problemLabel->setWordWrap(true);
    m_problemLabel->setStyleSheet(QStringLiteral("color: #c0392b"));
    m_problemList = new QListWidget;
    m_problemList->setObjectName("problemList");
    m_problemList->setToolTip(tr("Everything that keeps the run from starting; double-click one to go to its field"));
    m_problemList->setMaximumHeight(100);
    m_problemList->hide();
    connect(m_problemList, &QListWidget::itemActivated, this, [this](QListWidgetItem* item) {
        if (QWidget* w = m_form.widgetFor(item->data(Qt::UserRole).toString().toStdString()))
            w->setFocus(Qt::OtherFocusReason);
    });
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

    auto* v = new QVBoxLayout(footer);
    v->addWidget(m_guidance);
    v->addWidget(m_trainable);
    v->addWidget(m_memory);
    v->addWidget(m_problemList);
    v->addLayout(buttons);
    return footer;
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
    m_form.modelPath = new QComboBox;
    m_form.modelPath->setObjectName("modelPath");
    m_form.modelPath->setEditable(true);
    m_form.modelPath->setInsertPolicy(QComboBox::NoInsert);
    m_form.modelPath->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    m_form.modelPath->addItems(recentModels());
    m_form.modelPath->setEditText(QString());
    m_form.modelPath->setToolTip(tr("A Hugging Face model folder (config.json + safetensors) or a llama2.c .bin; "
                                    "the list holds recently used models"));
    m_form.modelPath->lineEdit()->setPlaceholderText(tr("model folder or .bin"));
    auto* browse = new QPushButton(tr("&Browse…"));
    browse->setObjectName("browseModel");
    connect(browse, &QPushButton::clicked, this, &MethodPanel::browseModel);
    connect(m_form.modelPath, &QComboBox::editTextChanged, this, &MethodPanel::readModelSoon);
    connect(m_form.modelPath, &QComboBox::activated, this, &MethodPanel::flushModelRead); // picked from the list
    auto* pathRow = new QHBoxLayout;
    pathRow->addWidget(TB_WITH_ERROR(m_form.modelPath), 1);
    pathRow->addWidget(browse);

    auto* facts = new QFormLayout;
    facts->setRowWrapPolicy(QFormLayout::WrapLongRows);
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

    m_form.name = edit("runName", tr("Shown in the run history; default: <model folder>-<method>"));
    m_form.tokenizer = edit("tokenizer", tr("Tokenizer file or folder; default: the one in the model folder"));
    m_form.tokenizer->setPlaceholderText(tr("from the model folder"));
    m_form.outputDir = edit("outputDir", tr("Where checkpoints and the trained adapter or model go; "
                                            "default: a folder per run beside the run store"));
    m_form.outputDir->setPlaceholderText(tr("default"));
    for (auto* e : {m_form.name, m_form.tokenizer, m_form.outputDir})
        connect(e, &QLineEdit::textChanged, this, &MethodPanel::refresh);
    auto* names = new QFormLayout;
    names->setRowWrapPolicy(QFormLayout::WrapLongRows);
    names->addRow(tr("Run name"), m_form.name);
    names->addRow(tr("Tokenizer"), m_form.tokenizer);
    names->addRow(tr("Output folder"), m_form.outputDir);

    auto* v = new QVBoxLayout(box);
    v->addLayout(pathRow);
    v->addLayout(facts);
    v->addLayout(names);
}

QWidget* MethodPanel::buildMethodGroup()
{
    auto* box = new QGroupBox(tr("Method"));
    m_form.method = new QComboBox;
    m_form.method->setObjectName("method");
    m_form.method->addItem(tr("Full fine-tuning"), Full);
    m_form.method->addItem(tr("Instruction tuning (full, loss on responses)"), Instruction);
    m_form.method->addItem(tr("Selective (BitFit, norms, layers, patterns)"), Selective);
    m_form.method->addItem(tr("LoRA"), Lora);
    m_form.method->addItem(tr("Bottleneck adapters"), Adapter);
    m_form.method->addItem(tr("Prompt tuning"), PromptTuning);
    m_form.method->setToolTip(tr("How the base model is adapted"));
    m_explanation = new QLabel;
    m_explanation->setObjectName("methodExplanation");
    m_explanation->setWordWrap(true);
    m_pages = new QStackedWidget;
    m_pages->setObjectName("methodPages");

    // Full and Instruction have no settings of their own: the explanation says it all.
    m_pages->addWidget(new QWidget);
    m_pages->addWidget(new QWidget);

    // Selective
    auto* selective = new QWidget;
    m_form.biases = new QCheckBox(tr("Biases (BitFit)"));
    m_form.biases->setObjectName("selectiveBiases");
    m_form.norms = new QCheckBox(tr("Normalisation weights"));
    m_form.norms->setObjectName("selectiveNorms");
    m_form.embeddings = new QCheckBox(tr("Embeddings"));
    m_form.embeddings->setObjectName("selectiveEmbeddings");
    m_form.head = new QCheckBox(tr("Output head"));
    m_form.head->setObjectName("selectiveHead");
    m_form.head->setToolTip(tr("The output projection; with tied embeddings this is the token embedding itself"));
    m_form.layers = edit("selectiveLayers", tr("Blocks whose weights all train, e.g. \"0-3, 10\" (inclusive)"));
    m_form.layers->setPlaceholderText(tr("e.g. 0-3, 10"));
    m_form.patterns = new QPlainTextEdit;
    m_form.patterns->setObjectName("selectivePatterns");
    m_form.patterns->setToolTip(tr("Regular expressions (one per line) searched in parameter names; "
                                   "ticking a parameter below adds its exact name"));
    m_form.patterns->setMaximumHeight(70);
    m_tree = new QTreeWidget;
    m_tree->setObjectName("parameterTree");
    m_tree->setHeaderLabels({tr("Parameter"), tr("Shape"), tr("Count")});
    m_tree->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_tree->setToolTip(tr("Ticked parameters train. Ticking one adds its exact name as a pattern; "
                          "a parameter chosen by a rule above stays ticked"));
    auto* flags = new QGridLayout; // two by two: the German labels do not fit in one row
    int flag = 0;
    for (auto* c : {m_form.biases, m_form.norms, m_form.embeddings, m_form.head}) {
        flags->addWidget(c, flag / 2, flag % 2);
        ++flag;
        connect(c, &QCheckBox::toggled, this, &MethodPanel::refresh);
    }
    connect(m_form.layers, &QLineEdit::textChanged, this, &MethodPanel::refresh);
    connect(m_form.patterns, &QPlainTextEdit::textChanged, this, &MethodPanel::refresh);
    connect(m_tree, &QTreeWidget::itemChanged, this, &MethodPanel::onParameterToggled);
    auto* selForm = new QFormLayout;
    selForm->setRowWrapPolicy(QFormLayout::WrapLongRows);
    selForm->addRow(tr("Layers"), TB_WITH_ERROR(m_form.layers));
    selForm->addRow(tr("Patterns"), TB_WITH_ERROR(m_form.patterns));
    auto* sv = new QVBoxLayout(selective);
    sv->setContentsMargins(0, 0, 0, 0);
    sv->addLayout(flags);
    sv->addLayout(selForm);
    sv->addWidget(m_tree, 1);
    m_pages->addWidget(selective);

    // LoRA
    auto* lora = new QWidget;
    m_form.rank = spin("loraRank", 1, tr("r: the rank of the update B·A; trainable parameters grow linearly with it"));
    m_form.alpha = edit("loraAlpha", tr("The update is scaled by alpha/r (alpha/√r with rank-stabilised scaling)"));
    m_form.dropout = edit("loraDropout", tr("Dropout on the LoRA input during training, in [0, 1)"));
    m_form.targets = edit("loraTargets", tr("Module names LoRA attaches to, comma separated; a name matches a "
                                            "module path exactly or as its last components. "
                                            "Empty: the family default"));
    m_form.rsLora = new QCheckBox(tr("Rank-stabilised scaling (rsLoRA)"));
    m_form.rsLora->setObjectName("loraRs");
    m_targetPicker = new LoraTargetPicker;
    m_targetPicker->setObjectName("loraTargetPicker");
    m_targetPicker->setToolTip(tr("Tick the projections LoRA attaches to; the field below holds the same list"));
    connect(m_targetPicker, &LoraTargetPicker::targetsEdited, this,
            [this](const QStringList& targets) { m_form.targets->setText(targets.join(QStringLiteral(", "))); });
    connect(m_form.targets, &QLineEdit::textChanged, this,
            [this](const QString& text) { m_targetPicker->setTargets(RunConfigForm::targetList(text)); });
    connect(m_form.rank, &QSpinBox::valueChanged, this, &MethodPanel::refresh);
    for (auto* e : {m_form.alpha, m_form.dropout, m_form.targets})
        connect(e, &QLineEdit::textChanged, this, &MethodPanel::refresh);
    connect(m_form.rsLora, &QCheckBox::toggled, this, &MethodPanel::refresh);
    auto* lf = new QFormLayout(lora);
    lf->setRowWrapPolicy(QFormLayout::WrapLongRows);
    lf->addRow(tr("Rank"), m_form.rank);
    lf->addRow(tr("Alpha"), TB_WITH_ERROR(m_form.alpha));
    lf->addRow(tr("Dropout"), TB_WITH_ERROR(m_form.dropout));
    lf->addRow(tr("Targets"), m_targetPicker);
    lf->addRow(tr("Target names"), TB_WITH_ERROR(m_form.targets));
    lf->addRow(QString(), m_form.rsLora);
    m_pages->addWidget(lora);

    // Adapters
    auto* adapter = new QWidget;
    m_form.adapterSize = spin("adapterSize", 1, tr("Bottleneck width of each adapter (one after attention, one after "
                                                   "the MLP of every block)"));
    m_form.adapterActivation = combo("adapterActivation", {"relu", "gelu", "silu", "tanh"},
                                     tr("Non-linearity inside the bottleneck"));
    connect(m_form.adapterSize, &QSpinBox::valueChanged, this, &MethodPanel::refresh);
    connect(m_form.adapterActivation, &QComboBox::currentIndexChanged, this, &MethodPanel::refresh);
    auto* af = new QFormLayout(adapter);
    af->setRowWrapPolicy(QFormLayout::WrapLongRows);
    af->addRow(tr("Size"), m_form.adapterSize);
    af->addRow(tr("Activation"), m_form.adapterActivation);
    m_pages->addWidget(adapter);

    // Prompt tuning
    auto* prompt = new QWidget;
    m_form.promptTokens = spin("promptTokens", 1, tr("Length of the trainable soft prompt prepended to every example"));
    m_form.promptInit = combo("promptInit", {"random", "vocab", "text"},
                              tr("random: scaled noise; vocab: embeddings of random vocabulary tokens; "
                                 "text: the embeddings of the text below, repeated to fill"));
    m_form.promptText = edit("promptText", tr("Initial text for init \"text\""));
    connect(m_form.promptTokens, &QSpinBox::valueChanged, this, &MethodPanel::refresh);
    connect(m_form.promptInit, &QComboBox::currentIndexChanged, this, &MethodPanel::refresh);
    connect(m_form.promptText, &QLineEdit::textChanged, this, &MethodPanel::refresh);
    auto* pf = new QFormLayout(prompt);
    pf->setRowWrapPolicy(QFormLayout::WrapLongRows);
    pf->addRow(tr("Virtual tokens"), m_form.promptTokens);
    pf->addRow(tr("Initialisation"), m_form.promptInit);
    pf->addRow(tr("Text"), TB_WITH_ERROR(m_form.promptText));
    m_pages->addWidget(prompt);

    connect(m_form.method, &QComboBox::currentIndexChanged, this, [this](int i) {
        m_previousChoice = m_shownChoice;
        m_shownChoice = i;
        m_pages->setCurrentIndex(i);
        updateExplanation();
        refresh();
    });
    // Only a choice the user makes brings the method's defaults, not a loaded RUN.json.
    connect(m_form.method, &QComboBox::activated, this, &MethodPanel::applyMethodDefaults);
    auto* methodError = new QLabel;
    methodError->setObjectName("methodError");
    methodError->setStyleSheet(QStringLiteral("color: #c0392b"));
    methodError->setWordWrap(true);
    methodError->hide();
    m_errors[QStringLiteral("method")] = methodError;

    auto* v = new QVBoxLayout(box);
    v->addWidget(m_form.method);
    v->addWidget(m_explanation);
    v->addWidget(m_pages, 1);
    v->addWidget(methodError);
    return box;
}

double MethodPanel::defaultLearningRate(Choice choice)
{
    switch (choice) {
    case Full:
    case Instruction: return 2e-5;   // every weight moves: small steps
    case Selective: return 5e-4;     // BitFit (Ben Zaken et al. 2022) searched 1e-4..1e-3
    case Lora: return 2e-4;          // the usual LoRA rate
    case Adapter: return 1e-4;       // bottleneck adapters (Houlsby et al. 2019 swept 3e-5..3e-3)
    case PromptTuning: return 3e-2;  // soft prompts need large steps (Lester et al. 2021 used 0.3)
    }
    return 2e-4;
}

void MethodPanel::applyMethodDefaults(int choice)
{
    const int previous = m_previousChoice >= 0 ? m_previousChoice : choice;
    const auto rate = m_form.learningRate->text().trimmed().toDouble();
    const double previousDefault = defaultLearningRate(Choice(previous));
    if (m_form.learningRate->text().trimmed().isEmpty() || std::abs(rate - previousDefault) <= 1e-12 * previousDefault)
        m_form.learningRate->setText(QString::number(defaultLearningRate(Choice(choice)), 'g', 6));
    if (choice == Selective && !m_form.biases->isChecked() && !m_form.norms->isChecked() &&
        !m_form.embeddings->isChecked() && !m_form.head->isChecked() && m_form.layers->text().trimmed().isEmpty() &&
        m_form.patterns->toPlainText().trimmed().isEmpty())
        m_form.biases->setChecked(true);
    // LoRA with no targets chosen: the attention projections the family usually gets (q/v, GPT-2's c_attn).
    if (choice == Lora && m_model && m_form.targets->text().trimmed().isEmpty()) {
        QStringList defaults;
        for (const auto& t : peft::defaultLoraTargets(*m_model))
            defaults << qs(t);
        m_form.targets->setText(defaults.join(QStringLiteral(", ")));
    }
    refresh();
}

void MethodPanel::updateExplanation()
{
    QString text;
    switch (static_cast<Choice>(m_form.method->currentData().toInt())) {
    case Full:
        text = tr("Every weight of the model trains, and the loss covers every token, prompt included. "
                  "Saves a complete model and needs the most memory: choose it for small models or a new kind "
                  "of text.");
        break;
    case Instruction:
        text = tr("Every weight trains on prompt/response pairs, but the loss covers only the responses, so the "
                  "model learns to answer. Saves a complete model; memory as for full fine-tuning.");
        break;
    case Selective:
        text = tr("Only what you tick trains (for example just the biases, known as BitFit, or a few blocks); "
                  "the rest stays frozen. Saves only the trained tensors: a cheap first try.");
        break;
    case Lora:
        text = tr("The base model stays frozen; small low-rank matrices beside the chosen projections train. "
                  "Saves a small adapter: the usual choice when memory is short.");
        break;
    case Adapter:
        text = tr("The base model stays frozen; a small bottleneck layer after the attention and the MLP of every "
                  "block trains. Saves a small adapter, at a cost similar to LoRA.");
        break;
    case PromptTuning:
        text = tr("The model stays frozen; only a few learned vectors put before every example train. "
                  "Saves a tiny file: the cheapest method, best with larger models and simple tasks.");
        break;
    }
    m_explanation->setText(text);
}

QWidget* MethodPanel::buildTrainingGroup()
{
    auto* box = new QGroupBox(tr("Training"));
    m_form.optimizer = combo("optimizer", {"adamw", "sgd"},
                             tr("AdamW (no weight decay on biases and norms) or plain SGD with optional momentum"));
    m_form.learningRate = edit("learningRate", tr("Peak learning rate, e.g. 2e-4 for LoRA, 1e-5 to 5e-5 for full "
                                                  "fine-tuning of large models"));
    m_form.maxSteps = spin("maxSteps", 1, tr("Optimiser steps to run. One step sees batch × accumulation examples; "
                                             "an epoch is (training examples) / (batch × accumulation) steps"));
    m_form.batchSize = spin("batchSize", 1, tr("Examples per micro-batch; activation memory grows with it"));
    m_form.accumulation = spin("gradAccumulation", 1, tr("Micro-batches per optimiser step: a larger effective batch "
                                                         "without more memory"));
    m_form.schedule = combo("schedule", {"constant", "linear", "cosine"},
                            tr("How the learning rate decays after warm-up"));
    m_form.warmup = spin("warmupSteps", 0, tr("Steps of linear warm-up from 0 to the peak learning rate"));
    m_form.minLrRatio = edit("minLrRatio", tr("Where linear/cosine decay ends, as a share of the peak (0 to 1)"));
    m_form.weightDecay = edit("weightDecay", tr("AdamW decoupled weight decay; never applied to biases and norms"));
    m_form.momentum = edit("momentum", tr("SGD momentum (0 = none)"));
    m_form.clipNorm = edit("clipNorm", tr("Clip the global gradient norm to this value (0 = off)"));
    m_form.maxLength = spin("maxLength", 2, tr("Tokens per example; longer examples are truncated"));
    m_form.templateName = combo("template", {"alpaca", "chatml", "plain"},
                            tr("How prompt/response records become text: Alpaca, ChatML or plain prompt\\nresponse"));
    m_form.evalEvery = spin("evalEvery", 0, tr("Validation loss every N steps (0 = only at the end)"));
    m_form.evalBatches = spin("evalBatches", 0, tr("Validation batches per evaluation (0 = the whole validation set)"));
    m_form.patience = spin("earlyStopping", 0, tr("Stop after N evaluations without improvement (0 = off)"));
    m_form.checkpointEvery = spin("checkpointEvery", 0, tr("Resumable checkpoint every N steps (0 = only at the end)"));
    m_form.seed = edit("seed", tr("Seed for data order, initialisation and dropout; "
                                  "the same seed repeats a run exactly"));
    m_form.precision = combo("precision", {"auto", "f32", "bf16"},
                             tr("auto: bf16 on CUDA and on CPUs with AMX-BF16 or AVX512-BF16, else f32; "
                                "bf16 is autocast mixed precision with float32 master weights"));
    m_precisionChoice = new QLabel;
    m_precisionChoice->setObjectName("precisionChoice");
    m_precisionChoice->setWordWrap(true);
    m_form.device = combo("device", {"cpu", "cuda", "cuda:0", "cuda:1"}, tr("Where to train: cpu, cuda or cuda:N"));
    m_form.device->setEditable(true);
    m_form.threads = spin("threads", 0, tr("Intra-op CPU threads (0 = LibTorch's default)"));
    m_form.threads->setMaximum(4096);
    m_form.processes = spin("processes", 1,
                            tr("Data-parallel processes on this machine. Each uses cores / processes threads "
                               "(unless Threads is set), and the batch size is per process: 2 processes × batch 4 "
                               "train like 1 × batch 8"));
    m_form.processes->setMaximum(std::max(1, QThread::idealThreadCount()));
    m_form.gradientCheckpointing = new QComboBox;
    m_form.gradientCheckpointing->setObjectName("gradientCheckpointing");
    m_form.gradientCheckpointing->addItem(tr("auto"), QStringLiteral("auto"));
    m_form.gradientCheckpointing->addItem(tr("on"), QStringLiteral("true"));
    m_form.gradientCheckpointing->addItem(tr("off"), QStringLiteral("false"));
    m_form.gradientCheckpointing->setToolTip(
        tr("Recompute each block's activations in the backward pass: less memory, about a third more time. "
           "auto: on when the memory estimate exceeds the memory available"));

    for (auto* s : {m_form.maxSteps, m_form.batchSize, m_form.accumulation, m_form.warmup, m_form.maxLength,
                    m_form.evalEvery, m_form.evalBatches,
                    m_form.patience, m_form.checkpointEvery, m_form.threads, m_form.processes})
        connect(s, &QSpinBox::valueChanged, this, &MethodPanel::refresh);
    for (auto* e : {m_form.learningRate, m_form.minLrRatio, m_form.weightDecay, m_form.momentum, m_form.clipNorm,
                    m_form.seed})
        connect(e, &QLineEdit::textChanged, this, &MethodPanel::refresh);
    for (auto* c : {m_form.optimizer, m_form.schedule, m_form.templateName, m_form.precision,
                    m_form.gradientCheckpointing})
        connect(c, &QComboBox::currentIndexChanged, this, &MethodPanel::refresh);
    connect(m_form.device, &QComboBox::editTextChanged, this, &MethodPanel::refresh);

    auto* f = new QFormLayout(box);
    f->setRowWrapPolicy(QFormLayout::WrapLongRows);
    f->addRow(tr("Optimiser"), m_form.optimizer);
    f->addRow(tr("Learning rate"), TB_WITH_ERROR(m_form.learningRate));
    f->addRow(tr("Steps"), m_form.maxSteps);
    f->addRow(tr("Batch size"), m_form.batchSize);
    f->addRow(tr("Accumulation"), m_form.accumulation);
    f->addRow(tr("Schedule"), m_form.schedule);
    f->addRow(tr("Warm-up steps"), TB_WITH_ERROR(m_form.warmup));
    f->addRow(tr("Final LR ratio"), TB_WITH_ERROR(m_form.minLrRatio));
    f->addRow(tr("Weight decay"), TB_WITH_ERROR(m_form.weightDecay));
    f->addRow(tr("Momentum"), TB_WITH_ERROR(m_form.momentum));
    f->addRow(tr("Gradient clipping"), TB_WITH_ERROR(m_form.clipNorm));
    f->addRow(tr("Max length"), m_form.maxLength);
    f->addRow(tr("Prompt template"), m_form.templateName);
    f->addRow(tr("Validate every"), m_form.evalEvery);
    f->addRow(tr("Validation batches"), m_form.evalBatches);
    f->addRow(tr("Early stopping"), m_form.patience);
    f->addRow(tr("Checkpoint every"), m_form.checkpointEvery);
    f->addRow(tr("Seed"), TB_WITH_ERROR(m_form.seed));
    f->addRow(tr("Precision"), TB_WITH_ERROR(m_form.precision));
    f->addRow(QString(), m_precisionChoice);
    f->addRow(tr("Device"), TB_WITH_ERROR(m_form.device));
    f->addRow(tr("Threads"), TB_WITH_ERROR(m_form.threads));
    f->addRow(tr("Processes"), TB_WITH_ERROR(m_form.processes));
    f->addRow(tr("Gradient checkpointing"), TB_WITH_ERROR(m_form.gradientCheckpointing));
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
    const QString current = m_form.modelPath->currentText();
    const QSignalBlocker block(m_form.modelPath);
    m_form.modelPath->clear();
    m_form.modelPath->addItems(recent);
    m_form.modelPath->setEditText(current);
}

void MethodPanel::browseModel()
{
    const QString dir =
        QFileDialog::getExistingDirectory(this, tr("Choose a model folder"), m_form.modelPath->currentText());
    if (dir.isEmpty())
        return;
    setModelPath(dir);
    if (m_model)
        rememberModel(dir);
}

void MethodPanel::setModelPath(const QString& path)
{
    {
        const QSignalBlocker block(m_form.modelPath);
        m_form.modelPath->setEditText(path);
    }
    m_modelTimer->stop();
    readModel();
}

void MethodPanel::readModelSoon()
{
    refresh(); // the path is part of RUN.json at once; its facts follow when typing pauses
    m_modelTimer->start();
}

void MethodPanel::flushModelRead()
{
    if (m_modelTimer->isActive()) {
        m_modelTimer->stop();
        readModel();
    }
}

namespace {

// When a model's facts last changed: config.json (or the llama2.c file) and
// the folder itself (weights added or removed). Invalid when there is nothing.
QDateTime modelStamp(const QString& path)
{
    const QFileInfo info(path);
    if (!info.exists())
        return {};
    if (!info.isDir())
        return info.lastModified();
    const QFileInfo config(QDir(path).filePath(QStringLiteral("config.json")));
    return config.exists() ? std::max(info.lastModified(), config.lastModified()) : info.lastModified();
}

} // namespace

void MethodPanel::readModel()
{
    m_modelTimer->stop();
    const QString path = m_form.modelPath->currentText().trimmed();
    m_model.reset();
    m_modelError.clear();
    if (!path.isEmpty()) { // no path at all is validate()'s to report
        const QDateTime stamp = modelStamp(path);
        auto cached = m_modelCache.find(path);
        if (cached == m_modelCache.end() || !stamp.isValid() || cached->second.stamp != stamp) {
            ReadModel read{stamp, std::nullopt, QString()};
            ++m_modelReads;
            try {
                read.config = model::readModelConfig(path.toStdString());
            } catch (const std::exception& e) {
                read.error = qs(e.what());
            }
            cached = m_modelCache.insert_or_assign(path, std::move(read)).first;
        }
        m_model = cached->second.config;
        m_modelError = cached->second.error;
    }
    const QLocale loc;
    auto set = [this](const char* key, const QString& text) { m_facts[QLatin1String(key)]->setText(text); };
    QStringList modules, defaults;
    if (m_model) {
        const auto& c = *m_model;
        const int64_t n = c.parameterCount();
        set("factFamily", c.familyName() == c.modelType ? qs(c.modelType)
                                                        : tr("%1 (%2)").arg(qs(c.familyName()), qs(c.modelType)));
        set("factParameters", tr("%1 (%2 M)").arg(countText(n), loc.toString(static_cast<double>(n) / 1e6, 'f', 2)));
        set("factVocabulary", countText(c.vocabSize));
        set("factContext", countText(c.maxPositions));
        set("factLayers", countText(c.numLayers));
        set("factHidden", countText(c.hiddenSize));
        set("factHeads", c.numKvHeads && c.numKvHeads != c.numHeads
                             ? tr("%1 (%2 key/value)").arg(countText(c.numHeads), countText(c.numKvHeads))
                             : countText(c.numHeads));
        set("factDtype", qs(c.storageDType) + (c.tieEmbeddings ? tr(", tied embeddings") : QString()));
        for (const auto& p : peft::projectionList(c))
            modules << qs(p.path);
        for (const auto& t : peft::defaultLoraTargets(c))
            defaults << qs(t);
        m_form.targets->setPlaceholderText(tr("default: %1").arg(defaults.join(QStringLiteral(", "))));
    } else {
        for (auto& [key, label] : m_facts)
            label->setText(QStringLiteral("—"));
        m_form.targets->setPlaceholderText(tr("default for the model family"));
    }
    m_targetPicker->setModules(modules, defaults);
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
    QStringList lines = m_form.patterns->toPlainText().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    if (item->checkState(0) == Qt::Checked) {
        if (!lines.contains(pattern))
            lines << pattern;
    } else {
        lines.removeAll(pattern);
    }
    m_form.patterns->setPlainText(lines.join(QLatin1Char('\n'))); // refresh() recomputes the ticks
}

tb::train::RunConfig MethodPanel::runConfig() const { return m_form.read(m_base).config; }

void MethodPanel::setRunConfig(const tb::train::RunConfig& c) { fillFrom(c, false); }

// Every widget from `c`; with `clean`, what they now show counts as saved.
void MethodPanel::fillFrom(const tb::train::RunConfig& c, bool clean)
{
    m_filling = true;
    m_base = c;
    m_form.fill(c);
    m_pages->setCurrentIndex(m_form.method->currentIndex());
    m_shownChoice = m_form.method->currentIndex();
    m_previousChoice = -1;
    updateExplanation();
    if (clean) // before readModel()'s refresh, so the state does not flicker through "modified"
        m_cleanJson = train::toJson(runConfig()).dump();
    m_filling = false;
    readModel(); // facts, tree, estimate, modified state
}

void MethodPanel::restoreDraft(const tb::train::RunConfig& config, const QString& originPath)
{
    m_configPath = originPath;
    m_cleanJson.clear(); // a draft is unsaved by definition, whatever the file now holds
    fillFrom(config, false);
}

void MethodPanel::markClean()
{
    m_cleanJson = train::toJson(runConfig()).dump();
    updateModified();
}

bool MethodPanel::isModified() const { return m_cleanJson.empty() || train::toJson(runConfig()).dump() != m_cleanJson; }

QString MethodPanel::configDisplayName() const
{
    return m_configPath.isEmpty() ? qs(runConfig().name) : QFileInfo(m_configPath).fileName();
}

void MethodPanel::updateModified()
{
    const bool modified = isModified();
    const bool changed = modified != m_modified;
    m_modified = modified;
    updateConfigState();
    if (changed)
        Q_EMIT modifiedChanged(modified);
}

void MethodPanel::updateConfigState()
{
    QString text;
    if (m_configPath.isEmpty())
        text = tr("New configuration “%1” — not saved yet").arg(configDisplayName());
    else if (m_modified)
        text = tr("%1 — unsaved changes").arg(configDisplayName());
    else
        text = tr("%1 — saved").arg(configDisplayName());
    m_configState->setText(text);
    m_configState->setToolTip(m_configPath.isEmpty() ? tr("Start saves it into the runs folder") : m_configPath);
    QFont f = m_configState->font();
    f.setItalic(m_modified);
    m_configState->setFont(f);
}

void MethodPanel::updatePreview(const tb::train::RunConfig& config)
{
    const QString text = qs(train::toJson(config).dump(2));
    if (text != m_preview->toPlainText()) // keep the scroll position while nothing changed
        m_preview->setPlainText(text);
}

void MethodPanel::setDataConfig(const tb::train::DataConfig& data)
{
    m_filling = true;
    m_base.data = data;
    m_form.fillData(data);
    m_filling = false;
    refresh();
}

void MethodPanel::refresh()
{
    if (m_filling)
        return;
    const auto reading = m_form.read(m_base);
    const auto& config = reading.config;
    // A model path that is there but unreadable; validate() only knows whether one is given.
    std::vector<train::ConfigProblem> problems;
    if (!m_modelError.isEmpty())
        problems.push_back({"model", m_modelError.toStdString()});
    problems.insert(problems.end(), reading.problems.begin(), reading.problems.end());
    for (auto& p : train::validate(config))
        problems.push_back(std::move(p));

    // The estimate needs the chosen method's own settings to be what the form shows.
    const auto choice = static_cast<Choice>(m_form.method->currentData().toInt());
    const std::string section = choice == Selective      ? "method.selective"
                                : choice == Lora         ? "method.lora"
                                : choice == Adapter      ? "method.adapter"
                                : choice == PromptTuning ? "method.prompt_tuning"
                                                         : "method";
    const bool methodOk = std::none_of(problems.begin(), problems.end(), [&](const train::ConfigProblem& p) {
        return p.key == "method" || p.key.rfind(section, 0) == 0;
    });
    m_estimate.reset();
    if (m_model && methodOk) {
        try {
            m_estimate = train::estimate(*m_model, config.method, config.training, config.data.maxLength);
        } catch (const std::exception& e) {
            // Settings that are valid on their own but do not fit this model (targets it lacks).
            problems.push_back({choice == Lora ? "method.lora.targets" : "method", e.what()});
        }
    }
    if (m_estimate) {
        const auto& e = *m_estimate;
        const QLocale loc;
        m_trainable->setText(tr("Trainable: %1 of %2 parameters (%3 %)")
                                 .arg(countText(e.trainable), countText(e.total),
                                      loc.toString(100.0 * e.share(), 'f', e.share() < 0.01 ? 3 : 2)));
        auto size = [&](int64_t b) { return loc.formattedDataSize(b); };
        m_memory->setText(tr("Memory (estimate): %1 in total — weights %2, gradients %3, optimiser %4, "
                             "activations %5")
                              .arg(size(e.memory.total()), size(e.memory.weights), size(e.memory.gradients),
                                   size(e.memory.optimizer), size(e.memory.activations)));
    } else {
        m_trainable->setText(tr("Trainable: —"));
        m_memory->setText(tr("Memory (estimate): —"));
    }
    const bool noModel = config.model.empty();
    m_guidance->setVisible(noModel);
    m_trainable->setVisible(!noModel);
    m_memory->setVisible(!noModel);
    m_precisionChoice->setText(tr("Trains in %1")
                                   .arg(QString::fromStdString(precisionExplanation(config.training.precision,
                                                                                    config.training.device))));
    updateParameterChecks();
    showProblems(problems);
    updatePreview(config);
    updateModified();
    Q_EMIT configChanged();
}

void MethodPanel::clearMarks()
{
    for (QWidget* w : m_marked) {
        w->setStyleSheet(QString());
        w->setToolTip(w->property(kPlainToolTip).toString());
    }
    m_marked.clear();
    for (auto& [field, label] : m_errors) {
        label->clear();
        label->hide();
    }
}

void MethodPanel::showProblems(const std::vector<tb::train::ConfigProblem>& problems)
{
    clearMarks();
    m_problemList->clear();
    for (const auto& p : problems) {
        const QString message = qs(p.message);
        auto* item = new QListWidgetItem(message, m_problemList);
        item->setData(Qt::UserRole, qs(p.key));
        QWidget* w = m_form.widgetFor(p.key);
        if (!w)
            continue; // shown nowhere here (data files): the list says it
        if (std::find(m_marked.begin(), m_marked.end(), w) == m_marked.end()) {
            if (!w->property(kPlainToolTip).isValid())
                w->setProperty(kPlainToolTip, w->toolTip());
            // The class selector keeps the border off the widget's children (a combo's line edit).
            w->setStyleSheet(QStringLiteral("%1 { border: 1px solid #c0392b; }")
                                 .arg(QLatin1String(w->metaObject()->className())));
            w->setToolTip(message);
            m_marked.push_back(w);
        } else {
            w->setToolTip(w->toolTip() + QLatin1Char('\n') + message);
        }
        if (auto it = m_errors.find(w->objectName()); it != m_errors.end()) {
            QLabel* label = it->second;
            label->setText(label->text().isEmpty() ? message : label->text() + QLatin1Char('\n') + message);
            label->show();
        }
    }
    m_problemList->setVisible(problems.size() > 1); // a single problem reads fine in the label below
    m_problem = problems.empty() ? QString() : qs(problems.front().message);
    m_problemLabel->setText(m_problem.isEmpty() ? QString() : tr("Cannot start: %1").arg(m_problem));
    m_start->setEnabled(m_problem.isEmpty());
    m_start->setToolTip(m_problem.isEmpty() ? tr("Save the settings and start training") : m_problemLabel->text());
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
    markClean(); // what the widgets show, relative paths and all
    return true;
}

bool MethodPanel::loadConfig(const QString& path)
{
    train::RunConfig config;
    try {
        config = train::readRunConfig(path.toStdString());
    } catch (const std::exception& e) {
        m_problemLabel->setText(tr("Cannot load %1: %2").arg(path, qs(e.what())));
        return false;
    }
    m_configPath = path;
    fillFrom(config, true);
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
    flushModelRead();
    refresh();
    if (!m_problem.isEmpty())
        return;
    const QString path = m_configPath.isEmpty() ? autoConfigPath() : m_configPath;
    if (saveConfig(path))
        Q_EMIT startRequested(path);
}

} // namespace tb::ui
