#include "engine/local_group.h"

#include "common/error.h"
#include "io/atomic_file.h"

#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace tb::engine {

train::DistributedEnv localRank(int rank, int processes, int port)
{
    train::DistributedEnv env;
    env.rank = rank;
    env.worldSize = processes;
    env.localRank = rank;
    env.localWorldSize = processes;
    env.masterAddr = "127.0.0.1";
    env.masterPort = port;
    return env;
}

std::vector<std::pair<std::string, std::string>> torchrunVariables(const train::DistributedEnv& env)
{
    return {{"RANK", std::to_string(env.rank)},
            {"WORLD_SIZE", std::to_string(env.worldSize)},
            {"LOCAL_RANK", std::to_string(env.localRank)},
            {"LOCAL_WORLD_SIZE", std::to_string(env.localWorldSize)},
            {"MASTER_ADDR", env.masterAddr},
            {"MASTER_PORT", std::to_string(env.masterPort)}};
}

int freeLocalPort()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        throw Error(std::string("cannot find a free port for the training processes: ") + std::strerror(errno));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0; // the kernel picks a free one
    socklen_t len = sizeof addr;
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    const int err = errno;
    ::close(fd);
    if (!ok)
        throw Error(std::string("cannot find a free port for the training processes: ") + std::strerror(err));
    return ntohs(addr.sin_port);
}

void writeFollowerConfig(train::RunConfig config, const std::string& path)
{
    const auto absolute = [](std::string& p) {
        if (!p.empty())
            p = std::filesystem::absolute(p).lexically_normal().string();
    };
    for (auto* p : {&config.model, &config.tokenizer, &config.outputDir})
        absolute(*p);
    for (auto* files : {&config.data.train, &config.data.validation})
        for (auto& f : *files)
            absolute(f.path);
    io::writeFileAtomic(path, train::toJson(config).dump(2) + "\n");
}

std::unique_ptr<train::ProcessGroup> joinGroup(const train::DistributedEnv& env, std::chrono::milliseconds joinTimeout)
{
    train::JoinOptions options;
    options.joinTimeout = joinTimeout;
    return train::ProcessGroup::join(env, options);
}

} // namespace tb::engine
