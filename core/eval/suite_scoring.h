#pragma once
// Scoring what a model produced for a suite's examples: text metrics for
// generations, choice accuracy and confidence, calibration error.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "eval/suite_task.h"

namespace tb::eval {

// Per-example scores of a generation against its references for the given
// metric names: "rouge" gives rouge1, rouge2, rougeL, rougeLsum (F-measure,
// 0..1); "bleu" gives sentence bleu (0..100); "chrf" (0..100); "exact_match"
// and "f1" SQuAD-style (0..1).
std::map<std::string, double> scoreGeneration(const std::string& output, const std::vector<std::string>& references,
                                              const std::vector<std::string>& metrics);

// Corpus-level scores of a whole task: ROUGE means, corpus BLEU and chrF
// (sacreBLEU defaults), exact match and F1 means. Same names as above.
std::map<std::string, double> scoreCorpus(const std::vector<std::string>& outputs,
                                          const std::vector<std::vector<std::string>>& references,
                                          const std::vector<std::string>& metrics);

// One multiple-choice answer: per-option summed log-probabilities of the
// continuation and its token counts.
struct ChoiceResult {
    std::vector<double> logprobs;
    std::vector<int64_t> tokens;
};

struct ChoiceScores {
    int64_t predicted = -1;         // argmax of logprobs (ties: the first)
    int64_t predictedNorm = -1;     // argmax of logprobs / tokens (length-normalised)
    double correct = 0;             // optionScores[predicted] (1/0 for a single right answer)
    double correctNorm = 0;
    double confidence = 0;          // softmax over options of logprobs, at predicted
};
ChoiceScores scoreChoice(const EvalExample& example, const ChoiceResult& result);

// Expected calibration error with equal-width bins over [0,1]:
// sum_b |B|/n * |acc(B) - conf(B)|. Empty input gives 0.
double expectedCalibrationError(const std::vector<double>& confidence, const std::vector<double>& correct, int bins);

} // namespace tb::eval
