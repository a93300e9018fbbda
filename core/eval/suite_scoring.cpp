#include "eval/suite_scoring.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"
#include "eval/bleu.h"
#include "eval/chrf.h"
#include "eval/qa.h"
#include "eval/rouge.h"
#include "eval/suite_internal.h"

namespace tb::eval {

using namespace suite_detail;

namespace {

void checkMetric(const std::string& m)
{
    if (!contains(kGenerateMetrics, m))
        throw Error("metric: expected one of " + joinQuoted(kGenerateMetrics) + " but found '" + m + "'");
}

// Strict string equality after trimming, unlike SQuAD's normalised exact match.
double accuracyOf(const std::string& output, const std::vector<std::string>& references)
{
    const std::string o = trim(output);
    for (const auto& r : references)
        if (trim(r) == o)
            return 1;
    return 0;
}

} // namespace

std::map<std::string, double> scoreGeneration(const std::string& output, const std::vector<std::string>& references,
                                              const std::vector<std::string>& metrics)
{
    if (references.empty())
        throw Error("scoreGeneration: expected at least one reference, found none");
    std::map<std::string, double> out;
    for (const auto& m : metrics) {
        checkMetric(m);
        if (m == "rouge") {
            const RougeScores r = rougeScoreMulti(references, output);
            out["rouge1"] = r.rouge1.fmeasure;
            out["rouge2"] = r.rouge2.fmeasure;
            out["rougeL"] = r.rougeL.fmeasure;
            out["rougeLsum"] = r.rougeLsum.fmeasure;
        } else if (m == "bleu") {
            out["bleu"] = sentenceBleu(output, references).score;
        } else if (m == "chrf") {
            out["chrf"] = sentenceChrf(output, references).score;
        } else if (m == "exact_match") {
            out["exact_match"] = squadExactMatchMax(output, references);
        } else if (m == "f1") {
            out["f1"] = squadF1Max(output, references);
        } else if (m == "accuracy") {
            out["accuracy"] = accuracyOf(output, references);
        }
    }
    return out;
}

std::map<std::string, double> scoreCorpus(const std::vector<std::string>& outputs,
                                          const std::vector<std::vector<std::string>>& references,
                                          const std::vector<std::string>& metrics)
{
    if (outputs.size() != references.size())
        throw Error("scoreCorpus: " + std::to_string(outputs.size()) + " outputs but "
                    + std::to_string(references.size()) + " reference lists");
    for (size_t i = 0; i < references.size(); ++i)
        if (references[i].empty())
            throw Error("scoreCorpus: output " + std::to_string(i) + " has no reference");
    std::map<std::string, double> out;
    const double n = double(outputs.size());
    for (const auto& m : metrics) {
        checkMetric(m);
        if (m == "rouge") {
            std::vector<RougeScores> each;
            for (size_t i = 0; i < outputs.size(); ++i)
                each.push_back(rougeScoreMulti(references[i], outputs[i]));
            const RougeScores mean = each.empty() ? RougeScores{} : rougeMean(each);
            out["rouge1"] = mean.rouge1.fmeasure;
            out["rouge2"] = mean.rouge2.fmeasure;
            out["rougeL"] = mean.rougeL.fmeasure;
            out["rougeLsum"] = mean.rougeLsum.fmeasure;
        } else if (m == "bleu") {
            out["bleu"] = outputs.empty() ? 0.0 : corpusBleu(outputs, references).score;
        } else if (m == "chrf") {
            out["chrf"] = outputs.empty() ? 0.0 : corpusChrf(outputs, references).score;
        } else {
            double sum = 0;
            for (size_t i = 0; i < outputs.size(); ++i)
                sum += m == "exact_match" ? squadExactMatchMax(outputs[i], references[i])
                       : m == "f1"        ? squadF1Max(outputs[i], references[i])
                                          : accuracyOf(outputs[i], references[i]);
            out[m] = outputs.empty() ? 0.0 : sum / n;
        }
    }
    return out;
}

ChoiceScores scoreChoice(const EvalExample& example, const ChoiceResult& result)
{
    const size_t n = result.logprobs.size();
    if (n == 0 || result.tokens.size() != n || (!example.options.empty() && example.options.size() != n))
        throw Error(example.origin + ": scoreChoice: expected one log-probability and token count per option ("
                    + std::to_string(example.options.size()) + " options), found " + std::to_string(n)
                    + " log-probabilities and " + std::to_string(result.tokens.size()) + " token counts");
    ChoiceScores s;
    s.predicted = 0;
    s.predictedNorm = 0;
    const auto norm = [&](size_t i) { return result.logprobs[i] / double(std::max<int64_t>(result.tokens[i], 1)); };
    for (size_t i = 1; i < n; ++i) {
        if (result.logprobs[i] > result.logprobs[size_t(s.predicted)])
            s.predicted = int64_t(i);
        if (norm(i) > norm(size_t(s.predictedNorm)))
            s.predictedNorm = int64_t(i);
    }
    const auto correctAt = [&](int64_t i) {
        if (example.optionScores.size() == n)
            return example.optionScores[size_t(i)];
        return i == example.answer ? 1.0 : 0.0;
    };
    s.correct = correctAt(s.predicted);
    s.correctNorm = correctAt(s.predictedNorm);
    // softmax at the maximum: 1 / sum_j exp(l_j - l_max), stable for any scale.
    const double top = result.logprobs[size_t(s.predicted)];
    if (!std::isfinite(top)) {
        s.confidence = 1.0 / double(n); // every option impossible (or NaN): no preference
        return s;
    }
    double sum = 0;
    for (double l : result.logprobs)
        sum += std::exp(l - top);
    s.confidence = 1.0 / sum;
    return s;
}

double expectedCalibrationError(const std::vector<double>& confidence, const std::vector<double>& correct, int bins)
{
    if (confidence.size() != correct.size())
        throw Error("expected calibration error: " + std::to_string(confidence.size()) + " confidences but "
                    + std::to_string(correct.size()) + " correctness values");
    if (bins < 1)
        throw Error("expected calibration error: bins: expected 1 or more, found " + std::to_string(bins));
    if (confidence.empty())
        return 0;
    std::vector<double> conf(size_t(bins), 0.0);
    std::vector<double> acc(size_t(bins), 0.0);
    std::vector<double> count(size_t(bins), 0.0);
    for (size_t i = 0; i < confidence.size(); ++i) {
        // [k/bins, (k+1)/bins), with 1.0 in the last bin.
        if (!std::isfinite(confidence[i]))
            throw Error("expected calibration error: confidence " + std::to_string(i) + " is not a number");
        const double c = std::clamp(confidence[i], 0.0, 1.0);
        const int b = std::min(int(c * bins), bins - 1);
        conf[size_t(b)] += c;
        acc[size_t(b)] += correct[i];
        count[size_t(b)] += 1;
    }
    double ece = 0;
    for (size_t b = 0; b < size_t(bins); ++b)
        if (count[b] > 0)
            ece += count[b] / double(confidence.size()) * std::abs(acc[b] / count[b] - conf[b] / count[b]);
    return ece;
}

} // namespace tb::eval
