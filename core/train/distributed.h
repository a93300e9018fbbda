#pragma once
// A data-parallel process group: PyTorch's c10d with the Gloo backend (CPU),
// joined through a TCPStore rendezvous at MASTER_ADDR:MASTER_PORT that rank 0
// hosts. This header is LibTorch-free (the implementation holds c10d behind a
// pimpl); collectives on tensors are in train/dist_tensors.h and the gradient
// all-reduce of a training step in train/dist_gradient_sync.h.
//
// Errors are tb::Error with one line: a peer that never arrives ("rank 1 of 2
// did not join 127.0.0.1:29500 within 5 s"), a peer that dies or hangs during a
// collective ("rank 1 stopped responding (Connection closed by peer ...)").
// After such an error every later collective fails at once with it: the group
// cannot recover, the run has to end (and resume later).
#include "train/dist_env.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tb::train {

struct JoinOptions {
    // How long rank 0 waits for every rank to reach the store, and the others
    // wait for rank 0's store to open.
    std::chrono::milliseconds joinTimeout{std::chrono::seconds(300)};
    // How long a collective waits for a peer before failing: covers a peer
    // that hangs; a peer that dies closes its sockets and fails it at once.
    // Must exceed the longest time one rank works alone between collectives
    // (a checkpoint write, validation on rank 0 only).
    std::chrono::milliseconds collectiveTimeout{std::chrono::seconds(300)};
    int backendThreads = 2; // Gloo's worker threads (collectives in flight)
};

class ProcessGroup {
public:
    // Joins the group `env` describes (env.worldSize may be 1: a group of one,
    // whose collectives return their input). Blocks until every rank has
    // joined or joinTimeout has passed.
    static std::unique_ptr<ProcessGroup> join(const DistributedEnv& env, const JoinOptions& options = {});
    ~ProcessGroup();
    ProcessGroup(const ProcessGroup&) = delete;
    ProcessGroup& operator=(const ProcessGroup&) = delete;

    int rank() const;
    int size() const;
    const DistributedEnv& env() const;
    // The error that broke the group (a peer died or hung); nullopt while it works.
    std::optional<std::string> failure() const;

    // Returns when every rank has called it.
    void barrier();
    // Element-wise sums over ranks, in double (token counts, loss sums, eval scores).
    double allreduceSum(double value);
    std::vector<double> allreduceSum(const std::vector<double>& values);
    // Every rank's value, indexed by rank.
    std::vector<uint64_t> allgather(uint64_t value);
    // Every rank's bytes (of any lengths), indexed by rank: texts and JSON
    // results that rank 0 gathers (sample generations, evaluated examples).
    std::vector<std::string> allgather(const std::string& bytes);

    // The c10d objects; defined and used in distributed.cpp only.
    class Impl;
    Impl& impl();

private:
    explicit ProcessGroup(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

} // namespace tb::train
