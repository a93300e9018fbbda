#pragma once
// The numbers the Run history table shows for a run beside its name and
// status: how long it ran, how many steps, its validation losses, the share
// of parameters it trained and its newest evaluation scores.
#include "store/run_store.h"

#include <QString>

#include <optional>

namespace tb::ui {

struct RunFacts {
    std::optional<qint64> durationMs;     // started -> finished (or now, while it runs)
    std::optional<qint64> steps;          // the last optimizer step stored
    std::optional<double> bestValLoss;    // lowest finite validation loss
    std::optional<double> finalValLoss;   // validation loss at the last validated step
    std::optional<double> trainablePercent; // from the saved adapter/model's metadata
    QString scores;        // "task: value, ..." (the primary metric of the newest evaluation per task)
    QString scoresToolTip; // one line per task, naming the metric
};

// `nowMs` is the time a running run is measured to.
RunFacts runFacts(const store::RunStore& db, const store::Run& run, qint64 nowMs);

// "1h 02m", "4m 05s", "12s".
QString durationText(qint64 ms);

} // namespace tb::ui
