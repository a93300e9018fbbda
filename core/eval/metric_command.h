#pragma once
// The body of `tunebench-cli metric (bleu|chrf|rouge) --input FILE.jsonl ...`,
// free of the app so it can be tested and reused. Input lines are JSON
// objects {"id": ..., "hyp": "...", "refs": ["...", ...]} (ROUGE also takes
// "ref": "..."); blank lines are skipped.
//
// Output, one JSON document per line:
//   sentence level, one per input line, in input order:
//     {"id":..,"bleu":{"score","bp","sys_len","ref_len","precisions","counts","totals","signature"}}
//     {"id":..,"chrf":{"score","name","signature"}}
//     {"id":..,"rouge1":{"precision","recall","fmeasure"},"rouge2":..,"rougeL":..,"rougeLsum":..}
//   corpus level, one document with "segments": N and
//     BLEU/chrF: sacreBLEU's corpus score from summed statistics;
//     ROUGE: the arithmetic mean of the segment scores ("aggregate": "mean"),
//     the value rouge_score's BootstrapAggregator estimates as `mid`.
// A missing "id" becomes the 1-based line number.
#include <iosfwd>
#include <string>
#include <string_view>

#include "eval/bleu.h"

namespace tb::eval {

enum class MetricKind { Bleu, Chrf, Rouge };
enum class MetricLevel { Sentence, Corpus };

struct MetricCommandOptions {
    MetricKind metric = MetricKind::Bleu;
    std::string inputPath;
    MetricLevel level = MetricLevel::Corpus; // sacreBLEU's default
    BleuTokenize tokenize = BleuTokenize::Tok13a; // BLEU only
    BleuSmooth smooth = BleuSmooth::Exp;          // BLEU only
    bool lowercase = false;                       // BLEU and chrF; ROUGE always lowercases
    int wordOrder = 0;                            // chrF only; 2 gives chrF++
    bool stemmer = false;                         // ROUGE only
    int threads = 0;                              // lines scored in parallel; 0 = one per core
};

// Throws tb::Error naming FILE:LINE and the field for bad input.
void runMetricCommand(const MetricCommandOptions& options, std::ostream& out);

// "bleu", "chrf", "rouge" / "sentence", "corpus"; throw tb::Error listing the choices.
MetricKind parseMetricKind(std::string_view name);
MetricLevel parseMetricLevel(std::string_view name);

} // namespace tb::eval
