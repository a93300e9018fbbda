// Faults found by the adversarial pass (issue 12), evaluation side: ROUGE-L
// and ROUGE-Lsum on long texts. The union LCS of ROUGE-Lsum used to keep the
// whole rows x cols table (1.6 GB for a 20k-word pair, std::bad_alloc at
// 40k); it now keeps about 2 sqrt(rows) rows and must still pick exactly the
// LCS rouge_score's _backtrack_norec() picks.
#include "eval/rouge.h"

#include <sys/resource.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <QtTest>

using namespace tb::eval;

namespace {

using Tokens = std::vector<std::string>;

// rouge_score 0.1.2 (rouge_scorer.py) transcribed with its full table:
// _lcs_table(), _backtrack_norec(), _union_lcs(), _summary_level_lcs().
std::vector<size_t> lcsIndices(const Tokens& ref, const Tokens& can)
{
    const size_t rows = ref.size(), cols = can.size();
    std::vector<std::vector<size_t>> t(rows + 1, std::vector<size_t>(cols + 1, 0));
    for (size_t i = 1; i <= rows; ++i)
        for (size_t j = 1; j <= cols; ++j)
            t[i][j] = ref[i - 1] == can[j - 1] ? t[i - 1][j - 1] + 1 : std::max(t[i - 1][j], t[i][j - 1]);
    std::vector<size_t> lcs;
    size_t i = rows, j = cols;
    while (i > 0 && j > 0) {
        if (ref[i - 1] == can[j - 1]) {
            lcs.insert(lcs.begin(), i - 1);
            --i;
            --j;
        } else if (t[i][j - 1] > t[i - 1][j]) {
            --j;
        } else {
            --i;
        }
    }
    return lcs;
}

RougePrf summaryLevelLcs(const std::vector<Tokens>& refSents, const std::vector<Tokens>& canSents)
{
    RougePrf out;
    size_t m = 0, n = 0;
    std::map<std::string, int> refCounts, canCounts;
    for (const auto& s : refSents) {
        m += s.size();
        for (const auto& t : s)
            ++refCounts[t];
    }
    for (const auto& s : canSents) {
        n += s.size();
        for (const auto& t : s)
            ++canCounts[t];
    }
    if (m == 0 || n == 0)
        return out;
    int hits = 0;
    for (const auto& r : refSents) {
        std::set<size_t> unionIdx;
        for (const auto& c : canSents)
            for (size_t i : lcsIndices(r, c))
                unionIdx.insert(i);
        for (size_t i : unionIdx) {
            const auto& t = r[i];
            if (canCounts[t] > 0 && refCounts[t] > 0) {
                ++hits;
                --canCounts[t];
                --refCounts[t];
            }
        }
    }
    out.recall = double(hits) / double(m);
    out.precision = double(hits) / double(n);
    out.fmeasure = out.precision + out.recall > 0 ? 2 * out.precision * out.recall / (out.precision + out.recall) : 0;
    return out;
}

// Sentences of words drawn from a small vocabulary, so LCS ties are common
// and a wrong tie-break changes the union.
std::vector<Tokens> randomSentences(std::mt19937& rng, int sentences, int maxWords, int vocabulary)
{
    std::vector<Tokens> out(static_cast<size_t>(sentences));
    for (auto& s : out) {
        const int words = 1 + static_cast<int>(rng() % static_cast<unsigned>(maxWords));
        for (int w = 0; w < words; ++w)
            s.push_back("w" + std::to_string(rng() % static_cast<unsigned>(vocabulary)));
    }
    return out;
}

std::string join(const std::vector<Tokens>& sentences)
{
    std::string text;
    for (const auto& s : sentences) {
        if (!text.empty())
            text += "\n";
        for (size_t i = 0; i < s.size(); ++i)
            text += (i ? " " : "") + s[i];
    }
    return text;
}

long peakRssKb()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

} // namespace

class TestFaultsEval : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // First, while the process is small: a 20k-word pair (one sentence each)
    // must not raise the peak memory by more than a few tens of MB.
    void rougeOnA20kWordPairNeedsLittleMemory()
    {
        std::mt19937 rng(7);
        Tokens a, b;
        for (int i = 0; i < 20000; ++i) {
            a.push_back("w" + std::to_string(rng() % 50));
            b.push_back("w" + std::to_string(rng() % 50));
        }
        const std::string ta = join({a}), tb = join({b});
        const long before = peakRssKb();
        const RougeScores s = rougeScore(ta, tb);
        const long grownMb = (peakRssKb() - before) / 1024;
        QVERIFY2(grownMb < 150, qPrintable(QString("peak memory grew by %1 MB").arg(grownMb)));
        // One sentence each: the union LCS is the LCS, every token within its counts.
        qInfo("peak memory grew by %ld MB; ROUGE-L F %.4f", grownMb, s.rougeL.fmeasure);
        // Two random texts over 50 words share a long subsequence, not all of it.
        QVERIFY(s.rougeL.fmeasure > 0.1 && s.rougeL.fmeasure < 1.0);
        QCOMPARE(s.rougeLsum.fmeasure, s.rougeL.fmeasure);
        QCOMPARE(s.rougeLsum.recall, s.rougeL.recall);
    }

    // Many small multi-sentence pairs, some with long sentences so the
    // backtrack crosses several bands: the same numbers as the full table.
    void rougeLsumEqualsTheFullTableResult()
    {
        std::mt19937 rng(11);
        int compared = 0;
        for (int round = 0; round < 300; ++round) {
            const int maxWords = round % 3 == 0 ? 120 : 12;
            const auto ref = randomSentences(rng, 1 + round % 4, maxWords, 2 + round % 7);
            const auto can = randomSentences(rng, 1 + (round / 4) % 4, maxWords, 2 + round % 7);
            const RougePrf want = summaryLevelLcs(ref, can);
            const RougePrf got = rougeScore(join(ref), join(can)).rougeLsum;
            QCOMPARE(got.precision, want.precision);
            QCOMPARE(got.recall, want.recall);
            QCOMPARE(got.fmeasure, want.fmeasure);
            ++compared;
        }
        QCOMPARE(compared, 300);
    }
};

QTEST_APPLESS_MAIN(TestFaultsEval)
#include "tst_faults_eval.moc"
