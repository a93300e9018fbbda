#include "eval/forgetting.h"

#include "common/error.h"

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

namespace tb::eval {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Mean of the finite values; NaN when there are none (a missing score must
// not read as a zero score).
double finiteMean(const std::vector<double>& values)
{
    double sum = 0;
    int n = 0;
    for (double v : values)
        if (std::isfinite(v)) {
            sum += v;
            ++n;
        }
    return n ? sum / n : kNaN;
}

nlohmann::json number(double v)
{
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
}

double numberFrom(const nlohmann::json& j)
{
    return j.is_number() ? j.get<double>() : kNaN;
}

} // namespace

ForgettingReport computeForgetting(const ForgettingInput& input)
{
    const size_t tasks = input.tasks.size();
    const size_t stages = input.stages.size();
    if (tasks == 0)
        throw tb::Error("forgetting: expected at least one task, found none");
    if (input.scores.size() != stages + 1)
        throw tb::Error("forgetting: expected " + std::to_string(stages + 1) + " score rows (the base and "
                        + std::to_string(stages) + " stages), found " + std::to_string(input.scores.size()));
    for (size_t i = 0; i < input.scores.size(); ++i)
        if (input.scores[i].size() != tasks)
            throw tb::Error("forgetting: score row " + std::to_string(i) + ": expected " + std::to_string(tasks)
                            + " values (one per task), found " + std::to_string(input.scores[i].size()));
    if (!input.stageTask.empty() && input.stageTask.size() != stages)
        throw tb::Error("forgetting: expected one trained task per stage (" + std::to_string(stages) + "), found "
                        + std::to_string(input.stageTask.size()));
    for (size_t i = 0; i < input.stageTask.size(); ++i)
        if (input.stageTask[i] < -1 || input.stageTask[i] >= int(tasks))
            throw tb::Error("forgetting: stage " + std::to_string(i + 1) + " trained task index "
                            + std::to_string(input.stageTask[i]) + ", expected -1 or 0.." + std::to_string(tasks - 1));

    ForgettingReport report;
    report.input = input;
    const auto& R = input.scores;
    report.change.assign(stages + 1, std::vector<double>(tasks, kNaN));
    for (size_t i = 0; i <= stages; ++i)
        for (size_t j = 0; j < tasks; ++j)
            report.change[i][j] = R[i][j] - R[0][j];
    for (size_t i = 0; i <= stages; ++i)
        report.averagePerStage.push_back(finiteMean(R[i]));
    report.averageScore = report.averagePerStage.back();

    report.forgettingPerTask.assign(tasks, kNaN);
    const size_t T = stages;
    if (T < 2 || input.stageTask.empty())
        return report;

    // Backward transfer over stages 1..T-1 whose trained task is known.
    std::vector<double> transfers;
    std::vector<bool> learned(tasks, false);
    for (size_t i = 1; i < T; ++i) {
        const int t = input.stageTask[i - 1];
        if (t < 0)
            continue;
        learned[size_t(t)] = true;
        transfers.push_back(R[T][size_t(t)] - R[i][size_t(t)]);
    }
    const double bwt = finiteMean(transfers);
    if (std::isfinite(bwt))
        report.backwardTransfer = bwt;

    // Forgetting: best score seen at stages 1..T-1 minus the final one, for
    // the tasks learned before the last stage.
    std::vector<double> drops;
    for (size_t j = 0; j < tasks; ++j) {
        if (!learned[j])
            continue;
        double best = -std::numeric_limits<double>::infinity();
        for (size_t l = 1; l < T; ++l)
            if (std::isfinite(R[l][j]))
                best = std::max(best, R[l][j]);
        if (std::isfinite(best) && std::isfinite(R[T][j])) {
            report.forgettingPerTask[j] = best - R[T][j];
            drops.push_back(report.forgettingPerTask[j]);
        }
    }
    const double f = finiteMean(drops);
    if (std::isfinite(f))
        report.forgetting = f;
    return report;
}

nlohmann::json toJson(const ForgettingReport& report)
{
    auto matrix = [](const std::vector<std::vector<double>>& m) {
        nlohmann::json rows = nlohmann::json::array();
        for (const auto& row : m) {
            nlohmann::json r = nlohmann::json::array();
            for (double v : row)
                r.push_back(number(v));
            rows.push_back(std::move(r));
        }
        return rows;
    };
    nlohmann::json perStage = nlohmann::json::array();
    for (double v : report.averagePerStage)
        perStage.push_back(number(v));
    nlohmann::json perTask = nlohmann::json::array();
    for (double v : report.forgettingPerTask)
        perTask.push_back(number(v));
    return {
        {"metric", report.input.metric},
        {"tasks", report.input.tasks},
        {"stages", report.input.stages},
        {"stage_task", report.input.stageTask},
        {"scores", matrix(report.input.scores)},
        {"change", matrix(report.change)},
        {"average_score", number(report.averageScore)},
        {"average_per_stage", perStage},
        {"backward_transfer", report.backwardTransfer ? nlohmann::json(*report.backwardTransfer) : nlohmann::json()},
        {"forgetting", report.forgetting ? nlohmann::json(*report.forgetting) : nlohmann::json()},
        {"forgetting_per_task", perTask},
    };
}

ForgettingReport forgettingFromJson(const nlohmann::json& json)
{
    // The stored inputs are the truth; everything derived is recomputed, so
    // a report written by an older formula reads back consistent.
    try {
        ForgettingInput input;
        input.metric = json.value("metric", std::string());
        input.tasks = json.at("tasks").get<std::vector<std::string>>();
        input.stages = json.at("stages").get<std::vector<std::string>>();
        input.stageTask = json.value("stage_task", std::vector<int>());
        for (const auto& row : json.at("scores")) {
            std::vector<double> r;
            for (const auto& v : row)
                r.push_back(numberFrom(v));
            input.scores.push_back(std::move(r));
        }
        return computeForgetting(input);
    } catch (const nlohmann::json::exception& e) {
        throw tb::Error(std::string("forgetting report: ") + e.what());
    }
}

} // namespace tb::eval
