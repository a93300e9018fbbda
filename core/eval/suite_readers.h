#pragma once
// Readers of the layouts the public benchmarks publish (MMLU CSV, HellaSwag,
// BIG-bench, GLUE JSONL/TSV) and of Tunebench's own records, each into
// uniform items; loadTask (suite_task.cpp) puts the few-shot context in
// front of them. Internal to the suite: callers include eval/suite.h.
#include <cstdint>
#include <string>
#include <vector>

#include "eval/suite_spec.h"

namespace tb::eval::suite_detail {

// One example before the few-shot context is put in front of it. Its prompt
// block is head + input + tail; `shot` is the same example solved, for use
// as a few-shot example of others.
struct Item {
    std::string id;
    std::string origin;
    std::string head;
    std::string input;
    std::string tail;
    std::string shot;
    std::vector<std::string> references;
    std::vector<std::string> options;
    std::vector<double> optionScores;
    int64_t answer = -1;
};

struct Parsed {
    std::string instruction; // before everything (MMLU's subject line, BIG-bench's task_prefix)
    std::string separator;   // after each few-shot example
    std::vector<Item> items;
};

// The task's file at `path` (its data or its dev pool) in the task's format.
Parsed readTaskFile(const TaskSpec& spec, const std::string& path);

} // namespace tb::eval::suite_detail
