// Fused SwiGLU and attention (core/model/fused_ops.h): values and gradients
// against the chains of ATen operations they replace, differentiated by
// LibTorch's own autograd (f64 for exactness, bf16 autocast within bf16
// rounding), and the memory they keep for the backward pass, measured with
// glibc's allocator statistics against a hand count of the tensors kept.
#include "common/heap.h"

#include "model/autocast.h"
#include "model/fused_ops.h"

#include <QtTest>

#include <cmath>

using namespace tb;
using torch::Tensor;

namespace {

Tensor chainSwiglu(const Tensor& g, const Tensor& u) { return torch::silu(g) * u; }

Tensor chainAttention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask, double scale)
{
    auto scores = torch::matmul(q, k.transpose(-2, -1)) * scale;
    if (mask.defined()) {
        const int64_t B = scores.size(0), H = scores.size(1), S = scores.size(3), T = mask.size(-2);
        scores = (scores.view({B, H, scores.size(2) / T, T, S}) + mask).view(scores.sizes());
    }
    auto probs = torch::softmax(scores.to(torch::kFloat32), -1).to(q.scalar_type());
    return torch::matmul(probs, v);
}

// Additive causal mask [1, 1, 1, T, T] with `lowest` above the diagonal.
Tensor causalMask(int64_t T, torch::ScalarType dtype, double lowest)
{
    auto allowed = torch::ones({T, T}, torch::kBool).tril();
    return torch::zeros({T, T}, dtype).masked_fill_(allowed.logical_not(), lowest).view({1, 1, 1, T, T});
}

double maxAbsDiff(const Tensor& a, const Tensor& b)
{
    return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

double maxAbs(const Tensor& a) { return a.to(torch::kFloat64).abs().max().item<double>(); }

} // namespace

class TestFusedOps : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        torch::manual_seed(7);
        torch::set_num_threads(1);
    }

    void swigluEqualsTheChainInF64()
    {
        auto g = torch::randn({3, 5, 17}, torch::kFloat64).mul_(3).requires_grad_();
        auto u = torch::randn({3, 5, 17}, torch::kFloat64).requires_grad_();
        auto w = torch::randn({3, 5, 17}, torch::kFloat64); // a loss weighting every element differently
        auto fused = model::swiglu(g, u);
        auto chain = chainSwiglu(g, u);
        QVERIFY(maxAbsDiff(fused, chain) < 1e-12);
        auto gf = torch::autograd::grad({(fused * w).sum()}, {g, u});
        auto gc = torch::autograd::grad({(chain * w).sum()}, {g, u});
        QVERIFY(maxAbsDiff(gf[0], gc[0]) < 1e-12);
        QVERIFY(maxAbsDiff(gf[1], gc[1]) < 1e-12);
        // A hand value: silu(1) * 2 = 2 / (1 + e^-1).
        auto one = model::swiglu(torch::ones({1}, torch::kFloat64), torch::full({1}, 2.0, torch::kFloat64));
        QCOMPARE(one.item<double>(), 2.0 / (1.0 + std::exp(-1.0)));
    }

    void swigluInBf16StaysBf16WithinRounding()
    {
        auto g64 = torch::randn({64, 96}, torch::kFloat64);
        auto u64 = torch::randn({64, 96}, torch::kFloat64);
        auto g = g64.to(torch::kBFloat16).requires_grad_();
        auto u = u64.to(torch::kBFloat16).requires_grad_();
        auto out = model::swiglu(g, u);
        QCOMPARE(out.scalar_type(), torch::kBFloat16);
        auto gr = torch::autograd::grad({out.to(torch::kFloat32).sum()}, {g, u});
        QCOMPARE(gr[0].scalar_type(), torch::kBFloat16);
        // The same bf16 inputs through the chain in f64.
        auto gd = g.detach().to(torch::kFloat64).requires_grad_();
        auto ud = u.detach().to(torch::kFloat64).requires_grad_();
        auto ref = chainSwiglu(gd, ud);
        auto rr = torch::autograd::grad({ref.sum()}, {gd, ud});
        QVERIFY(maxAbsDiff(out, ref) <= 1.6e-2 * maxAbs(ref));
        QVERIFY(maxAbsDiff(gr[0], rr[0]) <= 1.6e-2 * maxAbs(rr[0]));
        QVERIFY(maxAbsDiff(gr[1], rr[1]) <= 1.6e-2 * maxAbs(rr[1]));
    }

    void attentionEqualsTheChainInF64()
    {
        // Grouped queries: 2 key heads, 3 query heads each, T = S = 7, head size 8.
        const int64_t B = 2, Hkv = 2, G = 3, T = 7, hd = 8;
        const double scale = 1.0 / std::sqrt(8.0);
        auto q = torch::randn({B, Hkv, G * T, hd}, torch::kFloat64).requires_grad_();
        auto k = torch::randn({B, Hkv, T, hd}, torch::kFloat64).requires_grad_();
        auto v = torch::randn({B, Hkv, T, hd}, torch::kFloat64).requires_grad_();
        auto w = torch::randn({B, Hkv, G * T, hd}, torch::kFloat64);
        for (bool masked : {false, true}) {
            const auto mask = masked ? causalMask(T, torch::kFloat64, -1e30) : Tensor();
            auto fused = model::attention(q, k, v, mask, scale);
            auto chain = chainAttention(q, k, v, mask, scale);
            QVERIFY(maxAbsDiff(fused, chain) < 1e-6); // the chain's softmax runs in f32
            auto gf = torch::autograd::grad({(fused * w).sum()}, {q, k, v});
            auto gc = torch::autograd::grad({(chain * w).sum()}, {q, k, v});
            for (int i = 0; i < 3; ++i)
                QVERIFY2(maxAbsDiff(gf[i], gc[i]) < 1e-5 * std::max(1.0, maxAbs(gc[i])), masked ? "masked" : "unmasked");
        }
        // Hand value: one query, two keys with equal scores -> the mean of the two values.
        auto q1 = torch::zeros({1, 1, 1, 2}, torch::kFloat64);
        auto k1 = torch::ones({1, 1, 2, 2}, torch::kFloat64);
        auto v1 = torch::tensor({1.0, 2.0, 5.0, 8.0}, torch::kFloat64).view({1, 1, 2, 2});
        auto y = model::attention(q1, k1, v1, Tensor(), 1.0);
        QCOMPARE(y.flatten()[0].item<double>(), 3.0);
        QCOMPARE(y.flatten()[1].item<double>(), 5.0);
    }

    void attentionUnderBf16AutocastWithinRounding()
    {
        const int64_t B = 1, Hkv = 2, G = 2, T = 32, hd = 16;
        auto q = torch::randn({B, Hkv, G * T, hd}).requires_grad_();
        auto k = torch::randn({B, Hkv, T, hd}).requires_grad_();
        auto v = torch::randn({B, Hkv, T, hd}).requires_grad_();
        const auto mask = causalMask(T, torch::kBFloat16, -65504.0);
        Tensor out;
        std::vector<Tensor> grads;
        {
            model::AutocastScope bf16(true);
            out = model::attention(q, k, v, mask, 0.25);
            QCOMPARE(out.scalar_type(), torch::kBFloat16);
            grads = torch::autograd::grad({out.to(torch::kFloat32).sum()}, {q, k, v});
        }
        for (const auto& g : grads)
            QCOMPARE(g.scalar_type(), torch::kFloat32); // gradients in the inputs' dtype
        // Reference: the chain in f64 from the bf16-rounded inputs autocast would multiply.
        auto qd = q.detach().to(torch::kBFloat16).to(torch::kFloat64).requires_grad_();
        auto kd = k.detach().to(torch::kBFloat16).to(torch::kFloat64).requires_grad_();
        auto vd = v.detach().to(torch::kBFloat16).to(torch::kFloat64).requires_grad_();
        auto ref = chainAttention(qd, kd, vd, causalMask(T, torch::kFloat64, -1e30), 0.25);
        auto rg = torch::autograd::grad({ref.sum()}, {qd, kd, vd});
        QVERIFY(maxAbsDiff(out, ref) <= 2e-2 * maxAbs(ref));
        for (int i = 0; i < 3; ++i)
            QVERIFY2(maxAbsDiff(grads[i], rg[i]) <= 3e-2 * maxAbs(rg[i]), std::to_string(i).c_str());
    }

    void fullyMaskedRowsStayFinite()
    {
        // A padding key masked for every query of a row: finite outputs and gradients.
        auto q = torch::randn({1, 1, 4, 4}).requires_grad_();
        auto k = torch::randn({1, 1, 4, 4}).requires_grad_();
        auto v = torch::randn({1, 1, 4, 4}).requires_grad_();
        auto mask = torch::full({1, 1, 1, 4, 4}, -3.4028234663852886e38);
        auto out = model::attention(q, k, v, mask, 0.5);
        auto g = torch::autograd::grad({out.sum()}, {q, k, v});
        QVERIFY(torch::isfinite(out).all().item<bool>());
        for (const auto& t : g)
            QVERIFY(torch::isfinite(t).all().item<bool>());
    }

    void attentionKeepsTheProbabilitiesOnceInBf16()
    {
        // Under bf16 autocast the chain keeps f32 probabilities (softmax's
        // output) and their bf16 copy; the fused op keeps the bf16 copy only.
        const int64_t B = 1, Hkv = 2, G = 2, T = 256, hd = 16;
        const size_t probs = B * Hkv * G * T * T; // 262,144 elements
        auto q = torch::randn({B, Hkv, G * T, hd}).requires_grad_();
        auto k = torch::randn({B, Hkv, T, hd}).requires_grad_();
        auto v = torch::randn({B, Hkv, T, hd}).requires_grad_();
        const auto mask = causalMask(T, torch::kBFloat16, -65504.0);
        auto kept = [&](bool fused) {
            model::AutocastScope bf16(true);
            const int64_t before = test::heapInUse();
            auto out = fused ? model::attention(q, k, v, mask, 0.25) : chainAttention(q, k, v, mask, 0.25);
            return static_cast<double>(test::heapInUse() - before);
        };
        kept(true); // warm-up: first-use allocations of the kernels
        const double chain = kept(false), fused = kept(true);
        qInfo("kept for backward: chain %.0f bytes, fused %.0f bytes, probabilities %zu", chain, fused, probs);
        QVERIFY(chain - fused >= 3.5 * probs); // the f32 probabilities, 4 bytes each
        QVERIFY(fused < chain);
    }

    void swigluKeepsOneTensorLess()
    {
        const int64_t n = 1 << 18;
        auto g = torch::randn({n}).requires_grad_();
        auto u = torch::randn({n}).requires_grad_();
        auto kept = [&](bool fused) {
            const int64_t before = test::heapInUse();
            auto out = fused ? model::swiglu(g, u) : chainSwiglu(g, u);
            return static_cast<double>(test::heapInUse() - before);
        };
        kept(true);
        const double chain = kept(false), fused = kept(true);
        qInfo("kept for backward: chain %.0f bytes, fused %.0f bytes, one tensor %lld", chain, fused,
              static_cast<long long>(4 * n));
        QVERIFY(chain - fused >= 0.9 * 4 * n); // silu(gate), f32
    }
};

QTEST_GUILESS_MAIN(TestFusedOps)
#include "tst_fused_ops.moc"
