#include "store/schema.h"

#include "store/connection.h"

#include <string>

namespace tb::store {

namespace {

// 'TBRS' in PRAGMA application_id marks the file as ours (see
// https://www.sqlite.org/fileformat.html#application_id).
constexpr int kApplicationId = 0x54425253;

// Migration i (1-based) takes the file from version i-1 to i. A shipped
// migration is never edited: users have files made by it. Append a new one.
const char* const kMigrations[] = {
    // 1: runs with their metrics, checkpoints and artifacts; datasets.
    R"sql(
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN
        ('queued', 'running', 'paused', 'completed', 'failed', 'cancelled', 'interrupted')),
    base_model TEXT NOT NULL DEFAULT '',
    method TEXT NOT NULL DEFAULT '',
    config TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER,
    error_message TEXT NOT NULL DEFAULT '',
    owner_pid INTEGER,
    owner_host TEXT,
    -- Process start time from /proc, so a recycled pid is not taken for the owner.
    owner_start INTEGER
);
CREATE INDEX runs_by_status ON runs(status);

-- value is NULL for NaN: SQLite cannot store NaN as a REAL.
CREATE TABLE metrics (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    name TEXT NOT NULL,
    value REAL,
    wall_time INTEGER NOT NULL
);
CREATE INDEX metrics_by_run ON metrics(run_id, name, step);

CREATE TABLE checkpoints (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step INTEGER NOT NULL,
    path TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    resumable INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX checkpoints_by_run ON checkpoints(run_id, step);

CREATE TABLE artifacts (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    path TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL
);
CREATE INDEX artifacts_by_run ON artifacts(run_id);

CREATE TABLE datasets (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL,
    format TEXT NOT NULL DEFAULT '',
    content_hash TEXT NOT NULL,
    stats TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    UNIQUE (path, content_hash)
);
CREATE INDEX datasets_by_hash ON datasets(content_hash);
)sql",
    // 2: evaluation scores and the generations behind them.
    R"sql(
CREATE TABLE evaluations (
    id INTEGER PRIMARY KEY,
    run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
    base_model TEXT NOT NULL DEFAULT '',
    suite TEXT NOT NULL,
    task TEXT NOT NULL DEFAULT '',
    metric TEXT NOT NULL,
    value REAL,
    created_at INTEGER NOT NULL,
    CHECK (run_id IS NOT NULL OR base_model <> '')
);
CREATE INDEX evaluations_by_run ON evaluations(run_id);
CREATE INDEX evaluations_by_suite ON evaluations(suite, task);

CREATE TABLE generations (
    id INTEGER PRIMARY KEY,
    evaluation_id INTEGER NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
    example_id TEXT NOT NULL DEFAULT '',
    prompt TEXT NOT NULL DEFAULT '',
    reference TEXT NOT NULL DEFAULT '',
    output TEXT NOT NULL DEFAULT ''
);
CREATE INDEX generations_by_evaluation ON generations(evaluation_id);
)sql",
    // 3: task evaluations group one model x suite x task's scores and
    // per-example outputs (with per-example scores, so old generations can be
    // rescored); generations may belong to a task evaluation instead of one
    // score row; stored forgetting analyses.
    R"sql(
CREATE TABLE task_evaluations (
    id INTEGER PRIMARY KEY,
    run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
    base_model TEXT NOT NULL DEFAULT '',
    adapter TEXT NOT NULL DEFAULT '',
    suite TEXT NOT NULL,
    task TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL DEFAULT '',
    settings TEXT NOT NULL DEFAULT '{}',
    examples INTEGER NOT NULL DEFAULT 0,
    seconds REAL NOT NULL DEFAULT 0,
    tokens INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    CHECK (run_id IS NOT NULL OR base_model <> '')
);
CREATE INDEX task_evaluations_by_run ON task_evaluations(run_id);
CREATE INDEX task_evaluations_by_suite ON task_evaluations(suite, task);

ALTER TABLE evaluations ADD COLUMN task_evaluation_id INTEGER REFERENCES task_evaluations(id) ON DELETE CASCADE;
CREATE INDEX evaluations_by_task_evaluation ON evaluations(task_evaluation_id);

CREATE TABLE generations_v3 (
    id INTEGER PRIMARY KEY,
    evaluation_id INTEGER REFERENCES evaluations(id) ON DELETE CASCADE,
    task_evaluation_id INTEGER REFERENCES task_evaluations(id) ON DELETE CASCADE,
    example_id TEXT NOT NULL DEFAULT '',
    prompt TEXT NOT NULL DEFAULT '',
    reference TEXT NOT NULL DEFAULT '',
    output TEXT NOT NULL DEFAULT '',
    scores TEXT NOT NULL DEFAULT '{}',
    CHECK (evaluation_id IS NOT NULL OR task_evaluation_id IS NOT NULL)
);
INSERT INTO generations_v3 (id, evaluation_id, example_id, prompt, reference, output)
    SELECT id, evaluation_id, example_id, prompt, reference, output FROM generations;
DROP TABLE generations;
ALTER TABLE generations_v3 RENAME TO generations;
CREATE INDEX generations_by_evaluation ON generations(evaluation_id);
CREATE INDEX generations_by_task_evaluation ON generations(task_evaluation_id);

CREATE TABLE forgetting_reports (
    id INTEGER PRIMARY KEY,
    suite TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    runs TEXT NOT NULL DEFAULT '[]',
    report TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL
);
CREATE INDEX forgetting_reports_by_suite ON forgetting_reports(suite);
)sql",
};

constexpr int kLatest = int(sizeof kMigrations / sizeof kMigrations[0]);

int pragmaInt(Connection& connection, const char* sql)
{
    Query q(connection, sql);
    return q.next() ? int(q.int64(0)) : 0;
}

void checkReadable(Connection& connection, int version)
{
    if (version > kLatest)
        connection.failPlain("schema version " + std::to_string(version)
                             + " is newer than this Tunebench supports (" + std::to_string(kLatest)
                             + "); open it with a newer Tunebench or choose another store file");
    const int appId = pragmaInt(connection, "PRAGMA application_id");
    if (appId != 0 && appId != kApplicationId)
        connection.failPlain("not a Tunebench run store (SQLite application_id "
                             + std::to_string(appId) + ", expected " + std::to_string(kApplicationId) + ")");
}

} // namespace

int latestSchemaVersion() { return kLatest; }

int migrate(Connection& connection)
{
    // Checked before anything is written, so a newer file is left untouched.
    int version = pragmaInt(connection, "PRAGMA user_version");
    checkReadable(connection, version);
    if (version == kLatest)
        return version;

    Transaction transaction(connection);
    // Another process may have migrated while we waited for the write lock.
    version = pragmaInt(connection, "PRAGMA user_version");
    checkReadable(connection, version);
    for (int v = version; v < kLatest; ++v) {
        const std::string what = "migrating to schema version " + std::to_string(v + 1);
        connection.exec(kMigrations[v], what.c_str());
    }
    // Pragmas take no parameters; both values are integers of our own.
    const std::string stamp = "PRAGMA user_version = " + std::to_string(kLatest)
        + "; PRAGMA application_id = " + std::to_string(kApplicationId);
    connection.exec(stamp.c_str(), "stamping the schema version");
    transaction.commit();
    return kLatest;
}

} // namespace tb::store
