#pragma once
// The one way to steer a long job from another thread: training, evaluation
// and model loading all take a RunControl and check it at their boundaries
// (a step, a batch, a tensor). Cancelling makes the job end cleanly; pausing
// blocks it until resumed.
#include <atomic>
#include <condition_variable>
#include <mutex>

namespace tb {

class RunControl {
public:
    void pause();
    void resume();
    void cancel();
    bool cancelled() const { return m_cancel.load(); }
    bool paused() const { return m_pause.load(); }
    // Blocks while paused; returns false if cancelled.
    bool waitWhilePaused();
    // Throws tb::Error("cancelled") when cancelled: for jobs that unwind by exception.
    void throwIfCancelled() const;

private:
    std::atomic<bool> m_cancel{false};
    std::atomic<bool> m_pause{false};
    std::mutex m_mutex;
    std::condition_variable m_cv;
};

// For optional controls: `throwIfCancelled(control)` with control possibly null.
void throwIfCancelled(const RunControl* control);

} // namespace tb
