// Parsing torchrun's environment variables (see dist_env.h).
#include "train/dist_env.h"

#include "common/error.h"

#include <cerrno>
#include <cstdlib>
#include <limits>

namespace tb::train {

namespace {

// The whole of `text` as an integer in [min, max], or an error naming the variable.
int parseInt(const std::string& name, const std::string& text, long min, long max, const std::string& expected)
{
    const auto fail = [&] { return Error(name + "=" + text + ": expected " + expected); };
    if (text.empty())
        throw fail();
    errno = 0;
    char* end = nullptr;
    const long value = std::strtol(text.c_str(), &end, 10);
    if (errno != 0 || end != text.c_str() + text.size() || value < min || value > max)
        throw fail();
    return static_cast<int>(value);
}

} // namespace

DistributedEnv parseTorchrunEnv(const EnvLookup& lookup)
{
    constexpr long kIntMax = std::numeric_limits<int>::max();
    DistributedEnv env;
    const auto rank = lookup("RANK");
    const auto world = lookup("WORLD_SIZE");
    if (rank.has_value() != world.has_value())
        throw Error(std::string(rank ? "RANK" : "WORLD_SIZE") + " is set but " + (rank ? "WORLD_SIZE" : "RANK") +
                    " is not: set both (or neither, for a single process)");
    if (world)
        env.worldSize = parseInt("WORLD_SIZE", *world, 1, kIntMax, "a positive integer");
    if (rank) {
        env.rank = parseInt("RANK", *rank, 0, kIntMax, "an integer 0 or more");
        if (env.rank >= env.worldSize)
            throw Error("RANK=" + *rank + " is not below WORLD_SIZE=" + *world);
    }
    env.localRank = env.rank;
    env.localWorldSize = env.worldSize;
    if (const auto v = lookup("LOCAL_WORLD_SIZE"))
        env.localWorldSize = parseInt("LOCAL_WORLD_SIZE", *v, 1, env.worldSize, "a positive integer up to WORLD_SIZE");
    if (const auto v = lookup("LOCAL_RANK")) {
        env.localRank = parseInt("LOCAL_RANK", *v, 0, kIntMax, "an integer 0 or more");
        if (env.localRank >= env.localWorldSize)
            throw Error("LOCAL_RANK=" + *v + " is not below LOCAL_WORLD_SIZE=" + std::to_string(env.localWorldSize));
    }
    if (const auto v = lookup("MASTER_ADDR")) {
        if (v->empty())
            throw Error("MASTER_ADDR is empty: expected the host name or address of rank 0");
        env.masterAddr = *v;
    }
    if (const auto v = lookup("MASTER_PORT"))
        env.masterPort = parseInt("MASTER_PORT", *v, 1, 65535, "a port 1-65535");
    return env;
}

DistributedEnv readTorchrunEnv()
{
    return parseTorchrunEnv([](const std::string& name) -> std::optional<std::string> {
        if (const char* v = std::getenv(name.c_str()))
            return std::string(v);
        return std::nullopt;
    });
}

} // namespace tb::train
