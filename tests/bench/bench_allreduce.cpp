// Data-parallel gradient all-reduce cost on this machine: bytes per step and
// milliseconds for GPT-2-small full fine-tuning (124M f32 parameters) and
// LoRA r=8 on its attention (c_attn, 0.3M), 2 ranks × 1 thread on loopback.
//
// Run without arguments: starts itself as a group of one, then as ranks 0 and
// 1 (torchrun's variables), and rank 0 prints, per parameter list:
//   raw      all-reduce of every gradient bucket (25 MB) one after another,
//            nothing to overlap with: the whole communication time;
//   step     a step through GradientSync: a synthetic backward (each
//            gradient filled by its hook) then finish(); "wait" is the time
//            finish() blocks, i.e. what the trainer would lose per step.
// Medians over the measured steps, after one warm-up step. The overhead of
// data parallelism per step is the 2-rank step minus the 1-process step.
#include "train/dist_gradient_sync.h"
#include "train/dist_tensors.h"
#include "train/distributed.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;
using tb::train::GradientSync;
using tb::train::ProcessGroup;

double ms(Clock::time_point since) { return std::chrono::duration<double, std::milli>(Clock::now() - since).count(); }

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// GPT-2 small's parameter shapes (Conv1D weights as in the HF checkpoint).
std::vector<std::vector<int64_t>> gpt2Shapes()
{
    const int64_t C = 768, V = 50257, T = 1024;
    std::vector<std::vector<int64_t>> s = {{V, C}, {T, C}};
    for (int l = 0; l < 12; ++l) {
        for (auto shape : std::vector<std::vector<int64_t>>{{C}, {C}, {C, 3 * C}, {3 * C}, {C, C}, {C}, {C}, {C},
                                                          {C, 4 * C}, {4 * C}, {4 * C, C}, {C}})
            s.push_back(shape);
    }
    s.push_back({C});
    s.push_back({C});
    return s;
}

// LoRA r=8 on each layer's c_attn: A [8, 768], B [2304, 8].
std::vector<std::vector<int64_t>> loraShapes()
{
    std::vector<std::vector<int64_t>> s;
    for (int l = 0; l < 12; ++l) {
        s.push_back({8, 768});
        s.push_back({2304, 8});
    }
    return s;
}

void measure(ProcessGroup& group, const char* name, const std::vector<std::vector<int64_t>>& shapes, int steps)
{
    std::vector<torch::Tensor> params;
    int64_t numel = 0;
    for (const auto& shape : shapes) {
        params.push_back(torch::full(shape, 0.01f).requires_grad_());
        numel += params.back().numel();
    }
    std::vector<double> raw, stepMs, waitMs, backwardMs;
    int64_t bytes = 0;
    int buckets = 0;
    {
        // Raw: the buckets GradientSync would make, all-reduced back to back.
        std::vector<torch::Tensor> flat;
        int64_t inBucket = 0;
        for (auto it = params.rbegin(); it != params.rend(); ++it) {
            if (flat.empty() || (inBucket + it->numel()) * 4 > (25 << 20)) {
                flat.push_back(torch::Tensor());
                inBucket = 0;
            }
            inBucket += it->numel();
            flat.back() = torch::zeros({inBucket});
        }
        for (int s = 0; s <= steps; ++s) {
            group.barrier();
            const auto t0 = Clock::now();
            for (auto& b : flat)
                tb::train::allreduceSum(group, b);
            if (s > 0)
                raw.push_back(ms(t0));
        }
    }
    {
        GradientSync sync(group, params);
        for (int s = 0; s <= steps; ++s) {
            for (auto& p : params)
                p.mutable_grad() = torch::Tensor();
            group.barrier();
            const auto t0 = Clock::now();
            sync.beginStep(1000);
            // Backward of Σ p·1: every gradient is ones, produced in reverse order.
            torch::Tensor loss = torch::zeros({});
            for (auto& p : params)
                loss = loss + p.sum();
            loss.backward();
            const double backward = ms(t0);
            const auto stats = sync.finish();
            if (s > 0) {
                stepMs.push_back(ms(t0));
                waitMs.push_back(stats.waitMs);
                backwardMs.push_back(backward);
            }
            bytes = stats.gradientBytes + stats.overheadBytes;
            buckets = stats.buckets;
        }
    }
    if (group.rank() == 0)
        std::printf("%-20s params %10lld  bytes/step %11lld (%4d buckets)  raw all-reduce %8.1f ms  "
                    "step %8.1f ms = backward+hooks %8.1f + finish wait %8.1f ms\n",
                    name, static_cast<long long>(numel), static_cast<long long>(bytes), buckets, median(raw),
                    median(stepMs), median(backwardMs), median(waitMs));
}

int runRank()
{
    torch::set_num_threads(1);
    auto group = ProcessGroup::join(tb::train::readTorchrunEnv());
    if (group->rank() == 0)
        std::printf("%d rank(s) x 1 intra-op thread, Gloo over loopback\n", group->size());
    measure(*group, "LoRA r=8 c_attn", loraShapes(), 20);
    measure(*group, "GPT-2 small full", gpt2Shapes(), 5);
    return 0;
}

int freePort()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

// Starts `world` copies of this program as ranks; the exit code is the worst of theirs.
int launch(const char* self, int world)
{
    const std::string port = std::to_string(freePort());
    std::vector<pid_t> pids;
    for (int r = 0; r < world; ++r) {
        std::vector<std::string> env = {"RANK=" + std::to_string(r), "WORLD_SIZE=" + std::to_string(world),
                                        "MASTER_ADDR=127.0.0.1", "MASTER_PORT=" + port, "OMP_NUM_THREADS=1"};
        for (char** e = environ; *e; ++e)
            env.push_back(*e);
        std::vector<char*> envp;
        for (auto& e : env)
            envp.push_back(e.data());
        envp.push_back(nullptr);
        char* argv[] = {const_cast<char*>(self), nullptr};
        pid_t pid = 0;
        if (posix_spawn(&pid, self, nullptr, nullptr, argv, envp.data()) != 0)
            return 1;
        pids.push_back(pid);
    }
    int worst = 0;
    for (pid_t pid : pids) {
        int status = 0;
        waitpid(pid, &status, 0);
        worst = std::max(worst, WIFEXITED(status) ? WEXITSTATUS(status) : 1);
    }
    return worst;
}

} // namespace

int main()
{
    if (!std::getenv("RANK")) // one process first: its step time has no communication in it
    {
        const int single = launch("/proc/self/exe", 1);
        return std::max(single, launch("/proc/self/exe", 2));
    }
    try {
        return runRank();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}
