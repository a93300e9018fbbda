#include "store/writes.h"

#include "common/error.h"
#include "common/text.h"
#include "store/connection.h"
#include "store/owner.h"

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include <filesystem>

namespace tb::store {

namespace {

// A run's error names a file and a line; a whole 50 MB line quoted in it
// helps nobody, so errors are cut to this many bytes.
constexpr size_t kMaxErrorBytes = 2000;

} // namespace

std::string absolutePath(const std::string& path)
{
    if (path.empty())
        return path;
    std::error_code ec;
    const std::filesystem::path absolute = std::filesystem::absolute(path, ec);
    return ec ? path : absolute.lexically_normal().string();
}

void runForRun(Connection& connection, Query& query, RunId run, const std::string& doing)
{
    try {
        query.run();
    } catch (const tb::Error&) {
        if (query.lastError() == SQLITE_CONSTRAINT_FOREIGNKEY)
            failNoSuchRun(connection, run, doing);
        throw;
    }
}

void failNoSuchRun(const Connection& connection, RunId id, const std::string& doing)
{
    connection.failPlain("no run with id " + std::to_string(id) + " (" + doing + ")");
}

void checkJson(const Connection& connection, const std::string& json, const std::string& what)
{
    if (!nlohmann::json::accept(json))
        connection.failPlain(what + " is not valid JSON: " + json.substr(0, 80));
}

void insertMetric(Connection& connection, RunId run, const MetricPoint& point)
{
    Query q(connection, "INSERT INTO metrics (run_id, step, name, value, wall_time) VALUES (?1, ?2, ?3, ?4, ?5)");
    q.bind(1, run).bind(2, point.step).bind(3, point.name).bind(4, point.value);
    q.bind(5, point.wallTime != 0 ? point.wallTime : nowMs());
    runForRun(connection, q, run, "writing metric '" + point.name + "' at step " + std::to_string(point.step));
}

void updateStatus(Connection& connection, RunId run, RunStatus status, const std::string& errorMessage)
{
    // The owner is whoever last made the run live, so recovery can tell
    // whether that process is gone; it stays recorded afterwards as history.
    // Not cached: a forked child must record its own pid.
    const ProcessIdentity self = currentProcess();
    Query q(connection, R"sql(
UPDATE runs SET
    status = ?1,
    error_message = ?2,
    started_at = CASE WHEN ?1 = 'running' AND started_at IS NULL THEN ?3 ELSE started_at END,
    finished_at = CASE WHEN ?1 IN ('completed', 'failed', 'cancelled', 'interrupted') THEN ?3 ELSE NULL END,
    owner_pid = CASE WHEN ?1 IN ('running', 'paused') THEN ?4 ELSE owner_pid END,
    owner_host = CASE WHEN ?1 IN ('running', 'paused') THEN ?5 ELSE owner_host END,
    owner_start = CASE WHEN ?1 IN ('running', 'paused') THEN ?6 ELSE owner_start END
WHERE id = ?7)sql");
    q.bind(1, std::string(runStatusName(status))).bind(2, cappedText(errorMessage, kMaxErrorBytes)).bind(3, nowMs());
    q.bind(4, self.pid).bind(5, self.host).bind(6, self.startTime).bind(7, run);
    q.run();
    if (connection.changes() == 0)
        failNoSuchRun(connection, run, "setting status " + std::string(runStatusName(status)));
}

int64_t insertCheckpoint(Connection& connection, RunId run, int64_t step, const std::string& path, bool resumable)
{
    Query q(connection,
            "INSERT INTO checkpoints (run_id, step, path, created_at, resumable) VALUES (?1, ?2, ?3, ?4, ?5)");
    q.bind(1, run).bind(2, step).bind(3, absolutePath(path)).bind(4, nowMs()).bind(5, int64_t(resumable));
    runForRun(connection, q, run, "adding checkpoint " + path);
    return connection.lastInsertId();
}

int64_t insertArtifact(Connection& connection, const Artifact& artifact)
{
    checkJson(connection, artifact.metadataJson, "metadata of artifact " + artifact.path);
    Query q(connection,
            "INSERT INTO artifacts (run_id, kind, path, metadata, created_at) VALUES (?1, ?2, ?3, ?4, ?5)");
    q.bind(1, artifact.run).bind(2, artifact.kind).bind(3, absolutePath(artifact.path)).bind(4, artifact.metadataJson);
    q.bind(5, artifact.createdAt != 0 ? artifact.createdAt : nowMs());
    runForRun(connection, q, artifact.run, "adding artifact " + artifact.path);
    return connection.lastInsertId();
}

} // namespace tb::store
