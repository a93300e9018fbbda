#include "eval/significance.h"

#include "common/error.h"
#include "eval/bleu.h"
#include "eval/chrf.h"
#include "eval/rouge.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace tb::eval {

namespace {

__extension__ typedef unsigned __int128 U128;

U128 join(uint64_t hi, uint64_t lo) { return (U128(hi) << 64) | lo; }

// numpy/random/bit_generator.pyx, SeedSequence: hashmix / mix constants.
constexpr uint32_t kInitA = 0x43b0d7e5, kMultA = 0x931e8875, kInitB = 0x8b51f9dd, kMultB = 0x58f38ded;
constexpr uint32_t kMixMultL = 0xca01f9dd, kMixMultR = 0x4973f715;
constexpr int kPoolSize = 4;

uint32_t hashmix(uint32_t value, uint32_t& hashConst)
{
    value ^= hashConst;
    hashConst *= kMultA;
    value *= hashConst;
    value ^= value >> 16;
    return value;
}

uint32_t mix(uint32_t x, uint32_t y)
{
    uint32_t r = kMixMultL * x - kMixMultR * y;
    r ^= r >> 16;
    return r;
}

// SeedSequence(seed).generate_state(4, np.uint64).
std::array<uint64_t, 4> seedSequenceState(uint64_t seed)
{
    std::vector<uint32_t> entropy; // the integer as 32-bit words, least significant first
    do {
        entropy.push_back(uint32_t(seed & 0xffffffffu));
        seed >>= 32;
    } while (seed);
    uint32_t pool[kPoolSize];
    uint32_t hashConst = kInitA;
    for (int i = 0; i < kPoolSize; ++i)
        pool[i] = hashmix(size_t(i) < entropy.size() ? entropy[size_t(i)] : 0, hashConst);
    for (int src = 0; src < kPoolSize; ++src)
        for (int dst = 0; dst < kPoolSize; ++dst)
            if (src != dst)
                pool[dst] = mix(pool[dst], hashmix(pool[src], hashConst));
    for (size_t src = kPoolSize; src < entropy.size(); ++src)
        for (int dst = 0; dst < kPoolSize; ++dst)
            pool[dst] = mix(pool[dst], hashmix(entropy[src], hashConst));

    uint32_t words[8];
    hashConst = kInitB;
    for (int i = 0; i < 8; ++i) {
        uint32_t v = pool[i % kPoolSize];
        v ^= hashConst;
        hashConst *= kMultB;
        v *= hashConst;
        v ^= v >> 16;
        words[i] = v;
    }
    std::array<uint64_t, 4> out{};
    for (int i = 0; i < 4; ++i)
        out[size_t(i)] = uint64_t(words[2 * i]) | (uint64_t(words[2 * i + 1]) << 32);
    return out;
}

const U128 kPcgMultiplier = join(0x2360ED051FC65DA4ULL, 0x4385DF649FCCF645ULL);

// numpy's pairwise summation (umath loops, PW_BLOCKSIZE 128), so that
// `scores.mean()` agrees to the last bit.
double pairwiseSum(const double* a, size_t n)
{
    if (n < 8) {
        double res = 0.;
        for (size_t i = 0; i < n; ++i)
            res += a[i];
        return res;
    }
    if (n <= 128) {
        double r[8];
        for (int j = 0; j < 8; ++j)
            r[j] = a[j];
        size_t i = 8;
        for (; i < n - (n % 8); i += 8)
            for (int j = 0; j < 8; ++j)
                r[j] += a[i + size_t(j)];
        double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; ++i)
            res += a[i];
        return res;
    }
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    return pairwiseSum(a, n2) + pairwiseSum(a + n2, n - n2);
}

double numpyMean(const std::vector<double>& v) { return pairwiseSum(v.data(), v.size()) / double(v.size()); }

// np.percentile(sorted, q), method "linear" (numpy's _lerp).
double percentile(const std::vector<double>& sorted, double q)
{
    const double pos = q / 100.0 * double(sorted.size() - 1);
    const size_t lo = size_t(std::floor(pos));
    const size_t hi = std::min(lo + 1, sorted.size() - 1);
    const double t = pos - double(lo);
    const double a = sorted[lo], b = sorted[hi], d = b - a;
    return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

// sacreBLEU's estimate_ci(): mean, and half the distance between the scores
// at ranks n/40 and n - n/40 - 1.
void estimateCi(std::vector<double> scores, SystemResult& out)
{
    std::sort(scores.begin(), scores.end());
    const size_t lowerIdx = scores.size() / 40;
    const size_t upperIdx = scores.size() - lowerIdx - 1;
    out.mean = numpyMean(scores);
    out.ci = 0.5 * (scores[upperIdx] - scores[lowerIdx]);
    out.low = percentile(scores, 2.5);
    out.high = percentile(scores, 97.5);
}

// sacreBLEU's _compute_p_value() (after multeval): (c + 1) / (n + 1), except
// that c counts resamples whose statistic is at least the observed one (ties
// within rounding included), where sacreBLEU counts only strictly larger ones.
// A tie is a resample as extreme as what was observed, so it counts (Noreen
// 1989; Riezler & Maxwell 2005): with strict counting a copy of the baseline
// gets p = 1/(n+1), and three segments all better by the same amount get
// 1/(n+1) from approximate randomization instead of the exact 2/8.
double pValue(const std::vector<double>& stats, double observed)
{
    const double tie = 1e-9 * std::max(1.0, std::abs(observed));
    const auto atLeast = std::count_if(stats.begin(), stats.end(), [&](double s) { return s >= observed - tie; });
    return double(atLeast + 1) / double(stats.size() + 1);
}

// Scores of the resamples given by `idxs` (rows of `n` segment indices).
std::vector<double> bootstrapScores(const SegmentStats& stats, const std::vector<uint32_t>& idxs,
                                    const CorpusMetric& metric)
{
    const size_t n = stats.segments(), w = stats.width;
    const size_t rows = n ? idxs.size() / n : 0;
    std::vector<double> out(rows);
    std::vector<double> sum(w);
    for (size_t r = 0; r < rows; ++r) {
        std::fill(sum.begin(), sum.end(), 0.0);
        const uint32_t* row = idxs.data() + r * n;
        for (size_t i = 0; i < n; ++i) {
            const double* seg = stats.values.data() + size_t(row[i]) * w;
            for (size_t k = 0; k < w; ++k)
                sum[k] += seg[k];
        }
        out[r] = metric.score(sum.data(), n);
    }
    return out;
}

double corpusScore(const SegmentStats& stats, const CorpusMetric& metric)
{
    std::vector<double> sum(stats.width, 0.0);
    for (size_t i = 0; i < stats.segments(); ++i)
        for (size_t k = 0; k < stats.width; ++k)
            sum[k] += stats.values[i * stats.width + k];
    return metric.score(sum.data(), stats.segments());
}

} // namespace

NumpyRng::NumpyRng(uint64_t seed)
{
    const auto s = seedSequenceState(seed);
    // pcg64_set_seed() + pcg_setseq_128_srandom_r().
    const U128 initState = join(s[0], s[1]);
    const U128 inc = (join(s[2], s[3]) << 1) | 1;
    U128 state = 0;
    state = state * kPcgMultiplier + inc;
    state += initState;
    state = state * kPcgMultiplier + inc;
    m_stateHi = uint64_t(state >> 64);
    m_stateLo = uint64_t(state);
    m_incHi = uint64_t(inc >> 64);
    m_incLo = uint64_t(inc);
}

uint64_t NumpyRng::next64()
{
    // PCG64 (XSL-RR 128/64): step, then output the new state.
    U128 state = join(m_stateHi, m_stateLo) * kPcgMultiplier + join(m_incHi, m_incLo);
    m_stateHi = uint64_t(state >> 64);
    m_stateLo = uint64_t(state);
    const uint64_t value = m_stateHi ^ m_stateLo;
    const unsigned rot = unsigned(m_stateHi >> 58);
    return (value >> rot) | (value << ((64 - rot) & 63));
}

uint32_t NumpyRng::next32()
{
    if (m_hasHalf) {
        m_hasHalf = false;
        return m_half;
    }
    const uint64_t v = next64();
    m_hasHalf = true;
    m_half = uint32_t(v >> 32);
    return uint32_t(v);
}

uint32_t NumpyRng::below(uint32_t n)
{
    // random_bounded_uint64_fill() -> buffered_bounded_lemire_uint32().
    const uint32_t rng = n - 1;
    if (rng == 0)
        return 0; // numpy draws nothing for a one-value range
    if (rng == 0xffffffffu)
        return next32();
    const uint32_t rngExcl = rng + 1;
    uint64_t m = uint64_t(next32()) * rngExcl;
    uint32_t leftover = uint32_t(m);
    if (leftover < rngExcl) {
        const uint32_t threshold = (0xffffffffu - rng) % rngExcl;
        while (leftover < threshold) {
            m = uint64_t(next32()) * rngExcl;
            leftover = uint32_t(m);
        }
    }
    return uint32_t(m >> 32);
}

std::vector<uint32_t> NumpyRng::choice(uint32_t n, size_t rows)
{
    std::vector<uint32_t> out(rows * n);
    for (auto& v : out)
        v = below(n);
    return out;
}

std::vector<uint8_t> NumpyRng::bools(size_t count)
{
    std::vector<uint8_t> out(count);
    uint32_t buf = 0;
    int left = 0;
    for (auto& v : out) {
        if (left == 0) {
            buf = next32();
            left = 31;
        } else {
            buf >>= 1;
            --left;
        }
        v = uint8_t(buf & 1u);
    }
    return out;
}

std::vector<SystemResult> pairedTest(const std::vector<std::pair<std::string, SegmentStats>>& systems,
                                     const CorpusMetric& metric, const PairedTestOptions& options)
{
    if (systems.empty())
        throw Error("paired test: no systems to compare; give a baseline and at least one more system");
    const SegmentStats& base = systems.front().second;
    const size_t n = base.segments();
    if (n == 0)
        throw Error("paired test: system '" + systems.front().first + "' has no segments");
    if (n > 0xffffffffu)
        throw Error("paired test: " + std::to_string(n) + " segments; at most 2^32 are supported");
    for (const auto& [name, s] : systems)
        if (s.width != base.width || s.segments() != n || s.values.size() != n * s.width)
            throw Error("paired test: system '" + name + "' has " + std::to_string(s.segments()) + " segments of "
                        + std::to_string(s.width) + " statistics, expected " + std::to_string(n) + " of "
                        + std::to_string(base.width) + " as the baseline '" + systems.front().first + "'");
    const bool bootstrap = options.kind == PairedTestKind::Bootstrap;
    const int64_t samples = options.samples > 0 ? options.samples : (bootstrap ? 1000 : 10000);
    const int64_t confidence = bootstrap ? samples : options.confidenceSamples;

    std::vector<SystemResult> out(systems.size());
    for (size_t s = 0; s < systems.size(); ++s) {
        out[s].name = systems[s].first;
        out[s].score = corpusScore(systems[s].second, metric);
    }

    // The baseline's interval: _bootstrap_resample() with a fresh generator.
    // In the bootstrap test every system draws the same indices from the same seed.
    std::vector<uint32_t> bsIdxs;
    std::vector<double> baseScores;
    if (confidence > 0) {
        NumpyRng rng(options.seed);
        const auto idxs = rng.choice(uint32_t(n), size_t(confidence));
        baseScores = bootstrapScores(base, idxs, metric);
        estimateCi(baseScores, out[0]);
        if (bootstrap)
            bsIdxs = idxs;
    }

    // Randomization: which segments swap, the same for every system (each
    // comparison re-seeds the generator), then the CI indices from the same stream.
    std::vector<uint8_t> swap;
    if (!bootstrap) {
        NumpyRng rng(options.seed);
        swap = rng.bools(size_t(samples) * n);
        if (confidence > 0)
            bsIdxs = rng.choice(uint32_t(n), size_t(confidence));
    }

    const size_t w = base.width;
    for (size_t s = 1; s < systems.size(); ++s) {
        const SegmentStats& sys = systems[s].second;
        SystemResult& r = out[s];
        const double observed = std::abs(out[0].score - r.score);
        // A copy of the baseline (statistics equal segment by segment): every
        // resample ties with the observed difference of 0, so p = 1 (sacreBLEU
        // reports 1/(n+1)); set outright so no rounding can spoil it.
        r.identicalToBaseline = sys.values == base.values;

        std::vector<double> stats(static_cast<size_t>(samples));
        if (bootstrap) {
            const auto sysScores = bootstrapScores(sys, bsIdxs, metric);
            for (size_t i = 0; i < stats.size(); ++i)
                stats[i] = std::abs(sysScores[i] - baseScores[i]);
            const double meanDiff = numpyMean(stats);
            for (auto& v : stats)
                v -= meanDiff;
            estimateCi(sysScores, r);
        } else {
            // shuf_a takes the baseline's segment where the mask is set and the
            // system's elsewhere; shuf_b the other way round.
            std::vector<double> a(w), b(w);
            for (int64_t t = 0; t < samples; ++t) {
                std::fill(a.begin(), a.end(), 0.0);
                std::fill(b.begin(), b.end(), 0.0);
                const uint8_t* mask = swap.data() + size_t(t) * n;
                for (size_t i = 0; i < n; ++i) {
                    const double* bl = base.values.data() + i * w;
                    const double* sy = sys.values.data() + i * w;
                    const double* toA = mask[i] ? bl : sy;
                    const double* toB = mask[i] ? sy : bl;
                    for (size_t k = 0; k < w; ++k) {
                        a[k] += toA[k];
                        b[k] += toB[k];
                    }
                }
                stats[size_t(t)] = std::abs(metric.score(a.data(), n) - metric.score(b.data(), n));
            }
            if (confidence > 0)
                estimateCi(bootstrapScores(sys, bsIdxs, metric), r);
        }
        r.pValue = r.identicalToBaseline ? 1.0 : pValue(stats, observed);
    }
    return out;
}

SegmentStats bleuSegmentTable(const std::vector<std::string>& hyps, const std::vector<std::vector<std::string>>& refs,
                              const BleuOptions& options)
{
    if (hyps.size() != refs.size())
        throw Error("BLEU: " + std::to_string(hyps.size()) + " hypotheses but " + std::to_string(refs.size())
                    + " reference lists; give one list per hypothesis");
    SegmentStats out;
    out.width = 2 + 2 * kBleuMaxOrder;
    out.values.reserve(hyps.size() * out.width);
    for (size_t i = 0; i < hyps.size(); ++i) {
        const BleuStats s = bleuSegmentStats(hyps[i], refs[i], options);
        out.values.push_back(double(s.sysLen));
        out.values.push_back(double(s.refLen));
        for (auto c : s.correct)
            out.values.push_back(double(c));
        for (auto t : s.total)
            out.values.push_back(double(t));
    }
    return out;
}

CorpusMetric bleuCorpusMetric(const BleuOptions& options)
{
    CorpusMetric m;
    m.name = "BLEU";
    m.score = [options](const double* v, size_t) {
        BleuStats s;
        s.sysLen = int64_t(v[0]);
        s.refLen = int64_t(v[1]);
        for (int k = 0; k < kBleuMaxOrder; ++k) {
            s.correct[size_t(k)] = int64_t(v[2 + k]);
            s.total[size_t(k)] = int64_t(v[2 + kBleuMaxOrder + k]);
        }
        return bleuFromStats(s, options, "1").score;
    };
    return m;
}

SegmentStats chrfSegmentTable(const std::vector<std::string>& hyps, const std::vector<std::vector<std::string>>& refs,
                              const ChrfOptions& options)
{
    if (hyps.size() != refs.size())
        throw Error("chrF: " + std::to_string(hyps.size()) + " hypotheses but " + std::to_string(refs.size())
                    + " reference lists; give one list per hypothesis");
    SegmentStats out;
    out.width = size_t(3) * size_t(options.charOrder + options.wordOrder);
    out.values.reserve(hyps.size() * out.width);
    for (size_t i = 0; i < hyps.size(); ++i)
        for (auto v : chrfSegmentStats(hyps[i], refs[i], options).values)
            out.values.push_back(double(v));
    return out;
}

CorpusMetric chrfCorpusMetric(const ChrfOptions& options)
{
    CorpusMetric m;
    m.name = "chrF" + std::to_string(options.beta) + std::string(size_t(options.wordOrder), '+');
    const size_t width = size_t(3) * size_t(options.charOrder + options.wordOrder);
    m.score = [options, width](const double* v, size_t) {
        ChrfStats s;
        s.values.resize(width);
        for (size_t k = 0; k < width; ++k)
            s.values[k] = int64_t(v[k]);
        return chrfFromStats(s, options, "1").score;
    };
    return m;
}

SegmentStats valueTable(const std::vector<double>& values)
{
    SegmentStats out;
    out.width = 1;
    out.values = values;
    return out;
}

CorpusMetric meanCorpusMetric(const std::string& name)
{
    CorpusMetric m;
    m.name = name;
    m.score = [](const double* v, size_t segments) { return segments ? v[0] / double(segments) : 0.0; };
    return m;
}

std::vector<double> rougeValues(const std::vector<std::string>& hyps, const std::vector<std::vector<std::string>>& refs,
                                const std::string& type, const RougeOptions& options)
{
    if (hyps.size() != refs.size())
        throw Error("ROUGE: " + std::to_string(hyps.size()) + " hypotheses but " + std::to_string(refs.size())
                    + " reference lists; give one list per hypothesis");
    RougePrf RougeScores::*field = nullptr;
    if (type == "rouge1")
        field = &RougeScores::rouge1;
    else if (type == "rouge2")
        field = &RougeScores::rouge2;
    else if (type == "rougeL" || type == "rouge")
        field = &RougeScores::rougeL;
    else if (type == "rougeLsum")
        field = &RougeScores::rougeLsum;
    else
        throw Error("ROUGE: unknown type '" + type + "'; expected rouge1, rouge2, rougeL or rougeLsum");
    std::vector<double> out;
    out.reserve(hyps.size());
    for (size_t i = 0; i < hyps.size(); ++i)
        out.push_back((rougeScoreMulti(refs[i], hyps[i], options).*field).fmeasure);
    return out;
}

double mcnemarExact(int64_t onlyBaseline, int64_t onlySystem)
{
    if (onlyBaseline < 0 || onlySystem < 0)
        throw Error("McNemar: discordant counts must be non-negative, found " + std::to_string(onlyBaseline) + " and "
                    + std::to_string(onlySystem));
    const int64_t n = onlyBaseline + onlySystem;
    if (n == 0)
        return 1.0;
    const int64_t k = std::min(onlyBaseline, onlySystem);
    // P(X <= k) in log space: C(n, i) / 2^n overflows doubles beyond n ~ 1000.
    double tail = 0;
    for (int64_t i = 0; i <= k; ++i)
        tail += std::exp(std::lgamma(double(n) + 1) - std::lgamma(double(i) + 1) - std::lgamma(double(n - i) + 1)
                         - double(n) * std::log(2.0));
    return std::min(1.0, 2 * tail);
}

} // namespace tb::eval
