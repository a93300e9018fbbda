#pragma once
// A suite's description: SUITE.json read into TaskSpecs, checked field by
// field. What the tasks are made of (examples, prompts) is suite_task.h.
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
} // namespace tb::eval
