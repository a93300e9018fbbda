#include "cli/engine_exec.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <unistd.h>

namespace tb::cli {

namespace {

char** g_argv = nullptr;

} // namespace

bool frontAnswers(int argc, char** argv)
{
    if (argc < 2)
        return false;
    const std::string first = argv[1];
    if (first == "--version")
        return argc == 2;
    return first == "metric" || first == "compare" || first == "runs" || first == "tokenize";
}

std::string enginePath()
{
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (ec)
        return {};
    for (const fs::path& candidate : {self.parent_path() / TB_ENGINE_NAME, self.parent_path() / TB_ENGINE_FROM_BINDIR})
        if (::access(candidate.c_str(), X_OK) == 0)
            return candidate.lexically_normal().string();
    return {};
}

void rememberArgs(char** argv) { g_argv = argv; }

void execEngine()
{
    const std::string path = enginePath();
    if (path.empty()) {
        std::cerr << "error: this command needs " TB_ENGINE_NAME " (it links LibTorch), which is neither beside "
                     "tunebench-cli nor at " TB_ENGINE_FROM_BINDIR " from it; reinstall Tunebench\n";
        std::exit(1);
    }
    std::fflush(stdout);
    std::cout.flush();
    ::execv(path.c_str(), g_argv);
    std::cerr << "error: cannot start " << path << ": " << std::strerror(errno) << '\n';
    std::exit(1);
}

} // namespace tb::cli
