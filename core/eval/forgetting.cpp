#include "eval/forgetting.h"

#include "common/error.h"
#include "eval/metric_info.h"

#include <algorithm>
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

nlohmann::json optionalNumber(const std::optional<double>& v) { return v ? number(*v) : nlohmann::json(nullptr); }

double numberFrom(const nlohmann::json& j)
{
    return j.is_number() ? j.get<double>() : kNaN;
}

} // namespace

std::string forgettingModeName(ForgettingMode mode)
{
    return mode == ForgettingMode::Independent ? "independent" : "chain";
}

ForgettingMode parseForgettingMode(const std::string& name)
{
    if (name == "independent")
        return ForgettingMode::Independent;
    if (name == "chain")
        return ForgettingMode::Chain;
    throw tb::Error("forgetting mode: expected 'independent' or 'chain', found '" + name + "'");
}

namespace {

void checkShapes(const ForgettingInput& input)
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
    if (!input.taskMetrics.empty() && input.taskMetrics.size() != tasks)
        throw tb::Error("forgetting: expected one metric name per task (" + std::to_string(tasks) + "), found "
                        + std::to_string(input.taskMetrics.size()));
}

std::optional<double> finiteOrNone(double v) { return std::isfinite(v) ? std::optional<double>(v) : std::nullopt; }

// The stages' own-task gains and the mean change on the other tasks.
void independentSummaries(ForgettingReport& report)
{
    const auto& C = report.comparable;
    const size_t tasks = report.input.tasks.size();
    std::vector<double> gains, elsewhere;
    for (size_t i = 1; i < C.size(); ++i) {
        const int t = report.input.stageTask.empty() ? -1 : report.input.stageTask[i - 1];
        StageSummary s;
        if (t >= 0 && report.counted[size_t(t)])
            s.gain = finiteOrNone(C[i][size_t(t)]);
        std::vector<double> others;
        for (size_t j = 0; j < tasks; ++j)
            if (int(j) != t && report.counted[j])
                others.push_back(C[i][j]);
        s.changeElsewhere = finiteOrNone(finiteMean(others));
        if (s.gain)
            gains.push_back(*s.gain);
        if (s.changeElsewhere)
            elsewhere.push_back(*s.changeElsewhere);
        report.perStage.push_back(s);
    }
    report.meanGain = finiteOrNone(finiteMean(gains));
    report.meanChangeElsewhere = finiteOrNone(finiteMean(elsewhere));
}

// Backward transfer and the forgetting measure of a chain.
void chainSummaries(ForgettingReport& report)
{
    const auto& C = report.comparable;
    const size_t tasks = report.input.tasks.size();
    const size_t T = report.input.stages.size();
    if (T < 2 || report.input.stageTask.empty())
        return;
    // Backward transfer over stages 1..T-1 whose trained task is known.
    std::vector<double> transfers;
    std::vector<bool> learned(tasks, false);
    for (size_t i = 1; i < T; ++i) {
        const int t = report.input.stageTask[i - 1];
        if (t < 0 || !report.counted[size_t(t)])
            continue;
        learned[size_t(t)] = true;
        transfers.push_back(C[T][size_t(t)] - C[i][size_t(t)]);
    }
    report.backwardTransfer = finiteOrNone(finiteMean(transfers));

    // Forgetting: best value seen at stages 1..T-1 minus the final one, for
    // the tasks learned before the last stage.
    std::vector<double> drops;
    for (size_t j = 0; j < tasks; ++j) {
        if (!learned[j])
            continue;
        double best = -std::numeric_limits<double>::infinity();
        for (size_t l = 1; l < T; ++l)
            if (std::isfinite(C[l][j]))
                best = std::max(best, C[l][j]);
        if (std::isfinite(best) && std::isfinite(C[T][j])) {
            report.forgettingPerTask[j] = best - C[T][j];
            drops.push_back(report.forgettingPerTask[j]);
        }
    }
    report.forgetting = finiteOrNone(finiteMean(drops));
}

} // namespace

ForgettingReport computeForgetting(const ForgettingInput& input)
{
    checkShapes(input);
    const size_t tasks = input.tasks.size();
    const size_t stages = input.stages.size();

    ForgettingReport report;
    report.input = input;
    const auto& R = input.scores;
    for (size_t j = 0; j < tasks; ++j) {
        const bool higher = input.taskMetrics.empty() || higherIsBetter(input.taskMetrics[j]);
        report.higherIsBetter.push_back(higher);
        report.counted.push_back(higher || input.lowerIsBetter == LowerIsBetter::Normalise);
    }
    report.change.assign(stages + 1, std::vector<double>(tasks, kNaN));
    report.comparable.assign(stages + 1, std::vector<double>(tasks, kNaN));
    for (size_t i = 0; i <= stages; ++i)
        for (size_t j = 0; j < tasks; ++j) {
            report.change[i][j] = R[i][j] - R[0][j];
            if (report.higherIsBetter[j])
                report.comparable[i][j] = report.change[i][j];
            else if (R[i][j] > 0 && R[0][j] > 0)
                report.comparable[i][j] = std::log(R[0][j] / R[i][j]);
        }
    for (size_t i = 0; i <= stages; ++i) {
        std::vector<double> row;
        for (size_t j = 0; j < tasks; ++j)
            if (report.higherIsBetter[j])
                row.push_back(R[i][j]);
        report.averagePerStage.push_back(finiteMean(row));
    }
    report.averageScore = report.averagePerStage.back();
    report.forgettingPerTask.assign(tasks, kNaN);
    if (input.mode == ForgettingMode::Independent)
        independentSummaries(report);
    else
        chainSummaries(report);
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
    nlohmann::json stagesJson = nlohmann::json::array();
    for (const auto& st : report.perStage)
        stagesJson.push_back({{"gain", optionalNumber(st.gain)}, {"change_elsewhere", optionalNumber(st.changeElsewhere)}});
    return {
        {"mode", forgettingModeName(report.input.mode)},
        {"lower_is_better", report.input.lowerIsBetter == LowerIsBetter::Normalise ? "normalise" : "exclude"},
        {"task_metrics", report.input.taskMetrics},
        {"metric", report.input.metric},
        {"tasks", report.input.tasks},
        {"stages", report.input.stages},
        {"stage_task", report.input.stageTask},
        {"scores", matrix(report.input.scores)},
        {"change", matrix(report.change)},
        {"comparable", matrix(report.comparable)},
        {"per_stage", stagesJson},
        {"mean_gain", optionalNumber(report.meanGain)},
        {"mean_change_elsewhere", optionalNumber(report.meanChangeElsewhere)},
        {"average_score", number(report.averageScore)},
        {"average_per_stage", perStage},
        {"backward_transfer", optionalNumber(report.backwardTransfer)},
        {"forgetting", optionalNumber(report.forgetting)},
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
        input.taskMetrics = json.value("task_metrics", std::vector<std::string>());
        // Written before the mode existed: computed as a chain.
        input.mode = parseForgettingMode(json.value("mode", std::string("chain")));
        const std::string lower = json.value("lower_is_better", std::string("exclude"));
        if (lower != "exclude" && lower != "normalise")
            throw tb::Error("forgetting report: lower_is_better: expected 'exclude' or 'normalise', found '" + lower + "'");
        input.lowerIsBetter = lower == "normalise" ? LowerIsBetter::Normalise : LowerIsBetter::Exclude;
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
