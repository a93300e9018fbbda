// Inspecting what a run learned: every number is recomputed here from the
// files the run saved (and the base model's own safetensors), in double
// precision with plain loops, not through the modules the engine loads.
#include "common/tiny_model.h"

#include "common/error.h"
#include "engine/run_inspection.h"
#include "engine/run_job.h"
#include "io/atomic_file.h"
#include "io/weight_set.h"
#include "store/run_store.h"

#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <cmath>

using namespace tb;
using nlohmann::json;

namespace {

struct Quiet : engine::JobObserver {};

struct Trained {
    std::string db;
    int64_t runId = 0;
    std::string base;  // the base model folder
    std::string saved; // what the run saved (adapter or model folder)
};

// A tiny Llama (2 layers, hidden 32) trained 4 steps on 24 "upper-case" records.
Trained trainRun(const QTemporaryDir& dir, const json& method)
{
    Trained t;
    t.base = tbtest::makeTinyModel(dir.filePath("base").toStdString());
    std::string lines;
    for (int i = 0; i < 24; ++i) {
        const std::string word = std::string(1, char('a' + i)) + "xy" + std::to_string(i);
        std::string out = word;
        for (auto& ch : out)
            ch = static_cast<char>(std::toupper(ch));
        lines += json({{"instruction", "Upper-case the word."}, {"input", word}, {"output", out}}).dump() + "\n";
    }
    const std::string data = dir.filePath("train.jsonl").toStdString();
    io::writeFileAtomic(data, lines);
    const json j = {{"name", "inspect-" + method.at("method").get<std::string>()},
                    {"model", t.base},
                    {"output_dir", dir.filePath("out").toStdString()},
                    {"data", {{"train", {data}}, {"validation_fraction", 0.0}, {"template", "plain"}, {"max_length", 64}}},
                    {"method", method},
                    {"training", {{"max_steps", 4}, {"batch_size", 4}, {"learning_rate", 2e-2}, {"seed", 5}}}};
    t.db = dir.filePath("runs.sqlite").toStdString();
    RunControl control;
    Quiet quiet;
    const auto r = engine::runJob(train::parseRunConfig(j, "RUN.json"), {t.db, std::nullopt}, quiet, control);
    if (r.train.status != train::TrainStatus::Completed)
        throw Error("test run failed: " + r.train.error);
    t.runId = r.runId;
    t.saved = r.savedDir;
    return t;
}

// A stored F32 tensor as doubles, with its shape.
struct Array {
    std::vector<int64_t> shape;
    std::vector<double> v;
    double at(int64_t r, int64_t c) const { return v[static_cast<size_t>(r * shape[1] + c)]; }
};

Array read(const io::WeightSet& w, const std::string& name)
{
    const io::WeightView* view = w.find(name);
    if (!view)
        throw Error("test: no tensor " + name);
    if (view->dtype != io::DType::F32)
        throw Error("test: tensor " + name + " is not F32");
    Array a;
    a.shape = view->shape;
    size_t n = 1;
    for (auto d : a.shape)
        n *= static_cast<size_t>(d);
    const auto* f = static_cast<const float*>(view->data);
    a.v.assign(f, f + n);
    return a;
}

double frobenius(const std::vector<double>& v)
{
    double s = 0;
    for (double x : v)
        s += x * x;
    return std::sqrt(s);
}

double frobeniusOfDifference(const Array& a, const Array& b)
{
    double s = 0;
    for (size_t i = 0; i < a.v.size(); ++i)
        s += (a.v[i] - b.v[i]) * (a.v[i] - b.v[i]);
    return std::sqrt(s);
}

bool near(double got, double want, double rel = 1e-5) { return std::abs(got - want) <= rel * std::max(1e-12, std::abs(want)); }

std::string baseWeights(const Trained& t) { return t.base + "/model.safetensors"; }

} // namespace

class TestInspect : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }

    void loraUpdateNormsEqualTheSavedFactors()
    {
        QTemporaryDir dir;
        const auto t = trainRun(dir, {{"method", "lora"}, {"lora", {{"rank", 4}, {"alpha", 8}, {"dropout", 0.0}}}});
        const auto r = engine::inspectRun(store::RunStore(t.db), t.runId);
        QCOMPARE(r.method, std::string("lora"));
        QCOMPARE(r.weightsKind, std::string("adapter"));
        // Llama's default targets, q_proj and v_proj, in each of the 2 layers.
        QCOMPARE(r.lora.size(), size_t(4));
        const auto adapter = io::WeightSet::fromSafetensors(t.saved + "/adapter_model.safetensors");
        const auto base = io::WeightSet::fromSafetensors(baseWeights(t));
        const double s = 8.0 / 4.0; // alpha / rank
        for (size_t i = 0; i < r.lora.size(); ++i) {
            const auto& u = r.lora[i];
            QCOMPARE(u.layer, int64_t(i / 2));
            QCOMPARE(u.projection, std::string(i % 2 == 0 ? "q_proj" : "v_proj"));
            QCOMPARE(u.path, "model.layers." + std::to_string(i / 2) + ".self_attn." + u.projection);
            const Array A = read(adapter, "base_model.model." + u.path + ".lora_A.weight"); // [r, in]
            const Array B = read(adapter, "base_model.model." + u.path + ".lora_B.weight"); // [out, r]
            QCOMPARE(A.shape[0], int64_t(4));
            std::vector<double> delta;
            for (int64_t o = 0; o < B.shape[0]; ++o)
                for (int64_t in = 0; in < A.shape[1]; ++in) {
                    double d = 0;
                    for (int64_t k = 0; k < 4; ++k)
                        d += B.at(o, k) * A.at(k, in);
                    delta.push_back(s * d);
                }
            const double want = frobenius(delta);
            QVERIFY2(want > 0, "training moved lora_B off zero");
            QVERIFY2(near(u.updateNorm, want), qPrintable(QString("%1 vs %2").arg(u.updateNorm).arg(want)));
            const double weight = frobenius(read(base, u.path + ".weight").v);
            QVERIFY(near(u.weightNorm, weight));
            QVERIFY(near(u.ratio, want / weight));
        }
        QVERIFY(r.adapters.empty() && r.prompt.empty() && r.changes.empty());
    }

    void adapterNormsEqualTheSavedProjections()
    {
        QTemporaryDir dir;
        const auto t = trainRun(dir, {{"method", "adapter"}, {"adapter", {{"size", 8}}}});
        const auto r = engine::inspectRun(store::RunStore(t.db), t.runId);
        // After the attention and after the MLP of each of the 2 layers.
        QCOMPARE(r.adapters.size(), size_t(4));
        const auto saved = io::WeightSet::fromSafetensors(t.saved + "/adapter_model.safetensors");
        for (const auto& a : r.adapters) {
            QVERIFY2(a.path == "model.layers." + std::to_string(a.layer) + ".attn_adapter" ||
                         a.path == "model.layers." + std::to_string(a.layer) + ".mlp_adapter",
                     a.path.c_str());
            const double up = frobenius(read(saved, a.path + ".up.weight").v);
            QVERIFY2(up > 0, "training moved the zero-initialised up-projection");
            QVERIFY(near(a.upNorm, up));
            QVERIFY(near(a.downNorm, frobenius(read(saved, a.path + ".down.weight").v)));
        }
        QVERIFY(r.lora.empty() && r.changes.empty());
    }

    void softPromptNeighboursAreTheCosineNearestEmbeddings()
    {
        QTemporaryDir dir;
        const auto t = trainRun(dir, {{"method", "prompt_tuning"}, {"prompt_tuning", {{"num_virtual_tokens", 3}}}});
        const auto r = engine::inspectRun(store::RunStore(t.db), t.runId, 4);
        QCOMPARE(r.prompt.size(), size_t(3));
        const Array P = read(io::WeightSet::fromSafetensors(t.saved + "/adapter_model.safetensors"), "prompt_embeddings");
        const Array E = read(io::WeightSet::fromSafetensors(baseWeights(t)), "model.embed_tokens.weight"); // [V, C]
        const int64_t C = P.shape[1];
        for (int64_t i = 0; i < 3; ++i) {
            double n = 0;
            for (int64_t c = 0; c < C; ++c)
                n += P.at(i, c) * P.at(i, c);
            QVERIFY(near(r.prompt[i].norm, std::sqrt(n)));
            QCOMPARE(r.prompt[i].nearest.size(), size_t(4));
        }
        // The first virtual token's nearest vocabulary token, by brute force.
        const double pn = r.prompt[0].norm;
        int64_t best = -1;
        double bestSim = -2;
        for (int64_t v = 0; v < E.shape[0]; ++v) {
            double dot = 0, en = 0;
            for (int64_t c = 0; c < C; ++c) {
                dot += P.at(0, c) * E.at(v, c);
                en += E.at(v, c) * E.at(v, c);
            }
            const double sim = dot / (pn * std::sqrt(en));
            if (sim > bestSim) {
                bestSim = sim;
                best = v;
            }
        }
        const auto& top = r.prompt[0].nearest;
        QCOMPARE(top[0].id, best);
        QVERIFY(near(top[0].similarity, bestSim));
        for (size_t k = 1; k < top.size(); ++k)
            QVERIFY(top[k - 1].similarity >= top[k].similarity);
        auto tok = tok::loadTokenizer(tbtest::tokenizerFixture());
        QCOMPARE(top[0].text, tok->decode({best}, false));
    }

    void selectiveTuningListsTheTensorsItMoved()
    {
        QTemporaryDir dir;
        const auto t = trainRun(dir, {{"method", "selective"}, {"selective", {{"norms", true}}}});
        const auto r = engine::inspectRun(store::RunStore(t.db), t.runId);
        // A tied tiny Llama: embedding, per layer 7 projections + 2 norms, final norm.
        QCOMPARE(r.tensorsCompared, int64_t(1 + 2 * 9 + 1));
        // Only the 5 RMSNorm weights train; the saved file holds exactly those.
        const auto saved = io::WeightSet::fromSafetensors(t.saved + "/adapter_model.safetensors");
        const auto base = io::WeightSet::fromSafetensors(baseWeights(t));
        QCOMPARE(saved.size(), size_t(5));
        QCOMPARE(r.tensorsChanged, int64_t(5));
        std::string bestName;
        double bestRel = -1, bestChange = 0;
        for (const auto& name : saved.names()) {
            const Array b = read(base, name);
            const double change = frobeniusOfDifference(read(saved, name), b);
            const double rel = change / frobenius(b.v);
            if (rel > bestRel) {
                bestRel = rel;
                bestName = name;
                bestChange = change;
            }
        }
        QCOMPARE(r.changes.front().name, bestName);
        QVERIFY(near(r.changes.front().changeNorm, bestChange, 1e-4));
        QVERIFY(near(r.changes.front().relative, bestRel, 1e-4));
        for (size_t k = 1; k < r.changes.size(); ++k)
            QVERIFY(r.changes[k - 1].relative >= r.changes[k].relative);
        QCOMPARE(r.changes[5].changeNorm, 0.0); // the frozen rest
    }

    void fullFineTuningComparesTheSavedModelWithItsBase()
    {
        QTemporaryDir dir;
        const auto t = trainRun(dir, {{"method", "full"}});
        const auto r = engine::inspectRun(store::RunStore(t.db), t.runId);
        QCOMPARE(r.weightsKind, std::string("model"));
        QCOMPARE(r.tensorsCompared, int64_t(20));
        QCOMPARE(r.changes.size(), size_t(20));
        const auto trained = io::WeightSet::fromSafetensors(t.saved + "/model.safetensors");
        const auto base = io::WeightSet::fromSafetensors(baseWeights(t));
        for (const auto& c : r.changes) {
            const Array b = read(base, c.name);
            QVERIFY(near(c.changeNorm, frobeniusOfDifference(read(trained, c.name), b), 1e-4));
            QVERIFY(near(c.baseNorm, frobenius(b.v)));
        }
    }

    void aRunWithoutWeightsIsRefusedByName()
    {
        QTemporaryDir dir;
        const std::string db = dir.filePath("runs.sqlite").toStdString();
        store::RunStore store(db);
        store::NewRun n;
        n.name = "never-ran";
        n.baseModel = "/nowhere";
        n.method = "lora";
        n.configJson = json({{"name", "never-ran"}, {"model", "/nowhere"}, {"data", {{"train", {"/x.jsonl"}}}}}).dump();
        const auto id = store.createRun(n);
        try {
            engine::inspectRun(store, id);
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("run " + QString::number(id)), e.what());
            QVERIFY2(QString(e.what()).contains("saved no weights"), e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestInspect)
#include "tst_inspect.moc"
