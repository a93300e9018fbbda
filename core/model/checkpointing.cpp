#include "model/checkpointing.h"

#include <ATen/autocast_mode.h>

#include <mutex>

namespace tb::model {

using torch::Tensor;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

namespace {

// The autocast switches of the calling thread (CPU and CUDA).
struct AutocastState {
    bool cpu = false, gpu = false;
    at::ScalarType cpuDtype = at::kBFloat16, gpuDtype = at::kHalf;

    static AutocastState current()
    {
        return {at::autocast::is_cpu_enabled(), at::autocast::is_enabled(), at::autocast::get_autocast_cpu_dtype(),
                at::autocast::get_autocast_gpu_dtype()};
    }
    void apply() const
    {
        at::autocast::set_cpu_enabled(cpu);
        at::autocast::set_enabled(gpu);
        at::autocast::set_autocast_cpu_dtype(cpuDtype);
        at::autocast::set_autocast_gpu_dtype(gpuDtype);
    }
};

// Sets the forward's autocast state for a scope; restores the caller's and
// drops casts cached meanwhile (weights change before the next step).
struct AutocastAs {
    explicit AutocastAs(const AutocastState& s) : m_saved(AutocastState::current()) { s.apply(); }
    ~AutocastAs()
    {
        at::autocast::clear_cache();
        m_saved.apply();
    }
    AutocastState m_saved;
};

Tensor generatorState(const torch::Device& device)
{
    auto gen = at::globalContext().defaultGenerator(device);
    std::lock_guard<std::mutex> lock(gen.mutex());
    return gen.get_state();
}

void setGeneratorState(const torch::Device& device, const Tensor& state)
{
    auto gen = at::globalContext().defaultGenerator(device);
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(state);
}

// Replays the forward's random numbers for a scope, then continues the
// caller's stream where it was.
struct RngAs {
    RngAs(const torch::Device& device, const Tensor& state) : m_device(device), m_saved(generatorState(device))
    {
        setGeneratorState(device, state);
    }
    ~RngAs() { setGeneratorState(m_device, m_saved); }
    torch::Device m_device;
    Tensor m_saved;
};

// What backward needs to run the block again.
struct Recompute : torch::CustomClassHolder {
    BlockFn block;
    bool inputNeedsGrad = false;
    torch::Device device{torch::kCPU};
    Tensor rngState;
    AutocastState autocast;
};

struct CheckpointFunction : torch::autograd::Function<CheckpointFunction> {
    // `anchor` (a tensor requiring grad, never given one) makes the output
    // require grad when x does not, so backward runs for the block's own parameters.
    static Tensor forward(AutogradContext* ctx, const Tensor& x, const Tensor& anchor,
                          c10::intrusive_ptr<Recompute> recompute)
    {
        (void)anchor;
        ctx->save_for_backward({x});
        ctx->saved_data["recompute"] = c10::IValue::make_capsule(recompute);
        return recompute->block(x); // no graph is recorded in here
    }

    static variable_list backward(AutogradContext* ctx, variable_list gradOutput)
    {
        auto r = c10::static_intrusive_pointer_cast<Recompute>(ctx->saved_data["recompute"].toCapsule());
        const Tensor input = ctx->get_saved_variables()[0].detach().requires_grad_(r->inputNeedsGrad);
        Tensor y;
        {
            RngAs rng(r->device, r->rngState);
            AutocastAs autocast(r->autocast);
            torch::AutoGradMode gradOn(true);
            y = r->block(input);
        }
        if (y.requires_grad())
            torch::autograd::backward({y}, {gradOutput[0]});
        return {r->inputNeedsGrad ? input.grad() : Tensor(), Tensor(), Tensor()};
    }
};

const Tensor& anchor()
{
    static const Tensor a = torch::zeros({1}).requires_grad_(true);
    return a;
}

} // namespace

Tensor checkpointed(BlockFn block, const Tensor& x)
{
    if (!torch::GradMode::is_enabled())
        return block(x);
    auto r = c10::make_intrusive<Recompute>();
    r->block = std::move(block);
    r->inputNeedsGrad = x.requires_grad();
    r->device = x.device();
    r->rngState = generatorState(x.device());
    r->autocast = AutocastState::current();
    return CheckpointFunction::apply(x, anchor(), r);
}

} // namespace tb::model
