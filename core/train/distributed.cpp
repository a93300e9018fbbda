// The process group on c10d + Gloo (distributed.h) and the tensor collectives
// (dist_tensors.h). The only source that includes c10d; its headers need
// USE_C10D_GLOO and USE_DISTRIBUTED, which Torch's CMake package defines for
// every target that links LibTorch.
#include "train/distributed.h"

#include "common/error.h"
#include "train/dist_tensors.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>

namespace tb::train {

namespace {

using Clock = std::chrono::steady_clock;

std::string seconds(std::chrono::milliseconds t)
{
    char buf[32];
    if (t.count() % 1000 == 0)
        std::snprintf(buf, sizeof buf, "%lld s", static_cast<long long>(t.count() / 1000));
    else
        std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(t.count()) / 1000.0);
    return buf;
}

// The first line of an exception's message, without c10's backtrace or
// Gloo's "[file.cc:123] " source location.
std::string brief(const std::exception& e)
{
    const auto* c10error = dynamic_cast<const c10::Error*>(&e);
    std::string text = c10error ? c10error->what_without_backtrace() : e.what();
    text = text.substr(0, text.find('\n'));
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find("] ");
        if (close != std::string::npos && text.find(':') < close)
            text = text.substr(close + 2);
    }
    return text;
}

bool isLoopback(const std::string& host)
{
    return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

// The address Gloo's sockets bind: GLOO_SOCKET_IFNAME as PyTorch honours it,
// loopback for a group on 127.0.0.1, else this machine's host name.
std::shared_ptr<::gloo::transport::Device> glooDevice(const DistributedEnv& env)
{
    if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
        return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
    if (isLoopback(env.masterAddr))
        return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
    return c10d::ProcessGroupGloo::createDefaultDevice();
}

std::string rankList(const std::vector<int>& ranks)
{
    std::string s = ranks.size() == 1 ? "rank " : "ranks ";
    for (size_t i = 0; i < ranks.size(); ++i)
        s += (i ? ", " : "") + std::to_string(ranks[i]);
    return s;
}

std::string joinedKey(int rank) { return "tb/joined/" + std::to_string(rank); }

} // namespace

class ProcessGroup::Impl {
public:
    DistributedEnv env;
    JoinOptions options;
    c10::intrusive_ptr<c10d::Store> store;
    c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo; // null in a group of one

    // Waits for `work`; a failure becomes the group's error, for good.
    void wait(const c10::intrusive_ptr<c10d::Work>& work)
    {
        throwIfFailed();
        try {
            work->wait();
        } catch (const std::exception& e) {
            fail(brief(e));
        }
    }

    // Starts a collective through `start` (a c10d call), or throws the group's error.
    template <typename Start>
    c10::intrusive_ptr<c10d::Work> launch(Start&& start)
    {
        throwIfFailed();
        try {
            return start(*gloo);
        } catch (const std::exception& e) {
            fail(brief(e));
        }
    }

    std::optional<std::string> failure()
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        return m_failure;
    }

    void throwIfFailed()
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        if (m_failure)
            throw Error(*m_failure);
    }

private:
    [[noreturn]] void fail(const std::string& reason)
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        if (!m_failure)
            m_failure = peers() + " stopped responding (" + reason + ")";
        throw Error(*m_failure);
    }

    // Who the failed collective waited for; with two ranks, the other one.
    std::string peers() const
    {
        if (env.worldSize == 2)
            return "rank " + std::to_string(1 - env.rank);
        return "a peer of rank " + std::to_string(env.rank) + " (of " + std::to_string(env.worldSize) + ")";
    }

    std::mutex m_mutex;
    std::optional<std::string> m_failure;
};

namespace {

c10::intrusive_ptr<c10d::Store> openStore(const DistributedEnv& env, const JoinOptions& options)
{
    c10d::TCPStoreOptions o;
    o.port = static_cast<std::uint16_t>(env.masterPort);
    o.isServer = env.rank == 0;
    o.waitWorkers = false; // joinRanks waits, and names who is missing
    o.timeout = options.joinTimeout;
    try {
        return c10::make_intrusive<c10d::TCPStore>(env.masterAddr, o);
    } catch (const std::exception& e) {
        if (env.rank == 0)
            throw Error("rank 0 could not open the store at " + env.storeAddress() + " (" + brief(e) +
                        "): is another run using MASTER_PORT " + std::to_string(env.masterPort) + "?");
        throw Error("rank 0 of " + std::to_string(env.worldSize) + " did not open the store at " + env.storeAddress() +
                    " within " + seconds(options.joinTimeout) +
                    ": is rank 0 running, with the same MASTER_ADDR and MASTER_PORT?");
    }
}

// Every rank announces itself, then waits until all have.
void joinRanks(c10d::Store& store, const DistributedEnv& env, const JoinOptions& options)
{
    const auto deadline = Clock::now() + options.joinTimeout;
    try {
        store.set(joinedKey(env.rank), std::vector<uint8_t>{1});
        for (;;) {
            std::vector<int> missing;
            for (int r = 0; r < env.worldSize; ++r)
                if (!store.check({joinedKey(r)}))
                    missing.push_back(r);
            if (missing.empty())
                return;
            if (Clock::now() >= deadline)
                throw Error(rankList(missing) + " of " + std::to_string(env.worldSize) + " did not join " +
                            env.storeAddress() + " within " + seconds(options.joinTimeout));
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw Error("rank 0 stopped responding while rank " + std::to_string(env.rank) + " waited for the others at " +
                    env.storeAddress() + " (" + brief(e) + ")");
    }
}

} // namespace

ProcessGroup::ProcessGroup(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
ProcessGroup::~ProcessGroup() = default;

std::unique_ptr<ProcessGroup> ProcessGroup::join(const DistributedEnv& env, const JoinOptions& options)
{
    if (env.worldSize < 1 || env.rank < 0 || env.rank >= env.worldSize)
        throw Error("rank " + std::to_string(env.rank) + " is not in a group of " + std::to_string(env.worldSize));
    auto impl = std::make_unique<Impl>();
    impl->env = env;
    impl->options = options;
    if (env.worldSize > 1) {
        impl->store = openStore(env, options);
        joinRanks(*impl->store, env, options);
        auto gloo = c10d::ProcessGroupGloo::Options::create(options.collectiveTimeout);
        gloo->threads = std::max(1, options.backendThreads);
        try {
            gloo->devices.push_back(glooDevice(env));
            auto prefixed = c10::make_intrusive<c10d::PrefixStore>("tb/gloo", impl->store);
            impl->gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, env.rank, env.worldSize, gloo);
        } catch (const std::exception& e) {
            throw Error("rank " + std::to_string(env.rank) + " could not connect to the other ranks of " +
                        env.storeAddress() + " (" + brief(e) + ")");
        }
    }
    return std::unique_ptr<ProcessGroup>(new ProcessGroup(std::move(impl)));
}

int ProcessGroup::rank() const { return m_impl->env.rank; }
int ProcessGroup::size() const { return m_impl->env.worldSize; }
const DistributedEnv& ProcessGroup::env() const { return m_impl->env; }
ProcessGroup::Impl& ProcessGroup::impl() { return *m_impl; }
std::optional<std::string> ProcessGroup::failure() const { return m_impl->failure(); }

void ProcessGroup::barrier()
{
    if (!m_impl->gloo)
        return;
    m_impl->wait(m_impl->launch([](c10d::ProcessGroupGloo& g) { return g.barrier(); }));
}

double ProcessGroup::allreduceSum(double value) { return allreduceSum(std::vector<double>{value}).front(); }

std::vector<double> ProcessGroup::allreduceSum(const std::vector<double>& values)
{
    auto t = torch::tensor(values, torch::kFloat64);
    tb::train::allreduceSum(*this, t);
    const auto* p = t.data_ptr<double>();
    return std::vector<double>(p, p + t.numel());
}

std::vector<uint64_t> ProcessGroup::allgather(uint64_t value)
{
    if (!m_impl->gloo)
        return {value};
    int64_t bits = 0;
    std::memcpy(&bits, &value, sizeof bits);
    std::vector<at::Tensor> input{torch::full({1}, bits, torch::kInt64)};
    std::vector<std::vector<at::Tensor>> output(1);
    for (int r = 0; r < size(); ++r)
        output[0].push_back(torch::zeros({1}, torch::kInt64));
    m_impl->wait(m_impl->launch([&](c10d::ProcessGroupGloo& g) { return g.allgather(output, input); }));
    std::vector<uint64_t> all;
    for (const auto& t : output[0]) {
        const int64_t v = t.item<int64_t>();
        uint64_t u = 0;
        std::memcpy(&u, &v, sizeof u);
        all.push_back(u);
    }
    return all;
}

std::vector<std::string> ProcessGroup::allgather(const std::string& bytes)
{
    if (!m_impl->gloo)
        return {bytes};
    // The lengths first, then every rank's bytes padded to the longest.
    const auto lengths = allgather(static_cast<uint64_t>(bytes.size()));
    const uint64_t longest = std::max<uint64_t>(1, *std::max_element(lengths.begin(), lengths.end()));
    auto mine = torch::zeros({static_cast<int64_t>(longest)}, torch::kUInt8);
    std::memcpy(mine.data_ptr(), bytes.data(), bytes.size());
    std::vector<at::Tensor> input{mine};
    std::vector<std::vector<at::Tensor>> output(1);
    for (int r = 0; r < size(); ++r)
        output[0].push_back(torch::zeros({static_cast<int64_t>(longest)}, torch::kUInt8));
    m_impl->wait(m_impl->launch([&](c10d::ProcessGroupGloo& g) { return g.allgather(output, input); }));
    std::vector<std::string> all;
    for (size_t r = 0; r < output[0].size(); ++r)
        all.emplace_back(static_cast<const char*>(output[0][r].data_ptr()), static_cast<size_t>(lengths[r]));
    return all;
}

// ---- dist_tensors.h ----

struct PendingCollective::State {
    ProcessGroup::Impl* group = nullptr;
    c10::intrusive_ptr<c10d::Work> work;
};

PendingCollective::PendingCollective() = default;
PendingCollective::PendingCollective(std::unique_ptr<State> state) : m_state(std::move(state)) {}
PendingCollective::PendingCollective(PendingCollective&&) noexcept = default;
PendingCollective& PendingCollective::operator=(PendingCollective&&) noexcept = default;
PendingCollective::~PendingCollective() = default;

void PendingCollective::wait()
{
    if (!m_state)
        return;
    auto state = std::move(m_state);
    state->group->wait(state->work);
}

PendingCollective allreduceSumAsync(ProcessGroup& group, const torch::Tensor& tensor)
{
    auto& impl = group.impl();
    if (!impl.gloo)
        return {};
    TORCH_CHECK(tensor.is_contiguous() && tensor.device().is_cpu(), "allreduceSumAsync: a contiguous CPU tensor");
    auto state = std::make_unique<PendingCollective::State>();
    state->group = &impl;
    std::vector<at::Tensor> tensors{tensor};
    state->work = impl.launch([&](c10d::ProcessGroupGloo& g) { return g.allreduce(tensors); });
    return PendingCollective(std::move(state));
}

void allreduceSum(ProcessGroup& group, const torch::Tensor& tensor) { allreduceSumAsync(group, tensor).wait(); }

namespace {

// Consecutive runs of `tensors` of one dtype and at most `bucketBytes` (or one larger tensor).
std::vector<std::vector<torch::Tensor>> coalesce(const std::vector<torch::Tensor>& tensors, int64_t bucketBytes)
{
    std::vector<std::vector<torch::Tensor>> buckets;
    int64_t bytes = 0;
    for (const auto& t : tensors) {
        const int64_t n = static_cast<int64_t>(t.nbytes());
        if (buckets.empty() || buckets.back().front().scalar_type() != t.scalar_type() || bytes + n > bucketBytes) {
            buckets.emplace_back();
            bytes = 0;
        }
        buckets.back().push_back(t);
        bytes += n;
    }
    return buckets;
}

} // namespace

void broadcastFromRank0(ProcessGroup& group, const std::vector<torch::Tensor>& tensors, int64_t bucketBytes)
{
    auto& impl = group.impl();
    if (!impl.gloo)
        return;
    torch::NoGradGuard noGrad;
    for (const auto& bucket : coalesce(tensors, bucketBytes)) {
        std::vector<torch::Tensor> flat;
        for (const auto& t : bucket)
            flat.push_back(t.detach().reshape({-1}));
        std::vector<at::Tensor> buffer{torch::cat(flat)};
        c10d::BroadcastOptions options;
        options.rootRank = 0;
        impl.wait(impl.launch([&](c10d::ProcessGroupGloo& g) { return g.broadcast(buffer, options); }));
        int64_t offset = 0;
        for (const auto& t : bucket) {
            t.detach().copy_(buffer.front().narrow(0, offset, t.numel()).view(t.sizes()));
            offset += t.numel();
        }
    }
}

uint64_t hashTensors(const std::vector<torch::Tensor>& tensors)
{
    constexpr uint64_t kPrime = 0x100000001b3ULL;
    uint64_t h = 0xcbf29ce484222325ULL;
    const auto mix = [&](uint64_t word) { h = (h ^ word) * kPrime; };
    for (const auto& tensor : tensors) {
        const auto t = tensor.detach().cpu().contiguous();
        mix(static_cast<uint64_t>(t.scalar_type()));
        mix(static_cast<uint64_t>(t.dim()));
        for (int64_t s : t.sizes())
            mix(static_cast<uint64_t>(s));
        const auto* bytes = static_cast<const unsigned char*>(t.data_ptr());
        const size_t n = t.nbytes();
        size_t i = 0;
        for (; i + 8 <= n; i += 8) {
            uint64_t word = 0;
            std::memcpy(&word, bytes + i, 8);
            mix(word);
        }
        for (; i < n; ++i)
            mix(bytes[i]);
    }
    return h;
}

void checkSameWeights(ProcessGroup& group, const std::vector<torch::Tensor>& tensors, int64_t step)
{
    const auto all = group.allgather(hashTensors(tensors));
    for (uint64_t h : all) {
        if (h == all.front())
            continue;
        std::string list;
        for (size_t r = 0; r < all.size(); ++r) {
            char buf[48];
            std::snprintf(buf, sizeof buf, "%srank %zu: 0x%016" PRIx64, r ? ", " : "", r, all[r]);
            list += buf;
        }
        throw Error("ranks disagree on weights after step " + std::to_string(step) + " (" + list + ")");
    }
}

} // namespace tb::train
