// train::validate(): each rule breaks one setting of an otherwise valid
// RunConfig and must report exactly one problem, under the RUN.json key of
// that setting, with the message written out here by hand.
#include "common/cpu_features.h"
#include "common/error.h"
#include "train/validate.h"

#include <QtTest>

#include <nlohmann/json.hpp>

#include <functional>

using namespace tb;
using train::RunConfig;

namespace {

// The smallest configuration that can start: a model and one training file.
RunConfig valid()
{
    RunConfig c;
    c.model = "/models/gpt2";
    c.data.train.push_back({"/data/train.jsonl", "", "auto", {}});
    return c;
}

struct Rule {
    const char* name;
    std::function<void(RunConfig&)> breakIt;
    std::string key;
    std::string message;
};

} // namespace

class TestValidate : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // training.gradient_checkpointing is true, false or "auto" in RUN.json;
    // precision "auto" and processes are read and written back unchanged.
    void newTrainingFieldsReadAndWriteBack()
    {
        using nlohmann::json;
        QCOMPARE(train::TrainConfig{}.precision, std::string("auto"));
        QCOMPARE(train::TrainConfig{}.gradientCheckpointing, std::string("auto"));
        auto c = train::parseTrainConfig(json{{"gradient_checkpointing", true}, {"processes", 3}}, "RUN.json:training");
        QCOMPARE(c.gradientCheckpointing, std::string("true"));
        QCOMPARE(c.processes, int64_t(3));
        QCOMPARE(train::toJson(c)["gradient_checkpointing"], json(true));
        c = train::parseTrainConfig(json{{"gradient_checkpointing", "auto"}, {"precision", "auto"}}, "R");
        QCOMPARE(train::toJson(c)["gradient_checkpointing"], json("auto"));
        QCOMPARE(train::toJson(c)["precision"], json("auto"));
        try {
            train::parseTrainConfig(json{{"gradient_checkpointing", 2}}, "RUN.json:training");
            QFAIL("a number was accepted");
        } catch (const Error& e) {
            QCOMPARE(std::string(e.what()),
                     std::string("RUN.json:training.gradient_checkpointing: expected true, false or \"auto\", found 2"));
        }
        QVERIFY_THROWS_EXCEPTION(Error, train::parseTrainConfig(json{{"processes", 0}}, "R"));
    }

    // auto is bf16 where the CPU has AMX-BF16 or AVX512-BF16 and on CUDA.
    void autoPrecisionFollowsTheProcessor()
    {
        qputenv("TUNEBENCH_CPU_BF16", "none");
        QCOMPARE(resolvePrecision("auto", "cpu"), std::string("f32"));
        QCOMPARE(resolvePrecision("auto", "cuda:0"), std::string("bf16"));
        QCOMPARE(resolvePrecision("bf16", "cpu"), std::string("bf16"));
        QVERIFY(precisionExplanation("auto", "cpu").find("neither AMX-BF16 nor AVX512-BF16") != std::string::npos);
        qputenv("TUNEBENCH_CPU_BF16", "avx512");
        QCOMPARE(resolvePrecision("auto", "cpu"), std::string("bf16"));
        QCOMPARE(precisionExplanation("auto", "cpu"), std::string("bf16 (this CPU has AVX512-BF16)"));
        qputenv("TUNEBENCH_CPU_BF16", "amx");
        QCOMPARE(resolvePrecision("auto", "cpu"), std::string("bf16"));
        QCOMPARE(resolvePrecision("f32", "cpu"), std::string("f32"));
        qunsetenv("TUNEBENCH_CPU_BF16");
        // This process's own reading agrees with /proc/cpuinfo, read here independently.
        QFile info("/proc/cpuinfo");
        if (info.open(QIODevice::ReadOnly)) {
            const QByteArray text = info.readAll();
            const bool listed = text.contains(" amx_bf16") || text.contains(" avx512_bf16");
            QCOMPARE(cpuBf16Support().any(), listed);
        }
    }

    void validConfigHasNoProblems()
    {
        QVERIFY(train::validate(valid()).empty());
        // Every method with its default settings is valid too, except selective (nothing chosen).
        for (auto m : {peft::Method::Full, peft::Method::Lora, peft::Method::Adapter, peft::Method::PromptTuning}) {
            auto c = valid();
            c.method.method = m;
            QVERIFY2(train::validate(c).empty(), peft::methodName(m).c_str());
        }
        // Edges that are allowed: 0 switches cadences and clipping off, warm-up may last the whole run.
        auto c = valid();
        c.training.clipNorm = 0;
        c.training.evalEvery = c.training.checkpointEvery = c.training.evalBatches = 0;
        c.training.warmupSteps = c.training.maxSteps;
        c.training.minLrRatio = 1;
        c.training.device = "cuda:12";
        c.method.lora.dropout = 0;
        c.data.maxLength = 2;
        QVERIFY(train::validate(c).empty());
    }

    void eachRuleReportsItsKeyAndMessage_data()
    {
        QTest::addColumn<int>("index");
        for (size_t i = 0; i < rules().size(); ++i)
            QTest::newRow(rules()[i].name) << int(i);
    }

    void eachRuleReportsItsKeyAndMessage()
    {
        QFETCH(int, index);
        const Rule& rule = rules()[size_t(index)];
        auto c = valid();
        rule.breakIt(c);
        const auto problems = train::validate(c);
        QCOMPARE(problems.size(), size_t(1));
        QCOMPARE(problems[0].key, rule.key);
        QCOMPARE(problems[0].message, rule.message);
    }

    void nanFailsEveryNumberRule()
    {
        auto c = valid();
        c.training.learningRate = std::numeric_limits<double>::quiet_NaN();
        const auto problems = train::validate(c);
        QCOMPARE(problems.size(), size_t(1));
        QCOMPARE(problems[0].key, std::string("training.learning_rate"));
        QCOMPARE(problems[0].message, std::string("Learning rate: expected a number > 0, found nan"));
    }

    void problemsComeInKeyOrderAndAllAreReported()
    {
        RunConfig c; // no model, no data
        c.training.batchSize = 0;
        c.method.lora.rank = 0;
        const auto problems = train::validate(c);
        QCOMPARE(problems.size(), size_t(4));
        QCOMPARE(problems[0].key, std::string("model"));
        QCOMPARE(problems[1].key, std::string("data.train"));
        QCOMPARE(problems[2].key, std::string("method.lora.rank"));
        QCOMPARE(problems[3].key, std::string("training.batch_size"));
    }

private:
    static const std::vector<Rule>& rules()
    {
        using M = peft::Method;
        static const std::vector<Rule> r = {
            {"no model", [](RunConfig& c) { c.model.clear(); }, "model",
             "Base model: choose a Hugging Face model folder or a llama2.c .bin"},
            {"no training data", [](RunConfig& c) { c.data.train.clear(); }, "data.train",
             "Training data: give at least one training file"},
            {"training file without path", [](RunConfig& c) { c.data.train.push_back({}); }, "data.train[1]",
             "Training file 2 has no path"},
            {"validation file without path", [](RunConfig& c) { c.data.validation.push_back({}); },
             "data.validation[0]", "Validation file 1 has no path"},
            {"validation fraction 1", [](RunConfig& c) { c.data.validationFraction = 1; }, "data.validation_fraction",
             "Validation fraction: expected a value in [0, 1), found 1"},
            {"max length 1", [](RunConfig& c) { c.data.maxLength = 1; }, "data.max_length",
             "Max length: expected at least 2 tokens, found 1"},
            {"unknown template", [](RunConfig& c) { c.data.templateName = "llama"; }, "data.template",
             "Prompt template: expected alpaca, chatml or plain, found \"llama\""},
            {"unknown mixing", [](RunConfig& c) { c.data.mixing = "random"; }, "data.mixing",
             "Mixing: expected natural, proportions, equal or temperature, found \"random\""},
            {"temperature 0",
             [](RunConfig& c) {
                 c.data.mixing = "temperature";
                 c.data.temperature = 0;
             },
             "data.temperature", "Mixing temperature: expected a number > 0, found 0"},
            {"negative proportion", [](RunConfig& c) { c.data.proportions["qa"] = -0.5; }, "data.proportions.qa",
             "Mixing proportion of \"qa\": expected a number ≥ 0, found -0.5"},
            {"negative total", [](RunConfig& c) { c.data.total = -1; }, "data.total",
             "Mixed examples: expected 0 (as many as there are) or a positive integer, found -1"},

            {"selective subset empty", [](RunConfig& c) { c.method.method = M::Selective; }, "method.selective",
             "Selective tuning selects nothing: tick biases, norms, embeddings or the head, or give layers or "
             "patterns"},
            {"selective layers reversed", [](RunConfig& c) { c.method.selective.layers = {{3, 1}}; },
             "method.selective.layers",
             "Selective layers: expected ranges first-last with 0 ≤ first ≤ last, found 3-1"},
            {"selective pattern invalid", [](RunConfig& c) { c.method.selective.patterns = {"ln_("}; },
             "method.selective.patterns", "Selective pattern \"ln_(\" is not a valid regular expression"},
            {"lora rank 0", [](RunConfig& c) { c.method.lora.rank = 0; }, "method.lora.rank",
             "LoRA rank: expected a positive integer, found 0"},
            {"lora alpha 0", [](RunConfig& c) { c.method.lora.alpha = 0; }, "method.lora.alpha",
             "LoRA alpha: expected a number > 0, found 0"},
            {"lora dropout 1", [](RunConfig& c) { c.method.lora.dropout = 1; }, "method.lora.dropout",
             "LoRA dropout: expected a value in [0, 1), found 1"},
            {"lora dropout negative", [](RunConfig& c) { c.method.lora.dropout = -0.1; }, "method.lora.dropout",
             "LoRA dropout: expected a value in [0, 1), found -0.1"},
            {"adapter size 0", [](RunConfig& c) { c.method.adapter.size = 0; }, "method.adapter.size",
             "Adapter size: expected a positive integer, found 0"},
            {"adapter activation unknown", [](RunConfig& c) { c.method.adapter.activation = "swish"; },
             "method.adapter.activation", "Adapter activation: expected relu, gelu, silu or tanh, found \"swish\""},
            {"prompt tokens 0", [](RunConfig& c) { c.method.prompt.numVirtualTokens = 0; },
             "method.prompt_tuning.num_virtual_tokens", "Virtual tokens: expected a positive integer, found 0"},
            {"prompt init unknown", [](RunConfig& c) { c.method.prompt.init = "zeros"; }, "method.prompt_tuning.init",
             "Prompt initialisation: expected random, vocab or text, found \"zeros\""},
            {"prompt text missing", [](RunConfig& c) { c.method.prompt.init = "text"; }, "method.prompt_tuning.text",
             "Prompt text: initialisation \"text\" needs a non-empty text"},

            {"optimizer unknown", [](RunConfig& c) { c.training.optimizer = "adam"; }, "training.optimizer",
             "Optimiser: expected adamw or sgd, found \"adam\""},
            {"learning rate 0", [](RunConfig& c) { c.training.learningRate = 0; }, "training.learning_rate",
             "Learning rate: expected a number > 0, found 0"},
            {"learning rate negative", [](RunConfig& c) { c.training.learningRate = -1e-4; }, "training.learning_rate",
             "Learning rate: expected a number > 0, found -1e-04"}, // shortest form, as the panel's field shows it
            {"weight decay negative", [](RunConfig& c) { c.training.weightDecay = -0.01; }, "training.weight_decay",
             "Weight decay: expected a number ≥ 0, found -0.01"},
            {"beta1 1", [](RunConfig& c) { c.training.beta1 = 1; }, "training.beta1",
             "AdamW beta1: expected a value in [0, 1), found 1"},
            {"beta2 1.5", [](RunConfig& c) { c.training.beta2 = 1.5; }, "training.beta2",
             "AdamW beta2: expected a value in [0, 1), found 1.5"},
            {"eps 0", [](RunConfig& c) { c.training.eps = 0; }, "training.eps",
             "AdamW epsilon: expected a number > 0, found 0"},
            {"momentum 1", [](RunConfig& c) { c.training.momentum = 1; }, "training.momentum",
             "Momentum: expected a value in [0, 1), found 1"},
            {"schedule unknown", [](RunConfig& c) { c.training.schedule = "step"; }, "training.schedule",
             "Schedule: expected constant, linear or cosine, found \"step\""},
            {"min lr ratio 1.5", [](RunConfig& c) { c.training.minLrRatio = 1.5; }, "training.min_lr_ratio",
             "Final LR ratio: expected a value in [0, 1], found 1.5"},
            {"max steps 0", [](RunConfig& c) { c.training.maxSteps = 0; }, "training.max_steps",
             "Steps: expected a positive integer, found 0"},
            {"batch size 0", [](RunConfig& c) { c.training.batchSize = 0; }, "training.batch_size",
             "Batch size: expected a positive integer, found 0"},
            {"accumulation 0", [](RunConfig& c) { c.training.gradAccumulation = 0; }, "training.grad_accumulation",
             "Gradient accumulation: expected a positive integer, found 0"},
            {"warm-up longer than the run", [](RunConfig& c) { c.training.warmupSteps = 101; },
             "training.warmup_steps", "Warm-up: expected 0 to 100 steps (the length of the run), found 101"},
            {"warm-up negative", [](RunConfig& c) { c.training.warmupSteps = -1; }, "training.warmup_steps",
             "Warm-up: expected 0 to 100 steps (the length of the run), found -1"},
            {"clip norm negative", [](RunConfig& c) { c.training.clipNorm = -1; }, "training.clip_norm",
             "Gradient clipping: expected a number ≥ 0 (0 = off), found -1"},
            {"eval every negative", [](RunConfig& c) { c.training.evalEvery = -5; }, "training.eval_every",
             "Validate every: expected 0 (only at the end) or a positive integer, found -5"},
            {"eval batches negative", [](RunConfig& c) { c.training.evalBatches = -1; }, "training.eval_batches",
             "Validation batches: expected 0 (the whole validation set) or a positive integer, found -1"},
            {"patience negative", [](RunConfig& c) { c.training.earlyStoppingPatience = -1; },
             "training.early_stopping_patience", "Early stopping: expected 0 (off) or a positive integer, found -1"},
            {"checkpoint every negative", [](RunConfig& c) { c.training.checkpointEvery = -1; },
             "training.checkpoint_every",
             "Checkpoint every: expected 0 (only at the end) or a positive integer, found -1"},
            {"device unknown", [](RunConfig& c) { c.training.device = "gpu"; }, "training.device",
             "Device: expected cpu, cuda or cuda:N, found \"gpu\""},
            {"device index missing", [](RunConfig& c) { c.training.device = "cuda:"; }, "training.device",
             "Device: expected cpu, cuda or cuda:N, found \"cuda:\""},
            {"precision unknown", [](RunConfig& c) { c.training.precision = "f16"; }, "training.precision",
             "Precision: expected auto, f32 or bf16, found \"f16\""},
            {"checkpointing unknown", [](RunConfig& c) { c.training.gradientCheckpointing = "yes"; },
             "training.gradient_checkpointing", "Gradient checkpointing: expected auto, true or false, found \"yes\""},
            {"processes 0", [](RunConfig& c) { c.training.processes = 0; }, "training.processes",
             "Processes: expected a positive integer, found 0"},
            {"threads negative", [](RunConfig& c) { c.training.threads = -2; }, "training.threads",
             "Threads: expected 0 (the engine's default) or a positive integer, found -2"},
            {"sample every negative", [](RunConfig& c) { c.training.sampleEvery = -1; }, "training.sample_every",
             "Sample every: expected 0 (off) or a positive integer, found -1"},
            {"sample length 0", [](RunConfig& c) { c.training.sampleMaxNewTokens = 0; },
             "training.sample_max_new_tokens", "Sample length: expected a positive integer, found 0"},
        };
        return r;
    }
};

QTEST_GUILESS_MAIN(TestValidate)
#include "tst_validate.moc"
