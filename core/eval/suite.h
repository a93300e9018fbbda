#pragma once
// Evaluation suites: SUITE.json describes tasks over data in the layouts the
// public benchmarks publish (the project ships none of their data; it reads
// it). This header reads a suite and its data into uniform examples, builds
// prompts (zero- or few-shot), perturbs inputs for robustness checks, and
// scores what a model produced. No LibTorch here: the engine that runs the
// model is evaluator.h.
//
// SUITE.json (relative paths are taken from the suite file's folder):
// {
//   "name": "demo",                       // required; how results are grouped
//   "description": "...",
//   "tasks": [ TASK, ... ],               // required, at least one, unique names
//   "helm": {                             // optional: the HELM-style report
//     "perturbations": ["lowercase", "typos", "whitespace", "contractions"],
//     "calibration_bins": 10,
//     "seed": 0
//   }
// }
// TASK:
// {
//   "name": "summarize",                  // required
//   "type": "generate" | "multiple_choice" | "classification" | "perplexity",
//   "format": see TaskFormat,             // default "auto" (Tunebench data readers)
//   "data": "data/summarize/test.jsonl",  // required
//   "dev": "mmlu/dev/x_dev.csv",          // few-shot pool (default: examples of "data" other than the one asked)
//   "shots": 0,                           // few-shot examples put before each prompt
//   "limit": 0,                           // first N examples only; 0 = all
//   "fields": {"article": "prompt"},      // field mapping for format auto (as in RUN.json)
//   "template": "plain" | "alpaca" | "chatml",  // how prompt/response records become a prompt; default "alpaca"
//   "prompt": "{sentence}\nSentiment:",   // classification/multiple choice: a prompt with {field} slots
//   "text_fields": ["sentence"],          // glue formats: fields that make the input
//   "label_field": "label",               // glue formats
//   "verbalizers": {"0": "negative", "1": "positive"},  // classification: label -> answer text
//   "metrics": ["rouge", "bleu", "chrf", "exact_match", "f1", "accuracy"],  // generate; default by task
//   "max_new_tokens": 64,                 // generate
//   "stop": ["\n"],                       // generate: stop strings
//   "subject": "abstract algebra"         // mmlu: used in the instruction line
// }
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tb::eval {

enum class TaskType {
    Generate,       // free generation, scored by text metrics against references
    MultipleChoice, // pick the option with the highest log-likelihood
    Classification, // multiple choice whose options are the verbalised labels
    Perplexity,     // mean negative log-likelihood of the text
};

// SUITE.json names: auto, mmlu, hellaswag, bigbench, glue_jsonl, glue_tsv.
enum class TaskFormat {
    Auto,      // Tunebench's readers (JSONL/JSON/CSV records: prompt/response, Alpaca, chat, text)
    MmluCsv,   // MMLU: no header; question, A, B, C, D, answer letter
    Hellaswag, // JSONL: ctx (or ctx_a + ctx_b), endings [4], label; activity_label optional
    Bigbench,  // BIG-bench task.json: examples [{input, target | target_scores}], task_prefix, ...
    GlueJsonl, // one object per line with text_fields and label_field
    GlueTsv,   // tab-separated with a header row (GLUE's own files)
};

struct HelmOptions {
    std::vector<std::string> perturbations; // lowercase, typos, whitespace, contractions
    int calibrationBins = 10;
    uint64_t seed = 0;
};

struct TaskSpec {
    std::string name;
    TaskType type = TaskType::Generate;
    TaskFormat format = TaskFormat::Auto;
    std::string data; // absolute after reading
    std::string dev;  // absolute or empty
    int shots = 0;
    int64_t limit = 0;
    std::map<std::string, std::string> fields;
    std::string templateName = "alpaca";
    std::string prompt;
    std::vector<std::string> textFields;
    std::string labelField = "label";
    std::map<std::string, std::string> verbalizers;
    std::vector<std::string> metrics;
    int64_t maxNewTokens = 64;
    std::vector<std::string> stop;
    std::string subject;
};

struct SuiteSpec {
    std::string name;
    std::string description;
    std::string path; // the suite file, absolute
    std::vector<TaskSpec> tasks;
    std::optional<HelmOptions> helm;
};

// Throws tb::Error "<file>: tasks[2].type: expected one of generate, ... but found 'x'".
SuiteSpec readSuite(const std::string& path);
SuiteSpec parseSuite(const std::string& jsonText, const std::string& source, const std::string& baseDir);

std::string taskTypeName(TaskType type);
std::string taskFormatName(TaskFormat format);

// One thing to ask the model.
struct EvalExample {
    std::string id;       // stable within the task: "<line>" or the benchmark's own id
    std::string prompt;   // the full prompt, few-shot examples included
    std::string input;    // the bare input (what perturbations change), for display
    // Generate: the acceptable answers. Perplexity: the text, in references[0].
    std::vector<std::string> references;
    // MultipleChoice / Classification: each option's continuation text (what
    // follows the prompt, usually with a leading space) and the right one(s).
    std::vector<std::string> options;
    std::vector<double> optionScores; // BIG-bench target_scores; else 1 for the right option, 0 otherwise
    int64_t answer = -1;              // index of the (first) best option
    std::string origin;               // "file:line" for messages
    // Where `input` starts in `prompt` (after any few-shot context); -1 when
    // unknown, and perturbExample() then looks for the input's last occurrence.
    int64_t inputOffset = -1;
};

struct TaskData {
    TaskSpec spec;
    std::vector<EvalExample> examples;
    std::vector<std::string> metrics; // resolved: spec.metrics or the task type's default
};

// Reads the task's data (and its few-shot pool) and builds every prompt.
// Errors name the file and line (or byte offset) and the field.
TaskData loadTask(const TaskSpec& spec);

// A deterministic perturbation of a prompt's input text, HELM-style:
// "lowercase", "whitespace" (collapse/extend spaces), "typos" (swap adjacent
// letters in about one word in ten, seeded), "contractions" (do not -> don't
// and so on). Throws tb::Error for an unknown name.
std::string perturb(const std::string& text, const std::string& perturbation, uint64_t seed);
// The example with its input perturbed in the prompt and the options kept.
EvalExample perturbExample(const EvalExample& example, const std::string& perturbation, uint64_t seed);

// --- scoring ---------------------------------------------------------------

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
