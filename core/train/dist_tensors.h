#pragma once
// Collectives on tensors over a ProcessGroup: sum, broadcast from rank 0, and
// the check that every rank holds the same weights. Heavy header (LibTorch).
// Tensors are CPU and contiguous; every call is collective (each rank makes
// the same calls in the same order, or the group hangs until its timeout).
#include "train/distributed.h"

// Qt's moc follows includes, and LibTorch's take it ~9 s a file for nothing it needs.
#ifndef Q_MOC_RUN
#include <torch/torch.h>
#endif

#include <cstdint>
#include <memory>
#include <vector>

namespace tb::train {

// A collective in flight. wait() returns when it is done, or throws the
// group's tb::Error ("rank 1 stopped responding (...)"). Default: none.
class PendingCollective {
public:
    struct State;
    PendingCollective();
    explicit PendingCollective(std::unique_ptr<State> state);
    PendingCollective(PendingCollective&&) noexcept;
    PendingCollective& operator=(PendingCollective&&) noexcept;
    ~PendingCollective();

    void wait();
    bool pending() const { return m_state != nullptr; }

private:
    std::unique_ptr<State> m_state;
};

// Starts summing `tensor` over ranks, in place; it must stay alive until wait().
PendingCollective allreduceSumAsync(ProcessGroup& group, const torch::Tensor& tensor);
// Sums `tensor` over ranks, in place.
void allreduceSum(ProcessGroup& group, const torch::Tensor& tensor);

// Copies rank 0's values into `tensors` on every rank, in place and outside
// autograd (parameters at the start of a run), coalesced into buckets of
// about `bucketBytes` per collective.
void broadcastFromRank0(ProcessGroup& group, const std::vector<torch::Tensor>& tensors,
                        int64_t bucketBytes = 25 << 20);

// A 64-bit hash of the tensors' dtypes, shapes and bytes (FNV-1a over 64-bit
// words): equal weights give equal hashes on every rank and platform of the
// same endianness.
uint64_t hashTensors(const std::vector<torch::Tensor>& tensors);

// Throws tb::Error "ranks disagree on weights after step N (rank 0:
// 0x..., rank 1: 0x...)" unless every rank's hashTensors(tensors) is equal.
void checkSameWeights(ProcessGroup& group, const std::vector<torch::Tensor>& tensors, int64_t step);

} // namespace tb::train
