#pragma once
// bf16 mixed precision for a scope: matrix products run in bf16 (autocast),
// master weights and what autocast keeps in f32 stay f32. The trainer's step,
// validation, evaluation and generation all switch it on through this one
// guard. Nests: an inner scope leaves an outer one's state as it found it.
// Heavy header (LibTorch): include it only where tensors are computed.
// Qt's moc follows includes, and LibTorch's take it ~9 s a file for nothing it needs.
#ifndef Q_MOC_RUN
#include <ATen/autocast_mode.h>
#include <c10/core/Device.h>
#endif

#include <optional>

namespace tb::model {

// The dtype autocast runs products in on `like`'s device, or nothing where
// autocast is off there.
inline std::optional<at::ScalarType> autocastDtype(const at::Tensor& like)
{
    if (like.is_cuda() ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled())
        return like.is_cuda() ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
    return std::nullopt;
}

class AutocastScope {
public:
    // Off when `bf16` is false (f32 runs need no guard); `device` chooses the
    // CPU or the CUDA autocast state.
    explicit AutocastScope(bool bf16, c10::Device device = c10::Device(c10::kCPU))
        : m_on(bf16), m_cuda(device.is_cuda())
    {
        if (!m_on)
            return;
        m_wasEnabled = m_cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
        m_oldDtype = m_cuda ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
        if (m_cuda) {
            at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
            at::autocast::set_enabled(true);
        } else {
            at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
            at::autocast::set_cpu_enabled(true);
        }
        at::autocast::increment_nesting();
    }
    ~AutocastScope()
    {
        if (!m_on)
            return;
        if (m_cuda) {
            at::autocast::set_enabled(m_wasEnabled);
            at::autocast::set_autocast_gpu_dtype(m_oldDtype);
        } else {
            at::autocast::set_cpu_enabled(m_wasEnabled);
            at::autocast::set_autocast_cpu_dtype(m_oldDtype);
        }
        // The cast cache (bf16 copies of f32 leaf weights) lives until the outermost scope ends.
        if (at::autocast::decrement_nesting() == 0)
            at::autocast::clear_cache();
    }
    AutocastScope(const AutocastScope&) = delete;
    AutocastScope& operator=(const AutocastScope&) = delete;

private:
    bool m_on;
    bool m_cuda;
    bool m_wasEnabled = false;
    at::ScalarType m_oldDtype = at::kBFloat16;
};

} // namespace tb::model
