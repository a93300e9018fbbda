#include "eval/significance.h"

#include "common/error.h"
#include "common/parallel.h"
#include "eval/bleu.h"
#include "eval/chrf.h"
#include "eval/rouge.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <exception>
#include <system_error>
#include <thread>
#include <utility>

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

// Runs fn(begin, end) on contiguous chunks of [0, n), one per core (at most
// one per `grain` items); the results equal a single thread's.
template <class Fn>
void forChunks(size_t n, size_t grain, Fn fn)
{
    tb::forChunks(n, chunksPerCore(n, grain), [&fn](size_t begin, size_t end, size_t) { fn(begin, end); });
}

// Sums columns [col, col + B) of the segments in `row` (rows `width` apart)
// into out, each column in row order, so every sum is the same double as a
// plain loop's. B is fixed so the sums stay in registers.
template <class T, size_t... K>
void sumColumns(const T* table, size_t width, size_t col, const uint32_t* row, size_t n, double* out,
                std::index_sequence<K...>)
{
    double acc[sizeof...(K)] = {};
    const T* base = table + col;
    for (size_t i = 0; i < n; ++i) {
        const T* seg = base + size_t(row[i]) * width;
        ((acc[K] += double(seg[K])), ...); // unrolled: the sums stay in registers
    }
    ((out[K] = acc[K]), ...);
}

template <size_t B, class T>
void sumColumns(const T* table, size_t width, size_t col, const uint32_t* row, size_t n, double* out)
{
    sumColumns(table, width, col, row, n, out, std::make_index_sequence<B>());
}

// The summed statistics of one resample: BLEU's and chrF's default widths and
// per-example values in one pass, other widths eight columns at a time.
template <class T>
void sumRow(const T* t, size_t w, const uint32_t* row, size_t n, double* out)
{
    switch (w) {
    case 1:
        return sumColumns<1>(t, w, 0, row, n, out);
    case 2 + 2 * kBleuMaxOrder:
        return sumColumns<2 + 2 * kBleuMaxOrder>(t, w, 0, row, n, out);
    case 24: // chrF's 6 character and 2 word orders
        return sumColumns<24>(t, w, 0, row, n, out);
    default:
        break;
    }
    size_t col = 0;
    for (; col + 8 <= w; col += 8)
        sumColumns<8>(t, w, col, row, n, out + col);
    for (; col < w; ++col)
        sumColumns<1>(t, w, col, row, n, out + col);
}

// The statistics as floats when every value is one exactly (counts below
// 2^24): half the bytes to gather, and each sum adds the very same doubles
// in the same order. Empty otherwise.
std::vector<float> asFloats(const SegmentStats& stats)
{
    std::vector<float> out(stats.values.size());
    for (size_t i = 0; i < out.size(); ++i) {
        out[i] = float(stats.values[i]);
        if (!(double(out[i]) == stats.values[i]))
            return {};
    }
    return out;
}

// Scores of the resamples given by `idxs` (rows of `n` segment indices) for
// every system, resamples split across cores: scores[system][resample].
std::vector<std::vector<double>> bootstrapScores(const std::vector<const SegmentStats*>& systems,
                                                 const std::vector<uint32_t>& idxs, const CorpusMetric& metric)
{
    const size_t n = systems.front()->segments(), w = systems.front()->width;
    const size_t rows = n ? idxs.size() / n : 0;
    std::vector<std::vector<double>> out(systems.size(), std::vector<double>(rows));
    std::vector<std::vector<float>> floats;
    for (const SegmentStats* s : systems)
        floats.push_back(rows ? asFloats(*s) : std::vector<float>());
    forChunks(rows, 64, [&](size_t begin, size_t end) {
        std::vector<double> sum(w);
        for (size_t r = begin; r < end; ++r)
            for (size_t s = 0; s < systems.size(); ++s) {
                const uint32_t* row = idxs.data() + r * n;
                if (floats[s].empty())
                    sumRow(systems[s]->values.data(), w, row, n, sum.data());
                else
                    sumRow(floats[s].data(), w, row, n, sum.data());
                out[s][r] = metric.score(sum.data(), n);
            }
    });
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
    if (n <= 1) {
        for (auto& v : out)
            v = below(n);
        return out;
    }
    // below(n) and next32() with the generator's state in locals, which the
    // members would send through memory on every draw.
    const U128 inc = join(m_incHi, m_incLo);
    U128 state = join(m_stateHi, m_stateLo);
    bool hasHalf = m_hasHalf;
    uint32_t half = m_half;
    const auto draw = [&]() -> uint32_t {
        if (hasHalf) {
            hasHalf = false;
            return half;
        }
        state = state * kPcgMultiplier + inc;
        const uint64_t hi = uint64_t(state >> 64), x = hi ^ uint64_t(state);
        const unsigned rot = unsigned(hi >> 58);
        const uint64_t v = (x >> rot) | (x << ((64 - rot) & 63));
        hasHalf = true;
        half = uint32_t(v >> 32);
        return uint32_t(v);
    };
    const uint32_t threshold = (0xffffffffu - (n - 1)) % n;
    for (auto& v : out) {
        uint64_t m = uint64_t(draw()) * n;
        if (uint32_t(m) < n)
            while (uint32_t(m) < threshold)
                m = uint64_t(draw()) * n;
        v = uint32_t(m >> 32);
    }
    m_stateHi = uint64_t(state >> 64);
    m_stateLo = uint64_t(state);
    m_hasHalf = hasHalf;
    m_half = half;
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

    // Bootstrap: every system's scores on the same indices from one generator
    // (sacreBLEU re-seeds it per system). Randomization: the baseline's interval
    // from a fresh generator (_bootstrap_resample()); which segments swap, the
    // same for every system (each comparison re-seeds the generator), then the
    // other systems' CI indices from the same stream.
    std::vector<const SegmentStats*> all;
    for (const auto& sys : systems)
        all.push_back(&sys.second);
    std::vector<std::vector<double>> scores(systems.size()); // bootstrap scores per system
    std::vector<uint8_t> swap;
    if (bootstrap) {
        scores = bootstrapScores(all, NumpyRng(options.seed).choice(uint32_t(n), size_t(samples)), metric);
    } else {
        if (confidence > 0)
            scores[0] = bootstrapScores({&base}, NumpyRng(options.seed).choice(uint32_t(n), size_t(confidence)),
                                        metric)[0];
        NumpyRng rng(options.seed);
        swap = rng.bools(size_t(samples) * n);
        if (confidence > 0 && systems.size() > 1) {
            auto rest = bootstrapScores({all.begin() + 1, all.end()}, rng.choice(uint32_t(n), size_t(confidence)),
                                        metric);
            std::move(rest.begin(), rest.end(), scores.begin() + 1);
        }
    }
    if (confidence > 0)
        estimateCi(scores[0], out[0]);

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
            for (size_t i = 0; i < stats.size(); ++i)
                stats[i] = std::abs(scores[s][i] - scores[0][i]);
            const double meanDiff = numpyMean(stats);
            for (auto& v : stats)
                v -= meanDiff;
        } else {
            // shuf_a takes the baseline's segment where the mask is set and the
            // system's elsewhere; shuf_b the other way round.
            forChunks(stats.size(), 256, [&](size_t begin, size_t end) {
                std::vector<double> a(w), b(w);
                for (size_t t = begin; t < end; ++t) {
                    std::fill(a.begin(), a.end(), 0.0);
                    std::fill(b.begin(), b.end(), 0.0);
                    const uint8_t* mask = swap.data() + t * n;
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
                    stats[t] = std::abs(metric.score(a.data(), n) - metric.score(b.data(), n));
                }
            });
        }
        if (confidence > 0)
            estimateCi(scores[s], r);
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
    out.values.resize(hyps.size() * out.width);
    forChunks(hyps.size(), 256, [&](size_t begin, size_t end) {
        for (size_t i = begin; i < end; ++i) {
            const BleuStats s = bleuSegmentStats(hyps[i], refs[i], options);
            double* row = out.values.data() + i * out.width;
            *row++ = double(s.sysLen);
            *row++ = double(s.refLen);
            row = std::transform(s.correct.begin(), s.correct.end(), row, [](int64_t c) { return double(c); });
            std::transform(s.total.begin(), s.total.end(), row, [](int64_t t) { return double(t); });
        }
    });
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
    out.values.resize(hyps.size() * out.width);
    forChunks(hyps.size(), 256, [&](size_t begin, size_t end) {
        for (size_t i = begin; i < end; ++i) {
            const auto v = chrfSegmentStats(hyps[i], refs[i], options).values;
            if (v.size() != out.width)
                throw Error("chrF: segment " + std::to_string(i + 1) + " has " + std::to_string(v.size())
                            + " statistics, expected " + std::to_string(out.width));
            std::transform(v.begin(), v.end(), out.values.data() + i * out.width, [](int64_t x) { return double(x); });
        }
    });
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
