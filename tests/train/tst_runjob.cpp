// A whole run from text files to a saved adapter, recorded in a real SQLite
// run store: what the CLI and the GUI start.
#include "common/tiny_model.h"

#include "common/error.h"
#include "io/atomic_file.h"
#include "io/safetensors.h"
#include "store/run_store.h"
#include "engine/export.h"
#include "engine/run_job.h"

#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <filesystem>
#include <QtTest>

using namespace tb;
using nlohmann::json;

namespace {

struct Collect : engine::JobObserver {
    std::vector<double> losses;
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
        if (cancelAfter && e.step == cancelAfter)
            control->cancel();
    }
};

// Two tasks of Alpaca records: 30 "upper" and 10 "reverse".
std::string writeData(const QString& dir)
{
    std::string lines;
    for (int i = 0; i < 40; ++i) {
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
