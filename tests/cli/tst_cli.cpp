// tunebench-cli as a user runs it: a real process, JSON on stdout, one-line
// errors on stderr with a non-zero exit status. The front executable links no
// LibTorch; model commands reach tunebench-cli-engine through it.
#include "common/cli_process.h"
#include "common/tiny_model.h"
#include "common/version.h"
#include "io/atomic_file.h"

#include <nlohmann/json.hpp>

#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const QString kModels = QStringLiteral(TB_FIXTURES_DIR "/models/");

using Run = tb::test::ProcessRun;

const QString kEngine = QFileInfo(QStringLiteral(TB_CLI)).dir().filePath("tunebench-cli-engine");

Run run(const QString& program, const QStringList& args) { return tb::test::runProcess(program, args, 120000); }

Run cli(const QStringList& args) { return run(QStringLiteral(TB_CLI), args); }

// The DT_NEEDED entries of a 64-bit ELF file: the shared libraries the loader
// maps before main(), read from the dynamic section and its string table.
std::vector<std::string> neededLibraries(const std::string& path)
{
    std::ifstream f(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    Elf64_Ehdr eh;
    if (bytes.size() < sizeof eh)
        return {};
    std::memcpy(&eh, bytes.data(), sizeof eh);
    if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64)
        return {};
    auto section = [&](size_t i) {
        Elf64_Shdr sh;
        std::memcpy(&sh, bytes.data() + eh.e_shoff + i * eh.e_shentsize, sizeof sh);
        return sh;
    };
    std::vector<std::string> needed;
    for (size_t i = 0; i < eh.e_shnum; ++i) {
        const Elf64_Shdr dyn = section(i);
        if (dyn.sh_type != SHT_DYNAMIC)
            continue;
        const Elf64_Shdr strtab = section(dyn.sh_link);
        for (size_t off = 0; off + sizeof(Elf64_Dyn) <= dyn.sh_size; off += sizeof(Elf64_Dyn)) {
            Elf64_Dyn d;
            std::memcpy(&d, bytes.data() + dyn.sh_offset + off, sizeof d);
            if (d.d_tag == DT_NEEDED)
                needed.emplace_back(bytes.data() + strtab.sh_offset + d.d_un.d_val);
        }
    }
    return needed;
}

bool linksLibTorch(const std::vector<std::string>& needed)
{
    for (const auto& lib : needed)
        if (lib.rfind("libtorch", 0) == 0 || lib.rfind("libc10", 0) == 0)
            return true;
    return false;
}

json fixture(const QString& model)
{
    return json::parse(tb::io::readFile((kModels + model + "/expected.json").toStdString()));
}

void expectOneLineError(const Run& r, const QString& needle)
{
    QVERIFY2(r.exitCode != 0, qPrintable("exit code 0, stdout: " + r.out));
    QVERIFY2(r.err.trimmed().count('\n') == 0, qPrintable("multi-line error: " + r.err));
    QVERIFY2(r.err.contains(needle), qPrintable("stderr: " + r.err));
    QVERIFY(r.out.isEmpty());
}

} // namespace

class TestCli : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void frontLinksNoLibTorch()
    {
        const auto front = neededLibraries(TB_CLI);
        const auto engine = neededLibraries(kEngine.toStdString());
        // The reader works: both name the C library, and the engine names LibTorch.
        QVERIFY(std::find(front.begin(), front.end(), "libc.so.6") != front.end());
        QVERIFY(std::find(engine.begin(), engine.end(), "libc.so.6") != engine.end());
        QVERIFY(linksLibTorch(engine));
        QVERIFY2(!linksLibTorch(front), "tunebench-cli must not link LibTorch");
    }

    void modelFreeCommandsRunWithoutTheEngine()
    {
        // The front alone in a folder: metric, runs and --version still answer;
        // a model command says in one line that the engine is missing.
        QTemporaryDir tmp;
        const QString alone = tmp.filePath("tunebench-cli");
        QVERIFY(QFile::copy(QStringLiteral(TB_CLI), alone));
        const Run version = run(alone, {"--version"});
        QCOMPARE(version.exitCode, 0);
        QCOMPARE(version.out.trimmed(), QStringLiteral("tunebench-cli " TUNEBENCH_VERSION));
        const Run metric = run(alone, {"metric", "bleu", "--input", TB_FIXTURES_DIR "/eval/cases.jsonl", "--level", "corpus"});
        QVERIFY2(metric.exitCode == 0, qPrintable(metric.err));
        QCOMPARE(metric.out, cli({"metric", "bleu", "--input", TB_FIXTURES_DIR "/eval/cases.jsonl", "--level", "corpus"}).out);
        const Run runs = run(alone, {"runs", "--db", tmp.filePath("runs.sqlite"), "list"});
        QVERIFY2(runs.exitCode == 0, qPrintable(runs.err));
        QCOMPARE(runs.out.trimmed(), QStringLiteral("[]"));
        expectOneLineError(run(alone, {"info", "--model", kModels + "llama_gqa"}), "needs tunebench-cli-engine");
        expectOneLineError(run(alone, {"runs", "--db", tmp.filePath("runs.sqlite"), "show", "--run", "1", "--inspect"}),
                           "needs tunebench-cli-engine");
    }

    void helpListsEveryCommand()
    {
        const Run help = cli({"--help"});
        QCOMPARE(help.exitCode, 0);
        for (const char* command : {"info", "tokenize", "forward", "generate", "train", "resume", "runs", "export", "demo",
                                    "metric", "eval", "forgetting", "general", "compare"})
            QVERIFY2(help.out.contains(QRegularExpression(QStringLiteral("\\n  %1 ").arg(command))),
                     qPrintable(QString("--help lacks %1:\n%2").arg(command, help.out)));
        // The engine's own help is the same text; --version agrees too.
        QCOMPARE(run(kEngine, {"--help"}).out.replace(kEngine, "PROGRAM"),
                 QString(help.out).replace(QStringLiteral(TB_CLI), "PROGRAM"));
        QCOMPARE(cli({"--version"}).out, run(kEngine, {"--version"}).out);
        // A mistyped command goes to the engine and fails as before.
        const Run typo = cli({"trian"});
        QVERIFY(typo.exitCode != 0);
        QVERIFY(typo.out.isEmpty());
    }

    void infoReportsTheConfig()
    {
        const Run r = cli({"info", "--model", kModels + "llama_gqa"});
        QCOMPARE(r.exitCode, 0);
        const json j = json::parse(r.out.toStdString());
        const json cfg = json::parse(tb::io::readFile((kModels + "llama_gqa/config.json").toStdString()));
        QCOMPARE(j["family"].get<std::string>(), std::string("llama"));
        QCOMPARE(j["vocab_size"], cfg["vocab_size"]);
        QCOMPARE(j["context_length"], cfg["max_position_embeddings"]);
        QCOMPARE(j["dtype"].get<std::string>(), std::string("bf16"));
        QVERIFY(j["parameters"].get<int64_t>() > 0);
    }

    void forwardPrintsLastLogitsAndArgmax()
    {
        const json expected = fixture("qwen2_tiny");
        const json& c = expected["cases"].back();
        QStringList ids;
        for (const auto& id : c["ids"])
            ids << QString::number(id.get<int64_t>());
        const Run r = cli({"forward", "--model", kModels + "qwen2_tiny", "--ids", ids.join(',')});
        QCOMPARE(r.exitCode, 0);
        const json j = json::parse(r.out.toStdString());
        const json& refLast = c["logits"].back();
        QCOMPARE(j["logits_last"].size(), refLast.size());
        for (size_t v = 0; v < refLast.size(); ++v)
            QVERIFY(std::abs(j["logits_last"][v].get<double>() - refLast[v].get<double>()) < 1e-3);
        std::vector<int64_t> argmax;
        for (const auto& row : c["logits"]) {
            auto values = row.get<std::vector<double>>();
            argmax.push_back(std::max_element(values.begin(), values.end()) - values.begin());
        }
        QCOMPARE(j["argmax"].get<std::vector<int64_t>>(), argmax);
    }

    void generateFromIdsIsGreedyByDefault()
    {
        const json expected = fixture("llama_tied");
        const json& g = expected["greedy"][0];
        QStringList ids;
        for (const auto& id : g["prompt_ids"])
            ids << QString::number(id.get<int64_t>());
        const Run r = cli({"generate", "--model", kModels + "llama_tied", "--prompt-ids", ids.join(','),
                           "--max-new-tokens", QString::number(g["max_new_tokens"].get<int>()), "--ignore-eos"});
        QCOMPARE(r.exitCode, 0);
        const json j = json::parse(r.out.toStdString());
        QCOMPARE(j["ids"], g["new_ids"]);
    }

    void tokenizeMatchesReferenceTokenizers_data()
    {
        QTest::addColumn<QString>("tokenizer");
        QTest::addColumn<QString>("expected");
        const QString dir = QStringLiteral(TB_FIXTURES_DIR "/tokenizers/");
        // SentencePiece in the same process as LibTorch: both use protobuf.
        QTest::newRow("sentencepiece .model") << dir + "sentencepiece/tokenizer.model" << dir + "sentencepiece/expected.jsonl";
        QTest::newRow("gpt2 tokenizer.json folder") << dir + "gpt2" << dir + "gpt2/expected.jsonl";
        QTest::newRow("llama3-style") << dir + "llama3-style" << dir + "llama3-style/expected.jsonl";
    }
    void tokenizeMatchesReferenceTokenizers()
    {
        QFETCH(QString, tokenizer);
        QFETCH(QString, expected);
        QTemporaryDir tmp;
        std::vector<json> want;
        std::string input;
        size_t n = 0;
        for (const auto& line : QString::fromStdString(tb::io::readFile(expected.toStdString())).split('\n', Qt::SkipEmptyParts)) {
            json rec = json::parse(line.toStdString());
            input += json({{"id", "t" + std::to_string(n++)}, {"text", rec["text"]}}).dump() + "\n";
            want.push_back(rec["ids"]);
        }
        const QString in = tmp.filePath("in.jsonl");
        tb::io::writeFileAtomic(in.toStdString(), input);
        const Run r = cli({"tokenize", "--tokenizer", tokenizer, "--input", in});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QStringList lines = r.out.split('\n', Qt::SkipEmptyParts);
        QCOMPARE(size_t(lines.size()), want.size());
        for (size_t i = 0; i < want.size(); ++i) {
            const json got = json::parse(lines[int(i)].toStdString());
            QCOMPARE(got["id"].get<std::string>(), "t" + std::to_string(i));
            QVERIFY2(got["ids"] == want[i], qPrintable(QString("line %1").arg(i + 1)));
        }
        // --text gives the same ids as the first input line.
        const json first = json::parse(input.substr(0, input.find('\n')));
        const Run single = cli({"tokenize", "--tokenizer", tokenizer, "--text", QString::fromStdString(first["text"].get<std::string>())});
        QCOMPARE(single.exitCode, 0);
        QVERIFY(json::parse(single.out.toStdString())["ids"] == want[0]);
    }

    void trainRunsListShowExportAndResumeAfterKill()
    {
        QTemporaryDir tmp;
        const std::string model = tbtest::makeTinyModel(tmp.filePath("base").toStdString());
        std::string data;
        for (int i = 0; i < 64; ++i)
            data += json({{"prompt", "count " + std::to_string(i)}, {"response", std::to_string(i + 1)}}).dump() + "\n";
        tb::io::writeFileAtomic(tmp.filePath("d.jsonl").toStdString(), data);
        auto runJson = [&](int steps) {
            return json({{"name", "cli-lora"},
                         {"model", model},
                         {"data", {{"train", {"d.jsonl"}}, {"template", "plain"}, {"max_length", 64}}},
                         {"method", {{"method", "lora"}}},
                         {"training", {{"max_steps", steps}, {"batch_size", 8}, {"checkpoint_every", 5}, {"seed", 1}}}});
        };
        tb::io::writeFileAtomic(tmp.filePath("RUN.json").toStdString(), runJson(10).dump());
        const QString db = tmp.filePath("store/runs.sqlite");

        const Run r = cli({"train", "--config", tmp.filePath("RUN.json"), "--db", db, "--events", "jsonl"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QStringList events = r.out.split('\n', Qt::SkipEmptyParts);
        int steps = 0, checkpoints = 0;
        for (const auto& e : events) {
            const json j = json::parse(e.toStdString());
            steps += j["event"] == "step";
            checkpoints += j["event"] == "checkpoint";
        }
        QCOMPARE(steps, 10);
        QCOMPARE(checkpoints, 2);
        const json finished = json::parse(events.back().toStdString());
        QCOMPARE(finished["event"].get<std::string>(), std::string("finished"));
        QCOMPARE(finished["status"].get<std::string>(), std::string("completed"));
        const int64_t id = finished["run_id"];

        const Run list = cli({"runs", "--db", db, "list"});
        QCOMPARE(list.exitCode, 0);
        const json runs = json::parse(list.out.toStdString());
        QCOMPARE(runs.size(), size_t(1));
        QCOMPARE(runs[0]["status"].get<std::string>(), std::string("completed"));
        // Options after the subcommand, as git-style tools accept: the same listing.
        const Run listAfter = cli({"runs", "list", "--db", db});
        QVERIFY2(listAfter.exitCode == 0, qPrintable(listAfter.err));
        QCOMPARE(listAfter.out, list.out);
        const Run show = cli({"runs", "show", "--run", QString::number(id), "--db", db});
        QCOMPARE(show.exitCode, 0);
        const json shown = json::parse(show.out.toStdString());
        QCOMPARE(shown["last_metrics"]["loss"]["step"].get<int>(), 10);
        QCOMPARE(shown["artifacts"][0]["kind"].get<std::string>(), std::string("adapter"));
        QVERIFY(!shown.contains("inspection"));
        // --inspect reads the weights: the front hands the command line to the engine.
        const Run inspected = cli({"runs", "show", "--run", QString::number(id), "--db", db, "--inspect"});
        QVERIFY2(inspected.exitCode == 0, qPrintable(inspected.err));
        const json withInspection = json::parse(inspected.out.toStdString());
        QCOMPARE(withInspection["inspection"]["method"].get<std::string>(), std::string("lora"));
        QVERIFY(!withInspection["inspection"]["lora"].empty());
        QCOMPARE(withInspection["config"], shown["config"]);
        const Run exported = cli({"export", "--db", db, "--run", QString::number(id), "--adapter", tmp.filePath("out")});
        QVERIFY2(exported.exitCode == 0, qPrintable(exported.err));
        QVERIFY(QFile::exists(tmp.filePath("out/adapter_config.json")));

        // A process killed mid-run: the store marks it interrupted, resume finishes it.
        tb::io::writeFileAtomic(tmp.filePath("RUN.json").toStdString(), runJson(400).dump());
        QProcess p;
        p.start(QStringLiteral(TB_CLI), {"train", "--config", tmp.filePath("RUN.json"), "--db", db, "--events", "jsonl"});
        QString seen;
        int64_t killedId = 0;
        while (p.waitForReadyRead(60000)) {
            seen += QString::fromUtf8(p.readAllStandardOutput());
            for (const auto& line : seen.split('\n', Qt::SkipEmptyParts)) {
                const json j = json::parse(line.toStdString(), nullptr, false);
                if (j.is_object() && j["event"] == "run_created")
                    killedId = j["run_id"];
            }
            if (seen.contains("\"checkpoint\""))
                break;
        }
        p.kill();
        p.waitForFinished();
        QVERIFY(killedId > 0);
        const json after = json::parse(cli({"runs", "--db", db, "show", "--run", QString::number(killedId)}).out.toStdString());
        QCOMPARE(after["status"].get<std::string>(), std::string("interrupted"));
        QVERIFY(after["checkpoints"].size() >= 1);
        const Run resumed = cli({"resume", "--db", db, "--run", QString::number(killedId)});
        QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err));
        const json done = json::parse(resumed.out.toStdString());
        QCOMPARE(done["status"].get<std::string>(), std::string("completed"));
        QCOMPARE(done["steps"].get<int>(), 400);

        // A typo in RUN.json: one line naming the key.
        json bad = runJson(5);
        bad["training"]["lr"] = 0.1;
        tb::io::writeFileAtomic(tmp.filePath("bad.json").toStdString(), bad.dump());
        expectOneLineError(cli({"train", "--config", tmp.filePath("bad.json"), "--db", db}), "training: unknown key 'lr'");
    }

    void metricBleuMatchesSacreBleuPerSentence()
    {
        // Every hard case, sentence BLEU with sacreBLEU's defaults, against its recorded scores.
        const QString cases = QStringLiteral(TB_FIXTURES_DIR "/eval/cases.jsonl");
        const json ref = json::parse(tb::io::readFile(TB_FIXTURES_DIR "/eval/reference.json"));
        std::map<std::string, double> want;
        for (const auto& r : ref["bleu_sentence"])
            if (r["tokenize"] == "13a" && r["smooth"] == "exp" && r["lowercase"] == false)
                want[r["id"].get<std::string>()] = r["score"].get<double>();
        QVERIFY(want.size() > 10);
        const Run r = cli({"metric", "bleu", "--input", cases, "--level", "sentence"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        int compared = 0;
        for (const auto& line : r.out.split('\n', Qt::SkipEmptyParts)) {
            const json j = json::parse(line.toStdString());
            const auto it = want.find(j["id"].get<std::string>());
            if (it == want.end())
                continue;
            QVERIFY2(std::abs(j["bleu"]["score"].get<double>() - it->second) < 1e-4, j.dump().c_str());
            ++compared;
        }
        QCOMPARE(size_t(compared), want.size());
    }

    void badInputFailsWithOneLine()
    {
        QTemporaryDir tmp;
        expectOneLineError(cli({"forward", "--model", kModels + "llama_tied", "--ids", "5,x,7"}), "found 'x' at item 2");
        expectOneLineError(cli({"forward", "--model", kModels + "llama_tied", "--ids", "5,100000"}),
                           "outside the vocabulary");
        expectOneLineError(cli({"info", "--model", tmp.filePath("absent")}), "no such file or folder");

        // A safetensors file cut in the middle of its data.
        const QString cut = tmp.filePath("cut");
        fs::copy((kModels + "llama_tied").toStdString(), cut.toStdString(), fs::copy_options::recursive);
        const std::string weights = (cut + "/model.safetensors").toStdString();
        fs::resize_file(weights, fs::file_size(weights) / 2);
        expectOneLineError(cli({"info", "--model", cut}), "model.safetensors: ");

        // A header length pointing past the end of the file.
        tb::io::writeFileAtomic(weights, std::string("\xff\x00\x00\x00\x00\x00\x00\x00{}", 10));
        expectOneLineError(cli({"info", "--model", cut}), "runs past the end of the file");

        // Unknown architecture.
        json cfg = json::parse(tb::io::readFile((kModels + "llama_tied/config.json").toStdString()));
        cfg["model_type"] = "rwkv";
        tb::io::writeFileAtomic((cut + "/config.json").toStdString(), cfg.dump());
        expectOneLineError(cli({"info", "--model", cut}), "config.json: unknown model_type 'rwkv'");

        expectOneLineError(cli({"generate", "--model", kModels + "llama_tied", "--prompt", "hi"}), "needs a tokenizer");

        // A JSONL input line without text names the file and line.
        const QString bad = tmp.filePath("bad.jsonl");
        tb::io::writeFileAtomic(bad.toStdString(), "{\"id\": 1, \"text\": \"ok\"}\n{\"id\": 2, \"txt\": \"oops\"}\n");
        const Run partial = cli({"tokenize", "--tokenizer", QStringLiteral(TB_FIXTURES_DIR "/tokenizers/gpt2"), "--input", bad});
        QVERIFY(partial.exitCode != 0);
        QVERIFY2(partial.err.contains("bad.jsonl:2: field 'text'"), qPrintable(partial.err));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
