#pragma once
// Log-likelihood of continuations given contexts, as lm-evaluation-harness
// scores multiple-choice options and perplexity windows: the context and the
// continuation are token lists, concatenated; the model reads all but the
// last token; overlong inputs lose their start.
// Heavy header (LibTorch).
#include "common/run_control.h"
#include "eval/scoring_model.h"

#include <cstdint>
#include <functional>
#include <vector>

namespace tb::eval {

// Sum of log p(continuation | context) and the continuation's token count,
// for each (context, continuation) pair; `processed` counts input tokens.
struct Scored {
    std::vector<double> logprob;
    std::vector<int64_t> tokens;
    int64_t processed = 0;
};

// In batches of `batch` rows; `done(rowsDone)` after each batch. Throws
// tb::Error("cancelled") between batches when `control` is cancelled, and
// when a continuation alone exceeds the context.
Scored scoreContinuations(const ScoringModel& model, const std::vector<std::vector<int64_t>>& contexts,
                          const std::vector<std::vector<int64_t>>& continuations, size_t batch,
                          const RunControl* control, const std::function<void(size_t)>& done = {});

} // namespace tb::eval
