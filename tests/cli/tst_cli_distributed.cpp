// Data-parallel `tunebench-cli train` end to end, on loopback, against the
// single-process run of the same RUN.json with the whole batch (8):
// - the launcher, `--nproc-per-node 2` with batch 4;
// - two processes started by hand with torchrun's variables;
// - two "nodes" of one rank each (`--nnodes 2 --node-rank 0/1`);
// each gives the same final loss (1e-3 relative) and adapter tensors; only
// rank 0 reports on stdout and writes the store. And a rank killed with
// SIGKILL mid-run: the other exits non-zero with the clear error, the store
// marks the run interrupted, and `resume` with two ranks completes it.
// `eval --nproc-per-node 2` (generation, classification and perplexity tasks
// with a HELM block, batches dealt out to the ranks) gives one process's
// scores exactly, and only rank 0 prints and records. Sample generations
// during training are shared out and gathered: one process's texts. A
// cancel on rank 0 ends both ranks and the run as cancelled.
#include "../common/cli_process.h"
#include "common/ranks.h"
#include "../common/tiny_model.h"
#include "io/atomic_file.h"
#include "io/weight_set.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <cstring>

using nlohmann::json;

namespace {

using tbtest::freePort;

QProcessEnvironment rankEnv(int rank, int world, int port)
{
    auto env = tbtest::rankEnvironment(rank, world, port);
    // As the test itself was started (each rank takes its share of the cores when unset).
    const auto own = QProcessEnvironment::systemEnvironment();
    if (own.contains("OMP_NUM_THREADS"))
        env.insert("OMP_NUM_THREADS", own.value("OMP_NUM_THREADS"));
    else
        env.remove("OMP_NUM_THREADS");
    env.insert("TUNEBENCH_CHECK_WEIGHTS_EVERY", "1");
    return env;
}

std::unique_ptr<QProcess> start(const QStringList& args, const QProcessEnvironment& env)
{
    auto p = std::make_unique<QProcess>();
    p->setProcessEnvironment(env);
    p->start(QStringLiteral(TB_CLI), args);
    p->waitForStarted();
    return p;
}

// Every value of the adapter's tensors, in name order.
std::vector<float> adapterValues(const QString& folder)
{
    auto weights = tb::io::WeightSet::fromSafetensors((folder + "/adapter_model.safetensors").toStdString());
    std::vector<float> all;
    for (const auto& name : weights.names()) {
        const auto* w = weights.find(name);
        if (w->dtype != tb::io::DType::F32)
            qFatal("%s: expected F32", name.c_str());
        size_t n = 1;
        for (int64_t d : w->shape)
            n *= static_cast<size_t>(d);
        const auto* f = static_cast<const float*>(w->data);
        all.insert(all.end(), f, f + n);
    }
    return all;
}

} // namespace

class TestCliDistributed : public QObject {
    Q_OBJECT

    QTemporaryDir m_tmp;
    std::string m_model;

    QString writeRun(const QString& name, int batch, int steps, const json& training = json::object())
    {
        const json run = {{"name", "dp"},
                          {"model", m_model},
                          {"data", {{"train", {m_tmp.filePath("d.jsonl").toStdString()}}, {"template", "plain"}, {"max_length", 64}}},
                          {"method", {{"method", "lora"}, {"lora", {{"dropout", 0.0}}}}},
                          {"training", {{"max_steps", steps}, {"batch_size", batch}, {"checkpoint_every", 2},
                                        {"seed", 1}, {"threads", 1}, {"schedule", "constant"}, {"learning_rate", 5e-3}}}};
        json withExtra = run;
        withExtra["training"].update(training);
        const QString path = m_tmp.filePath(name + ".json");
        tb::io::writeFileAtomic(path.toStdString(), withExtra.dump());
        return path;
    }

    // The reference run's result line, once.
    json m_single;
    std::vector<float> m_singleAdapter;

    void compareWithSingle(const QString& out, const QString& what)
    {
        const json got = json::parse(out.toStdString());
        QCOMPARE(got["status"].get<std::string>(), std::string("completed"));
        const double a = got["final_loss"], b = m_single["final_loss"];
        QVERIFY2(std::abs(a - b) <= 1e-3 * std::abs(b), qPrintable(what + QString(": %1 vs %2").arg(a).arg(b)));
        const auto adapter = adapterValues(QString::fromStdString(got["saved"].get<std::string>()));
        QCOMPARE(adapter.size(), m_singleAdapter.size());
        float worst = 0;
        for (size_t i = 0; i < adapter.size(); ++i)
            worst = std::max(worst, std::abs(adapter[i] - m_singleAdapter[i]));
        QVERIFY2(worst < 1e-4f, qPrintable(what + QString(": largest adapter difference %1").arg(worst)));
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        m_model = tbtest::makeTinyModel(m_tmp.filePath("base").toStdString());
        std::string data;
        for (int i = 0; i < 48; ++i) // unequal lengths: ranks see unequal token counts
            data += json({{"prompt", "count " + std::to_string(i) + std::string(static_cast<size_t>(i % 5), '!')},
                          {"response", std::to_string(i + 1)}}).dump() + "\n";
        tb::io::writeFileAtomic(m_tmp.filePath("d.jsonl").toStdString(), data);
        const auto r = tb::test::runProcess(QStringLiteral(TB_CLI),
                                            {"train", "--config", writeRun("single", 8, 4), "--db", m_tmp.filePath("single.sqlite")}, 60000);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        m_single = json::parse(r.out.toStdString());
        m_singleAdapter = adapterValues(QString::fromStdString(m_single["saved"].get<std::string>()));
        QVERIFY(!m_singleAdapter.empty());
    }

    void launcherWithTwoLocalRanks()
    {
        const auto r = tb::test::runProcess(QStringLiteral(TB_CLI),
                                            {"train", "--config", writeRun("launched", 4, 4), "--db", m_tmp.filePath("launched.sqlite"),
                                             "--nproc-per-node", "2", "--master-port", QString::number(freePort())}, 60000);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(r.out.count('\n'), 1); // rank 0's result line only
        compareWithSingle(r.out, "launcher");
    }

    void twoProcessesStartedByHand()
    {
        const int port = freePort();
        const QStringList args{"train", "--config", writeRun("byhand", 4, 4), "--db", m_tmp.filePath("byhand.sqlite")};
        auto r0 = start(args, rankEnv(0, 2, port));
        auto r1 = start(args, rankEnv(1, 2, port));
        QVERIFY(r0->waitForFinished(60000) && r1->waitForFinished(60000));
        QVERIFY2(r1->exitCode() == 0, r1->readAllStandardError().constData());
        QVERIFY2(r0->exitCode() == 0, r0->readAllStandardError().constData());
        QVERIFY(r1->readAllStandardOutput().isEmpty());
        compareWithSingle(QString::fromUtf8(r0->readAllStandardOutput()), "by hand");
    }

    void twoNodesOfOneRankEach()
    {
        const QString port = QString::number(freePort());
        const QString config = writeRun("nodes", 4, 4);
        std::vector<std::unique_ptr<QProcess>> nodes;
        for (const char* node : {"0", "1"})
            nodes.push_back(start({"train", "--config", config, "--db", m_tmp.filePath(QString("node%1.sqlite").arg(node)),
                                   "--nproc-per-node", "1", "--nnodes", "2", "--node-rank", node,
                                   "--master-addr", "127.0.0.1", "--master-port", port},
                                  QProcessEnvironment::systemEnvironment()));
        for (auto& n : nodes)
            QVERIFY(n->waitForFinished(60000));
        QVERIFY2(nodes[1]->exitCode() == 0, nodes[1]->readAllStandardError().constData());
        QVERIFY2(nodes[0]->exitCode() == 0, nodes[0]->readAllStandardError().constData());
        compareWithSingle(QString::fromUtf8(nodes[0]->readAllStandardOutput()), "two nodes");
        QVERIFY(!QFile::exists(m_tmp.filePath("node1.sqlite"))); // node 1's rank writes no store
    }

    void killedRankInterruptsAndResumeCompletes()
    {
        const int port = freePort();
        const QString db = m_tmp.filePath("fault.sqlite");
        const QStringList args{"train", "--config", writeRun("fault", 4, 100), "--db", db, "--events", "jsonl"};
        auto r0 = start(args, rankEnv(0, 2, port));
        auto r1 = start(args, rankEnv(1, 2, port));
        QString seen;
        int64_t runId = 0;
        while (!seen.contains("\"checkpoint\"") && r0->waitForReadyRead(30000))
            seen += QString::fromUtf8(r0->readAllStandardOutput());
        for (const auto& line : seen.split('\n', Qt::SkipEmptyParts)) {
            const json j = json::parse(line.toStdString(), nullptr, false);
            if (j.is_object() && j["event"] == "run_created")
                runId = j["run_id"];
        }
        QVERIFY2(runId > 0 && seen.contains("\"checkpoint\""), qPrintable(seen));
        ::kill(static_cast<pid_t>(r1->processId()), SIGKILL);
        QElapsedTimer clock;
        clock.start();
        QVERIFY(r0->waitForFinished(30000));
        QVERIFY2(clock.elapsed() < 20000, qPrintable(QString::number(clock.elapsed())));
        QVERIFY(r0->exitCode() != 0);
        const QString err = QString::fromUtf8(r0->readAllStandardError());
        QVERIFY2(err.contains("rank 1 stopped responding"), qPrintable(err));
        const auto shown = tb::test::runProcess(QStringLiteral(TB_CLI), {"runs", "--db", db, "show", "--run", QString::number(runId)}, 30000);
        QCOMPARE(json::parse(shown.out.toStdString())["status"].get<std::string>(), std::string("interrupted"));

        // Same world size: both ranks resume from rank 0's last checkpoint.
        const int again = freePort();
        const QStringList resume{"resume", "--db", db, "--run", QString::number(runId)};
        auto s0 = start(resume, rankEnv(0, 2, again));
        auto s1 = start(resume, rankEnv(1, 2, again));
        QVERIFY(s0->waitForFinished(120000) && s1->waitForFinished(120000));
        QVERIFY2(s1->exitCode() == 0, s1->readAllStandardError().constData());
        QVERIFY2(s0->exitCode() == 0, s0->readAllStandardError().constData());
        const json done = json::parse(s0->readAllStandardOutput().toStdString());
        QCOMPARE(done["status"].get<std::string>(), std::string("completed"));
        QCOMPARE(done["steps"].get<int>(), 100);
    }

    // Ctrl+C on rank 0 alone (as a GUI cancel would be): the ranks agree on
    // it at the next step, both stop there and exit 130, and the store says
    // cancelled, not interrupted (rank 1 did not lose its peer).
    void cancelOnRankZeroCancelsTheRun()
    {
        const int port = freePort();
        const QString db = m_tmp.filePath("cancel.sqlite");
        const QStringList args{"train", "--config", writeRun("cancel", 4, 400), "--db", db, "--events", "jsonl"};
        auto r0 = start(args, rankEnv(0, 2, port));
        auto r1 = start(args, rankEnv(1, 2, port));
        QString seen;
        while (!seen.contains("\"step\"") && r0->waitForReadyRead(30000))
            seen += QString::fromUtf8(r0->readAllStandardOutput());
        QVERIFY2(seen.contains("\"step\""), qPrintable(seen));
        ::kill(static_cast<pid_t>(r0->processId()), SIGINT);
        QVERIFY(r0->waitForFinished(30000) && r1->waitForFinished(30000));
        QVERIFY2(r1->exitCode() == 130, r1->readAllStandardError().constData());
        QCOMPARE(r0->exitCode(), 130);
        seen += QString::fromUtf8(r0->readAllStandardOutput());
        json finished;
        for (const auto& line : seen.split('\n', Qt::SkipEmptyParts)) {
            const json j = json::parse(line.toStdString(), nullptr, false);
            if (j.is_object() && j["event"] == "finished")
                finished = j;
        }
        QCOMPARE(finished["status"].get<std::string>(), std::string("cancelled"));
        QVERIFY(finished["steps"].get<int>() < 400);
        const auto shown = tb::test::runProcess(QStringLiteral(TB_CLI),
                                                {"runs", "--db", db, "show", "--run", QString::number(finished["run_id"].get<int64_t>())}, 30000);
        QCOMPARE(json::parse(shown.out.toStdString())["status"].get<std::string>(), std::string("cancelled"));
    }

    // Three sample prompts on two ranks (rank 0 generates prompts 1 and 3,
    // rank 1 prompt 2): rank 0 reports all three, in order, with one
    // process's texts. A learning rate of 1e-12 leaves the f32 weights as
    // they were, so the 2 x batch 4 and 1 x batch 8 runs sample the same model.
    void samplesOnTwoRanksAsOneProcess()
    {
        const json sampling = {{"sample_every", 1}, {"sample_max_new_tokens", 5}, {"learning_rate", 1e-12},
                               {"sample_prompts", {"count 3", "count 11!", "count 40!!!"}}};
        const auto samples = [](const QString& out) {
            std::vector<std::string> got;
            for (const auto& line : out.split('\n', Qt::SkipEmptyParts)) {
                const json j = json::parse(line.toStdString(), nullptr, false);
                if (j.is_object() && j["event"] == "sample")
                    got.push_back(std::to_string(j["step"].get<int>()) + "|" + j["prompt"].get<std::string>() + "|" +
                                  j["output"].get<std::string>());
            }
            return got;
        };
        const auto one = tb::test::runProcess(QStringLiteral(TB_CLI),
                                              {"train", "--config", writeRun("sample1", 8, 2, sampling), "--db",
                                               m_tmp.filePath("sample1.sqlite"), "--events", "jsonl"}, 60000);
        QVERIFY2(one.exitCode == 0, qPrintable(one.err));
        const auto two = tb::test::runProcess(QStringLiteral(TB_CLI),
                                              {"train", "--config", writeRun("sample2", 4, 2, sampling), "--db",
                                               m_tmp.filePath("sample2.sqlite"), "--events", "jsonl",
                                               "--nproc-per-node", "2", "--master-port", QString::number(freePort())},
                                              60000);
        QVERIFY2(two.exitCode == 0, qPrintable(two.err));
        const auto expected = samples(one.out);
        QCOMPARE(expected.size(), size_t(6)); // 3 prompts x 2 steps
        QCOMPARE(expected[1].substr(0, 12), std::string("1|count 11!|"));
        QCOMPARE(samples(two.out), expected);
        // Each step event carries both ranks' throughput.
        int steps = 0;
        for (const auto& line : two.out.split('\n', Qt::SkipEmptyParts)) {
            const json j = json::parse(line.toStdString(), nullptr, false);
            if (!j.is_object() || j["event"] != "step")
                continue;
            ++steps;
            const auto rates = j["rank_tokens_per_second"];
            QVERIFY2(rates.size() == 2 && rates[0].get<double>() > 0 && rates[1].get<double>() > 0, qPrintable(line));
        }
        QCOMPARE(steps, 2);
    }

    // Seven examples per task in batches of 2: rank 0 takes batches 0 and 2,
    // rank 1 batches 1 and 3 (and so for the options' and windows' rows).
    // Each batch is the one one process forms, so every score is the same
    // double; the timings (seconds, per second) are the only differences.
    void evalOnTwoRanksScoresAsOneProcess()
    {
        std::string gen, cls, text;
        const char* words[] = {"good", "bad", "fine", "awful", "great", "poor", "nice"};
        for (int i = 0; i < 7; ++i) {
            gen += json({{"prompt", std::string("Say ") + words[i]}, {"response", words[i]}}).dump() + "\n";
            cls += json({{"prompt", std::string("Review: it was ") + words[i]}, {"response", i % 2 ? "no" : "yes"}})
                       .dump() + "\n";
            text += json({{"text", std::string("Story ") + std::to_string(i) + ": the " + words[i] +
                                       " fox jumped over the lazy dog " + std::to_string(i * 7) + " times."}})
                        .dump() + "\n";
        }
        tb::io::writeFileAtomic(m_tmp.filePath("gen.jsonl").toStdString(), gen);
        tb::io::writeFileAtomic(m_tmp.filePath("cls.jsonl").toStdString(), cls);
        tb::io::writeFileAtomic(m_tmp.filePath("text.jsonl").toStdString(), text);
        const json suite = {
            {"name", "dp"},
            {"tasks", {{{"name", "gen"}, {"type", "generate"}, {"data", m_tmp.filePath("gen.jsonl").toStdString()},
                        {"max_new_tokens", 6}, {"metrics", {"bleu", "chrf", "exact_match", "f1"}}},
                       {{"name", "cls"}, {"type", "classification"}, {"data", m_tmp.filePath("cls.jsonl").toStdString()},
                        {"template", "plain"}, {"verbalizers", {{"yes", " positive"}, {"no", " negative review"}}}},
                       {{"name", "text"}, {"type", "perplexity"}, {"data", m_tmp.filePath("text.jsonl").toStdString()}}}},
            {"helm", {{"perturbations", {"lowercase", "typos"}}}}};
        const QString suitePath = m_tmp.filePath("dp_suite.json");
        tb::io::writeFileAtomic(suitePath.toStdString(), suite.dump());
        const QStringList args{"eval", "--model", QString::fromStdString(m_model), "--suite", suitePath,
                               "--batch", "2", "--threads", "1", "--json"};
        const auto one = tb::test::runProcess(QStringLiteral(TB_CLI), args + QStringList{"--db", m_tmp.filePath("eval1.sqlite")}, 60000);
        QVERIFY2(one.exitCode == 0, qPrintable(one.err));
        const auto two = tb::test::runProcess(
            QStringLiteral(TB_CLI),
            args + QStringList{"--db", m_tmp.filePath("eval2.sqlite"), "--nproc-per-node", "2", "--master-port",
                               QString::number(freePort())},
            60000);
        QVERIFY2(two.exitCode == 0, qPrintable(two.err));
        QCOMPARE(two.out.count('\n'), 1); // rank 0's document only
        const json a = json::parse(one.out.toStdString()), b = json::parse(two.out.toStdString());
        QCOMPARE(b["tasks"].size(), size_t(3));
        for (size_t t = 0; t < 3; ++t) {
            const auto& ta = a["tasks"][t];
            const auto& tb2 = b["tasks"][t];
            QCOMPARE(tb2["task"], ta["task"]);
            QCOMPARE(tb2["examples"].get<int>(), 7);
            QCOMPARE(tb2["tokens"], ta["tokens"]);
            QVERIFY(tb2["task_evaluation"].get<int64_t>() > 0); // rank 0 recorded it
            json ma = ta["metrics"], mb = tb2["metrics"];
            for (const char* timing : {"seconds", "examples_per_s", "tokens_per_s"}) {
                QVERIFY(mb.contains(timing));
                ma.erase(timing);
                mb.erase(timing);
            }
            QVERIFY2(ma == mb, qPrintable(QString::fromStdString(ta["task"].get<std::string>() + ": " + ma.dump() +
                                                                 " vs " + mb.dump())));
        }
        QVERIFY(b["tasks"][0]["metrics"].contains("robustness_typos")); // the HELM re-runs were sharded too
    }
};

QTEST_GUILESS_MAIN(TestCliDistributed)
#include "tst_cli_distributed.moc"
