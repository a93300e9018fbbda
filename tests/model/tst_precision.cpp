// Precision and weights (issue 13): what "auto" becomes, a frozen base kept
// in bf16 with f32 trainable parameters, BF16 files used in place (the file
// mapping is the parameter, copy-on-write), loading without a second copy of
// the weights, and the run record naming the precision it trained in.
#include "common/tiny_model.h"

#include "common/cpu_features.h"
#include "common/run_control.h"
#include "engine/run_job.h"
#include "io/atomic_file.h"
#include "io/safetensors.h"
#include "io/weight_set.h"
#include "model/autocast.h"
#include "model/causal_lm.h"
#include "store/run_store.h"

#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QtTest>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <malloc.h>

using namespace tb;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// Sets TUNEBENCH_CPU_BF16 for a scope (common/cpu_features.h reads it on every call).
struct CpuOverride {
    explicit CpuOverride(const char* value) { ::setenv("TUNEBENCH_CPU_BF16", value, 1); }
    ~CpuOverride() { ::unsetenv("TUNEBENCH_CPU_BF16"); }
};

model::ModelConfig llamaConfig(int64_t hidden, int64_t layers, int64_t intermediate, int64_t vocab)
{
    model::ModelConfig c;
    c.family = model::Family::Llama;
    c.modelType = "llama";
    c.vocabSize = vocab;
    c.hiddenSize = hidden;
    c.numLayers = layers;
    c.numHeads = 4;
    c.numKvHeads = 2;
    c.headDim = hidden / 4;
    c.intermediateSize = intermediate;
    c.maxPositions = 64;
    c.tieEmbeddings = true;
    c.activation = "silu";
    c.storageDType = "bf16";
    return c;
}

model::ModelConfig gpt2Config()
{
    model::ModelConfig c;
    c.family = model::Family::Gpt2;
    c.modelType = "gpt2";
    c.vocabSize = 96;
    c.hiddenSize = 32;
    c.numLayers = 2;
    c.numHeads = 4;
    c.numKvHeads = 4;
    c.headDim = 8;
    c.intermediateSize = 128;
    c.maxPositions = 64;
    c.tieEmbeddings = true;
    c.activation = "gelu_new";
    c.storageDType = "bf16";
    return c;
}

// A model folder whose safetensors file holds random BF16 weights, written
// tensor by tensor (no copy of the whole model in memory): matrices
// N(0, 0.05), norm weights 1 + N(0, 0.05), biases N(0, 0.01).
std::string writeBf16Model(const std::string& dir, const model::ModelConfig& c, uint64_t seed)
{
    fs::create_directories(dir);
    auto shape = model::buildModel(c, /*initialise=*/false); // names and shapes; nothing touched
    json header = json::object();
    uint64_t offset = 0;
    std::vector<std::pair<std::string, std::vector<int64_t>>> tensors;
    for (const auto& p : shape->named_parameters()) {
        const uint64_t bytes = static_cast<uint64_t>(p.value().numel()) * 2;
        header[p.key()] = {{"dtype", "BF16"}, {"shape", p.value().sizes().vec()}, {"data_offsets", {offset, offset + bytes}}};
        tensors.emplace_back(p.key(), p.value().sizes().vec());
        offset += bytes;
    }
    shape.reset();
    std::string text = header.dump();
    while (text.size() % 8)
        text.push_back(' ');
    std::ofstream out(dir + "/model.safetensors", std::ios::binary);
    const uint64_t n = text.size();
    for (int i = 0; i < 8; ++i)
        out.put(static_cast<char>((n >> (8 * i)) & 0xff));
    out << text;
    torch::manual_seed(seed);
    for (const auto& [name, dims] : tensors) {
        torch::Tensor t;
        if (dims.size() >= 2)
            t = torch::randn(dims) * 0.05;
        else if (name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0)
            t = torch::randn(dims) * 0.01;
        else
            t = 1 + torch::randn(dims) * 0.05;
        t = t.to(torch::kBFloat16).contiguous();
        out.write(static_cast<const char*>(t.data_ptr()), static_cast<std::streamsize>(t.nbytes()));
    }
    out.close();
    io::writeFileAtomic(dir + "/config.json", model::toHfConfig(c).dump(2));
    return dir;
}

std::unique_ptr<model::LanguageModel> load(const std::string& dir, const std::string& precision)
{
    model::LoadOptions o;
    o.precision = precision;
    return model::LanguageModel::load(dir, o);
}

peft::MethodConfig lora()
{
    peft::MethodConfig m;
    m.method = peft::Method::Lora;
    m.lora.rank = 4;
    m.lora.alpha = 8;
    m.lora.dropout = 0.0;
    return m;
}

int64_t statusKb(const char* field)
{
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(field, 0) == 0)
            return std::stoll(line.substr(std::strlen(field) + 1));
    return -1;
}

// Mean next-token loss of fixed token rows, `steps` AdamW steps of the
// method's trainable parameters; the losses seen before each step.
std::vector<double> trainLosses(peft::PeftModel& m, bool bf16, int steps)
{
    torch::manual_seed(11);
    const auto ids = torch::randint(m.base()->config().vocabSize, {4, 24}, torch::kLong);
    std::vector<torch::Tensor> params;
    for (auto& [name, p] : m.trainableParameters())
        params.push_back(p);
    torch::optim::AdamW opt(params, torch::optim::AdamWOptions(1e-2).weight_decay(0.0));
    std::vector<double> losses;
    for (int s = 0; s < steps; ++s) {
        opt.zero_grad();
        torch::Tensor loss;
        {
            model::AutocastScope autocast(bf16);
            const auto logits = m.forward(ids).to(torch::kFloat32);
            const int64_t V = logits.size(-1);
            loss = torch::nn::functional::cross_entropy(
                logits.index({torch::indexing::Slice(), torch::indexing::Slice(0, -1)}).reshape({-1, V}),
                ids.index({torch::indexing::Slice(), torch::indexing::Slice(1)}).reshape({-1}));
        }
        loss.backward();
        opt.step();
        losses.push_back(loss.item<double>());
    }
    return losses;
}

struct LogCollector : engine::JobObserver {
    std::vector<std::string> logs;
    void onLog(const std::string& message) override { logs.push_back(message); }
};

} // namespace

class TestPrecision : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }

    void autoResolvesByCpuAndDevice()
    {
        {
            CpuOverride none("none");
            QCOMPARE(resolvePrecision("auto", "cpu"), std::string("f32"));
            QCOMPARE(resolvePrecision("auto", "cuda"), std::string("bf16"));
            QCOMPARE(resolvePrecision("auto", "cuda:1"), std::string("bf16"));
            QCOMPARE(resolvePrecision("bf16", "cpu"), std::string("bf16")); // set explicitly: kept
            QVERIFY(precisionExplanation("auto", "cpu").find("neither") != std::string::npos);
        }
        {
            CpuOverride amx("amx");
            QCOMPARE(resolvePrecision("auto", "cpu"), std::string("bf16"));
            QCOMPARE(resolvePrecision("f32", "cpu"), std::string("f32"));
        }
        CpuOverride avx512("avx512");
        QCOMPARE(resolvePrecision("auto", "cpu"), std::string("bf16"));
    }

    void bf16LoraKeepsBaseBf16AndTrainsF32()
    {
        QTemporaryDir dir;
        const auto path = writeBf16Model(dir.filePath("m").toStdString(), llamaConfig(32, 2, 64, 80), 1);
        auto lm = load(path, "bf16");
        QCOMPARE(lm->precision(), std::string("bf16"));
        peft::PeftModel m(lm->module(), lora());
        int64_t bf16 = 0, f32 = 0;
        for (const auto& p : lm->module()->named_parameters()) {
            const bool isLora = p.key().find("lora_") != std::string::npos;
            QCOMPARE(p.value().requires_grad(), isLora);
            QCOMPARE(p.value().scalar_type(), isLora ? torch::kFloat32 : torch::kBFloat16);
            (isLora ? f32 : bf16) += 1;
        }
        QVERIFY(bf16 > 0 && f32 > 0);
        for (const auto& [name, p] : m.trainableParameters())
            QCOMPARE(p.scalar_type(), torch::kFloat32);
    }

    void fullOrF32LoadKeepsF32WithTheStoredValues()
    {
        QTemporaryDir dir;
        const auto path = writeBf16Model(dir.filePath("m").toStdString(), llamaConfig(32, 2, 64, 80), 2);
        auto lm = load(path, "f32");
        peft::MethodConfig full;
        full.method = peft::Method::Full;
        peft::PeftModel m(lm->module(), full);
        // Read back through the safetensors reader: the f32 parameters are the BF16 values, widened exactly.
        auto file = io::SafetensorsFile::open(path + "/model.safetensors");
        for (const auto& p : lm->module()->named_parameters()) {
            QCOMPARE(p.value().scalar_type(), torch::kFloat32);
            QVERIFY(p.value().requires_grad());
            const auto* info = file->find(p.key());
            QVERIFY(info);
            const auto stored = torch::from_blob(const_cast<uint8_t*>(file->data(*info)), info->shape, torch::kBFloat16);
            QVERIFY(torch::equal(p.value().detach(), stored.to(torch::kFloat32)));
        }
    }

    void selectiveOnBf16Gpt2TrainsNormsInF32()
    {
        // GPT-2's LayerNorm runs in its input's dtype: trained norms are f32,
        // so the embeddings and every norm are; the frozen projections stay bf16.
        QTemporaryDir dir;
        const auto path = writeBf16Model(dir.filePath("g").toStdString(), gpt2Config(), 3);
        auto lm = load(path, "bf16");
        peft::MethodConfig sel;
        sel.method = peft::Method::Selective;
        sel.selective.norms = true;
        peft::PeftModel m(lm->module(), sel);
        for (const auto& p : lm->module()->named_parameters()) {
            const bool projectionWeight = p.key().find(".attn.c_") != std::string::npos ||
                                          p.key().find(".mlp.c_") != std::string::npos;
            QCOMPARE(p.value().scalar_type(), projectionWeight ? torch::kBFloat16 : torch::kFloat32);
        }
        const auto losses = trainLosses(m, /*bf16=*/true, 3);
        QVERIFY(std::isfinite(losses.back()));
        QVERIFY(losses.back() < losses.front());
    }

    void bf16LoraLossTracksF32_data()
    {
        QTest::addColumn<bool>("gpt2");
        QTest::newRow("llama") << false;
        QTest::newRow("gpt2") << true;
    }
    void bf16LoraLossTracksF32()
    {
        QFETCH(bool, gpt2);
        QTemporaryDir dir;
        const auto path =
            writeBf16Model(dir.filePath("m").toStdString(), gpt2 ? gpt2Config() : llamaConfig(32, 2, 64, 80), 4);
        auto a = load(path, "f32");
        peft::PeftModel f32(a->module(), lora(), nullptr, 5);
        auto b = load(path, "bf16");
        peft::PeftModel bf16(b->module(), lora(), nullptr, 5);
        const auto reference = trainLosses(f32, false, 6);
        const auto mixed = trainLosses(bf16, true, 6);
        // Both learn, and bf16 (8 mantissa bits, ~0.4% per rounding) follows f32 closely.
        QVERIFY(reference.back() < reference.front() - 0.05);
        for (size_t i = 0; i < reference.size(); ++i)
            QVERIFY2(std::abs(mixed[i] - reference[i]) < 0.02 * reference[i],
                     qPrintable(QString("step %1: bf16 %2, f32 %3").arg(i).arg(mixed[i]).arg(reference[i])));
    }

    void zeroCopyWeightsAreTheMappingAndMatchCopies()
    {
        QTemporaryDir dir;
        const auto c = llamaConfig(32, 2, 64, 80);
        const auto path = writeBf16Model(dir.filePath("m").toStdString(), c, 6);
        auto mapped = io::WeightSet::fromHfFolder(path);
        // The same views without an owner cannot be kept in place: copied.
        io::WeightSet copies;
        for (const auto& name : mapped.names()) {
            io::WeightView v = *mapped.find(name);
            v.owner.reset();
            v.mapped = false;
            copies.add(name, v);
        }
        auto inPlace = model::buildModel(c, false);
        model::loadWeights(*inPlace, mapped, path, nullptr, torch::kBFloat16);
        auto copied = model::buildModel(c, false);
        model::loadWeights(*copied, copies, path, nullptr, torch::kBFloat16);
        for (const auto& p : inPlace->named_parameters())
            QCOMPARE(p.value().data_ptr(), const_cast<void*>(mapped.find(p.key())->data));
        for (const auto& p : copied->named_parameters())
            QVERIFY(p.value().data_ptr() != mapped.find(p.key())->data);

        torch::NoGradGuard noGrad;
        model::AutocastScope autocast(true);
        model::ForwardInput in;
        in.ids = torch::tensor(std::vector<int64_t>{1, 7, 3, 42, 9, 0, 5}, torch::kLong).unsqueeze(0);
        const auto x = inPlace->forward(in);
        QCOMPARE(x.scalar_type(), torch::kBFloat16);
        QVERIFY(torch::equal(x, copied->forward(in)));
    }

    void inPlaceMergeCopiesOnWriteAndLeavesTheFile()
    {
        QTemporaryDir dir;
        const auto c = llamaConfig(32, 2, 64, 80);
        const auto path = writeBf16Model(dir.filePath("m").toStdString(), c, 7);
        const std::string before = io::readFile(path + "/model.safetensors");
        auto lm = load(path, "bf16");
        peft::PeftModel m(lm->module(), lora());
        auto [name, proj] = lm->module()->projections().front();
        const auto original = proj->weight.detach().clone();
        {
            torch::NoGradGuard noGrad;
            proj->loraB().fill_(0.5);
        }
        proj->merge(); // W += s·B·A, in place, on the file mapping
        QVERIFY(!torch::equal(proj->weight.detach(), original));
        QCOMPARE(io::readFile(path + "/model.safetensors"), before);
        auto fresh = load(path, "bf16");
        for (const auto& p : fresh->module()->named_parameters())
            if (p.key() == name + ".weight")
                QVERIFY(torch::equal(p.value(), original));
    }

    void loadingBf16PeaksNearTheFileSize()
    {
        // ~220 MB of BF16 weights (111M parameters). The peak resident memory
        // of loading is measured from a reset high-water mark.
        QTemporaryDir dir;
        const auto path = writeBf16Model(dir.filePath("big").toStdString(), llamaConfig(1024, 7, 4096, 1000), 8);
        const double file = static_cast<double>(fs::file_size(path + "/model.safetensors")) / 1024.0;
        QVERIFY(file > 190e3);
        auto peakOfLoading = [&](const std::string& precision) {
            ::malloc_trim(0);
            {
                std::ofstream reset("/proc/self/clear_refs");
                reset << "5"; // VmHWM := VmRSS
            }
            const int64_t base = statusKb("VmRSS:");
            auto lm = load(path, precision);
            const int64_t peak = statusKb("VmHWM:");
            const int64_t after = statusKb("VmRSS:");
            qInfo("%s: peak +%.0f MB, resident +%.0f MB (anon %.0f MB, file %.0f MB) for a %.0f MB file",
                  precision.c_str(), (peak - base) / 1024.0, (after - base) / 1024.0, statusKb("RssAnon:") / 1024.0,
                  statusKb("RssFile:") / 1024.0, file / 1024.0);
            return std::make_pair(static_cast<double>(peak - base), static_cast<double>(after - base));
        };
        const auto [bf16Peak, bf16Resident] = peakOfLoading("bf16");
        // The mapped file is the weights: no second copy (was ~2x before the
        // NaN check stopped allocating a temporary per tensor).
        QVERIFY2(bf16Peak <= 1.2 * file, qPrintable(QString("bf16 peak %1 kB, file %2 kB").arg(bf16Peak).arg(file)));
        QVERIFY(bf16Resident >= 0.8 * file); // the weights are really there
        // f32 weights are twice the file; the file itself is not held besides them.
        const auto [f32Peak, f32Resident] = peakOfLoading("f32");
        QVERIFY2(f32Peak <= 2.3 * file, qPrintable(QString("f32 peak %1 kB, file %2 kB").arg(f32Peak).arg(file)));
        QVERIFY(f32Resident >= 1.8 * file);
    }

    void runRecordShowsTheResolvedPrecision()
    {
        CpuOverride amx("amx"); // auto -> bf16, as on an AMX machine
        QTemporaryDir dir;
        const std::string model = tbtest::makeTinyModel(dir.filePath("base").toStdString());
        std::string lines;
        for (int i = 0; i < 12; ++i)
            lines += json({{"instruction", "Repeat the word."}, {"input", "w" + std::to_string(i)},
                           {"output", "w" + std::to_string(i)}}).dump() + "\n";
        io::writeFileAtomic(dir.filePath("train.jsonl").toStdString(), lines);
        const json j = {{"name", "bf16-run"},
                        {"model", model},
                        {"data", {{"train", {dir.filePath("train.jsonl").toStdString()}}, {"template", "plain"},
                                  {"max_length", 64}}},
                        {"method", {{"method", "lora"}, {"lora", {{"rank", 4}, {"alpha", 8}}}}},
                        {"training", {{"max_steps", 3}, {"batch_size", 4}, {"learning_rate", 5e-3}, {"seed", 1}}}};
        const auto config = train::parseRunConfig(j, "RUN.json");
        QCOMPARE(config.training.precision, std::string("auto"));
        engine::JobOptions options;
        options.dbPath = dir.filePath("runs.db").toStdString();
        LogCollector logs;
        RunControl control;
        const auto result = engine::runJob(config, options, logs, control);
        QVERIFY2(result.train.status == train::TrainStatus::Completed, result.train.error.c_str());
        QVERIFY(std::find(logs.logs.begin(), logs.logs.end(), "precision: auto -> bf16 (this CPU has AMX-BF16)") !=
                logs.logs.end());
        store::RunStore store(options.dbPath);
        const auto artifacts = store.artifacts(result.runId);
        QCOMPARE(artifacts.size(), size_t(1));
        const auto meta = json::parse(artifacts[0].metadataJson);
        QCOMPARE(meta.at("precision").get<std::string>(), std::string("bf16"));
        QCOMPARE(meta.at("precision_configured").get<std::string>(), std::string("auto"));
        QCOMPARE(meta.at("precision_explanation").get<std::string>(), std::string("bf16 (this CPU has AMX-BF16)"));
        // The configuration keeps "auto": a clone on another machine decides again.
        QCOMPARE(json::parse(store.run(result.runId).configJson).at("training").at("precision").get<std::string>(),
                 std::string("auto"));
    }
};

QTEST_GUILESS_MAIN(TestPrecision)
#include "tst_precision.moc"
