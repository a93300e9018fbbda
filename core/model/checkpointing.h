#pragma once
// Gradient (activation) checkpointing of one transformer block: forward runs
// the block without recording a graph and keeps only its input; backward
// runs it again with gradients on and backpropagates through that copy
// (Chen et al. 2016, https://arxiv.org/abs/1604.06174). The recomputation
// sees the same random numbers (the device generator's state is restored, so
// dropout draws the same masks) and the same autocast state as the forward.
// Parameters' gradients accumulate as usual, through their own autograd
// nodes, so gradient hooks (data-parallel synchronisation) still fire.
// Heavy header (LibTorch).
// Qt's moc follows includes, and LibTorch's take it ~9 s a file for nothing it needs.
#ifndef Q_MOC_RUN
#include <torch/torch.h>
#endif

#include <functional>

namespace tb::model {

using BlockFn = std::function<torch::Tensor(const torch::Tensor&)>;

// block(x), with its activations recomputed in backward. `block` must be a
// pure function of x and of module state that does not change until backward
// (it is called again then; capture what it needs by value). Only x may
// carry a gradient into the block from outside; parameters are found by
// autograd on the recomputed graph.
torch::Tensor checkpointed(BlockFn block, const torch::Tensor& x);

} // namespace tb::model
