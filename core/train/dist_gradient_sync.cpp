// Bucketed, token-weighted gradient all-reduce (see dist_gradient_sync.h).
// Buckets are launched strictly in index order on every rank, because Gloo
// matches collectives by the order they are issued: a bucket that fills early
// waits for the ones before it. Each rank writes n_r / Σn · (p.grad + incoming
// grad) into the bucket when its hook fires, so the sum over ranks is already
// the average; finish() copies the result back into p.grad.
#include "train/dist_gradient_sync.h"

#include "common/error.h"

#include <chrono>
#include <mutex>

namespace tb::train {

namespace {

struct Slot {
    torch::Tensor param;
    unsigned hook = 0;
    size_t bucket = 0;
    int64_t offset = 0;
    bool ready = false; // its slice of the bucket is written this step
};

struct Bucket {
    torch::Tensor flat;
    std::vector<size_t> slots;
    size_t waiting = 0; // slots not ready yet this step
    PendingCollective work;
};

} // namespace

struct GradientSync::State {
    ProcessGroup* group = nullptr;
    std::vector<Slot> slots;
    std::vector<Bucket> buckets;
    torch::Tensor used; // float flags per slot, summed over ranks in finish()

    std::mutex mutex; // hooks may run on autograd's device threads
    bool armed = false;
    int64_t localTokens = 0;
    int64_t totalTokens = 0;
    double scale = 0;
    size_t nextLaunch = 0;
    int launchedByHooks = 0;

    torch::Tensor slice(const Slot& s) const
    {
        return buckets[s.bucket].flat.narrow(0, s.offset, s.param.numel()).view(s.param.sizes());
    }

    // Writes scale · (p.grad + incoming) into the slot's slice; `incoming` may be undefined.
    void fill(size_t i, const torch::Tensor& incoming)
    {
        Slot& s = slots[i];
        auto out = slice(s);
        const auto& accumulated = s.param.grad();
        if (localTokens == 0 || (!accumulated.defined() && !incoming.defined())) {
            out.zero_();
        } else {
            if (accumulated.defined() && incoming.defined())
                torch::add_out(out, accumulated, incoming);
            else
                out.copy_(accumulated.defined() ? accumulated : incoming);
            out.mul_(scale);
        }
        used.data_ptr<float>()[i] = (accumulated.defined() || incoming.defined()) ? 1.0f : 0.0f;
        s.ready = true;
        --buckets[s.bucket].waiting;
    }

    // Launches the filled buckets that are next in order.
    int launchReady()
    {
        int launched = 0;
        while (nextLaunch < buckets.size() && buckets[nextLaunch].waiting == 0) {
            auto& b = buckets[nextLaunch++];
            b.work = allreduceSumAsync(*group, b.flat);
            ++launched;
        }
        return launched;
    }

    void onGradient(size_t i, const torch::Tensor& grad)
    {
        std::lock_guard<std::mutex> lock(mutex);
        if (!armed)
            return;
        if (slots[i].ready)
            throw Error("a second backward pass reached the same parameter between GradientSync::beginStep and "
                        "finish: run only the step's last micro-batch between them");
        torch::NoGradGuard noGrad;
        fill(i, grad);
        if (buckets[slots[i].bucket].waiting == 0)
            launchedByHooks += launchReady();
    }
};

GradientSync::GradientSync(ProcessGroup& group, std::vector<torch::Tensor> parameters, GradientSyncOptions options)
    : m_state(std::make_unique<State>())
{
    auto& st = *m_state;
    st.group = &group;
    for (auto& p : parameters) {
        if (!p.requires_grad() || !p.device().is_cpu())
            throw Error("GradientSync: every parameter must be a CPU tensor that requires grad");
        st.slots.push_back({p});
    }
    // Buckets over the parameters in reverse order, split by dtype and size.
    int64_t bytes = 0;
    std::vector<int64_t> numel;
    for (size_t k = st.slots.size(); k-- > 0;) {
        auto& s = st.slots[k];
        const int64_t n = static_cast<int64_t>(s.param.nbytes());
        const bool fresh = st.buckets.empty() || bytes + n > options.bucketBytes ||
                           st.slots[st.buckets.back().slots.front()].param.scalar_type() != s.param.scalar_type();
        if (fresh) {
            st.buckets.emplace_back();
            numel.push_back(0);
            bytes = 0;
        }
        s.bucket = st.buckets.size() - 1;
        s.offset = numel.back();
        st.buckets.back().slots.push_back(k);
        numel.back() += s.param.numel();
        bytes += n;
    }
    for (size_t b = 0; b < st.buckets.size(); ++b) {
        const auto dtype = st.slots[st.buckets[b].slots.front()].param.scalar_type();
        st.buckets[b].flat = torch::zeros({numel[b]}, torch::TensorOptions().dtype(dtype));
    }
    st.used = torch::zeros({static_cast<int64_t>(st.slots.size())}, torch::kFloat32);
    State* raw = m_state.get();
    for (size_t i = 0; i < st.slots.size(); ++i)
        st.slots[i].hook = st.slots[i].param.register_hook([raw, i](const torch::Tensor& grad) { raw->onGradient(i, grad); });
}

GradientSync::~GradientSync()
{
    for (auto& s : m_state->slots)
        s.param.remove_hook(s.hook);
    // A step abandoned by an error may leave collectives in flight; Gloo keeps
    // their buffers alive, and the group fails them when it is destroyed.
}

int GradientSync::bucketCount() const { return static_cast<int>(m_state->buckets.size()); }

void GradientSync::beginStep(int64_t localTokens)
{
    auto& st = *m_state;
    if (st.armed)
        throw Error("GradientSync::beginStep called twice without finish()");
    if (localTokens < 0)
        throw Error("GradientSync::beginStep: negative token count " + std::to_string(localTokens));
    // Exact in double far beyond any step's token count.
    const double total = st.group->allreduceSum(static_cast<double>(localTokens));
    std::lock_guard<std::mutex> lock(st.mutex);
    st.localTokens = localTokens;
    st.totalTokens = static_cast<int64_t>(total);
    st.scale = total > 0 ? static_cast<double>(localTokens) / total : 0.0;
    for (auto& s : st.slots)
        s.ready = false;
    for (auto& b : st.buckets)
        b.waiting = b.slots.size();
    st.used.zero_();
    st.nextLaunch = 0;
    st.launchedByHooks = 0;
    st.armed = true;
}

GradientSyncStats GradientSync::finish()
{
    auto& st = *m_state;
    if (!st.armed)
        throw Error("GradientSync::finish called without beginStep()");
    GradientSyncStats stats;
    {
        std::lock_guard<std::mutex> lock(st.mutex);
        st.armed = false;
        torch::NoGradGuard noGrad;
        // Parameters the last backward pass did not reach: what earlier micro-batches left, or zeros.
        for (size_t i = 0; i < st.slots.size(); ++i)
            if (!st.slots[i].ready)
                st.fill(i, torch::Tensor());
        st.launchReady();
        stats.bucketsDuringBackward = st.launchedByHooks;
    }
    auto usedWork = allreduceSumAsync(*st.group, st.used);

    const auto started = std::chrono::steady_clock::now();
    for (auto& b : st.buckets)
        b.work.wait();
    usedWork.wait();
    stats.waitMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();

    torch::NoGradGuard noGrad;
    const auto* used = st.used.data_ptr<float>();
    for (size_t i = 0; i < st.slots.size(); ++i) {
        auto& p = st.slots[i].param;
        if (used[i] == 0)
            continue; // no rank had a gradient: leave it undefined, as one process would
        if (p.grad().defined())
            p.mutable_grad().copy_(st.slice(st.slots[i]));
        else
            p.mutable_grad() = st.slice(st.slots[i]).clone();
    }
    stats.localTokens = st.localTokens;
    stats.totalTokens = st.totalTokens;
    stats.buckets = static_cast<int>(st.buckets.size());
    for (const auto& b : st.buckets)
        stats.gradientBytes += static_cast<int64_t>(b.flat.nbytes());
    stats.overheadBytes = static_cast<int64_t>(sizeof(double) + st.used.nbytes());
    return stats;
}

} // namespace tb::train
