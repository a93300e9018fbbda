#pragma once
// Paired significance tests for corpus metrics, as sacreBLEU 2.6.0's
// `--paired-bs` / `--paired-ar` run them (sacrebleu/significance.py,
// PairedTest): each segment contributes a vector of sufficient statistics
// (BLEU's n-gram counts and lengths, chrF's n-gram counts, or one per-example
// value for ROUGE and accuracy), a resample sums the chosen segments'
// statistics and recomputes the corpus score from the sum.
//
// The random indices are numpy's: `np.random.default_rng(seed)` (SeedSequence
// -> PCG64) with `Generator.choice(n, replace=True)` and
// `Generator.integers(2, dtype=bool)`, reproduced bit for bit, so the same
// inputs and seed give sacreBLEU's means, intervals and p-values exactly (up
// to its float32 sums, see significance.cpp).
//
// One deliberate difference: a resample whose statistic ties with the
// observed one counts as at least as extreme (sacreBLEU counts only strictly
// larger ones). So a system whose per-segment statistics equal the
// baseline's gets p = 1 where sacreBLEU reports 1/(n+1), "significantly
// different" from itself; without exact ties the two agree.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tb::eval {

struct BleuOptions;
struct ChrfOptions;
struct RougeOptions;

// numpy's default_rng(seed): PCG64 seeded through SeedSequence(seed).
class NumpyRng {
public:
    explicit NumpyRng(uint64_t seed);
    uint64_t next64();
    uint32_t next32(); // low half of a 64-bit draw, then its high half
    // Generator.integers(0, n) for n <= 2^32: Lemire's bounded method.
    uint32_t below(uint32_t n);
    // Generator.choice(n, size=(rows, n), replace=True), row-major.
    std::vector<uint32_t> choice(uint32_t n, size_t rows);
    // Generator.integers(2, size=count, dtype=bool): one 32-bit draw per 32 values, LSB first.
    std::vector<uint8_t> bools(size_t count);

private:
    // 128-bit state and increment as high/low halves.
    uint64_t m_stateHi = 0, m_stateLo = 0;
    uint64_t m_incHi = 0, m_incLo = 0;
    bool m_hasHalf = false;
    uint32_t m_half = 0;
};

// One system's per-segment sufficient statistics: rows of `width` numbers
// (counts, exact in a double, or per-example values).
struct SegmentStats {
    size_t width = 0;
    std::vector<double> values; // segments x width, row-major
    size_t segments() const { return width ? values.size() / width : 0; }
};

// The corpus score of summed statistics (sacreBLEU's _compute_score_from_stats).
// `segments` is how many segments were summed (the mean needs it). pairedTest
// calls it from several threads at once, so it must not modify shared state.
using ScoreFromStats = std::function<double(const double* summed, size_t segments)>;

struct CorpusMetric {
    std::string name; // e.g. "BLEU", "chrF2", "rougeL", "accuracy"
    ScoreFromStats score;
};

enum class PairedTestKind { Bootstrap, Randomization };

struct PairedTestOptions {
    PairedTestKind kind = PairedTestKind::Bootstrap;
    int64_t samples = 0;          // 0: 1000 for bootstrap, 10000 for randomization
    int64_t confidenceSamples = 1000; // bootstrap resamples for mean/CI in the AR test (0: none)
    uint64_t seed = 12345;
};

struct SystemResult {
    std::string name;
    double score = 0;
    std::optional<double> mean;    // mean of the bootstrap scores
    std::optional<double> ci;      // 95% half-width: (upper - lower) / 2 at ranks n/40 and n-n/40-1
    std::optional<double> low;     // 2.5th and 97.5th percentiles (numpy's linear interpolation),
    std::optional<double> high;    // as rouge_score's BootstrapAggregator reports them
    std::optional<double> pValue;  // none for the baseline
    bool identicalToBaseline = false;
};

// systems[0] is the baseline; every system has the same number of segments
// and width. Throws tb::Error naming the system that does not fit.
std::vector<SystemResult> pairedTest(const std::vector<std::pair<std::string, SegmentStats>>& systems,
                                     const CorpusMetric& metric, const PairedTestOptions& options = {});

// Sufficient statistics in sacreBLEU's order.
// BLEU: [sys_len, ref_len, correct 1..4, total 1..4] per segment.
SegmentStats bleuSegmentTable(const std::vector<std::string>& hyps, const std::vector<std::vector<std::string>>& refs,
                              const BleuOptions& options);
CorpusMetric bleuCorpusMetric(const BleuOptions& options);
// chrF: [hyp, ref, match] per order, characters then words.
SegmentStats chrfSegmentTable(const std::vector<std::string>& hyps, const std::vector<std::vector<std::string>>& refs,
                              const ChrfOptions& options);
CorpusMetric chrfCorpusMetric(const ChrfOptions& options);
// Per-example values (0..1 F-measures, 0/1 correctness) scored as their mean.
SegmentStats valueTable(const std::vector<double>& values);
CorpusMetric meanCorpusMetric(const std::string& name);
// ROUGE F-measure per example ("rouge1", "rouge2", "rougeL", "rougeLsum";
// "rouge" means rougeL), through rougeScoreMulti.
std::vector<double> rougeValues(const std::vector<std::string>& hyps, const std::vector<std::vector<std::string>>& refs,
                                const std::string& type, const RougeOptions& options);

// Exact two-sided McNemar test for paired 0/1 outcomes: with b examples only
// the baseline gets right and c only the system, p = min(1, 2 * P(X <= min(b, c)))
// for X ~ Binomial(b + c, 1/2); 1 when b + c = 0.
double mcnemarExact(int64_t onlyBaseline, int64_t onlySystem);

} // namespace tb::eval
