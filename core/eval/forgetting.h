#pragma once
// Catastrophic forgetting across tasks: a matrix R where row 0 is the base
// model and row i (1..T) the model after stage i (a run, or a stage of a
// sequential multi-task run), and column j is task j's score (higher is
// better; convert loss-like metrics before). No LibTorch, no Qt.
//
// Formulas (T stages, N tasks, R[i][j] the score on task j after stage i):
// - average score          A   = (1/N) sum_j R[T][j]
// - change against base    D_ij = R[i][j] - R[0][j]
// - backward transfer      BWT = (1/(T-1)) sum_{i=1..T-1} (R[T][t_i] - R[i][t_i])
//   (Lopez-Paz & Ranzato 2017), t_i the task trained at stage i;
// - forgetting             F   = (1/|J|) sum_{j in J} f_j,
//   f_j = max_{l=1..T-1} R[l][j] - R[T][j] (Chaudhry et al. 2018),
//   J the tasks trained at stages 1..T-1.
// BWT and F need T >= 2 and stages whose trained task is known; otherwise
// they are absent (NaN in the JSON: null).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace tb::eval {

struct ForgettingInput {
    std::vector<std::string> tasks;    // columns
    std::vector<std::string> stages;   // row labels 1..T (row 0 is the base)
    std::vector<int> stageTask;        // index into tasks trained at each stage, -1 when unknown / several
    std::vector<std::vector<double>> scores; // (T+1) x N, NaN where missing
    std::string metric;                // what the scores are, for display
};

struct ForgettingReport {
    ForgettingInput input;
    std::vector<std::vector<double>> change; // (T+1) x N, row 0 all zero
    double averageScore = 0;                 // of the last stage
    std::vector<double> averagePerStage;     // mean over tasks, rows 0..T
    std::optional<double> backwardTransfer;
    std::optional<double> forgetting;
    std::vector<double> forgettingPerTask;   // f_j, NaN for tasks not in J
};

// Throws tb::Error when the shapes disagree.
ForgettingReport computeForgetting(const ForgettingInput& input);

nlohmann::json toJson(const ForgettingReport& report);
ForgettingReport forgettingFromJson(const nlohmann::json& json);

} // namespace tb::eval
