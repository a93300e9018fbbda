// Text metrics against their reference implementations' own outputs, stored
// in tests/fixtures/eval/reference.json by make_reference.py (sacreBLEU 2.6.0,
// rouge_score 0.1.2 with NLTK 3.8's Porter stemmer, the official SQuAD v1.1
// scoring functions; see the README there), plus hand-worked label and
// correlation metrics (cross-checked with scikit-learn 1.2 / SciPy 1.10).
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <QtTest>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "eval/bleu.h"
#include "eval/chrf.h"
#include "eval/classification.h"
#include "eval/metric_command.h"
#include "eval/porter.h"
#include "eval/qa.h"
#include "eval/rouge.h"

using namespace tb::eval;
using Json = nlohmann::json;

namespace {

constexpr double kTol = 1e-4;

struct Case {
    std::string hyp;
    std::vector<std::string> refs;
};

const std::string kDir = std::string(TB_FIXTURES_DIR) + "/eval/";

std::vector<std::pair<std::string, Case>> loadCases()
{
    std::ifstream in(kDir + "cases.jsonl");
    std::vector<std::pair<std::string, Case>> out;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty())
            continue;
        const Json j = Json::parse(line);
        out.emplace_back(j["id"].get<std::string>(),
                         Case{j["hyp"].get<std::string>(), j["refs"].get<std::vector<std::string>>()});
    }
    return out;
}

const Json& reference()
{
    static const Json ref = [] {
        std::ifstream in(kDir + "reference.json");
        return Json::parse(in);
    }();
    return ref;
}

bool near(double a, double b) { return std::fabs(a - b) <= kTol; }

// A QVERIFY2 message naming the fixture entry that disagrees.
#define EXPECT_NEAR(actual, expected, what)                                                              \
    QVERIFY2(near((actual), (expected)),                                                                 \
             qPrintable(QString::fromStdString(what) + QStringLiteral(": got %1, expected %2")           \
                            .arg((actual), 0, 'g', 17)                                                   \
                            .arg((expected), 0, 'g', 17)))

void compareBleu(const BleuScore& got, const Json& want, const std::string& what)
{
    EXPECT_NEAR(got.score, want["score"].get<double>(), what + " score");
    EXPECT_NEAR(got.bp, want["bp"].get<double>(), what + " bp");
    QCOMPARE(got.sysLen, want["sys_len"].get<int64_t>());
    QCOMPARE(got.refLen, want["ref_len"].get<int64_t>());
    for (int n = 0; n < kBleuMaxOrder; ++n) {
        EXPECT_NEAR(got.precisions[n], want["precisions"][n].get<double>(), what + " precision " + std::to_string(n + 1));
        EXPECT_NEAR(got.counts[n], want["counts"][n].get<double>(), what + " count " + std::to_string(n + 1));
        EXPECT_NEAR(got.totals[n], want["totals"][n].get<double>(), what + " total " + std::to_string(n + 1));
    }
    QCOMPARE(got.signature, want["signature"].get<std::string>());
}

void compareRouge(const RougeScores& got, const Json& want, const std::string& what)
{
    const std::pair<const char*, const RougePrf*> types[] = {
        {"rouge1", &got.rouge1}, {"rouge2", &got.rouge2}, {"rougeL", &got.rougeL}, {"rougeLsum", &got.rougeLsum}};
    for (const auto& [name, prf] : types) {
        const Json& w = want[name];
        EXPECT_NEAR(prf->precision, w["precision"].get<double>(), what + " " + name + " precision");
        EXPECT_NEAR(prf->recall, w["recall"].get<double>(), what + " " + name + " recall");
        EXPECT_NEAR(prf->fmeasure, w["fmeasure"].get<double>(), what + " " + name + " fmeasure");
    }
}

ChrfOptions chrfVariant(const std::string& name)
{
    ChrfOptions o;
    if (name == "chrf++")
        o.wordOrder = 2;
    else if (name == "chrf_lc")
        o.lowercase = true;
    else if (name == "chrf_eps")
        o.epsSmoothing = true;
    else if (name == "chrf_space")
        o.whitespace = true;
    else if (name != "chrf")
        qFatal("unknown chrF variant %s in reference.json", name.c_str());
    return o;
}

std::vector<std::pair<std::string, Case>> subset(const std::string& name)
{
    std::vector<std::pair<std::string, Case>> out;
    for (auto& c : loadCases()) {
        if (name == "all" || c.second.refs.size() == 1)
            out.push_back(c);
    }
    return out;
}

std::string writeTemp(const QTemporaryDir& dir, const std::string& name, const std::string& text)
{
    const std::string path = dir.path().toStdString() + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

std::vector<Json> runLines(const MetricCommandOptions& options)
{
    std::ostringstream out;
    runMetricCommand(options, out);
    std::vector<Json> lines;
    std::istringstream in(out.str());
    std::string line;
    while (std::getline(in, line))
        lines.push_back(Json::parse(line));
    return lines;
}

} // namespace

class TestMetrics : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void fixturesArePresent()
    {
        QVERIFY(loadCases().size() >= 30);
        QCOMPARE(reference()["versions"]["sacrebleu"].get<std::string>(), std::string(kSacrebleuVersion));
    }

    void sentenceBleuMatchesSacrebleu()
    {
        std::map<std::string, Case> cases;
        for (auto& c : loadCases())
            cases.insert(c);
        int checked = 0;
        for (const Json& e : reference()["bleu_sentence"]) {
            const Case& c = cases.at(e["id"].get<std::string>());
            BleuOptions o = BleuOptions::sentenceDefaults();
            o.tokenize = parseBleuTokenize(e["tokenize"].get<std::string>());
            o.smooth = parseBleuSmooth(e["smooth"].get<std::string>());
            o.lowercase = e["lowercase"].get<bool>();
            compareBleu(sentenceBleu(c.hyp, c.refs, o), e, e["id"].get<std::string>() + " " + e["tokenize"].get<std::string>() + "/" + e["smooth"].get<std::string>());
            ++checked;
        }
        QVERIFY(checked > 250);
    }

    void corpusBleuMatchesSacrebleu()
    {
        for (const Json& e : reference()["bleu_corpus"]) {
            std::vector<std::string> hyps;
            std::vector<std::vector<std::string>> refs;
            for (auto& [id, c] : subset(e["subset"].get<std::string>())) {
                hyps.push_back(c.hyp);
                refs.push_back(c.refs);
            }
            BleuOptions o;
            o.tokenize = parseBleuTokenize(e["tokenize"].get<std::string>());
            o.smooth = parseBleuSmooth(e["smooth"].get<std::string>());
            o.lowercase = e["lowercase"].get<bool>();
            compareBleu(corpusBleu(hyps, refs, o), e, "corpus " + e["subset"].get<std::string>() + " " + e["tokenize"].get<std::string>() + "/" + e["smooth"].get<std::string>());
        }
    }

    void bleuTokenizersSplitAsMteval()
    {
        // 13a keeps thousands/decimal separators between digits, splits the rest.
        QCOMPARE(bleuTokenize("It costs $1,234.56, ok.", BleuTokenize::Tok13a), std::string("It costs $ 1,234.56 , ok ."));
        QCOMPARE(bleuTokenize("He said &quot;hi&quot;", BleuTokenize::Tok13a), std::string("He said \" hi \""));
        // intl: a number followed by the final period keeps it (mteval-v14 quirk).
        QCOMPARE(bleuTokenize("The year 2019.", BleuTokenize::Intl), std::string("The year 2019."));
        QCOMPARE(bleuTokenize("a b", BleuTokenize::Char), std::string("a   b"));
        QCOMPARE(bleuTokenize("ΣΟΦΟΣ ΚΑΙ", BleuTokenize::None, true), std::string("σοφος και"));
    }

    void bleuRejectsMissingReferences()
    {
        QVERIFY_THROWS_EXCEPTION(tb::Error, sentenceBleu("a b", {}));
        QVERIFY_THROWS_EXCEPTION(tb::Error, corpusBleu({"a"}, {}));
        QVERIFY_THROWS_EXCEPTION(tb::Error, parseBleuTokenize("zh"));
    }

    void sentenceChrfMatchesSacrebleu()
    {
        std::map<std::string, Case> cases;
        for (auto& c : loadCases())
            cases.insert(c);
        for (const Json& e : reference()["chrf_sentence"]) {
            const Case& c = cases.at(e["id"].get<std::string>());
            const ChrfScore s = sentenceChrf(c.hyp, c.refs, chrfVariant(e["variant"].get<std::string>()));
            const std::string what = e["id"].get<std::string>() + " " + e["variant"].get<std::string>();
            EXPECT_NEAR(s.score, e["score"].get<double>(), what);
            QCOMPARE(s.name, e["name"].get<std::string>());
            QCOMPARE(s.signature, e["signature"].get<std::string>());
        }
    }

    void corpusChrfMatchesSacrebleu()
    {
        for (const Json& e : reference()["chrf_corpus"]) {
            std::vector<std::string> hyps;
            std::vector<std::vector<std::string>> refs;
            for (auto& [id, c] : subset(e["subset"].get<std::string>())) {
                hyps.push_back(c.hyp);
                refs.push_back(c.refs);
            }
            const ChrfScore s = corpusChrf(hyps, refs, chrfVariant(e["variant"].get<std::string>()));
            EXPECT_NEAR(s.score, e["score"].get<double>(), "corpus " + e["subset"].get<std::string>() + " " + e["variant"].get<std::string>());
            QCOMPARE(s.signature, e["signature"].get<std::string>());
        }
    }

    void sentenceRougeMatchesRougeScore()
    {
        std::map<std::string, Case> cases;
        for (auto& c : loadCases())
            cases.insert(c);
        for (const Json& e : reference()["rouge_sentence"]) {
            const Case& c = cases.at(e["id"].get<std::string>());
            RougeOptions o;
            o.useStemmer = e["stemmer"].get<bool>();
            compareRouge(rougeScoreMulti(c.refs, c.hyp, o), e,
                         e["id"].get<std::string>() + (o.useStemmer ? " stemmed" : ""));
        }
    }

    void corpusRougeIsTheMeanOfSegments()
    {
        for (const Json& e : reference()["rouge_corpus"]) {
            RougeOptions o;
            o.useStemmer = e["stemmer"].get<bool>();
            std::vector<RougeScores> all;
            for (auto& [id, c] : subset(e["subset"].get<std::string>()))
                all.push_back(rougeScoreMulti(c.refs, c.hyp, o));
            compareRouge(rougeMean(all), e, "corpus " + e["subset"].get<std::string>());
        }
    }

    void rougeTokenizerKeepsOnlyAsciiAlphanumerics()
    {
        const std::vector<std::string> want = {"i", "stanbul", "is", "300k", "caf", "na", "ve"};
        QCOMPARE(rougeTokenize("İstanbul is 300K café naïve", false), want);
        QVERIFY_THROWS_EXCEPTION(tb::Error, rougeScoreMulti({}, "x"));
    }

    void porterStemsMatchNltk()
    {
        QCOMPARE(reference()["porter_mode"].get<std::string>(), std::string("NLTK_EXTENSIONS"));
        for (const auto& [word, stem] : reference()["porter"].items())
            QVERIFY2(porterStem(word) == stem.get<std::string>(),
                     qPrintable(QString::fromStdString(word + " -> " + porterStem(word) + ", NLTK " + stem.get<std::string>())));
    }

    void squadMatchesOfficialScript()
    {
        std::ifstream in(kDir + "squad_cases.jsonl");
        std::map<std::string, Json> cases;
        std::string line;
        while (std::getline(in, line)) {
            if (!line.empty()) {
                Json j = Json::parse(line);
                cases[j["id"].get<std::string>()] = j;
            }
        }
        QVERIFY(!reference()["squad"].empty());
        for (const Json& e : reference()["squad"]) {
            const Json& c = cases.at(e["id"].get<std::string>());
            const auto prediction = c["prediction"].get<std::string>();
            const auto answers = c["answers"].get<std::vector<std::string>>();
            const std::string what = e["id"].get<std::string>();
            QCOMPARE(squadNormalize(prediction), e["normalized_prediction"].get<std::string>());
            EXPECT_NEAR(squadExactMatchMax(prediction, answers), e["exact_match"].get<double>(), what + " EM");
            EXPECT_NEAR(squadF1Max(prediction, answers), e["f1"].get<double>(), what + " F1");
        }
    }

    void accuracyCountsExactLabelMatches()
    {
        QCOMPARE(accuracy(std::vector<std::string>{"a", "b", "a", "c"}, std::vector<std::string>{"a", "b", "c", "c"}), 0.75);
        QVERIFY_THROWS_EXCEPTION(tb::Error, accuracy(std::vector<int64_t>{1, 2}, std::vector<int64_t>{1}));
        QVERIFY_THROWS_EXCEPTION(tb::Error, accuracy(std::vector<int64_t>{}, std::vector<int64_t>{}));
    }

    void macroF1AveragesPerClassF1()
    {
        // Per class F1 = 2TP / (2TP + FP + FN): 2/4, 4/5, 2/3 -> mean 59/90.
        QVERIFY(std::fabs(macroF1(std::vector<int64_t>{0, 0, 1, 1, 2, 2}, std::vector<int64_t>{0, 1, 1, 1, 2, 0}) - 59.0 / 90.0) < 1e-12);
        // A label only predicted counts with F1 0: (2/3 + 1 + 0) / 3.
        QVERIFY(std::fabs(macroF1(std::vector<std::string>{"x", "x", "y"}, std::vector<std::string>{"x", "z", "y"}) - 5.0 / 9.0) < 1e-12);
    }

    void matthewsCorrelationBinaryAndMulticlass()
    {
        // TP 3, TN 3, FP 1, FN 1: (9 - 1) / sqrt(4 * 4 * 4 * 4) = 0.5.
        QVERIFY(std::fabs(matthewsCorrelation(std::vector<int64_t>{1, 1, 1, 0, 0, 0, 1, 0}, std::vector<int64_t>{1, 0, 1, 0, 1, 0, 1, 0}) - 0.5) < 1e-12);
        // Row sums t = (2,2,2), column sums p = (2,3,1), trace 4, n 6:
        // (4*6 - 12) / sqrt((36 - 12) * (36 - 14)) = 12 / sqrt(528).
        QVERIFY(std::fabs(matthewsCorrelation(std::vector<int64_t>{0, 0, 1, 1, 2, 2}, std::vector<int64_t>{0, 1, 1, 1, 2, 0}) - 12.0 / std::sqrt(528.0)) < 1e-12);
        QCOMPARE(matthewsCorrelation(std::vector<int64_t>{0, 1, 2}, std::vector<int64_t>{1, 1, 1}), 0.0);
    }

    void pearsonAndSpearmanByHand()
    {
        const std::vector<double> x = {1, 2, 3, 4, 5};
        const std::vector<double> y = {2, 4, 5, 4, 5};
        // Deviations (-2,-1,0,1,2) and (-2,0,1,0,1): 6 / sqrt(10 * 6).
        QVERIFY(std::fabs(pearson(x, y) - 6.0 / std::sqrt(60.0)) < 1e-12);
        // Ties share ranks: y -> (1, 2.5, 4.5, 2.5, 4.5); 7 / sqrt(10 * 9).
        QCOMPARE(averageRanks(y), (std::vector<double>{1, 2.5, 4.5, 2.5, 4.5}));
        QVERIFY(std::fabs(spearman(x, y) - 7.0 / std::sqrt(90.0)) < 1e-12);
        QVERIFY(std::fabs(spearman({1, 2, 3}, {1, 8, 27}) - 1.0) < 1e-12);
        QVERIFY(std::isnan(pearson({1, 2, 3}, {5, 5, 5})));
        QVERIFY_THROWS_EXCEPTION(tb::Error, pearson({1}, {2}));
    }

    void perplexityIsExpOfMeanNll()
    {
        QVERIFY(std::fabs(perplexity(4 * std::log(8.0), 4) - 8.0) < 1e-12);
        QCOMPARE(perplexity(0.0, 10), 1.0);
        QVERIFY_THROWS_EXCEPTION(tb::Error, perplexity(1.0, 0));
    }

    void metricCommandPrintsSentenceLines()
    {
        QTemporaryDir dir;
        const std::string path = writeTemp(dir, "in.jsonl",
                                           "{\"id\": \"a\", \"hyp\": \"The cat sat on the mat.\", \"refs\": [\"The cat is on the mat.\"]}\n"
                                           "\n"
                                           "{\"hyp\": \"hello there\", \"refs\": [\"hello here\", \"hi there\"]}\n");
        MetricCommandOptions o;
        o.inputPath = path;
        o.level = MetricLevel::Sentence;
        const auto bleu = runLines(o);
        QCOMPARE(bleu.size(), size_t(2));
        QCOMPARE(bleu[0]["id"].get<std::string>(), std::string("a"));
        QCOMPARE(bleu[1]["id"].get<int>(), 3); // no id: the line number
        const BleuScore want = sentenceBleu("hello there", {"hello here", "hi there"});
        QCOMPARE(bleu[1]["bleu"]["score"].get<double>(), want.score);
        QCOMPARE(bleu[1]["bleu"]["counts"][0].get<int>(), 2);
        QCOMPARE(bleu[1]["bleu"]["signature"].get<std::string>(), want.signature);

        o.metric = MetricKind::Rouge;
        o.stemmer = true;
        const auto rouge = runLines(o);
        QCOMPARE(rouge.size(), size_t(2));
        QVERIFY(rouge[0].contains("rougeLsum"));

        o.metric = MetricKind::Chrf;
        o.wordOrder = 2;
        o.level = MetricLevel::Corpus;
        const auto chrf = runLines(o);
        QCOMPARE(chrf.size(), size_t(1));
        QCOMPARE(chrf[0]["segments"].get<int>(), 2);
        QCOMPARE(chrf[0]["chrf"]["score"].get<double>(),
                 corpusChrf({"The cat sat on the mat.", "hello there"}, {{"The cat is on the mat."}, {"hello here", "hi there"}},
                            ChrfOptions::chrfPlusPlus()).score);
    }

    void metricCommandReadsRougeRefField()
    {
        QTemporaryDir dir;
        const std::string path = writeTemp(dir, "r.jsonl", "{\"id\": 1, \"hyp\": \"a b c\", \"ref\": \"a b d\"}\n");
        MetricCommandOptions o;
        o.metric = MetricKind::Rouge;
        o.inputPath = path;
        const auto lines = runLines(o);
        QCOMPARE(lines.size(), size_t(1));
        QCOMPARE(lines[0]["aggregate"].get<std::string>(), std::string("mean"));
        QVERIFY(std::fabs(lines[0]["rouge1"]["fmeasure"].get<double>() - 2.0 / 3.0) < 1e-12);
    }

    void metricCommandGivesTheSameResultOnAnyThreadCount()
    {
        // 1,000 lines (several chunks) from the fixture cases: the output of
        // 3 threads must equal one thread's, byte for byte, and the earliest
        // bad line is the one reported.
        QTemporaryDir dir;
        std::string text;
        const char* hyps[] = {"The cat sat on the mat.", "", "A 1,234.5 test -- with \"quotes\"", "東京 is big!"};
        const char* refs[] = {"the cat is on the mat", "nothing", "A 1,234.5 test with quotes", "東京 is large!"};
        for (int i = 0; i < 1000; ++i)
            text += Json({{"id", i}, {"hyp", hyps[i % 4]}, {"refs", {refs[(i + i / 4) % 4], refs[i % 4]}}}).dump() + "\n";
        MetricCommandOptions o;
        o.inputPath = writeTemp(dir, "many.jsonl", text);
        for (MetricKind kind : {MetricKind::Bleu, MetricKind::Chrf, MetricKind::Rouge}) {
            for (MetricLevel level : {MetricLevel::Sentence, MetricLevel::Corpus}) {
                o.metric = kind;
                o.level = level;
                std::ostringstream one, three;
                o.threads = 1;
                runMetricCommand(o, one);
                o.threads = 3;
                runMetricCommand(o, three);
                QCOMPARE(three.str(), one.str());
                QVERIFY(!one.str().empty());
            }
        }
        std::string bad = text;
        bad += "{\"id\": 1000, \"hyp\": 5, \"refs\": [\"x\"]}\n";
        for (int i = 0; i < 600; ++i)
            bad += "{\"id\": \"late\", \"hyp\": \"x\"}\n";
        o.inputPath = writeTemp(dir, "bad.jsonl", bad);
        o.threads = 3;
        try {
            runLines(o);
            QFAIL("expected tb::Error");
        } catch (const tb::Error& e) {
            QVERIFY2(std::string(e.what()).find(":1001: field 'hyp'") != std::string::npos, e.what());
        }
    }

    void metricCommandErrorsNameFileLineAndField()
    {
        QTemporaryDir dir;
        const std::string path = writeTemp(dir, "bad.jsonl",
                                           "{\"id\": 1, \"hyp\": \"x\", \"refs\": [\"y\"]}\n"
                                           "{\"id\": 2, \"hyp\": \"x\", \"refs\": [\"y\", 3]}\n");
        MetricCommandOptions o;
        o.inputPath = path;
        try {
            runLines(o);
            QFAIL("expected tb::Error");
        } catch (const tb::Error& e) {
            const std::string msg = e.what();
            QVERIFY2(msg.find(path + ":2: field 'refs[1]'") != std::string::npos, e.what());
        }
        const std::string noHyp = writeTemp(dir, "nohyp.jsonl", "{\"refs\": [\"y\"]}\n");
        o.inputPath = noHyp;
        try {
            runLines(o);
            QFAIL("expected tb::Error");
        } catch (const tb::Error& e) {
            QVERIFY2(std::string(e.what()).find(noHyp + ":1: field 'hyp'") != std::string::npos, e.what());
        }
        o.inputPath = writeTemp(dir, "json.jsonl", "{not json\n");
        QVERIFY_THROWS_EXCEPTION(tb::Error, runLines(o));
        o.inputPath = dir.path().toStdString() + "/missing.jsonl";
        QVERIFY_THROWS_EXCEPTION(tb::Error, runLines(o));
        QVERIFY_THROWS_EXCEPTION(tb::Error, parseMetricKind("meteor"));
    }
};

QTEST_GUILESS_MAIN(TestMetrics)
#include "tst_metrics.moc"
