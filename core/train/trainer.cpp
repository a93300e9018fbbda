#include "train/trainer.h"

#include "common/error.h"
#include "io/atomic_file.h"
#include "io/safetensors.h"
#include "io/weight_set.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/autocast_mode.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>

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

// bf16 autocast for the forward pass; master weights and the loss stay f32.
struct AutocastScope {
    explicit AutocastScope(bool on) : m_on(on)
    {
        if (m_on) {
            at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
            at::autocast::set_cpu_enabled(true);
        }
    }
    ~AutocastScope()
    {
        if (m_on) {
            at::autocast::set_cpu_enabled(false);
            at::autocast::clear_cache();
        }
    }
    bool m_on;
};

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
    if (m_config.threads > 0)
        torch::set_num_threads(static_cast<int>(m_config.threads));

    // AdamW without weight decay on biases and norms (parameters of dim < 2).
    std::vector<torch::Tensor> decay, noDecay;
    for (auto& [name, p] : m_model.trainableParameters()) {
        m_params.push_back(p);
        (p.dim() >= 2 && name != "prompt_embeddings" ? decay : noDecay).push_back(p);
    }
    if (m_params.empty())
        throw Error("the method leaves no parameter trainable");
    if (m_config.optimizer == "sgd") {
        m_optimizer = std::make_unique<torch::optim::SGD>(
            m_params, torch::optim::SGDOptions(m_config.learningRate).momentum(m_config.momentum));
    } else {
        std::vector<torch::optim::OptimizerParamGroup> groups;
        auto opts = torch::optim::AdamWOptions(m_config.learningRate)
                        .betas({m_config.beta1, m_config.beta2})
                        .eps(m_config.eps);
        if (!decay.empty())
            groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(
                                           torch::optim::AdamWOptions(opts).weight_decay(m_config.weightDecay)));
        if (!noDecay.empty())
            groups.emplace_back(noDecay, std::make_unique<torch::optim::AdamWOptions>(
                                             torch::optim::AdamWOptions(opts).weight_decay(0.0)));
        m_optimizer = std::make_unique<torch::optim::AdamW>(std::move(groups), opts);
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
    AutocastScope autocast(m_config.precision == "bf16");
    // Every rank validates the whole set (no sharding, no reduction), so the
    // values are the same on every rank.
    const bool perTask = m_valTasks.size() > 1;
    std::vector<double> taskTotal(m_valTasks.size(), 0.0);
    std::vector<int64_t> taskTokens(m_valTasks.size(), 0);
    double total = 0;
    int64_t tokens = 0;
    const size_t B = static_cast<size_t>(m_config.batchSize);
    int64_t batches = 0;
    for (size_t start = 0; start < m_val.size(); start += B) {
        if (m_config.evalBatches > 0 && batches >= m_config.evalBatches)
            break;
        std::vector<size_t> idx;
        for (size_t i = start; i < std::min(m_val.size(), start + B); ++i)
            idx.push_back(i);
        auto [ids, labels] = collate(idx, m_val);
        const auto logits = m_model.forward(ids);
        auto [loss, count] = causalLmLoss(logits, labels);
        total += loss.item<double>() * static_cast<double>(count);
        tokens += count;
        if (perTask) {
            auto [sums, counts] = rowLossSums(logits, labels);
            auto s = sums.to(torch::kCPU, torch::kDouble);
            auto n = counts.to(torch::kCPU);
            for (size_t r = 0; r < idx.size(); ++r) {
                const auto task = static_cast<size_t>(m_val[idx[r]].task);
                taskTotal[task] += s[static_cast<int64_t>(r)].item<double>();
                taskTokens[task] += n[static_cast<int64_t>(r)].item<int64_t>();
            }
        }
        ++batches;
    }
    base->train(wasTraining);
    out.loss = tokens ? total / static_cast<double>(tokens) : 0.0;
    for (size_t t = 0; perTask && t < m_valTasks.size(); ++t)
        if (taskTokens[t] > 0) // a task evalBatches left out has no value
            out.perTask.emplace_back(m_valTasks[t], taskTotal[t] / static_cast<double>(taskTokens[t]));
    return out;
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
};

TrainResult Trainer::run(TrainObserver& observer, RunControl& control, const std::string& resumeFrom)
{
    RunState state;
    std::optional<TrainStatus> ended;
    try {
        begin(state, observer, resumeFrom);
        while (!ended && state.step < m_config.maxSteps) {
            if (!control.waitWhilePaused())
                return finish(state, TrainStatus::Cancelled, {});
            StepStats stats = startStep(state.step); // learning rate, zero grad, clock
            const Batch batch = nextBatch(state.step);
            stats.loss = forwardBackward(batch, state.step, stats.learningRate);
            stats.gradNorm = clipGradients(state.step);
            m_optimizer->step();
            ended = afterStep(state, batch, stats, observer); // step, validation, checkpoint, early stop
            if (!ended && control.cancelled())
                ended = TrainStatus::Cancelled;
        }
    } catch (const std::exception& e) {
        const std::string what = e.what();
        return finish(state, TrainStatus::Failed, what.substr(0, what.find('\n')));
    }
    return finish(state, ended.value_or(TrainStatus::Completed), {});
}

void Trainer::begin(RunState& state, TrainObserver& observer, const std::string& resumeFrom)
{
    torch::manual_seed(m_config.seed);
    if (!resumeFrom.empty()) {
        loadCheckpoint(resumeFrom, state);
        observer.onLog("resumed from " + resumeFrom + " at step " + std::to_string(state.step));
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
    for (auto& group : m_optimizer->param_groups())
        group.options().set_lr(stats.learningRate);
    m_optimizer->zero_grad();
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
    for (const auto& [ids, labels] : batch.micro) {
        torch::Tensor loss;
        int64_t count = 0;
        {
            AutocastScope autocast(m_config.precision == "bf16");
            std::tie(loss, count) = causalLmLoss(m_model.forward(ids), labels);
        }
        if (count == 0)
            continue;
        const double weight = static_cast<double>(count) / static_cast<double>(std::max<int64_t>(1, batch.targetTokens));
        const double value = loss.item<double>();
        if (!std::isfinite(value))
            throw Error("the loss became " + std::string(std::isnan(value) ? "NaN" : "infinite") + " at step " +
                        std::to_string(step + 1) + ": lower the learning rate (now " + std::to_string(learningRate) +
                        "), keep gradient clipping on, add warm-up steps, or train in f32");
        (loss * weight).backward();
        stepLoss += value * weight;
    }
    return stepLoss;
}

double Trainer::clipGradients(int64_t step)
{
    double gradNorm = 0;
    if (m_config.clipNorm > 0) {
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
                    ": lower the learning rate, enable clip_norm, or train in f32");
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
    observer.onStep(ev);

    const bool last = state.step == c.maxSteps;
    const auto due = [&](int64_t every) { return (every > 0 && state.step % every == 0) || last; };
    const bool stopEarly = !m_val.empty() && due(c.evalEvery) && validateAndTrack(state, observer);
    if (!m_outputDir.empty() && (due(c.checkpointEvery) || stopEarly)) {
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
    fs::remove_all(tmp);
    fs::create_directories(tmp);

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
    io::writeSafetensors((tmp / "trainable.safetensors").string(), tensors);
    torch::save(*m_optimizer, (tmp / "optimizer.pt").string());
    // null = not validated yet.
    const json best = state.bestValidationLoss ? json(*state.bestValidationLoss) : json(nullptr);
    json out = {{"step", state.step},
                {"best_validation_loss", best},
                {"bad_evaluations", state.badEvaluations},
                {"tokens_seen", state.tokensSeen},
                {"seed", m_config.seed},
                {"train_config", toJson(m_config)}};
    io::writeFileAtomic((tmp / "state.json").string(), out.dump(2));
    // The folder appears under its final name only once complete.
    fs::remove_all(final);
    fs::rename(tmp, final);
    return final.string();
}

void Trainer::loadCheckpoint(const std::string& dir, RunState& state)
{
    const fs::path d(dir);
    if (!fs::exists(d / "state.json") || !fs::exists(d / "trainable.safetensors") || !fs::exists(d / "optimizer.pt"))
        throw Error(dir + ": not a complete checkpoint (expected state.json, trainable.safetensors, optimizer.pt)");
    try {
        const json in = json::parse(io::readFile((d / "state.json").string()));
        state.step = in.at("step").get<int64_t>();
        // null = never validated. Files written before that was possible say 0 for it.
        const json& best = in.at("best_validation_loss");
        if (!best.is_null() && best.get<double>() != 0.0)
            state.bestValidationLoss = best.get<double>();
        state.badEvaluations = in.at("bad_evaluations").get<int64_t>();
        state.tokensSeen = in.at("tokens_seen").get<int64_t>();
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
    torch::load(*m_optimizer, (d / "optimizer.pt").string());
}

} // namespace tb::train
