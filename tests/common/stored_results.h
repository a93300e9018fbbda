#pragma once
// Writes an evaluation result into a run store the way the evaluation engine
// records one (engine/eval_record): a TaskEvaluation, its metric rows, and
// per-example Generation rows. Tests use it to set up stored scores with
// values they chose, then read them back through the code under test.
#include "store/run_store.h"

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace tb::test {

struct StoredExample {
    std::string id;
    std::string output;
    std::string reference;
    nlohmann::json scores = nlohmann::json::object(); // per-example metric values
    std::string prompt;
};

struct StoredTask {
    store::RunId run = 0; // 0 = the base model alone
    std::string baseModel;
    std::string suite;
    std::string task;
    std::string kind = "generate";
    std::map<std::string, double> scores; // the task's metrics
    std::vector<StoredExample> examples;
    int64_t createdAt = 1000;
    std::string settingsJson = "{}"; // e.g. the metrics the task asked for
};

// Returns the TaskEvaluation's id.
inline int64_t storeTask(store::RunStore& db, const StoredTask& t)
{
    store::TaskEvaluation te;
    te.run = t.run;
    te.baseModel = t.baseModel;
    te.suite = t.suite;
    te.task = t.task;
    te.kind = t.kind;
    te.createdAt = t.createdAt;
    te.settingsJson = t.settingsJson;
    const int64_t id = db.addTaskEvaluation(te);
    for (const auto& [metric, value] : t.scores) {
        store::Evaluation e;
        e.run = t.run;
        e.baseModel = t.baseModel;
        e.suite = t.suite;
        e.task = t.task;
        e.metric = metric;
        e.value = value;
        e.taskEvaluation = id;
        db.addEvaluation(e);
    }
    std::vector<store::Generation> gens;
    for (const auto& x : t.examples) {
        store::Generation g;
        g.taskEvaluation = id;
        g.exampleId = x.id;
        g.prompt = x.prompt;
        g.output = x.output;
        g.reference = x.reference;
        g.scoresJson = x.scores.dump();
        gens.push_back(g);
    }
    if (!gens.empty())
        db.addGenerations(gens);
    return id;
}

} // namespace tb::test
