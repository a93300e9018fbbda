// The Method panel driven through its widgets: model facts from a real
// Hugging Face folder, trainable counts against hand computation, RUN.json
// saved and loaded back losslessly, invalid input blocking Start with
// train::validate()'s message shown at the field it is about; the unsaved
// marker, the RUN.json preview, LoRA target boxes, the debounced model read
// and the footer that never scrolls away.
#include "ui/method/method_panel.h"
#include "train/run_config.h"

#include <nlohmann/json.hpp>

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QThread>
#include <QTreeWidget>
#include <QtTest>

#include <algorithm>
#include <fstream>

using tb::ui::MethodPanel;

namespace {

const QString kGpt2 = QStringLiteral(TB_FIXTURES_DIR "/models/gpt2_plain");

template <typename T>
T* child(QWidget& w, const char* name)
{
    auto* c = w.findChild<T*>(QLatin1String(name));
    if (!c)
        qFatal("no widget named %s", name);
    return c;
}

QString number(qlonglong n) { return QLocale().toString(n); }

void typeInto(QLineEdit* e, const QString& text)
{
    e->clear();
    QTest::keyClicks(e, text);
}

void chooseMethod(MethodPanel& p, MethodPanel::Choice c)
{
    auto* m = child<QComboBox>(p, "method");
    m->setCurrentIndex(m->findData(c));
}

// As a person picks it: the combo's `activated` follows the index change.
void pickMethod(MethodPanel& p, MethodPanel::Choice c)
{
    auto* m = child<QComboBox>(p, "method");
    m->setCurrentIndex(m->findData(c));
    Q_EMIT m->activated(m->currentIndex());
}

} // namespace

class TestMethodPanel : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    tb::train::DataConfig m_data;

    void pickGpt2(MethodPanel& p) { p.setModelPath(kGpt2); }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().remove(QStringLiteral("methodPanel"));
        QVERIFY(m_dir.isValid());
        const std::string train = (m_dir.path() + "/train.jsonl").toStdString();
        std::ofstream(train) << "{\"prompt\": \"2+2\", \"response\": \"4\"}\n";
        m_data.train.push_back({train, "", "auto", {}});
    }

    void modelFactsComeFromConfigJson()
    {
        MethodPanel p(m_dir.path() + "/runs");
        QVERIFY(!p.problem().isEmpty()); // no model yet
        QVERIFY(!child<QPushButton>(p, "startButton")->isEnabled());
        pickGpt2(p);
        // tests/fixtures/models/gpt2_plain/config.json: gpt2, vocab 100, n_positions 64,
        // 2 layers, n_embd 32, 2 heads, F16 weights, tied embeddings.
        QVERIFY(child<QLabel>(p, "factFamily")->text().contains("gpt2"));
        QCOMPARE(child<QLabel>(p, "factVocabulary")->text(), number(100));
        QCOMPARE(child<QLabel>(p, "factContext")->text(), number(64));
        QCOMPARE(child<QLabel>(p, "factLayers")->text(), QString("2"));
        QCOMPARE(child<QLabel>(p, "factHidden")->text(), QString("32"));
        QCOMPARE(child<QLabel>(p, "factHeads")->text(), QString("2"));
        QVERIFY(child<QLabel>(p, "factDtype")->text().startsWith("f16"));
        // 30720 parameters, worked out in tests/train/tst_estimate.cpp (loraCountByHand).
        QVERIFY(child<QLabel>(p, "factParameters")->text().startsWith(number(30720)));
        // The selective tree lists every parameter: 2 (wte, wpe) + 2 × 12 per block + 2 (ln_f) = 28.
        auto* tree = child<QTreeWidget>(p, "parameterTree");
        int leaves = 0;
        for (int g = 0; g < tree->topLevelItemCount(); ++g)
            leaves += tree->topLevelItem(g)->childCount();
        QCOMPARE(leaves, 28);

        p.setModelPath(m_dir.path() + "/nothing-here");
        QVERIFY(child<QLabel>(p, "modelPathError")->isVisibleTo(&p));
        QCOMPARE(child<QLabel>(p, "factLayers")->text(), QString("—"));
    }

    void loraCountFollowsTheRank()
    {
        MethodPanel p(m_dir.path() + "/runs");
        pickGpt2(p);
        chooseMethod(p, MethodPanel::Lora);
        child<QSpinBox>(p, "loraRank")->setValue(4);
        // LoRA on GPT-2's fused c_attn (in 32, out 96) in 2 layers:
        // r = 4: (4·32 + 96·4) · 2 = 1024 trainable, total 30720 + 1024 = 31744.
        QVERIFY(p.estimate());
        QCOMPARE(p.estimate()->trainable, qint64(1024));
        QCOMPARE(p.estimate()->total, qint64(31744));
        auto* label = child<QLabel>(p, "trainableLabel");
        QVERIFY2(label->text().contains(number(1024)) && label->text().contains(number(31744)), qPrintable(label->text()));
        QVERIFY(label->text().contains("3.23")); // 1024 / 31744 = 3.226 %
        // r = 8: (8·32 + 96·8) · 2 = 2048.
        child<QSpinBox>(p, "loraRank")->setValue(8);
        QCOMPARE(p.estimate()->trainable, qint64(2048));
        QVERIFY(label->text().contains(number(2048)));
        // Memory: AdamW keeps 2 float32 moments per trainable parameter: 2048 · 8 bytes.
        QCOMPARE(p.estimate()->memory.optimizer, qint64(2048 * 8));
        QVERIFY(!child<QLabel>(p, "memoryLabel")->text().isEmpty());

        // Targets that GPT-2 does not have: the message is next to the field and Start is off.
        p.setDataConfig(m_data);
        QVERIFY(child<QPushButton>(p, "startButton")->isEnabled());
        typeInto(child<QLineEdit>(p, "loraTargets"), "q_proj");
        QVERIFY(!child<QPushButton>(p, "startButton")->isEnabled());
        QVERIFY(child<QLabel>(p, "loraTargetsError")->text().contains("q_proj"));
        typeInto(child<QLineEdit>(p, "loraTargets"), "c_attn, mlp.c_proj");
        // c_attn 1024·2 (r = 8) + mlp.c_proj (in 128, out 32): (8·128 + 32·8)·2 = 2560 → 4608.
        QCOMPARE(p.estimate()->trainable, qint64(2048 + 2560));
        QVERIFY(child<QPushButton>(p, "startButton")->isEnabled());
    }

    void selectiveTreeAndRules()
    {
        MethodPanel p(m_dir.path() + "/runs");
        pickGpt2(p);
        chooseMethod(p, MethodPanel::Selective);
        QVERIFY(!p.estimate()); // nothing ticked: nothing trains
        QVERIFY(child<QLabel>(p, "methodError")->isVisibleTo(&p));
        child<QCheckBox>(p, "selectiveBiases")->setChecked(true);
        // GPT-2 biases per block: ln_1 32, c_attn 96, attn.c_proj 32, ln_2 32, c_fc 128, mlp.c_proj 32 = 352;
        // two blocks 704, plus ln_f.bias 32 = 736.
        QCOMPARE(p.estimate()->trainable, qint64(736));
        auto* tree = child<QTreeWidget>(p, "parameterTree");
        QTreeWidgetItem* wpe = nullptr;
        int checked = 0;
        for (int g = 0; g < tree->topLevelItemCount(); ++g)
            for (int i = 0; i < tree->topLevelItem(g)->childCount(); ++i) {
                auto* item = tree->topLevelItem(g)->child(i);
                checked += item->checkState(0) == Qt::Checked;
                QCOMPARE(item->checkState(0) == Qt::Checked, item->text(0).endsWith(".bias"));
                if (item->text(0) == "transformer.wpe.weight")
                    wpe = item;
            }
        QCOMPARE(checked, 13); // 6 per block + ln_f.bias
        QVERIFY(wpe);
        wpe->setCheckState(0, Qt::Checked); // the position table: 64 · 32 = 2048 more
        QCOMPARE(p.estimate()->trainable, qint64(736 + 2048));
        QVERIFY(child<QPlainTextEdit>(p, "selectivePatterns")->toPlainText().contains("wpe"));
        typeInto(child<QLineEdit>(p, "selectiveLayers"), "1-x");
        QVERIFY(child<QLabel>(p, "selectiveLayersError")->isVisibleTo(&p));
        typeInto(child<QLineEdit>(p, "selectiveLayers"), "1");
        // Block 1 whole: 12704 (see tst_estimate), minus its 352 biases already counted.
        QCOMPARE(p.estimate()->trainable, qint64(736 + 2048 + 12704 - 352));
    }

    void methodDefaultsFollowTheUsersChoice()
    {
        MethodPanel p(m_dir.path() + "/runs");
        pickGpt2(p);
        auto* rate = child<QLineEdit>(p, "learningRate");
        // The new-run form starts as LoRA with LoRA's usual rate.
        QCOMPARE(child<QComboBox>(p, "method")->currentData().toInt(), int(MethodPanel::Lora));
        QCOMPARE(rate->text().toDouble(), 2e-4);
        // Prompt tuning wants large steps (Lester et al. 2021), full fine-tuning small ones.
        pickMethod(p, MethodPanel::PromptTuning);
        QCOMPARE(rate->text().toDouble(), 3e-2);
        pickMethod(p, MethodPanel::Full);
        QCOMPARE(rate->text().toDouble(), 2e-5);
        QCOMPARE(p.runConfig().training.learningRate, 2e-5);
        // A rate the user typed stays when the method changes.
        typeInto(rate, "7e-5");
        pickMethod(p, MethodPanel::Adapter);
        QCOMPARE(rate->text(), QString("7e-5"));
        // Selective with nothing chosen starts as BitFit (the biases), so it trains something.
        pickMethod(p, MethodPanel::Selective);
        QVERIFY(child<QCheckBox>(p, "selectiveBiases")->isChecked());
        QCOMPARE(p.estimate()->trainable, qint64(736)); // GPT-2 fixture biases, as in selectiveTreeAndRules
        QVERIFY(!child<QLabel>(p, "methodError")->isVisibleTo(&p));
        // With no name typed, the run is named after the model folder and the method.
        QVERIFY(child<QLineEdit>(p, "runName")->text().isEmpty());
        QCOMPARE(p.runConfig().name, std::string("gpt2_plain-bitfit"));
        child<QCheckBox>(p, "selectiveNorms")->setChecked(true);
        QCOMPARE(p.runConfig().name, std::string("gpt2_plain-selective"));
        pickMethod(p, MethodPanel::PromptTuning);
        QCOMPARE(p.runConfig().name, std::string("gpt2_plain-prompt-tuning"));
        typeInto(child<QLineEdit>(p, "runName"), "mine");
        QCOMPARE(p.runConfig().name, std::string("mine"));
        // Loading a configuration keeps its own rate and method (no defaults applied).
        tb::train::RunConfig c = p.runConfig();
        c.training.learningRate = 1.5e-3;
        c.method.method = tb::peft::Method::PromptTuning;
        p.setRunConfig(c);
        QCOMPARE(rate->text().toDouble(), 1.5e-3);
    }

    void invalidLearningRateBlocksStart()
    {
        MethodPanel p(m_dir.path() + "/runs");
        pickGpt2(p);
        p.setDataConfig(m_data);
        auto* start = child<QPushButton>(p, "startButton");
        QVERIFY2(start->isEnabled(), qPrintable(p.problem()));
        auto* lr = child<QLineEdit>(p, "learningRate");
        typeInto(lr, "abc");
        QVERIFY(!start->isEnabled());
        QVERIFY(child<QLabel>(p, "learningRateError")->isVisibleTo(&p));
        QVERIFY(p.problem().contains("Learning rate"));
        QVERIFY(child<QLabel>(p, "problemLabel")->text().contains("Learning rate"));
        typeInto(lr, "-1e-4");
        QVERIFY(!start->isEnabled());
        // validate()'s rule and wording; the number as the field would show it.
        QCOMPARE(p.problem(), QString("Learning rate: expected a number > 0, found -1e-04"));
        typeInto(lr, "3e-4");
        QVERIFY(start->isEnabled());
        QCOMPARE(p.runConfig().training.learningRate, 3e-4);
    }

    void problemsAreShownAtTheirFieldsAndListed()
    {
        MethodPanel p(m_dir.path() + "/runs");
        pickGpt2(p);
        p.setDataConfig(m_data);
        chooseMethod(p, MethodPanel::Lora);
        auto* start = child<QPushButton>(p, "startButton");
        auto* list = child<QListWidget>(p, "problemList");
        auto* warmup = child<QSpinBox>(p, "warmupSteps");
        const QString warmupTip = warmup->toolTip();
        QVERIFY(start->isEnabled());
        QVERIFY(!list->isVisibleTo(&p));

        child<QSpinBox>(p, "maxSteps")->setValue(10);
        warmup->setValue(20);
        const QString warmupProblem("Warm-up: expected 0 to 10 steps (the length of the run), found 20");
        QCOMPARE(child<QLabel>(p, "warmupStepsError")->text(), warmupProblem);
        QCOMPARE(warmup->toolTip(), warmupProblem);
        QVERIFY(!warmup->styleSheet().isEmpty()); // highlighted
        QCOMPARE(p.problem(), warmupProblem);
        QVERIFY(!start->isEnabled());

        typeInto(child<QLineEdit>(p, "loraDropout"), "1");
        const QString dropoutProblem("LoRA dropout: expected a value in [0, 1), found 1");
        QCOMPARE(child<QLabel>(p, "loraDropoutError")->text(), dropoutProblem);
        QVERIFY(!p.estimate()); // the LoRA settings are not valid: no estimate for them
        // Both are listed, in RUN.json order (method before training).
        QVERIFY(list->isVisibleTo(&p));
        QCOMPARE(list->count(), 2);
        QCOMPARE(list->item(0)->text(), dropoutProblem);
        QCOMPARE(list->item(1)->text(), warmupProblem);

        // A problem on another method's page blocks Start too: RUN.json keeps every section.
        child<QComboBox>(p, "promptInit")->setCurrentText("text");
        QCOMPARE(child<QLabel>(p, "promptTextError")->text(),
                 QString("Prompt text: initialisation \"text\" needs a non-empty text"));
        QCOMPARE(list->count(), 3);

        // Fixed: marks, tooltips and the list are gone, Start is back.
        typeInto(child<QLineEdit>(p, "promptText"), "Answer:");
        typeInto(child<QLineEdit>(p, "loraDropout"), "0.1");
        warmup->setValue(5);
        QVERIFY2(start->isEnabled(), qPrintable(p.problem()));
        QCOMPARE(warmup->toolTip(), warmupTip);
        QVERIFY(warmup->styleSheet().isEmpty());
        QVERIFY(!child<QLabel>(p, "warmupStepsError")->isVisibleTo(&p));
        QVERIFY(!list->isVisibleTo(&p));
        QVERIFY(p.estimate());
    }

    void missingDataIsAProblemWithoutAField()
    {
        MethodPanel p(m_dir.path() + "/runs");
        pickGpt2(p);
        QCOMPARE(p.problem(), QString("Training data: give at least one training file"));
        QVERIFY(!child<QPushButton>(p, "startButton")->isEnabled());
        QVERIFY(p.estimate()); // the estimate does not need the data files
        p.setDataConfig(m_data);
        QVERIFY2(p.problem().isEmpty(), qPrintable(p.problem()));
    }

    void saveAndLoadRoundTrip()
    {
        MethodPanel p(m_dir.path() + "/runs");
        pickGpt2(p);
        p.setDataConfig(m_data);
        chooseMethod(p, MethodPanel::Lora);
        child<QSpinBox>(p, "loraRank")->setValue(4);
        typeInto(child<QLineEdit>(p, "loraAlpha"), "12.5");
        typeInto(child<QLineEdit>(p, "loraDropout"), "0.1");
        typeInto(child<QLineEdit>(p, "loraTargets"), "c_attn, c_fc");
        child<QCheckBox>(p, "loraRs")->setChecked(true);
        child<QCheckBox>(p, "selectiveNorms")->setChecked(true); // other pages' settings travel too
        child<QSpinBox>(p, "adapterSize")->setValue(16);
        child<QComboBox>(p, "promptInit")->setCurrentText("text");
        typeInto(child<QLineEdit>(p, "promptText"), "Summarise:");
        typeInto(child<QLineEdit>(p, "runName"), "my run");
        typeInto(child<QLineEdit>(p, "learningRate"), "0.0003");
        child<QSpinBox>(p, "maxSteps")->setValue(40);
        child<QSpinBox>(p, "batchSize")->setValue(3);
        child<QSpinBox>(p, "gradAccumulation")->setValue(2);
        child<QComboBox>(p, "schedule")->setCurrentText("linear");
        child<QSpinBox>(p, "warmupSteps")->setValue(5);
        typeInto(child<QLineEdit>(p, "weightDecay"), "0.01");
        typeInto(child<QLineEdit>(p, "clipNorm"), "0.5");
        child<QSpinBox>(p, "maxLength")->setValue(128);
        child<QComboBox>(p, "template")->setCurrentText("chatml");
        child<QSpinBox>(p, "evalEvery")->setValue(10);
        child<QSpinBox>(p, "checkpointEvery")->setValue(20);
        typeInto(child<QLineEdit>(p, "seed"), "18446744073709551615"); // the largest uint64
        child<QComboBox>(p, "precision")->setCurrentText("bf16");
        child<QComboBox>(p, "device")->setEditText("cuda:1");
        child<QSpinBox>(p, "threads")->setValue(2);
        QVERIFY2(p.problem().isEmpty(), qPrintable(p.problem()));

        const QString path = m_dir.path() + "/saved.json";
        QVERIFY(p.saveConfig(path));
        const auto written = tb::train::toJson(tb::train::readRunConfig(path.toStdString()));
        const auto shown = tb::train::toJson(p.runConfig());
        QCOMPARE(QString::fromStdString(written.dump()), QString::fromStdString(shown.dump()));
        QCOMPARE(written["training"]["seed"].get<uint64_t>(), UINT64_MAX);
        QCOMPARE(written["method"]["lora"]["alpha"].get<double>(), 12.5);
        QCOMPARE(written["name"].get<std::string>(), std::string("my run"));

        MethodPanel fresh(m_dir.path() + "/runs");
        QVERIFY(fresh.loadConfig(path));
        QCOMPARE(QString::fromStdString(tb::train::toJson(fresh.runConfig()).dump()),
                 QString::fromStdString(shown.dump()));
        QCOMPARE(child<QSpinBox>(fresh, "loraRank")->value(), 4);
        QCOMPARE(child<QComboBox>(fresh, "method")->currentData().toInt(), int(MethodPanel::Lora));
        QCOMPARE(fresh.estimate()->trainable, p.estimate()->trainable);
        QVERIFY(fresh.recentModels().contains(kGpt2) || fresh.recentModels().contains(QDir::cleanPath(kGpt2)));

        // Start saves into the loaded file and hands its path over.
        QSignalSpy spy(&fresh, &MethodPanel::startRequested);
        QTest::mouseClick(child<QPushButton>(fresh, "startButton"), Qt::LeftButton);
        QCOMPARE(spy.count(), 1);
        QCOMPARE(spy.at(0).at(0).toString(), path);
    }

    void fullAndInstructionAreLossChoices()
    {
        MethodPanel p(m_dir.path() + "/runs");
        pickGpt2(p);
        p.setDataConfig(m_data);
        chooseMethod(p, MethodPanel::Instruction);
        auto c = p.runConfig();
        QVERIFY(c.method.method == tb::peft::Method::Full);
        QVERIFY(!c.data.lossOnPrompt);
        QCOMPARE(p.estimate()->trainable, qint64(30720));
        chooseMethod(p, MethodPanel::Full);
        QVERIFY(p.runConfig().data.lossOnPrompt);

        // Start without a file: saved into the runs folder, read back as full with loss on every token.
        QSignalSpy spy(&p, &MethodPanel::startRequested);
        p.start();
        QCOMPARE(spy.count(), 1);
        const QString path = spy.at(0).at(0).toString();
        QVERIFY(path.startsWith(m_dir.path() + "/runs/"));
        const auto read = tb::train::readRunConfig(path.toStdString());
        QVERIFY(read.data.lossOnPrompt);
        MethodPanel loaded(m_dir.path() + "/runs");
        QVERIFY(loaded.loadConfig(path));
        QCOMPARE(child<QComboBox>(loaded, "method")->currentData().toInt(), int(MethodPanel::Full));
    }

    void unsavedMarkerFollowsEditsAndSaves()
    {
        MethodPanel p(m_dir.path() + "/runs");
        pickGpt2(p);
        p.setDataConfig(m_data);
        auto* state = child<QLabel>(p, "configState");
        QVERIFY2(state->text().contains("not saved yet"), qPrintable(state->text()));
        QCOMPARE(p.configDisplayName(), QString("gpt2_plain-lora")); // never saved: the run name

        const QString path = m_dir.path() + "/marker.json";
        QSignalSpy modified(&p, &MethodPanel::modifiedChanged);
        QVERIFY(p.saveConfig(path));
        QVERIFY(!p.isModified());
        QCOMPARE(p.configDisplayName(), QString("marker.json"));
        QVERIFY2(state->text().startsWith("marker.json") && !state->text().contains("unsaved"),
                 qPrintable(state->text()));

        auto* steps = child<QSpinBox>(p, "maxSteps");
        const int saved = steps->value();
        steps->setValue(saved + 1);
        QVERIFY(p.isModified());
        QCOMPARE(state->text(), QString("marker.json — unsaved changes"));
        QCOMPARE(modified.count(), 2); // false at the save, true at the edit
        QCOMPARE(modified.last().at(0).toBool(), true);
        steps->setValue(saved); // back to what the file holds: nothing unsaved
        QVERIFY(!p.isModified());
        steps->setValue(saved + 2);
        QVERIFY(p.isModified());
        QVERIFY(p.saveConfig(path));
        QVERIFY(!p.isModified());
        QVERIFY(!state->text().contains("unsaved"));
        QCOMPARE(modified.last().at(0).toBool(), false);

        // Loaded: clean. setRunConfig keeps the file and counts a difference as unsaved.
        MethodPanel loaded(m_dir.path() + "/runs");
        QVERIFY(loaded.loadConfig(path));
        QVERIFY(!loaded.isModified());
        QCOMPARE(loaded.runConfig().training.maxSteps, int64_t(saved + 2));
        auto c = loaded.runConfig();
        loaded.setRunConfig(c);
        QVERIFY(!loaded.isModified());
        c.training.maxSteps = 99;
        loaded.setRunConfig(c);
        QVERIFY(loaded.isModified());
        QCOMPARE(loaded.configPath(), path);
        // Start saves, so nothing is unsaved afterwards.
        QSignalSpy started(&loaded, &MethodPanel::startRequested);
        loaded.start();
        QCOMPARE(started.count(), 1);
        QVERIFY(!loaded.isModified());
        QCOMPARE(tb::train::readRunConfig(path.toStdString()).training.maxSteps, int64_t(99));
    }

    void restoredDraftIsUnsaved()
    {
        MethodPanel p(m_dir.path() + "/runs");
        tb::train::RunConfig c;
        c.name = "draft run";
        c.model = kGpt2.toStdString();
        c.data = m_data;
        c.training.maxSteps = 23;
        const QString origin = m_dir.path() + "/origin.json";
        p.restoreDraft(c, origin);
        QCOMPARE(p.configPath(), origin);
        QVERIFY(p.isModified());
        QCOMPARE(p.runConfig().training.maxSteps, int64_t(23));
        QCOMPARE(p.runConfig().name, std::string("draft run"));
        QCOMPARE(p.configDisplayName(), QString("origin.json"));
        QCOMPARE(child<QLabel>(p, "configState")->text(), QString("origin.json — unsaved changes"));
        QCOMPARE(child<QLabel>(p, "factLayers")->text(), QString("2")); // the model was read

        MethodPanel fresh(m_dir.path() + "/runs");
        fresh.restoreDraft(c, QString());
        QVERIFY(fresh.configPath().isEmpty());
        QVERIFY(fresh.isModified());
        QCOMPARE(fresh.configDisplayName(), QString("draft run"));
        QVERIFY(child<QLabel>(fresh, "configState")->text().contains("not saved yet"));
        fresh.markClean();
        QVERIFY(!fresh.isModified());
    }

    // Issue 14: processes, gradient checkpointing and precision "auto" travel through the form and the file.
    void processesCheckpointingAndAutoPrecisionRoundTrip()
    {
        qputenv("TUNEBENCH_CPU_BF16", "none"); // the machine auto decides for, whatever this one has
        MethodPanel p(m_dir.path() + "/runs");
        pickGpt2(p);
        p.setDataConfig(m_data);
        QCOMPARE(child<QComboBox>(p, "precision")->currentText(), QString("auto")); // the default
        QCOMPARE(child<QSpinBox>(p, "processes")->value(), 1);
        QCOMPARE(child<QSpinBox>(p, "processes")->minimum(), 1);
        QCOMPARE(child<QSpinBox>(p, "processes")->maximum(), std::max(1, QThread::idealThreadCount()));
        QCOMPARE(child<QLabel>(p, "precisionChoice")->text(),
                 QString("Trains in f32 (this CPU has neither AMX-BF16 nor AVX512-BF16; bf16 would be slower)"));
        child<QComboBox>(p, "device")->setEditText("cuda");
        QCOMPARE(child<QLabel>(p, "precisionChoice")->text(), QString("Trains in bf16 (CUDA device)"));
        child<QComboBox>(p, "device")->setEditText("cpu");

        child<QSpinBox>(p, "processes")->setMaximum(8); // this test's machine may have fewer cores
        child<QSpinBox>(p, "processes")->setValue(2);
        auto* checkpointing = child<QComboBox>(p, "gradientCheckpointing");
        QCOMPARE(checkpointing->currentData().toString(), QString("auto"));
        checkpointing->setCurrentIndex(checkpointing->findData(QStringLiteral("false")));
        QCOMPARE(checkpointing->currentText(), QString("off"));
        QVERIFY2(p.problem().isEmpty(), qPrintable(p.problem()));

        const QString path = m_dir.path() + "/processes.json";
        QVERIFY(p.saveConfig(path));
        std::ifstream in(path.toStdString());
        const auto file = nlohmann::json::parse(in);
        QCOMPARE(file["training"]["processes"].get<int>(), 2);
        QCOMPARE(file["training"]["gradient_checkpointing"], nlohmann::json(false)); // RUN.json's boolean
        QCOMPARE(file["training"]["precision"].get<std::string>(), std::string("auto"));

        MethodPanel fresh(m_dir.path() + "/runs");
        QVERIFY(fresh.loadConfig(path));
        QCOMPARE(child<QSpinBox>(fresh, "processes")->value(), 2);
        QCOMPARE(child<QComboBox>(fresh, "gradientCheckpointing")->currentText(), QString("off"));
        QCOMPARE(fresh.runConfig().training.gradientCheckpointing, std::string("false"));
        QCOMPARE(child<QComboBox>(fresh, "precision")->currentText(), QString("auto"));

        // A count above this machine's cores (a file from a bigger machine) is kept, not clamped.
        tb::train::RunConfig big = fresh.runConfig();
        big.training.processes = 4096;
        big.training.gradientCheckpointing = "true";
        fresh.restoreDraft(big, QString());
        QCOMPARE(child<QSpinBox>(fresh, "processes")->value(), 4096);
        QCOMPARE(child<QComboBox>(fresh, "gradientCheckpointing")->currentText(), QString("on"));
        QCOMPARE(fresh.runConfig().training.processes, int64_t(4096));

        // A precision validate() refuses is shown at the Precision field.
        tb::train::RunConfig odd = fresh.runConfig();
        odd.training.precision = "fp8";
        fresh.restoreDraft(odd, QString());
        QVERIFY(child<QLabel>(fresh, "precisionError")->isVisibleTo(&fresh));
        QVERIFY2(child<QLabel>(fresh, "precisionError")->text().contains("Precision"),
                 qPrintable(child<QLabel>(fresh, "precisionError")->text()));
        qunsetenv("TUNEBENCH_CPU_BF16");
    }

    void previewShowsTheRunJson()
    {
        MethodPanel p(m_dir.path() + "/runs");
        pickGpt2(p);
        p.setDataConfig(m_data);
        auto* steps = child<QSpinBox>(p, "maxSteps");
        steps->clear();
        QTest::keyClicks(steps, "37");
        auto* preview = child<QPlainTextEdit>(p, "runJsonPreview");
        QVERIFY(preview->isReadOnly());
        const auto shown = nlohmann::json::parse(preview->toPlainText().toStdString());
        QCOMPARE(shown["training"]["max_steps"].get<int>(), 37);
        QCOMPARE(QString::fromStdString(shown.dump()), QString::fromStdString(tb::train::toJson(p.runConfig()).dump()));
        typeInto(child<QLineEdit>(p, "runName"), "typed name");
        QCOMPARE(nlohmann::json::parse(preview->toPlainText().toStdString())["name"].get<std::string>(),
                 std::string("typed name"));
    }

    void loraTargetsAreCheckBoxes()
    {
        MethodPanel p(m_dir.path() + "/runs");
        pickGpt2(p);
        chooseMethod(p, MethodPanel::Lora);
        // GPT-2 blocks (model_type gpt2 in the fixture's config.json) hold attn.c_attn, attn.c_proj,
        // mlp.c_fc and mlp.c_proj; tied embeddings, so no lm_head: three kinds of projection.
        QStringList names;
        for (auto* box : p.findChildren<QCheckBox*>())
            if (box->objectName().startsWith("loraTarget_"))
                names << box->objectName().mid(11);
        names.sort();
        QCOMPARE(names, QStringList({"c_attn", "c_fc", "c_proj"}));
        QVERIFY(p.runConfig().method.lora.targets.empty()); // nothing ticked: the family default

        using Targets = std::vector<std::string>;
        child<QCheckBox>(p, "loraTarget_c_fc")->setChecked(true);
        QCOMPARE(p.runConfig().method.lora.targets, Targets({"c_fc"}));
        // c_fc (in 32, out 128), r = 8, 2 layers: (8·32 + 128·8) · 2 = 2560.
        QCOMPARE(p.estimate()->trainable, qint64(2560));
        child<QCheckBox>(p, "loraTarget_c_attn")->setChecked(true);
        QCOMPARE(p.runConfig().method.lora.targets, Targets({"c_fc", "c_attn"}));
        QCOMPARE(p.estimate()->trainable, qint64(2560 + 2048));
        child<QCheckBox>(p, "loraTarget_c_fc")->setChecked(false);
        QCOMPARE(p.runConfig().method.lora.targets, Targets({"c_attn"}));
        QCOMPARE(child<QLineEdit>(p, "loraTargets")->text(), QString("c_attn"));

        // A loaded list comes back ticked; a name the model lacks stays, flagged.
        auto c = p.runConfig();
        c.method.lora.targets = {"c_proj", "q_proj"};
        p.setRunConfig(c);
        QVERIFY(child<QCheckBox>(p, "loraTarget_c_proj")->isChecked());
        QVERIFY(!child<QCheckBox>(p, "loraTarget_c_attn")->isChecked());
        auto* q = child<QCheckBox>(p, "loraTarget_q_proj");
        QVERIFY(q->isChecked());
        QVERIFY(q->property("missing").toBool());
        QVERIFY(q->text().contains("q_proj"));
        QVERIFY(!child<QCheckBox>(p, "loraTarget_c_proj")->property("missing").toBool());
        q->setChecked(false);
        QCOMPARE(p.runConfig().method.lora.targets, Targets({"c_proj"}));
        QVERIFY(!p.findChild<QCheckBox*>("loraTarget_q_proj"));

        // No model read: the typed names are the boxes.
        MethodPanel bare(m_dir.path() + "/runs");
        typeInto(child<QLineEdit>(bare, "loraTargets"), "q_proj, v_proj");
        QVERIFY(child<QCheckBox>(bare, "loraTarget_q_proj")->isChecked());
        QVERIFY(!child<QCheckBox>(bare, "loraTarget_v_proj")->property("missing").toBool());

        // Picking LoRA with nothing chosen ticks the family's attention default (GPT-2: c_attn).
        MethodPanel picked(m_dir.path() + "/runs");
        pickGpt2(picked);
        pickMethod(picked, MethodPanel::Full);
        pickMethod(picked, MethodPanel::Lora);
        QCOMPARE(picked.runConfig().method.lora.targets, Targets({"c_attn"}));
        QVERIFY(child<QCheckBox>(picked, "loraTarget_c_attn")->isChecked());
    }

    void typingTheModelPathReadsOnce()
    {
        QSettings().remove(QStringLiteral("methodPanel")); // no recent models to complete from
        MethodPanel p(m_dir.path() + "/runs");
        const QString name = QStringLiteral("gpt2_plain");
        QCOMPARE(name.size(), 10);
        const QString folder = kGpt2.left(kGpt2.size() - name.size());
        p.setModelPath(folder); // a folder without config.json: one read, an error
        const int before = p.modelReadCount();
        auto* edit = child<QComboBox>(p, "modelPath")->lineEdit();
        edit->end(false);
        QTest::keyClicks(edit, name);
        QCOMPARE(edit->text(), kGpt2);
        QCOMPARE(p.modelReadCount(), before); // nothing read while typing
        QTRY_COMPARE(child<QLabel>(p, "factLayers")->text(), QString("2"));
        QCOMPARE(p.modelReadCount(), before + 1);
        QTest::qWait(400);
        QCOMPARE(p.modelReadCount(), before + 1);
        // The same path again (unchanged on disk): from the cache.
        p.setModelPath(folder);
        p.setModelPath(kGpt2);
        QCOMPARE(p.modelReadCount(), before + 1); // both known, the failed read of the folder too
    }

    void numbersFollowTheLocale()
    {
        const QLocale previous;
        QLocale::setDefault(QLocale(QLocale::German, QLocale::Germany));
        MethodPanel p(m_dir.path() + "/runs");
        pickGpt2(p);
        chooseMethod(p, MethodPanel::Lora);
        // r = 8 on c_attn: 2048 of 30720 + 2048 = 32768 parameters, 6.25 %.
        const QString trainable = child<QLabel>(p, "trainableLabel")->text();
        QVERIFY2(trainable.contains("2.048") && trainable.contains("32.768") && trainable.contains("6,25"),
                 qPrintable(trainable));
        // AdamW's two float32 moments: 2048 · 8 = 16384 bytes = 16 KiB.
        const QString memory = child<QLabel>(p, "memoryLabel")->text();
        QVERIFY2(memory.contains("16,00 KiB"), qPrintable(memory));
        QVERIFY(child<QLabel>(p, "factParameters")->text().startsWith("30.720 (0,03"));
        QLocale::setDefault(previous);
    }

    void explanationFollowsTheMethod()
    {
        MethodPanel p(m_dir.path() + "/runs");
        auto* text = child<QLabel>(p, "methodExplanation");
        QVERIFY(text->wordWrap());
        QSet<QString> seen;
        for (auto c : {MethodPanel::Full, MethodPanel::Instruction, MethodPanel::Selective, MethodPanel::Lora,
                       MethodPanel::Adapter, MethodPanel::PromptTuning}) {
            chooseMethod(p, c);
            QVERIFY(!text->text().isEmpty());
            seen.insert(text->text());
        }
        QCOMPARE(seen.size(), 6);
        chooseMethod(p, MethodPanel::Selective);
        QVERIFY(text->text().contains("BitFit"));
        chooseMethod(p, MethodPanel::Lora);
        QVERIFY(text->text().contains("low-rank"));
    }

    void footerStaysInViewAndGuidesWithoutAModel()
    {
        MethodPanel p(m_dir.path() + "/runs");
        p.resize(1180, 800);
        p.show();
        QVERIFY(QTest::qWaitForWindowExposed(&p));
        auto* guidance = child<QLabel>(p, "modelGuidance");
        QVERIFY(guidance->isVisible());
        QCOMPARE(guidance->text(), QString("Choose a model folder (Hugging Face or llama2.c) to see what will train"));
        pickGpt2(p);
        QCoreApplication::processEvents(); // the layout follows the hidden guidance
        QVERIFY(!guidance->isVisible());
        for (const char* name : {"trainableLabel", "memoryLabel", "startButton"}) {
            auto* w = child<QWidget>(p, name);
            QVERIFY2(w->isVisible(), name);
            for (QWidget* up = w; up; up = up->parentWidget())
                QVERIFY2(!qobject_cast<QScrollArea*>(up), name);
            const QRect inPanel(w->mapTo(&p, QPoint(0, 0)), w->size());
            QVERIFY2(p.rect().contains(inPanel), name);
        }
        // No raw config.json keys in the facts.
        QVERIFY(!child<QLabel>(p, "factFamily")->text().contains("model_type"));
    }
};

QTEST_MAIN(TestMethodPanel)
#include "tst_method_panel.moc"
