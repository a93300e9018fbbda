#pragma once
// A task's examples: its data read in the benchmark's layout and every
// prompt built (zero- or few-shot), ready to ask a model.
#include <cstdint>
#include <string>
#include <vector>

#include "eval/suite_spec.h"

namespace tb::eval {

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

} // namespace tb::eval
