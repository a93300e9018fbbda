// The torch-free estimate (train/estimate.h, peft/targets.h) against the real thing: every
// method is applied to a loaded model with PeftModel and its own parameter
// count (summing numel over the live modules) must equal the estimate read
// from config.json alone. Plus counts and memory figures worked out by hand.
#include "common/error.h"
#include "common/tiny_model.h"
#include "model/causal_lm.h"
#include "model/language_model.h"
#include "train/chunked_loss.h"
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

    // Every term of the memory estimate worked out by hand (estimate.cpp says
    // where each per-token figure comes from).
    void memoryByHandF32()
    {
        // gpt2_plain: d = h = 32, 2 heads, 2 layers, n_inner I = 128, vocab 100; LoRA r = 4
        // (1024 trainable of 31744, see above), AdamW, batch 2 × 16 tokens, float32.
        const auto config = model::readModelConfig(kModels + "gpt2_plain");
        auto c = method(peft::Method::Lora);
        c.lora.rank = 4;
        train::TrainConfig t;
        t.batchSize = 2;
        t.precision = "f32";
        t.gradientCheckpointing = "false";
        const auto e = train::estimate(config, c, t, 16);
        QCOMPARE(QString::fromStdString(e.precision), QString("f32"));
        QVERIFY(!e.checkpointing);
        // Frozen 30720 and trainable 1024 parameters, all float32.
        QCOMPARE(e.memory.weights, int64_t(30720 * 4 + 1024 * 4));
        QCOMPARE(e.memory.gradients, int64_t(1024 * 4));
        QCOMPARE(e.memory.optimizer, int64_t(1024 * 2 * 4)); // two AdamW moments
        // One GPT-2 block per token: norm inputs 2·32·4 = 256; a·(5h + I) = 4·(160 + 128) = 1152;
        // softmax output heads·s·4 = 2·16·4 = 128 → 1536 bytes; 32 tokens → 49152 per block;
        // two blocks plus one for the backward pass: 3 · 49152 = 147456.
        QCOMPARE(e.memory.activations, int64_t(147456));
        // Loss: hidden states, their shifted copy and gradient 3·(32 tokens·32·4) = 12288; one chunk of
        // min(4096, 2·15 = 30) rows × 100 × (4 + 4) = 24000 → 36288.
        QCOMPARE(e.memory.loss, int64_t(36288));
        // Allocator slack: half the activations, 73728.
        QCOMPARE(e.memory.allocator, int64_t(73728));
        QCOMPARE(e.memory.runtime, int64_t(160) * 1024 * 1024); // VmHWM of `tb_bench_train --baseline`: 156 MB
        QCOMPARE(e.memory.total(), int64_t(160) * 1024 * 1024 + 126976 + 4096 + 8192 + 147456 + 36288 + 73728);
        QCOMPARE(e.memory.beyondWeights(), int64_t(4096 + 8192 + 147456 + 36288 + 73728));

        // Gradient checkpointing keeps each block's input (32 tokens · 32 · 4 = 4096 bytes, two blocks)
        // and two blocks' worth: 8192 + 2 · 49152 = 106496.
        t.gradientCheckpointing = "true";
        const auto ck = train::estimate(config, c, t, 16);
        QVERIFY(ck.checkpointing);
        QCOMPARE(ck.memory.activations, int64_t(106496));
        QCOMPARE(ck.memory.allocator, int64_t(53248));
        // "auto" is estimated without it (the trainer compares that against free memory).
        t.gradientCheckpointing = "auto";
        QCOMPARE(train::estimate(config, c, t, 16).memory.activations, int64_t(147456));

        // Plain SGD keeps no optimiser state, with momentum one buffer.
        t.optimizer = "sgd";
        t.momentum = 0.0;
        QCOMPARE(train::estimate(config, c, t, 16).memory.optimizer, int64_t(0));
        t.momentum = 0.9;
        QCOMPARE(train::estimate(config, c, t, 16).memory.optimizer, int64_t(1024 * 4));
    }

    void memoryByHandBf16()
    {
        // As above in bf16 mixed precision.
        const auto config = model::readModelConfig(kModels + "gpt2_plain");
        auto c = method(peft::Method::Lora);
        c.lora.rank = 4;
        train::TrainConfig t;
        t.batchSize = 2;
        t.precision = "bf16";
        const auto e = train::estimate(config, c, t, 16);
        QCOMPARE(QString::fromStdString(e.precision), QString("bf16"));
        // Frozen base bf16 (30720·2), trainable f32 master weights (1024·4) and autocast's bf16 copy (1024·2).
        QCOMPARE(e.memory.weights, int64_t(61440 + 4096 + 2048));
        QCOMPARE(e.memory.gradients, int64_t(1024 * 4));
        QCOMPARE(e.memory.optimizer, int64_t(1024 * 2 * 4));
        // Block per token: 256 (f32 norm inputs) + 2·288 = 576 + the bf16 probabilities heads·s·2 = 64 → 896;
        // × 32 tokens = 28672; × 3 = 86016.
        QCOMPARE(e.memory.activations, int64_t(86016));
        // Loss: 3·(32·32·2) = 6144; chunk 30 rows × 100 × (2 + 4 + 4 + 2) = 36000 → 42144.
        QCOMPARE(e.memory.loss, int64_t(42144));
    }

    void fullFineTuningOfALlamaShape()
    {
        // qwen2_tiny: vocab 104, h 32, I 48, 2 layers, 4 heads × 8, 1 KV head (kv = 8), q/k/v biases, tied.
        // Parameters: embedding 104·32 = 3328; per layer norms 64, q 32·32 + 32 = 1056, k and v 8·32 + 8
        // = 264 each, o 1024, MLP 3·48·32 = 4608 → 7280; two layers 14560; final norm 32 → 17920.
        const auto config = model::readModelConfig(kModels + "qwen2_tiny");
        train::TrainConfig t;
        t.batchSize = 1;
        t.precision = "f32";
        const auto e = train::estimate(config, method(peft::Method::Full), t, 8);
        QCOMPARE(e.total, int64_t(17920));
        QCOMPARE(e.trainable, int64_t(17920));
        QCOMPARE(e.memory.weights, int64_t(17920 * 4));
        QCOMPARE(e.memory.gradients, int64_t(17920 * 4));
        QCOMPARE(e.memory.optimizer, int64_t(17920 * 8));
        // Llama block per token: norm inputs 2·32·4 = 256; 4·(4h + 2kv + 2I) = 4·(128 + 16 + 96) = 960;
        // full fine-tuning adds 4·(h + I) = 320; softmax 4·8·4 = 128 → 1664; 8 tokens → 13312; × 3 = 39936.
        QCOMPARE(e.memory.activations, int64_t(39936));
        // Loss: 3·(8·32·4) = 3072; chunk 7 rows × 104 × 8 = 5824; the trained (tied) head's own f32
        // gradient 104·32·4 = 13312 → 22208.
        QCOMPARE(e.memory.loss, int64_t(22208));

        // bf16 for full fine-tuning: every weight stays f32 (all train) plus autocast's bf16 copies.
        t.precision = "bf16";
        QCOMPARE(train::estimate(config, method(peft::Method::Full), t, 8).memory.weights,
                 int64_t(17920 * 4 + 17920 * 2));
    }

    void selectiveKeepsFrozenProjectionsInBf16()
    {
        // gpt2_plain, selective "biases" (BitFit: every bias, LayerNorm's too): per layer ln_1 32, c_attn 96,
        // attn.c_proj 32, ln_2 32, c_fc 128, mlp.c_proj 32 = 352; two layers 704 + ln_f 32 = 736 trainable.
        // bf16: the frozen projection matrices (per layer 32·96 + 32·32 + 32·128 + 128·32 = 12288, two layers
        // 24576) stay bf16 = 49152 bytes; the other 30720 − 24576 = 6144 parameters are f32 = 24576 bytes;
        // plus autocast's bf16 copies of the 736 trained ones = 1472 → 75200.
        const auto config = model::readModelConfig(kModels + "gpt2_plain");
        auto c = method(peft::Method::Selective);
        c.selective.biases = true;
        train::TrainConfig t;
        t.precision = "bf16";
        const auto e = train::estimate(config, c, t, 16);
        QCOMPARE(e.trainable, int64_t(736));
        QCOMPARE(e.memory.weights, int64_t(49152 + 24576 + 1472));
        t.precision = "f32";
        QCOMPARE(train::estimate(config, c, t, 16).memory.weights, int64_t(30720 * 4));
    }

    void autoPrecisionFollowsTheProcessor()
    {
        const auto config = model::readModelConfig(kModels + "gpt2_plain");
        train::TrainConfig t; // precision "auto"
        const QByteArray saved = qgetenv("TUNEBENCH_CPU_BF16");
        qputenv("TUNEBENCH_CPU_BF16", "none");
        const auto f32 = train::estimate(config, method(peft::Method::Lora), t, 16);
        qputenv("TUNEBENCH_CPU_BF16", "amx");
        const auto bf16 = train::estimate(config, method(peft::Method::Lora), t, 16);
        if (saved.isNull())
            qunsetenv("TUNEBENCH_CPU_BF16");
        else
            qputenv("TUNEBENCH_CPU_BF16", saved);
        QCOMPARE(QString::fromStdString(f32.precision), QString("f32"));
        QCOMPARE(QString::fromStdString(bf16.precision), QString("bf16"));
        // The frozen base (30720 parameters with LoRA's default r = 8 on c_attn: 2 layers × 8·(32 + 96) = 2048
        // trainable, 30720 frozen) is half the size in bf16.
        QCOMPARE(f32.memory.weights - bf16.memory.weights, int64_t(30720 * 2 - 2048 * 2));
    }

    void lossChunkMatchesTheChunkedLoss()
    {
        // 64 MiB of f32 logits per chunk: 67108864 / (4 · 151936) = 110.4 → 110 rows (Qwen2.5's vocabulary);
        // a small vocabulary is capped at 4096 rows, a huge one floored at 16.
        QCOMPARE(train::lossChunkRows(151936), int64_t(110));
        QCOMPARE(train::lossChunkRows(100), int64_t(4096));
        QCOMPARE(train::lossChunkRows(10000000), int64_t(16));
        for (int64_t v : {100, 50257, 128256, 151936, 10000000})
            QCOMPARE(train::lossChunkRows(v), train::chunkedLossRows(v));
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
