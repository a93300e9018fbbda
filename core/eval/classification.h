#pragma once
// Label and score agreement metrics with the textbook definitions that
// scikit-learn and SciPy implement: accuracy, macro-F1 (sklearn f1_score
// average="macro", zero_division=0), Matthews correlation (sklearn
// matthews_corrcoef, multiclass form), Pearson r, Spearman rho (Pearson r of
// average ranks), and perplexity.
#include <cstdint>
#include <string>
#include <vector>

namespace tb::eval {

// All label metrics throw tb::Error when the lists are empty or differ in length.
double accuracy(const std::vector<std::string>& truth, const std::vector<std::string>& predicted);
double accuracy(const std::vector<int64_t>& truth, const std::vector<int64_t>& predicted);

// Mean of the per-class F1 over every label seen in truth or predictions; a
// class with no true or predicted members contributes F1 0.
double macroF1(const std::vector<std::string>& truth, const std::vector<std::string>& predicted);
double macroF1(const std::vector<int64_t>& truth, const std::vector<int64_t>& predicted);

// Gorodkin's multiclass R_K; 0 when either side has a single class.
double matthewsCorrelation(const std::vector<std::string>& truth, const std::vector<std::string>& predicted);
double matthewsCorrelation(const std::vector<int64_t>& truth, const std::vector<int64_t>& predicted);

// Throw tb::Error for fewer than two pairs or different lengths; NaN when
// either side is constant (undefined, as in scipy.stats).
double pearson(const std::vector<double>& x, const std::vector<double>& y);
double spearman(const std::vector<double>& x, const std::vector<double>& y);
// 1-based ranks, ties get the mean of the ranks they span (scipy rankdata "average").
std::vector<double> averageRanks(const std::vector<double>& values);

// exp(summed negative log-likelihood in nats / number of predicted tokens).
// Throws tb::Error for a token count below 1 or a negative or non-finite sum.
double perplexity(double nllSum, int64_t tokenCount);

} // namespace tb::eval
