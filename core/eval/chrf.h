#pragma once
// chrF and chrF++ exactly as sacreBLEU 2.x computes them
// (sacrebleu/metrics/chrf.py, checked against v2.6.0): character n-grams of
// order 1..6 with whitespace removed, optional word n-grams (order 2 gives
// chrF++), beta 2, the best-scoring reference per segment, corpus scores from
// summed statistics, and sacreBLEU's effective-order averaging unless
// eps smoothing is asked for.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tb::eval {

struct ChrfOptions {
    int charOrder = 6; // 1..6
    int wordOrder = 0; // 0..4; 2 is chrF++
    int beta = 2;
    bool lowercase = false;
    bool whitespace = false; // keep whitespace inside character n-grams
    bool epsSmoothing = false;

    static ChrfOptions chrfPlusPlus()
    {
        ChrfOptions o;
        o.wordOrder = 2;
        return o;
    }
};

// Three numbers per order (characters first, then words): hypothesis n-grams,
// reference n-grams, matches.
struct ChrfStats {
    std::vector<int64_t> values;
    ChrfStats& operator+=(const ChrfStats& o);
};

struct ChrfScore {
    double score = 0;      // 0..100
    std::string name;      // "chrF2" or "chrF2++"
    std::string signature; // e.g. nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0
};

ChrfStats chrfSegmentStats(std::string_view hyp, const std::vector<std::string>& refs, const ChrfOptions& options);
ChrfScore chrfFromStats(const ChrfStats& stats, const ChrfOptions& options, const std::string& nrefs);

// Throws tb::Error when refs is empty or the orders are out of range.
ChrfScore sentenceChrf(std::string_view hyp, const std::vector<std::string>& refs, const ChrfOptions& options = {});
// refs[i] are the references of hyps[i].
ChrfScore corpusChrf(const std::vector<std::string>& hyps, const std::vector<std::vector<std::string>>& refs,
                     const ChrfOptions& options = {});

std::string chrfSignature(const ChrfOptions& options, const std::string& nrefs);

} // namespace tb::eval
