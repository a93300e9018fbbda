#pragma once
// Which data-parallel process this is, read from the variables torchrun sets
// (https://pytorch.org/docs/stable/elastic/run.html#environment-variables),
// so `torchrun --no-python tunebench-cli ...` and processes started by hand on
// several machines join the same group. No LibTorch: the CLI front includes it.
#include <functional>
#include <optional>
#include <string>

namespace tb::train {

struct DistributedEnv {
    int rank = 0;                       // RANK: 0 .. worldSize-1
    int worldSize = 1;                  // WORLD_SIZE: processes in the group
    int localRank = 0;                  // LOCAL_RANK: index on this machine
    int localWorldSize = 1;             // LOCAL_WORLD_SIZE: processes on this machine
    std::string masterAddr = "127.0.0.1"; // MASTER_ADDR: host of rank 0's store
    int masterPort = 29500;             // MASTER_PORT: its TCP port

    bool distributed() const { return worldSize > 1; }
    std::string storeAddress() const { return masterAddr + ":" + std::to_string(masterPort); }
};

// Looks a variable up; nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The torchrun variables through `lookup`. Absent variables keep the defaults
// above (no RANK and no WORLD_SIZE: a single process). Throws tb::Error with a
// one-line message for a bad value ("WORLD_SIZE=abc: expected a positive
// integer", "RANK=2 is not below WORLD_SIZE=2", "MASTER_PORT=70000: expected a
// port 1-65535"), or when only one of RANK and WORLD_SIZE is set.
DistributedEnv parseTorchrunEnv(const EnvLookup& lookup);

// parseTorchrunEnv on this process's environment.
DistributedEnv readTorchrunEnv();

} // namespace tb::train
