// Forward latency and generation speed of a model through Tunebench's
// engine, measured the same way as bench_gpt2_torch.py measures PyTorch eager:
// forward_ms_T128 = median of 10 forwards of 128 tokens after 2 warm-ups;
// generate_tok_s = 64 new tokens after a 16-token prompt (KV cache), best of 3
// after one warm-up.
#include "model/causal_lm.h"
#include "model/language_model.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <iostream>

using Clock = std::chrono::steady_clock;

static double secondsSince(Clock::time_point t0)
{
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

int main(int argc, char** argv)
{
    if (argc < 2) {
        std::cerr << "usage: tb_bench_gpt2 MODEL_DIR [THREADS]\n";
        return 2;
    }
    const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
    torch::set_num_threads(threads);
    auto lm = tb::model::LanguageModel::load(argv[1]);
    auto module = lm->module();
    const int64_t V = lm->config().vocabSize;

    torch::NoGradGuard noGrad;
    auto gen = torch::make_generator<at::CPUGeneratorImpl>(0);
    auto ids = torch::randint(V, {1, 128}, gen, torch::kLong);
    std::vector<double> times;
    for (int i = 0; i < 12; ++i) {
        const auto t0 = Clock::now();
        tb::model::ForwardInput in;
        in.ids = ids;
        auto logits = module->forward(in);
        (void)logits.sum().item<float>();
        if (i >= 2)
            times.push_back(secondsSince(t0) * 1000.0);
    }
    std::sort(times.begin(), times.end());
    const double forwardMs = (times[4] + times[5]) / 2;

    std::vector<int64_t> prompt(16);
    for (int i = 0; i < 16; ++i)
        prompt[i] = (i * 7919) % V;
    tb::model::GenerationOptions o;
    o.maxNewTokens = 64;
    o.stopAtEos = false;
    double best = 0;
    for (int i = 0; i < 4; ++i) {
        const auto t0 = Clock::now();
        auto out = lm->generate({prompt}, o);
        const double tokS = static_cast<double>(out[0].ids.size()) / secondsSince(t0);
        if (i > 0)
            best = std::max(best, tokS);
    }
    nlohmann::json j = {{"impl", "tunebench"}, {"forward_ms_T128", forwardMs}, {"generate_tok_s", best},
                        {"threads", threads}, {"parameters", lm->info().parameters}};
    std::cout << j.dump() << std::endl;
    return 0;
}
