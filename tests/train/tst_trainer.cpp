// The training loop on small real models: schedules and losses against hand
// computations, data order sharding, exact resume, pause/cancel from another
// thread, NaN handling, frozen weights left bit-for-bit unchanged.
#include "common/error.h"
#include "io/atomic_file.h"
#include "model/language_model.h"
#include "peft/peft_model.h"
#include "train/trainer.h"

#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <set>
#include <thread>

using namespace tb;

namespace {

const std::string kModels = std::string(TB_FIXTURES_DIR) + "/models/";

std::shared_ptr<model::CausalLMImpl> loadBase(const std::string& name)
{
    return model::LanguageModel::load(kModels + name)->module();
}

// A little corpus of counting patterns the model can learn quickly.
std::vector<train::Sequence> corpus(int n, int offset = 0)
{
    std::vector<train::Sequence> out;
    for (int i = 0; i < n; ++i) {
        train::Sequence s;
        const int start = 3 + (i + offset) % 7;
        for (int t = 0; t < 12; ++t)
            s.ids.push_back(start + t * ((i % 3) + 1));
        s.labels = s.ids;
        s.labels[0] = train::kIgnoreIndex;
        out.push_back(s);
    }
    return out;
}

struct Recorder : train::TrainObserver {
    std::vector<double> losses;
    std::vector<double> validation;
    std::vector<std::string> checkpoints;
    std::function<void(const train::StepEvent&)> hook;
    void onStep(const train::StepEvent& e) override
    {
        losses.push_back(e.loss);
        if (hook)
            hook(e);
    }
    void onValidation(const train::ValidationEvent& v) override { validation.push_back(v.loss); }
    void onCheckpoint(int64_t, const std::string& dir) override { checkpoints.push_back(dir); }
};

train::TrainConfig quickConfig(int64_t steps)
{
    train::TrainConfig c;
    c.maxSteps = steps;
    c.batchSize = 4;
    c.learningRate = 5e-3;
    c.schedule = "constant";
    c.seed = 11;
    return c;
}

peft::MethodConfig method(peft::Method m)
{
    peft::MethodConfig c;
    c.method = m;
    c.lora.dropout = 0.1; // exercises the RNG state in checkpoints
    return c;
}

} // namespace

class TestTrainer : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }

    void scheduleMatchesHandValues()
    {
        train::TrainConfig c;
        c.learningRate = 1.0;
        c.warmupSteps = 2;
        c.maxSteps = 10;
        c.schedule = "cosine";
        QCOMPARE(train::learningRateAt(c, 0), 0.5);
        QCOMPARE(train::learningRateAt(c, 1), 1.0);
        QCOMPARE(train::learningRateAt(c, 2), 1.0);
        QVERIFY(std::abs(train::learningRateAt(c, 6) - 0.5) < 1e-12);  // cos(pi/2)
        QVERIFY(std::abs(train::learningRateAt(c, 10) - 0.0) < 1e-12); // cos(pi)
        c.schedule = "linear";
        c.minLrRatio = 0.2;
        QVERIFY(std::abs(train::learningRateAt(c, 6) - 0.6) < 1e-12);  // 1 - 0.5*0.8
        c.schedule = "constant";
        QCOMPARE(train::learningRateAt(c, 9), 1.0);
    }

    void lossIsMeanOverUnmaskedTargets()
    {
        // logits for 3 positions over 2 tokens; only position 1's label counts
        // (label[0] is never a target, label[2] is -100).
        auto logits = torch::tensor({{{0.f, 0.f}, {1.f, 3.f}, {2.f, -1.f}}});
        auto labels = torch::tensor({{7, 1, -100}}, torch::kLong);
        auto [loss, count] = train::causalLmLoss(logits, labels);
        QCOMPARE(count, int64_t(1));
        // Position 0 predicts label[1] = 1: -log(e^0 / (e^0 + e^0)) = log 2.
        QVERIFY(std::abs(loss.item<double>() - std::log(2.0)) < 1e-6);
    }

    // Loss per task in the one validation pass (batches mixing tasks and
    // lengths) equals each task's sequences validated on their own; the
    // overall loss is unchanged by the task labels.
    void validationLossPerTaskEqualsEachTaskAlone()
    {
        peft::PeftModel m(loadBase("llama_tied"), method(peft::Method::Lora));
        auto a = corpus(5), b = corpus(6, 3);
        for (auto& s : b) { // another length, so batches hold padding
            s.ids.resize(9);
            s.labels.resize(9);
        }
        std::vector<train::Sequence> mixed;
        for (size_t i = 0; i < 6; ++i) {
            if (i < a.size())
                mixed.push_back(a[i]);
            mixed.push_back(b[i]);
            mixed.back().task = 1;
        }
        auto c = quickConfig(1);
        c.batchSize = 3;
        train::Trainer both(m, c, corpus(4), mixed, "", {"counting", "short"});
        const auto losses = both.validationLosses();
        QCOMPARE(losses.perTask.size(), size_t(2));
        QCOMPARE(losses.perTask[0].first, std::string("counting"));
        QCOMPARE(losses.perTask[1].first, std::string("short"));
        const double aAlone = train::Trainer(m, c, corpus(4), a, "").validate();
        const double bAlone = train::Trainer(m, c, corpus(4), b, "").validate();
        QVERIFY(std::abs(losses.perTask[0].second - aAlone) < 1e-5 * aAlone);
        QVERIFY(std::abs(losses.perTask[1].second - bAlone) < 1e-5 * bAlone);
        QVERIFY(std::abs(aAlone - bAlone) > 1e-3);
        // 5 x 11 and 6 x 8 target tokens.
        QVERIFY(std::abs(losses.loss - (55 * aAlone + 48 * bAlone) / 103) < 1e-5 * losses.loss);
        // Without task names: one task, the same overall loss, nothing per task.
        const auto single = train::Trainer(m, c, corpus(4), mixed, "").validationLosses();
        QCOMPARE(single.loss, losses.loss);
        QVERIFY(single.perTask.empty());
    }

    void validationTaskIndexOutsideTheNamesIsAnError()
    {
        peft::PeftModel m(loadBase("llama_tied"), method(peft::Method::Lora));
        auto val = corpus(2);
        val[1].task = 2;
        try {
            train::Trainer(m, quickConfig(1), corpus(4), val, "", {"a", "b"});
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("validation example 1: task index 2"), e.what());
        }
    }

    void ranksShardTheSameEpochOrder()
    {
        train::TrainConfig c;
        c.batchSize = 3;
        c.seed = 5;
        c.worldSize = 2;
        std::multiset<size_t> seen;
        // 12 examples, 2 ranks x 3 per micro-batch: 2 micro-batches cover one epoch exactly once.
        for (int rank = 0; rank < 2; ++rank) {
            c.rank = rank;
            for (int micro = 0; micro < 2; ++micro)
                for (size_t i : train::microBatchIndices(12, c, micro))
                    seen.insert(i);
        }
        QCOMPARE(seen.size(), size_t(12));
        for (size_t i = 0; i < 12; ++i)
            QCOMPARE(seen.count(i), size_t(1));
        // Deterministic: the same call gives the same batch.
        c.rank = 1;
        QCOMPARE(train::microBatchIndices(12, c, 7), train::microBatchIndices(12, c, 7));
    }

    void fullFineTuningLearnsAndLoraLeavesTheBaseUntouched()
    {
        {
            peft::PeftModel m(loadBase("llama_tied"), method(peft::Method::Full));
            train::Trainer t(m, quickConfig(30), corpus(8), {}, "");
            Recorder r;
            RunControl control;
            auto result = t.run(r, control);
            QVERIFY2(result.status == train::TrainStatus::Completed, result.error.c_str());
            QCOMPARE(r.losses.size(), size_t(30));
            QVERIFY2(r.losses.back() < 0.5 * r.losses.front(),
                     qPrintable(QString("%1 -> %2").arg(r.losses.front()).arg(r.losses.back())));
        }
        auto pristine = loadBase("qwen2_tiny");
        auto base = loadBase("qwen2_tiny");
        peft::PeftModel m(base, method(peft::Method::Lora));
        train::Trainer t(m, quickConfig(5), corpus(8), {}, "");
        Recorder r;
        RunControl control;
        const auto loraResult = t.run(r, control);
        QVERIFY2(loraResult.status == train::TrainStatus::Completed, loraResult.error.c_str());
        auto before = pristine->named_parameters();
        for (const auto& item : base->named_parameters()) {
            if (item.key().find("lora_") != std::string::npos)
                continue;
            QVERIFY2(torch::equal(item.value(), *before.find(item.key())), item.key().c_str());
        }
    }

    void bf16MixedPrecisionTracksF32()
    {
        auto run = [](const std::string& precision) {
            peft::PeftModel m(loadBase("llama_tied"), method(peft::Method::Full));
            auto c = quickConfig(20);
            c.precision = precision;
            train::Trainer t(m, c, corpus(8), {}, "");
            Recorder r;
            RunControl control;
            const auto result = t.run(r, control);
            return std::make_pair(result.status, r.losses);
        };
        const auto [s32, l32] = run("f32");
        const auto [s16, l16] = run("bf16");
        QCOMPARE(s16, train::TrainStatus::Completed);
        // bf16 keeps ~3 significant digits: the first loss agrees to 2%, and it learns as f32 does.
        QVERIFY2(std::abs(l16.front() - l32.front()) < 0.02 * l32.front(),
                 qPrintable(QString("%1 vs %2").arg(l16.front()).arg(l32.front())));
        QVERIFY(l16.back() < 0.7 * l16.front());
    }

    void resumeContinuesTheExactLossCurve()
    {
        QTemporaryDir dir;
        auto config = quickConfig(6);
        config.checkpointEvery = 3;
        Recorder full;
        {
            peft::PeftModel m(loadBase("llama_gqa"), method(peft::Method::Lora));
            train::Trainer t(m, config, corpus(10), {}, dir.filePath("a").toStdString());
            RunControl control;
            QCOMPARE(t.run(full, control).status, train::TrainStatus::Completed);
        }
        QCOMPARE(full.checkpoints.size(), size_t(2));
        Recorder resumed;
        {
            peft::PeftModel m(loadBase("llama_gqa"), method(peft::Method::Lora));
            train::Trainer t(m, config, corpus(10), {}, dir.filePath("b").toStdString());
            RunControl control;
            QCOMPARE(t.run(resumed, control, full.checkpoints[0]).status, train::TrainStatus::Completed);
        }
        QCOMPARE(resumed.losses.size(), size_t(3));
        for (size_t i = 0; i < 3; ++i)
            QCOMPARE(resumed.losses[i], full.losses[3 + i]); // bit-for-bit
    }

    void cancelAndPauseFromAnotherThread()
    {
        peft::PeftModel m(loadBase("llama_tied"), method(peft::Method::Lora));
        train::Trainer t(m, quickConfig(50), corpus(8), {}, "");
        RunControl control;
        Recorder r;
        r.hook = [&](const train::StepEvent& e) {
            if (e.step == 2)
                control.pause();
        };
        train::TrainResult result;
        std::thread worker([&] { result = t.run(r, control); });
        // Wait until the trainer is parked in pause, check it stays there, then cancel.
        for (int i = 0; i < 200 && r.losses.size() < 2; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        QCOMPARE(r.losses.size(), size_t(2));
        control.cancel();
        worker.join();
        QCOMPARE(result.status, train::TrainStatus::Cancelled);
        QCOMPARE(result.steps, int64_t(2));
    }

    void nanLossStopsWithAdvice()
    {
        peft::PeftModel m(loadBase("llama_tied"), method(peft::Method::Full));
        auto c = quickConfig(20);
        c.optimizer = "sgd";
        c.learningRate = 1e12;
        c.clipNorm = 0;
        train::Trainer t(m, c, corpus(8), {}, "");
        Recorder r;
        RunControl control;
        auto result = t.run(r, control);
        QCOMPARE(result.status, train::TrainStatus::Failed);
        QVERIFY2(QString::fromStdString(result.error).contains("lower the learning rate"), result.error.c_str());
        QVERIFY(result.steps < 20);
    }

    void earlyStoppingWhenValidationStalls()
    {
        peft::PeftModel m(loadBase("llama_tied"), method(peft::Method::Lora));
        auto c = quickConfig(20);
        c.learningRate = 1e-30; // nothing changes: validation loss never improves after the first
        c.evalEvery = 1;
        c.earlyStoppingPatience = 2;
        train::Trainer t(m, c, corpus(8), corpus(4, 3), "");
        Recorder r;
        RunControl control;
        auto result = t.run(r, control);
        QVERIFY2(result.status == train::TrainStatus::EarlyStopped, result.error.c_str());
        QCOMPARE(result.steps, int64_t(3));
        QCOMPARE(r.validation.size(), size_t(3));
        // Perplexity bookkeeping: the reported best is the first evaluation.
        QVERIFY(result.bestValidationLoss.has_value());
        QCOMPARE(*result.bestValidationLoss, r.validation[0]);
    }
    void neverValidatedIsNullInTheCheckpointAndOldFilesStillLoad()
    {
        QTemporaryDir dir;
        auto config = quickConfig(2);
        config.checkpointEvery = 1;
        Recorder r;
        {
            peft::PeftModel m(loadBase("llama_tied"), method(peft::Method::Lora));
            train::Trainer t(m, config, corpus(8), {}, dir.filePath("a").toStdString());
            RunControl control;
            const auto result = t.run(r, control);
            QCOMPARE(result.status, train::TrainStatus::Completed);
            QVERIFY(!result.bestValidationLoss.has_value());
        }
        const std::string statePath = r.checkpoints[0] + "/state.json";
        auto state = nlohmann::json::parse(io::readFile(statePath));
        QVERIFY(state.at("best_validation_loss").is_null());

        // Resume (no validation set, so nothing re-validates) with the field as older versions wrote it.
        auto resumeWith = [&](const nlohmann::json& best) {
            state["best_validation_loss"] = best;
            io::writeFileAtomic(statePath, state.dump(2));
            peft::PeftModel m(loadBase("llama_tied"), method(peft::Method::Lora));
            train::Trainer t(m, config, corpus(8), {}, dir.filePath("b").toStdString());
            Recorder again;
            RunControl control;
            return t.run(again, control, r.checkpoints[0]);
        };
        const auto measured = resumeWith(1.25);
        QCOMPARE(measured.status, train::TrainStatus::Completed);
        QCOMPARE(measured.bestValidationLoss, std::optional<double>(1.25));
        QVERIFY(!resumeWith(0.0).bestValidationLoss.has_value()); // 0 was the old "never validated"
    }
};

QTEST_GUILESS_MAIN(TestTrainer)
#include "tst_trainer.moc"
