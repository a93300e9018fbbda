// Training throughput and peak memory of one fine-tuning method through
// Tunebench's engine, exactly as a run trains: LanguageModel::load ->
// peft::PeftModel -> train::Trainer. Measured the same way as
// bench_train_torch.py measures a plain PyTorch eager loop:
//   tokens_per_s = input tokens of the measured steps / their wall time,
//                  after WARMUP optimizer steps (batch 4 x 128 tokens each by default);
//   tokens_per_cpu_s = the same tokens / the process CPU time of those steps
//                  (robust when other programs share the cores);
//   peak_rss_mb  = VmHWM of this process at the end (one method per process);
//   adapter_bytes = adapter_model.safetensors written by PeftModel::saveAdapter,
//                   against the base model.safetensors;
//   estimate_mb  = train::estimate for the same run (the Method panel's figure).
// usage: tb_bench_train MODEL_DIR METHOD [THREADS] [STEPS] [WARMUP] [SEQ] [options]
//        METHOD: full, lora, adapter, prompt_tuning
//        options: --precision auto|f32|bf16 (default f32)
//                 --checkpointing true|false (default false)
//                 --batch N (default 4)    --seq N (as SEQ, default 128)
//                 --lora-rank N (default 8; alpha = 2 x rank)
//                 --lora-targets a,b,...  (default: the family's)
//                 --no-save  (skip writing the adapter file)
//                 --estimate-only  (print train::estimate for the run from config.json and the
//                                   safetensors header, load nothing: e.g. an 8B extrapolation)
//        tb_bench_train --baseline [THREADS]: load nothing, print the bare process's VmHWM
#include "common/cpu_features.h"
#include "model/causal_lm.h"
#include "model/language_model.h"
#include "peft/peft_model.h"
#include "train/estimate.h"
#include "train/trainer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include <time.h>

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double vmKb(const char* key)
{
    std::ifstream status("/proc/self/status");
    std::string line;
    const std::string k = std::string(key) + ":";
    while (std::getline(status, line))
        if (line.rfind(k, 0) == 0)
            return std::stod(line.substr(k.size()));
    return 0;
}

double cpuSeconds()
{
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double mb(double bytes) { return std::round(bytes / (1024.0 * 1024.0)); }

struct StepRecorder : tb::train::TrainObserver {
    std::vector<tb::train::StepEvent> steps;
    std::vector<double> cpu; // process CPU seconds at the end of each step
    void onStep(const tb::train::StepEvent& e) override
    {
        steps.push_back(e);
        cpu.push_back(cpuSeconds());
        std::cerr << "step " << e.step << "/" << e.totalSteps << " loss " << e.loss << " " << e.tokensPerSecond
                  << " tok/s, VmHWM " << vmKb("VmHWM") / 1024.0 << " MB\n";
    }
    void onLog(const std::string& m) override { std::cerr << "trainer: " << m << "\n"; }
};

struct Options {
    std::string modelDir, method;
    int threads = 1;
    int64_t steps = 5, warmup = 2, batch = 4, seq = 128, loraRank = 8;
    std::string precision = "f32", checkpointing = "false";
    std::vector<std::string> loraTargets;
    bool save = true, baseline = false, estimateOnly = false;
};

std::vector<std::string> splitCommas(const std::string& s)
{
    std::vector<std::string> out;
    std::stringstream in(s);
    for (std::string item; std::getline(in, item, ',');)
        if (!item.empty())
            out.push_back(item);
    return out;
}

// Positional MODEL_DIR METHOD [THREADS] [STEPS] [WARMUP] [SEQ], then --options anywhere.
Options parseArgs(int argc, char** argv)
{
    Options o;
    std::vector<std::string> pos;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                throw std::runtime_error(a + " needs a value");
            return argv[++i];
        };
        if (a == "--precision")
            o.precision = value();
        else if (a == "--checkpointing")
            o.checkpointing = value();
        else if (a == "--batch")
            o.batch = std::stoll(value());
        else if (a == "--seq")
            o.seq = std::stoll(value());
        else if (a == "--lora-rank")
            o.loraRank = std::stoll(value());
        else if (a == "--lora-targets")
            o.loraTargets = splitCommas(value());
        else if (a == "--no-save")
            o.save = false;
        else if (a == "--estimate-only")
            o.estimateOnly = true;
        else if (a == "--baseline")
            o.baseline = true;
        else if (a.rfind("--", 0) == 0)
            throw std::runtime_error("unknown option " + a);
        else
            pos.push_back(a);
    }
    if (o.baseline) {
        if (!pos.empty())
            o.threads = std::stoi(pos[0]);
        return o;
    }
    if (pos.size() < 2)
        throw std::runtime_error("MODEL_DIR and METHOD are needed");
    o.modelDir = pos[0];
    o.method = pos[1];
    if (pos.size() > 2) o.threads = std::stoi(pos[2]);
    if (pos.size() > 3) o.steps = std::stoll(pos[3]);
    if (pos.size() > 4) o.warmup = std::stoll(pos[4]);
    if (pos.size() > 5) o.seq = std::stoll(pos[5]);
    return o;
}

tb::peft::MethodConfig methodConfig(const Options& o)
{
    tb::peft::MethodConfig mc;
    if (o.method == "full")
        mc.method = tb::peft::Method::Full;
    else if (o.method == "lora")
        mc.method = tb::peft::Method::Lora;
    else if (o.method == "adapter")
        mc.method = tb::peft::Method::Adapter;
    else if (o.method == "prompt_tuning")
        mc.method = tb::peft::Method::PromptTuning;
    else
        throw std::runtime_error("unknown method '" + o.method + "'");
    mc.lora.rank = o.loraRank;
    mc.lora.alpha = 2.0 * static_cast<double>(o.loraRank);
    mc.lora.dropout = 0.0;
    mc.lora.targets = o.loraTargets; // empty = family default (c_attn for GPT-2)
    mc.adapter.size = 64;
    mc.adapter.activation = "relu";
    mc.prompt.numVirtualTokens = 20;
    mc.prompt.init = "random";
    return mc;
}

tb::train::TrainConfig trainConfig(const Options& o)
{
    tb::train::TrainConfig tc;
    tc.optimizer = "adamw";
    tc.learningRate = 1e-4;
    tc.weightDecay = 0.01; // never on biases/norms/prompt (the trainer's rule)
    tc.schedule = "constant";
    tc.warmupSteps = 0;
    tc.maxSteps = o.warmup + o.steps;
    tc.batchSize = o.batch;
    tc.gradAccumulation = 1;
    tc.clipNorm = 1.0;
    tc.precision = o.precision;
    tc.gradientCheckpointing = o.checkpointing;
    tc.threads = o.threads;
    tc.seed = 0;
    return tc;
}

nlohmann::json estimateJson(const tb::train::Estimate& est)
{
    const auto& m = est.memory;
    auto f = [](int64_t bytes) { return mb(static_cast<double>(bytes)); };
    return {{"estimate_mb", f(m.total())},
            {"estimate_parts_mb", {{"runtime", f(m.runtime)}, {"weights", f(m.weights)}, {"gradients", f(m.gradients)},
                                   {"optimizer", f(m.optimizer)}, {"activations", f(m.activations)}, {"loss", f(m.loss)},
                                   {"allocator", f(m.allocator)}}},
            {"estimate_precision", est.precision},
            {"estimate_checkpointing", est.checkpointing}};
}

int printEstimate(const Options& o, const tb::peft::MethodConfig& mc)
{
    const auto config = tb::model::readModelConfig(o.modelDir);
    const auto est = tb::train::estimate(config, mc, trainConfig(o), o.seq);
    nlohmann::json j = {{"impl", "tunebench"}, {"what", "estimate"},
                        {"model", fs::path(o.modelDir).filename().string()}, {"method", o.method},
                        {"batch", o.batch}, {"seq", o.seq}, {"precision", o.precision},
                        {"checkpointing", o.checkpointing}, {"lora_rank", o.method == "lora" ? o.loraRank : 0},
                        {"trainable_params", est.trainable}, {"total_params", est.total},
                        {"model_bytes", static_cast<int64_t>(fs::file_size(fs::path(o.modelDir) / "model.safetensors"))}};
    j.update(estimateJson(est));
    std::cout << j.dump() << std::endl;
    return 0;
}

// The bare process: LibTorch's runtime and this program's code, one tiny op
// so the intra-op pool exists, nothing loaded.
int printBaseline(int threads)
{
    torch::set_num_threads(threads);
    auto x = torch::randn({64, 64});
    auto y = torch::matmul(x, x).sum().item<float>();
    nlohmann::json j = {{"impl", "tunebench"}, {"what", "baseline"}, {"threads", threads},
                        {"peak_rss_mb", std::round(vmKb("VmHWM") / 1024.0)},
                        {"rss_mb", std::round(vmKb("VmRSS") / 1024.0)}, {"check", std::isfinite(y)}};
    std::cout << j.dump() << std::endl;
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    Options o;
    try {
        o = parseArgs(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "tb_bench_train: " << e.what() << "\n"
                  << "usage: tb_bench_train MODEL_DIR METHOD [THREADS] [STEPS] [WARMUP] [SEQ] [--precision P] "
                     "[--checkpointing true|false] [--batch N] [--seq N] [--lora-rank N] [--lora-targets a,b] "
                     "[--no-save] [--estimate-only]\n       tb_bench_train --baseline [THREADS]\n"
                     "  METHOD: full, lora, adapter, prompt_tuning\n";
        return 2;
    }
    if (o.baseline)
        return printBaseline(o.threads);
    const int64_t B = o.batch, T = o.seq, steps = o.steps, warmup = o.warmup;

    try {
        const auto mc = methodConfig(o);
        if (o.estimateOnly)
            return printEstimate(o, mc);
        torch::set_num_threads(o.threads);
        const auto t0 = Clock::now();
        // As the engine loads for training: a frozen base in bf16 under mixed precision, else f32.
        tb::model::LoadOptions load;
        const std::string resolved = tb::resolvePrecision(o.precision, "cpu");
        load.precision = resolved == "bf16" && mc.method != tb::peft::Method::Full ? "bf16" : "f32";
        auto lm = tb::model::LanguageModel::load(o.modelDir, load);
        const double loadS = std::chrono::duration<double>(Clock::now() - t0).count();
        const int64_t V = lm->config().vocabSize;
        const double loadHwmMb = vmKb("VmHWM") / 1024.0;

        tb::peft::PeftModel model(lm->module(), mc);
        const auto summary = model.summary();

        const auto tc = trainConfig(o);
        // The estimate reads the stored dtype from the folder as the Method panel does.
        const auto est = tb::train::estimate(tb::model::readModelConfig(o.modelDir), mc, tc, T);

        // Random token ids, labels = ids, no loss on the first position.
        std::vector<tb::train::Sequence> data;
        std::mt19937_64 rng(0);
        for (int64_t i = 0; i < B * tc.maxSteps; ++i) {
            tb::train::Sequence s;
            for (int64_t t = 0; t < T; ++t)
                s.ids.push_back(static_cast<int64_t>(rng() % static_cast<uint64_t>(V)));
            s.labels = s.ids;
            s.labels[0] = tb::train::kIgnoreIndex;
            data.push_back(std::move(s));
        }

        tb::train::Trainer trainer(model, tc, std::move(data), {}, /*outputDir=*/"");
        StepRecorder rec;
        tb::RunControl control;
        const double cpu0 = cpuSeconds();
        const auto t1 = Clock::now();
        auto result = trainer.run(rec, control);
        const double totalS = std::chrono::duration<double>(Clock::now() - t1).count();
        if (result.status != tb::train::TrainStatus::Completed || static_cast<int64_t>(rec.steps.size()) != tc.maxSteps) {
            std::cerr << "tb_bench_train: run " << tb::train::trainStatusName(result.status) << ": " << result.error << "\n";
            return 1;
        }
        const double hwmMb = vmKb("VmHWM") / 1024.0;

        // Measured window: from the end of the last warm-up step to the end of the last step.
        const double warmEnd = warmup > 0 ? rec.steps[static_cast<size_t>(warmup - 1)].elapsedSeconds : 0.0;
        const double measuredS = rec.steps.back().elapsedSeconds - warmEnd;
        const double tokS = static_cast<double>(steps * B * T) / measuredS;
        const double cpuS = rec.cpu.back() - (warmup > 0 ? rec.cpu[static_cast<size_t>(warmup - 1)] : cpu0);
        std::vector<double> stepMs;
        for (size_t i = static_cast<size_t>(warmup); i < rec.steps.size(); ++i)
            stepMs.push_back(static_cast<double>(B * T) / rec.steps[i].tokensPerSecond * 1000.0);
        std::sort(stepMs.begin(), stepMs.end());
        const double medianMs = stepMs.size() % 2 ? stepMs[stepMs.size() / 2]
                                                  : (stepMs[stepMs.size() / 2 - 1] + stepMs[stepMs.size() / 2]) / 2;

        int64_t adapterBytes = 0;
        if (o.save) {
            const fs::path adapterDir = fs::temp_directory_path() /
                                        ("tb_bench_train_adapter_" + o.method + "_" + std::to_string(::getpid()));
            model.saveAdapter(adapterDir.string(), o.modelDir);
            adapterBytes = static_cast<int64_t>(fs::file_size(adapterDir / "adapter_model.safetensors"));
            fs::remove_all(adapterDir);
        }
        const auto modelBytes = static_cast<int64_t>(fs::file_size(fs::path(o.modelDir) / "model.safetensors"));

        nlohmann::json j = {{"impl", "tunebench"},
                            {"model", fs::path(o.modelDir).filename().string()},
                            {"method", o.method},
                            {"threads", o.threads},
                            {"batch", B},
                            {"seq", T},
                            {"precision", o.precision},
                            {"precision_resolved", resolved},
                            {"load_precision", load.precision},
                            {"checkpointing", o.checkpointing},
                            {"lora_rank", o.method == "lora" ? o.loraRank : 0},
                            {"warmup_steps", warmup},
                            {"steps", steps},
                            {"tokens_per_s", std::round(tokS * 100) / 100},
                            {"tokens_per_cpu_s", std::round(static_cast<double>(steps * B * T) / cpuS * 100) / 100},
                            {"step_ms_median", std::round(medianMs * 10) / 10},
                            {"peak_rss_mb", std::round(hwmMb)},
                            {"load_peak_rss_mb", std::round(loadHwmMb)},
                            {"load_s", std::round(loadS * 10) / 10},
                            {"estimate_error_pct", std::round(1000.0 * (mb(static_cast<double>(est.memory.total())) - hwmMb) / hwmMb) / 10},
                            {"trainable_params", summary.trainable},
                            {"total_params", summary.total},
                            {"first_loss", rec.steps.front().loss},
                            {"final_loss", result.finalLoss},
                            {"adapter_bytes", adapterBytes},
                            {"model_bytes", modelBytes},
                            {"adapter_pct_of_model", 100.0 * static_cast<double>(adapterBytes) / static_cast<double>(modelBytes)},
                            {"wall_s", std::round(totalS * 10) / 10}};
        j.update(estimateJson(est));
        std::cout << j.dump() << std::endl;
    } catch (const std::exception& e) {
        std::cerr << "tb_bench_train: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
