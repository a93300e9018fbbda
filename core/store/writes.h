#pragma once
// Private to core/store: the writes that both RunStore and RunWriter make, so
// a status change means the same thing whichever connection makes it.
#include "store/run_store.h"

namespace tb::store {

class Connection;
class Query;

[[noreturn]] void failNoSuchRun(const Connection& connection, RunId id, const std::string& doing);

// Runs `query`, turning a foreign-key failure into "no run with id N (doing)".
void runForRun(Connection& connection, Query& query, RunId run, const std::string& doing);

void insertMetric(Connection& connection, RunId run, const MetricPoint& point);
void updateStatus(Connection& connection, RunId run, RunStatus status, const std::string& errorMessage);
int64_t insertCheckpoint(Connection& connection, RunId run, int64_t step, const std::string& path, bool resumable);
int64_t insertArtifact(Connection& connection, const Artifact& artifact);

// Paths are stored absolute (lexically normal), so the store means the same
// files whatever the working directory of the process reading it.
std::string absolutePath(const std::string& path);

// Throws tb::Error naming `what` unless `json` parses.
void checkJson(const Connection& connection, const std::string& json, const std::string& what);

} // namespace tb::store
