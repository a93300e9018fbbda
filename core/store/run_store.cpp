#include "store/run_store.h"

#include "common/error.h"
#include "store/connection.h"
#include "store/owner.h"
#include "store/schema.h"
#include "store/writes.h"

#include <sqlite3.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

namespace tb::store {

namespace {

constexpr const char* kStatusNames[] = {"queued", "running", "paused", "completed",
                                        "failed", "cancelled", "interrupted"};

constexpr const char* kRunColumns = "id, name, status, base_model, method, config, created_at, started_at, "
                                    "finished_at, error_message, owner_pid, owner_host";

Run readRun(const Query& q)
{
    Run run;
    run.id = q.int64(0);
    run.name = q.text(1);
    run.status = runStatusFromName(q.text(2));
    run.baseModel = q.text(3);
    run.method = q.text(4);
    run.configJson = q.text(5);
    run.createdAt = q.int64(6);
    run.startedAt = q.int64(7); // NULL reads as 0
    run.finishedAt = q.int64(8);
    run.errorMessage = q.text(9);
    run.ownerPid = q.int64(10);
    run.ownerHost = q.text(11);
    return run;
}

Checkpoint readCheckpoint(const Query& q)
{
    Checkpoint c;
    c.id = q.int64(0);
    c.run = q.int64(1);
    c.step = q.int64(2);
    c.path = q.text(3);
    c.createdAt = q.int64(4);
    c.resumable = q.int64(5) != 0;
    return c;
}

Dataset readDataset(const Query& q)
{
    Dataset d;
    d.id = q.int64(0);
    d.path = q.text(1);
    d.format = q.text(2);
    d.contentHash = q.text(3);
    d.statsJson = q.text(4);
    d.createdAt = q.int64(5);
    return d;
}

// LIKE treats % and _ as wildcards; a name filter means them literally.
std::string likeEscaped(const std::string& text)
{
    std::string out;
    for (char c : text) {
        if (c == '%' || c == '_' || c == '\\')
            out.push_back('\\');
        out.push_back(c);
    }
    return out;
}

const char* sortColumn(RunSortKey key)
{
    switch (key) {
    case RunSortKey::Name: return "name COLLATE NOCASE";
    case RunSortKey::Status: return "status";
    case RunSortKey::Method: return "method";
    case RunSortKey::Created: break;
    }
    return "created_at";
}

// Stores written before paths were made absolute hold them relative to the
// working directory of the process that trained, which is not recorded. That
// directory is the store's folder or one above it (the default run folder is
// beside the store), so the first of those under which the path exists is
// taken; without one, the store's folder.
std::string resolveStoredPath(const std::string& storePath, const std::string& path)
{
    namespace fs = std::filesystem;
    if (path.empty() || fs::path(path).is_absolute())
        return path;
    std::error_code ec;
    const fs::path storeDir = fs::absolute(storePath, ec).parent_path();
    for (fs::path dir = storeDir; !dir.empty(); dir = dir.parent_path()) {
        const fs::path candidate = (dir / path).lexically_normal();
        if (fs::exists(candidate, ec))
            return candidate.string();
        if (dir == dir.root_path())
            break;
    }
    return (storeDir / path).lexically_normal().string();
}

// The state of a run that decides whether another process may take it over.
struct Ownership {
    RunStatus status = RunStatus::Queued;
    int64_t pid = 0;
    bool liveElsewhere = false; // running/paused by a live process on this host
};

Ownership ownership(Connection& c, RunId id, const std::string& doing)
{
    Query q(c, "SELECT status, owner_pid, owner_host, owner_start FROM runs WHERE id = ?1");
    q.bind(1, id);
    if (!q.next())
        failNoSuchRun(c, id, doing);
    Ownership o;
    o.status = runStatusFromName(q.text(0));
    o.pid = q.int64(1);
    const bool live = o.status == RunStatus::Running || o.status == RunStatus::Paused;
    o.liveElsewhere = live && q.text(2) == hostName() && isProcessAlive(o.pid, q.int64(3));
    return o;
}

std::string liveRunMessage(RunId id, const Ownership& o)
{
    return "run " + std::to_string(id) + " is " + std::string(runStatusName(o.status)) + " in process "
        + std::to_string(o.pid);
}

} // namespace

std::string_view runStatusName(RunStatus status) { return kStatusNames[int(status)]; }

RunStatus runStatusFromName(std::string_view name)
{
    for (int i = 0; i < int(std::size(kStatusNames)); ++i)
        if (name == kStatusNames[i])
            return RunStatus(i);
    throw tb::Error("run status: expected one of queued, running, paused, completed, failed, cancelled, "
                    "interrupted; found '" + std::string(name) + "'");
}

std::string defaultStorePath()
{
    // XDG Base Directory spec: a relative XDG_DATA_HOME is invalid and ignored.
    const char* dataHome = std::getenv("XDG_DATA_HOME");
    std::string base;
    if (dataHome && dataHome[0] == '/') {
        base = dataHome;
    } else {
        const char* home = std::getenv("HOME");
        if (!home || !home[0])
            throw tb::Error("run store: neither XDG_DATA_HOME nor HOME is set; pass a store path explicitly");
        base = std::string(home) + "/.local/share";
    }
    return base + "/tunebench/runs.sqlite";
}

int64_t nowMs()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

struct RunStore::Impl {
    explicit Impl(const std::string& path) : connection(path) {}

    // For reads that return nothing: tells "no rows yet" from "no such run".
    void requireRun(RunId id, const std::string& doing)
    {
        Query q(connection, "SELECT 1 FROM runs WHERE id = ?1");
        q.bind(1, id);
        if (!q.next())
            failNoSuchRun(connection, id, doing);
    }

    // Older stores hold paths relative to the trainer's working directory:
    // rewrite them absolute once. A store that cannot be written (read-only
    // file) keeps them; reads resolve them the same way.
    void absolutizeStoredPaths()
    {
        struct Row {
            const char* table;
            int64_t id;
            std::string path;
        };
        std::vector<Row> rows;
        for (const char* table : {"checkpoints", "artifacts"}) {
            const std::string sql = std::string("SELECT id, path FROM ") + table
                + " WHERE path <> '' AND substr(path, 1, 1) <> '/'";
            Query q(connection, sql.c_str());
            while (q.next())
                rows.push_back({table, q.int64(0), q.text(1)});
        }
        if (rows.empty())
            return; // the common case takes no write lock
        try {
            Transaction transaction(connection);
            for (const Row& row : rows) {
                const std::string sql = std::string("UPDATE ") + row.table + " SET path = ?1 WHERE id = ?2";
                Query q(connection, sql.c_str());
                q.bind(1, resolveStoredPath(connection.path(), row.path)).bind(2, row.id);
                q.run();
            }
            transaction.commit();
        } catch (const tb::Error&) {
        }
    }

    std::string resolved(const std::string& path) const { return resolveStoredPath(connection.path(), path); }

    Connection connection;
};

RunStore::RunStore(const std::string& path) : m_impl(std::make_unique<Impl>(path))
{
    recoverInterrupted();
    m_impl->absolutizeStoredPaths();
}

RunStore::~RunStore() = default;
RunStore::RunStore(RunStore&&) noexcept = default;
RunStore& RunStore::operator=(RunStore&&) noexcept = default;

const std::string& RunStore::path() const { return m_impl->connection.path(); }

int RunStore::schemaVersion() const { return m_impl->connection.schemaVersion(); }

int RunStore::latestSchemaVersion() { return store::latestSchemaVersion(); }

int RunStore::recoverInterrupted()
{
    Connection& c = m_impl->connection;
    struct Orphan {
        RunId id;
        int64_t pid;
    };
    std::vector<Orphan> orphans;
    const std::string host = hostName();
    {
        Query q(c, "SELECT id, owner_pid, owner_start FROM runs "
                   "WHERE status IN ('running', 'paused') AND owner_host = ?1");
        q.bind(1, host);
        while (q.next())
            if (!isProcessAlive(q.int64(1), q.int64(2)))
                orphans.push_back({q.int64(0), q.int64(1)});
    }
    if (orphans.empty())
        return 0; // the common case takes no write lock

    int changed = 0;
    Transaction transaction(c);
    for (const Orphan& orphan : orphans) {
        // The status and pid conditions leave alone a run that its owner (or
        // a resumed process) changed since the SELECT.
        Query q(c, "UPDATE runs SET status = 'interrupted', finished_at = ?1, error_message = ?2 "
                   "WHERE id = ?3 AND status IN ('running', 'paused') AND owner_pid = ?4");
        q.bind(1, nowMs());
        q.bind(2, "process " + std::to_string(orphan.pid) + " on " + host + " ended without finishing the run");
        q.bind(3, orphan.id).bind(4, orphan.pid);
        q.run();
        changed += int(c.changes());
    }
    transaction.commit();
    return changed;
}

RunId RunStore::createRun(const NewRun& run)
{
    Connection& c = m_impl->connection;
    const std::string config = run.configJson.empty() ? "{}" : run.configJson;
    checkJson(c, config, "config of run '" + run.name + "'");
    Query q(c, "INSERT INTO runs (name, status, base_model, method, config, created_at) "
               "VALUES (?1, 'queued', ?2, ?3, ?4, ?5)");
    q.bind(1, run.name).bind(2, run.baseModel).bind(3, run.method).bind(4, config).bind(5, nowMs());
    q.run();
    return c.lastInsertId();
}

std::optional<Run> RunStore::findRun(RunId id) const
{
    const std::string sql = std::string("SELECT ") + kRunColumns + " FROM runs WHERE id = ?1";
    Query q(m_impl->connection, sql.c_str());
    q.bind(1, id);
    if (!q.next())
        return std::nullopt;
    return readRun(q);
}

Run RunStore::run(RunId id) const
{
    std::optional<Run> found = findRun(id);
    if (!found)
        failNoSuchRun(m_impl->connection, id, "reading the run");
    return *found;
}

std::vector<Run> RunStore::listRuns(const RunFilter& filter) const
{
    // One statement per sort order; the filters are parameters that switch
    // themselves off when empty.
    const std::string sql = std::string("SELECT ") + kRunColumns + " FROM runs"
        + " WHERE (?1 IS NULL OR status = ?1) AND (?2 = '' OR method = ?2)"
        + " AND (?3 = '' OR name LIKE '%' || ?3 || '%' ESCAPE '\\')"
        + " ORDER BY " + sortColumn(filter.sortBy) + (filter.descending ? " DESC" : " ASC")
        + ", id" + (filter.descending ? " DESC" : " ASC") + " LIMIT ?4";
    Query q(m_impl->connection, sql.c_str());
    if (filter.status)
        q.bind(1, std::string(runStatusName(*filter.status)));
    else
        q.bindNull(1);
    q.bind(2, filter.method).bind(3, likeEscaped(filter.nameContains));
    q.bind(4, int64_t(filter.limit > 0 ? filter.limit : -1));
    std::vector<Run> runs;
    while (q.next())
        runs.push_back(readRun(q));
    return runs;
}

void RunStore::renameRun(RunId id, const std::string& name)
{
    Connection& c = m_impl->connection;
    Query q(c, "UPDATE runs SET name = ?1 WHERE id = ?2");
    q.bind(1, name).bind(2, id);
    q.run();
    if (c.changes() == 0)
        failNoSuchRun(c, id, "renaming to '" + name + "'");
}

void RunStore::deleteRun(RunId id)
{
    Connection& c = m_impl->connection;
    const Ownership owner = ownership(c, id, "deleting");
    if (owner.liveElsewhere)
        c.failPlain(liveRunMessage(id, owner) + "; cancel it before deleting");
    // Metrics, checkpoints, artifacts and evaluations go with it (ON DELETE CASCADE).
    Query q(c, "DELETE FROM runs WHERE id = ?1");
    q.bind(1, id);
    q.run();
}

void RunStore::setStatus(RunId id, RunStatus status, const std::string& errorMessage)
{
    updateStatus(m_impl->connection, id, status, errorMessage);
}

Checkpoint RunStore::claimForResume(RunId id)
{
    Connection& c = m_impl->connection;
    Transaction transaction(c); // the checks and the claim see the same state
    const Ownership owner = ownership(c, id, "resuming");
    if (owner.liveElsewhere)
        c.failPlain(liveRunMessage(id, owner) + "; wait for it to end or cancel it before resuming");
    if (owner.status == RunStatus::Completed)
        c.failPlain("run " + std::to_string(id) + " already completed; nothing to resume "
                    "(export it, or clone it to train again)");
    const std::optional<Checkpoint> checkpoint = lastCheckpoint(id);
    if (!checkpoint)
        c.failPlain("run " + std::to_string(id) + " has no resumable checkpoint; start it again instead");
    updateStatus(c, id, RunStatus::Running, {});
    Query q(c, "DELETE FROM metrics WHERE run_id = ?1 AND step > ?2");
    q.bind(1, id).bind(2, checkpoint->step);
    q.run();
    transaction.commit();
    return *checkpoint;
}

RunId RunStore::cloneRun(RunId source, const std::string& name)
{
    Connection& c = m_impl->connection;
    Query q(c, "INSERT INTO runs (name, status, base_model, method, config, created_at) "
               "SELECT COALESCE(NULLIF(?1, ''), name || ' (copy)'), 'queued', base_model, method, config, ?2 "
               "FROM runs WHERE id = ?3");
    q.bind(1, name).bind(2, nowMs()).bind(3, source);
    q.run();
    if (c.changes() == 0)
        failNoSuchRun(c, source, "cloning");
    return c.lastInsertId();
}

void RunStore::appendMetrics(RunId run, const std::vector<MetricPoint>& points)
{
    Connection& c = m_impl->connection;
    Transaction transaction(c);
    for (const MetricPoint& point : points)
        insertMetric(c, run, point);
    transaction.commit();
}

std::vector<MetricPoint> RunStore::metrics(RunId run, const std::string& name) const
{
    // Two statements rather than "(?2 = '' OR name = ?2)", so the named case
    // uses the whole (run_id, name, step) index.
    Query q(m_impl->connection,
            name.empty() ? "SELECT step, name, value, wall_time FROM metrics WHERE run_id = ?1 "
                           "ORDER BY name, step, rowid"
                         : "SELECT step, name, value, wall_time FROM metrics WHERE run_id = ?1 AND name = ?2 "
                           "ORDER BY step, rowid");
    q.bind(1, run);
    if (!name.empty())
        q.bind(2, name);
    std::vector<MetricPoint> points;
    while (q.next())
        points.push_back({q.int64(0), q.text(1), q.real(2), q.int64(3)});
    if (points.empty())
        m_impl->requireRun(run, "reading metrics");
    return points;
}

std::vector<std::string> RunStore::metricNames(RunId run) const
{
    Query q(m_impl->connection, "SELECT DISTINCT name FROM metrics WHERE run_id = ?1 ORDER BY name");
    q.bind(1, run);
    std::vector<std::string> names;
    while (q.next())
        names.push_back(q.text(0));
    if (names.empty())
        m_impl->requireRun(run, "reading metric names");
    return names;
}

int64_t RunStore::addCheckpoint(RunId run, int64_t step, const std::string& path, bool resumable)
{
    return insertCheckpoint(m_impl->connection, run, step, path, resumable);
}

std::vector<Checkpoint> RunStore::checkpoints(RunId run) const
{
    Query q(m_impl->connection, "SELECT id, run_id, step, path, created_at, resumable FROM checkpoints "
                                "WHERE run_id = ?1 ORDER BY step, id");
    q.bind(1, run);
    std::vector<Checkpoint> list;
    while (q.next()) {
        list.push_back(readCheckpoint(q));
        list.back().path = m_impl->resolved(list.back().path);
    }
    if (list.empty())
        m_impl->requireRun(run, "reading checkpoints");
    return list;
}

std::optional<Checkpoint> RunStore::lastCheckpoint(RunId run, bool resumableOnly) const
{
    Query q(m_impl->connection, "SELECT id, run_id, step, path, created_at, resumable FROM checkpoints "
                                "WHERE run_id = ?1 AND (resumable OR NOT ?2) ORDER BY step DESC, id DESC LIMIT 1");
    q.bind(1, run).bind(2, int64_t(resumableOnly));
    if (q.next()) {
        Checkpoint c = readCheckpoint(q);
        c.path = m_impl->resolved(c.path);
        return c;
    }
    m_impl->requireRun(run, "reading the last checkpoint");
    return std::nullopt;
}

int64_t RunStore::addArtifact(const Artifact& artifact)
{
    return insertArtifact(m_impl->connection, artifact);
}

std::vector<Artifact> RunStore::artifacts(RunId run) const
{
    Query q(m_impl->connection, "SELECT id, run_id, kind, path, metadata, created_at FROM artifacts "
                                "WHERE run_id = ?1 ORDER BY id");
    q.bind(1, run);
    std::vector<Artifact> list;
    while (q.next())
        list.push_back({q.int64(0), q.int64(1), q.text(2), m_impl->resolved(q.text(3)), q.text(4), q.int64(5)});
    if (list.empty())
        m_impl->requireRun(run, "reading artifacts");
    return list;
}

int64_t RunStore::recordDataset(const Dataset& dataset)
{
    Connection& c = m_impl->connection;
    const std::string stats = dataset.statsJson.empty() ? "{}" : dataset.statsJson;
    checkJson(c, stats, "stats of dataset " + dataset.path);
    Query q(c, "INSERT INTO datasets (path, format, content_hash, stats, created_at) VALUES (?1, ?2, ?3, ?4, ?5) "
               "ON CONFLICT (path, content_hash) DO UPDATE SET format = excluded.format, stats = excluded.stats "
               "RETURNING id");
    q.bind(1, absolutePath(dataset.path)).bind(2, dataset.format).bind(3, dataset.contentHash).bind(4, stats);
    q.bind(5, dataset.createdAt != 0 ? dataset.createdAt : nowMs());
    if (!q.next())
        c.failPlain("recording dataset " + dataset.path + " returned no id");
    const int64_t id = q.int64(0);
    q.run(); // finishes the autocommit here, where a failure can still be reported
    return id;
}

std::optional<Dataset> RunStore::findDataset(const std::string& contentHash) const
{
    Query q(m_impl->connection, "SELECT id, path, format, content_hash, stats, created_at FROM datasets "
                                "WHERE content_hash = ?1 ORDER BY id DESC LIMIT 1");
    q.bind(1, contentHash);
    if (!q.next())
        return std::nullopt;
    return readDataset(q);
}

std::vector<Dataset> RunStore::datasets() const
{
    Query q(m_impl->connection, "SELECT id, path, format, content_hash, stats, created_at FROM datasets ORDER BY id");
    std::vector<Dataset> list;
    while (q.next())
        list.push_back(readDataset(q));
    return list;
}

namespace {

void bindRunOrNull(Query& q, int index, RunId run)
{
    if (run != 0)
        q.bind(index, run);
    else
        q.bindNull(index);
}

void bindIdOrNull(Query& q, int index, int64_t id)
{
    if (id != 0)
        q.bind(index, id);
    else
        q.bindNull(index);
}

constexpr const char* kEvaluationColumns = "id, run_id, base_model, suite, task, metric, value, created_at, "
                                           "task_evaluation_id";
constexpr const char* kGenerationColumns = "id, evaluation_id, example_id, prompt, reference, output, "
                                           "task_evaluation_id, scores";
constexpr const char* kTaskEvaluationColumns = "id, run_id, base_model, adapter, suite, task, kind, settings, "
                                               "examples, seconds, tokens, created_at";

Evaluation readEvaluation(const Query& q)
{
    return {q.int64(0), q.int64(1), q.text(2), q.text(3), q.text(4), q.text(5), q.real(6), q.int64(7), q.int64(8)};
}

Generation readGeneration(const Query& q)
{
    return {q.int64(0), q.int64(1), q.text(2), q.text(3), q.text(4), q.text(5), q.int64(6), q.text(7)};
}

TaskEvaluation readTaskEvaluation(const Query& q)
{
    TaskEvaluation t;
    t.id = q.int64(0);
    t.run = q.int64(1);
    t.baseModel = q.text(2);
    t.adapter = q.text(3);
    t.suite = q.text(4);
    t.task = q.text(5);
    t.kind = q.text(6);
    t.settingsJson = q.text(7);
    t.examples = q.int64(8);
    t.seconds = q.real(9);
    t.tokens = q.int64(10);
    t.createdAt = q.int64(11);
    return t;
}

std::string sqlWith(const char* head, const char* columns, const char* tail)
{
    return std::string(head) + columns + tail;
}

std::string sqlWith(const char* head, const char* columns, const char* middle, const char* where, const char* tail)
{
    return std::string(head) + columns + middle + where + tail;
}

// EvaluationFilter as SQL, for the scores and the task evaluations alike:
// each condition switches itself off when its parameter is NULL or empty.
constexpr const char* kFilterWhere = "(?1 IS NULL OR coalesce(run_id, 0) = ?1) AND (?2 = '' OR base_model = ?2) "
                                     "AND (?3 = '' OR suite = ?3) AND (?4 = '' OR task = ?4)";

void bindFilter(Query& q, const EvaluationFilter& filter)
{
    if (filter.run)
        q.bind(1, *filter.run);
    else
        q.bindNull(1);
    q.bind(2, filter.baseModel).bind(3, filter.suite).bind(4, filter.task);
}

void insertGeneration(Connection& c, const Generation& g)
{
    if (g.evaluation == 0 && g.taskEvaluation == 0)
        c.failPlain("generation for example '" + g.exampleId
                    + "': expected an evaluation or task evaluation id, found neither");
    const std::string scores = g.scoresJson.empty() ? "{}" : g.scoresJson;
    checkJson(c, scores, "scores of example '" + g.exampleId + "'");
    Query q(c, "INSERT INTO generations (evaluation_id, task_evaluation_id, example_id, prompt, reference, output, "
               "scores) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    bindIdOrNull(q, 1, g.evaluation);
    bindIdOrNull(q, 2, g.taskEvaluation);
    q.bind(3, g.exampleId).bind(4, g.prompt).bind(5, g.reference).bind(6, g.output).bind(7, scores);
    try {
        q.run();
    } catch (const tb::Error&) {
        if (q.lastError() == SQLITE_CONSTRAINT_FOREIGNKEY)
            c.failPlain("no " + std::string(g.evaluation ? "evaluation" : "task evaluation") + " with id "
                        + std::to_string(g.evaluation ? g.evaluation : g.taskEvaluation)
                        + " (adding generation for example '" + g.exampleId + "')");
        throw;
    }
}

} // namespace

int64_t RunStore::addEvaluation(const Evaluation& e)
{
    Connection& c = m_impl->connection;
    if (e.run == 0 && e.baseModel.empty())
        c.failPlain("evaluation " + e.suite + "/" + e.task + "/" + e.metric
                    + ": expected a run id or a base model, found neither");
    Query q(c, "INSERT INTO evaluations (run_id, base_model, suite, task, metric, value, created_at, "
               "task_evaluation_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    bindRunOrNull(q, 1, e.run);
    q.bind(2, e.baseModel).bind(3, e.suite).bind(4, e.task).bind(5, e.metric).bind(6, e.value);
    q.bind(7, e.createdAt != 0 ? e.createdAt : nowMs());
    bindIdOrNull(q, 8, e.taskEvaluation);
    try {
        runForRun(c, q, e.run, "adding evaluation " + e.suite + "/" + e.task);
    } catch (const tb::Error&) {
        if (q.lastError() == SQLITE_CONSTRAINT_FOREIGNKEY && e.taskEvaluation != 0 && !findTaskEvaluation(e.taskEvaluation))
            c.failPlain("no task evaluation with id " + std::to_string(e.taskEvaluation) + " (adding score "
                        + e.metric + ")");
        throw;
    }
    return c.lastInsertId();
}

std::vector<Evaluation> RunStore::evaluations(const EvaluationFilter& filter) const
{
    static const std::string sql = sqlWith(
        "SELECT ", kEvaluationColumns,
        " FROM evaluations WHERE ", kFilterWhere, " ORDER BY id");
    Query q(m_impl->connection, sql.c_str());
    bindFilter(q, filter);
    std::vector<Evaluation> list;
    while (q.next())
        list.push_back(readEvaluation(q));
    return list;
}

int64_t RunStore::addGeneration(const Generation& g)
{
    Connection& c = m_impl->connection;
    insertGeneration(c, g);
    return c.lastInsertId();
}

void RunStore::addGenerations(const std::vector<Generation>& generations)
{
    Connection& c = m_impl->connection;
    Transaction transaction(c);
    for (const Generation& g : generations)
        insertGeneration(c, g);
    transaction.commit();
}

std::vector<Generation> RunStore::generations(int64_t evaluation) const
{
    static const std::string sql =
        sqlWith("SELECT ", kGenerationColumns, " FROM generations WHERE evaluation_id = ?1 ORDER BY id");
    Query q(m_impl->connection, sql.c_str());
    q.bind(1, evaluation);
    std::vector<Generation> list;
    while (q.next())
        list.push_back(readGeneration(q));
    return list;
}

std::vector<Generation> RunStore::taskGenerations(int64_t taskEvaluation) const
{
    static const std::string sql =
        sqlWith("SELECT ", kGenerationColumns, " FROM generations WHERE task_evaluation_id = ?1 ORDER BY id");
    Query q(m_impl->connection, sql.c_str());
    q.bind(1, taskEvaluation);
    std::vector<Generation> list;
    while (q.next())
        list.push_back(readGeneration(q));
    return list;
}

int64_t RunStore::addTaskEvaluation(const TaskEvaluation& t)
{
    Connection& c = m_impl->connection;
    if (t.run == 0 && t.baseModel.empty())
        c.failPlain("task evaluation " + t.suite + "/" + t.task + ": expected a run id or a base model, found neither");
    const std::string settings = t.settingsJson.empty() ? "{}" : t.settingsJson;
    checkJson(c, settings, "settings of task evaluation " + t.suite + "/" + t.task);
    Query q(c, "INSERT INTO task_evaluations (run_id, base_model, adapter, suite, task, kind, settings, examples, "
               "seconds, tokens, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
    bindRunOrNull(q, 1, t.run);
    q.bind(2, t.baseModel).bind(3, t.adapter).bind(4, t.suite).bind(5, t.task).bind(6, t.kind).bind(7, settings);
    q.bind(8, t.examples).bind(9, t.seconds).bind(10, t.tokens);
    q.bind(11, t.createdAt != 0 ? t.createdAt : nowMs());
    runForRun(c, q, t.run, "adding task evaluation " + t.suite + "/" + t.task);
    return c.lastInsertId();
}

std::vector<TaskEvaluation> RunStore::taskEvaluations(const EvaluationFilter& filter) const
{
    static const std::string sql = sqlWith(
        "SELECT ", kTaskEvaluationColumns,
        " FROM task_evaluations WHERE ", kFilterWhere,
                                           " ORDER BY created_at DESC, id DESC");
    Query q(m_impl->connection, sql.c_str());
    bindFilter(q, filter);
    std::vector<TaskEvaluation> list;
    while (q.next())
        list.push_back(readTaskEvaluation(q));
    return list;
}

std::vector<ScoredTask> RunStore::latestScores(const EvaluationFilter& filter,
                                               const std::function<bool(const TaskEvaluation&)>& accept) const
{
    if (!filter.run)
        m_impl->connection.failPlain("latest scores: expected a run id (0 for a base model alone), found none");
    std::map<std::string, ScoredTask> byTask;
    for (auto& t : taskEvaluations(filter)) { // newest first: the first accepted one per task wins
        if (byTask.count(t.task) || (*filter.run == 0 && !t.adapter.empty()) || (accept && !accept(t)))
            continue;
        byTask[t.task].evaluation = std::move(t);
    }
    if (!byTask.empty())
        for (const auto& e : evaluations(filter)) {
            const auto it = byTask.find(e.task);
            if (it != byTask.end() && e.taskEvaluation == it->second.evaluation.id)
                it->second.metrics[e.metric] = e.value;
        }
    std::vector<ScoredTask> out;
    for (auto& [task, scored] : byTask)
        out.push_back(std::move(scored));
    return out;
}

std::optional<TaskEvaluation> RunStore::findTaskEvaluation(int64_t id) const
{
    static const std::string sql = sqlWith("SELECT ", kTaskEvaluationColumns, " FROM task_evaluations WHERE id = ?1");
    Query q(m_impl->connection, sql.c_str());
    q.bind(1, id);
    if (!q.next())
        return std::nullopt;
    return readTaskEvaluation(q);
}

void RunStore::deleteTaskEvaluation(int64_t id)
{
    // Its scores and generations go with it (ON DELETE CASCADE).
    Query q(m_impl->connection, "DELETE FROM task_evaluations WHERE id = ?1");
    q.bind(1, id);
    q.run();
}

int64_t RunStore::addForgettingReport(const ForgettingRecord& r)
{
    Connection& c = m_impl->connection;
    const std::string runs = r.runsJson.empty() ? "[]" : r.runsJson;
    const std::string report = r.reportJson.empty() ? "{}" : r.reportJson;
    checkJson(c, runs, "runs of forgetting report '" + r.name + "'");
    checkJson(c, report, "forgetting report '" + r.name + "'");
    Query q(c, "INSERT INTO forgetting_reports (suite, name, runs, report, created_at) VALUES (?1, ?2, ?3, ?4, ?5)");
    q.bind(1, r.suite).bind(2, r.name).bind(3, runs).bind(4, report);
    q.bind(5, r.createdAt != 0 ? r.createdAt : nowMs());
    q.run();
    return c.lastInsertId();
}

std::vector<ForgettingRecord> RunStore::forgettingReports(const std::string& suite) const
{
    Query q(m_impl->connection, "SELECT id, suite, name, runs, report, created_at FROM forgetting_reports "
                                "WHERE (?1 = '' OR suite = ?1) ORDER BY created_at DESC, id DESC");
    q.bind(1, suite);
    std::vector<ForgettingRecord> list;
    while (q.next())
        list.push_back({q.int64(0), q.text(1), q.text(2), q.text(3), q.text(4), q.int64(5)});
    return list;
}

void RunStore::deleteForgettingReport(int64_t id)
{
    Query q(m_impl->connection, "DELETE FROM forgetting_reports WHERE id = ?1");
    q.bind(1, id);
    q.run();
}

} // namespace tb::store
