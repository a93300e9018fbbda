// The Trainer as one rank of a data-parallel group (Trainer::setDataParallel).
// The test binary starts copies of itself as ranks (`tst_distributed_train
// --worker MODE DIR`, with torchrun's variables, as tst_distributed does) and
// compares them with the ordinary single-process Trainer run here:
// - 2 ranks x batch 4 train a tiny Llama (LoRA and full fine-tuning, dropout
//   0, sequences of unequal length so ranks have unequal token counts) to the
//   same step losses (1e-3 relative) and trained tensors as 1 process x batch
//   8; the weight hash is compared after every step; only rank 0 writes
//   checkpoints;
// - a rank killed with SIGKILL mid-run ends the other's run as Failed with the
//   group's clear error within the collective timeout, and the run resumes
//   from rank 0's last checkpoint with the same world size to the end;
// - validation is sharded (batches dealt out to the ranks, sums all-reduced)
//   and gives one process's loss and per-task losses on every rank;
// - a cancel on rank 0 stops both ranks after the same step (Cancelled on
//   both), a pause on rank 0 pauses both, longer than the collective timeout;
// - every step event carries each rank's tokens per second.
#include "common/error.h"
#include "common/ranks.h"
#include "model/language_model.h"
#include "peft/peft_model.h"
#include "train/distributed.h"
#include "train/trainer.h"

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
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

using namespace tb;
using namespace tb::train;
namespace fs = std::filesystem;

namespace {

using namespace std::chrono_literals;

constexpr int64_t kSteps = 4;

std::shared_ptr<model::CausalLMImpl> loadBase()
{
    return model::LanguageModel::load(std::string(TB_FIXTURES_DIR) + "/models/llama_tied")->module();
}

// Counting patterns of lengths 5..12, so examples (and ranks) have unequal token counts.
std::vector<Sequence> corpus(int n)
{
    std::vector<Sequence> out;
    for (int i = 0; i < n; ++i) {
        Sequence s;
        const int start = 3 + i % 7;
        for (int t = 0; t < 5 + (i * 3) % 8; ++t)
            s.ids.push_back(start + t * ((i % 3) + 1));
        s.labels = s.ids;
        s.labels[0] = kIgnoreIndex;
        out.push_back(s);
    }
    return out;
}

TrainConfig config(int64_t batchSize, int64_t steps)
{
    TrainConfig c;
    c.maxSteps = steps;
    c.batchSize = batchSize;
    c.learningRate = 5e-3;
    c.schedule = "constant";
    c.seed = 11;
    c.threads = 1;
    return c;
}

peft::MethodConfig method(const std::string& name)
{
    peft::MethodConfig c;
    c.method = name == "full" ? peft::Method::Full : peft::Method::Lora;
    c.lora.dropout = 0.0;
    return c;
}

struct Recorder : TrainObserver {
    std::vector<double> losses;
    std::function<void(const StepEvent&)> hook;
    void onStep(const StepEvent& e) override
    {
        losses.push_back(e.loss);
        if (hook)
            hook(e);
    }
};

std::vector<float> trainedValues(peft::PeftModel& m)
{
    std::vector<float> all;
    for (auto& [name, p] : m.trainableParameters()) {
        const auto c = p.detach().to(torch::kFloat32).contiguous();
        all.insert(all.end(), c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    }
    return all;
}

void say(const std::string& line)
{
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
}

std::string joined(const std::vector<double>& values)
{
    std::string s;
    for (double v : values) {
        char buf[40];
        std::snprintf(buf, sizeof buf, "%.9g", v);
        s += (s.empty() ? "" : ",") + std::string(buf);
    }
    return s;
}

// ---- worker processes ----

JoinOptions quickOptions()
{
    JoinOptions o;
    o.joinTimeout = 20s;
    o.collectiveTimeout = 10s;
    return o;
}

// Validation sequences of two tasks, 11 of them: with batch 4, three batches
// (rank 0 of 2 takes batches 0 and 2, rank 1 batch 1).
std::vector<Sequence> twoTaskValidation()
{
    auto v = corpus(11);
    for (size_t i = 0; i < v.size(); ++i)
        v[i].task = static_cast<int>(i % 3 == 0);
    return v;
}

std::string exact(double v)
{
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

// MODE validate: prints the sharded validation losses (same seed on every
// rank, so identical weights without training).
int validateWorker(ProcessGroup& group)
{
    torch::manual_seed(7);
    peft::PeftModel m(loadBase(), method("lora"));
    Trainer t(m, config(4, kSteps), corpus(8), twoTaskValidation(), "", {"a", "b"});
    t.setDataParallel({&group, 0});
    const auto v = t.validationLosses();
    say("loss=" + exact(v.loss));
    for (const auto& [task, loss] : v.perTask)
        say("loss_" + task + "=" + exact(loss));
    return 0;
}

// MODE cancel (rank 0 cancels during step 3's event) and pause (rank 0
// pauses during step 2's event and resumes 4 s later, longer than the 2 s
// collective timeout): prints the steps, status, the longest gap between two
// step events and whether every event had both ranks' throughput.
int controlWorker(ProcessGroup& group, const std::string& mode, const std::string& dir)
{
    const int r = group.rank();
    peft::PeftModel m(loadBase(), method("lora"));
    Trainer t(m, config(4, 8), corpus(24), {}, dir + "/out" + std::to_string(r));
    t.setDataParallel({&group, 0});
    RunControl control;
    Recorder rec;
    std::thread resumer;
    double longestGap = 0;
    bool rates = true;
    auto last = std::chrono::steady_clock::now();
    rec.hook = [&](const StepEvent& e) {
        const auto now = std::chrono::steady_clock::now();
        longestGap = std::max(longestGap, std::chrono::duration<double>(now - last).count());
        last = now;
        rates = rates && e.rankTokensPerSecond.size() == 2 && e.rankTokensPerSecond[0] > 0 &&
                e.rankTokensPerSecond[1] > 0;
        if (r == 0 && mode == "cancel" && e.step == 3)
            control.cancel();
        if (r == 0 && mode == "pause" && e.step == 2) {
            control.pause();
            resumer = std::thread([&control] {
                std::this_thread::sleep_for(4s);
                control.resume();
            });
        }
    };
    const auto result = t.run(rec, control);
    if (resumer.joinable())
        resumer.join();
    say("status=" + std::string(trainStatusName(result.status)));
    say("error=" + result.error);
    say("steps=" + std::to_string(result.steps));
    say("gap=" + exact(longestGap));
    say(std::string("rates=") + (rates ? "yes" : "no"));
    return 0;
}

// MODE: lora | full (equivalence), slow (checkpoints every step, sleeps after
// each, to be killed), resume (continues DIR/out's last checkpoint), validate,
// cancel, pause (above).
int runWorker(const std::string& mode, const std::string& dir)
{
    torch::set_num_threads(1);
    try {
        auto options = quickOptions();
        if (mode == "pause")
            options.collectiveTimeout = 2s; // the pause outlasts it: the ranks' heartbeat keeps the group alive
        auto group = ProcessGroup::join(readTorchrunEnv(), options);
        if (mode == "validate")
            return validateWorker(*group);
        if (mode == "cancel" || mode == "pause")
            return controlWorker(*group, mode, dir);
        const int r = group->rank();
        torch::manual_seed(7 + 100 * static_cast<uint64_t>(r)); // rank 1's LoRA starts elsewhere: broadcast fixes it
        peft::PeftModel m(loadBase(), method(mode == "full" ? "full" : "lora"));
        auto c = config(4, mode == "slow" || mode == "resume" ? 6 : kSteps);
        if (mode == "slow" || mode == "resume")
            c.checkpointEvery = 1;
        Trainer t(m, c, corpus(24), {}, dir + "/out");
        t.setDataParallel({group.get(), 1});
        Recorder rec;
        rec.hook = [&](const StepEvent& e) {
            say("step=" + std::to_string(e.step));
            if (mode == "slow")
                std::this_thread::sleep_for(300ms);
        };
        std::string from;
        if (mode == "resume")
            for (const auto& e : fs::directory_iterator(dir + "/out/checkpoints"))
                from = std::max(from, e.path().string());
        RunControl control;
        const auto result = t.run(rec, control, from);
        say("status=" + std::string(trainStatusName(result.status)));
        say("error=" + result.error);
        say("steps=" + std::to_string(result.steps));
        say("losses=" + joined(rec.losses));
        const auto values = trainedValues(m);
        std::ofstream(dir + "/rank" + std::to_string(r) + ".bin", std::ios::binary)
            .write(reinterpret_cast<const char*>(values.data()), static_cast<std::streamsize>(values.size() * 4));
        return result.status == TrainStatus::Completed ? 0 : 3;
    } catch (const std::exception& e) {
        say(std::string("error=") + e.what());
        return 2;
    }
}

// ---- the parent's side ----

using tbtest::Ranks;
using tbtest::freePort;
using tbtest::readFloats;

std::map<QString, QString> lines(QProcess& p) { return tbtest::workerLines(p); }

std::vector<double> parseLosses(const QString& text)
{
    std::vector<double> v;
    for (const auto& s : text.split(',', Qt::SkipEmptyParts))
        v.push_back(s.toDouble());
    return v;
}

} // namespace

class TestDistributedTrain : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }

    void twoRanksEqualOneProcessWithTheWholeBatch_data()
    {
        QTest::addColumn<QString>("mode");
        QTest::newRow("lora") << "lora";
        QTest::newRow("full") << "full";
    }

    void twoRanksEqualOneProcessWithTheWholeBatch()
    {
        QFETCH(QString, mode);
        // The reference: the plain Trainer, one process, batch 8, no group.
        torch::manual_seed(7);
        peft::PeftModel m(loadBase(), method(mode.toStdString()));
        Trainer t(m, config(8, kSteps), corpus(24), {}, "");
        Recorder rec;
        RunControl control;
        const auto single = t.run(rec, control);
        QVERIFY2(single.status == TrainStatus::Completed, single.error.c_str());
        const auto expected = trainedValues(m);

        QTemporaryDir dir;
        Ranks ranks(mode, dir.path(), 2);
        QVERIFY(ranks.finish());
        for (int r = 0; r < 2; ++r) {
            auto out = lines(ranks[r]);
            QVERIFY2(ranks[r].exitCode() == 0, qPrintable(out["error"] + ranks[r].readAllStandardError()));
            const auto losses = parseLosses(out["losses"]);
            QCOMPARE(losses.size(), rec.losses.size());
            for (size_t i = 0; i < losses.size(); ++i)
                QVERIFY2(std::abs(losses[i] - rec.losses[i]) <= 1e-3 * std::abs(rec.losses[i]),
                         qPrintable(QString("rank %1 step %2: %3 vs %4").arg(r).arg(i + 1).arg(losses[i]).arg(rec.losses[i])));
            const auto got = readFloats(dir.filePath(QString("rank%1.bin").arg(r)));
            QCOMPARE(got.size(), expected.size());
            float worst = 0;
            for (size_t i = 0; i < got.size(); ++i)
                worst = std::max(worst, std::abs(got[i] - expected[i]));
            QVERIFY2(worst < 1e-4f, qPrintable(QString("rank %1: largest difference %2").arg(r).arg(worst)));
        }
        // Rank 0 alone wrote the final checkpoint (both ranks were given the same folder).
        const QString last = dir.filePath(QString("out/checkpoints/step-%1").arg(kSteps, 7, 10, QChar('0')));
        QVERIFY(QFile::exists(last + "/trainable.safetensors"));
        QCOMPARE(QDir(dir.filePath("out/checkpoints")).entryList(QDir::Dirs | QDir::NoDotAndDotDot).size(), 1);
    }

    void deadRankFailsTheRunWhichResumes()
    {
        QTemporaryDir dir;
        {
            Ranks ranks("slow", dir.path(), 2);
            QElapsedTimer clock;
            clock.start();
            QByteArray said;
            while (!said.contains("step=2") && clock.elapsed() < 30000 && ranks[1].state() == QProcess::Running) {
                ranks[1].waitForReadyRead(200);
                said += ranks[1].readAllStandardOutput();
            }
            QVERIFY2(said.contains("step=2"), said.constData());
            ::kill(static_cast<pid_t>(ranks[1].processId()), SIGKILL);
            clock.restart();
            QVERIFY(ranks[0].waitForFinished(30000));
            QVERIFY2(clock.elapsed() < 15000, qPrintable(QString::number(clock.elapsed())));
            auto out = lines(ranks[0]);
            QCOMPARE(out["status"], QString("failed"));
            QVERIFY2(out["error"].contains("rank 1"), qPrintable(out["error"]));
            QCOMPARE(ranks[0].exitCode(), 3);
            const int done = out["steps"].toInt();
            QVERIFY2(done >= 2 && done < 6, qPrintable(out["steps"]));
        }
        // Same world size: resumes from rank 0's last checkpoint to the end.
        Ranks again("resume", dir.path(), 2);
        QVERIFY(again.finish());
        for (int r = 0; r < 2; ++r) {
            auto out = lines(again[r]);
            QVERIFY2(again[r].exitCode() == 0, qPrintable(out["error"] + again[r].readAllStandardError()));
            QCOMPARE(out["steps"], QString("6"));
            QVERIFY(out.count("step") == 1 && out["step"] == "6");
        }
        QCOMPARE(readFloats(dir.filePath("rank0.bin")), readFloats(dir.filePath("rank1.bin")));
    }

    // Each rank validates its share of the batches; the all-reduced double
    // sums give one process's values. Every batch is the batch one process
    // forms, so its f32 loss sums are bit-identical; only the order in which
    // the batch sums are added in double differs (rank 0's two batches, then
    // rank 1's), an error near 1e-16 relative: 1e-12 is the tolerance.
    void shardedValidationEqualsOneProcess()
    {
        torch::manual_seed(7);
        peft::PeftModel m(loadBase(), method("lora"));
        Trainer t(m, config(4, kSteps), corpus(8), twoTaskValidation(), "", {"a", "b"});
        const auto single = t.validationLosses();
        QCOMPARE(single.perTask.size(), size_t(2));

        QTemporaryDir dir;
        Ranks ranks("validate", dir.path(), 2);
        QVERIFY(ranks.finish());
        const auto close = [](const QString& got, double want) {
            return std::abs(got.toDouble() - want) <= 1e-12 * std::abs(want);
        };
        for (int r = 0; r < 2; ++r) {
            auto out = lines(ranks[r]);
            QVERIFY2(ranks[r].exitCode() == 0, qPrintable(out["error"] + ranks[r].readAllStandardError()));
            QVERIFY2(close(out["loss"], single.loss), qPrintable(out["loss"] + " vs " + QString::number(single.loss, 'g', 17)));
            QVERIFY2(close(out["loss_a"], single.perTask[0].second), qPrintable(out["loss_a"]));
            QVERIFY2(close(out["loss_b"], single.perTask[1].second), qPrintable(out["loss_b"]));
        }
        // Independent of the split: the whole-set mean is the token-weighted
        // mean of the two tasks' means, so the per-task values are not just
        // the overall one repeated.
        QVERIFY(std::abs(single.perTask[0].second - single.perTask[1].second) > 1e-6);
    }

    void cancelOnRankZeroStopsEveryRankAtTheSameStep()
    {
        QTemporaryDir dir;
        Ranks ranks("cancel", dir.path(), 2);
        QVERIFY(ranks.finish());
        std::map<QString, QString> out[2] = {lines(ranks[0]), lines(ranks[1])};
        for (int r = 0; r < 2; ++r) {
            QVERIFY2(ranks[r].exitCode() == 0, qPrintable(out[r]["error"] + ranks[r].readAllStandardError()));
            QCOMPARE(out[r]["status"], QString("cancelled"));
            QCOMPARE(out[r]["rates"], QString("yes"));
        }
        // Rank 0 cancelled after step 3's all-reduce: step 4's carries it to both.
        QCOMPARE(out[0]["steps"], QString("4"));
        QCOMPARE(out[1]["steps"], out[0]["steps"]);
    }

    void pauseOnRankZeroPausesEveryRank()
    {
        QTemporaryDir dir;
        Ranks ranks("pause", dir.path(), 2);
        QVERIFY(ranks.finish());
        for (int r = 0; r < 2; ++r) {
            auto out = lines(ranks[r]);
            QVERIFY2(ranks[r].exitCode() == 0, qPrintable(out["error"] + ranks[r].readAllStandardError()));
            QCOMPARE(out["status"], QString("completed"));
            QCOMPARE(out["steps"], QString("8"));
            // Rank 1 was never paused itself, yet waited out rank 0's 4 s pause
            // (and outlived the 2 s collective timeout).
            QVERIFY2(out["gap"].toDouble() >= 3.5, qPrintable(QString("rank %1: %2").arg(r).arg(out["gap"])));
        }
    }
};

int main(int argc, char** argv)
{
    if (argc >= 4 && std::string(argv[1]) == "--worker")
        return runWorker(argv[2], argv[3]);
    QCoreApplication app(argc, argv);
    TestDistributedTrain test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_distributed_train.moc"
