#include "io/atomic_file.h"

#include "common/error.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <fstream>
#include <mutex>
#include <sstream>
#include <unistd.h>

namespace tb::io {

namespace {

std::string errnoText() { return std::strerror(errno); }

// Unlinks the temporary file unless released; keeps every exit path clean.
struct TempGuard {
    std::string path;
    std::FILE* file = nullptr;
    bool keep = false;
    ~TempGuard()
    {
        if (file)
            std::fclose(file);
        if (!keep && !path.empty())
            ::unlink(path.c_str());
    }
};

// Fault injection for tests (see atomic_file.h): once the files written
// through writeFileAtomic in this process add up to more than
// TUNEBENCH_FAULT_WRITE_LIMIT bytes, the next write fails as a full disk
// does. Changing the variable's value starts the count again.
bool injectedDiskFull(std::FILE* file)
{
    static std::mutex mutex;
    static std::string limitText;
    static long long written = 0;
    const char* env = std::getenv("TUNEBENCH_FAULT_WRITE_LIMIT");
    std::lock_guard<std::mutex> lock(mutex);
    if (!env || !*env) {
        limitText.clear();
        return false;
    }
    if (limitText != env) {
        limitText = env;
        written = 0;
    }
    struct stat st{};
    if (::fstat(::fileno(file), &st) != 0)
        return false;
    written += static_cast<long long>(st.st_size);
    return written > std::atoll(env);
}

} // namespace

void writeFileAtomic(const std::string& path, const std::function<void(std::FILE*)>& write)
{
    TempGuard tmp;
    std::string templ = path + ".tmp.XXXXXX";
    int fd = ::mkstemp(templ.data());
    if (fd < 0)
        throw Error(path + ": cannot create a temporary file beside it: " + errnoText());
    tmp.path = templ;
    ::fchmod(fd, 0644);
    tmp.file = ::fdopen(fd, "wb");
    if (!tmp.file) {
        ::close(fd);
        throw Error(path + ": cannot open temporary file: " + errnoText());
    }
    write(tmp.file);
    if (std::fflush(tmp.file) != 0 || std::ferror(tmp.file))
        throw Error(path + ": write failed: " + errnoText());
    if (injectedDiskFull(tmp.file))
        throw Error(path + ": write failed: " + std::strerror(ENOSPC) + " (injected by TUNEBENCH_FAULT_WRITE_LIMIT)");
    if (::fsync(::fileno(tmp.file)) != 0)
        throw Error(path + ": fsync failed: " + errnoText());
    std::FILE* f = tmp.file;
    tmp.file = nullptr;
    if (std::fclose(f) != 0)
        throw Error(path + ": close failed: " + errnoText());
    if (::rename(tmp.path.c_str(), path.c_str()) != 0)
        throw Error(path + ": cannot rename the temporary file into place: " + errnoText());
    tmp.keep = true;
}

void writeFileAtomic(const std::string& path, std::string_view bytes)
{
    writeFileAtomic(path, [&](std::FILE* f) {
        if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size())
            throw Error(path + ": write failed: " + errnoText());
    });
}

std::string readFile(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(path + ": cannot open: " + errnoText());
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad())
        throw Error(path + ": read failed");
    return ss.str();
}

} // namespace tb::io
