#pragma once
// The data-parallel launcher shared by `train` and `eval`: torchrun's
// --nproc-per-node/--nnodes/--node-rank/--master-addr/--master-port options,
// starting this machine's ranks (this program again, same arguments, torchrun's
// variables set), and joining the group a rank's variables describe.
#include "train/distributed.h"

#include <memory>
#include <string>

namespace CLI {
class App;
}

namespace tb::cli {

struct LaunchArgs {
    int nprocPerNode = 0, nnodes = 1, nodeRank = 0, masterPort = 29500;
    std::string masterAddr = "127.0.0.1";
};

// Adds the five options to `cmd`.
void addLaunchOptions(CLI::App& cmd, LaunchArgs& args);

// --nproc-per-node was given and this process is not one of the launched
// ranks (they see RANK): it launches instead of running the command.
bool shouldLaunch(const LaunchArgs& args);

// Starts this node's ranks, rank 0's stdout and stderr as they are, the
// others' stderr prefixed "[rank R] "; when one rank fails, ends the others.
// Returns when all have ended; throws ExitStatus with the first failure's
// status (0 when all succeed: returns).
void launchLocalRanks(const LaunchArgs& args);

// torchrun's variables (RANK, WORLD_SIZE, MASTER_ADDR, ...): WORLD_SIZE > 1
// joins the data-parallel group of train/distributed.h; otherwise none.
std::unique_ptr<train::ProcessGroup> joinGroupFromEnvironment();

} // namespace tb::cli
