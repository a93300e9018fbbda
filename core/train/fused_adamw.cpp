// AdamW over flat buffers (see fused_adamw.h). The update per element is
// torch::optim::AdamW's, in f32:
//     p  = p * (1 - lr * wd)                       (decay group only)
//     m  = m * b1 + (1 - b1) * g
//     v  = v * b2 + (1 - b2) * g * g
//     p += -(lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
#include "train/fused_adamw.h"

#include "common/error.h"
#include "io/safetensors.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <unordered_set>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define TB_ADAMW_AVX 1
#endif

namespace tb::train {

namespace {

constexpr const char* kFormat = "tunebench-fused-adamw-1";

// The update's constants, in the f32 the arithmetic uses.
struct Coefficients {
    float decay = 1;
    float beta1 = 0, oneMinusBeta1 = 0, beta2 = 0, oneMinusBeta2 = 0;
    float invSqrtBias2 = 1, eps = 0, negStepSize = 0;
};

void updateScalar(float* p, const float* g, float* m, float* v, int64_t n, const Coefficients& c)
{
    for (int64_t i = 0; i < n; ++i) {
        const float gi = g[i];
        const float mi = m[i] * c.beta1 + c.oneMinusBeta1 * gi;
        const float vi = v[i] * c.beta2 + c.oneMinusBeta2 * gi * gi;
        const float denom = std::sqrt(vi) * c.invSqrtBias2 + c.eps;
        p[i] = p[i] * c.decay + c.negStepSize * mi / denom;
        m[i] = mi;
        v[i] = vi;
    }
}

#ifdef TB_ADAMW_AVX
// Eight lanes at a time; returns how many elements it did (the rest: scalar).
__attribute__((target("avx"))) int64_t updateAvx(float* p, const float* g, float* m, float* v, int64_t n,
                                                 const Coefficients& c)
{
    const __m256 decay = _mm256_set1_ps(c.decay), b1 = _mm256_set1_ps(c.beta1),
                 omb1 = _mm256_set1_ps(c.oneMinusBeta1), b2 = _mm256_set1_ps(c.beta2),
                 omb2 = _mm256_set1_ps(c.oneMinusBeta2), isb2 = _mm256_set1_ps(c.invSqrtBias2),
                 eps = _mm256_set1_ps(c.eps), nss = _mm256_set1_ps(c.negStepSize);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 gi = _mm256_loadu_ps(g + i);
        const __m256 mi = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(m + i), b1), _mm256_mul_ps(omb1, gi));
        const __m256 vi =
            _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(v + i), b2), _mm256_mul_ps(_mm256_mul_ps(omb2, gi), gi));
        const __m256 denom = _mm256_add_ps(_mm256_mul_ps(_mm256_sqrt_ps(vi), isb2), eps);
        const __m256 pi = _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(p + i), decay),
                                        _mm256_div_ps(_mm256_mul_ps(nss, mi), denom));
        _mm256_storeu_ps(p + i, pi);
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
    }
    return i;
}
#endif

void update(float* p, const float* g, float* m, float* v, int64_t n, const Coefficients& c)
{
    int64_t done = 0;
#ifdef TB_ADAMW_AVX
    static const bool avx = __builtin_cpu_supports("avx");
    if (avx)
        done = updateAvx(p, g, m, v, n, c);
#endif
    updateScalar(p + done, g + done, m + done, v + done, n - done, c);
}

std::string shapeText(const torch::Tensor& t)
{
    std::ostringstream s;
    s << t.sizes();
    return s.str();
}

} // namespace

FusedAdamW::FusedAdamW(const Named& decay, const Named& noDecay, FusedAdamWOptions options) : m_options(options)
{
    std::unordered_set<const void*> seen;
    auto add = [&](const std::pair<std::string, torch::Tensor>& named) {
        const auto& [name, p] = named;
        if (!p.defined())
            throw Error("AdamW: trainable parameter '" + name + "' is undefined");
        if (p.scalar_type() != torch::kFloat32)
            throw Error("AdamW: trainable parameter '" + name + "' " + shapeText(p) + " is " +
                        std::string(c10::toString(p.scalar_type())) +
                        "; trainable parameters must be f32 master weights");
        if (!p.requires_grad())
            throw Error("AdamW: trainable parameter '" + name + "' does not require grad");
        if (!m_params.empty() && p.device() != m_params.front().device())
            throw Error("AdamW: trainable parameter '" + name + "' is on " + p.device().str() + ", the others on " +
                        m_params.front().device().str());
        if (!seen.insert(p.unsafeGetTensorImpl()).second)
            throw Error("AdamW: trainable parameter '" + name + "' is listed twice");
        m_params.push_back(p);
        m_names.push_back(name);
    };
    for (const auto& named : decay)
        add(named);
    m_decayParams = m_params.size();
    for (const auto& named : noDecay)
        add(named);
    if (m_params.empty())
        throw Error("AdamW: no trainable parameters");
    attach();
}

void FusedAdamW::attach()
{
    int64_t total = 0;
    for (size_t i = 0; i < m_params.size(); ++i) {
        m_offsets.push_back(total);
        total += m_params[i].numel();
        if (i + 1 == m_decayParams)
            m_decayNumel = total;
    }
    const auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(m_params.front().device());
    m_flatParams = torch::empty({total}, opts);
    m_flatGrads = torch::zeros({total}, opts);
    m_expAvg = torch::zeros({total}, opts);
    m_expAvgSq = torch::zeros({total}, opts);
    torch::NoGradGuard noGrad;
    for (size_t i = 0; i < m_params.size(); ++i) {
        auto& p = m_params[i];
        auto values = m_flatParams.narrow(0, m_offsets[i], p.numel()).view(p.sizes());
        auto grad = m_flatGrads.narrow(0, m_offsets[i], p.numel()).view(p.sizes());
        values.copy_(p);
        if (p.grad().defined())
            grad.copy_(p.grad());
        p.set_(values); // same TensorImpl: modules, hooks and the trainer's lists see the flat storage
        p.mutable_grad() = grad;
    }
}

void FusedAdamW::reattachGradients()
{
    torch::NoGradGuard noGrad;
    const float* params = m_flatParams.data_ptr<float>();
    const float* grads = m_flatGrads.data_ptr<float>();
    for (size_t i = 0; i < m_params.size(); ++i) {
        auto& p = m_params[i];
        if (p.data_ptr<float>() != params + m_offsets[i])
            throw Error("AdamW: trainable parameter '" + m_names[i] +
                        "' was given new storage after the optimizer was built");
        const auto& g = p.grad();
        if (g.defined() && g.data_ptr<float>() == grads + m_offsets[i])
            continue;
        // Set to none (a zero gradient here) or replaced by another tensor.
        auto slice = m_flatGrads.narrow(0, m_offsets[i], p.numel()).view(p.sizes());
        if (g.defined())
            slice.copy_(g);
        else
            slice.zero_();
        p.mutable_grad() = slice;
    }
}

void FusedAdamW::zeroGrad()
{
    reattachGradients();
    m_flatGrads.zero_();
}

double FusedAdamW::gradNorm()
{
    reattachGradients();
    torch::NoGradGuard noGrad;
    return m_flatGrads.norm().item<double>();
}

double FusedAdamW::clipGradNorm(double maxNorm)
{
    const double norm = gradNorm();
    // torch::nn::utils::clip_grad_norm_'s coefficient, applied only when it scales down.
    const double coefficient = maxNorm / (norm + 1e-6);
    if (coefficient < 1) {
        torch::NoGradGuard noGrad;
        m_flatGrads.mul_(coefficient);
    }
    return norm;
}

void FusedAdamW::step()
{
    reattachGradients();
    ++m_step;
    const double bias1 = 1 - std::pow(m_options.beta1, static_cast<double>(m_step));
    const double bias2 = 1 - std::pow(m_options.beta2, static_cast<double>(m_step));
    const double decayFactor = 1 - m_options.lr * m_options.weightDecay;
    const double stepSize = m_options.lr / bias1;
    if (m_kernel == Kernel::Loop && m_flatParams.is_cpu())
        stepLoop(decayFactor, stepSize, std::sqrt(bias2));
    else
        stepTensorOps(decayFactor, stepSize, std::sqrt(bias2));
}

void FusedAdamW::stepLoop(double decayFactor, double stepSize, double sqrtBias2)
{
    Coefficients decay;
    decay.beta1 = static_cast<float>(m_options.beta1);
    decay.oneMinusBeta1 = static_cast<float>(1 - m_options.beta1);
    decay.beta2 = static_cast<float>(m_options.beta2);
    decay.oneMinusBeta2 = static_cast<float>(1 - m_options.beta2);
    decay.invSqrtBias2 = static_cast<float>(1 / sqrtBias2);
    decay.eps = static_cast<float>(m_options.eps);
    decay.negStepSize = static_cast<float>(-stepSize);
    Coefficients plain = decay;
    decay.decay = static_cast<float>(decayFactor);
    float* p = m_flatParams.data_ptr<float>();
    const float* g = m_flatGrads.data_ptr<float>();
    float* m = m_expAvg.data_ptr<float>();
    float* v = m_expAvgSq.data_ptr<float>();
    const int64_t split = m_decayNumel;
    at::parallel_for(0, m_flatParams.numel(), 1 << 16, [&](int64_t begin, int64_t end) {
        const int64_t mid = std::clamp(split, begin, end); // [begin, mid) decays, [mid, end) does not
        update(p + begin, g + begin, m + begin, v + begin, mid - begin, decay);
        update(p + mid, g + mid, m + mid, v + mid, end - mid, plain);
    });
}

void FusedAdamW::stepTensorOps(double decayFactor, double stepSize, double sqrtBias2)
{
    torch::NoGradGuard noGrad;
    if (m_decayNumel > 0 && decayFactor != 1)
        m_flatParams.narrow(0, 0, m_decayNumel).mul_(decayFactor);
    m_expAvg.mul_(m_options.beta1).add_(m_flatGrads, 1 - m_options.beta1);
    m_expAvgSq.mul_(m_options.beta2).addcmul_(m_flatGrads, m_flatGrads, 1 - m_options.beta2);
    if (!m_scratch.defined())
        m_scratch = torch::empty_like(m_expAvgSq);
    torch::sqrt_out(m_scratch, m_expAvgSq).div_(sqrtBias2).add_(m_options.eps);
    m_flatParams.addcdiv_(m_expAvg, m_scratch, -stepSize);
}

// ------------------------------------------------------------------ state ---

std::string FusedAdamW::layout() const
{
    std::string out = std::to_string(m_decayParams) + " decay;";
    for (size_t i = 0; i < m_params.size(); ++i)
        out += m_names[i] + ":" + std::to_string(m_params[i].numel()) + ";";
    return out;
}

uint64_t FusedAdamW::stateBytes() const
{
    return 2 * static_cast<uint64_t>(m_expAvg.nbytes()) + layout().size() + 1024;
}

void FusedAdamW::saveState(const std::string& path) const
{
    const auto m = m_expAvg.to(torch::kCPU); // no copy on the CPU
    const auto v = m_expAvgSq.to(torch::kCPU);
    const std::vector<int64_t> shape{m.numel()};
    io::writeSafetensors(path,
                         {{"exp_avg", io::DType::F32, shape, m.data_ptr(), static_cast<size_t>(m.nbytes())},
                          {"exp_avg_sq", io::DType::F32, shape, v.data_ptr(), static_cast<size_t>(v.nbytes())}},
                         {{"format", kFormat}, {"step", std::to_string(m_step)}, {"layout", layout()}});
}

void FusedAdamW::loadState(const std::string& path)
{
    const auto file = io::SafetensorsFile::open(path);
    const auto& meta = file->metadata();
    const auto format = meta.find("format");
    if (format == meta.end() || format->second != kFormat)
        throw Error(path + ": not an AdamW state written by this version (format '" +
                    (format == meta.end() ? std::string() : format->second) + "', expected '" + kFormat + "')");
    const auto layoutIt = meta.find("layout");
    if (layoutIt == meta.end() || layoutIt->second != layout())
        throw Error(path + ": the AdamW state is for other trainable parameters than this run's (method, targets "
                    "or model differ)");
    const auto stepIt = meta.find("step");
    int64_t step = -1;
    try {
        step = stepIt == meta.end() ? -1 : std::stoll(stepIt->second);
    } catch (const std::exception&) {
    }
    if (step < 0)
        throw Error(path + ": the AdamW state has no valid step count");
    torch::NoGradGuard noGrad;
    for (auto [name, target] : {std::pair{"exp_avg", m_expAvg}, std::pair{"exp_avg_sq", m_expAvgSq}}) {
        const io::TensorInfo* info = file->find(name);
        if (!info || info->dtype != io::DType::F32 || info->shape != std::vector<int64_t>{target.numel()})
            throw Error(path + ": tensor '" + name + "' is missing or is not f32 [" + std::to_string(target.numel()) +
                        "]");
        target.copy_(torch::from_blob(const_cast<uint8_t*>(file->data(*info)), {target.numel()}, torch::kFloat32));
    }
    m_step = step;
}

void FusedAdamW::loadTorchAdamWState(const std::string& path)
{
    // The groups as the trainer gave them to torch::optim::AdamW; its loader
    // maps the saved state onto these tensors by position.
    std::vector<torch::optim::OptimizerParamGroup> groups;
    const std::vector<torch::Tensor> decay(m_params.begin(), m_params.begin() + static_cast<long>(m_decayParams));
    const std::vector<torch::Tensor> noDecay(m_params.begin() + static_cast<long>(m_decayParams), m_params.end());
    for (const auto* group : {&decay, &noDecay})
        if (!group->empty())
            groups.emplace_back(*group);
    torch::optim::AdamW reference(std::move(groups));
    try {
        torch::load(reference, path);
    } catch (const c10::Error& e) {
        throw Error(path + ": not an AdamW state of this run's trainable parameters (" +
                    e.what_without_backtrace() + ")");
    }
    torch::NoGradGuard noGrad;
    m_expAvg.zero_();
    m_expAvgSq.zero_();
    int64_t step = 0;
    for (size_t i = 0; i < m_params.size(); ++i) {
        const auto& p = m_params[i];
        const auto it = reference.state().find(c10::guts::to_string(p.unsafeGetTensorImpl()));
        if (it == reference.state().end())
            continue;
        const auto& s = static_cast<const torch::optim::AdamWParamState&>(*it->second);
        if (s.exp_avg().sizes() != p.sizes() || s.exp_avg_sq().sizes() != p.sizes())
            throw Error(path + ": the AdamW state of '" + m_names[i] + "' has shape " + shapeText(s.exp_avg()) +
                        ", the parameter " + shapeText(p));
        m_expAvg.narrow(0, m_offsets[i], p.numel()).view(p.sizes()).copy_(s.exp_avg());
        m_expAvgSq.narrow(0, m_offsets[i], p.numel()).view(p.sizes()).copy_(s.exp_avg_sq());
        step = std::max(step, s.step());
    }
    m_step = step;
}

} // namespace tb::train
