#include "eval/classification.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "common/error.h"

namespace tb::eval {

namespace {

void checkPairs(size_t truth, size_t predicted, const char* metric)
{
    if (truth != predicted)
        throw Error(std::string(metric) + ": " + std::to_string(truth) + " true labels but "
                    + std::to_string(predicted) + " predictions; the lists must pair up");
    if (truth == 0)
        throw Error(std::string(metric) + ": no examples to score");
}

// Labels as dense indices over the sorted union, plus a confusion matrix
// C[true][predicted], the form both sklearn metrics start from.
struct Confusion {
    size_t classes = 0;
    std::vector<int64_t> cells; // classes x classes
    int64_t at(size_t t, size_t p) const { return cells[t * classes + p]; }
};

template <class Label>
Confusion confusion(const std::vector<Label>& truth, const std::vector<Label>& predicted, const char* metric)
{
    checkPairs(truth.size(), predicted.size(), metric);
    std::map<Label, size_t> index;
    for (const auto& l : truth)
        index.emplace(l, 0);
    for (const auto& l : predicted)
        index.emplace(l, 0);
    size_t next = 0;
    for (auto& [label, i] : index)
        i = next++;
    Confusion c;
    c.classes = index.size();
    c.cells.assign(c.classes * c.classes, 0);
    for (size_t i = 0; i < truth.size(); ++i)
        ++c.cells[index[truth[i]] * c.classes + index[predicted[i]]];
    return c;
}

double macroF1Of(const Confusion& c)
{
    double sum = 0;
    for (size_t k = 0; k < c.classes; ++k) {
        int64_t tp = c.at(k, k);
        int64_t fp = 0;
        int64_t fn = 0;
        for (size_t j = 0; j < c.classes; ++j) {
            if (j == k)
                continue;
            fp += c.at(j, k);
            fn += c.at(k, j);
        }
        const int64_t denom = 2 * tp + fp + fn;
        sum += denom > 0 ? double(2 * tp) / double(denom) : 0.0;
    }
    return sum / double(c.classes);
}

// sklearn.metrics.matthews_corrcoef()
double mccOf(const Confusion& c)
{
    std::vector<double> tSum(c.classes, 0.0);
    std::vector<double> pSum(c.classes, 0.0);
    double correct = 0;
    double samples = 0;
    for (size_t t = 0; t < c.classes; ++t) {
        for (size_t p = 0; p < c.classes; ++p) {
            tSum[t] += double(c.at(t, p));
            pSum[p] += double(c.at(t, p));
            samples += double(c.at(t, p));
        }
        correct += double(c.at(t, t));
    }
    const double covYtYp = correct * samples - std::inner_product(tSum.begin(), tSum.end(), pSum.begin(), 0.0);
    const double covYpYp = samples * samples - std::inner_product(pSum.begin(), pSum.end(), pSum.begin(), 0.0);
    const double covYtYt = samples * samples - std::inner_product(tSum.begin(), tSum.end(), tSum.begin(), 0.0);
    if (covYtYt * covYpYp == 0)
        return 0.0;
    return covYtYp / std::sqrt(covYtYt * covYpYp);
}

template <class Label>
double accuracyOf(const std::vector<Label>& truth, const std::vector<Label>& predicted)
{
    checkPairs(truth.size(), predicted.size(), "accuracy");
    size_t hits = 0;
    for (size_t i = 0; i < truth.size(); ++i)
        hits += truth[i] == predicted[i] ? 1 : 0;
    return double(hits) / double(truth.size());
}

} // namespace

double accuracy(const std::vector<std::string>& truth, const std::vector<std::string>& predicted)
{
    return accuracyOf(truth, predicted);
}

double accuracy(const std::vector<int64_t>& truth, const std::vector<int64_t>& predicted)
{
    return accuracyOf(truth, predicted);
}

double macroF1(const std::vector<std::string>& truth, const std::vector<std::string>& predicted)
{
    return macroF1Of(confusion(truth, predicted, "macro-F1"));
}

double macroF1(const std::vector<int64_t>& truth, const std::vector<int64_t>& predicted)
{
    return macroF1Of(confusion(truth, predicted, "macro-F1"));
}

double matthewsCorrelation(const std::vector<std::string>& truth, const std::vector<std::string>& predicted)
{
    return mccOf(confusion(truth, predicted, "Matthews correlation"));
}

double matthewsCorrelation(const std::vector<int64_t>& truth, const std::vector<int64_t>& predicted)
{
    return mccOf(confusion(truth, predicted, "Matthews correlation"));
}

double pearson(const std::vector<double>& x, const std::vector<double>& y)
{
    if (x.size() != y.size())
        throw Error("Pearson: " + std::to_string(x.size()) + " values against " + std::to_string(y.size())
                    + "; the lists must pair up");
    if (x.size() < 2)
        throw Error("Pearson: need at least 2 pairs, got " + std::to_string(x.size()));
    const double n = double(x.size());
    const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n;
    const double my = std::accumulate(y.begin(), y.end(), 0.0) / n;
    double sxy = 0;
    double sxx = 0;
    double syy = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        const double dx = x[i] - mx;
        const double dy = y[i] - my;
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if (sxx == 0 || syy == 0)
        return std::nan("");
    return std::clamp(sxy / std::sqrt(sxx * syy), -1.0, 1.0);
}

std::vector<double> averageRanks(const std::vector<double>& values)
{
    std::vector<size_t> order(values.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return values[a] < values[b]; });
    std::vector<double> ranks(values.size());
    size_t i = 0;
    while (i < order.size()) {
        size_t j = i;
        while (j + 1 < order.size() && values[order[j + 1]] == values[order[i]])
            ++j;
        // positions i..j (0-based) share ranks i+1..j+1
        const double rank = (double(i + 1) + double(j + 1)) / 2.0;
        for (size_t k = i; k <= j; ++k)
            ranks[order[k]] = rank;
        i = j + 1;
    }
    return ranks;
}

double spearman(const std::vector<double>& x, const std::vector<double>& y)
{
    if (x.size() != y.size())
        throw Error("Spearman: " + std::to_string(x.size()) + " values against " + std::to_string(y.size())
                    + "; the lists must pair up");
    return pearson(averageRanks(x), averageRanks(y));
}

double perplexity(double nllSum, int64_t tokenCount)
{
    if (tokenCount < 1)
        throw Error("perplexity: need at least one token, got " + std::to_string(tokenCount));
    if (!std::isfinite(nllSum) || nllSum < 0)
        throw Error("perplexity: the summed negative log-likelihood must be finite and >= 0, got "
                    + std::to_string(nllSum));
    return std::exp(nllSum / double(tokenCount));
}

} // namespace tb::eval
