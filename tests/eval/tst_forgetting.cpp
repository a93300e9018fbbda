// The forgetting matrix and its summaries against values worked out by hand.
#include "common/error.h"
#include "eval/forgetting.h"

#include <QtTest>

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

using tb::eval::ForgettingInput;

namespace {

// Three tasks learned one after another (A, then B, then C).
//            A     B     C
//   base   0.20  0.30  0.10
//   s1(A)  0.80  0.25  0.10
//   s2(B)  0.85  0.70  0.15
//   s3(C)  0.50  0.40  0.90
ForgettingInput sequential()
{
    ForgettingInput in;
    in.tasks = {"A", "B", "C"};
    in.stages = {"s1", "s2", "s3"};
    in.stageTask = {0, 1, 2};
    in.scores = {{0.20, 0.30, 0.10}, {0.80, 0.25, 0.10}, {0.85, 0.70, 0.15}, {0.50, 0.40, 0.90}};
    in.metric = "accuracy";
    return in;
}

QString errorOf(const std::function<void()>& f)
{
    try {
        f();
    } catch (const tb::Error& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

} // namespace

class TestForgetting : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void handComputedMatrix()
    {
        const auto r = tb::eval::computeForgetting(sequential());
        // change = row - base row
        const double change[4][3] = {{0, 0, 0}, {0.60, -0.05, 0.00}, {0.65, 0.40, 0.05}, {0.30, 0.10, 0.80}};
        for (int i = 0; i < 4; ++i)
            for (int j = 0; j < 3; ++j)
                QVERIFY2(std::abs(r.change[size_t(i)][size_t(j)] - change[i][j]) < 1e-12,
                         qPrintable(QString("change[%1][%2]").arg(i).arg(j)));
        // average score after the last stage: (0.50 + 0.40 + 0.90) / 3 = 0.6
        QVERIFY(std::abs(r.averageScore - 0.6) < 1e-12);
        // per stage: 0.2, (0.8+0.25+0.1)/3, (0.85+0.7+0.15)/3, 0.6
        const double perStage[4] = {0.2, 1.15 / 3, 1.70 / 3, 0.6};
        for (int i = 0; i < 4; ++i)
            QVERIFY(std::abs(r.averagePerStage[size_t(i)] - perStage[i]) < 1e-12);
        // BWT = ((R3A - R1A) + (R3B - R2B)) / 2 = ((0.5-0.8) + (0.4-0.7)) / 2 = -0.3
        QVERIFY(r.backwardTransfer);
        QVERIFY(std::abs(*r.backwardTransfer + 0.3) < 1e-12);
        // f_A = max(0.80, 0.85) - 0.50 = 0.35; f_B = max(0.25, 0.70) - 0.40 = 0.30;
        // C was learned last, so it is not counted. F = (0.35 + 0.30) / 2 = 0.325
        QVERIFY(r.forgetting);
        QVERIFY(std::abs(*r.forgetting - 0.325) < 1e-12);
        QVERIFY(std::abs(r.forgettingPerTask[0] - 0.35) < 1e-12);
        QVERIFY(std::abs(r.forgettingPerTask[1] - 0.30) < 1e-12);
        QVERIFY(std::isnan(r.forgettingPerTask[2]));
    }

    void unknownStageTaskIsLeftOut()
    {
        auto in = sequential();
        in.stageTask = {-1, 1, 2};
        const auto r = tb::eval::computeForgetting(in);
        // Only stage 2 (B) counts: BWT = 0.4 - 0.7 = -0.3; F = f_B = 0.3.
        QVERIFY(std::abs(*r.backwardTransfer + 0.3) < 1e-12);
        QVERIFY(std::abs(*r.forgetting - 0.3) < 1e-12);
        QVERIFY(std::isnan(r.forgettingPerTask[0]));
    }

    void independentRunsHaveNoSequentialSummaries()
    {
        ForgettingInput in;
        in.tasks = {"A", "B"};
        in.stages = {"run 1"};
        in.stageTask = {0};
        in.scores = {{0.5, 0.5}, {0.9, 0.2}};
        const auto r = tb::eval::computeForgetting(in);
        QVERIFY(!r.backwardTransfer);
        QVERIFY(!r.forgetting);
        QVERIFY(std::abs(r.change[1][1] + 0.3) < 1e-12);
        QVERIFY(std::abs(r.averageScore - 0.55) < 1e-12);
    }

    // Two independent fine-tunes of one base: no BWT / forgetting, but each
    // run's gain on its own task and the mean change on the others.
    //            A     B     C
    //   base   0.20  0.30  0.10
    //   run1(A) 0.80 0.25  0.05
    //   run2(B) 0.10 0.70  0.16
    void independentGainsAndCosts()
    {
        ForgettingInput in;
        in.tasks = {"A", "B", "C"};
        in.stages = {"run 1", "run 2"};
        in.stageTask = {0, 1};
        in.scores = {{0.20, 0.30, 0.10}, {0.80, 0.25, 0.05}, {0.10, 0.70, 0.16}};
        in.mode = tb::eval::ForgettingMode::Independent;
        const auto r = tb::eval::computeForgetting(in);
        QVERIFY(!r.backwardTransfer);
        QVERIFY(!r.forgetting);
        QCOMPARE(r.perStage.size(), size_t(2));
        // run 1: gain 0.80-0.20 = 0.60; elsewhere ((0.25-0.30) + (0.05-0.10)) / 2 = -0.05
        QVERIFY(std::abs(*r.perStage[0].gain - 0.60) < 1e-12);
        QVERIFY(std::abs(*r.perStage[0].changeElsewhere + 0.05) < 1e-12);
        // run 2: gain 0.70-0.30 = 0.40; elsewhere ((0.10-0.20) + (0.16-0.10)) / 2 = -0.02
        QVERIFY(std::abs(*r.perStage[1].gain - 0.40) < 1e-12);
        QVERIFY(std::abs(*r.perStage[1].changeElsewhere + 0.02) < 1e-12);
        QVERIFY(std::abs(*r.meanGain - 0.50) < 1e-12);
        QVERIFY(std::abs(*r.meanChangeElsewhere + 0.035) < 1e-12);
        // average of the last row: (0.10 + 0.70 + 0.16) / 3 = 0.32
        QVERIFY(std::abs(r.averageScore - 0.32) < 1e-12);

        // The same matrix read as a chain has the sequential summaries and
        // none of the independent ones: BWT = R2A - R1A = 0.10 - 0.80 = -0.70,
        // F = f_A = 0.80 - 0.10 = 0.70.
        in.mode = tb::eval::ForgettingMode::Chain;
        const auto c = tb::eval::computeForgetting(in);
        QVERIFY(c.perStage.empty());
        QVERIFY(!c.meanGain);
        QVERIFY(std::abs(*c.backwardTransfer + 0.70) < 1e-12);
        QVERIFY(std::abs(*c.forgetting - 0.70) < 1e-12);

        // A run whose trained task is unknown has no gain; its change
        // elsewhere is over every task: ((0.10-0.20) + 0.40 + 0.06) / 3 = 0.12.
        in.mode = tb::eval::ForgettingMode::Independent;
        in.stageTask = {0, -1};
        const auto u = tb::eval::computeForgetting(in);
        QVERIFY(!u.perStage[1].gain);
        QVERIFY(std::abs(*u.perStage[1].changeElsewhere - 0.12) < 1e-12);
        QVERIFY(std::abs(*u.meanGain - 0.60) < 1e-12);
    }

    // Perplexity keeps its raw value in the matrix, stays out of the average
    // score, and by default out of gains and costs; normalised, its change is
    // ln(P0 / Pi), the drop in mean token NLL.
    //           acc   ppl
    //   base   0.40  20.0
    //   run1   0.60  25.0   (trained acc)
    void perplexityExcludedOrNormalised()
    {
        ForgettingInput in;
        in.tasks = {"acc", "text"};
        in.taskMetrics = {"accuracy", "perplexity"};
        in.stages = {"run 1"};
        in.stageTask = {0};
        in.scores = {{0.40, 20.0}, {0.60, 25.0}};
        in.mode = tb::eval::ForgettingMode::Independent;
        const auto r = tb::eval::computeForgetting(in);
        QCOMPARE(r.input.scores[1][1], 25.0); // raw, not negated
        QVERIFY(std::abs(r.change[1][1] - 5.0) < 1e-12);
        QVERIFY(!r.higherIsBetter[1]);
        QVERIFY(!r.counted[1]);
        QVERIFY(std::abs(r.averageScore - 0.60) < 1e-12); // accuracy alone
        QVERIFY(std::abs(r.averagePerStage[0] - 0.40) < 1e-12);
        QVERIFY(std::abs(*r.perStage[0].gain - 0.20) < 1e-12);
        QVERIFY(!r.perStage[0].changeElsewhere); // the only other task is excluded
        // ln(20/25) = -0.22314355131420976
        QVERIFY(std::abs(r.comparable[1][1] + 0.22314355131420976) < 1e-12);

        in.lowerIsBetter = tb::eval::LowerIsBetter::Normalise;
        const auto n = tb::eval::computeForgetting(in);
        QVERIFY(n.counted[1]);
        QVERIFY(std::abs(*n.perStage[0].changeElsewhere + 0.22314355131420976) < 1e-12);
        QVERIFY(std::abs(n.averageScore - 0.60) < 1e-12); // still not averaged with accuracy
        const auto back = tb::eval::forgettingFromJson(nlohmann::json::parse(tb::eval::toJson(n).dump()));
        QVERIFY(back.input.lowerIsBetter == tb::eval::LowerIsBetter::Normalise);
        QVERIFY(back.input.mode == tb::eval::ForgettingMode::Independent);
        QCOMPARE(back.input.taskMetrics, in.taskMetrics);
        QVERIFY(std::abs(*back.perStage[0].changeElsewhere + 0.22314355131420976) < 1e-12);
    }

    // A report stored before the mode existed (written by the old toJson:
    // no mode, no task metrics, perplexity negated) reads back as the chain
    // it was computed as, with the same numbers.
    void oldReportReadsAsChain()
    {
        const auto old = nlohmann::json::parse(R"({
            "metric": "accuracy,-perplexity", "tasks": ["A", "B"], "stages": ["s1", "s2"],
            "stage_task": [0, 1], "scores": [[0.2, -30.0], [0.8, -32.0], [0.5, -25.0]],
            "change": [[0, 0], [0.6, -2.0], [0.3, 5.0]], "average_score": -12.25,
            "average_per_stage": [-14.9, -15.6, -12.25], "backward_transfer": -0.3,
            "forgetting": 0.3, "forgetting_per_task": [0.3, null]})");
        const auto r = tb::eval::forgettingFromJson(old);
        QVERIFY(r.input.mode == tb::eval::ForgettingMode::Chain);
        QVERIFY(r.input.taskMetrics.empty());
        // BWT = R2A - R1A = 0.5 - 0.8; F = 0.8 - 0.5; average (0.5 - 25) / 2
        QVERIFY(std::abs(*r.backwardTransfer + 0.3) < 1e-12);
        QVERIFY(std::abs(*r.forgetting - 0.3) < 1e-12);
        QVERIFY(std::abs(r.averageScore + 12.25) < 1e-12);
        QVERIFY(r.perStage.empty());
        auto bad = old;
        bad["mode"] = "parallel";
        QVERIFY(errorOf([&] { tb::eval::forgettingFromJson(bad); }).contains("expected 'independent' or 'chain'"));
    }

    void missingScoresStayMissing()
    {
        auto in = sequential();
        const double nan = std::numeric_limits<double>::quiet_NaN();
        in.scores[3][2] = nan;
        const auto r = tb::eval::computeForgetting(in);
        QVERIFY(std::isnan(r.change[3][2]));
        // average over the finite values only: (0.5 + 0.4) / 2
        QVERIFY(std::abs(r.averageScore - 0.45) < 1e-12);
    }

    void jsonRoundTrip()
    {
        auto in = sequential();
        in.scores[2][2] = std::numeric_limits<double>::quiet_NaN();
        const auto r = tb::eval::computeForgetting(in);
        const nlohmann::json j = tb::eval::toJson(r);
        QVERIFY(j["scores"][2][2].is_null());
        QCOMPARE(j["tasks"].size(), size_t(3));
        const auto back = tb::eval::forgettingFromJson(nlohmann::json::parse(j.dump()));
        QCOMPARE(back.input.stages, in.stages);
        QVERIFY(std::abs(*back.forgetting - *r.forgetting) < 1e-12);
        QVERIFY(std::isnan(back.input.scores[2][2]));
    }

    void shapeErrors()
    {
        auto in = sequential();
        in.scores.pop_back();
        QVERIFY(errorOf([&] { tb::eval::computeForgetting(in); }).contains("expected 4 score rows"));
        in = sequential();
        in.scores[1].pop_back();
        QVERIFY(errorOf([&] { tb::eval::computeForgetting(in); }).contains("score row 1: expected 3 values"));
        in = sequential();
        in.stageTask = {0, 5, 1};
        QVERIFY(errorOf([&] { tb::eval::computeForgetting(in); }).contains("stage 2 trained task index 5"));
        in = sequential();
        in.taskMetrics = {"accuracy"};
        QVERIFY(errorOf([&] { tb::eval::computeForgetting(in); }).contains("one metric name per task (3), found 1"));
    }
};

QTEST_APPLESS_MAIN(TestForgetting)
#include "tst_forgetting.moc"
