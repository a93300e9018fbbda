#include "ui/method/run_config_form.h"

#include "ui/method/method_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QRegularExpression>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QStringList>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <optional>
#include <utility>

namespace tb::ui {

std::string automaticRunName(const std::string& model, int choice, bool onlyBiases)
{
    const char* method = "lora";
    switch (static_cast<MethodPanel::Choice>(choice)) {
    case MethodPanel::Full: method = "full"; break;
    case MethodPanel::Instruction: method = "instruction"; break;
    case MethodPanel::Selective: method = onlyBiases ? "bitfit" : "selective"; break;
    case MethodPanel::Lora: method = "lora"; break;
    case MethodPanel::Adapter: method = "adapter"; break;
    case MethodPanel::PromptTuning: method = "prompt-tuning"; break;
    }
    std::string folder = std::filesystem::path(model).filename().string();
    if (folder.empty())
        folder = std::filesystem::path(model).parent_path().filename().string();
    return (folder.empty() ? std::string("model") : folder) + "-" + method;
}

namespace {

QString qs(const std::string& s) { return QString::fromStdString(s); }

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

// "0-3, 7" -> {{0,3},{7,7}}; nullopt when malformed. Reversed ranges read as
// written, so validate() can say what is wrong with them.
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


void setComboText(QComboBox* c, const std::string& value)
{
    const int i = c->findText(qs(value));
    if (i >= 0)
        c->setCurrentIndex(i);
    else if (c->isEditable())
        c->setEditText(qs(value));
    else {
        c->addItem(qs(value)); // keep an unknown value rather than lose it; validate() reports it
        c->setCurrentIndex(c->count() - 1);
    }
}

// Selects the item whose data is `value` (combos whose texts are translated).
void setComboData(QComboBox* c, const std::string& value)
{
    int i = c->findData(qs(value));
    if (i < 0) { // keep an unknown value rather than lose it; validate() reports it
        c->addItem(qs(value), qs(value));
        i = c->count() - 1;
    }
    c->setCurrentIndex(i);
}

} // namespace

QStringList RunConfigForm::targetList(const QString& text)
{
    return text.split(QRegularExpression(QStringLiteral("[,\\s]+")), Qt::SkipEmptyParts);
}

RunConfigForm::Reading RunConfigForm::read(train::RunConfig base) const
{
    Reading r{std::move(base), {}};
    train::RunConfig& c = r.config;
    auto notValue = [&](const char* key, const QString& what, const QString& expected, const QString& text) {
        const QString message = QStringLiteral("%1: expected %2, found \"%3\"").arg(what, expected, text);
        r.problems.push_back({key, message.toStdString()});
    };
    auto number = [&](QLineEdit* e, double& out, const char* key, const QString& what) {
        if (auto v = parseNumber(e->text()))
            out = *v;
        else
            notValue(key, what, tr("a number"), e->text());
    };

    c.model = modelPath->currentText().trimmed().toStdString();
    c.name = name->text().trimmed().toStdString();
    c.tokenizer = tokenizer->text().trimmed().toStdString();
    c.outputDir = outputDir->text().trimmed().toStdString();

    auto& m = c.method;
    switch (static_cast<MethodPanel::Choice>(method->currentData().toInt())) {
    case MethodPanel::Full:
    case MethodPanel::Instruction:
        m.method = peft::Method::Full;
        c.data.lossOnPrompt = method->currentData().toInt() == MethodPanel::Full;
        break;
    case MethodPanel::Selective: m.method = peft::Method::Selective; break;
    case MethodPanel::Lora: m.method = peft::Method::Lora; break;
    case MethodPanel::Adapter: m.method = peft::Method::Adapter; break;
    case MethodPanel::PromptTuning: m.method = peft::Method::PromptTuning; break;
    }
    m.selective.biases = biases->isChecked();
    m.selective.norms = norms->isChecked();
    m.selective.embeddings = embeddings->isChecked();
    m.selective.head = head->isChecked();
    if (c.name.empty())
        c.name = automaticRunName(c.model, method->currentData().toInt(),
                                  biases->isChecked() && !norms->isChecked() && !embeddings->isChecked() &&
                                      !head->isChecked() && layers->text().trimmed().isEmpty() &&
                                      patterns->toPlainText().trimmed().isEmpty());
    if (auto l = parseLayers(layers->text()))
        m.selective.layers = *l;
    else
        notValue("method.selective.layers", tr("Selective layers"), tr("ranges like \"0-3, 10\""),
                 layers->text());
    m.selective.patterns.clear();
    for (const QString& line : patterns->toPlainText().split(QLatin1Char('\n'), Qt::SkipEmptyParts))
        if (!line.trimmed().isEmpty())
            m.selective.patterns.push_back(line.trimmed().toStdString());
    m.lora.rank = rank->value();
    number(alpha, m.lora.alpha, "method.lora.alpha", tr("LoRA alpha"));
    number(dropout, m.lora.dropout, "method.lora.dropout", tr("LoRA dropout"));
    m.lora.targets.clear();
    for (const QString& t : targetList(targets->text()))
        m.lora.targets.push_back(t.toStdString());
    m.lora.rsLora = rsLora->isChecked();
    m.adapter.size = adapterSize->value();
    m.adapter.activation = adapterActivation->currentText().toStdString();
    m.prompt.numVirtualTokens = promptTokens->value();
    m.prompt.init = promptInit->currentText().toStdString();
    m.prompt.text = promptText->text().toStdString();

    auto& t = c.training;
    t.optimizer = optimizer->currentText().toStdString();
    number(learningRate, t.learningRate, "training.learning_rate", tr("Learning rate"));
    t.maxSteps = maxSteps->value();
    t.batchSize = batchSize->value();
    t.gradAccumulation = accumulation->value();
    t.schedule = schedule->currentText().toStdString();
    t.warmupSteps = warmup->value();
    number(minLrRatio, t.minLrRatio, "training.min_lr_ratio", tr("Final LR ratio"));
    number(weightDecay, t.weightDecay, "training.weight_decay", tr("Weight decay"));
    number(momentum, t.momentum, "training.momentum", tr("Momentum"));
    number(clipNorm, t.clipNorm, "training.clip_norm", tr("Gradient clipping"));
    t.evalEvery = evalEvery->value();
    t.evalBatches = evalBatches->value();
    t.earlyStoppingPatience = patience->value();
    t.checkpointEvery = checkpointEvery->value();
    bool ok = false;
    const qulonglong s = seed->text().trimmed().toULongLong(&ok);
    if (ok)
        t.seed = s;
    else
        notValue("training.seed", tr("Seed"), tr("a whole number ≥ 0"), seed->text());
    t.precision = precision->currentText().toStdString();
    t.device = device->currentText().trimmed().toStdString();
    t.threads = threads->value();
    t.processes = processes->value();
    t.gradientCheckpointing = gradientCheckpointing->currentData().toString().toStdString();
    c.data.maxLength = maxLength->value();
    c.data.templateName = templateName->currentText().toStdString();
    return r;
}

void RunConfigForm::fill(const train::RunConfig& c) const
{
    name->setText(qs(c.name));
    tokenizer->setText(qs(c.tokenizer));
    outputDir->setText(qs(c.outputDir));

    MethodPanel::Choice choice = MethodPanel::Lora;
    switch (c.method.method) {
    case peft::Method::Full: choice = c.data.lossOnPrompt ? MethodPanel::Full : MethodPanel::Instruction; break;
    case peft::Method::Selective: choice = MethodPanel::Selective; break;
    case peft::Method::Lora: choice = MethodPanel::Lora; break;
    case peft::Method::Adapter: choice = MethodPanel::Adapter; break;
    case peft::Method::PromptTuning: choice = MethodPanel::PromptTuning; break;
    }
    method->setCurrentIndex(method->findData(choice));
    const auto& m = c.method;
    biases->setChecked(m.selective.biases);
    norms->setChecked(m.selective.norms);
    embeddings->setChecked(m.selective.embeddings);
    head->setChecked(m.selective.head);
    layers->setText(layersText(m.selective.layers));
    QStringList lines;
    for (const auto& p : m.selective.patterns)
        lines << qs(p);
    patterns->setPlainText(lines.join(QLatin1Char('\n')));
    rank->setValue(static_cast<int>(m.lora.rank));
    alpha->setText(formatNumber(m.lora.alpha));
    dropout->setText(formatNumber(m.lora.dropout));
    QStringList names;
    for (const auto& t : m.lora.targets)
        names << qs(t);
    targets->setText(names.join(QStringLiteral(", ")));
    rsLora->setChecked(m.lora.rsLora);
    adapterSize->setValue(static_cast<int>(m.adapter.size));
    setComboText(adapterActivation, m.adapter.activation);
    promptTokens->setValue(static_cast<int>(m.prompt.numVirtualTokens));
    setComboText(promptInit, m.prompt.init);
    promptText->setText(qs(m.prompt.text));

    const auto& t = c.training;
    setComboText(optimizer, t.optimizer);
    learningRate->setText(formatNumber(t.learningRate));
    maxSteps->setValue(static_cast<int>(t.maxSteps));
    batchSize->setValue(static_cast<int>(t.batchSize));
    accumulation->setValue(static_cast<int>(t.gradAccumulation));
    setComboText(schedule, t.schedule);
    warmup->setValue(static_cast<int>(t.warmupSteps));
    minLrRatio->setText(formatNumber(t.minLrRatio));
    weightDecay->setText(formatNumber(t.weightDecay));
    momentum->setText(formatNumber(t.momentum));
    clipNorm->setText(formatNumber(t.clipNorm));
    evalEvery->setValue(static_cast<int>(t.evalEvery));
    evalBatches->setValue(static_cast<int>(t.evalBatches));
    patience->setValue(static_cast<int>(t.earlyStoppingPatience));
    checkpointEvery->setValue(static_cast<int>(t.checkpointEvery));
    seed->setText(QString::number(static_cast<qulonglong>(t.seed)));
    setComboText(precision, t.precision);
    setComboText(device, t.device);
    threads->setValue(static_cast<int>(t.threads));
    // A configuration from a machine with more cores keeps its count (validate() has no upper limit).
    processes->setMaximum(std::max(processes->maximum(), static_cast<int>(t.processes)));
    processes->setValue(static_cast<int>(t.processes));
    setComboData(gradientCheckpointing, t.gradientCheckpointing);
    fillData(c.data);

    const QSignalBlocker block(modelPath);
    modelPath->setEditText(qs(c.model));
}

void RunConfigForm::fillData(const train::DataConfig& data) const
{
    maxLength->setValue(static_cast<int>(data.maxLength));
    setComboText(templateName, data.templateName);
}

QWidget* RunConfigForm::widgetFor(const std::string& key) const
{
    const std::pair<const char*, QWidget*> fields[] = {
        {"model", modelPath},
        {"name", name},
        {"tokenizer", tokenizer},
        {"output_dir", outputDir},
        {"data.max_length", maxLength},
        {"data.template", templateName},
        {"method.selective.layers", layers},
        {"method.selective.patterns", patterns},
        {"method.lora.rank", rank},
        {"method.lora.alpha", alpha},
        {"method.lora.dropout", dropout},
        {"method.lora.targets", targets},
        {"method.adapter.size", adapterSize},
        {"method.adapter.activation", adapterActivation},
        {"method.prompt_tuning.num_virtual_tokens", promptTokens},
        {"method.prompt_tuning.init", promptInit},
        {"method.prompt_tuning.text", promptText},
        {"training.optimizer", optimizer},
        {"training.learning_rate", learningRate},
        {"training.max_steps", maxSteps},
        {"training.batch_size", batchSize},
        {"training.grad_accumulation", accumulation},
        {"training.schedule", schedule},
        {"training.warmup_steps", warmup},
        {"training.min_lr_ratio", minLrRatio},
        {"training.weight_decay", weightDecay},
        {"training.momentum", momentum},
        {"training.clip_norm", clipNorm},
        {"training.eval_every", evalEvery},
        {"training.eval_batches", evalBatches},
        {"training.early_stopping_patience", patience},
        {"training.checkpoint_every", checkpointEvery},
        {"training.seed", seed},
        {"training.precision", precision},
        {"training.device", device},
        {"training.threads", threads},
        {"training.processes", processes},
        {"training.gradient_checkpointing", gradientCheckpointing},
    };
    for (const auto& [k, w] : fields)
        if (key == k)
            return w;
    if (key == "method" || key.rfind("method.", 0) == 0)
        return method; // e.g. "method.selective": nothing chosen
    return nullptr;
}

} // namespace tb::ui
