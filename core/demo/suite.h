#pragma once
// The demo's generated task suite: word lists and templates drawn from a
// seeded tb::data::Rng (fixed output on every standard library), so one seed
// always gives byte-identical files. No LibTorch here.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tb::demo {

struct DemoRecord {
    std::string prompt;   // prompt/response tasks
    std::string response;
    std::string text;     // the lm task
    std::string task;
};

struct DemoTask {
    std::string name;        // summarize, translate, classify, lm
    std::string metric;      // rouge, bleu, accuracy, perplexity
    std::string description;
    std::vector<DemoRecord> train, validation, test;
};

// The four tasks, in that order. No prompt (or text) occurs twice within a
// task, so validation and test never repeat a training example.
std::vector<DemoTask> generateSuite(uint64_t seed);

// One JSON object per line: {"prompt","response","task"} or {"text","task"}.
std::string toJsonl(const std::vector<DemoRecord>& records);

// The invented language of the translate task: a word-for-word dictionary
// plus one reordering rule (an adjective follows its noun).
struct Dictionary {
    std::string language;                                  // "Lumi"
    std::vector<std::pair<std::string, std::string>> words; // English -> Lumi
    std::vector<std::string> adjectives;                   // English adjectives
    std::vector<std::string> nouns;                        // English nouns
};
const Dictionary& translationDictionary();
// dictionary.json, written beside the translate data so people (and tests)
// can check the translations by hand.
std::string dictionaryJson();

// Evaluation files made from the generated data, so every suite format runs
// offline (suites/ in the workspace):
// - MMLU's CSV layout (no header; question, A, B, C, D, answer letter): which
//   Lumi word translates an English word, three wrong Lumi words beside it;
std::string lumiVocabularyCsv(uint64_t seed, size_t count);
// - a BIG-bench task.json whose examples are the reviews with target_scores
//   over "positive" and "negative";
std::string sentimentBigbenchJson(const std::vector<DemoRecord>& reviews);
// - suites/demo.json over the four tasks (test files, small limits) and the two
//   files above, with a HELM block (perturbed re-runs, calibration).
std::string demoSuiteJson();

// The prompt prefixes, so evaluation code can strip or reuse them.
inline constexpr const char* kSummarizePrefix = "Summarize: ";
inline constexpr const char* kTranslatePrefix = "Translate to Lumi: ";
inline constexpr const char* kClassifyPrefix = "Review: ";

} // namespace tb::demo
