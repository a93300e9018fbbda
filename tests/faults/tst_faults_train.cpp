// Faults found by the adversarial pass (issue 12), training side: a disk that
// fills up while a checkpoint is written (injected through
// TUNEBENCH_FAULT_WRITE_LIMIT, see core/io/atomic_file.cpp), a batch no
// memory can hold, a diverging learning rate, and RUN.json values that used
// to be accepted. Whole runs of a tiny model through engine::runJob on a
// real run store, as the CLI and the GUI start them.
#include "common/tiny_model.h"

#include "common/error.h"
#include "engine/model_loader.h"
#include "engine/run_job.h"
#include "io/atomic_file.h"
#include "store/run_store.h"
#include "train/divergence.h"
#include "train/run_config.h"

#include <nlohmann/json.hpp>

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <cstdlib>
#include <filesystem>

using namespace tb;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// Arms the injected full disk from inside a run: after checkpoint
// `armAfter`, the next checkpoint may write only its first file.
struct DiskFiller : engine::JobObserver {
    int64_t armAfter = 0;
    std::string firstCheckpoint;
    std::string firstTrainable; // its trainable.safetensors bytes, to compare after the failure
    void onCheckpoint(int64_t step, const std::string& dir) override
    {
        if (step != armAfter)
            return;
        firstCheckpoint = dir;
        firstTrainable = io::readFile(dir + "/trainable.safetensors");
        // trainable.safetensors of the next checkpoint fits, optimizer.safetensors does not.
        setenv("TUNEBENCH_FAULT_WRITE_LIMIT", std::to_string(firstTrainable.size() + 16).c_str(), 1);
    }
};

std::string writeData(const QString& dir)
{
    std::string lines;
    for (int i = 0; i < 24; ++i) {
        const std::string word = std::string(1, char('a' + i % 26)) + "bc" + std::to_string(i);
        std::string upper = word;
        for (auto& ch : upper)
            ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        lines += json({{"instruction", "Upper-case the word."}, {"input", word}, {"output", upper}}).dump() + "\n";
    }
    const std::string path = (dir + "/train.jsonl").toStdString();
    io::writeFileAtomic(path, lines);
    return path;
}

json runJson(const QString& dir)
{
    return {{"name", "faults"},
            {"model", tbtest::makeTinyModel((dir + "/base").toStdString())},
            {"data", {{"train", {writeData(dir)}}, {"validation_fraction", 0.25}, {"template", "plain"},
                      {"max_length", 64}}},
            {"method", {{"method", "lora"}, {"lora", {{"rank", 4}, {"alpha", 8}, {"dropout", 0.0}}}}},
            {"training", {{"max_steps", 6}, {"batch_size", 4}, {"learning_rate", 5e-3}, {"eval_every", 3},
                          {"checkpoint_every", 2}, {"seed", 3}}}};
}

engine::JobResult run(const json& j, const std::string& db, engine::JobObserver& observer,
                      std::optional<int64_t> resume = std::nullopt)
{
    RunControl control;
    return engine::runJob(resume ? train::RunConfig{} : train::parseRunConfig(j, "RUN.json"), {db, resume},
                          observer, control);
}

// readRunConfig's error for RUN.json `j` written to `dir`, empty if it reads.
QString readError(const QString& dir, const std::string& text)
{
    const std::string path = (dir + "/RUN.json").toStdString();
    io::writeFileAtomic(path, text);
    try {
        train::readRunConfig(path);
    } catch (const Error& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

bool contains(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

} // namespace

class TestFaultsTrain : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }
    void cleanup()
    {
        unsetenv("TUNEBENCH_FAULT_WRITE_LIMIT");
        unsetenv("TUNEBENCH_FAULT_MEMORY_AVAILABLE");
    }

    // Item 1: the disk fills up while the step-4 checkpoint is written.
    void fullDiskWhileCheckpointingFailsCleanlyAndResumes()
    {
        QTemporaryDir dir;
        const std::string db = dir.filePath("runs.sqlite").toStdString();
        DiskFiller filler;
        filler.armAfter = 2;
        const auto failed = run(runJson(dir.path()), db, filler);
        unsetenv("TUNEBENCH_FAULT_WRITE_LIMIT"); // space is freed
        QCOMPARE(failed.train.status, train::TrainStatus::Failed);
        const std::string& error = failed.train.error;
        qInfo("%s", error.c_str());
        QVERIFY2(contains(error, "cannot write checkpoint ") && contains(error, "step-0000004") &&
                     contains(error, "No space left on device") && contains(error, "it needs about ") &&
                     contains(error, " MB free in ") && contains(error, " MB free now)"),
                 error.c_str());
        store::RunStore store(db);
        QCOMPARE(store.run(failed.runId).status, store::RunStatus::Failed);
        QCOMPARE(store.run(failed.runId).errorMessage, error);
        // No half-written folder; the earlier checkpoint is whole and unchanged.
        const fs::path checkpoints = fs::path(filler.firstCheckpoint).parent_path();
        for (const auto& entry : fs::directory_iterator(checkpoints))
            QVERIFY2(entry.path().filename() == "step-0000002", entry.path().c_str());
        QCOMPARE(io::readFile(filler.firstCheckpoint + "/trainable.safetensors"), filler.firstTrainable);

        engine::JobObserver quiet;
        const auto resumed = run({}, db, quiet, failed.runId);
        QVERIFY2(resumed.train.status == train::TrainStatus::Completed, resumed.train.error.c_str());
        QCOMPARE(resumed.train.steps, int64_t(6));
        QCOMPARE(store.run(failed.runId).status, store::RunStatus::Completed);
    }

    // Item 2: a batch no memory holds is refused before anything is allocated.
    void impossibleBatchIsRefusedUpFront()
    {
        QTemporaryDir dir;
        json j = runJson(dir.path());
        j["training"]["batch_size"] = 100000;
        // ~30 GB for this tiny model: on any machine with less than that, and
        // here with 8 GB standing in for MemAvailable (core/train/trainer.cpp).
        setenv("TUNEBENCH_FAULT_MEMORY_AVAILABLE", "8e9", 1);
        engine::JobObserver quiet;
        QElapsedTimer timer;
        timer.start();
        const auto r = run(j, dir.filePath("runs.sqlite").toStdString(), quiet);
        qInfo("%s", r.train.error.c_str());
        QCOMPARE(r.train.status, train::TrainStatus::Failed);
        QVERIFY2(contains(r.train.error, "training needs ~") &&
                     contains(r.train.error, "8.0 GB available; lower batch_size or max_length"),
                 r.train.error.c_str());
        QCOMPARE(r.train.steps, int64_t(0));
        QVERIFY(timer.elapsed() < 15000);
    }

    // Item 8: a learning rate of 1e6 fails the run with advice; the same run
    // at 5e-3 is not flagged.
    void divergingRunFailsWithAdvice()
    {
        QTemporaryDir dir;
        json j = runJson(dir.path());
        j["training"]["learning_rate"] = 1e6;
        engine::JobObserver quiet;
        const auto r = run(j, dir.filePath("runs.sqlite").toStdString(), quiet);
        qInfo("%s", r.train.error.c_str());
        QCOMPARE(r.train.status, train::TrainStatus::Failed);
        QVERIFY2(contains(r.train.error, "lower the learning rate") && contains(r.train.error, "e.g. 0.0001"),
                 r.train.error.c_str());
        QVERIFY(r.train.steps < 6);
    }

    // Item 8, the loss rule on its own (a learning rate of 1e6 trips the
    // weight rule first): three steps in a row far above the first loss.
    void lossFarAboveItsStartIsDivergence()
    {
        train::DivergenceCheck check(600, 1e6, 0.2); // ln 600 = 6.4
        int64_t step = 0;
        for (double loss : {2.0, 2.2, 7.0, 7.5})
            QVERIFY(!check.step(++step, loss, 0.3));
        QCOMPARE(check.step(++step, 8.0, 0.3).value_or(""),
                 std::string("loss diverged at step 5 (2 → 8); lower the learning rate (now 1e+06), e.g. 0.0001"));

        // Spikes that recover, and a random model's loss near ln V, are not divergence.
        train::DivergenceCheck spiky(600, 2e-4, 0.2);
        step = 0;
        for (double loss : {2.0, 6.5, 6.9, 2.1, 7.0, 1.9, 1.8, 6.0, 6.1, 1.5})
            QVERIFY(!spiky.step(++step, loss, 0.5));
        train::DivergenceCheck uniform(600, 2e-4, 0.2);
        for (double loss : {6.45, 6.5, 6.9, 7.3, 7.2, 7.1})
            QVERIFY(!uniform.step(++step, loss, 0.5));
        // A random model may start worse than guessing and improve.
        train::DivergenceCheck random(96, 5e-3, 0.2); // ln 96 + 1 = 5.56
        for (double loss : {8.8, 8.7, 8.5, 8.6, 8.3, 8.2})
            QVERIFY(!random.step(++step, loss, 0.5));
        // ... but worse than guessing (ln V + 1) and a nat above the start for three steps is.
        QVERIFY(!uniform.step(++step, 7.5, 0.5));
        QVERIFY(!uniform.step(++step, 7.6, 0.5));
        QCOMPARE(uniform.step(++step, 7.7, 0.5).value_or("").substr(0, 21), std::string("loss diverged at step"));

        // Weights: 150 from 0.2 is training; 1e6 or NaN is not.
        train::DivergenceCheck weights(600, 1e6, 0.2);
        QVERIFY(!weights.step(1, 2.0, 150));
        QCOMPARE(weights.step(2, 2.0, 1e6).value_or(""),
                 std::string("the trainable weights exploded at step 2 (largest value 0.2 → 1e+06); lower the "
                             "learning rate (now 1e+06), e.g. 0.0001"));
        QVERIFY(train::DivergenceCheck(600, 1e-3, 0.2).step(1, 2.0, std::nan("")));
        QCOMPARE(train::DivergenceCheck::saferLearningRate(2e-4), 2e-5);
    }

    void normalRunIsNotFlagged()
    {
        QTemporaryDir dir;
        engine::JobObserver quiet;
        const auto r = run(runJson(dir.path()), dir.filePath("runs.sqlite").toStdString(), quiet);
        QVERIFY2(r.train.status == train::TrainStatus::Completed, r.train.error.c_str());
        QCOMPARE(r.train.steps, int64_t(6));
    }

    // Item 10: values the GUI refuses are refused in a file too, with the
    // file and the field; so are fractions and numbers beyond a double.
    void badRunFileValuesNameFileAndField()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath("RUN.json");
        const json good = runJson(dir.path());
        QCOMPARE(readError(dir.path(), good.dump()), QString());
        const std::pair<const char*, json> negatives[] = {
            {"checkpoint_every", -1}, {"eval_every", -5}, {"threads", -2}, {"clip_norm", -1.5}};
        for (const auto& [key, value] : negatives) {
            json j = good;
            j["training"][key] = value;
            const QString e = readError(dir.path(), j.dump());
            QVERIFY2(e.startsWith(file + ": training." + key + ": "), qPrintable(e));
            QVERIFY2(e.endsWith(", found " + QString::fromStdString(value.dump())), qPrintable(e));
        }
        json fraction = good;
        fraction["training"]["batch_size"] = 2.5;
        QCOMPARE(readError(dir.path(), fraction.dump()),
                 file + ".training.batch_size: expected a whole number, found 2.5");
        json whole = good;
        whole["training"]["max_steps"] = 6.0; // a whole number written as a float still reads
        QCOMPARE(readError(dir.path(), whole.dump()), QString());

        std::string huge = good.dump();
        const std::string lr = "\"learning_rate\":0.005";
        QVERIFY(huge.find(lr) != std::string::npos);
        const size_t at = huge.find(lr) + lr.size() - 5;
        huge.replace(at, 5, "1e400");
        const QString e = readError(dir.path(), huge);
        QCOMPARE(e, file + ": number 1e400 at byte " + QString::number(at) +
                        " is out of range (a JSON number must fit a double, about ±1.8e308)");
    }

    // Item 10: a model path that does not exist says so, not "no tokenizer".
    void missingModelFolderIsNamed()
    {
        QTemporaryDir dir;
        const std::string missing = dir.filePath("no-such-model").toStdString();
        try {
            engine::tokenizerNear(missing, "set \"tokenizer\"");
            QFAIL("no error");
        } catch (const Error& e) {
            QCOMPARE(std::string(e.what()), "model folder " + missing + " does not exist");
        }
    }
};

QTEST_GUILESS_MAIN(TestFaultsTrain)
#include "tst_faults_train.moc"
