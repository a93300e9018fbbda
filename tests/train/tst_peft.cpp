// Fine-tuning methods on small real models: LoRA, bottleneck adapters,
// prompt tuning, selective tuning. Expected values come from the LoRA/PEFT
// definitions computed by hand here, or from the base model itself (step 0
// must equal it exactly).
#include "common/error.h"
#include "io/atomic_file.h"
#include "io/safetensors.h"
#include "model/causal_lm.h"
#include "model/language_model.h"
#include "peft/peft_model.h"

#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QtTest>

using namespace tb;
using nlohmann::json;

namespace {

const std::string kModels = std::string(TB_FIXTURES_DIR) + "/models/";

std::shared_ptr<model::CausalLMImpl> loadBase(const std::string& name)
{
    return model::LanguageModel::load(kModels + name)->module();
}

torch::Tensor logitsOf(peft::PeftModel& m, const torch::Tensor& ids)
{
    torch::NoGradGuard g;
    m.base()->eval();
    return m.forward(ids);
}

torch::Tensor logitsOf(model::CausalLMImpl& m, const torch::Tensor& ids)
{
    torch::NoGradGuard g;
    m.eval();
    model::ForwardInput in;
    in.ids = ids;
    return m.forward(in);
}

const torch::Tensor kIds = torch::tensor({{3, 17, 42, 9, 64, 5, 11}}, torch::kLong);

peft::MethodConfig lora(int64_t rank, double alpha, std::vector<std::string> targets = {}, bool rs = false)
{
    peft::MethodConfig c;
    c.method = peft::Method::Lora;
    c.lora.rank = rank;
    c.lora.alpha = alpha;
    c.lora.dropout = 0.0;
    c.lora.targets = std::move(targets);
    c.lora.rsLora = rs;
    return c;
}

void randomiseLoraB(peft::PeftModel& m)
{
    torch::NoGradGuard g;
    for (auto& [path, proj] : m.base()->projections())
        if (proj->hasLora())
            proj->loraB().normal_(0, 0.05);
}

} // namespace

class TestPeft : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }

    void loraStepZeroEqualsBase_data()
    {
        QTest::addColumn<QString>("model");
        QTest::newRow("gpt2 fused c_attn") << "gpt2_prefixed";
        QTest::newRow("llama q/v") << "llama_gqa";
        QTest::newRow("qwen2") << "qwen2_tiny";
    }
    void loraStepZeroEqualsBase()
    {
        QFETCH(QString, model);
        auto reference = logitsOf(*loadBase(model.toStdString()), kIds);
        peft::PeftModel m(loadBase(model.toStdString()), lora(4, 8));
        QVERIFY(torch::equal(logitsOf(m, kIds), reference));
    }

    void mergeIsWPlusScaledBA()
    {
        // A 2x3 Linear ([out, in]) with rank 1: W' = W + (alpha/r) * B * A, by hand.
        model::Projection p(3, 2, false, false);
        p->enableLora({1, 2.0, 0.0, false});
        torch::NoGradGuard g;
        p->weight.copy_(torch::tensor({{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}}));
        p->loraA().copy_(torch::tensor({{1.f, 0.f, -1.f}}));
        p->loraB().copy_(torch::tensor({{2.f}, {3.f}}));
        p->merge();
        // s = 2/1; B*A = [[2,0,-2],[3,0,-3]]; W' = W + 2*B*A
        auto expected = torch::tensor({{5.f, 2.f, -1.f}, {10.f, 5.f, 0.f}});
        QVERIFY(torch::equal(p->weight, expected));
        p->merge(); // idempotent
        QVERIFY(torch::equal(p->weight, expected));
        p->unmerge();
        QVERIFY(torch::equal(p->weight, torch::tensor({{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}})));

        // GPT-2's Conv1D layout stores W as [in, out]: the update is transposed.
        model::Projection c(3, 2, false, true);
        c->enableLora({1, 2.0, 0.0, false});
        c->weight.copy_(torch::tensor({{1.f, 4.f}, {2.f, 5.f}, {3.f, 6.f}}));
        c->loraA().copy_(torch::tensor({{1.f, 0.f, -1.f}}));
        c->loraB().copy_(torch::tensor({{2.f}, {3.f}}));
        c->merge();
        QVERIFY(torch::equal(c->weight, expected.t()));
    }

    void rsLoraScalesByAlphaOverSqrtRank()
    {
        QCOMPARE(model::LoraSettings({16, 32.0, 0.0, true}).scaling(), 8.0);
        QCOMPARE(model::LoraSettings({16, 32.0, 0.0, false}).scaling(), 2.0);
    }

    void mergedEqualsUnmergedLogits()
    {
        peft::PeftModel m(loadBase("llama_gqa"), lora(4, 8, {"q_proj", "k_proj", "v_proj", "o_proj"}));
        randomiseLoraB(m);
        auto unmerged = logitsOf(m, kIds);
        for (auto& [path, proj] : m.base()->projections())
            proj->merge();
        auto merged = logitsOf(m, kIds);
        QVERIFY((merged - unmerged).abs().max().item<double>() < 1e-4);
        QVERIFY((merged - logitsOf(*loadBase("llama_gqa"), kIds)).abs().max().item<double>() > 1e-3);
    }

    void trainableCountsMatchHandComputation()
    {
        // gpt2_prefixed config: read dims, compute r*(in+out) per c_attn by hand.
        const json cfg = json::parse(io::readFile(kModels + "gpt2_prefixed/config.json"));
        const int64_t d = cfg["n_embd"], L = cfg["n_layer"], r = 4;
        peft::PeftModel m(loadBase("gpt2_prefixed"), lora(r, 8));
        QCOMPARE(m.summary().trainable, L * r * (d + 3 * d));

        // BitFit: every bias (ln_1, attn c_attn/c_proj, ln_2, mlp c_fc/c_proj per layer, ln_f).
        peft::MethodConfig bitfit;
        bitfit.method = peft::Method::Selective;
        bitfit.selective.biases = true;
        peft::PeftModel b(loadBase("gpt2_prefixed"), bitfit);
        const int64_t inner = cfg.contains("n_inner") && !cfg["n_inner"].is_null() ? cfg["n_inner"].get<int64_t>() : 4 * d;
        QCOMPARE(b.summary().trainable, L * (d + 3 * d + d + d + inner + d) + d);

        // Prompt tuning: P * C.
        peft::MethodConfig pt;
        pt.method = peft::Method::PromptTuning;
        pt.prompt.numVirtualTokens = 5;
        peft::PeftModel p(loadBase("gpt2_prefixed"), pt);
        QCOMPARE(p.summary().trainable, 5 * d);
        QVERIFY(p.summary().share() < 0.05);
    }

    void adaptersStartAsIdentityAndTrainAlone()
    {
        auto reference = logitsOf(*loadBase("llama_tied"), kIds);
        peft::MethodConfig c;
        c.method = peft::Method::Adapter;
        c.adapter.size = 8;
        peft::PeftModel m(loadBase("llama_tied"), c);
        QVERIFY(torch::equal(logitsOf(m, kIds), reference));
        const json cfg = json::parse(io::readFile(kModels + "llama_tied/config.json"));
        const int64_t d = cfg["hidden_size"], L = cfg["num_hidden_layers"];
        // Two adapters per layer, each down (d*8 + 8) and up (8*d + d).
        QCOMPARE(m.summary().trainable, L * 2 * (d * 8 + 8 + 8 * d + d));
    }

    void gradientsReachOnlyTrainableParameters()
    {
        peft::PeftModel m(loadBase("qwen2_tiny"), lora(2, 4));
        randomiseLoraB(m);
        m.base()->train();
        auto logits = m.forward(kIds);
        logits.pow(2).mean().backward();
        int trainable = 0;
        for (const auto& item : m.base()->named_parameters()) {
            const bool isLora = item.key().find("lora_") != std::string::npos;
            QCOMPARE(item.value().requires_grad(), isLora);
            if (isLora) {
                QVERIFY2(item.value().grad().defined() && item.value().grad().abs().sum().item<double>() > 0,
                         item.key().c_str());
                ++trainable;
            } else {
                QVERIFY2(!item.value().grad().defined(), item.key().c_str());
            }
        }
        QCOMPARE(trainable, 2 * 2 * 2); // 2 layers x (q, v) x (A, B)
    }

    void promptTuningFromTextUsesItsTokenEmbeddings()
    {
        // init "vocab" picks embedding rows: each virtual token equals some row of the table.
        peft::MethodConfig c;
        c.method = peft::Method::PromptTuning;
        c.prompt.numVirtualTokens = 4;
        c.prompt.init = "vocab";
        auto base = loadBase("llama_tied");
        peft::PeftModel m(base, c, nullptr, 3);
        auto table = base->embed(torch::arange(base->config().vocabSize, torch::kLong)).detach();
        for (int64_t i = 0; i < 4; ++i) {
            auto row = m.promptEmbeddings()[i].detach();
            QVERIFY(((table - row).abs().sum(1) == 0).any().item<bool>());
        }
        // The output keeps the input's length: virtual positions are cut off.
        QCOMPARE(logitsOf(m, kIds).size(1), kIds.size(1));
    }

    void loraAdapterFileFollowsHuggingFacePeftLayout()
    {
        QTemporaryDir dir;
        peft::PeftModel m(loadBase("gpt2_prefixed"), lora(4, 8));
        randomiseLoraB(m);
        const std::string out = dir.filePath("adapter").toStdString();
        m.saveAdapter(out, "/models/gpt2");
        const json cfg = json::parse(io::readFile(out + "/adapter_config.json"));
        QCOMPARE(cfg["peft_type"].get<std::string>(), std::string("LORA"));
        QCOMPARE(cfg["task_type"].get<std::string>(), std::string("CAUSAL_LM"));
        QCOMPARE(cfg["r"].get<int>(), 4);
        QCOMPARE(cfg["lora_alpha"].get<double>(), 8.0);
        QCOMPARE(cfg["target_modules"], json({"c_attn"}));
        QCOMPARE(cfg["bias"].get<std::string>(), std::string("none"));
        QCOMPARE(cfg["use_rslora"].get<bool>(), false);
        QCOMPARE(cfg["fan_in_fan_out"].get<bool>(), true);
        QCOMPARE(cfg["base_model_name_or_path"].get<std::string>(), std::string("/models/gpt2"));
        auto f = io::SafetensorsFile::open(out + "/adapter_model.safetensors");
        const json mcfg = json::parse(io::readFile(kModels + "gpt2_prefixed/config.json"));
        const int64_t d = mcfg["n_embd"];
        QCOMPARE(f->tensors().size(), size_t(2 * mcfg["n_layer"].get<int>()));
        const auto* a = f->find("base_model.model.transformer.h.0.attn.c_attn.lora_A.weight");
        const auto* b = f->find("base_model.model.transformer.h.1.attn.c_attn.lora_B.weight");
        QVERIFY(a && b);
        QCOMPARE(a->shape, std::vector<int64_t>({4, d}));
        QCOMPARE(b->shape, std::vector<int64_t>({3 * d, 4}));

        // Loading it back onto a fresh base reproduces the logits.
        auto trained = logitsOf(m, kIds);
        auto loaded = peft::PeftModel::loadAdapter(out, loadBase("gpt2_prefixed"));
        QVERIFY(torch::allclose(logitsOf(*loaded, kIds), trained, 1e-6, 1e-6));
    }

    void promptTuningFileHasPromptEmbeddings()
    {
        QTemporaryDir dir;
        peft::MethodConfig c;
        c.method = peft::Method::PromptTuning;
        c.prompt.numVirtualTokens = 6;
        peft::PeftModel m(loadBase("llama_gqa"), c);
        const std::string out = dir.filePath("pt").toStdString();
        m.saveAdapter(out, "base");
        const json cfg = json::parse(io::readFile(out + "/adapter_config.json"));
        QCOMPARE(cfg["peft_type"].get<std::string>(), std::string("PROMPT_TUNING"));
        QCOMPARE(cfg["num_virtual_tokens"].get<int>(), 6);
        const json mcfg = json::parse(io::readFile(kModels + "llama_gqa/config.json"));
        QCOMPARE(cfg["token_dim"], mcfg["hidden_size"]);
        auto f = io::SafetensorsFile::open(out + "/adapter_model.safetensors");
        QCOMPARE(f->tensors().size(), size_t(1));
        QCOMPARE(f->find("prompt_embeddings")->shape, std::vector<int64_t>({6, mcfg["hidden_size"].get<int64_t>()}));
        auto loaded = peft::PeftModel::loadAdapter(out, loadBase("llama_gqa"));
        QVERIFY(torch::equal(logitsOf(*loaded, kIds), logitsOf(m, kIds)));
    }

    void mergedExportLoadsAsAPlainModel()
    {
        QTemporaryDir dir;
        peft::PeftModel m(loadBase("llama_gqa"), lora(4, 8));
        randomiseLoraB(m);
        const std::string out = dir.filePath("merged").toStdString();
        m.exportMerged(out, kModels + "llama_gqa");
        auto plain = model::LanguageModel::load(out);
        const auto ids = std::vector<int64_t>{3, 17, 42, 9, 64, 5, 11};
        auto rows = plain->logits(ids);
        auto expected = logitsOf(m, kIds)[0];
        for (size_t t = 0; t < ids.size(); ++t)
            for (int64_t v = 0; v < expected.size(1); ++v)
                QVERIFY(std::abs(rows[t][v] - expected[t][v].item<float>()) < 1e-4);
        // The in-memory model was not merged by the export.
        for (auto& [path, proj] : m.base()->projections())
            QVERIFY(!proj->merged());
    }

    void badTargetsAndUnmergeableExportsExplainThemselves()
    {
        try {
            peft::PeftModel m(loadBase("gpt2_prefixed"), lora(4, 8, {"q_proj"}));
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("match no module") && QString(e.what()).contains("c_attn"), e.what());
        }
        peft::MethodConfig c;
        c.method = peft::Method::Adapter;
        peft::PeftModel m(loadBase("gpt2_prefixed"), c);
        QTemporaryDir dir;
        try {
            m.exportMerged(dir.filePath("x").toStdString(), kModels + "gpt2_prefixed");
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY(QString(e.what()).contains("cannot be merged"));
        }
    }
};

QTEST_GUILESS_MAIN(TestPeft)
#include "tst_peft.moc"
