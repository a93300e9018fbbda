// A whole run from text files to a saved adapter, recorded in a real SQLite
// run store: what the CLI and the GUI start.
#include "common/tiny_model.h"

#include "common/error.h"
#include "io/atomic_file.h"
#include "io/safetensors.h"
#include "store/run_store.h"
#include "engine/export.h"
#include "engine/prepare_data.h"
#include "engine/run_job.h"
#include "train/trainer.h"

#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <filesystem>
#include <map>
#include <set>
#include <QtTest>

using namespace tb;
using nlohmann::json;

namespace {

struct Collect : engine::JobObserver {
    std::vector<double> losses;
    std::vector<train::StepEvent> steps;
    std::vector<engine::SampleEvent> samples;
    engine::DataSummary summary;
    int64_t trainable = 0, total = 0;
    int64_t cancelAfter = 0;
    RunControl* control = nullptr;
    void onPrepared(const engine::DataSummary& d, int64_t t, int64_t all) override
    {
        summary = d;
        trainable = t;
        total = all;
    }
    void onStep(const train::StepEvent& e) override
    {
        losses.push_back(e.loss);
        steps.push_back(e);
        if (cancelAfter && e.step == cancelAfter)
            control->cancel();
    }
    void onTaskSample(const engine::SampleEvent& s) override { samples.push_back(s); }
};

// Two tasks of Alpaca records: 30 "upper" and 10 "reverse" (the first
// `records` of them: 30 or fewer is "upper" alone).
std::string writeData(const QString& dir, int records = 40)
{
    std::string lines;
    for (int i = 0; i < records; ++i) {
        const std::string word = std::string(1, char('a' + i % 26)) + "bc" + std::to_string(i);
        std::string out = word;
        if (i < 30) {
            for (auto& ch : out)
                ch = static_cast<char>(std::toupper(ch));
            lines += json({{"instruction", "Upper-case the word."}, {"input", word}, {"output", out}, {"task", "upper"}}).dump() + "\n";
        } else {
            std::reverse(out.begin(), out.end());
            lines += json({{"instruction", "Reverse the word."}, {"input", word}, {"output", out}, {"task", "reverse"}}).dump() + "\n";
        }
    }
    const std::string path = (dir + "/train.jsonl").toStdString();
    io::writeFileAtomic(path, lines);
    return path;
}

train::RunConfig makeConfig(const QString& dir, const std::string& method)
{
    const std::string model = tbtest::makeTinyModel((dir + "/base").toStdString());
    const std::string data = writeData(dir);
    json j = {{"name", "test-" + method},
              {"model", model},
              {"data",
               {{"train", {data}}, {"validation_fraction", 0.25}, {"template", "plain"}, {"max_length", 96},
                {"mixing", "equal"}, {"total", 40}}},
              {"method", {{"method", method}, {"lora", {{"rank", 4}, {"alpha", 8}, {"dropout", 0.0}}}}},
              {"training",
               {{"max_steps", 6}, {"batch_size", 4}, {"learning_rate", 5e-3}, {"eval_every", 3},
                {"checkpoint_every", 3}, {"seed", 3}}}};
    return train::parseRunConfig(j, "RUN.json");
}

// Token-weighted mean next-token NLL of `sequences` under `model`, each
// sequence alone (no padding), from log_softmax: an independent computation
// of what validation reports. Returns {sum of NLL, loss tokens}.
std::pair<double, int64_t> nll(peft::PeftModel& model, const std::vector<const train::Sequence*>& sequences)
{
    torch::NoGradGuard g;
    model.base()->eval();
    double sum = 0;
    int64_t count = 0;
    for (const auto* s : sequences) {
        auto logp = torch::log_softmax(model.forward(torch::tensor(s->ids, torch::kLong).unsqueeze(0))[0], -1);
        for (size_t t = 1; t < s->ids.size(); ++t) {
            if (s->labels[t] == train::kIgnoreIndex)
                continue;
            sum -= logp[static_cast<int64_t>(t - 1)][s->labels[t]].item<double>();
            ++count;
        }
    }
    return {sum, count};
}

} // namespace

class TestRunJob : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }

    void loraRunIsRecordedAndSaved()
    {
        QTemporaryDir dir;
        const auto config = makeConfig(dir.path(), "lora");
        const std::string db = dir.filePath("runs.sqlite").toStdString();
        RunControl control;
        Collect obs;
        const auto r = engine::runJob(config, {db, std::nullopt}, obs, control);
        QVERIFY2(r.train.status == train::TrainStatus::Completed, r.train.error.c_str());
        // 40 records, 25% (stratified: 7 of 30 upper... computed by the split) held out; equal mixing
        // to 40 items gives each task 20 training items.
        QCOMPARE(obs.summary.perTask.at("upper"), size_t(20));
        QCOMPARE(obs.summary.perTask.at("reverse"), size_t(20));
        QCOMPARE(obs.summary.validationExamples, size_t(10));
        QVERIFY(obs.trainable > 0 && obs.trainable < obs.total / 5);

        store::RunStore store(db);
        const auto run = store.run(r.runId);
        QCOMPARE(run.status, store::RunStatus::Completed);
        QCOMPARE(run.method, std::string("lora"));
        QCOMPARE(json::parse(run.configJson)["method"]["lora"]["rank"].get<int>(), 4);
        const auto losses = store.metrics(r.runId, "loss");
        QCOMPARE(losses.size(), size_t(6));
        for (size_t i = 0; i < 6; ++i)
            QCOMPARE(losses[i].value, obs.losses[i]);
        QCOMPARE(store.metrics(r.runId, "val_loss").size(), size_t(2));
        QCOMPARE(store.checkpoints(r.runId).size(), size_t(2));
        const auto artifacts = store.artifacts(r.runId);
        QCOMPARE(artifacts.size(), size_t(1));
        QCOMPARE(artifacts[0].kind, std::string("adapter"));
        QVERIFY(QFile::exists(QString::fromStdString(artifacts[0].path + "/adapter_model.safetensors")));

        // Export: the merged model loads on its own and equals base + adapter.
        const std::string merged = dir.filePath("merged").toStdString();
        engine::exportRun(db, r.runId, {}, merged);
        auto plain = model::LanguageModel::load(merged);
        auto base = model::LanguageModel::load(config.model);
        auto adapted = peft::PeftModel::loadAdapter(artifacts[0].path, base->module());
        torch::NoGradGuard g;
        adapted->base()->eval();
        const std::vector<int64_t> ids = {1, 40, 77, 120, 5};
        auto expected = adapted->forward(torch::tensor(ids, torch::kLong).unsqueeze(0))[0];
        const auto rows = plain->logits(ids);
        for (size_t t = 0; t < ids.size(); ++t)
            for (int64_t v = 0; v < expected.size(1); v += 7)
                QVERIFY(std::abs(rows[t][v] - expected[t][v].item<float>()) < 1e-4);
    }

    // Validation loss per task ("val_loss/<task>") equals the NLL of that
    // task's validation records under the saved adapter, computed here;
    // "epoch" and "tokens_seen" per step follow from the dataset's sizes;
    // default samples come one per task, labelled.
    void multiTaskRunRecordsLossPerTaskEpochAndTokens()
    {
        QTemporaryDir dir;
        auto config = makeConfig(dir.path(), "lora");
        config.training.maxSteps = 10; // 10 steps x 4 = the 40 mixed training examples once
        config.training.evalEvery = 5;
        config.training.sampleEvery = 5;
        config.training.sampleMaxNewTokens = 3;
        const std::string db = dir.filePath("runs.sqlite").toStdString();
        RunControl control;
        Collect obs;
        const auto r = engine::runJob(config, {db, std::nullopt}, obs, control);
        QVERIFY2(r.train.status == train::TrainStatus::Completed, r.train.error.c_str());
        store::RunStore store(db);

        // The run's own data, each validation record's task read from its text.
        auto tokenizer = tok::loadTokenizer(tbtest::tokenizerFixture());
        const auto data = engine::prepareData(config, *tokenizer);
        std::map<std::string, std::vector<const train::Sequence*>> byTask;
        for (const auto& s : data.validation) {
            const std::string text = tokenizer->decode(s.ids, true);
            const bool reverse = text.find("Reverse") != std::string::npos;
            QVERIFY2(reverse != (text.find("Upper") != std::string::npos), text.c_str());
            byTask[reverse ? "reverse" : "upper"].push_back(&s);
        }
        QCOMPARE(byTask.size(), size_t(2));

        auto base = model::LanguageModel::load(config.model);
        auto adapted = peft::PeftModel::loadAdapter(r.savedDir, base->module());
        double sum = 0;
        int64_t tokens = 0;
        for (const auto& [task, sequences] : byTask) {
            const auto stored = store.metrics(r.runId, "val_loss/" + task);
            QCOMPARE(stored.size(), size_t(2)); // steps 5 and 10
            QCOMPARE(stored[0].step, int64_t(5));
            QCOMPARE(stored[1].step, int64_t(10));
            const auto [taskSum, taskTokens] = nll(*adapted, sequences);
            const double expected = taskSum / double(taskTokens);
            QVERIFY2(std::abs(stored[1].value - expected) < 1e-4 * expected,
                     qPrintable(QString("%1: stored %2, computed %3").arg(task.c_str()).arg(stored[1].value).arg(expected)));
            sum += taskSum;
            tokens += taskTokens;
        }
        // The overall loss is the token-weighted mean of the two.
        const auto overall = store.metrics(r.runId, "val_loss");
        QCOMPARE(overall.size(), size_t(2));
        QVERIFY(std::abs(overall[1].value - sum / double(tokens)) < 1e-4 * overall[1].value);
        QVERIFY(std::abs(store.metrics(r.runId, "val_loss/upper")[0].value -
                         store.metrics(r.runId, "val_loss/upper")[1].value) > 1e-6); // it moved with training

        // Epoch: 4 of 40 examples per step. Tokens: the ids of the examples each
        // step drew (no padding); after exactly one epoch every example once.
        const auto epochs = store.metrics(r.runId, "epoch");
        const auto seen = store.metrics(r.runId, "tokens_seen");
        QCOMPARE(epochs.size(), size_t(10));
        QCOMPARE(seen.size(), size_t(10));
        QCOMPARE(data.train.size(), size_t(40));
        int64_t expectedSeen = 0;
        for (int64_t step = 1; step <= 10; ++step) {
            const size_t i = static_cast<size_t>(step - 1);
            QCOMPARE(epochs[i].step, step);
            QCOMPARE(epochs[i].value, double(step) * 4.0 / 40.0);
            for (size_t k : train::microBatchIndices(data.train.size(), config.training, step - 1))
                expectedSeen += static_cast<int64_t>(data.train[k].ids.size());
            QCOMPARE(seen[i].value, double(expectedSeen));
            QCOMPARE(obs.steps[i].tokensSeen, expectedSeen);
        }
        int64_t allTokens = 0;
        for (const auto& s : data.train)
            allTokens += static_cast<int64_t>(s.ids.size());
        QCOMPARE(seen.back().value, double(allTokens));

        // Samples at steps 5 and 10: the first validation prompt of each task, by task name.
        QCOMPARE(obs.samples.size(), size_t(4));
        for (size_t i = 0; i < 4; ++i) {
            QCOMPARE(obs.samples[i].step, int64_t(5 * (i / 2 + 1)));
            QCOMPARE(obs.samples[i].task, std::string(i % 2 ? "upper" : "reverse"));
            const std::string word = i % 2 ? "Upper" : "Reverse";
            QVERIFY2(obs.samples[i].prompt.find(word) != std::string::npos, obs.samples[i].prompt.c_str());
        }
    }

    // Packed validation rows never mix tasks, so each row's loss has one task.
    void packedValidationRowsHoldOneTaskEach()
    {
        QTemporaryDir dir;
        auto config = makeConfig(dir.path(), "lora");
        config.data.packing = true;
        auto tokenizer = tok::loadTokenizer(tbtest::tokenizerFixture());
        const auto data = engine::prepareData(config, *tokenizer);
        QCOMPARE(data.validationTasks, std::vector<std::string>({"reverse", "upper"}));
        QVERIFY(data.validation.size() < 10); // 10 records packed into fewer rows
        std::set<int> seen;
        for (const auto& s : data.validation) {
            const std::string text = tokenizer->decode(s.ids, true);
            const bool reverse = text.find("Reverse") != std::string::npos;
            QVERIFY2(reverse != (text.find("Upper") != std::string::npos), text.c_str());
            QCOMPARE(s.task, reverse ? 0 : 1);
            seen.insert(s.task);
        }
        QCOMPARE(seen.size(), size_t(2));
    }

    void singleTaskRunStoresNoPerTaskLoss()
    {
        QTemporaryDir dir;
        auto config = makeConfig(dir.path(), "lora");
        writeData(dir.path(), 30); // "upper" alone
        const std::string db = dir.filePath("runs.sqlite").toStdString();
        RunControl control;
        Collect obs;
        const auto r = engine::runJob(config, {db, std::nullopt}, obs, control);
        QVERIFY2(r.train.status == train::TrainStatus::Completed, r.train.error.c_str());
        store::RunStore store(db);
        QCOMPARE(store.metrics(r.runId, "val_loss").size(), size_t(2));
        for (const auto& name : store.metricNames(r.runId))
            QVERIFY2(name.rfind("val_loss/", 0) != 0, name.c_str());
        QCOMPARE(store.metrics(r.runId, "epoch").size(), size_t(6));
    }

    void cancelledRunResumesOnTheSameCurve()
    {
        QTemporaryDir dir;
        const auto config = makeConfig(dir.path(), "lora");
        const std::string db = dir.filePath("runs.sqlite").toStdString();
        Collect full;
        {
            RunControl control;
            QCOMPARE(engine::runJob(config, {db, std::nullopt}, full, control).train.status, train::TrainStatus::Completed);
        }
        RunControl control;
        Collect first;
        first.cancelAfter = 3;
        first.control = &control;
        const auto r = engine::runJob(config, {db, std::nullopt}, first, control);
        QCOMPARE(r.train.status, train::TrainStatus::Cancelled);
        QCOMPARE(store::RunStore(db).run(r.runId).status, store::RunStatus::Cancelled);

        RunControl again;
        Collect second;
        const auto resumed = engine::runJob({}, {db, r.runId}, second, again);
        QCOMPARE(resumed.runId, r.runId);
        QCOMPARE(resumed.train.status, train::TrainStatus::Completed);
        QCOMPARE(second.losses.size(), size_t(3));
        for (size_t i = 0; i < 3; ++i)
            QCOMPARE(second.losses[i], full.losses[3 + i]);
        QCOMPARE(store::RunStore(db).run(r.runId).status, store::RunStatus::Completed);
    }

    void failuresEndAsFailedRunsWithTheReason()
    {
        QTemporaryDir dir;
        auto config = makeConfig(dir.path(), "lora");
        config.data.train[0].path = dir.filePath("missing.jsonl").toStdString();
        const std::string db = dir.filePath("runs.sqlite").toStdString();
        RunControl control;
        Collect obs;
        const auto r = engine::runJob(config, {db, std::nullopt}, obs, control);
        QCOMPARE(r.train.status, train::TrainStatus::Failed);
        QVERIFY2(QString::fromStdString(r.train.error).contains("missing.jsonl"), r.train.error.c_str());
        const auto run = store::RunStore(db).run(r.runId);
        QCOMPARE(run.status, store::RunStatus::Failed);
        QCOMPARE(run.errorMessage, r.train.error);
    }

    void shippedRunExamplesParse()
    {
        int n = 0;
        for (const auto& e : std::filesystem::directory_iterator(std::string(TB_RESOURCES_DIR) + "/runs")) {
            if (e.path().extension() != ".json")
                continue;
            const auto c = train::readRunConfig(e.path().string());
            QVERIFY(!c.name.empty());
            QVERIFY(std::filesystem::path(c.model).is_absolute());
            ++n;
        }
        QCOMPARE(n, 6);
    }

    void runConfigErrorsNameTheKey()
    {
        auto err = [](const json& j) {
            try {
                train::parseRunConfig(j, "RUN.json");
            } catch (const Error& e) {
                return QString(e.what());
            }
            return QString();
        };
        const json ok = {{"model", "m"}, {"data", {{"train", {"t.jsonl"}}}}};
        QVERIFY(err(ok).isEmpty());
        json typo = ok;
        typo["training"] = {{"learning_rat", 1e-3}};
        QVERIFY(err(typo).contains("RUN.json.training: unknown key 'learning_rat'"));
        json method = ok;
        method["method"] = {{"method", "qlora"}};
        QVERIFY(err(method).contains("unknown method 'qlora'"));
        json noData = {{"model", "m"}};
        QVERIFY(err(noData).contains("missing 'data'"));
    }
};

QTEST_GUILESS_MAIN(TestRunJob)
#include "tst_runjob.moc"
