#include "eval/rouge.h"

#include <algorithm>
#include <unordered_map>

#include "common/error.h"
#include "eval/ngrams.h"
#include "eval/porter.h"
#include "eval/pytext.h"

namespace tb::eval {

namespace {

using Ids = std::vector<uint32_t>;

// scoring.fmeasure()
double fmeasure(double precision, double recall)
{
    if (precision + recall > 0)
        return 2 * precision * recall / (precision + recall);
    return 0.0;
}

// _score_ngrams() on _create_ngrams() counters.
RougePrf scoreNgrams(const Ids& target, const Ids& prediction, int n)
{
    thread_local ClippedCounter counter;
    const size_t targetGrams = target.size() >= size_t(n) ? target.size() - n + 1 : 0;
    const size_t predictionGrams = prediction.size() >= size_t(n) ? prediction.size() - n + 1 : 0;
    counter.setHypothesis(predictionGrams, [&](size_t i) { return idGram(prediction.data() + i, n); });
    const int64_t overlap = counter.countReference(targetGrams, [&](size_t i) { return idGram(target.data() + i, n); });
    RougePrf out;
    out.precision = double(overlap) / double(std::max<size_t>(predictionGrams, 1));
    out.recall = double(overlap) / double(std::max<size_t>(targetGrams, 1));
    out.fmeasure = fmeasure(out.precision, out.recall);
    return out;
}

size_t lcsLength(const Ids& a, const Ids& b)
{
    std::vector<size_t> prev(b.size() + 1, 0);
    std::vector<size_t> cur(b.size() + 1, 0);
    for (size_t i = 1; i <= a.size(); ++i) {
        for (size_t j = 1; j <= b.size(); ++j)
            cur[j] = a[i - 1] == b[j - 1] ? prev[j - 1] + 1 : std::max(prev[j], cur[j - 1]);
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

// _score_lcs()
RougePrf scoreLcs(const Ids& target, const Ids& prediction)
{
    RougePrf out;
    if (target.empty() || prediction.empty())
        return out;
    const double lcs = double(lcsLength(target, prediction));
    out.precision = lcs / double(prediction.size());
    out.recall = lcs / double(target.size());
    out.fmeasure = fmeasure(out.precision, out.recall);
    return out;
}

// One row of the LCS table: row[j] = LCS(ref[0..i), can[0..j)), from the row above.
void lcsRow(uint32_t refToken, const Ids& can, size_t cols, const uint32_t* above, uint32_t* row)
{
    row[0] = 0;
    for (size_t j = 1; j <= cols; ++j)
        row[j] = refToken == can[j - 1] ? above[j - 1] + 1 : std::max(above[j], row[j - 1]);
}

// lcs_ind(): indices into ref of one LCS, read back the way
// _backtrack_norec() breaks ties, since Lsum's union depends on which LCS.
// The whole table would take rows x cols cells (1.6 GB for a 20k-word
// pair); instead every k-th row (k ~ sqrt(rows)) is kept on a forward pass,
// and the backtrack recomputes one band of k rows at a time from the kept
// row above it: about 2 sqrt(rows) x cols cells, twice the arithmetic.
void markLcs(const Ids& ref, const Ids& can, std::vector<char>& inUnion)
{
    const size_t rows = ref.size();
    const size_t cols = can.size();
    if (rows == 0 || cols == 0)
        return;
    size_t k = 1;
    while (k * k < rows)
        ++k;
    const size_t width = cols + 1;
    std::vector<uint32_t> kept((rows / k + 1) * width, 0); // rows 0, k, 2k, ...
    std::vector<uint32_t> prev(width, 0), cur(width, 0);
    for (size_t i = 1; i <= rows; ++i) {
        lcsRow(ref[i - 1], can, cols, prev.data(), cur.data());
        std::swap(prev, cur);
        if (i % k == 0)
            std::copy(prev.begin(), prev.end(), kept.begin() + static_cast<std::ptrdiff_t>((i / k) * width));
    }
    std::vector<uint32_t> band((k + 1) * width, 0);
    size_t i = rows;
    size_t j = cols;
    while (i > 0 && j > 0) {
        // Rows top..i of the table, columns 0..j (the path never moves right).
        const size_t top = ((i - 1) / k) * k;
        std::copy_n(kept.begin() + static_cast<std::ptrdiff_t>((top / k) * width), j + 1, band.begin());
        for (size_t r = top + 1; r <= i; ++r)
            lcsRow(ref[r - 1], can, j, &band[(r - 1 - top) * width], &band[(r - top) * width]);
        auto at = [&](size_t r, size_t c) { return band[(r - top) * width + c]; };
        while (i > top && j > 0) {
            if (ref[i - 1] == can[j - 1]) {
                inUnion[i - 1] = 1;
                --i;
                --j;
            } else if (at(i, j - 1) > at(i - 1, j)) {
                --j;
            } else {
                --i;
            }
        }
    }
}

// _summary_level_lcs(): union LCS per reference sentence, each token counted
// at most as often as it occurs on both sides (as ROUGE-1.5.5 does).
RougePrf scoreSummaryLcs(const std::vector<Ids>& refSents, const std::vector<Ids>& canSents, size_t vocabSize)
{
    RougePrf out;
    if (refSents.empty() || canSents.empty())
        return out;
    size_t m = 0;
    size_t n = 0;
    std::vector<int64_t> refCounts(vocabSize + 1, 0);
    std::vector<int64_t> canCounts(vocabSize + 1, 0);
    for (const auto& s : refSents) {
        m += s.size();
        for (auto id : s)
            ++refCounts[id];
    }
    for (const auto& s : canSents) {
        n += s.size();
        for (auto id : s)
            ++canCounts[id];
    }
    if (n == 0 || m == 0)
        return out;

    int64_t hits = 0;
    std::vector<char> inUnion;
    for (const auto& r : refSents) {
        inUnion.assign(r.size(), 0);
        for (const auto& c : canSents)
            markLcs(r, c, inUnion);
        for (size_t i = 0; i < r.size(); ++i) {
            if (!inUnion[i])
                continue;
            const auto id = r[i];
            if (canCounts[id] > 0 && refCounts[id] > 0) {
                ++hits;
                --canCounts[id];
                --refCounts[id];
            }
        }
    }
    out.recall = double(hits) / double(m);
    out.precision = double(hits) / double(n);
    out.fmeasure = fmeasure(out.precision, out.recall);
    return out;
}

// get_sents(): split on "\n", drop empty pieces.
std::vector<std::string_view> sentences(std::string_view text)
{
    std::vector<std::string_view> out;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string_view::npos)
            end = text.size();
        if (end > start)
            out.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

} // namespace

std::vector<std::string> rougeTokenize(std::string_view text, bool useStemmer)
{
    // text.lower() then [^a-z0-9]+ -> " ": outside ASCII only U+0130 (lowercase
    // "i" + U+0307) and U+212A KELVIN SIGN (lowercase "k") leave a letter behind.
    std::string flat;
    flat.reserve(text.size());
    for (char32_t c : py::decode(text)) {
        if (c < 0x80) {
            if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
                flat.push_back(static_cast<char>(c));
            else if (c >= 'A' && c <= 'Z')
                flat.push_back(static_cast<char>(c + 32));
            else
                flat.push_back(' ');
        } else if (c == 0x130) {
            flat += "i ";
        } else if (c == 0x212A) {
            flat.push_back('k');
        } else {
            flat.push_back(' ');
        }
    }
    std::vector<std::string> tokens;
    size_t i = 0;
    while (i < flat.size()) {
        while (i < flat.size() && flat[i] == ' ')
            ++i;
        const size_t start = i;
        while (i < flat.size() && flat[i] != ' ')
            ++i;
        if (i == start)
            continue;
        std::string token = flat.substr(start, i - start);
        if (useStemmer && token.size() > 3) {
            // Text repeats its words; stemming dominates ROUGE without a memo.
            thread_local std::unordered_map<std::string, std::string> stems;
            if (stems.size() > 200000)
                stems.clear();
            auto it = stems.find(token);
            if (it == stems.end())
                it = stems.emplace(token, porterStem(token)).first;
            token = it->second;
        }
        if (!token.empty())
            tokens.push_back(std::move(token));
    }
    return tokens;
}

RougeScores rougeScore(std::string_view target, std::string_view prediction, const RougeOptions& options)
{
    const auto targetSents = sentences(target);
    const auto predictionSents = sentences(prediction);
    // Every token list stays alive (and unmodified) while `ids` holds views into it.
    std::vector<std::vector<std::string>> tokens;
    tokens.reserve(2 + targetSents.size() + predictionSents.size());
    tokens.push_back(rougeTokenize(target, options.useStemmer));
    tokens.push_back(rougeTokenize(prediction, options.useStemmer));
    for (auto s : targetSents)
        tokens.push_back(rougeTokenize(s, options.useStemmer));
    for (auto s : predictionSents)
        tokens.push_back(rougeTokenize(s, options.useStemmer));

    thread_local TokenIds ids;
    ids.reset(tokens[0].size() + tokens[1].size());
    std::vector<Ids> seqs(tokens.size());
    for (size_t t = 0; t < tokens.size(); ++t) {
        for (const auto& token : tokens[t])
            seqs[t].push_back(ids.id(std::string_view(token)));
    }
    size_t vocabSize = 0;
    for (const auto& seq : seqs) {
        for (auto id : seq)
            vocabSize = std::max<size_t>(vocabSize, id);
    }

    RougeScores out;
    out.rouge1 = scoreNgrams(seqs[0], seqs[1], 1);
    out.rouge2 = scoreNgrams(seqs[0], seqs[1], 2);
    out.rougeL = scoreLcs(seqs[0], seqs[1]);
    const std::vector<Ids> refSents(seqs.begin() + 2, seqs.begin() + 2 + targetSents.size());
    const std::vector<Ids> canSents(seqs.begin() + 2 + targetSents.size(), seqs.end());
    out.rougeLsum = scoreSummaryLcs(refSents, canSents, vocabSize);
    return out;
}

RougeScores rougeScoreMulti(const std::vector<std::string>& targets, std::string_view prediction,
                            const RougeOptions& options)
{
    if (targets.empty())
        throw Error("ROUGE: a prediction needs at least one reference, got none");
    std::vector<RougeScores> all;
    all.reserve(targets.size());
    for (const auto& t : targets)
        all.push_back(rougeScore(t, prediction, options));
    RougeScores best = all.front();
    // np.argmax: the first maximum wins.
    for (size_t i = 1; i < all.size(); ++i) {
        if (all[i].rouge1.fmeasure > best.rouge1.fmeasure)
            best.rouge1 = all[i].rouge1;
        if (all[i].rouge2.fmeasure > best.rouge2.fmeasure)
            best.rouge2 = all[i].rouge2;
        if (all[i].rougeL.fmeasure > best.rougeL.fmeasure)
            best.rougeL = all[i].rougeL;
        if (all[i].rougeLsum.fmeasure > best.rougeLsum.fmeasure)
            best.rougeLsum = all[i].rougeLsum;
    }
    return best;
}

RougeScores rougeMean(const std::vector<RougeScores>& scores)
{
    if (scores.empty())
        throw Error("ROUGE: cannot average an empty list of scores");
    RougeScores sum;
    auto add = [](RougePrf& a, const RougePrf& b) {
        a.precision += b.precision;
        a.recall += b.recall;
        a.fmeasure += b.fmeasure;
    };
    for (const auto& s : scores) {
        add(sum.rouge1, s.rouge1);
        add(sum.rouge2, s.rouge2);
        add(sum.rougeL, s.rougeL);
        add(sum.rougeLsum, s.rougeLsum);
    }
    const double n = double(scores.size());
    for (RougePrf* p : {&sum.rouge1, &sum.rouge2, &sum.rougeL, &sum.rougeLsum}) {
        p->precision /= n;
        p->recall /= n;
        p->fmeasure /= n;
    }
    return sum;
}

} // namespace tb::eval
