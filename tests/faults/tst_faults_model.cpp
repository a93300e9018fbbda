// Faults found by the adversarial pass (issue 12), model side: sampling
// settings that used to reach torch raw (top_p 0 did not filter, NaN was
// accepted, a tiny temperature failed inside torch), model folders whose
// config.json and weights disagree on the layer count, weights holding NaN
// (generation ended with exit 0 and null logits), numbers beyond a double.
#include "common/tiny_model.h"

#include "common/error.h"
#include "io/atomic_file.h"
#include "io/safetensors.h"
#include "io/weight_set.h"
#include "model/generation.h"
#include "model/language_model.h"
#include "model/model_config.h"

#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <limits>

using namespace tb;
using nlohmann::json;

namespace {

// The error generate() gives for these options, empty if it generates.
QString generateError(model::LanguageModel& lm, const model::GenerationOptions& o)
{
    try {
        lm.generate({{1, 40, 77}}, o);
    } catch (const Error& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

// Rewrites `folder`/model.safetensors with `edit` applied to tensor `name`.
void editTensor(const std::string& folder, const std::string& name, const std::function<void(float*, size_t)>& edit)
{
    const std::string path = folder + "/model.safetensors";
    auto weights = io::WeightSet::fromSafetensors(path);
    std::vector<std::vector<char>> copies;
    copies.reserve(weights.size()); // tensors point into them
    std::vector<io::TensorToWrite> tensors;
    for (const auto& n : weights.names()) {
        const io::WeightView* w = weights.find(n);
        QVERIFY(w->dtype == io::DType::F32); // the tiny model is stored in f32
        size_t count = 1;
        for (int64_t d : w->shape)
            count *= static_cast<size_t>(d);
        const size_t nbytes = count * sizeof(float);
        copies.emplace_back(static_cast<const char*>(w->data), static_cast<const char*>(w->data) + nbytes);
        if (n == name)
            edit(reinterpret_cast<float*>(copies.back().data()), count);
        tensors.push_back({n, w->dtype, w->shape, copies.back().data(), nbytes});
    }
    io::writeSafetensors(path, tensors);
}

void setConfigKey(const std::string& folder, const char* key, const std::string& rawValue)
{
    const std::string path = folder + "/config.json";
    json j = json::parse(io::readFile(path));
    j[key] = 0;
    std::string text = j.dump();
    const std::string slot = "\"" + std::string(key) + "\":0";
    text.replace(text.find(slot), slot.size(), "\"" + std::string(key) + "\":" + rawValue);
    io::writeFileAtomic(path, text);
}

QString loadError(const std::string& folder)
{
    try {
        model::LanguageModel::load(folder);
    } catch (const Error& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

} // namespace

class TestFaultsModel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { torch::set_num_threads(1); }

    void samplingSettingsAreChecked()
    {
        QTemporaryDir dir;
        auto lm = model::LanguageModel::load(tbtest::makeTinyModel(dir.filePath("m").toStdString(), 3, false));
        const double nan = std::numeric_limits<double>::quiet_NaN();
        model::GenerationOptions o;
        o.maxNewTokens = 4;
        o.temperature = nan;
        QVERIFY(generateError(*lm, o).startsWith("generate: temperature must be 0 (greedy) or a positive number"));
        o.temperature = -1;
        QVERIFY(generateError(*lm, o).startsWith("generate: temperature must be 0 (greedy) or a positive number"));
        o.temperature = 1e-45;
        QVERIFY(generateError(*lm, o).contains("is too small to sample with; use 0 for greedy decoding"));
        o.temperature = 1.0;
        for (double p : {nan, -0.1, 1.5}) {
            o.topP = p;
            QVERIFY(generateError(*lm, o).startsWith("generate: top_p must be in [0, 1]"));
        }
        o.topP = 1.0;
        o.topK = -1;
        QVERIFY(generateError(*lm, o).startsWith("generate: top_k must be 0 (off)"));
        o.topK = 0;

        // top_p 0 keeps the most likely token alone: greedy whatever the seed,
        // while top_p 1 at the same temperature samples something else.
        model::GenerationOptions greedy;
        greedy.maxNewTokens = 6;
        const auto want = lm->generate({{1, 40, 77}}, greedy)[0].ids;
        bool sampledDiffers = false;
        for (uint64_t seed = 0; seed < 5; ++seed) {
            o.seed = seed;
            o.maxNewTokens = 6;
            o.topP = 0.0;
            QCOMPARE(lm->generate({{1, 40, 77}}, o)[0].ids, want);
            o.topP = 1.0;
            sampledDiffers = sampledDiffers || lm->generate({{1, 40, 77}}, o)[0].ids != want;
        }
        QVERIFY(sampledDiffers);
    }

    void nanWeightsAreRefusedAtLoad()
    {
        QTemporaryDir dir;
        const std::string folder = tbtest::makeTinyModel(dir.filePath("m").toStdString());
        const std::string name = "model.layers.1.mlp.down_proj.weight";
        editTensor(folder, name, [](float* v, size_t n) { v[n / 2] = std::numeric_limits<float>::quiet_NaN(); });
        QCOMPARE(loadError(folder),
                 QString::fromStdString(folder + "/model.safetensors: tensor '" + name +
                                        "' holds NaN values; the model file is damaged"));
        editTensor(folder, name, [](float* v, size_t n) {
            v[n / 2] = 0.0f;
            v[0] = std::numeric_limits<float>::infinity();
        });
        QVERIFY(loadError(folder).endsWith("holds infinite values; the model file is damaged"));
    }

    void layerCountMismatchIsRefused()
    {
        QTemporaryDir dir;
        const std::string folder = tbtest::makeTinyModel(dir.filePath("m").toStdString()); // 2 layers
        QVERIFY(loadError(folder).isEmpty());
        for (const char* layers : {"1", "3"}) {
            setConfigKey(folder, "num_hidden_layers", layers);
            QCOMPARE(loadError(folder), QString::fromStdString(folder + ": the configuration says " + layers +
                                                               " layers (num_hidden_layers) but the weights hold 2;"
                                                               " the config and the weights do not belong together"));
        }
    }

    void hugeNumberInConfigNamesFileAndByte()
    {
        QTemporaryDir dir;
        const std::string folder = tbtest::makeTinyModel(dir.filePath("m").toStdString());
        setConfigKey(folder, "rms_norm_eps", "1e400");
        const QString e = loadError(folder);
        QVERIFY2(e.startsWith(QString::fromStdString(folder + "/config.json: number 1e400 at byte ")), qPrintable(e));
        QVERIFY2(e.endsWith("is out of range (a JSON number must fit a double, about ±1.8e308)"), qPrintable(e));
    }
};

QTEST_GUILESS_MAIN(TestFaultsModel)
#include "tst_faults_model.moc"
