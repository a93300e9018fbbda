#include "train/trainer.h"

#include "common/cpu_features.h"
#include "common/error.h"
#include "io/atomic_file.h"
#include "io/safetensors.h"
#include "io/weight_set.h"
#include "model/autocast.h"
#include "train/chunked_loss.h"
#include "train/divergence.h"
#include "train/estimate.h"

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;
using nlohmann::json;

namespace tb::train {

namespace {

using Clock = std::chrono::steady_clock;

int64_t peakMemoryBytes()
{
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmHWM:", 0) == 0)
            return std::stoll(line.substr(6)) * 1024;
    return 0;
}

// Deterministic on every platform (std::shuffle is not specified exactly).
std::vector<size_t> permutation(size_t n, uint64_t seed, int64_t epoch)
{
    std::vector<size_t> p(n);
    for (size_t i = 0; i < n; ++i)
        p[i] = i;
    std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(epoch) + 1);
    for (size_t i = n; i > 1; --i)
        std::swap(p[i - 1], p[rng() % i]);
    return p;
}

std::string gigabytes(double bytes)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f GB", bytes / 1e9);
    return buf;
}

std::string megabytes(double bytes)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f MB", bytes / 1e6);
    return buf;
}

// MemAvailable from /proc/meminfo in bytes; nothing where it cannot be read.
// For tests, TUNEBENCH_FAULT_MEMORY_AVAILABLE=BYTES stands in for it, so a
// refusal does not depend on the machine's memory.
std::optional<double> availableMemoryBytes()
{
    if (const char* fake = std::getenv("TUNEBENCH_FAULT_MEMORY_AVAILABLE"); fake && *fake)
        return std::atof(fake);
    std::ifstream meminfo("/proc/meminfo");
    std::string key;
    double kb = 0;
    std::string unit;
    while (meminfo >> key >> kb >> unit)
        if (key == "MemAvailable:")
            return kb * 1024;
    return std::nullopt;
}

// The largest absolute value of any of `params` (0 for none).
double largestWeight(const std::vector<torch::Tensor>& params)
{
    torch::NoGradGuard noGrad;
    double largest = 0;
    for (const auto& p : params)
        if (p.numel() > 0) // two reductions, no copy of the weights
            largest = std::max({largest, p.max().item<double>(), -p.min().item<double>()});
    return largest;
}

// An allocation that failed during training, as advice rather than the
// allocator's text; other failures keep their own (first) line.
std::string failureText(const std::exception& e, int64_t step)
{
    const std::string what = e.what();
    const bool outOfMemory = dynamic_cast<const std::bad_alloc*>(&e) != nullptr ||
                             what.find("can't allocate memory") != std::string::npos ||
                             what.find("out of memory") != std::string::npos;
    if (outOfMemory)
        return "out of memory at step " + std::to_string(step + 1) +
               ": lower batch_size or max_length (grad_accumulation keeps the effective batch)";
    return what.substr(0, what.find('\n'));
}

std::string nonFiniteLossText(double value, int64_t step, double learningRate)
{
    return "the loss became " + std::string(std::isnan(value) ? "NaN" : "infinite") + " at step " +
           std::to_string(step + 1) + ": lower the learning rate (now " + shortNumber(learningRate) + "), e.g. " +
           shortNumber(DivergenceCheck::saferLearningRate(learningRate)) +
           ", keep gradient clipping on, add warm-up steps, or train in f32";
}

// glibc returns freed memory at the top of the heap to the system (over
// 128 KiB by default) and maps large blocks afresh, so every training step
// would fault in and zero its activations' pages again (5-10% of a CPU step
// on GPT-2 small). During a run freed memory stays for the next step; after
// it, what is free goes back.
struct KeepHeapWhileTraining {
    KeepHeapWhileTraining()
    {
#ifdef __GLIBC__
        mallopt(M_MMAP_THRESHOLD, 32 << 20); // the largest glibc accepts
        mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
    }
    ~KeepHeapWhileTraining()
    {
#ifdef __GLIBC__
        mallopt(M_TRIM_THRESHOLD, 128 * 1024); // glibc's default
        malloc_trim(0);
#endif
    }
    KeepHeapWhileTraining(const KeepHeapWhileTraining&) = delete;
    KeepHeapWhileTraining& operator=(const KeepHeapWhileTraining&) = delete;
};

// The forward pass the loss needs (train/chunked_loss.h lmOutput).
LmOutput lmForward(peft::PeftModel& model, const torch::Tensor& ids)
{
    return lmOutput(*model.base(), [&] { return model.forward(ids); });
}

// training.gradient_checkpointing: "true"/"false" as set; "auto" on when the
// estimate without it (train/estimate.h) exceeds the memory available beyond
// the loaded weights. Returns the line the run log shows.
std::string decideGradientCheckpointing(peft::PeftModel& model, const TrainConfig& config, int64_t longest)
{
    bool on = config.gradientCheckpointing == "true";
    std::string why = on ? "training.gradient_checkpointing is true" : "training.gradient_checkpointing is false";
    if (config.gradientCheckpointing == "auto") {
        TrainConfig without = config;
        without.gradientCheckpointing = "false";
        const auto e = estimate(model.base()->config(), model.config(), without, longest);
        const double needed = static_cast<double>(e.memory.total() - e.memory.weights);
        const auto available = availableMemoryBytes();
        on = available && needed > *available;
        why = "auto: training needs ~" + gigabytes(needed) + " beyond the weights without it, " +
              (available ? gigabytes(*available) + " available" : std::string("available memory unknown"));
    }
    model.base()->setGradientCheckpointing(on);
    return std::string("gradient checkpointing ") + (on ? "on" : "off") + " (" + why + ")";
}

// K of "compare weights every K steps": the option, else TUNEBENCH_CHECK_WEIGHTS_EVERY.
int64_t weightCheckInterval(int64_t configured)
{
    if (configured > 0)
        return configured;
    const char* env = std::getenv("TUNEBENCH_CHECK_WEIGHTS_EVERY");
    return env && *env ? std::max<int64_t>(0, std::atoll(env)) : 0;
}

// Bytes a checkpoint's files take: its tensors, the optimizer's state and
// a little JSON.
uint64_t checkpointBytes(const std::vector<io::TensorToWrite>& tensors, uint64_t optimizerStateBytes)
{
    uint64_t bytes = optimizerStateBytes + 64 * 1024;
    for (const auto& t : tensors)
        bytes += t.nbytes + 256;
    return bytes;
}

} // namespace

double learningRateAt(const TrainConfig& c, int64_t step)
{
    if (step < c.warmupSteps)
        return c.learningRate * static_cast<double>(step + 1) / static_cast<double>(c.warmupSteps);
    if (c.schedule == "constant")
        return c.learningRate;
    const double span = static_cast<double>(std::max<int64_t>(1, c.maxSteps - c.warmupSteps));
    const double progress = std::min(1.0, static_cast<double>(step - c.warmupSteps) / span);
    double factor = 1.0;
    if (c.schedule == "linear")
        factor = 1.0 - progress * (1.0 - c.minLrRatio);
    else // cosine
        factor = c.minLrRatio + (1.0 - c.minLrRatio) * 0.5 * (1.0 + std::cos(M_PI * progress));
    return c.learningRate * factor;
}

std::vector<size_t> microBatchIndices(size_t size, const TrainConfig& c, int64_t micro)
{
    std::vector<size_t> out;
    if (size == 0)
        return out;
    const uint64_t B = static_cast<uint64_t>(c.batchSize);
    const uint64_t start = (static_cast<uint64_t>(micro) * c.worldSize + c.rank) * B;
    int64_t cachedEpoch = -1;
    std::vector<size_t> perm;
    for (uint64_t k = 0; k < B; ++k) {
        const uint64_t pos = start + k;
        const int64_t epoch = static_cast<int64_t>(pos / size);
        if (epoch != cachedEpoch) {
            perm = permutation(size, c.seed, epoch);
            cachedEpoch = epoch;
        }
        out.push_back(perm[pos % size]);
    }
    return out;
}

std::pair<torch::Tensor, int64_t> causalLmLoss(const torch::Tensor& logits, const torch::Tensor& labels)
{
    using torch::indexing::Slice;
    auto shiftLogits = logits.index({Slice(), Slice(0, -1)}).to(torch::kFloat32);
    auto shiftLabels = labels.index({Slice(), Slice(1)});
    const int64_t count = (shiftLabels != kIgnoreIndex).sum().item<int64_t>();
    auto loss = torch::nn::functional::cross_entropy(
        shiftLogits.reshape({-1, shiftLogits.size(-1)}), shiftLabels.reshape({-1}),
        torch::nn::functional::CrossEntropyFuncOptions().ignore_index(kIgnoreIndex).reduction(torch::kSum));
    return {count > 0 ? loss / static_cast<double>(count) : loss * 0.0, count};
}

std::pair<torch::Tensor, torch::Tensor> rowLossSums(const torch::Tensor& logits, const torch::Tensor& labels)
{
    using torch::indexing::Slice;
    auto shiftLogits = logits.index({Slice(), Slice(0, -1)}).to(torch::kFloat32);
    auto shiftLabels = labels.index({Slice(), Slice(1)});
    auto perToken = torch::nn::functional::cross_entropy(
        shiftLogits.reshape({-1, shiftLogits.size(-1)}), shiftLabels.reshape({-1}),
        torch::nn::functional::CrossEntropyFuncOptions().ignore_index(kIgnoreIndex).reduction(torch::kNone));
    return {perToken.reshape(shiftLabels.sizes()).sum(1), (shiftLabels != kIgnoreIndex).sum(1)};
}

Trainer::Trainer(peft::PeftModel& model, TrainConfig config, std::vector<Sequence> train,
                 std::vector<Sequence> validation, std::string outputDir, std::vector<std::string> validationTasks)
    : m_model(model), m_config(std::move(config)), m_train(std::move(train)), m_val(std::move(validation)),
      m_valTasks(std::move(validationTasks)), m_outputDir(std::move(outputDir))
{
    if (m_train.empty())
        throw Error("training set is empty: nothing to train on");
    const int tasks = static_cast<int>(m_valTasks.size()); // none named: one task, indices unused
    for (size_t i = 0; tasks > 0 && i < m_val.size(); ++i)
        if (m_val[i].task < 0 || m_val[i].task >= tasks)
            throw Error("validation example " + std::to_string(i) + ": task index " + std::to_string(m_val[i].task) +
                        " outside the run's " + std::to_string(tasks) + " task(s)");
    for (size_t i = 0; i < m_train.size(); ++i)
        if (m_train[i].ids.size() != m_train[i].labels.size() || m_train[i].ids.empty())
            throw Error("training example " + std::to_string(i) + ": ids and labels must be non-empty and equal in length");
    m_device = m_model.base()->parameters().front().device();
    m_config.precision = resolvePrecision(m_config.precision, m_device.str()); // "auto" → f32 or bf16
    if (m_config.threads > 0)
        torch::set_num_threads(static_cast<int>(m_config.threads));

    // AdamW without weight decay on biases and norms (parameters of dim < 2).
    FusedAdamW::Named decay, noDecay;
    for (auto& [name, p] : m_model.trainableParameters()) {
        m_params.push_back(p);
        (p.dim() >= 2 && name != "prompt_embeddings" ? decay : noDecay).emplace_back(name, p);
    }
    if (m_params.empty())
        throw Error("the method leaves no parameter trainable");
    if (m_config.optimizer == "sgd") {
        m_optimizer = std::make_unique<torch::optim::SGD>(
            m_params, torch::optim::SGDOptions(m_config.learningRate).momentum(m_config.momentum));
    } else {
        // The parameters become views into the optimizer's flat buffers (same tensors, same values).
        FusedAdamWOptions opts;
        opts.lr = m_config.learningRate;
        opts.beta1 = m_config.beta1;
        opts.beta2 = m_config.beta2;
        opts.eps = m_config.eps;
        opts.weightDecay = m_config.weightDecay;
        m_adamw = std::make_unique<FusedAdamW>(decay, noDecay, opts);
    }
}

std::pair<torch::Tensor, torch::Tensor> Trainer::collate(const std::vector<size_t>& indices,
                                                         const std::vector<Sequence>& data) const
{
    size_t maxLen = 0;
    for (size_t i : indices)
        maxLen = std::max(maxLen, data[i].ids.size());
    // Right padding: causal attention never lets a real token see the pads,
    // and their labels are -100, so no attention mask is needed.
    auto ids = torch::zeros({static_cast<int64_t>(indices.size()), static_cast<int64_t>(maxLen)}, torch::kLong);
    auto labels = torch::full_like(ids, kIgnoreIndex);
    auto ia = ids.accessor<int64_t, 2>();
    auto la = labels.accessor<int64_t, 2>();
    for (size_t r = 0; r < indices.size(); ++r) {
        const auto& s = data[indices[r]];
        for (size_t t = 0; t < s.ids.size(); ++t) {
            ia[r][t] = s.ids[t];
            la[r][t] = s.labels[t];
        }
    }
    return {ids.to(m_device), labels.to(m_device)};
}

ValidationLosses Trainer::validationLosses()
{
    ValidationLosses out;
    if (m_val.empty())
        return out;
    torch::NoGradGuard noGrad;
    auto base = m_model.base();
    const bool wasTraining = base->is_training();
    base->eval();
    model::AutocastScope autocast(m_config.precision == "bf16", m_device);
    // The batches one process would form (the first evalBatches of them),
    // dealt out to the ranks: each batch's f32 sums are computed exactly as
    // one process computes them, and only their double sums are reordered.
    const bool perTask = m_valTasks.size() > 1;
    const size_t tasks = m_valTasks.size();
    // [loss sum, tokens, per task: loss sum..., per task: tokens...], in double.
    std::vector<double> sums(2 + 2 * tasks, 0.0);
    const size_t B = static_cast<size_t>(m_config.batchSize);
    int64_t batches = static_cast<int64_t>((m_val.size() + B - 1) / B);
    if (m_config.evalBatches > 0)
        batches = std::min(batches, m_config.evalBatches);
    const int rank = distributed() ? m_dp.group->rank() : 0;
    const int world = distributed() ? m_dp.group->size() : 1;
    for (const int64_t b : validationBatchesOf(batches, rank, world)) {
        const size_t start = static_cast<size_t>(b) * B;
        std::vector<size_t> idx;
        for (size_t i = start; i < std::min(m_val.size(), start + B); ++i)
            idx.push_back(i);
        auto [ids, labels] = collate(idx, m_val);
        const auto logits = lmForward(m_model, ids); // hidden states + head: the loss chunks the vocabulary
        auto [loss, count] = causalLmLoss(logits, labels);
        sums[0] += loss.item<double>() * static_cast<double>(count);
        sums[1] += static_cast<double>(count);
        if (perTask) {
            auto [rowSums, counts] = rowLossSums(logits, labels);
            auto s = rowSums.to(torch::kCPU, torch::kDouble);
            auto n = counts.to(torch::kCPU);
            for (size_t r = 0; r < idx.size(); ++r) {
                const auto task = static_cast<size_t>(m_val[idx[r]].task);
                sums[2 + task] += s[static_cast<int64_t>(r)].item<double>();
                sums[2 + tasks + task] += static_cast<double>(n[static_cast<int64_t>(r)].item<int64_t>());
            }
        }
    }
    base->train(wasTraining);
    if (distributed())
        sums = m_dp.group->allreduceSum(sums);
    out.loss = sums[1] > 0 ? sums[0] / sums[1] : 0.0;
    for (size_t t = 0; perTask && t < tasks; ++t)
        if (sums[2 + tasks + t] > 0) // a task evalBatches left out has no value
            out.perTask.emplace_back(m_valTasks[t], sums[2 + t] / sums[2 + tasks + t]);
    return out;
}

void Trainer::setDataParallel(DataParallel dp)
{
    m_dp = dp;
    m_dp.checkWeightsEvery = weightCheckInterval(dp.checkWeightsEvery);
    if (!m_dp.group)
        return;
    m_config.rank = m_dp.group->rank();
    m_config.worldSize = m_dp.group->size();
    const int localRanks = m_dp.group->env().localWorldSize;
    if (m_config.threads == 0 && localRanks > 1)
        torch::set_num_threads(std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / localRanks));
}

// ------------------------------------------------------------ bookkeeping ---

struct Trainer::RunState {
    int64_t step = 0;                         // optimizer steps done
    std::optional<double> bestValidationLoss; // empty until the first validation
    int64_t badEvaluations = 0;               // validations since the best one
    int64_t tokensSeen = 0;                   // input tokens of the examples, padding excluded
    double lastLoss = 0;
    std::string lastCheckpoint;
    int64_t firstStep = 0;                    // where this run() began, for the ETA
    int checkpointWorldSize = 1;              // ranks that wrote the checkpoint resumed from
    Clock::time_point started;
};

struct Trainer::Batch {
    std::vector<std::pair<torch::Tensor, torch::Tensor>> micro; // (ids, labels) per micro-batch
    int64_t targetTokens = 0; // labels that count, over all micro-batches
    int64_t inputTokens = 0;
};

struct Trainer::StepStats {
    Clock::time_point started;
    double learningRate = 0;
    double loss = 0;
    double gradNorm = 0;
    double computeSeconds = 0;               // forward and backward on this rank
    std::vector<double> rankTokensPerSecond; // data-parallel: every rank's, by rank
};

TrainResult Trainer::run(TrainObserver& observer, RunControl& control, const std::string& resumeFrom)
{
    KeepHeapWhileTraining heap;
    RunState state;
    std::optional<TrainStatus> ended;
    try {
        begin(state, observer, resumeFrom);
        DivergenceCheck divergence(m_model.base()->config().vocabSize, m_config.learningRate, largestWeight(m_params));
        bool pauseAgreed = false; // data-parallel: the last step's all-reduce said some rank pauses
        while (!ended && state.step < m_config.maxSteps) {
            // Every rank waits together (and cancels together) in a data-parallel run.
            const bool go = !distributed() ? control.waitWhilePaused()
                                           : !pauseAgreed || waitWhilePausedTogether(*m_dp.group, control);
            if (!go) {
                m_sync.reset();
                return finish(state, TrainStatus::Cancelled, {});
            }
            StepStats stats = startStep(state.step); // learning rate, zero grad, clock
            const Batch batch = nextBatch(state.step);
            stats.loss = forwardBackward(batch, state.step, stats.learningRate);
            stats.computeSeconds = std::chrono::duration<double>(Clock::now() - stats.started).count();
            std::optional<AgreedStep> agreed;
            if (distributed()) {
                m_sync->finish(); // every rank now holds the token-averaged gradients
                agreed = reduceLoss(stats.loss, batch, stats, state.step, control);
                stats.loss = agreed->loss;
                stats.rankTokensPerSecond = agreed->rankTokensPerSecond;
                pauseAgreed = agreed->pause;
            }
            stats.gradNorm = clipGradients(state.step);
            if (m_adamw)
                m_adamw->step();
            else
                m_optimizer->step();
            if (auto diverged = divergence.step(state.step + 1, stats.loss, largestWeight(m_params)))
                throw Error(*diverged);
            if (distributed() && m_dp.checkWeightsEvery > 0 && (state.step + 1) % m_dp.checkWeightsEvery == 0)
                checkSameWeights(*m_dp.group, m_params, state.step + 1);
            ended = afterStep(state, batch, stats, observer); // step, validation, checkpoint, early stop
            // Data-parallel: a cancel any rank saw at this step's all-reduce, so all stop here.
            if (!ended && (agreed ? agreed->cancel : control.cancelled()))
                ended = TrainStatus::Cancelled;
        }
    } catch (const std::exception& e) {
        m_sync.reset();
        return finish(state, TrainStatus::Failed, failureText(e, state.step));
    }
    m_sync.reset();
    return finish(state, ended.value_or(TrainStatus::Completed), {});
}

void Trainer::checkMemory() const
{
    // The Method panel's estimate (train/estimate.h) for the longest training
    // sequence; the weights are loaded already, the rest is still to come.
    // Host memory only: a GPU run's activations live on the device.
    if (!m_device.is_cpu())
        return;
    size_t longest = 1;
    for (const auto& seq : m_train)
        longest = std::max(longest, seq.ids.size());
    const auto e = estimate(m_model.base()->config(), m_model.config(), m_config, static_cast<int64_t>(longest));
    const double needed = static_cast<double>(e.memory.total() - e.memory.weights);
    const auto available = availableMemoryBytes();
    if (available && needed > *available)
        throw Error("training needs ~" + gigabytes(needed) + " beyond the loaded model (batch_size " +
                    std::to_string(m_config.batchSize) + " x " + std::to_string(longest) + " tokens: activations, "
                    "gradients, optimizer state), " + gigabytes(*available) + " available; lower batch_size or "
                    "max_length (grad_accumulation keeps the effective batch)");
}

void Trainer::begin(RunState& state, TrainObserver& observer, const std::string& resumeFrom)
{
    size_t longest = 1;
    for (const auto& seq : m_train)
        longest = std::max(longest, seq.ids.size());
    observer.onLog(decideGradientCheckpointing(m_model, m_config, static_cast<int64_t>(longest)));
    checkMemory();
    torch::manual_seed(m_config.seed);
    if (!resumeFrom.empty()) {
        loadCheckpoint(resumeFrom, state);
        observer.onLog("resumed from " + resumeFrom + " at step " + std::to_string(state.step));
        if (state.checkpointWorldSize != m_config.worldSize)
            observer.onLog("warning: the checkpoint was written by " + std::to_string(state.checkpointWorldSize) +
                           " process(es), this run has " + std::to_string(m_config.worldSize) +
                           ": the effective batch and the order of the remaining examples differ from the "
                           "original run; resume with the same number of processes to continue it exactly");
    }
    if (distributed()) {
        // Every rank starts from rank 0's weights (a resumed run: from its checkpoint).
        broadcastFromRank0(*m_dp.group, m_params);
        m_sync = std::make_unique<GradientSync>(*m_dp.group, m_params);
        observer.onLog("data-parallel rank " + std::to_string(m_config.rank) + " of " +
                       std::to_string(m_config.worldSize) + ", " + std::to_string(torch::get_num_threads()) +
                       " threads");
    }
    m_model.base()->train();
    state.firstStep = state.step;
    state.started = Clock::now();
}

Trainer::StepStats Trainer::startStep(int64_t step)
{
    StepStats stats;
    stats.started = Clock::now();
    stats.learningRate = learningRateAt(m_config, step);
    if (m_adamw) {
        m_adamw->setLearningRate(stats.learningRate);
        m_adamw->zeroGrad(); // one fill; the gradients stay views into its flat buffer
    } else {
        for (auto& group : m_optimizer->param_groups())
            group.options().set_lr(stats.learningRate);
        m_optimizer->zero_grad();
    }
    return stats;
}

Trainer::Batch Trainer::nextBatch(int64_t step) const
{
    // All micro-batches first, so each one's loss can be weighted by its share of the step's tokens.
    Batch batch;
    for (int64_t m = 0; m < m_config.gradAccumulation; ++m) {
        const auto idx = microBatchIndices(m_train.size(), m_config, step * m_config.gradAccumulation + m);
        batch.micro.push_back(collate(idx, m_train));
        // Counted on the host: a device reduction here would synchronise every micro-batch.
        for (size_t i : idx) {
            const auto& labels = m_train[i].labels;
            batch.targetTokens +=
                std::count_if(labels.begin() + 1, labels.end(), [](int64_t l) { return l != kIgnoreIndex; });
            batch.inputTokens += static_cast<int64_t>(m_train[i].ids.size());
        }
    }
    return batch;
}

double Trainer::forwardBackward(const Batch& batch, int64_t step, double learningRate)
{
    // Each micro-batch's mean loss weighted by count / step tokens: the sum is
    // the mean over all the step's target tokens, as one big batch would give.
    double stepLoss = 0;
    for (size_t m = 0; m < batch.micro.size(); ++m) {
        const auto& [ids, labels] = batch.micro[m];
        if (m_sync && m + 1 == batch.micro.size())
            m_sync->beginStep(batch.targetTokens); // hooks all-reduce the last backward's gradients
        torch::Tensor loss;
        int64_t count = 0;
        {
            model::AutocastScope autocast(m_config.precision == "bf16", m_device);
            std::tie(loss, count) = causalLmLoss(lmForward(m_model, ids), labels, &m_lossWorkspace);
        }
        if (count == 0)
            continue;
        const double weight = static_cast<double>(count) / static_cast<double>(std::max<int64_t>(1, batch.targetTokens));
        const double value = loss.item<double>();
        if (!std::isfinite(value)) {
            if (!distributed())
                throw Error(nonFiniteLossText(value, step, learningRate));
            // The other ranks are in this step's collectives: fail together, after reduceLoss.
            stepLoss = value;
            continue;
        }
        (loss * weight).backward();
        stepLoss += value * weight;
    }
    return stepLoss;
}

AgreedStep Trainer::reduceLoss(double localLoss, const Batch& batch, const StepStats& stats, int64_t step,
                               const RunControl& control)
{
    // One all-reduce: the loss, cancel and pause, and every rank's throughput (train/dist_step.h).
    LocalStep local;
    local.loss = localLoss;
    local.targetTokens = batch.targetTokens;
    local.inputTokens = batch.inputTokens;
    local.computeSeconds = stats.computeSeconds;
    local.cancel = control.cancelled();
    local.pause = control.paused();
    auto agreed = agreeOnStep(*m_dp.group, local);
    if (!std::isfinite(agreed.loss)) // every rank fails at the same step
        throw Error(nonFiniteLossText(agreed.loss, step, stats.learningRate));
    return agreed;
}

double Trainer::clipGradients(int64_t step)
{
    double gradNorm = 0;
    if (m_adamw) {
        // One norm over the flat gradient buffer; clipping is one multiply of it.
        gradNorm = m_config.clipNorm > 0 ? m_adamw->clipGradNorm(m_config.clipNorm) : m_adamw->gradNorm();
    } else if (m_config.clipNorm > 0) {
        gradNorm = torch::nn::utils::clip_grad_norm_(m_params, m_config.clipNorm);
    } else {
        double sq = 0;
        for (auto& p : m_params)
            if (p.grad().defined())
                sq += p.grad().pow(2).sum().item<double>();
        gradNorm = std::sqrt(sq);
    }
    if (!std::isfinite(gradNorm))
        throw Error("the gradient norm became non-finite at step " + std::to_string(step + 1) +
                    ": lower the learning rate (now " + shortNumber(m_config.learningRate) + "), e.g. " +
                    shortNumber(DivergenceCheck::saferLearningRate(m_config.learningRate)) +
                    ", enable clip_norm, or train in f32");
    return gradNorm; // before clipping
}

std::optional<TrainStatus> Trainer::afterStep(RunState& state, const Batch& batch, const StepStats& stats,
                                              TrainObserver& observer)
{
    const auto& c = m_config;
    ++state.step;
    state.tokensSeen += batch.inputTokens;
    state.lastLoss = stats.loss;

    StepEvent ev;
    ev.step = state.step;
    ev.totalSteps = c.maxSteps;
    ev.loss = stats.loss;
    ev.learningRate = stats.learningRate;
    ev.gradNorm = stats.gradNorm;
    const double stepSeconds = std::chrono::duration<double>(Clock::now() - stats.started).count();
    ev.tokensPerSecond = stepSeconds > 0 ? static_cast<double>(batch.inputTokens) / stepSeconds : 0;
    ev.elapsedSeconds = std::chrono::duration<double>(Clock::now() - state.started).count();
    ev.etaSeconds = ev.elapsedSeconds / static_cast<double>(state.step - state.firstStep) *
                    static_cast<double>(c.maxSteps - state.step);
    ev.tokensSeen = state.tokensSeen;
    // Examples drawn by all ranks so far over the training set's size.
    const uint64_t drawn = static_cast<uint64_t>(state.step * c.gradAccumulation * c.batchSize * c.worldSize);
    ev.epoch = static_cast<int64_t>(drawn / m_train.size());
    ev.epochProgress = static_cast<double>(drawn) / static_cast<double>(m_train.size());
    ev.peakMemoryBytes = peakMemoryBytes();
    ev.rankTokensPerSecond = stats.rankTokensPerSecond;
    observer.onStep(ev);

    const bool last = state.step == c.maxSteps;
    const auto due = [&](int64_t every) { return (every > 0 && state.step % every == 0) || last; };
    const bool stopEarly = !m_val.empty() && due(c.evalEvery) && validateAndTrack(state, observer);
    if (writesFiles() && (due(c.checkpointEvery) || stopEarly)) {
        state.lastCheckpoint = saveCheckpoint(state);
        observer.onCheckpoint(state.step, state.lastCheckpoint);
    }
    return stopEarly ? std::optional(TrainStatus::EarlyStopped) : std::nullopt;
}

bool Trainer::validateAndTrack(RunState& state, TrainObserver& observer)
{
    ValidationEvent v;
    v.step = state.step;
    auto losses = validationLosses();
    v.loss = losses.loss;
    v.perTask = std::move(losses.perTask);
    v.perplexity = std::exp(v.loss);
    v.improved = !state.bestValidationLoss || v.loss < *state.bestValidationLoss;
    if (v.improved) {
        state.bestValidationLoss = v.loss;
        state.badEvaluations = 0;
    } else {
        ++state.badEvaluations;
    }
    observer.onValidation(v);
    if (m_config.earlyStoppingPatience <= 0 || state.badEvaluations < m_config.earlyStoppingPatience)
        return false;
    observer.onLog("early stopping: validation loss has not improved for " + std::to_string(state.badEvaluations) +
                   " evaluations");
    return true;
}

TrainResult Trainer::finish(const RunState& state, TrainStatus status, std::string error)
{
    m_model.base()->eval();
    TrainResult result;
    result.status = status;
    result.error = std::move(error);
    result.steps = state.step;
    result.finalLoss = state.lastLoss;
    result.bestValidationLoss = state.bestValidationLoss;
    result.lastCheckpoint = state.lastCheckpoint;
    return result;
}

// ------------------------------------------------------------ checkpoints ---

std::string Trainer::saveCheckpoint(const RunState& state)
{
    char name[32];
    std::snprintf(name, sizeof name, "step-%07lld", static_cast<long long>(state.step));
    const fs::path final = fs::path(m_outputDir) / "checkpoints" / name;
    const fs::path tmp = fs::path(m_outputDir) / "checkpoints" / (std::string(name) + ".partial");
    try {
        fs::remove_all(tmp);
        fs::create_directories(tmp);
        writeCheckpoint(state, tmp);
    } catch (const std::exception& e) {
        // A full disk must not cost the checkpoints already there, nor leave a
        // half-written folder filling it: the run fails, resumable from the
        // last complete checkpoint once there is space.
        std::error_code ec;
        fs::remove_all(tmp, ec);
        const auto space = fs::space(final.parent_path(), ec);
        const std::string what = e.what();
        throw Error("cannot write checkpoint " + final.string() + ": " + what.substr(0, what.find('\n')) +
                    (m_lastCheckpointBytes ? "; it needs about " + megabytes(double(m_lastCheckpointBytes)) +
                                                 " free in " + final.parent_path().string()
                                           : std::string()) +
                    (ec ? std::string() : " (" + megabytes(double(space.available)) + " free now)") +
                    "; earlier checkpoints are kept: free space, then resume the run");
    }
    // The folder appears under its final name only once complete.
    fs::remove_all(final);
    fs::rename(tmp, final);
    return final.string();
}

void Trainer::writeCheckpoint(const RunState& state, const fs::path& tmp)
{
    std::vector<torch::Tensor> cpu;
    std::vector<io::TensorToWrite> tensors;
    for (auto& [pname, p] : m_model.trainableParameters()) {
        cpu.push_back(p.detach().to(torch::kCPU, torch::kFloat32).contiguous());
        tensors.push_back({pname, io::DType::F32, cpu.back().sizes().vec(), cpu.back().data_ptr(),
                           static_cast<size_t>(cpu.back().nbytes())});
    }
    // The global CPU generator drives dropout: keep it so a resumed run draws the same masks.
    auto rng = at::detail::getDefaultCPUGenerator().get_state().contiguous();
    tensors.push_back({"__rng_state__", io::DType::U8, rng.sizes().vec(), rng.data_ptr(), static_cast<size_t>(rng.nbytes())});
    // AdamW: optimizer.safetensors, its flat moments streamed from memory.
    // SGD: optimizer.pt, serialised in memory first: torch's file writer
    // aborts the process (an exception from a destructor) when the disk fills up under it.
    std::string sgdState;
    if (!m_adamw) {
        std::ostringstream out;
        torch::save(*m_optimizer, out);
        sgdState = out.str();
    }
    m_lastCheckpointBytes = checkpointBytes(tensors, m_adamw ? m_adamw->stateBytes() : sgdState.size());
    std::error_code ec;
    const auto space = fs::space(tmp, ec);
    if (!ec && space.available < m_lastCheckpointBytes)
        throw Error("No space left on device (" + megabytes(double(space.available)) + " free)");
    io::writeSafetensors((tmp / "trainable.safetensors").string(), tensors);
    if (m_adamw)
        m_adamw->saveState((tmp / "optimizer.safetensors").string());
    else
        io::writeFileAtomic((tmp / "optimizer.pt").string(), sgdState);
    // null = not validated yet.
    const json best = state.bestValidationLoss ? json(*state.bestValidationLoss) : json(nullptr);
    json out = {{"step", state.step},
                {"best_validation_loss", best},
                {"bad_evaluations", state.badEvaluations},
                {"tokens_seen", state.tokensSeen},
                {"seed", m_config.seed},
                {"world_size", m_config.worldSize},
                {"train_config", toJson(m_config)}};
    io::writeFileAtomic((tmp / "state.json").string(), out.dump(2));
}

void Trainer::loadCheckpoint(const std::string& dir, RunState& state)
{
    const fs::path d(dir);
    // optimizer.safetensors: AdamW since the flat optimizer; optimizer.pt: SGD, or AdamW as torch::optim::AdamW wrote it.
    const bool flatState = fs::exists(d / "optimizer.safetensors");
    if (!fs::exists(d / "state.json") || !fs::exists(d / "trainable.safetensors") ||
        !(flatState || fs::exists(d / "optimizer.pt")))
        throw Error(dir + ": not a complete checkpoint (expected state.json, trainable.safetensors, "
                          "optimizer.safetensors or optimizer.pt)");
    try {
        const json in = json::parse(io::readFile((d / "state.json").string()));
        state.step = in.at("step").get<int64_t>();
        // null = never validated. Files written before that was possible say 0 for it.
        const json& best = in.at("best_validation_loss");
        if (!best.is_null() && best.get<double>() != 0.0)
            state.bestValidationLoss = best.get<double>();
        state.badEvaluations = in.at("bad_evaluations").get<int64_t>();
        state.tokensSeen = in.at("tokens_seen").get<int64_t>();
        state.checkpointWorldSize = in.value("world_size", 1); // absent: written before data parallelism
    } catch (const json::exception& e) {
        throw Error((d / "state.json").string() + ": " + e.what());
    }
    auto weights = io::WeightSet::fromSafetensors((d / "trainable.safetensors").string());
    torch::NoGradGuard noGrad;
    for (auto& [name, p] : m_model.trainableParameters()) {
        const io::WeightView* w = weights.find(name);
        if (!w || w->dtype != io::DType::F32 || w->shape != p.sizes().vec())
            throw Error((d / "trainable.safetensors").string() + ": tensor '" + name +
                        "' is missing or does not match this run's model");
        p.copy_(torch::from_blob(const_cast<void*>(w->data), w->shape, torch::kFloat32));
    }
    if (const io::WeightView* r = weights.find("__rng_state__")) {
        auto t = torch::from_blob(const_cast<void*>(r->data), r->shape, torch::kUInt8).clone();
        at::Generator gen = at::detail::getDefaultCPUGenerator(); // shares the global generator
        gen.set_state(t);
    }
    if (m_adamw && flatState)
        m_adamw->loadState((d / "optimizer.safetensors").string());
    else if (m_adamw)
        m_adamw->loadTorchAdamWState((d / "optimizer.pt").string()); // a checkpoint of an earlier version
    else if (flatState)
        throw Error(dir + ": the checkpoint holds AdamW state; this run's optimizer is sgd");
    else
        torch::load(*m_optimizer, (d / "optimizer.pt").string());
}

} // namespace tb::train
