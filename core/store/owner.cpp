#include "store/owner.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace tb::store {

namespace {

struct ProcStat {
    bool found = false;
    char state = '?';
    int64_t startTime = 0;
};

// Fields after the parenthesised command name, which may itself contain
// spaces and parentheses: see proc(5).
ProcStat readProcStat(int64_t pid)
{
    ProcStat stat;
    std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!file || !std::getline(file, line))
        return stat;
    const size_t close = line.rfind(')');
    if (close == std::string::npos)
        return stat;
    std::istringstream fields(line.substr(close + 1));
    std::string field;
    // Field 3 is the state; field 22 the start time in clock ticks since boot.
    for (int index = 3; index <= 22 && fields >> field; ++index) {
        if (index == 3)
            stat.state = field.empty() ? '?' : field[0];
        if (index == 22) {
            stat.startTime = std::strtoll(field.c_str(), nullptr, 10);
            stat.found = true;
        }
    }
    return stat;
}

} // namespace

std::string hostName()
{
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0)
        return "localhost";
    return name;
}

ProcessIdentity currentProcess()
{
    ProcessIdentity self;
    self.pid = ::getpid();
    self.host = hostName();
    self.startTime = readProcStat(self.pid).startTime;
    return self;
}

bool isProcessAlive(int64_t pid, int64_t recordedStartTime)
{
    if (pid <= 0)
        return false;
    if (::kill(pid_t(pid), 0) != 0 && errno != EPERM)
        return false;
    const ProcStat stat = readProcStat(pid);
    if (!stat.found)
        return true; // no /proc: kill() is all we know
    if (stat.state == 'Z' || stat.state == 'X')
        return false;
    return recordedStartTime == 0 || stat.startTime == recordedStartTime;
}

} // namespace tb::store
