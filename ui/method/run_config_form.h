#pragma once
// The Method panel's widgets that show a RunConfig, and the mapping between
// the two: fill() puts a RunConfig into the widgets, read() takes it back.
// MethodPanel builds the widgets and lays them out; it never converts a value
// itself. Which values are allowed is train::validate()'s business: read()
// only reports text that is not a value at all ("abc" as a learning rate).
#include "train/run_config.h"
#include "train/validate.h"

#include <QCoreApplication>
#include <QStringList>

#include <string>
#include <vector>

class QCheckBox;
class QComboBox;
class QLineEdit;
class QPlainTextEdit;
class QSpinBox;
class QWidget;

namespace tb::ui {

// The run name used when the form leaves it empty: "<model folder>-<method>"
// ("gpt2-lora", "smollm-bitfit" for selective tuning of the biases alone).
std::string automaticRunName(const std::string& model, int choice /* MethodPanel::Choice */, bool onlyBiases);

struct RunConfigForm {
    Q_DECLARE_TR_FUNCTIONS(RunConfigForm)

public:
    // Model
    QComboBox* modelPath = nullptr;
    QLineEdit* name = nullptr;
    QLineEdit* tokenizer = nullptr;
    QLineEdit* outputDir = nullptr;

    // Method (the combo's item data is a MethodPanel::Choice)
    QComboBox* method = nullptr;
    QCheckBox* biases = nullptr;
    QCheckBox* norms = nullptr;
    QCheckBox* embeddings = nullptr;
    QCheckBox* head = nullptr;
    QLineEdit* layers = nullptr;
    QPlainTextEdit* patterns = nullptr;
    QSpinBox* rank = nullptr;
    QLineEdit* alpha = nullptr;
    QLineEdit* dropout = nullptr;
    QLineEdit* targets = nullptr;
    QCheckBox* rsLora = nullptr;
    QSpinBox* adapterSize = nullptr;
    QComboBox* adapterActivation = nullptr;
    QSpinBox* promptTokens = nullptr;
    QComboBox* promptInit = nullptr;
    QLineEdit* promptText = nullptr;

    // Training, and the data settings shown beside it
    QComboBox* optimizer = nullptr;
    QLineEdit* learningRate = nullptr;
    QSpinBox* maxSteps = nullptr;
    QSpinBox* batchSize = nullptr;
    QSpinBox* accumulation = nullptr;
    QComboBox* schedule = nullptr;
    QSpinBox* warmup = nullptr;
    QLineEdit* minLrRatio = nullptr;
    QLineEdit* weightDecay = nullptr;
    QLineEdit* momentum = nullptr;
    QLineEdit* clipNorm = nullptr;
    QSpinBox* maxLength = nullptr;
    QComboBox* templateName = nullptr;
    QSpinBox* evalEvery = nullptr;
    QSpinBox* evalBatches = nullptr;
    QSpinBox* patience = nullptr;
    QSpinBox* checkpointEvery = nullptr;
    QLineEdit* seed = nullptr;
    QComboBox* precision = nullptr; // auto, f32, bf16
    QComboBox* device = nullptr;
    QSpinBox* threads = nullptr;
    QSpinBox* processes = nullptr;             // data-parallel processes on this machine
    QComboBox* gradientCheckpointing = nullptr; // item data: "auto", "true", "false"

    struct Reading {
        train::RunConfig config;
        std::vector<train::ConfigProblem> problems; // text that is not a value; config keeps base's value there
    };
    // The LoRA target field's text as a list ("q_proj, v_proj" or space separated).
    static QStringList targetList(const QString& text);
    // `base` carries what the widgets do not show (betas, eps, data files, samples).
    Reading read(train::RunConfig base) const;
    // Every widget from `config`; read(config) then gives `config` back. The
    // model path changes without its signals: the caller reads the model.
    void fill(const train::RunConfig& config) const;
    void fillData(const train::DataConfig& data) const; // max length and template
    // The widget that shows a RUN.json key (validate()'s keys); a problem in
    // a method section no widget shows lands on the method choice; nullptr
    // for keys shown nowhere (data files, betas).
    QWidget* widgetFor(const std::string& key) const;
};

} // namespace tb::ui
