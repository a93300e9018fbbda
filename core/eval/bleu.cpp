#include "eval/bleu.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "common/error.h"
#include "eval/ngrams.h"
#include "eval/pytext.h"

namespace tb::eval {

namespace {

// The 13a passes run on code points (std::u32string) or, for valid UTF-8
// without lower-casing, on the bytes themselves (std::string): every
// character those passes test or insert is ASCII, a multi-byte character's
// bytes are all >= 0x80 and match only "not a digit" -- as the character
// does -- and a pair match that takes its lead byte leaves the continuation
// bytes to be copied, so both give the same text.
template <class C>
char32_t codeOf(C c)
{
    if constexpr (sizeof(C) == 1)
        return static_cast<unsigned char>(c);
    else
        return c;
}

// An ASCII literal as a string of C.
template <class C>
std::basic_string<C> widen(std::string_view ascii)
{
    return std::basic_string<C>(ascii.begin(), ascii.end());
}

// Python str.replace(): every non-overlapping occurrence, left to right.
template <class C>
void replaceAll(std::basic_string<C>& s, const std::basic_string<C>& from, const std::basic_string<C>& to)
{
    size_t pos = s.find(from);
    if (pos == std::basic_string<C>::npos)
        return;
    std::basic_string<C> out;
    out.reserve(s.size());
    size_t start = 0;
    while (pos != std::basic_string<C>::npos) {
        out.append(s, start, pos - start);
        out.append(to);
        start = pos + from.size();
        pos = s.find(from, start);
    }
    out.append(s, start, std::basic_string<C>::npos);
    s.swap(out);
}

enum class PairLayout {
    SpaceAfterEach, // r'\1 \2 '
    SpaceBeforeEach // r' \1 \2'
};

// re.sub of a two-character pattern `(A)(B)` from `in` into `out`: scan left
// to right, a match consumes both characters, so matches never overlap.
template <class C, class First, class Second>
void substitutePairs(const std::basic_string<C>& in, std::basic_string<C>& out, First first, Second second,
                     PairLayout layout)
{
    const size_t n = in.size();
    out.resize(2 * n); // a match turns 2 characters into 4
    C* o = out.data();
    size_t i = 0;
    while (i < n) {
        if (i + 1 < n && first(codeOf(in[i])) && second(codeOf(in[i + 1]))) {
            if (layout == PairLayout::SpaceAfterEach) {
                *o++ = in[i];
                *o++ = C(' ');
                *o++ = in[i + 1];
                *o++ = C(' ');
            } else {
                *o++ = C(' ');
                *o++ = in[i];
                *o++ = C(' ');
                *o++ = in[i + 1];
            }
            i += 2;
        } else {
            *o++ = in[i];
            ++i;
        }
    }
    out.resize(size_t(o - out.data()));
}

// re.sub(r'(X)', r' \1 ', ...) from `in` into `out`, with optional padding
// spaces around the whole line (13a's f' {line} ').
template <class C, class Pred>
void padSingles(const std::basic_string<C>& in, std::basic_string<C>& out, Pred pred, bool padLine)
{
    out.resize(3 * in.size() + 2);
    C* o = out.data();
    if (padLine)
        *o++ = C(' ');
    for (C c : in) {
        if (pred(codeOf(c))) {
            *o++ = C(' ');
            *o++ = c;
            *o++ = C(' ');
        } else {
            *o++ = c;
        }
    }
    if (padLine)
        *o++ = C(' ');
    out.resize(size_t(o - out.data()));
}

inline bool isAsciiDigit(char32_t c) { return c >= U'0' && c <= U'9'; }

// tokenizer_re.py: [\{-\~\[-\` -\&\(-\+\:-\@\/]
inline bool is13aSymbol(char32_t c)
{
    return (c >= 0x7B && c <= 0x7E) || (c >= 0x5B && c <= 0x60) || (c >= 0x20 && c <= 0x26)
        || (c >= 0x28 && c <= 0x2B) || (c >= 0x3A && c <= 0x40) || c == U'/';
}

// The literals 13a replaces, as strings of C.
template <class C>
struct Literals13a {
    const std::basic_string<C> skipped = widen<C>("<skipped>"), dashNewline = widen<C>("-\n"),
                               newline = widen<C>("\n"), space = widen<C>(" "), empty, quotEntity = widen<C>("&quot;"),
                               quot = widen<C>("\""), ampEntity = widen<C>("&amp;"), amp = widen<C>("&"),
                               ltEntity = widen<C>("&lt;"), lt = widen<C>("<"), gtEntity = widen<C>("&gt;"),
                               gt = widen<C>(">");
};

// tokenizer_13a.py + tokenizer_re.py (mteval-v13a), without the final
// whitespace collapse (callers split on whitespace anyway). Passes that
// cannot match are skipped; each pass writes `tmp` and swaps it in.
template <class C>
void tokenize13a(std::basic_string<C>& s, std::basic_string<C>& tmp)
{
    static const Literals13a<C> k;
    replaceAll(s, k.skipped, k.empty);
    replaceAll(s, k.dashNewline, k.empty);
    replaceAll(s, k.newline, k.space);
    if (s.find(C('&')) != std::basic_string<C>::npos) {
        replaceAll(s, k.quotEntity, k.quot);
        replaceAll(s, k.ampEntity, k.amp);
        replaceAll(s, k.ltEntity, k.lt);
        replaceAll(s, k.gtEntity, k.gt);
    }
    padSingles(s, tmp, is13aSymbol, true);
    s.swap(tmp);
    auto notDigit = [](char32_t c) { return !isAsciiDigit(c); };
    auto periodOrComma = [](char32_t c) { return c == U'.' || c == U','; };
    if (s.find(C('.')) != std::basic_string<C>::npos || s.find(C(',')) != std::basic_string<C>::npos) {
        substitutePairs(s, tmp, notDigit, periodOrComma, PairLayout::SpaceAfterEach);
        s.swap(tmp);
        substitutePairs(s, tmp, periodOrComma, notDigit, PairLayout::SpaceBeforeEach);
        s.swap(tmp);
    }
    if (s.find(C('-')) != std::basic_string<C>::npos) {
        substitutePairs(s, tmp, isAsciiDigit, [](char32_t c) { return c == U'-'; }, PairLayout::SpaceAfterEach);
        s.swap(tmp);
    }
}

// tokenizer_intl.py (mteval-v14 international), without the final collapse.
void tokenizeIntl(std::u32string& s, std::u32string& tmp)
{
    auto notNumber = [](char32_t c) { return !py::isNumber(c); };
    auto punct = [](char32_t c) { return py::isPunctuation(c); };
    substitutePairs(s, tmp, notNumber, punct, PairLayout::SpaceAfterEach);
    s.swap(tmp);
    substitutePairs(s, tmp, punct, notNumber, PairLayout::SpaceBeforeEach);
    s.swap(tmp);
    padSingles(s, tmp, [](char32_t c) { return py::isSymbol(c); }, false);
    s.swap(tmp);
}

// tokenizer_char.py: " ".join(line)
void tokenizeChars(std::u32string& s, std::u32string& tmp)
{
    tmp.clear();
    for (char32_t c : s) {
        if (!tmp.empty())
            tmp.push_back(U' ');
        tmp.push_back(c);
    }
    s.swap(tmp);
}

// BLEU._preprocess_segment(): optional lower(), rstrip(), tokenizer. The
// result is to be split on whitespace.
void preprocess(std::string_view text, BleuTokenize tokenize, bool lowercase, std::u32string& s, std::u32string& tmp)
{
    py::decode(text, s);
    if (lowercase)
        s = py::lower(s);
    s.resize(py::rstrip(s).size());
    switch (tokenize) {
    case BleuTokenize::Tok13a:
        tokenize13a(s, tmp);
        break;
    case BleuTokenize::Intl:
        tokenizeIntl(s, tmp);
        break;
    case BleuTokenize::Char:
        tokenizeChars(s, tmp);
        break;
    case BleuTokenize::None:
        break;
    }
}

double defaultSmoothValue(BleuSmooth smooth)
{
    switch (smooth) {
    case BleuSmooth::Floor:
        return 0.1;
    case BleuSmooth::AddK:
        return 1.0;
    default:
        return 0.0;
    }
}

// utils.py my_log(): log floored for zero precisions.
double myLog(double x) { return x == 0.0 ? -9999999999.0 : std::log(x); }

} // namespace

BleuStats& BleuStats::operator+=(const BleuStats& o)
{
    sysLen += o.sysLen;
    refLen += o.refLen;
    for (int n = 0; n < kBleuMaxOrder; ++n) {
        correct[n] += o.correct[n];
        total[n] += o.total[n];
    }
    return *this;
}

std::string bleuTokenize(std::string_view text, BleuTokenize tokenize, bool lowercase)
{
    std::u32string s;
    std::u32string tmp;
    preprocess(text, tokenize, lowercase, s, tmp);
    // 13a and intl end with ' '.join(line.split()); char and none do not.
    if (tokenize == BleuTokenize::Tok13a || tokenize == BleuTokenize::Intl)
        return py::encode(py::collapseSpaces(s));
    return py::encode(s);
}

BleuStats bleuSegmentStats(std::string_view hyp, const std::vector<std::string>& refs, const BleuOptions& options)
{
    if (refs.empty())
        throw Error("BLEU: a hypothesis needs at least one reference, got none");
    // Scratch reused across segments: corpus BLEU calls this once per line.
    thread_local std::vector<std::u32string> texts;
    thread_local std::vector<std::string> bytes;
    thread_local std::vector<std::vector<uint32_t>> seqs;
    thread_local TokenIds ids;
    thread_local ClippedCounter counter;
    thread_local std::vector<int64_t> maxRef;
    thread_local std::u32string tmp;
    thread_local std::string tmpBytes;
    thread_local std::vector<std::u32string_view> pieces;
    thread_local std::vector<std::string_view> bytePieces;
    const size_t nTexts = refs.size() + 1;
    seqs.resize(nTexts);
    auto text = [&](size_t t) { return t == 0 ? hyp : std::string_view(refs[t - 1]); };

    // 13a without lower-casing, the default, runs on UTF-8 bytes (tokenize13a
    // says why that gives the same tokens); other cases on code points.
    bool onBytes = options.tokenize == BleuTokenize::Tok13a && !options.lowercase;
    for (size_t t = 0; t < nTexts && onBytes; ++t)
        onBytes = py::isValidUtf8(text(t));
    // helpers.py extract_all_word_ngrams(): split() into tokens, as ids.
    // The token ids hold views into the texts: all texts first, then ids.
    size_t tokenCount = 0;
    if (onBytes) {
        bytes.resize(nTexts);
        for (size_t t = 0; t < nTexts; ++t) {
            bytes[t].assign(py::rstrip(text(t)));
            tokenize13a(bytes[t], tmpBytes);
            tokenCount += bytes[t].size() / 2 + 1;
        }
    } else {
        texts.resize(nTexts);
        for (size_t t = 0; t < nTexts; ++t) {
            preprocess(text(t), options.tokenize, options.lowercase, texts[t], tmp);
            tokenCount += texts[t].size() / 2 + 1;
        }
    }
    ids.reset(tokenCount);
    for (size_t t = 0; t < nTexts; ++t) {
        seqs[t].clear();
        if (onBytes) {
            py::split(bytes[t], bytePieces);
            for (auto token : bytePieces)
                seqs[t].push_back(ids.id(token));
        } else {
            py::split(texts[t], pieces);
            for (auto token : pieces)
                seqs[t].push_back(ids.id(token));
        }
    }

    BleuStats stats;
    stats.sysLen = static_cast<int64_t>(seqs[0].size());
    // _get_closest_ref_len(): the closest length, the shorter one on ties.
    int64_t closestDiff = -1;
    int64_t closestLen = -1;
    for (size_t r = 1; r < nTexts; ++r) {
        const auto len = static_cast<int64_t>(seqs[r].size());
        const int64_t diff = std::llabs(stats.sysLen - len);
        if (closestDiff == -1 || diff < closestDiff) {
            closestDiff = diff;
            closestLen = len;
        } else if (diff == closestDiff && len < closestLen) {
            closestLen = len;
        }
    }
    stats.refLen = closestLen;

    // Matches are clipped by the maximum count of each n-gram over
    // references. All four orders share one index: idGram() keys of
    // different orders never collide (ids start at 1, 0 pads).
    // Keys are written in place (no push_back of a stack temporary: its two
    // 8-byte halves read back as one 16-byte store stall the loop).
    auto allGrams = [](const std::vector<uint32_t>& seq, std::vector<GramKey>& keys) {
        const size_t len = seq.size();
        size_t total = 0;
        for (size_t n = 1; n <= size_t(kBleuMaxOrder); ++n)
            total += len >= n ? len - n + 1 : 0;
        keys.resize(total);
        GramKey* k = keys.data();
        const uint32_t* ids = seq.data();
        for (size_t n = 1; n <= size_t(kBleuMaxOrder); ++n)
            for (size_t i = 0; i + n <= len; ++i)
                *k++ = idGram(ids + i, int(n));
    };
    thread_local std::vector<GramKey> hypKeys;
    thread_local std::vector<GramKey> refKeys;
    allGrams(seqs[0], hypKeys);
    counter.setHypothesis(hypKeys.size(), [&](size_t i) { return hypKeys[i]; });
    maxRef.assign(counter.hypothesisCounts().size(), 0);
    for (size_t r = 1; r < nTexts; ++r) {
        allGrams(seqs[r], refKeys);
        counter.countReference(refKeys.size(), [&](size_t i) { return refKeys[i]; });
        const auto& counts = counter.referenceCounts();
        for (size_t k = 0; k < counts.size(); ++k)
            maxRef[k] = std::max(maxRef[k], counts[k]);
    }
    const auto& hypCounts = counter.hypothesisCounts();
    for (size_t k = 0; k < hypCounts.size(); ++k)
        stats.correct[idGramOrder(counter.key(k)) - 1] += std::min(hypCounts[k], maxRef[k]);
    for (int n = 1; n <= kBleuMaxOrder; ++n)
        stats.total[n - 1] = seqs[0].size() >= size_t(n) ? int64_t(seqs[0].size() - n + 1) : 0;
    return stats;
}

BleuScore bleuFromStats(const BleuStats& stats, const BleuOptions& options, const std::string& nrefs)
{
    // BLEU.compute_bleu(), operation for operation so the doubles agree.
    const double smoothValue = options.smoothValue ? *options.smoothValue : defaultSmoothValue(options.smooth);
    BleuScore out;
    out.signature = bleuSignature(options, nrefs);
    out.sysLen = stats.sysLen;
    out.refLen = stats.refLen;
    out.counts.assign(stats.correct.begin(), stats.correct.end());
    out.totals.assign(stats.total.begin(), stats.total.end());
    out.precisions.assign(kBleuMaxOrder, 0.0);

    out.bp = 1.0;
    if (stats.sysLen < stats.refLen)
        out.bp = stats.sysLen > 0 ? std::exp(1.0 - double(stats.refLen) / double(stats.sysLen)) : 0.0;

    bool anyCorrect = false;
    for (auto c : stats.correct)
        anyCorrect = anyCorrect || c != 0;
    if (!anyCorrect) {
        out.score = 0.0;
        return out;
    }

    double smoothMteval = 1.0;
    int effOrder = kBleuMaxOrder;
    for (int n = 1; n <= kBleuMaxOrder; ++n) {
        double& correct = out.counts[n - 1];
        double& total = out.totals[n - 1];
        if (options.smooth == BleuSmooth::AddK && n > 1) {
            correct += smoothValue;
            total += smoothValue;
        }
        if (total == 0)
            break;
        if (options.effectiveOrder)
            effOrder = n;
        if (correct == 0) {
            if (options.smooth == BleuSmooth::Exp) {
                smoothMteval *= 2;
                out.precisions[n - 1] = 100. / (smoothMteval * total);
            } else if (options.smooth == BleuSmooth::Floor) {
                out.precisions[n - 1] = 100. * smoothValue / total;
            }
        } else {
            out.precisions[n - 1] = 100. * correct / total;
        }
    }
    double logSum = 0.0;
    for (int i = 0; i < effOrder; ++i)
        logSum += myLog(out.precisions[i]);
    out.score = out.bp * std::exp(logSum / effOrder);
    return out;
}

BleuScore sentenceBleu(std::string_view hyp, const std::vector<std::string>& refs, const BleuOptions& options)
{
    return bleuFromStats(bleuSegmentStats(hyp, refs, options), options, std::to_string(refs.size()));
}

BleuScore corpusBleu(const std::vector<std::string>& hyps, const std::vector<std::vector<std::string>>& refs,
                     const BleuOptions& options)
{
    if (hyps.size() != refs.size())
        throw Error("BLEU: " + std::to_string(hyps.size()) + " hypotheses but " + std::to_string(refs.size())
                    + " reference lists; give one list per hypothesis");
    if (hyps.empty())
        throw Error("BLEU: the corpus is empty; give at least one hypothesis");
    BleuStats sum;
    std::set<size_t> refCounts;
    for (size_t i = 0; i < hyps.size(); ++i) {
        sum += bleuSegmentStats(hyps[i], refs[i], options);
        refCounts.insert(refs[i].size());
    }
    const std::string nrefs = refCounts.size() == 1 ? std::to_string(*refCounts.begin()) : "var";
    return bleuFromStats(sum, options, nrefs);
}

std::string bleuSignature(const BleuOptions& options, const std::string& nrefs)
{
    std::string smooth = bleuSmoothName(options.smooth);
    if (options.smooth == BleuSmooth::Floor || options.smooth == BleuSmooth::AddK) {
        char buf[64];
        const double value = options.smoothValue ? *options.smoothValue : defaultSmoothValue(options.smooth);
        std::snprintf(buf, sizeof buf, "[%.2f]", value);
        smooth += buf;
    }
    return "nrefs:" + nrefs + "|case:" + (options.lowercase ? "lc" : "mixed") + "|eff:"
        + (options.effectiveOrder ? "yes" : "no") + "|tok:" + bleuTokenizeName(options.tokenize)
        + "|smooth:" + smooth + "|version:" + kSacrebleuVersion;
}

BleuTokenize parseBleuTokenize(std::string_view name)
{
    if (name == "13a")
        return BleuTokenize::Tok13a;
    if (name == "none")
        return BleuTokenize::None;
    if (name == "intl")
        return BleuTokenize::Intl;
    if (name == "char")
        return BleuTokenize::Char;
    throw Error("BLEU tokenizer: expected 13a, none, intl or char, got '" + std::string(name) + "'");
}

std::string bleuTokenizeName(BleuTokenize tokenize)
{
    switch (tokenize) {
    case BleuTokenize::Tok13a:
        return "13a";
    case BleuTokenize::None:
        return "none";
    case BleuTokenize::Intl:
        return "intl";
    case BleuTokenize::Char:
        return "char";
    }
    return "13a";
}

BleuSmooth parseBleuSmooth(std::string_view name)
{
    if (name == "exp")
        return BleuSmooth::Exp;
    if (name == "floor")
        return BleuSmooth::Floor;
    if (name == "add-k")
        return BleuSmooth::AddK;
    if (name == "none")
        return BleuSmooth::None;
    throw Error("BLEU smoothing: expected exp, floor, add-k or none, got '" + std::string(name) + "'");
}

std::string bleuSmoothName(BleuSmooth smooth)
{
    switch (smooth) {
    case BleuSmooth::Exp:
        return "exp";
    case BleuSmooth::Floor:
        return "floor";
    case BleuSmooth::AddK:
        return "add-k";
    case BleuSmooth::None:
        return "none";
    }
    return "exp";
}

} // namespace tb::eval
