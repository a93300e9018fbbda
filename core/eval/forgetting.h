#pragma once
// Catastrophic forgetting across tasks: a matrix R where row 0 is the base
// model and row i (1..T) the model after stage i, and column j is task j's
// raw score (as the metric reports it: accuracy, ROUGE, perplexity, ...).
// No LibTorch, no Qt.
//
// Two relations between the stages, chosen explicitly (ForgettingMode):
// - Independent: each stage is a separate fine-tune of the same base model
//   (row 0). Per stage i with trained task t_i:
//     gain_i            = C[i][t_i]                       (change on its own task)
//     changeElsewhere_i = mean_{j != t_i} C[i][j]         (negative = the cost;
//                         over every counted task when t_i is unknown)
//   and their means over the stages. No BWT and no forgetting measure: the
//   stages do not build on each other.
// - Chain: stage i fine-tunes the model that stage i-1 produced.
//     BWT = (1/|I|) sum_{i in I} (C[T][t_i] - C[i][t_i])  (Lopez-Paz & Ranzato 2017),
//       I the stages 1..T-1 with a known trained task;
//     F   = (1/|J|) sum_{j in J} (max_{l=1..T-1} C[l][j] - C[T][j])  (Chaudhry et al. 2018),
//       J the tasks trained at stages 1..T-1.
//   They need T >= 2; otherwise they are absent (null in the JSON).
//
// C is the comparable change against the base, oriented so that higher is
// better for every metric:
//   higher-is-better metric:  C[i][j] = R[i][j] - R[0][j]
//   lower-is-better metric (perplexity, nll, ece, seconds; eval/metric_info.h):
//                             C[i][j] = ln(R[0][j] / R[i][j])
//   (for perplexity: the drop in mean token NLL in nats; +0.05 ~ 5% lower
//   perplexity). Only positive values give a C; otherwise it is NaN.
// `change` keeps the raw difference R[i][j] - R[0][j] for display.
//
// Lower-is-better tasks never enter the average score (a perplexity of 12
// cannot be averaged with an accuracy of 0.4). With LowerIsBetter::Exclude
// (the default) they also stay out of gain, change elsewhere, BWT and F;
// with LowerIsBetter::Normalise their C enters those like any other task.
//
// Reports stored before the mode existed (no "mode" in the JSON) read back
// as a chain, which is how they were computed; without "task_metrics" every
// column counts as higher-is-better (loss-like scores were stored negated).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace tb::eval {

enum class ForgettingMode { Independent, Chain };
enum class LowerIsBetter { Exclude, Normalise };

// "independent" / "chain"; the parse throws tb::Error naming the choices.
std::string forgettingModeName(ForgettingMode mode);
ForgettingMode parseForgettingMode(const std::string& name);

struct ForgettingInput {
    std::vector<std::string> tasks;    // columns
    std::vector<std::string> stages;   // row labels 1..T (row 0 is the base)
    std::vector<int> stageTask;        // index into tasks trained at each stage, -1 when unknown / several
    std::vector<std::vector<double>> scores; // (T+1) x N raw scores, NaN where missing
    std::string metric;                // what the scores are, for display
    // Each task's metric name (decides the direction); empty = every task
    // higher-is-better.
    std::vector<std::string> taskMetrics;
    ForgettingMode mode = ForgettingMode::Chain;
    LowerIsBetter lowerIsBetter = LowerIsBetter::Exclude;
};

// Independent mode, one stage.
struct StageSummary {
    std::optional<double> gain;            // C on the stage's own task
    std::optional<double> changeElsewhere; // mean C on the other counted tasks
};

struct ForgettingReport {
    ForgettingInput input;
    std::vector<std::vector<double>> change;     // (T+1) x N raw R[i][j] - R[0][j], row 0 all zero
    std::vector<std::vector<double>> comparable; // (T+1) x N C[i][j] (see above)
    std::vector<bool> higherIsBetter;            // per task
    std::vector<bool> counted;                   // per task: enters gain / elsewhere / BWT / F
    double averageScore = 0;                     // of the last stage, higher-is-better tasks only
    std::vector<double> averagePerStage;         // same, rows 0..T
    // Independent mode only (empty in a chain).
    std::vector<StageSummary> perStage;          // stages 1..T
    std::optional<double> meanGain;
    std::optional<double> meanChangeElsewhere;
    // Chain mode only.
    std::optional<double> backwardTransfer;
    std::optional<double> forgetting;
    std::vector<double> forgettingPerTask;       // f_j, NaN for tasks not in J
};

// Throws tb::Error when the shapes disagree.
ForgettingReport computeForgetting(const ForgettingInput& input);

nlohmann::json toJson(const ForgettingReport& report);
ForgettingReport forgettingFromJson(const nlohmann::json& json);

} // namespace tb::eval
