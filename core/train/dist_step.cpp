// The per-step agreement of data-parallel ranks (see dist_step.h).
#include "train/dist_step.h"

#include <cmath>
#include <thread>

namespace tb::train {

namespace {

// Slots of the step's all-reduce; each rank's throughput follows them at kRates + rank.
enum Slot { kLossSum, kTokens, kCancel, kPause, kNonFinite, kRates };

} // namespace

AgreedStep agreeOnStep(ProcessGroup& group, const LocalStep& local)
{
    const int world = group.size();
    std::vector<double> v(kRates + static_cast<size_t>(world), 0.0);
    const double tokens = static_cast<double>(local.targetTokens);
    const bool finite = std::isfinite(local.loss);
    v[kLossSum] = finite && tokens > 0 ? local.loss * tokens : 0.0;
    v[kTokens] = tokens;
    v[kCancel] = local.cancel ? 1 : 0;
    v[kPause] = local.pause ? 1 : 0;
    v[kNonFinite] = finite ? 0 : 1;
    v[kRates + static_cast<size_t>(group.rank())] =
        local.computeSeconds > 0 ? static_cast<double>(local.inputTokens) / local.computeSeconds : 0.0;
    const auto sums = group.allreduceSum(v);
    AgreedStep out;
    out.loss = sums[kNonFinite] > 0 ? std::nan("") : sums[kTokens] > 0 ? sums[kLossSum] / sums[kTokens] : 0.0;
    out.cancel = sums[kCancel] > 0;
    out.pause = sums[kPause] > 0;
    out.rankTokensPerSecond.assign(sums.begin() + kRates, sums.end());
    return out;
}

bool waitWhilePausedTogether(ProcessGroup& group, RunControl& control, std::chrono::milliseconds poll)
{
    for (;;) {
        const auto flags = group.allreduceSum(std::vector<double>{control.cancelled() ? 1.0 : 0.0,
                                                                  control.paused() ? 1.0 : 0.0});
        if (flags[0] > 0)
            return false;
        if (flags[1] == 0)
            return true;
        std::this_thread::sleep_for(poll);
    }
}

std::vector<int64_t> validationBatchesOf(int64_t batches, int rank, int world)
{
    std::vector<int64_t> out;
    for (int64_t b = rank; b < batches; b += world)
        out.push_back(b);
    return out;
}

} // namespace tb::train
