#pragma once
// Private to core/store: which process owns a running run, and whether that
// process is still alive.
#include <cstdint>
#include <string>

namespace tb::store {

struct ProcessIdentity {
    int64_t pid = 0;
    std::string host;
    // When the process started (Linux: /proc/<pid>/stat field 22); 0 where
    // unknown. Tells a live owner from an unrelated process that got its pid
    // after a reboot or wrap-around.
    int64_t startTime = 0;
};

ProcessIdentity currentProcess();
std::string hostName();

// Only meaningful for a pid on this host. Zombies count as dead.
bool isProcessAlive(int64_t pid, int64_t recordedStartTime);

} // namespace tb::store
