#include "eval/chrf.h"

#include <set>

#include "common/error.h"
#include "eval/bleu.h"
#include "eval/ngrams.h"
#include "eval/pytext.h"

namespace tb::eval {

namespace {

constexpr int kMaxCharOrder = 6; // six 21-bit code points fill a GramKey
constexpr int kMaxWordOrder = 4; // four token ids fill a GramKey

void checkOptions(const ChrfOptions& options)
{
    if (options.charOrder < 1 || options.charOrder > kMaxCharOrder)
        throw Error("chrF: character order must be 1.." + std::to_string(kMaxCharOrder) + ", got "
                    + std::to_string(options.charOrder));
    if (options.wordOrder < 0 || options.wordOrder > kMaxWordOrder)
        throw Error("chrF: word order must be 0.." + std::to_string(kMaxWordOrder) + ", got "
                    + std::to_string(options.wordOrder));
    if (options.beta < 0)
        throw Error("chrF: beta must be >= 0, got " + std::to_string(options.beta));
}

// string.punctuation, the set chrF splits off word edges.
bool isAsciiPunct(char32_t c)
{
    return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60)
        || (c >= 0x7B && c <= 0x7E);
}

// CHRF._remove_punctuation(): one punctuation mark split off the end, else off the start.
std::vector<std::u32string_view> chrfWords(std::u32string_view sent)
{
    std::vector<std::u32string_view> out;
    for (auto w : py::split(sent)) {
        if (w.size() == 1) {
            out.push_back(w);
        } else if (isAsciiPunct(w.back())) {
            out.push_back(w.substr(0, w.size() - 1));
            out.push_back(w.substr(w.size() - 1));
        } else if (isAsciiPunct(w.front())) {
            out.push_back(w.substr(0, 1));
            out.push_back(w.substr(1));
        } else {
            out.push_back(w);
        }
    }
    return out;
}

// What one side of a segment contributes: its character sequence (without
// whitespace unless asked) and its chrF words as ids.
struct SideText {
    std::u32string text;
    std::u32string chars;
    std::vector<uint32_t> words;
};

void prepareSide(std::string_view raw, const ChrfOptions& options, SideText& side)
{
    py::decode(raw, side.text);
    if (options.lowercase)
        side.text = py::lower(side.text);
    side.chars.clear();
    if (options.whitespace) {
        side.chars = side.text;
    } else {
        for (char32_t c : side.text) {
            if (!py::isSpace(c))
                side.chars.push_back(c);
        }
    }
}

void assignWordIds(SideText& side, TokenIds& ids)
{
    side.words.clear();
    for (auto w : chrfWords(side.text))
        side.words.push_back(ids.id(w));
}

size_t gramCount(size_t length, int n) { return length >= size_t(n) ? length - n + 1 : 0; }

// CHRF._compute_f_score(), operation for operation.
double fScore(const std::vector<int64_t>& stats, const ChrfOptions& options)
{
    const double eps = 1e-16;
    const int order = options.charOrder + options.wordOrder;
    const int factor = options.beta * options.beta;
    double score = 0.0;
    int effectiveOrder = 0;
    double avgPrec = 0.0;
    double avgRec = 0.0;
    for (int i = 0; i < order; ++i) {
        const int64_t nHyp = stats[3 * i];
        const int64_t nRef = stats[3 * i + 1];
        const int64_t nMatch = stats[3 * i + 2];
        const double prec = nHyp > 0 ? double(nMatch) / double(nHyp) : eps;
        const double rec = nRef > 0 ? double(nMatch) / double(nRef) : eps;
        const double denom = factor * prec + rec;
        score += denom > 0 ? (1 + factor) * prec * rec / denom : eps;
        if (nHyp > 0 && nRef > 0) {
            avgPrec += prec;
            avgRec += rec;
            ++effectiveOrder;
        }
    }
    if (options.epsSmoothing)
        return 100 * score / order;
    if (effectiveOrder == 0) {
        avgPrec = avgRec = 0.0;
    } else {
        avgPrec /= effectiveOrder;
        avgRec /= effectiveOrder;
    }
    if (avgPrec + avgRec != 0.0) {
        score = (1 + factor) * avgPrec * avgRec;
        score /= (factor * avgPrec) + avgRec;
        return 100 * score;
    }
    return 0.0;
}

} // namespace

ChrfStats& ChrfStats::operator+=(const ChrfStats& o)
{
    if (values.empty())
        values.assign(o.values.size(), 0);
    for (size_t i = 0; i < values.size() && i < o.values.size(); ++i)
        values[i] += o.values[i];
    return *this;
}

ChrfStats chrfSegmentStats(std::string_view hyp, const std::vector<std::string>& refs, const ChrfOptions& options)
{
    checkOptions(options);
    if (refs.empty())
        throw Error("chrF: a hypothesis needs at least one reference, got none");
    // Scratch reused across segments: corpus chrF calls this once per line.
    thread_local std::vector<SideText> sides;
    thread_local TokenIds ids;
    thread_local ClippedCounter counter;
    thread_local std::vector<std::vector<int64_t>> stats;
    const size_t nSides = refs.size() + 1;
    sides.resize(nSides);
    prepareSide(hyp, options, sides[0]);
    for (size_t r = 0; r < refs.size(); ++r)
        prepareSide(refs[r], options, sides[r + 1]);
    if (options.wordOrder > 0) {
        size_t expected = 0;
        for (const auto& s : sides)
            expected += s.text.size() / 2 + 1;
        ids.reset(expected);
        for (auto& s : sides)
            assignWordIds(s, ids);
    }

    const int order = options.charOrder + options.wordOrder;
    stats.resize(refs.size());
    for (auto& s : stats)
        s.assign(size_t(3) * order, 0);
    // _get_match_statistics() for every order and reference.
    auto countOrder = [&](int o, auto gramsOf, auto keyOf) {
        const size_t hypGrams = gramsOf(sides[0]);
        counter.setHypothesis(hypGrams, [&](size_t i) { return keyOf(sides[0], i); });
        for (size_t r = 0; r < refs.size(); ++r) {
            const SideText& ref = sides[r + 1];
            const size_t refGrams = gramsOf(ref);
            const int64_t matches = counter.countReference(refGrams, [&](size_t i) { return keyOf(ref, i); });
            stats[r][3 * o] = refGrams > 0 ? int64_t(hypGrams) : 0;
            stats[r][3 * o + 1] = int64_t(refGrams);
            stats[r][3 * o + 2] = matches;
        }
    };
    for (int n = 1; n <= options.charOrder; ++n) {
        countOrder(
            n - 1, [n](const SideText& s) { return gramCount(s.chars.size(), n); },
            [n](const SideText& s, size_t i) { return charGram(s.chars.data() + i, n); });
    }
    for (int n = 1; n <= options.wordOrder; ++n) {
        countOrder(
            options.charOrder + n - 1, [n](const SideText& s) { return gramCount(s.words.size(), n); },
            [n](const SideText& s, size_t i) { return idGram(s.words.data() + i, n); });
    }

    // _compute_segment_statistics(): keep the reference with the best f-score.
    ChrfStats best;
    double bestF = -1.0;
    for (const auto& s : stats) {
        const double f = fScore(s, options);
        if (f > bestF) {
            bestF = f;
            best.values = s;
        }
    }
    return best;
}

ChrfScore chrfFromStats(const ChrfStats& stats, const ChrfOptions& options, const std::string& nrefs)
{
    checkOptions(options);
    const size_t expected = size_t(3) * (options.charOrder + options.wordOrder);
    if (stats.values.size() != expected)
        throw Error("chrF: statistics hold " + std::to_string(stats.values.size()) + " numbers, expected "
                    + std::to_string(expected) + " for these orders");
    ChrfScore out;
    out.score = fScore(stats.values, options);
    out.name = "chrF" + std::to_string(options.beta) + std::string(size_t(options.wordOrder), '+');
    out.signature = chrfSignature(options, nrefs);
    return out;
}

ChrfScore sentenceChrf(std::string_view hyp, const std::vector<std::string>& refs, const ChrfOptions& options)
{
    return chrfFromStats(chrfSegmentStats(hyp, refs, options), options, std::to_string(refs.size()));
}

ChrfScore corpusChrf(const std::vector<std::string>& hyps, const std::vector<std::vector<std::string>>& refs,
                     const ChrfOptions& options)
{
    if (hyps.size() != refs.size())
        throw Error("chrF: " + std::to_string(hyps.size()) + " hypotheses but " + std::to_string(refs.size())
                    + " reference lists; give one list per hypothesis");
    if (hyps.empty())
        throw Error("chrF: the corpus is empty; give at least one hypothesis");
    ChrfStats sum;
    std::set<size_t> refCounts;
    for (size_t i = 0; i < hyps.size(); ++i) {
        sum += chrfSegmentStats(hyps[i], refs[i], options);
        refCounts.insert(refs[i].size());
    }
    const std::string nrefs = refCounts.size() == 1 ? std::to_string(*refCounts.begin()) : "var";
    return chrfFromStats(sum, options, nrefs);
}

std::string chrfSignature(const ChrfOptions& options, const std::string& nrefs)
{
    return "nrefs:" + nrefs + "|case:" + (options.lowercase ? "lc" : "mixed") + "|eff:"
        + (options.epsSmoothing ? "no" : "yes") + "|nc:" + std::to_string(options.charOrder)
        + "|nw:" + std::to_string(options.wordOrder) + "|space:" + (options.whitespace ? "yes" : "no")
        + "|version:" + kSacrebleuVersion;
}

} // namespace tb::eval
