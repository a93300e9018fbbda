#include "model/fused_ops.h"

#include "model/autocast.h"

#include <torch/autograd.h>

namespace tb::model {

using torch::Tensor;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

namespace {

bool anyRequiresGrad(std::initializer_list<const Tensor*> ts)
{
    if (!torch::GradMode::is_enabled())
        return false;
    for (const Tensor* t : ts)
        if (t->defined() && t->requires_grad())
            return true;
    return false;
}

Tensor castTo(const Tensor& grad, c10::ScalarType dtype)
{
    return grad.defined() ? grad.to(dtype) : grad;
}

// ------------------------------------------------------------------ SwiGLU ---

// gate and up in their promoted dtype.
std::pair<Tensor, Tensor> promoted(const Tensor& gate, const Tensor& up)
{
    const auto dtype = at::result_type(gate, up);
    return {gate.to(dtype), up.to(dtype)};
}

struct SwigluFn : torch::autograd::Function<SwigluFn> {
    static Tensor forward(AutogradContext* ctx, const Tensor& gate, const Tensor& up)
    {
        auto [g, u] = promoted(gate, up);
        ctx->save_for_backward({g, u});
        ctx->saved_data["gate_dtype"] = static_cast<int64_t>(gate.scalar_type());
        ctx->saved_data["up_dtype"] = static_cast<int64_t>(up.scalar_type());
        return at::silu(g).mul_(u);
    }
    static variable_list backward(AutogradContext* ctx, variable_list grads)
    {
        const auto saved = ctx->get_saved_variables();
        const Tensor& g = saved[0];
        const Tensor& u = saved[1];
        if (!grads[0].defined())
            return {Tensor(), Tensor()};
        const auto grad = grads[0].to(g.scalar_type());
        // d/dg silu(g)·u = u·silu'(g) (ATen's fused silu_backward); d/du = silu(g).
        auto gradGate = at::silu_backward(grad * u, g);
        auto gradUp = at::silu(g).mul_(grad);
        return {castTo(gradGate, static_cast<c10::ScalarType>(ctx->saved_data["gate_dtype"].toInt())),
                castTo(gradUp, static_cast<c10::ScalarType>(ctx->saved_data["up_dtype"].toInt()))};
    }
};

// --------------------------------------------------------------- attention ---

// q, k and v in the dtype the products run in (autocast's, else q's), and
// the probabilities softmax(q·kᵀ·scale + mask), computed in f32, in that dtype.
struct Attended {
    Tensor q, k, v, p;
};

Attended attend(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask, double scale)
{
    const auto dtype = autocastDtype(q).value_or(q.scalar_type());
    Attended a{q.to(dtype), k.to(dtype), v.to(dtype), Tensor()};
    auto scores = at::matmul(a.q, a.k.transpose(-2, -1)).to(at::kFloat).mul_(scale);
    if (mask.defined()) {
        const int64_t B = scores.size(0), Hkv = scores.size(1), S = scores.size(3);
        const int64_t T = mask.size(-2), G = scores.size(2) / T;
        scores.view({B, Hkv, G, T, S}).add_(mask);
    }
    a.p = at::_softmax(scores, -1, false).to(dtype);
    return a;
}

struct AttentionFn : torch::autograd::Function<AttentionFn> {
    // The mask goes by pointer: it is a constant, and an undefined tensor
    // cannot be a custom function's input.
    static Tensor forward(AutogradContext* ctx, const Tensor& q, const Tensor& k, const Tensor& v, const Tensor* mask,
                          double scale)
    {
        auto a = attend(q, k, v, *mask, scale);
        ctx->save_for_backward({a.q, a.k, a.v, a.p});
        ctx->saved_data["scale"] = scale;
        ctx->saved_data["q_dtype"] = static_cast<int64_t>(q.scalar_type());
        ctx->saved_data["k_dtype"] = static_cast<int64_t>(k.scalar_type());
        ctx->saved_data["v_dtype"] = static_cast<int64_t>(v.scalar_type());
        return at::matmul(a.p, a.v);
    }
    static variable_list backward(AutogradContext* ctx, variable_list grads)
    {
        if (!grads[0].defined())
            return {Tensor(), Tensor(), Tensor(), Tensor(), Tensor()}; // one per input of forward
        const auto saved = ctx->get_saved_variables();
        const Tensor &q = saved[0], &k = saved[1], &v = saved[2], &p = saved[3];
        const double scale = ctx->saved_data["scale"].toDouble();
        const auto dtype = p.scalar_type();
        const auto grad = grads[0].to(dtype);
        auto gradV = at::matmul(p.transpose(-2, -1), grad);
        // The softmax backward in f32 (ATen's fused kernel), from the kept probabilities.
        auto gradScores = at::_softmax_backward_data(at::matmul(grad, v.transpose(-2, -1)).to(at::kFloat),
                                                     p.to(at::kFloat), -1, at::kFloat)
                              .mul_(scale)
                              .to(dtype);
        auto gradQ = at::matmul(gradScores, k);
        auto gradK = at::matmul(gradScores.transpose(-2, -1), q);
        auto as = [&](const char* key) { return static_cast<c10::ScalarType>(ctx->saved_data[key].toInt()); };
        return {castTo(gradQ, as("q_dtype")), castTo(gradK, as("k_dtype")), castTo(gradV, as("v_dtype")), Tensor(),
                Tensor()};
    }
};

} // namespace

Tensor swiglu(const Tensor& gate, const Tensor& up)
{
    if (!anyRequiresGrad({&gate, &up})) {
        auto [g, u] = promoted(gate, up);
        return at::silu(g).mul_(u);
    }
    return SwigluFn::apply(gate, up);
}

Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask, double scale)
{
    if (!anyRequiresGrad({&q, &k, &v})) {
        const auto a = attend(q, k, v, mask, scale);
        return at::matmul(a.p, a.v);
    }
    return AttentionFn::apply(q, k, v, &mask, scale);
}

} // namespace tb::model
