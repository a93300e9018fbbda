// The real stories260K checkpoint (../shared/models) against llama2.c's own
// run.c: logits at chosen positions and a greedy continuation
// (tests/fixtures/llama2c/README.md). Skips when ../shared is absent.
#include "common/reference.h"
#include "model/language_model.h"

#include <nlohmann/json.hpp>

#include <QtTest>

#include <filesystem>

using nlohmann::json;
using tb::test::maxError;
using tb::test::readJson;
using namespace tb::model;
namespace fs = std::filesystem;

namespace {

const std::string kStories = std::string(TB_SHARED_DIR) + "/models/stories260K.bin";

} // namespace

class TestLlama2cReference : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void stories260KMatchesLlama2cRunC()
    {
        if (!fs::exists(kStories))
            QSKIP("../shared/models/stories260K.bin is absent; skipping the llama2.c reference check");
        auto lm = LanguageModel::load(kStories);
        const auto info = lm->info();
        QCOMPARE(info.vocabSize, int64_t(512));
        QCOMPARE(info.layers, int64_t(5));
        QCOMPARE(info.kvHeads, int64_t(4));
        const json expected = readJson(std::string(TB_FIXTURES_DIR) + "/llama2c/stories260K_expected.json");
        for (const auto& c : expected["cases"]) {
            const auto rows = lm->logits(c["ids"].get<std::vector<int64_t>>());
            const auto positions = c["positions"].get<std::vector<int64_t>>();
            for (size_t i = 0; i < positions.size(); ++i) {
                const double err = maxError(rows[positions[i]], c["logits"][i]);
                QVERIFY2(err < 1e-4, qPrintable(QString("position %1: error %2").arg(positions[i]).arg(err)));
            }
        }
        // run.c's greedy loop stops only when it samples BOS (1).
        const auto& g = expected["greedy"][0];
        auto want = g["new_ids"].get<std::vector<int64_t>>();
        GenerationOptions o;
        o.maxNewTokens = static_cast<int64_t>(want.size());
        o.stopAtEos = false;
        o.stopIds = {1};
        const auto out = lm->generate({g["prompt_ids"].get<std::vector<int64_t>>()}, o)[0];
        QCOMPARE(out.ids, want);
    }

};

QTEST_GUILESS_MAIN(TestLlama2cReference)
#include "tst_llama2c_reference.moc"
