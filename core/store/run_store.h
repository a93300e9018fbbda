#pragma once
// The run history: one SQLite file holding runs, their metric series,
// checkpoints and artifacts, datasets, and evaluation results.
//
// RunStore is one connection used from one thread (the GUI's history views,
// the CLI). A training job writes through RunWriter (run_writer.h) on its own
// connection and thread; the file is in WAL mode, so readers see every
// committed transaction while a writer is active.
//
// Times are milliseconds since the Unix epoch; 0 means "not yet".
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tb::store {

using RunId = int64_t;

enum class RunStatus { Queued, Running, Paused, Completed, Failed, Cancelled, Interrupted };

std::string_view runStatusName(RunStatus status); // "queued", "running", ...
// Throws tb::Error listing the accepted names.
RunStatus runStatusFromName(std::string_view name);

// $XDG_DATA_HOME/tunebench/runs.sqlite, else ~/.local/share/tunebench/runs.sqlite.
std::string defaultStorePath();

int64_t nowMs();

struct NewRun {
    std::string name;
    std::string baseModel;
    std::string method;           // "lora", "full", ...
    std::string configJson = "{}"; // the full RunConfig; must be valid JSON
};

struct Run {
    RunId id = 0;
    std::string name;
    RunStatus status = RunStatus::Queued;
    std::string baseModel;
    std::string method;
    std::string configJson;
    int64_t createdAt = 0;
    int64_t startedAt = 0;
    int64_t finishedAt = 0;
    std::string errorMessage;
    int64_t ownerPid = 0; // the process that last set the run running/paused
    std::string ownerHost;
};

enum class RunSortKey { Created, Name, Status, Method };

struct RunFilter {
    std::optional<RunStatus> status;
    std::string method;       // exact; empty = any
    std::string nameContains; // case-insensitive (ASCII) substring; empty = any
    RunSortKey sortBy = RunSortKey::Created;
    bool descending = true;
    int limit = 0; // 0 = no limit
};

struct MetricPoint {
    int64_t step = 0;
    std::string name;
    double value = 0; // NaN survives the round trip (a diverged loss is worth recording)
    int64_t wallTime = 0; // 0 on write = now
};

struct Checkpoint {
    int64_t id = 0;
    RunId run = 0;
    int64_t step = 0;
    std::string path;
    int64_t createdAt = 0;
    bool resumable = false; // holds optimiser state, so training can continue from it
};

struct Artifact {
    int64_t id = 0;
    RunId run = 0;
    std::string kind; // "adapter", "merged", "eval", ...
    std::string path;
    std::string metadataJson = "{}";
    int64_t createdAt = 0;
};

struct Dataset {
    int64_t id = 0;
    std::string path;
    std::string format; // "jsonl", "alpaca", ...
    std::string contentHash;
    std::string statsJson = "{}";
    int64_t createdAt = 0;
};

// One score: of a run (run != 0) or of a base model alone (run == 0).
struct Evaluation {
    int64_t id = 0;
    RunId run = 0;
    std::string baseModel;
    std::string suite;
    std::string task;
    std::string metric;
    double value = 0;
    int64_t createdAt = 0;
};

struct Generation {
    int64_t id = 0;
    int64_t evaluation = 0;
    std::string exampleId;
    std::string prompt;
    std::string reference;
    std::string output;
};

struct EvaluationFilter {
    std::optional<RunId> run;
    std::string baseModel; // empty = any
    std::string suite;     // empty = any
};

class RunStore {
public:
    // Opens (creating the file and its folder if needed), applies pending
    // schema migrations and marks runs of dead processes interrupted.
    // Throws tb::Error if the file is not a run store or is from a newer
    // Tunebench.
    explicit RunStore(const std::string& path);
    ~RunStore();
    RunStore(RunStore&&) noexcept;
    RunStore& operator=(RunStore&&) noexcept;
    RunStore(const RunStore&) = delete;
    RunStore& operator=(const RunStore&) = delete;

    const std::string& path() const;
    int schemaVersion() const;
    static int latestSchemaVersion();

    // Runs in status running/paused whose owning process on this host has
    // ended become interrupted. Returns how many changed. Runs owned by
    // another host are left alone: their pid cannot be checked from here.
    int recoverInterrupted();

    RunId createRun(const NewRun& run);
    Run run(RunId id) const; // throws tb::Error naming the id if absent
    std::optional<Run> findRun(RunId id) const;
    std::vector<Run> listRuns(const RunFilter& filter = {}) const;
    void renameRun(RunId id, const std::string& name);
    // Removes the run with its metrics, checkpoints, artifacts and
    // evaluations. Refuses a run that a live process is still running.
    void deleteRun(RunId id);
    // Running records this process as the owner and sets startedAt once;
    // completed/failed/cancelled/interrupted set finishedAt.
    void setStatus(RunId id, RunStatus status, const std::string& errorMessage = {});
    // A new queued run with the source's base model, method and config.
    // An empty name gives "<source name> (copy)".
    RunId cloneRun(RunId source, const std::string& name = {});

    void appendMetrics(RunId run, const std::vector<MetricPoint>& points);
    // Ordered by name, then step. An empty name returns every series.
    std::vector<MetricPoint> metrics(RunId run, const std::string& name = {}) const;
    std::vector<std::string> metricNames(RunId run) const;

    int64_t addCheckpoint(RunId run, int64_t step, const std::string& path, bool resumable);
    std::vector<Checkpoint> checkpoints(RunId run) const; // by step
    // The checkpoint with the highest step (resumable ones only by default).
    std::optional<Checkpoint> lastCheckpoint(RunId run, bool resumableOnly = true) const;

    int64_t addArtifact(const Artifact& artifact);
    std::vector<Artifact> artifacts(RunId run) const;

    // Recording the same path and content hash again updates the format and
    // stats and returns the existing id.
    int64_t recordDataset(const Dataset& dataset);
    std::optional<Dataset> findDataset(const std::string& contentHash) const;
    std::vector<Dataset> datasets() const;

    int64_t addEvaluation(const Evaluation& evaluation);
    std::vector<Evaluation> evaluations(const EvaluationFilter& filter = {}) const;
    int64_t addGeneration(const Generation& generation);
    std::vector<Generation> generations(int64_t evaluation) const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace tb::store
