#pragma once
// AdamW over flat buffers. The trainable f32 parameters become views into one
// flat f32 buffer and their gradients views into one flat gradient buffer
// (allocated once and kept: autograd accumulates into it in place), with the
// moments flat as well, so zeroing the gradients is one fill, the gradient
// norm one reduction, clipping one multiply and an update one pass over the
// buffers. The parameters taking weight decay come first in the buffers, so
// the decay group is a prefix. The update is torch::optim::AdamW's
// (decoupled weight decay, bias correction) with one step count for all.
// Heavy header (LibTorch).
// Qt's moc follows includes, and LibTorch's take it ~9 s a file for nothing it needs.
#ifndef Q_MOC_RUN
#include <torch/torch.h>
#endif

#include <cstdint>
#include <string>
#include <vector>

namespace tb::train {

struct FusedAdamWOptions {
    double lr = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    double weightDecay = 0.01; // for the decay group only
};

class FusedAdamW {
public:
    // How step() computes: one hand-written pass over the buffers (threads:
    // at::parallel_for), or a handful of ATen ops over them (kept to compare).
    enum class Kernel { Loop, TensorOps };

    using Named = std::vector<std::pair<std::string, torch::Tensor>>;

    // `decay` take weight decay, `noDecay` do not. Each must be a distinct f32
    // tensor that requires grad, all on one device; throws tb::Error naming the
    // parameter otherwise. The tensors keep their sizes and values but now
    // share the flat storage; an existing .grad is copied into the flat
    // gradient buffer. The names go into the saved state's layout.
    FusedAdamW(const Named& decay, const Named& noDecay, FusedAdamWOptions options);

    void setLearningRate(double lr) { m_options.lr = lr; }
    double learningRate() const { return m_options.lr; }
    void setKernel(Kernel kernel) { m_kernel = kernel; }

    void zeroGrad();                    // one fill of the flat gradient buffer
    double gradNorm();                  // L2 norm over all gradients
    double clipGradNorm(double maxNorm); // as torch::nn::utils::clip_grad_norm_; the norm before clipping
    void step();

    int64_t stepCount() const { return m_step; }
    int64_t numel() const { return m_flatParams.numel(); }
    const torch::Tensor& flatParams() const { return m_flatParams; }
    const torch::Tensor& flatGrads() const { return m_flatGrads; }
    const torch::Tensor& expAvg() const { return m_expAvg; }
    const torch::Tensor& expAvgSq() const { return m_expAvgSq; }

    // The state as one safetensors file: exp_avg and exp_avg_sq flat, the step
    // count and the layout in its metadata. Written atomically.
    void saveState(const std::string& path) const;
    uint64_t stateBytes() const; // what saveState writes, about
    // Reads a file saveState wrote for the same parameters; tb::Error otherwise.
    void loadState(const std::string& path);
    // Reads what torch::save(torch::optim::AdamW) wrote for the same parameter
    // groups (decay first, then no decay; an empty group absent), as
    // checkpoints of earlier versions hold. Parameters the file has no state
    // for start from zero moments; the step count is the largest saved.
    void loadTorchAdamWState(const std::string& path);

private:
    void attach();
    void reattachGradients(); // where something replaced a .grad, brings it back into the flat buffer
    void stepLoop(double decayFactor, double stepSize, double sqrtBias2);
    void stepTensorOps(double decayFactor, double stepSize, double sqrtBias2);
    std::string layout() const;

    FusedAdamWOptions m_options;
    Kernel m_kernel = Kernel::Loop;
    std::vector<torch::Tensor> m_params; // decay group first
    std::vector<std::string> m_names;
    std::vector<int64_t> m_offsets;
    size_t m_decayParams = 0;
    int64_t m_decayNumel = 0;
    int64_t m_step = 0;
    torch::Tensor m_flatParams, m_flatGrads, m_expAvg, m_expAvgSq;
    torch::Tensor m_scratch; // TensorOps only
};

} // namespace tb::train
