// TensorBoard's debiased EMA (common/smoothing.h). Every expected value is
// worked out by hand in the comments beside it.
#include "common/smoothing.h"

#include <QtTest>

#include <cmath>
#include <limits>
#include <vector>

class TestSmoothing : public QObject {
    Q_OBJECT

    static void compare(const std::vector<double>& got, const std::vector<double>& want)
    {
        QCOMPARE(got.size(), want.size());
        for (size_t i = 0; i < want.size(); ++i) {
            if (std::isnan(want[i]))
                QVERIFY2(std::isnan(got[i]), qPrintable(QString("index %1: expected NaN, found %2").arg(i).arg(got[i])));
            else if (std::isinf(want[i]))
                QCOMPARE(got[i], want[i]);
            else
                QVERIFY2(std::abs(got[i] - want[i]) < 1e-12,
                         qPrintable(QString("index %1: expected %2, found %3").arg(i).arg(want[i], 0, 'g', 17).arg(got[i], 0, 'g', 17)));
        }
    }

private Q_SLOTS:
    void halfWeightIsTheDebiasedAverage()
    {
        // w = 0.5, last starts at 0:
        //   1: last = 0.5*0 + 0.5*1 = 0.5,    debias 1 - 0.5^1 = 0.5   -> 1
        //   2: last = 0.5*0.5 + 0.5*2 = 1.25, debias 1 - 0.5^2 = 0.75  -> 5/3
        //   3: last = 0.5*1.25 + 0.5*3 = 2.125, debias 1 - 0.5^3 = 0.875 -> 17/7
        compare(tb::smoothEma({1, 2, 3}, 0.5), {1.0, 5.0 / 3.0, 17.0 / 7.0});
    }

    void zeroWeightReturnsTheValues() { compare(tb::smoothEma({4, -1, 2.5}, 0.0), {4, -1, 2.5}); }

    void nanAndInfinityPassThroughWithoutPoisoningTheAverage()
    {
        const double nan = std::numeric_limits<double>::quiet_NaN();
        const double inf = std::numeric_limits<double>::infinity();
        // The non-finite values are skipped by the average and do not count in n:
        //   1: last 0.5, n 1 -> 1;  NaN -> NaN;  inf -> inf
        //   3: last = 0.5*0.5 + 0.5*3 = 1.75, debias 1 - 0.5^2 = 0.75 -> 7/3
        compare(tb::smoothEma({1, nan, inf, 3}, 0.5), {1, nan, inf, 7.0 / 3.0});
    }

    void aLeadingNanLeavesTheFirstFiniteValueToStartTheAverage()
    {
        const double nan = std::numeric_limits<double>::quiet_NaN();
        //   NaN -> NaN
        //   2: last = 0.5*0 + 0.5*2 = 1,  debias 0.5  -> 2
        //   4: last = 0.5*1 + 0.5*4 = 2.5, debias 0.75 -> 10/3
        compare(tb::smoothEma({nan, 2, 4}, 0.5), {nan, 2, 10.0 / 3.0});
    }

    void weightIsClampedToTheAcceptedRange()
    {
        // w above 0.999 acts as 0.999:
        //   1: last = 0.001*1 = 0.001, debias 1 - 0.999 = 0.001 -> 1
        //   3: last = 0.999*0.001 + 0.001*3 = 0.003999, debias 1 - 0.999^2 = 0.001999 -> 3999/1999
        compare(tb::smoothEma({1, 3}, 5.0), {1, 3999.0 / 1999.0});
        compare(tb::smoothEma({1, 3}, 1.0), {1, 3999.0 / 1999.0});
        // Below 0 (and NaN) acts as 0: the values themselves.
        compare(tb::smoothEma({1, 3}, -2.0), {1, 3});
        compare(tb::smoothEma({1, 3}, std::numeric_limits<double>::quiet_NaN()), {1, 3});
    }

    void constantAndEmptySeriesAreUnchanged()
    {
        compare(tb::smoothEma({0.25, 0.25, 0.25}, 0.9), {0.25, 0.25, 0.25});
        QVERIFY(tb::smoothEma({}, 0.9).empty());
    }
};

QTEST_GUILESS_MAIN(TestSmoothing)
#include "tst_smoothing.moc"
