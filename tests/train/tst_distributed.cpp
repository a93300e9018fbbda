// Data-parallel training on c10d + Gloo over loopback. The test binary starts
// copies of itself as ranks (`tst_distributed --worker MODE DIR`, with
// torchrun's variables in their environment) and checks:
// - torchrun's variables parse, and bad values give one-line errors;
// - collectives return hand-computed sums, broadcasts and gathers;
// - 2 ranks × batch 4 with GradientSync train a small network to the same
//   weights as a plain single-process loop over batch 8 (written here, without
//   any of the distributed code), also with unequal and zero token counts,
//   parameters only one rank uses, and gradient accumulation; both ranks end
//   bit-identical;
// - a rank that never arrives, or that dies or hangs mid-run, gives the clear
//   error within the timeout.
#include "common/error.h"
#include "common/ranks.h"
#include "train/dist_env.h"
#include "train/dist_gradient_sync.h"
#include "train/dist_tensors.h"
#include "train/distributed.h"

#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <thread>

using namespace tb;
using namespace tb::train;

namespace {

using namespace std::chrono_literals;

// ---- a small network and its data, the same in the ranks and in the reference ----

constexpr int64_t kIn = 6, kHidden = 5, kOut = 3, kBatch = 8, kSteps = 3;

// `unused` never enters the graph; `side` only for rows flagged in the data.
struct Net {
    torch::Tensor unused, side, w1, b1, w2, b2;
    std::vector<torch::Tensor> params() const { return {unused, side, w1, b1, w2, b2}; }
};

Net makeNet(uint64_t seed)
{
    torch::manual_seed(seed);
    const auto param = [](std::vector<int64_t> shape) { return (torch::randn(shape) * 0.5).requires_grad_(); };
    return {param({2}), param({kOut}), param({kIn, kHidden}), param({kHidden}), param({kHidden, kOut}), param({kOut})};
}

struct StepData {
    torch::Tensor x, y, mask, flag; // [B, in], [B, out], [B, out] of 0/1, [B] of 0/1
};

// Unequal: examples 0-3 (rank 0) count one output each, 4-7 (rank 1) all
// three, and in step 1 rank 0's examples count none at all.
std::vector<StepData> makeData(bool unequal)
{
    torch::manual_seed(42);
    std::vector<StepData> steps;
    for (int64_t s = 0; s < kSteps; ++s) {
        StepData d;
        d.x = torch::randn({kBatch, kIn});
        d.y = torch::randn({kBatch, kOut});
        d.mask = torch::ones({kBatch, kOut});
        if (unequal) {
            d.mask.narrow(0, 0, 4).narrow(1, 1, 2).zero_();
            if (s == 1)
                d.mask.narrow(0, 0, 4).zero_();
        }
        d.flag = torch::zeros({kBatch});
        d.flag[s == 0 ? 5 : 2] = 1.0; // step 0: only rank 1 uses `side`; later: only rank 0
        steps.push_back(d);
    }
    return steps;
}

// Summed masked squared error of rows [begin, begin+n), and how many outputs counted.
std::pair<torch::Tensor, int64_t> lossSum(const Net& net, const StepData& d, int64_t begin, int64_t n)
{
    const auto x = d.x.narrow(0, begin, n), y = d.y.narrow(0, begin, n), mask = d.mask.narrow(0, begin, n);
    const auto flag = d.flag.narrow(0, begin, n);
    auto out = torch::tanh(x.mm(net.w1) + net.b1).mm(net.w2) + net.b2;
    if (flag.sum().item<double>() > 0)
        out = out + flag.unsqueeze(1) * net.side;
    return {((out - y).pow(2) * mask).sum(), static_cast<int64_t>(mask.sum().item<double>())};
}

torch::optim::AdamW makeOptimizer(const Net& net)
{
    return torch::optim::AdamW(net.params(), torch::optim::AdamWOptions(0.05).weight_decay(0.1));
}

std::vector<float> flatten(const std::vector<torch::Tensor>& tensors)
{
    std::vector<float> all;
    for (const auto& t : tensors) {
        const auto c = t.detach().contiguous();
        all.insert(all.end(), c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    }
    return all;
}

// The reference: one process, the whole batch of 8, mean over its tokens.
std::vector<float> trainSingleProcess(bool unequal)
{
    const Net net = makeNet(1);
    auto optimizer = makeOptimizer(net);
    for (const auto& d : makeData(unequal)) {
        optimizer.zero_grad();
        auto [sum, count] = lossSum(net, d, 0, kBatch);
        (sum / static_cast<double>(count)).backward();
        optimizer.step();
    }
    return flatten(net.params());
}

// ---- worker processes ----

void say(const std::string& line)
{
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
}

// Values × 10, rounded: exact for the halves used below.
std::string tenths(const torch::Tensor& t)
{
    std::string s;
    const auto c = t.to(torch::kFloat64).contiguous();
    for (int64_t i = 0; i < c.numel(); ++i)
        s += (i ? "," : "") + std::to_string(static_cast<int64_t>(std::lround(c.data_ptr<double>()[i] * 10)));
    return s;
}

JoinOptions quickOptions(std::chrono::milliseconds collective = 10s)
{
    JoinOptions o;
    o.joinTimeout = 10s;
    o.collectiveTimeout = collective;
    return o;
}

int collectivesWorker()
{
    auto group = ProcessGroup::join(readTorchrunEnv(), quickOptions());
    const int r = group->rank();
    say("rank=" + std::to_string(r) + " size=" + std::to_string(group->size()));
    say("sum=" + std::to_string(group->allreduceSum(r + 1.5)));
    const auto v = group->allreduceSum(std::vector<double>{double(r), 10.0 * r + 0.5});
    say("vector=" + std::to_string(v[0]) + "," + std::to_string(v[1]));
    auto t = torch::full({3}, r + 1.0f);
    allreduceSum(*group, t);
    say("tensor=" + tenths(t));
    auto a = torch::full({2, 2}, r == 0 ? 7.5f : -1.0f);
    auto b = torch::arange(3, torch::kInt64) * (r == 0 ? 2 : -5);
    broadcastFromRank0(*group, {a, b}, 8); // 8 bytes: one bucket per tensor
    say("broadcast=" + tenths(a) + ";" + tenths(b));
    const auto all = group->allgather((uint64_t(1) << 63) + uint64_t(r + 1) * 1000);
    say("gather=" + std::to_string(all.at(0)) + "," + std::to_string(all.at(1)));
    group->barrier();
    checkSameWeights(*group, {a, b}, 4);
    say("same=ok");
    try {
        checkSameWeights(*group, {torch::full({1}, float(r))}, 5);
        say("differ=not detected");
    } catch (const Error& e) {
        say(std::string("differ=") + e.what());
    }
    return 0;
}

// Trains the reference's network on this rank's half of each batch, in
// `micro` micro-batches, with the bucket size given.
int trainWorker(const std::string& dir, bool unequal, int micro, int64_t bucketBytes)
{
    auto group = ProcessGroup::join(readTorchrunEnv(), quickOptions());
    const int r = group->rank();
    const Net net = makeNet(1 + 100 * r); // rank 1 starts elsewhere: the broadcast must fix it
    broadcastFromRank0(*group, net.params());
    auto optimizer = makeOptimizer(net);
    GradientSync sync(*group, net.params(), {bucketBytes});
    const int64_t local = kBatch / group->size(), per = local / micro;
    int64_t step = 0;
    for (const auto& d : makeData(unequal)) {
        optimizer.zero_grad();
        const int64_t begin = r * local;
        const int64_t tokens = static_cast<int64_t>(d.mask.narrow(0, begin, local).sum().item<double>());
        for (int m = 0; m < micro; ++m) {
            if (m == micro - 1)
                sync.beginStep(tokens);
            auto [sum, count] = lossSum(net, d, begin + m * per, per);
            if (count > 0) // as the Trainer does: a micro-batch without tokens has no backward pass
                (sum / static_cast<double>(tokens)).backward();
        }
        const auto stats = sync.finish();
        optimizer.step();
        checkSameWeights(*group, net.params(), ++step);
        say("step" + std::to_string(step) + "=tokens " + std::to_string(stats.localTokens) + "/" +
            std::to_string(stats.totalTokens) + " bytes " + std::to_string(stats.gradientBytes) + " buckets " +
            std::to_string(stats.buckets) + " during " + std::to_string(stats.bucketsDuringBackward));
    }
    const auto weights = flatten(net.params());
    std::ofstream out(dir + "/rank" + std::to_string(r) + ".bin", std::ios::binary);
    out.write(reinterpret_cast<const char*>(weights.data()), static_cast<std::streamsize>(weights.size() * sizeof(float)));
    return out ? 0 : 1;
}

// Steps until a peer goes away; the error it gets is the point.
int endlessWorker()
{
    auto group = ProcessGroup::join(readTorchrunEnv(), quickOptions(3s));
    const Net net = makeNet(1);
    broadcastFromRank0(*group, net.params());
    GradientSync sync(*group, net.params(), {64});
    const auto data = makeData(false);
    for (int64_t step = 1;; ++step) {
        const auto& d = data[step % kSteps];
        sync.beginStep(4);
        lossSum(net, d, 4 * group->rank(), 4).first.backward();
        sync.finish();
        say("step=" + std::to_string(step));
        std::this_thread::sleep_for(20ms);
    }
}

int runWorker(const std::string& mode, const std::string& dir)
{
    torch::set_num_threads(1);
    try {
        if (mode == "collectives")
            return collectivesWorker();
        if (mode == "train")
            return trainWorker(dir, false, 1, 25 << 20);
        if (mode == "train-unequal")
            return trainWorker(dir, true, 2, 32);
        if (mode == "endless")
            return endlessWorker();
    } catch (const Error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 3;
    }
    std::fprintf(stderr, "unknown worker mode %s\n", mode.c_str());
    return 2;
}

// ---- the parent's side ----

DistributedEnv loopback(int rank, int world, int port)
{
    DistributedEnv env;
    env.rank = rank;
    env.worldSize = world;
    env.masterPort = port;
    return env;
}

using tbtest::Ranks;
using tbtest::freePort;
using tbtest::readFloats;

std::map<QString, QString> lines(QProcess& p) { return tbtest::workerLines(p); }

} // namespace

class TestDistributed : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void torchrunVariablesParse()
    {
        const auto parse = [](std::map<std::string, std::string> vars) {
            return parseTorchrunEnv([vars](const std::string& name) -> std::optional<std::string> {
                const auto it = vars.find(name);
                return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
            });
        };
        const auto single = parse({});
        QCOMPARE(single.rank, 0);
        QCOMPARE(single.worldSize, 1);
        QVERIFY(!single.distributed());
        const auto env = parse({{"RANK", "3"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "1"}, {"LOCAL_WORLD_SIZE", "2"},
                                {"MASTER_ADDR", "node0.lan"}, {"MASTER_PORT", "29611"}});
        QCOMPARE(env.rank, 3);
        QCOMPARE(env.worldSize, 4);
        QCOMPARE(env.localRank, 1);
        QCOMPARE(env.localWorldSize, 2);
        QCOMPARE(env.storeAddress(), std::string("node0.lan:29611"));
        QVERIFY(env.distributed());

        const std::vector<std::pair<std::map<std::string, std::string>, std::string>> bad = {
            {{{"RANK", "0"}, {"WORLD_SIZE", "abc"}}, "WORLD_SIZE=abc: expected a positive integer"},
            {{{"RANK", "0"}, {"WORLD_SIZE", "0"}}, "WORLD_SIZE=0: expected a positive integer"},
            {{{"RANK", "2"}, {"WORLD_SIZE", "2"}}, "RANK=2 is not below WORLD_SIZE=2"},
            {{{"RANK", "-1"}, {"WORLD_SIZE", "2"}}, "RANK=-1: expected an integer 0 or more"},
            {{{"RANK", "1"}}, "RANK is set but WORLD_SIZE is not: set both (or neither, for a single process)"},
            {{{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "70000"}}, "MASTER_PORT=70000: expected a port 1-65535"},
            {{{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "29500x"}}, "MASTER_PORT=29500x: expected a port 1-65535"},
            {{{"RANK", "1"}, {"WORLD_SIZE", "2"}, {"LOCAL_RANK", "1"}, {"LOCAL_WORLD_SIZE", "1"}},
             "LOCAL_RANK=1 is not below LOCAL_WORLD_SIZE=1"},
        };
        for (const auto& [vars, message] : bad) {
            try {
                parse(vars);
                QFAIL(("accepted, expected: " + message).c_str());
            } catch (const Error& e) {
                QCOMPARE(std::string(e.what()), message);
            }
        }
    }

    void collectivesGiveHandComputedValues()
    {
        QTemporaryDir dir;
        Ranks ranks("collectives", dir.path(), 2);
        QVERIFY(ranks.finish());
        for (int r = 0; r < 2; ++r) {
            QCOMPARE(ranks[r].exitCode(), 0);
            const auto kv = lines(ranks[r]);
            QCOMPARE(kv.at("rank"), QString("%1 size=2").arg(r));
            QCOMPARE(kv.at("sum"), QString("4.000000"));               // 1.5 + 2.5
            QCOMPARE(kv.at("vector"), QString("1.000000,11.000000"));  // {0 + 1, 0.5 + 10.5}
            QCOMPARE(kv.at("tensor"), QString("30,30,30"));            // (1 + 2) × 10
            QCOMPARE(kv.at("broadcast"), QString("75,75,75,75;0,20,40")); // rank 0's 7.5 and 0, 2, 4
            QCOMPARE(kv.at("gather"), QString("9223372036854776808,9223372036854777808")); // 2^63 + 1000, + 2000
            QCOMPARE(kv.at("same"), QString("ok"));
            QVERIFY2(kv.at("differ").startsWith("ranks disagree on weights after step 5 (rank 0: 0x"),
                     qPrintable(kv.at("differ")));
        }
    }

    void twoRanksEqualOneProcessWithTwiceTheBatch_data()
    {
        QTest::addColumn<QString>("mode");
        QTest::addColumn<bool>("unequal");
        QTest::addColumn<int>("buckets");
        QTest::newRow("equal tokens, one 25 MB bucket") << "train" << false << 1;
        // Buckets of 32 bytes, parameters in reverse: b2 | w2 | b1 | w1 | side + unused.
        QTest::newRow("unequal and zero tokens, accumulation, 5 buckets") << "train-unequal" << true << 5;
    }
    void twoRanksEqualOneProcessWithTwiceTheBatch()
    {
        QFETCH(QString, mode);
        QFETCH(bool, unequal);
        QFETCH(int, buckets);
        QTemporaryDir dir;
        Ranks ranks(mode, dir.path(), 2);
        const auto reference = trainSingleProcess(unequal);
        QVERIFY(ranks.finish());
        std::vector<std::map<QString, QString>> out;
        for (int r = 0; r < 2; ++r) {
            QVERIFY2(ranks[r].exitCode() == 0, ranks[r].readAllStandardError().constData());
            out.push_back(lines(ranks[r]));
        }
        // Parameters: 2 + 3 + 6×5 + 5 + 5×3 + 3 = 58 floats.
        const int bytes = 58 * 4;
        QCOMPARE(out[0].at("step1"), QString("tokens %1/%2 bytes %3 buckets %4 during %5")
                                                 .arg(unequal ? 4 : 12).arg(unequal ? 16 : 24).arg(bytes)
                                                 .arg(buckets).arg(buckets - 1));
        if (unequal) // step 2: rank 0's rows count nothing; rank 1's 12 outputs are the whole step
            QCOMPARE(out[0].at("step2").section(' ', 0, 1), QString("tokens 0/12"));

        const auto w0 = readFloats(dir.filePath("rank0.bin")), w1 = readFloats(dir.filePath("rank1.bin"));
        QCOMPARE(w0.size(), size_t(58));
        QVERIFY2(w0 == w1, "the ranks' final weights are not bit-identical");
        const auto initial = flatten(makeNet(1).params());
        double worst = 0, moved = 0;
        for (size_t i = 0; i < w0.size(); ++i) {
            worst = std::max(worst, double(std::abs(w0[i] - reference[i])));
            moved = std::max(moved, double(std::abs(w0[i] - initial[i])));
        }
        qInfo("largest difference from one process with batch 8: %.3g (weights moved up to %.3g)", worst, moved);
        QVERIFY2(worst <= 1e-5, qPrintable(QString::number(worst)));
        QVERIFY(moved > 0.1);                                // three AdamW steps at lr 0.05 moved them
        QCOMPARE(w0[0], initial[0]);                         // `unused`: no gradient anywhere, untouched
        QCOMPARE(w0[1], initial[1]);
    }

    void aRankThatNeverArrivesIsNamed()
    {
        const int port = freePort();
        JoinOptions o;
        o.joinTimeout = 2s;
        QElapsedTimer clock;
        clock.start();
        try {
            ProcessGroup::join(loopback(0, 2, port), o);
            QFAIL("rank 0 joined a group of 2 alone");
        } catch (const Error& e) {
            QCOMPARE(std::string(e.what()), "rank 1 of 2 did not join 127.0.0.1:" + std::to_string(port) + " within 2 s");
        }
        QVERIFY(clock.elapsed() >= 1900 && clock.elapsed() < 6000);

        clock.restart();
        try {
            ProcessGroup::join(loopback(1, 2, port), o);
            QFAIL("rank 1 joined without rank 0's store");
        } catch (const Error& e) {
            QCOMPARE(std::string(e.what()), "rank 0 of 2 did not open the store at 127.0.0.1:" + std::to_string(port) +
                                                " within 2 s: is rank 0 running, with the same MASTER_ADDR and MASTER_PORT?");
        }
        QVERIFY(clock.elapsed() < 6000);
    }

    void aGroupOfOneNeedsNoStore()
    {
        auto group = ProcessGroup::join(DistributedEnv{});
        QCOMPARE(group->allreduceSum(2.5), 2.5);
        const Net net = makeNet(1);
        GradientSync sync(*group, net.params());
        sync.beginStep(6);
        auto [sum, count] = lossSum(net, makeData(false)[0], 0, 2);
        (sum / double(count)).backward();
        const auto expected = net.w1.grad().clone();
        const auto stats = sync.finish();
        QCOMPARE(stats.totalTokens, int64_t(6));
        QVERIFY(torch::equal(net.w1.grad(), expected)); // n / Σn = 1
        QVERIFY(!net.unused.grad().defined());
    }

    void aPeerThatDiesOrHangsStopsTheOther_data()
    {
        QTest::addColumn<int>("victim");
        QTest::addColumn<int>("signal");
        QTest::newRow("rank 1 killed") << 1 << int(SIGKILL);
        QTest::newRow("rank 0 (the store) killed") << 0 << int(SIGKILL);
        QTest::newRow("rank 1 hangs") << 1 << int(SIGSTOP);
    }
    void aPeerThatDiesOrHangsStopsTheOther()
    {
        QFETCH(int, victim);
        QFETCH(int, signal);
        QTemporaryDir dir;
        Ranks ranks("endless", dir.path(), 2);
        auto& dying = ranks[victim];
        auto& survivor = ranks[1 - victim];
        QString said;
        QElapsedTimer clock;
        clock.start();
        while (!said.contains("step=3") && clock.elapsed() < 30000 && dying.state() == QProcess::Running) {
            dying.waitForReadyRead(100);
            said += QString::fromUtf8(dying.readAllStandardOutput());
        }
        QVERIFY2(said.contains("step=3"), qPrintable(said + dying.readAllStandardError()));
        ::kill(static_cast<pid_t>(dying.processId()), signal);
        clock.restart();
        QVERIFY(survivor.waitForFinished(20000));
        const auto elapsed = clock.elapsed();
        const auto err = QString::fromUtf8(survivor.readAllStandardError());
        QCOMPARE(survivor.exitCode(), 3);
        QVERIFY2(err.startsWith(QString("error: rank %1 stopped responding (").arg(victim)), qPrintable(err));
        // A killed peer's sockets close at once; a hung one runs into the 3 s collective timeout.
        qInfo("the survivor stopped after %lld ms: %s", static_cast<long long>(elapsed), qPrintable(err.trimmed()));
        QVERIFY(elapsed < (signal == SIGKILL ? 2000 : 6000));
    }
};

int main(int argc, char** argv)
{
    if (argc >= 3 && std::string(argv[1]) == "--worker")
        return runWorker(argv[2], argc >= 4 ? argv[3] : "");
    QCoreApplication app(argc, argv);
    TestDistributed test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_distributed.moc"
