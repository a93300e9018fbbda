#include "eval/qa.h"

#include <algorithm>
#include <map>

#include "common/error.h"
#include "eval/pytext.h"

namespace tb::eval {

namespace {

bool isAsciiPunct(char32_t c)
{
    return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60)
        || (c >= 0x7B && c <= 0x7E);
}

// re.sub(r'\b(a|an|the)\b', ' ', text) with Unicode word characters; the
// alternatives are tried in order, so "an" matches only where "a" cannot.
std::u32string removeArticles(std::u32string_view s)
{
    static const std::u32string_view articles[] = {U"a", U"an", U"the"};
    std::u32string out;
    out.reserve(s.size());
    size_t i = 0;
    while (i < s.size()) {
        bool matched = false;
        if (i == 0 || !py::isWordChar(s[i - 1])) {
            for (auto a : articles) {
                const size_t end = i + a.size();
                if (s.substr(i, a.size()) == a && (end == s.size() || !py::isWordChar(s[end]))) {
                    out.push_back(U' ');
                    i = end;
                    matched = true;
                    break;
                }
            }
        }
        if (!matched)
            out.push_back(s[i++]);
    }
    return out;
}

std::u32string normalize(std::string_view text)
{
    const std::u32string lowered = py::lower(py::decode(text));
    std::u32string noPunct;
    noPunct.reserve(lowered.size());
    for (char32_t c : lowered) {
        if (!isAsciiPunct(c))
            noPunct.push_back(c);
    }
    return py::collapseSpaces(removeArticles(noPunct));
}

template <class Metric>
double maxOver(std::string_view prediction, const std::vector<std::string>& truths, Metric metric)
{
    if (truths.empty())
        throw Error("SQuAD metrics: a prediction needs at least one ground truth, got none");
    double best = metric(prediction, truths.front());
    for (size_t i = 1; i < truths.size(); ++i)
        best = std::max(best, metric(prediction, truths[i]));
    return best;
}

} // namespace

std::string squadNormalize(std::string_view text)
{
    return py::encode(normalize(text));
}

double squadExactMatch(std::string_view prediction, std::string_view groundTruth)
{
    return normalize(prediction) == normalize(groundTruth) ? 1.0 : 0.0;
}

double squadF1(std::string_view prediction, std::string_view groundTruth)
{
    const std::u32string p = normalize(prediction);
    const std::u32string g = normalize(groundTruth);
    const auto predTokens = py::split(p);
    const auto truthTokens = py::split(g);
    std::map<std::u32string_view, int64_t> truthCounts;
    for (auto t : truthTokens)
        ++truthCounts[t];
    int64_t same = 0;
    for (auto t : predTokens) {
        auto it = truthCounts.find(t);
        if (it != truthCounts.end() && it->second > 0) {
            ++same;
            --it->second;
        }
    }
    if (same == 0)
        return 0.0;
    const double precision = 1.0 * double(same) / double(predTokens.size());
    const double recall = 1.0 * double(same) / double(truthTokens.size());
    return (2 * precision * recall) / (precision + recall);
}

double squadExactMatchMax(std::string_view prediction, const std::vector<std::string>& groundTruths)
{
    return maxOver(prediction, groundTruths, squadExactMatch);
}

double squadF1Max(std::string_view prediction, const std::vector<std::string>& groundTruths)
{
    return maxOver(prediction, groundTruths, squadF1);
}

} // namespace tb::eval
