// The data-parallel launcher (launcher.h).
#include "cli/launcher.h"

#include "cli/commands.h"
#include "common/error.h"
#include "train/dist_env.h"

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>
#include <sys/wait.h>
#include <unistd.h>

namespace tb::cli {

namespace {

// This process's command line, as the kernel has it.
std::vector<std::string> ownArguments()
{
    std::ifstream in("/proc/self/cmdline", std::ios::binary);
    std::vector<std::string> args;
    for (std::string arg; std::getline(in, arg, '\0');)
        args.push_back(arg);
    return args;
}

// Copies `fd`'s lines to stderr, each prefixed "[rank R] ".
void prefixLines(int fd, int rank)
{
    static std::mutex lock;
    FILE* in = ::fdopen(fd, "r");
    char line[4096];
    while (in && std::fgets(line, sizeof line, in)) {
        std::lock_guard<std::mutex> guard(lock);
        std::fprintf(stderr, "[rank %d] %s", rank, line);
        std::fflush(stderr);
    }
    if (in)
        std::fclose(in);
}

} // namespace

// The launcher: starts this node's nprocPerNode ranks (this program again,
// same arguments, torchrun's variables set), rank 0's stdout and stderr as
// they are, the others' stderr prefixed with their rank. When one rank fails,
// ends the others; the exit status is the first failure's (0 when all succeed).
void launchLocalRanks(const LaunchArgs& a)
{
    if (a.nnodes < 1 || a.nodeRank < 0 || a.nodeRank >= a.nnodes)
        throw Error("--node-rank " + std::to_string(a.nodeRank) + " must be below --nnodes " + std::to_string(a.nnodes));
    const auto args = ownArguments();
    std::vector<pid_t> pids;
    std::vector<std::thread> readers;
    const int world = a.nnodes * a.nprocPerNode;
    for (int local = 0; local < a.nprocPerNode; ++local) {
        const int rank = a.nodeRank * a.nprocPerNode + local;
        int err[2] = {-1, -1};
        if (rank != 0 && ::pipe(err) != 0)
            throw Error("cannot start rank " + std::to_string(rank) + ": no pipe");
        const pid_t pid = ::fork();
        if (pid == 0) {
            const auto set = [](const char* name, int value) { ::setenv(name, std::to_string(value).c_str(), 1); };
            set("RANK", rank);
            set("WORLD_SIZE", world);
            set("LOCAL_RANK", local);
            set("LOCAL_WORLD_SIZE", a.nprocPerNode);
            set("MASTER_PORT", a.masterPort);
            ::setenv("MASTER_ADDR", a.masterAddr.c_str(), 1);
            if (rank != 0) {
                ::dup2(err[1], STDERR_FILENO);
                ::close(err[0]);
                ::close(err[1]);
            }
            std::vector<char*> argv;
            for (const auto& s : args)
                argv.push_back(const_cast<char*>(s.c_str()));
            argv.push_back(nullptr);
            ::execv("/proc/self/exe", argv.data());
            std::fprintf(stderr, "cannot start rank %d\n", rank);
            ::_exit(127);
        }
        if (pid < 0)
            throw Error("cannot start rank " + std::to_string(rank) + ": fork failed");
        pids.push_back(pid);
        if (rank != 0) {
            ::close(err[1]);
            readers.emplace_back(prefixLines, err[0], rank);
        }
    }
    std::signal(SIGINT, SIG_IGN); // Ctrl+C reaches every rank: they cancel, the launcher waits for them
    // 130: a rank that was cancelled (Ctrl+C, or a cancel agreed by all
    // ranks): not a failure; the others end on their own, rank 0 after
    // recording the run as cancelled, so none is ended early.
    constexpr int kCancelledExit = 130;
    int exitCode = 0;
    bool ended = false; // the others were sent SIGTERM
    for (size_t left = pids.size(); left > 0; --left) {
        int status = 0;
        const pid_t done = ::wait(&status);
        if (done < 0)
            break;
        const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (code != 0 && (exitCode == 0 || exitCode == kCancelledExit) && !ended) {
            exitCode = code;
            if (code == kCancelledExit)
                continue;
            ended = true;
            for (pid_t p : pids) // the others would only wait for it until their timeout
                if (p != done)
                    ::kill(p, SIGTERM);
        }
    }
    for (auto& t : readers)
        t.join();
    if (exitCode == kCancelledExit)
        throw ExitStatus{exitCode, ""}; // rank 0 has said how to continue the run
    if (exitCode != 0)
        throw ExitStatus{exitCode, "a rank failed (exit status " + std::to_string(exitCode) + "); the others were ended"};
}

void addLaunchOptions(CLI::App& cmd, LaunchArgs& args)
{
    cmd.add_option("--nproc-per-node", args.nprocPerNode, "data-parallel processes to start on this machine")
        ->check(CLI::Range(1, 1024));
    cmd.add_option("--nnodes", args.nnodes, "machines taking part (with --nproc-per-node)")->capture_default_str();
    cmd.add_option("--node-rank", args.nodeRank, "this machine's index, 0 .. nnodes-1")->capture_default_str();
    cmd.add_option("--master-addr", args.masterAddr, "host of node 0 (its rank 0 hosts the rendezvous)")
        ->capture_default_str();
    cmd.add_option("--master-port", args.masterPort, "rendezvous TCP port on the master")
        ->check(CLI::Range(1, 65535))->capture_default_str();
}

bool shouldLaunch(const LaunchArgs& args)
{
    return args.nprocPerNode > 0 && !std::getenv("RANK");
}

// torchrun's variables (RANK, WORLD_SIZE, MASTER_ADDR, ...): WORLD_SIZE > 1
// joins the data-parallel group of train/distributed.h; otherwise none.
std::unique_ptr<train::ProcessGroup> joinGroupFromEnvironment()
{
    const auto env = train::readTorchrunEnv();
    return env.distributed() ? train::ProcessGroup::join(env) : nullptr;
}

} // namespace tb::cli
