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
    }
};

QTEST_APPLESS_MAIN(TestForgetting)
#include "tst_forgetting.moc"
