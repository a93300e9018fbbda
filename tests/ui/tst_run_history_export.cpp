// Run history ▸ Export ▸ GGUF: a LoRA run trained on the demo workspace is
// written through the panel on its worker thread, merged and as an adapter
// beside its base model. The files are read back here: the GGUF header by
// hand (https://github.com/ggml-org/ggml/blob/master/docs/gguf.md), the
// Modelfile and the model card as text, the store's artifact list.
#include "common/error.h"
#include "demo/demo.h"
#include "engine/run_job.h"
#include "io/atomic_file.h"
#include "store/run_store.h"
#include "train/run_config.h"
#include "ui/history/gguf_export_job.h"
#include "ui/history/run_history_panel.h"

#include <QAction>
#include <QDir>
#include <QFileInfo>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include <cstring>

using namespace tb;
using tb::ui::RunHistoryPanel;

namespace {

struct Quiet : engine::JobObserver {};

struct GgufHeader {
    bool valid = false;
    uint32_t version = 0;
    uint64_t tensors = 0, keys = 0;
};

GgufHeader readHeader(const std::string& bytes)
{
    GgufHeader h;
    if (bytes.size() < 24 || bytes.compare(0, 4, "GGUF") != 0)
        return h;
    std::memcpy(&h.version, bytes.data() + 4, 4);
    std::memcpy(&h.tensors, bytes.data() + 8, 8);
    std::memcpy(&h.keys, bytes.data() + 16, 8);
    h.valid = true;
    return h;
}

// A GGUF string key/value as it is encoded: u64 length, key, type 8, u64 length, value.
std::string stringEntry(const std::string& key, const std::string& value)
{
    std::string out;
    const uint64_t kl = key.size(), vl = value.size();
    const uint32_t type = 8;
    out.append(reinterpret_cast<const char*>(&kl), 8).append(key);
    out.append(reinterpret_cast<const char*>(&type), 4);
    out.append(reinterpret_cast<const char*>(&vl), 8).append(value);
    return out;
}

} // namespace

class RunHistoryExportTest : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    std::string m_db;
    demo::DemoWorkspace m_ws;
    int64_t m_run = 0;

    QString path(const QString& name) const { return m_dir.filePath(name); }

    // Exports through the panel and waits for the job; returns its message.
    QString exportThroughPanel(RunHistoryPanel& panel, qint64 run, const QString& file, const QString& type, bool adapter,
                               bool expectOk)
    {
        QSignalSpy done(&panel, &RunHistoryPanel::ggufExportFinished);
        ui::GgufExportJob* job = panel.exportGguf(run, file, type, adapter);
        if (!job)
            return "no job";
        // One export at a time; the button says so until it ends.
        if (panel.exportGguf(run, file, type, adapter) != nullptr || panel.findChild<QPushButton*>("exportRunButton")->isEnabled())
            return "a second export started";
        if (!done.wait(300000))
            return "timed out";
        if (done.first().at(0).toBool() != expectOk)
            return "unexpected result: " + done.first().at(1).toString();
        return done.first().at(1).toString();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        demo::DemoOptions o;
        o.dir = path("demo").toStdString();
        o.pretrainSteps = 2;
        m_ws = demo::createDemoWorkspace(o);
        m_db = path("runs.sqlite").toStdString();
        train::RunConfig config = train::readRunConfig(m_ws.dir + "/runs/lora.json");
        config.training.maxSteps = 2;
        config.training.warmupSteps = 0;
        config.training.evalEvery = 0;
        config.training.sampleEvery = 0;
        config.outputDir = path("run").toStdString();
        RunControl control;
        Quiet quiet;
        const auto r = engine::runJob(config, {m_db, std::nullopt}, quiet, control);
        QVERIFY2(r.train.status == train::TrainStatus::Completed, r.train.error.c_str());
        m_run = r.runId;
    }

    void mergedModel()
    {
        RunHistoryPanel panel(QString::fromStdString(m_db));
        panel.selectRun(m_run);
        auto* button = panel.findChild<QPushButton*>("exportRunButton");
        QVERIFY(button && button->isEnabled() && button->menu());
        QVERIFY(panel.findChild<QAction*>("exportGgufAction"));

        const QString file = path("merged/model.gguf");
        QDir().mkpath(path("merged"));
        const QString message = exportThroughPanel(panel, m_run, file, "f16", false, true);
        QVERIFY2(message.contains(file), qPrintable(message));
        QVERIFY(button->isEnabled());

        const std::string bytes = io::readFile(file.toStdString());
        const GgufHeader h = readHeader(bytes);
        QVERIFY(h.valid);
        QCOMPARE(h.version, 3u);
        // token_embd, output_norm and at least nine weights per block (4 blocks).
        QVERIFY2(h.tensors >= 2 + 9 * 4, qPrintable(QString::number(h.tensors)));
        QVERIFY(h.keys > 10);
        QVERIFY(bytes.find(stringEntry("general.architecture", "llama")) != std::string::npos);

        const std::string modelfile = io::readFile(path("merged/Modelfile").toStdString());
        QVERIFY2(modelfile.find("\nFROM ./model.gguf\nTEMPLATE \"\"\"{{ .Prompt }}\n{{ .Response }}\"\"\"\n") !=
                     std::string::npos,
                 modelfile.c_str()); // the demo runs use the plain template
        QVERIFY(modelfile.find("ADAPTER") == std::string::npos);
        QVERIFY(modelfile.find("PARAMETER stop \"<|endoftext|>\"") != std::string::npos);
        const std::string card = io::readFile(path("merged/README.md").toStdString());
        QVERIFY2(card.rfind("---\nbase_model: \"base\"\nlibrary_name: gguf\n", 0) == 0, card.c_str());

        bool recorded = false;
        for (const auto& a : store::RunStore(m_db).artifacts(m_run))
            recorded = recorded || QFileInfo(QString::fromStdString(a.path)) == QFileInfo(file);
        QVERIFY(recorded);
    }

    void adapterBesideBaseModel()
    {
        RunHistoryPanel panel(QString::fromStdString(m_db));
        QDir().mkpath(path("adapter"));
        const QString file = path("adapter/lora.gguf");
        const QString message = exportThroughPanel(panel, m_run, file, "f32", true, true);
        QVERIFY2(message.contains(path("adapter/base.gguf")), qPrintable(message));
        for (const char* name : {"lora.gguf", "base.gguf"}) {
            const std::string bytes = io::readFile(path("adapter/" + QString(name)).toStdString());
            QVERIFY2(readHeader(bytes).valid, name);
            QCOMPARE(readHeader(bytes).version, 3u);
        }
        const std::string adapter = io::readFile(file.toStdString());
        QVERIFY(adapter.find(stringEntry("general.type", "adapter")) != std::string::npos);
        // LoRA on q_proj and v_proj of 4 blocks: an A and a B matrix each.
        QCOMPARE(readHeader(adapter).tensors, uint64_t(2 * 2 * 4));
        const std::string modelfile = io::readFile(path("adapter/Modelfile").toStdString());
        QVERIFY2(modelfile.find("\nFROM ./base.gguf\nADAPTER ./lora.gguf\n") != std::string::npos, modelfile.c_str());
        QVERIFY(io::readFile(path("adapter/README.md").toStdString()).find("llama-cli -m BASE.gguf --lora") !=
                std::string::npos);
    }

    // A folder that cannot be written: a message naming the problem, no crash,
    // and the panel ready for the next export.
    void failureIsShown()
    {
        RunHistoryPanel panel(QString::fromStdString(m_db));
        io::writeFileAtomic(path("not-a-folder").toStdString(), "x");
        const QString message = exportThroughPanel(panel, m_run, path("not-a-folder/model.gguf"), "f16", false, false);
        QVERIFY2(message.startsWith(QString("Run %1 could not be exported as GGUF: ").arg(m_run)), qPrintable(message));
        QVERIFY(message.contains("not-a-folder"));
        const auto boxes = panel.findChildren<QMessageBox*>();
        QVERIFY(!boxes.isEmpty() && boxes.last()->text() == message);
        // An unknown run: the store says which.
        QVERIFY(exportThroughPanel(panel, 999, path("x.gguf"), "f16", false, false).contains("999"));
    }
};

QTEST_MAIN(RunHistoryExportTest)
#include "tst_run_history_export.moc"
