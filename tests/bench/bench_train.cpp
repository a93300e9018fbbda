// Training throughput and peak memory of one fine-tuning method through
// Tunebench's engine, exactly as a run trains: LanguageModel::load ->
// peft::PeftModel -> train::Trainer. Measured the same way as
// bench_train_torch.py measures a plain PyTorch eager loop:
//   tokens_per_s = input tokens of the measured steps / their wall time,
//                  after WARMUP optimizer steps (batch 4 x 128 tokens each);
//   peak_rss_mb  = VmHWM of this process at the end (one method per process);
//   adapter_bytes = adapter_model.safetensors written by PeftModel::saveAdapter,
//                   against the base model.safetensors.
// usage: tb_bench_train MODEL_DIR METHOD [THREADS] [STEPS] [WARMUP] [SEQ]
//        METHOD: full, lora, adapter, prompt_tuning
#include "model/causal_lm.h"
#include "model/language_model.h"
#include "peft/peft_model.h"
#include "train/trainer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

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

struct StepRecorder : tb::train::TrainObserver {
    std::vector<tb::train::StepEvent> steps;
    void onStep(const tb::train::StepEvent& e) override { steps.push_back(e); }
    void onLog(const std::string& m) override { std::cerr << "trainer: " << m << "\n"; }
};

} // namespace

int main(int argc, char** argv)
{
    if (argc < 3) {
        std::cerr << "usage: tb_bench_train MODEL_DIR METHOD [THREADS] [STEPS] [WARMUP] [SEQ]\n"
                     "  METHOD: full, lora, adapter, prompt_tuning\n";
        return 2;
    }
    const std::string modelDir = argv[1];
    const std::string methodArg = argv[2];
    const int threads = argc > 3 ? std::atoi(argv[3]) : 1;
    const int64_t steps = argc > 4 ? std::atoll(argv[4]) : 5;
    const int64_t warmup = argc > 5 ? std::atoll(argv[5]) : 2;
    const int64_t B = 4, T = argc > 6 ? std::atoll(argv[6]) : 128;

    tb::peft::MethodConfig mc;
    if (methodArg == "full")
        mc.method = tb::peft::Method::Full;
    else if (methodArg == "lora")
        mc.method = tb::peft::Method::Lora;
    else if (methodArg == "adapter")
        mc.method = tb::peft::Method::Adapter;
    else if (methodArg == "prompt_tuning")
        mc.method = tb::peft::Method::PromptTuning;
    else {
        std::cerr << "tb_bench_train: unknown method '" << methodArg << "'\n";
        return 2;
    }
    mc.lora.rank = 8;
    mc.lora.alpha = 16.0;
    mc.lora.dropout = 0.0; // targets empty = family default (c_attn for GPT-2)
    mc.adapter.size = 64;
    mc.adapter.activation = "relu";
    mc.prompt.numVirtualTokens = 20;
    mc.prompt.init = "random";

    try {
        torch::set_num_threads(threads);
        auto lm = tb::model::LanguageModel::load(modelDir);
        const int64_t V = lm->config().vocabSize;
        const double loadHwmMb = vmKb("VmHWM") / 1024.0;

        tb::peft::PeftModel model(lm->module(), mc);
        const auto summary = model.summary();

        tb::train::TrainConfig tc;
        tc.optimizer = "adamw";
        tc.learningRate = 1e-4;
        tc.weightDecay = 0.01; // never on biases/norms/prompt (the trainer's rule)
        tc.schedule = "constant";
        tc.warmupSteps = 0;
        tc.maxSteps = warmup + steps;
        tc.batchSize = B;
        tc.gradAccumulation = 1;
        tc.clipNorm = 1.0;
        tc.precision = "f32";
        tc.threads = threads;
        tc.seed = 0;

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
        const auto t0 = Clock::now();
        auto result = trainer.run(rec, control);
        const double totalS = std::chrono::duration<double>(Clock::now() - t0).count();
        if (result.status != tb::train::TrainStatus::Completed || static_cast<int64_t>(rec.steps.size()) != tc.maxSteps) {
            std::cerr << "tb_bench_train: run " << tb::train::trainStatusName(result.status) << ": " << result.error << "\n";
            return 1;
        }
        const double hwmMb = vmKb("VmHWM") / 1024.0;

        // Measured window: from the end of the last warm-up step to the end of the last step.
        const double warmEnd = warmup > 0 ? rec.steps[static_cast<size_t>(warmup - 1)].elapsedSeconds : 0.0;
        const double measuredS = rec.steps.back().elapsedSeconds - warmEnd;
        const double tokS = static_cast<double>(steps * B * T) / measuredS;
        std::vector<double> stepMs;
        for (size_t i = static_cast<size_t>(warmup); i < rec.steps.size(); ++i)
            stepMs.push_back(static_cast<double>(B * T) / rec.steps[i].tokensPerSecond * 1000.0);
        std::sort(stepMs.begin(), stepMs.end());
        const double medianMs = stepMs.size() % 2 ? stepMs[stepMs.size() / 2]
                                                  : (stepMs[stepMs.size() / 2 - 1] + stepMs[stepMs.size() / 2]) / 2;

        const fs::path adapterDir = fs::temp_directory_path() / ("tb_bench_train_adapter_" + methodArg + "_" +
                                                                 std::to_string(::getpid()));
        model.saveAdapter(adapterDir.string(), modelDir);
        const auto adapterBytes = static_cast<int64_t>(fs::file_size(adapterDir / "adapter_model.safetensors"));
        fs::remove_all(adapterDir);
        const auto modelBytes = static_cast<int64_t>(fs::file_size(fs::path(modelDir) / "model.safetensors"));

        nlohmann::json j = {{"impl", "tunebench"},
                            {"method", methodArg},
                            {"threads", threads},
                            {"batch", B},
                            {"seq", T},
                            {"warmup_steps", warmup},
                            {"steps", steps},
                            {"tokens_per_s", std::round(tokS * 100) / 100},
                            {"step_ms_median", std::round(medianMs * 10) / 10},
                            {"peak_rss_mb", std::round(hwmMb)},
                            {"load_peak_rss_mb", std::round(loadHwmMb)},
                            {"trainable_params", summary.trainable},
                            {"total_params", summary.total},
                            {"first_loss", rec.steps.front().loss},
                            {"final_loss", result.finalLoss},
                            {"adapter_bytes", adapterBytes},
                            {"model_bytes", modelBytes},
                            {"adapter_pct_of_model", 100.0 * static_cast<double>(adapterBytes) / static_cast<double>(modelBytes)},
                            {"wall_s", std::round(totalS * 10) / 10}};
        std::cout << j.dump() << std::endl;
    } catch (const std::exception& e) {
        std::cerr << "tb_bench_train: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
