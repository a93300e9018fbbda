#pragma once
// ROUGE-1, ROUGE-2, ROUGE-L and ROUGE-Lsum exactly as Google's rouge_score
// package (0.1.2, rouge_score/rouge_scorer.py) computes them with its default
// tokenizer: lowercase, every run of characters outside [a-z0-9] becomes a
// separator, optional Porter stemming (NLTK's default mode) of tokens longer
// than three characters. ROUGE-Lsum splits the texts on "\n" and scores the
// union LCS of each reference sentence against all candidate sentences.
#include <string>
#include <string_view>
#include <vector>

namespace tb::eval {

struct RougeOptions {
    bool useStemmer = false;
};

struct RougePrf {
    double precision = 0;
    double recall = 0;
    double fmeasure = 0;
};

struct RougeScores {
    RougePrf rouge1;
    RougePrf rouge2;
    RougePrf rougeL;
    RougePrf rougeLsum;
};

// RougeScorer.score(target, prediction): note the reference comes first.
RougeScores rougeScore(std::string_view target, std::string_view prediction, const RougeOptions& options = {});
// RougeScorer.score_multi(): per ROUGE type, the reference with the highest
// F-measure (the first one on ties). Throws tb::Error when targets is empty.
RougeScores rougeScoreMulti(const std::vector<std::string>& targets, std::string_view prediction,
                            const RougeOptions& options = {});
// Corpus level: the arithmetic mean of each precision, recall and F-measure
// over segments, the quantity whose bootstrap estimate rouge_score's
// BootstrapAggregator reports as `mid` (we skip the random resampling).
RougeScores rougeMean(const std::vector<RougeScores>& scores);

// rouge_score.tokenize.tokenize(text, stemmer).
std::vector<std::string> rougeTokenize(std::string_view text, bool useStemmer);

} // namespace tb::eval
