#pragma once
// What the ranks of a data-parallel run agree on, so they act as one run:
// - at every step, one all-reduce of a few doubles carries the step's loss
//   (token-weighted over the ranks), whether any rank was asked to cancel or
//   pause, and each rank's throughput, so every rank stops or pauses after
//   the same step and rank 0 can report each rank's tokens per second;
// - while paused, the ranks exchange their flags every ~100 ms (a heartbeat
//   that also keeps the collective timeout from ending a long pause) until no
//   rank is paused or one cancels;
// - validation batches are dealt out to the ranks (validationBatchesOf).
// LibTorch-free; every call here is collective.
#include "common/run_control.h"
#include "train/distributed.h"

#include <chrono>
#include <cstdint>
#include <vector>

namespace tb::train {

// This rank's side of a step.
struct LocalStep {
    double loss = 0;            // mean loss over this rank's target tokens of the step
    int64_t targetTokens = 0;   // ... and how many there were
    int64_t inputTokens = 0;    // non-padding input tokens of this rank's examples
    double computeSeconds = 0;  // this rank's forward and backward passes (not waiting for the others)
    bool cancel = false;        // this rank's RunControl asks to cancel ...
    bool pause = false;         // ... or to pause
};

// What every rank gets back, equal on all of them.
struct AgreedStep {
    double loss = 0;                          // token-weighted mean over all ranks (NaN if any rank's was)
    bool cancel = false;                      // some rank asked to cancel: all stop after this step
    bool pause = false;                       // some rank asked to pause: all pause after this step
    std::vector<double> rankTokensPerSecond;  // by rank: inputTokens / computeSeconds
};

AgreedStep agreeOnStep(ProcessGroup& group, const LocalStep& local);

// Blocks every rank while any rank's control is paused. Returns false (on
// every rank) as soon as any rank's control is cancelled, true when none is
// paused any more.
bool waitWhilePausedTogether(ProcessGroup& group, RunControl& control,
                             std::chrono::milliseconds poll = std::chrono::milliseconds(100));

// The batches (0-based, of `batches` in order) that `rank` of `world` takes:
// b with b % world == rank, so every batch is the same batch one process
// would form, and each rank's share differs by at most one.
std::vector<int64_t> validationBatchesOf(int64_t batches, int rank, int world);

} // namespace tb::train
