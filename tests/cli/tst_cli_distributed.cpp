// Data-parallel `tunebench-cli train` end to end, on loopback, against the
// single-process run of the same RUN.json with the whole batch (8):
// - the launcher, `--nproc-per-node 2` with batch 4;
// - two processes started by hand with torchrun's variables;
// - two "nodes" of one rank each (`--nnodes 2 --node-rank 0/1`);
// each gives the same final loss (1e-3 relative) and adapter tensors; only
// rank 0 reports on stdout and writes the store. And a rank killed with
// SIGKILL mid-run: the other exits non-zero with the clear error, the store
// marks the run interrupted, and `resume` with two ranks completes it.
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

    QString writeRun(const QString& name, int batch, int steps)
    {
        const json run = {{"name", "dp"},
                          {"model", m_model},
                          {"data", {{"train", {m_tmp.filePath("d.jsonl").toStdString()}}, {"template", "plain"}, {"max_length", 64}}},
                          {"method", {{"method", "lora"}, {"lora", {{"dropout", 0.0}}}}},
                          {"training", {{"max_steps", steps}, {"batch_size", batch}, {"checkpoint_every", 2},
                                        {"seed", 1}, {"threads", 1}, {"schedule", "constant"}, {"learning_rate", 5e-3}}}};
        const QString path = m_tmp.filePath(name + ".json");
        tb::io::writeFileAtomic(path.toStdString(), run.dump());
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
};

QTEST_GUILESS_MAIN(TestCliDistributed)
#include "tst_cli_distributed.moc"
