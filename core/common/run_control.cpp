#include "common/run_control.h"

#include "common/error.h"

namespace tb {

void RunControl::pause() { m_pause = true; }

void RunControl::resume()
{
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_pause = false;
    }
    m_cv.notify_all();
}

void RunControl::cancel()
{
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_cancel = true;
    }
    m_cv.notify_all();
}

bool RunControl::waitWhilePaused()
{
    std::unique_lock<std::mutex> lock(m_mutex);
    m_cv.wait(lock, [this] { return !m_pause.load() || m_cancel.load(); });
    return !m_cancel.load();
}

void RunControl::throwIfCancelled() const
{
    if (cancelled())
        throw Error("cancelled");
}

void throwIfCancelled(const RunControl* control)
{
    if (control)
        control->throwIfCancelled();
}

} // namespace tb
