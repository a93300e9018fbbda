#pragma once
// BLEU exactly as sacreBLEU 2.x computes it (github.com/mjpost/sacrebleu,
// sacrebleu/metrics/bleu.py, checked against v2.6.0): the 13a / none / intl /
// char tokenizers, exp / floor / add-k / none smoothing, effective order,
// closest reference length and per-n-gram maximum counts over references,
// and the reproducibility signature.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tb::eval {

// The sacreBLEU release whose behaviour (and signature) we reproduce.
inline constexpr const char* kSacrebleuVersion = "2.6.0";

enum class BleuTokenize { Tok13a, None, Intl, Char };
enum class BleuSmooth { Exp, Floor, AddK, None };

struct BleuOptions {
    BleuTokenize tokenize = BleuTokenize::Tok13a;
    BleuSmooth smooth = BleuSmooth::Exp;
    std::optional<double> smoothValue; // unset: floor 0.1, add-k 1 (sacreBLEU's SMOOTH_DEFAULTS)
    bool lowercase = false;
    // Skip n-gram orders with no hypothesis n-grams; sacreBLEU turns it on for
    // sentence-level scores (sentence_bleu(), `--sentence-level`), off for corpus.
    bool effectiveOrder = false;

    static BleuOptions sentenceDefaults()
    {
        BleuOptions o;
        o.effectiveOrder = true;
        return o;
    }
};

inline constexpr int kBleuMaxOrder = 4;

// Sufficient statistics of one or more segments; corpus BLEU sums them.
struct BleuStats {
    int64_t sysLen = 0;
    int64_t refLen = 0;
    std::array<int64_t, kBleuMaxOrder> correct{};
    std::array<int64_t, kBleuMaxOrder> total{};
    BleuStats& operator+=(const BleuStats& o);
};

struct BleuScore {
    double score = 0;
    double bp = 0;
    int64_t sysLen = 0;
    int64_t refLen = 0;
    std::vector<double> precisions; // percent, one per order
    // Doubles because sacreBLEU reports add-k counts and totals with k added
    // to orders 2..4.
    std::vector<double> counts;
    std::vector<double> totals;
    std::string signature; // e.g. nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0
};

// sacreBLEU's `tokenizer(sent.rstrip())` after optional lowercasing.
std::string bleuTokenize(std::string_view text, BleuTokenize tokenize, bool lowercase = false);

BleuStats bleuSegmentStats(std::string_view hyp, const std::vector<std::string>& refs, const BleuOptions& options);
// `nrefs` is the signature's reference count: a number, or "var" when it varies.
BleuScore bleuFromStats(const BleuStats& stats, const BleuOptions& options, const std::string& nrefs);

// Throws tb::Error when refs is empty.
BleuScore sentenceBleu(std::string_view hyp, const std::vector<std::string>& refs,
                       const BleuOptions& options = BleuOptions::sentenceDefaults());
// refs[i] are the references of hyps[i] (their number may vary per segment).
BleuScore corpusBleu(const std::vector<std::string>& hyps, const std::vector<std::vector<std::string>>& refs,
                     const BleuOptions& options = {});

std::string bleuSignature(const BleuOptions& options, const std::string& nrefs);

// "13a", "none", "intl", "char"; throws tb::Error naming the accepted values.
BleuTokenize parseBleuTokenize(std::string_view name);
std::string bleuTokenizeName(BleuTokenize tokenize);
// "exp", "floor", "add-k", "none".
BleuSmooth parseBleuSmooth(std::string_view name);
std::string bleuSmoothName(BleuSmooth smooth);

} // namespace tb::eval
