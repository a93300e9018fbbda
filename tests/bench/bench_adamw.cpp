// Optimizer cost per step for GPT-2-small full fine-tuning (124,439,808 f32
// parameters in its 148 tensors, the trainer's two groups: matrices decay,
// biases and norms do not), 1 thread: zero_grad + gradient clipping (norm and
// scale) + the AdamW update, for LibTorch's torch::optim::AdamW (what the
// trainer used before) and the flat train::FusedAdamW (its hand-written loop,
// and the same update as ATen ops over the flat buffers), side by side in one
// process. The optimizers take turns, one step each, so a change in the
// machine's load hits all of them alike. Prints the median ms per phase.
// Gradients are refilled (untimed) before each clip, large enough to clip.
//   tb_bench_adamw [steps=10]
#include "train/fused_adamw.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double ms(Clock::time_point since) { return std::chrono::duration<double, std::milli>(Clock::now() - since).count(); }

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

// GPT-2 small (Hugging Face names, Conv1D layouts).
tb::train::FusedAdamW::Named gpt2Small(tb::train::FusedAdamW::Named& noDecay)
{
    const int64_t d = 768, vocab = 50257, positions = 1024, layers = 12;
    auto make = [](std::vector<int64_t> shape) { return (torch::randn(shape) * 0.02).requires_grad_(true); };
    tb::train::FusedAdamW::Named decay{{"wte", make({vocab, d})}, {"wpe", make({positions, d})}};
    for (int64_t l = 0; l < layers; ++l) {
        const std::string h = "h." + std::to_string(l) + ".";
        decay.emplace_back(h + "attn.c_attn.weight", make({d, 3 * d}));
        decay.emplace_back(h + "attn.c_proj.weight", make({d, d}));
        decay.emplace_back(h + "mlp.c_fc.weight", make({d, 4 * d}));
        decay.emplace_back(h + "mlp.c_proj.weight", make({4 * d, d}));
        for (const char* norm : {"ln_1", "ln_2"}) {
            noDecay.emplace_back(h + norm + ".weight", make({d}));
            noDecay.emplace_back(h + norm + ".bias", make({d}));
        }
        noDecay.emplace_back(h + "attn.c_attn.bias", make({3 * d}));
        noDecay.emplace_back(h + "attn.c_proj.bias", make({d}));
        noDecay.emplace_back(h + "mlp.c_fc.bias", make({4 * d}));
        noDecay.emplace_back(h + "mlp.c_proj.bias", make({d}));
    }
    noDecay.emplace_back("ln_f.weight", make({d}));
    noDecay.emplace_back("ln_f.bias", make({d}));
    return decay;
}

struct Timings {
    std::vector<double> zero, clip, step;
    void print(const char* name) const
    {
        const double z = median(zero), c = median(clip), s = median(step);
        std::printf("%-34s %9.1f %9.1f %9.1f %9.1f\n", name, z, c, s, z + c + s);
    }
};

// One optimizer under test: its three phases and how to refill its gradients.
struct Contender {
    const char* name;
    std::function<void()> zero, refill, step;
    std::function<double()> clip;
    Timings t;
    void runStep()
    {
        auto t0 = Clock::now();
        zero();
        t.zero.push_back(ms(t0));
        refill(); // untimed: stands in for the backward pass
        t0 = Clock::now();
        const double norm = clip();
        t.clip.push_back(ms(t0));
        if (norm <= 1.0)
            std::fprintf(stderr, "warning: %s did not clip (norm %g)\n", name, norm);
        t0 = Clock::now();
        step();
        t.step.push_back(ms(t0));
    }
};

double peakRssGb()
{
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmHWM:", 0) == 0)
            return std::stod(line.substr(6)) / 1024 / 1024;
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    const int steps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 10;
    torch::set_num_threads(1);
    torch::manual_seed(1);
    constexpr double kMaxNorm = 1.0, kLr = 1e-4, kWeightDecay = 0.1;

    // LibTorch's AdamW on its own copy of the parameters, grads defined (as after its first step).
    tb::train::FusedAdamW::Named noDecayA, noDecayB, noDecayC;
    const auto decayA = gpt2Small(noDecayA);
    std::vector<torch::Tensor> all, decayT, noDecayT;
    for (const auto& [n, p] : decayA)
        decayT.push_back(p);
    for (const auto& [n, p] : noDecayA)
        noDecayT.push_back(p);
    int64_t numel = 0;
    for (const auto* g : {&decayT, &noDecayT})
        for (const auto& p : *g) {
            all.push_back(p);
            p.mutable_grad() = torch::zeros_like(p);
            numel += p.numel();
        }
    auto opts = torch::optim::AdamWOptions(kLr);
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(decayT, std::make_unique<torch::optim::AdamWOptions>(
                                    torch::optim::AdamWOptions(opts).weight_decay(kWeightDecay)));
    groups.emplace_back(noDecayT,
                        std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(opts).weight_decay(0)));
    torch::optim::AdamW reference(std::move(groups), opts);

    tb::train::FusedAdamWOptions fo;
    fo.lr = kLr;
    fo.weightDecay = kWeightDecay;
    const auto decayB = gpt2Small(noDecayB);
    tb::train::FusedAdamW loop(decayB, noDecayB, fo);
    const auto decayC = gpt2Small(noDecayC);
    tb::train::FusedAdamW ops(decayC, noDecayC, fo);
    ops.setKernel(tb::train::FusedAdamW::Kernel::TensorOps);

    std::vector<Contender> contenders;
    contenders.push_back({"torch::optim::AdamW (per tensor)", [&] { reference.zero_grad(); },
                          [&] {
                              torch::NoGradGuard g;
                              for (auto& p : all)
                                  p.grad().fill_(0.01);
                          },
                          [&] { reference.step(); },
                          [&] { return torch::nn::utils::clip_grad_norm_(all, kMaxNorm); }});
    for (auto* fused : {&ops, &loop})
        contenders.push_back({fused == &loop ? "FusedAdamW, one loop" : "FusedAdamW, ATen ops on flat",
                              [fused] { fused->zeroGrad(); },
                              [fused] {
                                  torch::NoGradGuard g;
                                  fused->flatGrads().fill_(0.01);
                              },
                              [fused] { fused->step(); }, [fused] { return fused->clipGradNorm(kMaxNorm); }});

    for (auto& c : contenders) // warm-up: state allocation, first touches
        c.runStep();
    for (auto& c : contenders)
        c.t = {};
    for (int s = 0; s < steps; ++s)
        for (auto& c : contenders)
            c.runStep();

    std::printf("GPT-2 small, %lld f32 parameters, %d tensors, 1 thread, median of %d steps (ms)\n",
                static_cast<long long>(numel), static_cast<int>(all.size()), steps);
    std::printf("%-34s %9s %9s %9s %9s\n", "optimizer", "zero_grad", "clip", "step", "total");
    for (const auto& c : contenders)
        c.t.print(c.name);
    const double speedup = (median(contenders[0].t.zero) + median(contenders[0].t.clip) + median(contenders[0].t.step)) /
                           (median(contenders[2].t.zero) + median(contenders[2].t.clip) + median(contenders[2].t.step));
    std::printf("fused loop vs torch::optim::AdamW: %.2fx; peak RSS %.2f GiB (all three)\n", speedup, peakRssGb());
    return 0;
}
