// llama.cpp runs Tunebench's GGUF exports as they are: the same greedy tokens
// from the same prompt ids, and the same token ids for the same text.
//
// llama.cpp comes from npm's node-llama-cpp, pinned, with its prebuilt CPU
// binaries, installed on first use into ~/.cache/tunebench (see
// llama_cpp_run.mjs). The test skips only when the npm registry cannot be
// reached to install it, and says so.
#include "demo/demo.h"
#include "engine/model_loader.h"
#include "model/language_model.h"
#include "peft/peft_model.h"
#include "store/run_store.h"
#include "tokenizer/tokenizer.h"
#include "train/run_config.h"

#include "common/cli_process.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <fstream>

using namespace tb;

namespace {

const char* const kNodeLlamaCpp = "3.21.1";
// node-llama-cpp 3.x needs Node 20; Debian 12's nodejs is 18. Then a Node 20
// binary comes from npm too (the node-<platform>-<arch> packages).
const char* const kNode20 = "20.20.2";
constexpr int kNewTokens = 12;

QString cacheRoot()
{
    const QString xdg = qEnvironmentVariable("XDG_CACHE_HOME");
    return (xdg.isEmpty() ? QDir::homePath() + "/.cache" : xdg) + "/tunebench";
}

std::vector<int64_t> idsFromJson(const QJsonValue& value)
{
    std::vector<int64_t> ids;
    for (const auto& v : value.toArray())
        ids.push_back(v.toInteger());
    return ids;
}

QString idList(const std::vector<int64_t>& ids)
{
    QStringList parts;
    for (int64_t id : ids)
        parts << QString::number(id);
    return parts.join(',');
}

} // namespace

class GgufInterop : public QObject {
    Q_OBJECT

    QTemporaryDir m_tmp;
    QString m_node, m_modules, m_cli = TB_CLI;
    demo::DemoWorkspace m_ws;
    std::string m_db;
    int64_t m_run = 0;
    QString m_baseGguf, m_mergedGguf, m_adapterGguf;
    std::vector<std::vector<int64_t>> m_prompts;
    int64_t m_eos = -1; // llama.cpp ends a generation at the end-of-text token

    QString path(const QString& name) const { return m_tmp.filePath(name); }

    tb::test::ProcessRun node(const QStringList& args)
    {
        return tb::test::runProcess(m_node, QStringList{TB_INTEROP_SCRIPT, "--modules", m_modules} + args, 300000);
    }

    // Runs npm; on failure tells an unreachable registry (skip) from a broken
    // install (fail).
    bool npmInstall(const QString& npm, const QString& prefix, const QStringList& packages, QString* why)
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("NODE_LLAMA_CPP_SKIP_DOWNLOAD", "true");
        p.setProcessEnvironment(env);
        p.start(npm, QStringList{"install", "--no-save", "--no-audit", "--no-fund", "--ignore-scripts",
                                 "--omit=optional", "--prefix", prefix} + packages);
        if (p.waitForFinished(600000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0)
            return true;
        *why = QString::fromUtf8(p.readAllStandardError()).right(2000);
        return false;
    }

    // node-llama-cpp (and Node 20 when the system's is older) in the cache.
    // Returns why the test must skip (the registry is unreachable), else
    // empty; fails the test for any other problem.
    QString installLlamaCpp()
    {
        const QString npm = QStandardPaths::findExecutable("npm");
        m_node = QStandardPaths::findExecutable("node");
        if (m_node.isEmpty() || npm.isEmpty()) {
            QTest::qFail("node and npm are needed to run llama.cpp: install nodejs and npm (packaging/setup.sh does)",
                         __FILE__, __LINE__);
            return {};
        }
        const auto facts = tb::test::runProcess(
            m_node, {"-p", "process.versions.node.split('.')[0] + ' ' + process.platform + '-' + process.arch"}, 30000);
        const QStringList fact = facts.out.trimmed().split(' ');
        if (facts.exitCode != 0 || fact.size() != 2) {
            QTest::qFail(qPrintable("node -p failed: " + facts.err), __FILE__, __LINE__);
            return {};
        }
        const bool oldNode = fact[0].toInt() < 20;
        const QString platform = fact[1];

        m_modules = cacheRoot() + "/node-llama-cpp-" + kNodeLlamaCpp;
        const QString nodeBinary = m_modules + "/node_modules/node-" + platform + "/bin/node";
        const bool installed =
            QFileInfo::exists(m_modules + "/node_modules/node-llama-cpp/package.json")
            && QFileInfo::exists(m_modules + "/node_modules/@node-llama-cpp/" + platform + "/package.json")
            && (!oldNode || QFileInfo::exists(nodeBinary));
        if (!installed) {
            // Installed beside and renamed into place: an interrupted install
            // never looks complete.
            const QString partial = m_modules + ".partial-" + QString::number(QCoreApplication::applicationPid());
            QDir().mkpath(partial);
            QStringList packages{QString("node-llama-cpp@") + kNodeLlamaCpp,
                                 "@node-llama-cpp/" + platform + "@" + kNodeLlamaCpp};
            if (oldNode)
                packages << "node-" + platform + "@" + kNode20;
            QString why;
            if (!npmInstall(npm, partial, packages, &why)) {
                QDir(partial).removeRecursively();
                const auto ping = tb::test::runProcess(npm, {"ping"}, 60000);
                if (ping.exitCode != 0)
                    return "the npm registry is unreachable, so llama.cpp (node-llama-cpp) cannot be installed: "
                           + (ping.err + ping.out).trimmed().right(500);
                QTest::qFail(qPrintable("npm install " + packages.join(' ') + " failed: " + why), __FILE__, __LINE__);
                return {};
            }
            QDir(m_modules).removeRecursively();
            if (!QDir().rename(partial, m_modules))
                QDir(partial).removeRecursively(); // another test installed it meanwhile
        }
        if (oldNode)
            m_node = nodeBinary;
        return {};
    }

    // A few LoRA steps on the demo workspace with a large learning rate, so
    // the adapter changes what the model says.
    void trainLora()
    {
        std::string lora;
        for (const auto& c : m_ws.runConfigs)
            if (QFileInfo(QString::fromStdString(c)).fileName() == "lora.json")
                lora = c;
        QVERIFY(!lora.empty());
        train::RunConfig config = train::readRunConfig(lora);
        config.training.maxSteps = 6;
        config.training.learningRate = 3e-2;
        config.training.warmupSteps = 0;
        config.training.evalEvery = 0;
        config.training.sampleEvery = 0;
        config.method.lora.dropout = 0;
        config.outputDir = path("run").toStdString();
        const QString file = path("lora.json");
        std::ofstream(file.toStdString()) << train::toJson(config).dump(2);
        const auto trained = tb::test::runProcess(m_cli, {"train", "--config", file, "--db", QString::fromStdString(m_db)},
                                                  600000);
        QVERIFY2(trained.exitCode == 0, qPrintable(trained.err));
        const auto runs = store::RunStore(m_db).listRuns();
        QCOMPARE(runs.size(), size_t(1));
        QVERIFY(runs[0].status == store::RunStatus::Completed);
        m_run = runs[0].id;
    }

    void exportGguf(const QStringList& args)
    {
        const auto r = tb::test::runProcess(m_cli, QStringList{"export"} + args, 300000);
        QVERIFY2(r.exitCode == 0, qPrintable("tunebench-cli export " + args.join(' ') + ": " + r.err));
    }

    std::vector<std::vector<int64_t>> tunebenchGreedy(const engine::ModelSpec& spec)
    {
        torch::NoGradGuard noGrad;
        const engine::LoadedModel m = engine::loadModel(spec, m_db);
        model::GenerationOptions o;
        o.maxNewTokens = kNewTokens;
        o.temperature = 0;
        o.stopAtEos = false;
        std::vector<std::vector<int64_t>> out;
        for (const auto& prompt : m_prompts) {
            const auto r = m.peft ? m.peft->generate({prompt}, o) : m.lm->generate({prompt}, o);
            out.push_back(r.at(0).ids);
        }
        return out;
    }

    std::vector<std::vector<int64_t>> llamaCppGreedy(const QString& gguf, const QString& lora = {})
    {
        std::vector<std::vector<int64_t>> out;
        for (const auto& prompt : m_prompts) {
            QStringList args{"--model", gguf, "--prompt", idList(prompt), "--n", QString::number(kNewTokens)};
            if (!lora.isEmpty())
                args << "--lora" << lora;
            const auto r = node(args);
            if (r.exitCode != 0) {
                QTest::qFail(qPrintable("llama.cpp on " + gguf + ": " + r.err), __FILE__, __LINE__);
                return {};
            }
            out.push_back(idsFromJson(QJsonDocument::fromJson(r.out.toUtf8()).object().value("generated")));
        }
        return out;
    }

    // Tunebench generates all kNewTokens (stopAtEos off); llama.cpp stops at
    // its end-of-generation token without returning it. So llama.cpp's tokens
    // must be ours up to the first end-of-text token, and at least 3 of them.
    void compareGreedy(std::vector<std::vector<int64_t>> ours, const std::vector<std::vector<int64_t>>& theirs)
    {
        QCOMPARE(theirs.size(), ours.size());
        size_t longest = 0;
        for (auto& o : ours) {
            o.erase(std::find(o.begin(), o.end(), m_eos), o.end());
            longest = std::max(longest, o.size());
        }
        QVERIFY2(longest >= 3, "every greedy continuation ends within two tokens; nothing to compare");
        for (size_t i = 0; i < ours.size(); ++i)
            QVERIFY2(theirs[i] == ours[i], qPrintable(QString("prompt %1 (%2): Tunebench %3, llama.cpp %4")
                                                          .arg(i)
                                                          .arg(idList(m_prompts[i]), idList(ours[i]), idList(theirs[i]))));
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        const QString skip = installLlamaCpp();
        if (QTest::currentTestFailed())
            return;
        if (!skip.isEmpty())
            QSKIP(qPrintable(skip));
        demo::DemoOptions o;
        o.dir = path("demo").toStdString();
        o.pretrainSteps = 60; // enough that greedy choices are not near-ties
        o.threads = 2;
        m_ws = demo::createDemoWorkspace(o);
        m_db = path("runs.sqlite").toStdString();
        trainLora();
        if (QTest::currentTestFailed())
            return;
        const QString run = QString::number(m_run), db = QString::fromStdString(m_db);
        m_baseGguf = path("base.gguf");
        m_mergedGguf = path("merged.gguf");
        m_adapterGguf = path("adapter.gguf");
        exportGguf({"--model", QString::fromStdString(m_ws.baseModel), "--gguf", m_baseGguf, "--gguf-type", "f32"});
        exportGguf({"--run", run, "--db", db, "--gguf", m_mergedGguf, "--gguf-type", "f32"});
        exportGguf({"--run", run, "--db", db, "--gguf-adapter", m_adapterGguf});
        if (QTest::currentTestFailed())
            return;
        // The merged export wrote an Ollama Modelfile naming it beside it.
        QFile modelfile(path("Modelfile"));
        QVERIFY2(modelfile.open(QIODevice::ReadOnly), "export --gguf wrote no Modelfile");
        QVERIFY(modelfile.readAll().contains("FROM ./merged.gguf"));
        QVERIFY(QFile::exists(path("README.md")));

        const auto tokenizer = tok::loadTokenizer(m_ws.baseModel);
        m_eos = tokenizer->eosId().value_or(-1);
        for (const char* text : {"Once upon a time", "Summarize: the fox ran to the river and", "The cat"})
            m_prompts.push_back(tokenizer->encode(text, false));
    }

    void reportsLlamaCppVersion()
    {
        const auto r = node({"--model", m_baseGguf});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonObject release = QJsonDocument::fromJson(r.out.toUtf8()).object().value("llamaCpp").toObject();
        QCOMPARE(release.value("repo").toString(), QString("ggml-org/llama.cpp"));
        qInfo("llama.cpp %s (node-llama-cpp %s)", qPrintable(release.value("release").toString()), kNodeLlamaCpp);
    }

    // The same text gives the same ids without special tokens: byte-level BPE,
    // the GPT-2 pre-tokenizer split, merges in rank order.
    void tokenizationMatches_data()
    {
        QTest::addColumn<QString>("text");
        QTest::newRow("words") << "Once upon a time, a small fox lived by the river.";
        QTest::newRow("spaces and newlines") << "  two  spaces\nand a\n\nnew paragraph\t tab";
        QTest::newRow("numbers and punctuation") << "In 2024 it cost $3.50 (about 12%)! Isn't it?";
        QTest::newRow("unicode") << "naïve café — 東京 🙂";
    }
    void tokenizationMatches()
    {
        QFETCH(QString, text);
        const auto tokenizer = tok::loadTokenizer(m_ws.baseModel);
        const std::vector<int64_t> ours = tokenizer->encode(text.toStdString(), false);
        const auto r = node({"--model", m_baseGguf, "--tokenize", text});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto theirs = idsFromJson(QJsonDocument::fromJson(r.out.toUtf8()).object().value("tokens"));
        QVERIFY2(theirs == ours, qPrintable("Tunebench " + idList(ours) + ", llama.cpp " + idList(theirs)));
    }

    void baseModelGreedyMatches()
    {
        engine::ModelSpec base;
        base.model = m_ws.baseModel;
        compareGreedy(tunebenchGreedy(base), llamaCppGreedy(m_baseGguf));
    }

    // LoRA merged into the weights, and the adapter applied by llama.cpp on
    // the base model's GGUF, both decode as the run does in Tunebench.
    void loraGreedyMatches()
    {
        engine::ModelSpec run, base;
        run.run = m_run;
        base.model = m_ws.baseModel;
        const auto ours = tunebenchGreedy(run);
        // Otherwise an adapter that llama.cpp ignored would pass unnoticed.
        QVERIFY2(ours != tunebenchGreedy(base), "the LoRA run decodes as its base model does; train it harder");
        compareGreedy(ours, llamaCppGreedy(m_mergedGguf));
        compareGreedy(ours, llamaCppGreedy(m_baseGguf, m_adapterGguf));
    }
};

QTEST_GUILESS_MAIN(GgufInterop)
#include "tst_gguf_interop.moc"
