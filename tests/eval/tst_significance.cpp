// Paired significance tests against sacreBLEU 2.6.0's own PairedTest, run by
// tests/fixtures/eval/significance/make_fixture.py on the committed
// input.jsonl (see the README there), numpy's default_rng stream against
// values numpy 1.24 printed, and small cases worked by hand.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "eval/bleu.h"
#include "eval/chrf.h"
#include "eval/significance.h"

using namespace tb::eval;
using Json = nlohmann::json;

namespace {

const std::string kDir = std::string(TB_FIXTURES_DIR) + "/eval/significance/";

struct Fixture {
    std::vector<std::string> names;
    std::vector<std::vector<std::string>> refs;
    std::vector<std::vector<std::string>> hyps; // per system
};

const Fixture& fixture()
{
    static const Fixture f = [] {
        Fixture out;
        std::ifstream in(kDir + "input.jsonl");
        std::string line;
        while (std::getline(in, line)) {
            const auto j = nlohmann::ordered_json::parse(line);
            if (out.names.empty()) {
                for (const auto& [name, _] : j["hyps"].items())
                    out.names.push_back(name);
                out.hyps.resize(out.names.size());
            }
            out.refs.push_back(j["refs"].get<std::vector<std::string>>());
            for (size_t s = 0; s < out.names.size(); ++s)
                out.hyps[s].push_back(j["hyps"][out.names[s]].get<std::string>());
        }
        return out;
    }();
    return f;
}

const Json& reference()
{
    static const Json ref = [] {
        std::ifstream in(kDir + "reference.json");
        return Json::parse(in);
    }();
    return ref;
}

std::vector<std::pair<std::string, SegmentStats>> valueSystems(const std::vector<std::vector<double>>& values)
{
    std::vector<std::pair<std::string, SegmentStats>> out;
    for (size_t i = 0; i < values.size(); ++i)
        out.emplace_back("s" + std::to_string(i), valueTable(values[i]));
    return out;
}

struct Run {
    int exitCode;
    std::string out;
    QString err;
};

Run cli(const QStringList& args)
{
    QProcess p;
    p.start(QStringLiteral(TB_CLI), args);
    p.waitForFinished(120000);
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput().toStdString(),
            QString::fromUtf8(p.readAllStandardError())};
}

} // namespace

class TestSignificance : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void numpyDefaultRngStreamIsReproduced()
    {
        // numpy 1.24.2: PCG64(12345).random_raw(3) (PCG64 seeds through SeedSequence).
        NumpyRng raw(12345);
        QCOMPARE(raw.next64(), uint64_t(0x3a32b18db2ffc19dULL));
        QCOMPARE(raw.next64(), uint64_t(0x51171315c9e4c4deULL));
        QCOMPARE(raw.next64(), uint64_t(0xcc2024823444efd9ULL));
        // default_rng(12345).choice(7, size=(2, 5), replace=True): the first
        // 10 draws of the stream that choice(7, size=(2, 7)) continues.
        NumpyRng c(12345);
        const std::vector<uint32_t> choice = {4, 1, 5, 2, 1, 5, 4, 4, 6, 2};
        const auto got = c.choice(7, 2);
        QCOMPARE(got.size(), size_t(14));
        QVERIFY(std::equal(choice.begin(), choice.end(), got.begin()));
        // default_rng(12345).integers(2, size=40, dtype=bool)
        NumpyRng b(12345);
        const std::vector<uint8_t> bools = {1, 0, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1,
                                            1, 1, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 0, 0, 1};
        QVERIFY(b.bools(40) == bools);
    }

    void agreesWithSacrebleuPairedTest_data()
    {
        QTest::addColumn<QString>("key");
        for (const auto& [key, _] : reference().items())
            QTest::newRow(key.c_str()) << QString::fromStdString(key);
    }

    void agreesWithSacrebleuPairedTest()
    {
        QFETCH(QString, key);
        const std::string k = key.toStdString();
        const Json& ref = reference()[k];
        const bool bleu = k.rfind("bleu", 0) == 0;
        PairedTestOptions o;
        o.kind = k.find("_ar_") != std::string::npos ? PairedTestKind::Randomization : PairedTestKind::Bootstrap;
        o.seed = std::stoull(k.substr(k.rfind('_') + 1));
        const Fixture& f = fixture();
        std::vector<std::pair<std::string, SegmentStats>> systems;
        for (size_t s = 0; s < f.names.size(); ++s)
            systems.emplace_back(f.names[s], bleu ? bleuSegmentTable(f.hyps[s], f.refs, {})
                                                  : chrfSegmentTable(f.hyps[s], f.refs, {}));
        const auto metric = bleu ? bleuCorpusMetric({}) : chrfCorpusMetric({});
        const auto results = pairedTest(systems, metric, o);
        const int64_t n = ref["samples"].get<int64_t>();
        QCOMPARE(int64_t(o.kind == PairedTestKind::Bootstrap ? 1000 : 10000), n);
        QCOMPARE(results.size(), ref["systems"].size());
        // sacreBLEU sums float32 statistics and, for chrF, divides them in
        // float32; BLEU's resampled scores are the same doubles.
        const double tol = bleu ? 1e-9 : 1e-5;
        for (size_t i = 0; i < results.size(); ++i) {
            const Json& r = ref["systems"][i];
            const auto& got = results[i];
            QCOMPARE(got.name, r["name"].get<std::string>());
            QVERIFY2(std::abs(got.score - r["score"].get<double>()) < 1e-9, got.name.c_str());
            QVERIFY(got.mean && got.ci);
            QVERIFY2(std::abs(*got.mean - r["mean"].get<double>()) < tol, got.name.c_str());
            QVERIFY2(std::abs(*got.ci - r["ci"].get<double>()) < tol, got.name.c_str());
            if (i == 0) {
                QVERIFY(!got.pValue);
                QVERIFY(r["p_value"].is_null());
                continue;
            }
            QVERIFY(got.pValue);
            if (got.name == "copy") {
                // The one deliberate difference: sacreBLEU's strict count
                // calls a copy of the baseline significant at 1/(n+1).
                QVERIFY(got.identicalToBaseline);
                QCOMPARE(*got.pValue, 1.0);
                QCOMPARE(r["p_value"].get<double>(), 1.0 / double(n + 1));
            } else {
                QVERIFY(!got.identicalToBaseline);
                QVERIFY2(std::abs(*got.pValue - r["p_value"].get<double>()) < 1e-12,
                         (got.name + ": " + std::to_string(*got.pValue) + " vs "
                          + std::to_string(r["p_value"].get<double>())).c_str());
            }
        }
    }

    void identicalSystemsGetPOne()
    {
        const std::vector<double> v = {0.2, 0.7, 0.4};
        for (auto kind : {PairedTestKind::Bootstrap, PairedTestKind::Randomization}) {
            PairedTestOptions o;
            o.kind = kind;
            const auto r = pairedTest(valueSystems({v, v}), meanCorpusMetric("accuracy"), o);
            QCOMPARE(*r[1].pValue, 1.0);
            QVERIFY(r[1].identicalToBaseline);
            QCOMPARE(r[1].score, r[0].score);
        }
    }

    void betterOnEverySegmentIsSignificant()
    {
        // Every resample differs by exactly 1, so the centred bootstrap
        // statistic is 0 < 1 each time: p = 1/1001.
        const auto r = pairedTest(valueSystems({{0, 0, 0}, {1, 1, 1}}), meanCorpusMetric("accuracy"));
        QCOMPARE(r[0].score, 0.0);
        QCOMPARE(r[1].score, 1.0);
        QCOMPARE(*r[1].pValue, 1.0 / 1001.0);
        QCOMPARE(*r[1].mean, 1.0);
        QCOMPARE(*r[1].ci, 0.0);
        // Approximate randomization over 3 segments: of the 8 swap patterns,
        // "none" and "all" give a difference of 1 (the rest 1/3), so the
        // exact p-value is 2/8; 10000 trials land within Monte-Carlo error.
        PairedTestOptions ar;
        ar.kind = PairedTestKind::Randomization;
        const auto a = pairedTest(valueSystems({{0, 0, 0}, {1, 1, 1}}), meanCorpusMetric("accuracy"), ar);
        QVERIFY2(std::abs(*a[1].pValue - 0.25) < 0.015, std::to_string(*a[1].pValue).c_str());
    }

    void bootstrapIntervalOfAMean()
    {
        // 1000 resamples of ten 0/1 values, five of them 1: the mean of
        // resampled means is near 0.5, the 95% half-width near
        // 1.96 * sqrt(0.25 / 10) = 0.31.
        const auto r = pairedTest(valueSystems({{0, 1, 0, 1, 0, 1, 0, 1, 0, 1}}), meanCorpusMetric("accuracy"));
        QCOMPARE(r[0].score, 0.5);
        QVERIFY(std::abs(*r[0].mean - 0.5) < 0.03);
        QVERIFY(std::abs(*r[0].ci - 0.31) < 0.05);
        QVERIFY(*r[0].low < 0.25 && *r[0].high > 0.75);
    }

    void mismatchedSystemsAreRefused()
    {
        auto systems = valueSystems({{1, 0, 1}, {1, 0}});
        try {
            pairedTest(systems, meanCorpusMetric("accuracy"));
            QFAIL("expected an error");
        } catch (const tb::Error& e) {
            QVERIFY2(std::string(e.what()).find("'s1' has 2 segments") != std::string::npos, e.what());
        }
    }

    void mcnemarExactByHand()
    {
        QCOMPARE(mcnemarExact(0, 0), 1.0);
        // b = 0, c = 5: 2 * (1/2)^5 = 1/16.
        QVERIFY(std::abs(mcnemarExact(0, 5) - 1.0 / 16) < 1e-12);
        // b = 4, c = 1: 2 * (C(5,0) + C(5,1)) / 32 = 12/32.
        QVERIFY(std::abs(mcnemarExact(4, 1) - 12.0 / 32) < 1e-12);
        QCOMPARE(mcnemarExact(3, 3), 1.0);
    }

    void compareCommandPrintsTheTest()
    {
        const auto r = cli({"compare", "--input", QString::fromStdString(kDir + "input.jsonl"), "--metric", "bleu"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const Json out = Json::parse(r.out);
        const Json& ref = reference()["bleu_bs_12345"];
        QCOMPARE(out["metric"].get<std::string>(), std::string("BLEU"));
        QCOMPARE(out["test"].get<std::string>(), std::string("bs"));
        QCOMPARE(out["samples"].get<int64_t>(), int64_t(1000));
        QCOMPARE(out["seed"].get<int64_t>(), int64_t(12345));
        QCOMPARE(out["baseline"].get<std::string>(), std::string("baseline"));
        QCOMPARE(out["systems"].size(), ref["systems"].size());
        QVERIFY(out["systems"][0]["p_value"].is_null());
        for (size_t i = 0; i < out["systems"].size(); ++i) {
            QCOMPARE(out["systems"][i]["name"], ref["systems"][i]["name"]);
            QVERIFY(std::abs(out["systems"][i]["score"].get<double>() - ref["systems"][i]["score"].get<double>()) < 1e-9);
            QVERIFY(std::abs(out["systems"][i]["mean"].get<double>() - ref["systems"][i]["mean"].get<double>()) < 1e-9);
        }
        QCOMPARE(out["systems"][1]["p_value"].get<double>(), ref["systems"][1]["p_value"].get<double>());

        // Another baseline goes first.
        const auto b = cli({"compare", "--input", QString::fromStdString(kDir + "input.jsonl"), "--metric", "chrf",
                            "--test", "ar", "--samples", "200", "--baseline", "better"});
        QVERIFY2(b.exitCode == 0, qPrintable(b.err));
        const Json bo = Json::parse(b.out);
        QCOMPARE(bo["baseline"].get<std::string>(), std::string("better"));
        QCOMPARE(bo["systems"][0]["name"].get<std::string>(), std::string("better"));
        QCOMPARE(bo["samples"].get<int64_t>(), int64_t(200));
    }

    void compareCommandNamesTheBadLine()
    {
        QTemporaryDir tmp;
        const std::string path = tmp.filePath("bad.jsonl").toStdString();
        std::ofstream(path) << R"({"id": "a", "refs": ["x y"], "hyps": {"A": "x y", "B": "x"}})" "\n"
                            << R"({"id": "b", "refs": ["x y"], "hyps": {"A": "x y", "B": 3}})" "\n";
        const auto r = cli({"compare", "--input", QString::fromStdString(path)});
        QVERIFY(r.exitCode != 0);
        QCOMPARE(r.err.trimmed().count('\n'), 0);
        QVERIFY2(r.err.contains("bad.jsonl:2") && r.err.contains("hyps.B"), qPrintable(r.err));

        std::ofstream(path) << R"({"id": "a", "refs": [], "hyps": {"A": "x"}})" "\n";
        const auto e = cli({"compare", "--input", QString::fromStdString(path)});
        QVERIFY(e.exitCode != 0);
        QVERIFY2(e.err.contains("bad.jsonl:1") && e.err.contains("'refs'"), qPrintable(e.err));
    }
};

QTEST_GUILESS_MAIN(TestSignificance)
#include "tst_significance.moc"
