// The torch-free estimate (train/estimate.h, peft/targets.h) against the real thing: every
// method is applied to a loaded model with PeftModel and its own parameter
// count (summing numel over the live modules) must equal the estimate read
// from config.json alone. Plus counts and memory figures worked out by hand.
#include "common/error.h"
#include "common/tiny_model.h"
#include "model/causal_lm.h"
#include "model/language_model.h"
#include "train/estimate.h"
#include "peft/peft_model.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace tb;

namespace {

const std::string kModels = std::string(TB_FIXTURES_DIR) + "/models/";

struct Case {
    std::string label;
    peft::MethodConfig config;
};

peft::MethodConfig method(peft::Method m)
{
    peft::MethodConfig c;
    c.method = m;
    return c;
}

std::vector<Case> allMethods(bool untiedHead)
{
    std::vector<Case> out;
    out.push_back({"full", method(peft::Method::Full)});
    auto sel = [&](const std::string& label, auto set) {
        auto c = method(peft::Method::Selective);
        set(c.selective);
        out.push_back({"selective " + label, c});
    };
    sel("biases", [](peft::SelectiveConfig& s) { s.biases = true; });
    sel("norms", [](peft::SelectiveConfig& s) { s.norms = true; });
    sel("embeddings", [](peft::SelectiveConfig& s) { s.embeddings = true; });
    sel("head", [](peft::SelectiveConfig& s) { s.head = true; });
    sel("layer 1", [](peft::SelectiveConfig& s) { s.layers = {{1, 1}}; });
    sel("pattern", [](peft::SelectiveConfig& s) { s.patterns = {"mlp\\.", "^lm_head"}; });
    sel("mixed", [](peft::SelectiveConfig& s) {
        s.biases = true;
        s.norms = true;
        s.head = true;
        s.layers = {{0, 0}};
    });
    auto lora = [&](const std::string& label, int64_t r, std::vector<std::string> targets) {
        auto c = method(peft::Method::Lora);
        c.lora.rank = r;
        c.lora.targets = std::move(targets);
        out.push_back({"lora " + label, c});
    };
    lora("default r4", 4, {});
    lora("default r7", 7, {});
    lora("attention+mlp", 2, {"c_attn", "c_proj", "c_fc", "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj",
                              "up_proj", "down_proj"});
    lora("dotted suffix", 3, {"mlp.c_proj", "mlp.down_proj"});
    if (untiedHead)
        lora("head", 2, {"lm_head"});
    auto ad = method(peft::Method::Adapter);
    ad.adapter.size = 8;
    out.push_back({"adapter 8", ad});
    auto pt = method(peft::Method::PromptTuning);
    pt.prompt.numVirtualTokens = 5;
    out.push_back({"prompt tuning 5", pt});
    return out;
}

// The estimate must equal PeftModel's count on a freshly loaded model for every method.
void checkAgainstPeft(const std::string& path)
{
    const auto config = model::readModelConfig(path);
    for (const auto& c : allMethods(!config.tieEmbeddings)) {
        auto lm = model::LanguageModel::load(path);
        const std::string what = path + ": " + c.label;
        std::optional<train::Estimate> maybe;
        try {
            maybe = train::estimate(config, c.config);
        } catch (const Error&) {
            // Nothing to train (BitFit on a model without biases): PeftModel must refuse too.
            QVERIFY2(c.label == "selective biases" && !config.qkvBias && config.family == model::Family::Llama,
                     what.c_str());
            QVERIFY_THROWS_EXCEPTION(Error, peft::PeftModel(lm->module(), c.config));
            continue;
        }
        const auto est = *maybe;
        peft::PeftModel peft(lm->module(), c.config);
        const auto real = peft.summary();
        QVERIFY2(est.trainable == real.trainable,
                 (what + ": trainable " + std::to_string(est.trainable) + " vs " + std::to_string(real.trainable)).c_str());
        QVERIFY2(est.total == real.total,
                 (what + ": total " + std::to_string(est.total) + " vs " + std::to_string(real.total)).c_str());
        QVERIFY(est.trainable > 0);
    }
}

// The listed names and shapes equal the live module's, in the same order.
void checkParameterList(const std::string& path)
{
    const auto config = model::readModelConfig(path);
    const auto listed = peft::parameterList(config);
    auto lm = model::LanguageModel::load(path);
    const auto real = lm->module()->named_parameters();
    QCOMPARE(listed.size(), real.size());
    for (size_t i = 0; i < listed.size(); ++i) {
        QCOMPARE(QString::fromStdString(listed[i].name), QString::fromStdString(real[i].key()));
        QCOMPARE(listed[i].shape, real[i].value().sizes().vec());
    }
    const auto projections = peft::projectionList(config);
    const auto realProjections = lm->module()->projections();
    QCOMPARE(projections.size(), realProjections.size());
    for (size_t i = 0; i < projections.size(); ++i) {
        QCOMPARE(QString::fromStdString(projections[i].path), QString::fromStdString(realProjections[i].first));
        QCOMPARE(projections[i].in, realProjections[i].second->inFeatures());
        QCOMPARE(projections[i].out, realProjections[i].second->outFeatures());
    }
    QCOMPARE(config.parameterCount(), lm->info().parameters);
}

} // namespace

class TestEstimate : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    std::string m_tinyLlama;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_tinyLlama = tbtest::makeTinyModel((m_dir.path() + "/tiny").toStdString());
    }

    void parameterNamesAndShapesEqualTheModule_data()
    {
        QTest::addColumn<QString>("path");
        QTest::newRow("tiny llama") << QString::fromStdString(m_tinyLlama);
        for (const char* m : {"gpt2_plain", "gpt2_prefixed", "llama_gqa", "llama_tied", "qwen2_tiny"})
            QTest::newRow(m) << QString::fromStdString(kModels + m);
    }
    void parameterNamesAndShapesEqualTheModule()
    {
        QFETCH(QString, path);
        checkParameterList(path.toStdString());
    }

    void everyMethodMatchesPeftModel_data() { parameterNamesAndShapesEqualTheModule_data(); }
    void everyMethodMatchesPeftModel()
    {
        QFETCH(QString, path);
        checkAgainstPeft(path.toStdString());
    }

    void loraCountByHand()
    {
        // gpt2_plain: vocab 100, n_embd d = 32, 2 layers, n_positions 64, n_inner 4d = 128, tied head.
        // Base: wte 100·32 = 3200, wpe 64·32 = 2048, ln_f 2·32 = 64; per layer
        // ln_1 + ln_2 4·32 = 128, c_attn 32·96 + 96 = 3168, attn.c_proj 32·32 + 32 = 1056,
        // c_fc 32·128 + 128 = 4224, mlp.c_proj 128·32 + 32 = 4128 → 12704; two layers 25408.
        // Total 3200 + 2048 + 64 + 25408 = 30720.
        // LoRA r = 4 on the fused c_attn (in 32, out 96): A 4·32 = 128, B 96·4 = 384 → 512
        // per layer, 1024 for both layers. Total with LoRA 31744.
        const auto config = model::readModelConfig(kModels + "gpt2_plain");
        auto c = method(peft::Method::Lora);
        c.lora.rank = 4;
        auto e = train::estimate(config, c);
        QCOMPARE(e.trainable, int64_t(1024));
        QCOMPARE(e.total, int64_t(31744));
        QCOMPARE(e.share(), 1024.0 / 31744.0);

        // Tiny llama: d = 32, 4 heads × 8 = q out 32, 2 KV heads × 8 = v out 16, 2 layers.
        // r = 4 on q_proj and v_proj: q 4·32 + 32·4 = 256, v 4·32 + 16·4 = 192 → 448 per layer, 896.
        const auto tiny = model::readModelConfig(m_tinyLlama);
        QCOMPARE(train::estimate(tiny, c).trainable, int64_t(896));
    }

    void memoryByHand()
    {
        // gpt2_plain with LoRA r = 4 (1024 trainable of 31744, see above), AdamW,
        // batch 2, 16 tokens, float32.
        const auto config = model::readModelConfig(kModels + "gpt2_plain");
        auto c = method(peft::Method::Lora);
        c.lora.rank = 4;
        train::TrainConfig t;
        t.batchSize = 2;
        auto e = train::estimate(config, c, t, 16);
        QCOMPARE(e.memory.weights, int64_t(31744 * 4));
        QCOMPARE(e.memory.gradients, int64_t(1024 * 4));
        QCOMPARE(e.memory.optimizer, int64_t(1024 * 2 * 4)); // two AdamW moments
        // Activations: per layer s·b·h·(34 + 5·a·s/h)·2 = 16·2·32·(34 + 5·2·16/32)·2 = 1024·39·2 = 79872;
        // two layers 159744; logits and their gradient 2·2·16·100·4 = 25600 → 185344.
        QCOMPARE(e.memory.activations, int64_t(185344));
        QCOMPARE(e.memory.total(), e.memory.weights + e.memory.gradients + e.memory.optimizer + e.memory.activations);

        // bf16 autocast halves the per-layer part only: 79872 + 25600 = 105472.
        t.precision = "bf16";
        QCOMPARE(train::estimate(config, c, t, 16).memory.activations, int64_t(105472));
        // Plain SGD keeps no optimiser state.
        t.optimizer = "sgd";
        QCOMPARE(train::estimate(config, c, t, 16).memory.optimizer, int64_t(0));
    }

    void storedDtypeComesFromTheWeights()
    {
        // gpt2_plain's weights are F16 (config.json says float16 too); llama_gqa BF16 sharded.
        QCOMPARE(QString::fromStdString(model::readModelConfig(kModels + "gpt2_plain").storageDType), QString("f16"));
        QCOMPARE(QString::fromStdString(model::readModelConfig(kModels + "llama_gqa").storageDType), QString("bf16"));
        QCOMPARE(QString::fromStdString(model::readModelConfig(m_tinyLlama).storageDType), QString("f32"));
    }

    void choicesThatSelectNothingFailLikePeftModel()
    {
        const auto config = model::readModelConfig(kModels + "gpt2_plain");
        auto lora = method(peft::Method::Lora);
        lora.lora.targets = {"q_proj"}; // a Llama name on GPT-2
        QVERIFY_THROWS_EXCEPTION(Error, train::estimate(config, lora));
        auto lm = model::LanguageModel::load(kModels + "gpt2_plain");
        QVERIFY_THROWS_EXCEPTION(Error, peft::PeftModel(lm->module(), lora));

        auto sel = method(peft::Method::Selective); // nothing ticked
        QVERIFY_THROWS_EXCEPTION(Error, train::estimate(config, sel));
        sel.selective.patterns = {"("};
        QVERIFY_THROWS_EXCEPTION(Error, train::estimate(config, sel));
        QVERIFY_THROWS_EXCEPTION(Error, model::readModelConfig(kModels + "no_such_model"));
    }
};

QTEST_GUILESS_MAIN(TestEstimate)
#include "tst_estimate.moc"
