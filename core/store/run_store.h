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
#include <functional>
#include <map>
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
    int64_t taskEvaluation = 0; // the TaskEvaluation it belongs to (0 for scores recorded alone)
};

struct Generation {
    int64_t id = 0;
    int64_t evaluation = 0;     // one score row it explains; 0 when taskEvaluation is set
    std::string exampleId;
    std::string prompt;
    std::string reference;
    std::string output;
    int64_t taskEvaluation = 0;
    std::string scoresJson = "{}"; // per-example metric values, e.g. {"rougeL":0.5}
};

struct EvaluationFilter {
    std::optional<RunId> run; // 0 = the base model alone (with or without an adapter folder)
    std::string baseModel; // empty = any
    std::string suite;     // empty = any
    std::string task;      // empty = any
};

// One model x suite x task evaluation: the settings it ran with, its scores
// (Evaluation rows pointing at it) and its per-example outputs (Generation
// rows pointing at it). Newest first when listed.
struct TaskEvaluation {
    int64_t id = 0;
    RunId run = 0;               // 0: the base model alone
    std::string baseModel;       // the model path
    std::string adapter;         // an adapter folder evaluated without a run; empty otherwise
    std::string suite;
    std::string task;
    std::string kind;            // generate, multiple_choice, classification, perplexity
    std::string settingsJson = "{}"; // task spec, perturbation, generation options
    int64_t examples = 0;
    double seconds = 0;
    int64_t tokens = 0;
    int64_t createdAt = 0;       // 0 on write = now
};

// A task evaluation with its scores (metric -> value).
struct ScoredTask {
    TaskEvaluation evaluation;
    std::map<std::string, double> metrics;
};

// A stored forgetting analysis (eval/forgetting.h's report as JSON).
struct ForgettingRecord {
    int64_t id = 0;
    std::string suite;
    std::string name;
    std::string runsJson = "[]";   // the run ids of the stages, in order
    std::string reportJson = "{}";
    int64_t createdAt = 0;         // 0 on write = now
};

class RunStore {
public:
    // Opens (creating the file and its folder if needed), applies pending
    // schema migrations, marks runs of dead processes interrupted and makes
    // relative checkpoint/artifact paths of older files absolute (see
    // resolveStoredPath). Paths are stored absolute from then on.
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
    // Takes a run over to continue it in this process, in one transaction:
    // refuses (tb::Error) a run that a live process on this host is running
    // ("run 9 is running in process N"), a completed one and one without a
    // resumable checkpoint; otherwise marks it running here, deletes its
    // metrics after the last resumable checkpoint's step (the resumed run
    // replays those steps) and returns that checkpoint.
    Checkpoint claimForResume(RunId id);
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

    int64_t addTaskEvaluation(const TaskEvaluation& evaluation);
    std::vector<TaskEvaluation> taskEvaluations(const EvaluationFilter& filter = {}) const;
    std::optional<TaskEvaluation> findTaskEvaluation(int64_t id) const;
    // Removes it with its scores and generations.
    void deleteTaskEvaluation(int64_t id);
    // In one transaction (thousands of rows per task evaluation).
    void addGenerations(const std::vector<Generation>& generations);
    std::vector<Generation> taskGenerations(int64_t taskEvaluation) const; // in insertion order

    // The one "latest scores" query of the CLI and the GUI: for each task of
    // `filter` (a run, or with run 0 the base model `filter.baseModel` alone —
    // adapter-folder evaluations are not the base), the newest task
    // evaluation that `accept` takes (all when empty), with its scores.
    // filter.run must be set. Ordered by task name.
    std::vector<ScoredTask> latestScores(const EvaluationFilter& filter,
                                         const std::function<bool(const TaskEvaluation&)>& accept = {}) const;

    int64_t addForgettingReport(const ForgettingRecord& record);
    std::vector<ForgettingRecord> forgettingReports(const std::string& suite = {}) const; // newest first
    void deleteForgettingReport(int64_t id);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace tb::store
