// Gradient checkpointing per block (model/checkpointing.h): the loss and
// every trainable gradient equal those of the same model without it (GPT-2,
// Llama, Qwen2; full, LoRA, prompt tuning; dropout on, thanks to the replayed
// random numbers; under bf16 autocast), the activations kept between forward
// and backward shrink on a deeper model, and the trainer's
// training.gradient_checkpointing decision (true / false / auto) is applied
// and logged.
#include "common/heap.h"
#include "common/run_control.h"
#include "model/causal_lm.h"
#include "model/language_model.h"
#include "peft/peft_model.h"
#include "train/trainer.h"

// Qt's moc follows includes, and LibTorch's take it ~9 s a file for nothing it needs.
#ifndef Q_MOC_RUN
#include <ATen/autocast_mode.h>
#endif

#include <QtTest>


#include <cstdlib>

using namespace tb;

namespace {

const std::string kModels = std::string(TB_FIXTURES_DIR) + "/models/";

double maxDiff(const torch::Tensor& a, const torch::Tensor& b)
{
    return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}

struct Result {
    double loss = 0;
    std::vector<std::pair<std::string, torch::Tensor>> grads;
};

// One forward + backward of a fresh copy of `model` with `method`.
Result step(const std::string& model, peft::Method method, double dropout, bool checkpointing, bool bf16)
{
    auto base = model::LanguageModel::load(kModels + model)->module();
    peft::MethodConfig mc;
    mc.method = method;
    mc.lora.dropout = dropout;
    mc.prompt.numVirtualTokens = 3;
    mc.prompt.init = "random";
    peft::PeftModel m(base, mc, nullptr, /*seed=*/3);
    base->setGradientCheckpointing(checkpointing);
    base->train();
    torch::manual_seed(21); // same ids and same dropout masks on both sides
    auto ids = torch::randint(3, 60, {2, 10}, torch::kLong);
    auto labels = ids.clone();
    labels.index_put_({0, 0}, train::kIgnoreIndex);
    if (bf16) {
        at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
        at::autocast::set_cpu_enabled(true);
    }
    auto loss = train::causalLmLoss(m.forward(ids), labels).first;
    if (bf16) {
        at::autocast::set_cpu_enabled(false);
        at::autocast::clear_cache();
    }
    loss.backward();
    Result r;
    r.loss = loss.item<double>();
    for (auto& [name, p] : m.trainableParameters()) {
        if (!p.grad().defined())
            throw std::runtime_error(name + " got no gradient");
        r.grads.emplace_back(name, p.grad().clone());
    }
    return r;
}


model::ModelConfig deepLlama()
{
    model::ModelConfig c;
    c.family = model::Family::Llama;
    c.modelType = "llama";
    c.vocabSize = 64;
    c.hiddenSize = 64;
    c.numLayers = 12;
    c.numHeads = 4;
    c.numKvHeads = 4;
    c.headDim = 16;
    c.intermediateSize = 256;
    c.maxPositions = 256;
    c.normEps = 1e-5;
    c.activation = "silu";
    return c;
}

struct Log : train::TrainObserver {
    std::vector<std::string> lines;
    void onLog(const std::string& line) override { lines.push_back(line); }
    bool has(const std::string& part) const
    {
        for (const auto& l : lines)
            if (l.find(part) != std::string::npos)
                return true;
        return false;
    }
};

std::vector<train::Sequence> corpus()
{
    std::vector<train::Sequence> out;
    for (int i = 0; i < 4; ++i) {
        train::Sequence s;
        for (int t = 0; t < 8; ++t)
            s.ids.push_back(5 + (i + t) % 40);
        s.labels = s.ids;
        out.push_back(s);
    }
    return out;
}

} // namespace

class TestCheckpointing : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }

    void gradientsEqualWithout_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<int>("method");
        QTest::addColumn<double>("dropout");
        QTest::addColumn<bool>("bf16");
        const auto lora = static_cast<int>(peft::Method::Lora);
        QTest::newRow("gpt2 full") << "gpt2_plain" << static_cast<int>(peft::Method::Full) << 0.0 << false;
        QTest::newRow("gpt2 lora") << "gpt2_plain" << lora << 0.0 << false;
        QTest::newRow("gpt2 lora dropout") << "gpt2_plain" << lora << 0.3 << false;
        QTest::newRow("llama full") << "llama_gqa" << static_cast<int>(peft::Method::Full) << 0.0 << false;
        QTest::newRow("llama lora dropout") << "llama_gqa" << lora << 0.3 << false;
        QTest::newRow("llama prompt tuning") << "llama_gqa" << static_cast<int>(peft::Method::PromptTuning) << 0.0 << false;
        QTest::newRow("qwen2 adapter") << "qwen2_tiny" << static_cast<int>(peft::Method::Adapter) << 0.0 << false;
        QTest::newRow("llama lora dropout bf16") << "llama_gqa" << lora << 0.3 << true;
    }
    void gradientsEqualWithout()
    {
        QFETCH(QString, model);
        QFETCH(int, method);
        QFETCH(double, dropout);
        QFETCH(bool, bf16);
        const auto m = static_cast<peft::Method>(method);
        const auto plain = step(model.toStdString(), m, dropout, false, bf16);
        const auto recomputed = step(model.toStdString(), m, dropout, true, bf16);
        // bf16: the same operations on the same values, so equal as well, up to bf16 rounding of sums.
        const double tolerance = bf16 ? 1e-3 : 1e-6;
        QVERIFY(std::abs(plain.loss - recomputed.loss) < tolerance);
        QCOMPARE(plain.grads.size(), recomputed.grads.size());
        for (size_t i = 0; i < plain.grads.size(); ++i) {
            const double d = maxDiff(plain.grads[i].second, recomputed.grads[i].second);
            QVERIFY2(d < tolerance, qPrintable(QString::fromStdString(plain.grads[i].first) + ": " + QString::number(d)));
        }
        // Dropout changed the gradients (LoRA B's: B starts at zero, so not the
        // loss), so the replayed masks mattered.
        if (dropout > 0) {
            const auto noDropout = step(model.toStdString(), m, 0.0, true, bf16);
            double largest = 0;
            for (size_t i = 0; i < plain.grads.size(); ++i)
                largest = std::max(largest, maxDiff(plain.grads[i].second, noDropout.grads[i].second));
            QVERIFY(largest > 10 * tolerance);
        }
    }

    // Held between forward and backward: every block's activations without
    // checkpointing, one tensor per block with it.
    void keepsFewerActivations()
    {
        auto heldAfterForward = [](bool checkpointing) {
            torch::manual_seed(1);
            auto base = model::buildModel(deepLlama());
            peft::MethodConfig mc;
            mc.method = peft::Method::Lora;
            peft::PeftModel m(base, mc);
            base->setGradientCheckpointing(checkpointing);
            base->train();
            auto ids = torch::randint(0, 64, {4, 256}, torch::kLong);
            const int64_t before = test::heapInUse();
            auto loss = train::causalLmLoss(m.forward(ids), ids).first;
            const int64_t held = test::heapInUse() - before;
            loss.backward();
            // LoRA's B starts at zero, so only B's gradients are non-zero at step 0.
            double gradSum = 0;
            for (auto& [name, p] : m.trainableParameters())
                gradSum += p.grad().abs().sum().item<double>();
            if (!(gradSum > 0))
                throw std::runtime_error("no gradient reached the LoRA factors");
            return held;
        };
        const int64_t without = heldAfterForward(false);
        const int64_t with = heldAfterForward(true);
        qInfo("held after forward: %.1f MB without checkpointing, %.1f MB with", double(without) / 1e6,
              double(with) / 1e6);
        // 12 blocks of [4, 256, 64] inputs are 3 MB; without, each block also keeps
        // its attention scores [4, 4, 256, 256] (4 MB) and more.
        QVERIFY(without > 40'000'000);
        QVERIFY(with < without / 4);
    }

    void trainerAppliesTheSetting_data()
    {
        QTest::addColumn<QString>("setting");
        QTest::addColumn<QString>("memory"); // TUNEBENCH_FAULT_MEMORY_AVAILABLE, empty: the machine's
        QTest::addColumn<bool>("on");
        QTest::newRow("true") << "true" << "" << true;
        QTest::newRow("false") << "false" << "" << false;
        QTest::newRow("auto, plenty of memory") << "auto" << "1e15" << false;
        QTest::newRow("auto, memory short") << "auto" << "1" << true;
    }
    void trainerAppliesTheSetting()
    {
        QFETCH(QString, setting);
        QFETCH(QString, memory);
        QFETCH(bool, on);
        if (memory.isEmpty())
            unsetenv("TUNEBENCH_FAULT_MEMORY_AVAILABLE");
        else
            setenv("TUNEBENCH_FAULT_MEMORY_AVAILABLE", memory.toUtf8().constData(), 1);
        auto base = model::LanguageModel::load(kModels + "llama_gqa")->module();
        peft::MethodConfig mc;
        mc.method = peft::Method::Lora;
        peft::PeftModel m(base, mc);
        train::TrainConfig c;
        c.maxSteps = 1;
        c.batchSize = 2;
        c.gradientCheckpointing = setting.toStdString();
        train::Trainer trainer(m, c, corpus(), {}, "");
        Log log;
        RunControl control;
        const auto result = trainer.run(log, control);
        unsetenv("TUNEBENCH_FAULT_MEMORY_AVAILABLE");
        QCOMPARE(base->gradientCheckpointing(), on);
        QVERIFY2(log.has(on ? "gradient checkpointing on" : "gradient checkpointing off"),
                 qPrintable(QString::fromStdString(log.lines.empty() ? "" : log.lines.front())));
        if (memory == "1") // the same shortage then refuses the run
            QCOMPARE(result.status, train::TrainStatus::Failed);
        else
            QCOMPARE(result.status, train::TrainStatus::Completed);
    }
};

QTEST_MAIN(TestCheckpointing)
#include "tst_checkpointing.moc"
