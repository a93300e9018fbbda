#pragma once
// Exact match and token F1 of extractive QA, as the official SQuAD v1.1
// evaluation script (evaluate-v1.1.py) defines them: answers are lowercased,
// stripped of ASCII punctuation and of the articles a/an/the, and their
// whitespace collapsed before comparing.
#include <string>
#include <string_view>
#include <vector>

namespace tb::eval {

// normalize_answer()
std::string squadNormalize(std::string_view text);
// exact_match_score(): 1 or 0.
double squadExactMatch(std::string_view prediction, std::string_view groundTruth);
// f1_score(): bag-of-tokens F1 of the normalised answers; 0 when nothing overlaps.
double squadF1(std::string_view prediction, std::string_view groundTruth);

// metric_max_over_ground_truths(); throw tb::Error when groundTruths is empty.
double squadExactMatchMax(std::string_view prediction, const std::vector<std::string>& groundTruths);
double squadF1Max(std::string_view prediction, const std::vector<std::string>& groundTruths);

} // namespace tb::eval
