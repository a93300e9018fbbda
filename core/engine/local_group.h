#pragma once
// A data-parallel run on this machine whose rank 0 trains inside the calling
// program (the desktop app) while the other ranks are processes of the CLI
// engine: the variables each rank is started with, a free rendezvous port,
// and joining the group as rank 0. The names and values are torchrun's, as
// the CLI launcher (`train --nproc-per-node N`) sets them, so a follower is
// the same process either way. No LibTorch in this header.
#include "train/dist_env.h"
#include "train/distributed.h"
#include "train/run_config.h"

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace tb::engine {

// Rank `rank` of `processes` ranks on this machine, the store at 127.0.0.1:port.
train::DistributedEnv localRank(int rank, int processes, int port);

// torchrun's variables for `env`, in this order: RANK, WORLD_SIZE, LOCAL_RANK,
// LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT (train::parseTorchrunEnv reads them back).
std::vector<std::pair<std::string, std::string>> torchrunVariables(const train::DistributedEnv& env);

// A TCP port of 127.0.0.1 that is free now (the kernel chooses it). Throws
// tb::Error when no socket can be had.
int freeLocalPort();

// Writes `config` as the RUN.json the followers of a new run read, with
// every path absolute (the file's folder is not the one paths are relative to).
void writeFollowerConfig(train::RunConfig config, const std::string& path);

// Joins `env`'s group (see train::ProcessGroup::join), waiting at most
// `joinTimeout` for the other ranks to arrive.
std::unique_ptr<train::ProcessGroup> joinGroup(const train::DistributedEnv& env, std::chrono::milliseconds joinTimeout);

} // namespace tb::engine
