// The run store against real SQLite files: schema and migrations, WAL with a
// writer thread and concurrent readers, cascade deletes, crash recovery with
// forked processes that die, and error messages for bad input. Expected
// values are worked out by hand in each test; the file is inspected through
// the raw SQLite API where the store's own reads would be circular.
#include "common/error.h"
#include "common/text.h"
#include "store/run_store.h"
#include "store/run_writer.h"

#include <QTemporaryDir>
#include <QtTest>

#include <sqlite3.h>

#include <atomic>
#include <cmath>
#include <csignal>
#include <fstream>
#include <functional>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace tb::store;

namespace {

// Direct access to the file, independent of the code under test.
class RawDb {
public:
    explicit RawDb(const std::string& path)
    {
        if (sqlite3_open(path.c_str(), &m_db) != SQLITE_OK)
            qFatal("cannot open %s", path.c_str());
        sqlite3_busy_timeout(m_db, 5000);
    }
    ~RawDb() { sqlite3_close(m_db); }
    void exec(const std::string& sql)
    {
        char* error = nullptr;
        if (sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
            const std::string text = error ? error : "?";
            sqlite3_free(error);
            qFatal("raw SQL failed: %s: %s", sql.c_str(), text.c_str());
        }
    }
    std::string text(const std::string& sql)
    {
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(m_db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK)
            qFatal("raw SQL failed: %s: %s", sql.c_str(), sqlite3_errmsg(m_db));
        std::string out;
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
        return out;
    }
    int64_t integer(const std::string& sql) { return std::stoll(text(sql)); }

private:
    sqlite3* m_db = nullptr;
};

QString errorOf(const std::function<void()>& action)
{
    try {
        action();
    } catch (const tb::Error& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

// A pid that belonged to a process which has ended and been reaped.
pid_t deadPid()
{
    const pid_t child = ::fork();
    if (child == 0)
        ::_exit(0);
    ::waitpid(child, nullptr, 0);
    return child;
}

// The schema as version 1 shipped it, typed out independently of schema.cpp:
// a file left by that release must open and migrate.
const char* const kVersion1Schema = R"sql(
CREATE TABLE runs (id INTEGER PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL CHECK (status IN
    ('queued', 'running', 'paused', 'completed', 'failed', 'cancelled', 'interrupted')),
    base_model TEXT NOT NULL DEFAULT '', method TEXT NOT NULL DEFAULT '', config TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL, started_at INTEGER, finished_at INTEGER, error_message TEXT NOT NULL DEFAULT '',
    owner_pid INTEGER, owner_host TEXT, owner_start INTEGER);
CREATE INDEX runs_by_status ON runs(status);
CREATE TABLE metrics (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE, step INTEGER NOT NULL,
    name TEXT NOT NULL, value REAL, wall_time INTEGER NOT NULL);
CREATE INDEX metrics_by_run ON metrics(run_id, name, step);
CREATE TABLE checkpoints (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step INTEGER NOT NULL, path TEXT NOT NULL, created_at INTEGER NOT NULL, resumable INTEGER NOT NULL DEFAULT 0);
CREATE INDEX checkpoints_by_run ON checkpoints(run_id, step);
CREATE TABLE artifacts (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    kind TEXT NOT NULL, path TEXT NOT NULL, metadata TEXT NOT NULL DEFAULT '{}', created_at INTEGER NOT NULL);
CREATE INDEX artifacts_by_run ON artifacts(run_id);
CREATE TABLE datasets (id INTEGER PRIMARY KEY, path TEXT NOT NULL, format TEXT NOT NULL DEFAULT '',
    content_hash TEXT NOT NULL, stats TEXT NOT NULL DEFAULT '{}', created_at INTEGER NOT NULL,
    UNIQUE (path, content_hash));
CREATE INDEX datasets_by_hash ON datasets(content_hash);
PRAGMA user_version = 1;
)sql";

} // namespace

class TestStore : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    int m_counter = 0;

    // A fresh store file per test.
    std::string newPath() { return (m_dir.path() + QStringLiteral("/runs%1.sqlite").arg(++m_counter)).toStdString(); }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    // common/text.h against hand-made byte sequences (RFC 3629 table 3).
    void textHelpersRepairCapAndEscape()
    {
        QVERIFY(tb::isValidUtf8("plain \xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
        for (const char* bad : {"\xFF", "\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xC3"})
            QVERIFY2(!tb::isValidUtf8(bad), bad);
        QCOMPARE(tb::validUtf8("a\xFF" "b\xC3"), std::string("a\xEF\xBF\xBD" "b\xEF\xBF\xBD"));
        // 10 bytes cut to 4: "ab" + the 2-byte e-acute fits, the rest (6 bytes) is counted.
        QCOMPARE(tb::cappedText("ab\xC3\xA9" "cdefgh", 4), std::string("ab\xC3\xA9\xE2\x80\xA6 (6 bytes cut)"));
        // Never half a character: a cut inside the euro sign backs up before it.
        QCOMPARE(tb::cappedText("a\xE2\x82\xAC", 2), std::string("a\xE2\x80\xA6 (3 bytes cut)"));
        QCOMPARE(tb::printableText("r\x1B[31m\x07\n\t\x7F\xC2\x9B" "ok"),
                 std::string("r\\e[31m\\x07\\n\\t\\x7F\\u{9B}ok"));
    }

    // The store boundary: text goes in as valid UTF-8, errors are capped, and
    // raw bytes already in a file come out repaired.
    void storedTextIsValidUtf8AndErrorsAreCapped()
    {
        const std::string path = newPath();
        tb::store::RunStore store(path);
        const auto id = store.createRun({"bad \xFF name", "m", "lora", "{}"});
        store.setStatus(id, tb::store::RunStatus::Failed, std::string(5000, 'x') + "\xFF");
        const auto run = store.run(id);
        QCOMPARE(run.name, std::string("bad \xEF\xBF\xBD name"));
        QCOMPARE(run.errorMessage, std::string(2000, 'x') + "\xE2\x80\xA6 (3003 bytes cut)");
        QCOMPARE(RawDb(path).text("SELECT name FROM runs"), std::string("bad \xEF\xBF\xBD name"));
        RawDb(path).exec("UPDATE runs SET name = CAST(X'41FE42' AS TEXT)");
        QCOMPARE(store.run(id).name, std::string("A\xEF\xBF\xBD" "B"));
    }

    void newFileHasLatestSchemaInWalMode()
    {
        const std::string path = newPath();
        {
            RunStore store(path);
            QCOMPARE(store.schemaVersion(), 3);
            QCOMPARE(RunStore::latestSchemaVersion(), 3);
            QCOMPARE(store.path(), path);
        }
        RawDb raw(path);
        QCOMPARE(raw.integer("PRAGMA user_version"), int64_t(3));
        QCOMPARE(raw.text("PRAGMA journal_mode"), std::string("wal"));
        QCOMPARE(raw.integer("PRAGMA application_id"), int64_t(0x54425253));
        QCOMPARE(raw.integer("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                             "('runs','metrics','checkpoints','artifacts','datasets','evaluations','generations')"),
                 int64_t(7));
    }

    void createsMissingFolder()
    {
        const std::string path = (m_dir.path() + "/nested/deeper/runs.sqlite").toStdString();
        RunStore store(path);
        QVERIFY(QFile::exists(QString::fromStdString(path)));
    }

    void migratesHandWrittenVersion1File()
    {
        const std::string path = newPath();
        {
            RawDb raw(path);
            raw.exec(kVersion1Schema);
            raw.exec("INSERT INTO runs (id, name, status, method, config, created_at) "
                     "VALUES (7, 'old run', 'completed', 'lora', '{\"lr\":0.001}', 1000)");
            raw.exec("INSERT INTO metrics VALUES (7, 0, 'loss', 2.5, 1001), (7, 1, 'loss', 2.0, 1002), "
                     "(7, 2, 'loss', 1.75, 1003)");
            raw.exec("INSERT INTO checkpoints (run_id, step, path, created_at, resumable) "
                     "VALUES (7, 2, '/ckpt/2', 1004, 1)");
        }
        RunStore store(path);
        QCOMPARE(store.schemaVersion(), 3);
        const Run run = store.run(7);
        QCOMPARE(run.name, std::string("old run"));
        QCOMPARE(run.status, RunStatus::Completed);
        QCOMPARE(run.configJson, std::string("{\"lr\":0.001}"));
        QCOMPARE(run.createdAt, int64_t(1000));
        const auto loss = store.metrics(7, "loss");
        QCOMPARE(loss.size(), size_t(3));
        QCOMPARE(loss[2].value, 1.75);
        QCOMPARE(loss[2].wallTime, int64_t(1003));
        QCOMPARE(store.lastCheckpoint(7)->path, std::string("/ckpt/2"));
        // The version 2 and 3 tables exist and work.
        Evaluation e;
        e.run = 7;
        e.suite = "mmlu";
        e.task = "abstract_algebra";
        e.metric = "accuracy";
        e.value = 0.25;
        const int64_t evaluation = store.addEvaluation(e);
        QCOMPARE(store.evaluations({7, {}, {}}).size(), size_t(1));
        QVERIFY(store.addGeneration({0, evaluation, "q1", "1+1?", "2", "3"}) > 0);
        RawDb raw(path);
        QCOMPARE(raw.integer("PRAGMA user_version"), int64_t(3));
        QCOMPARE(raw.text("PRAGMA journal_mode"), std::string("wal"));
    }

    void newerSchemaVersionIsRefusedAndLeftUntouched()
    {
        const std::string path = newPath();
        {
            RawDb raw(path);
            raw.exec("CREATE TABLE future (x); PRAGMA user_version = 9;");
        }
        const QString error = errorOf([&] { RunStore store(path); });
        QVERIFY2(error.contains(QString::fromStdString(path)), qPrintable(error));
        QVERIFY2(error.contains("schema version 9 is newer than this Tunebench supports (3)"), qPrintable(error));
        QVERIFY(errorOf([&] { RunWriter writer(path); }).contains("schema version 9"));
        RawDb raw(path);
        QCOMPARE(raw.integer("PRAGMA user_version"), int64_t(9));
        QCOMPARE(raw.text("PRAGMA journal_mode"), std::string("delete"));
    }

    void nonDatabaseFileIsRefused()
    {
        const std::string path = newPath();
        std::ofstream(path) << "this is a text file, not a database, and it is long enough to have a header";
        const QString error = errorOf([&] { RunStore store(path); });
        QVERIFY2(error.contains(QString::fromStdString(path)), qPrintable(error));
        QVERIFY2(error.contains("not a database"), qPrintable(error));
    }

    void otherApplicationsDatabaseIsRefused()
    {
        const std::string path = newPath();
        {
            RawDb raw(path);
            raw.exec("PRAGMA application_id = 1234; CREATE TABLE t (x);");
        }
        const QString error = errorOf([&] { RunStore store(path); });
        QVERIFY2(error.contains("not a Tunebench run store (SQLite application_id 1234"), qPrintable(error));
    }

    void createdRunReadsBack()
    {
        RunStore store(newPath());
        const int64_t before = nowMs();
        const RunId id = store.createRun({"first", "gpt2", "lora", R"({"rank":8})"});
        const int64_t after = nowMs();
        QCOMPARE(id, RunId(1));
        const Run run = store.run(id);
        QCOMPARE(run.name, std::string("first"));
        QCOMPARE(run.baseModel, std::string("gpt2"));
        QCOMPARE(run.method, std::string("lora"));
        QCOMPARE(run.configJson, std::string(R"({"rank":8})"));
        QCOMPARE(run.status, RunStatus::Queued);
        QVERIFY(run.createdAt >= before && run.createdAt <= after);
        QCOMPARE(run.startedAt, int64_t(0));
        QCOMPARE(run.finishedAt, int64_t(0));
        QCOMPARE(run.ownerPid, int64_t(0));
        QVERIFY(!store.findRun(2));
    }

    void invalidConfigJsonIsRefused()
    {
        RunStore store(newPath());
        const QString error = errorOf([&] { store.createRun({"broken", "gpt2", "lora", "{\"rank\": "}); });
        QVERIFY2(error.contains("config of run 'broken' is not valid JSON"), qPrintable(error));
        QVERIFY(store.listRuns().empty());
    }

    void statusChangesSetTimesAndOwner()
    {
        RunStore store(newPath());
        const RunId id = store.createRun({"r", "gpt2", "full", "{}"});
        const int64_t before = nowMs();
        store.setStatus(id, RunStatus::Running);
        Run run = store.run(id);
        QCOMPARE(run.status, RunStatus::Running);
        QVERIFY(run.startedAt >= before);
        QCOMPARE(run.finishedAt, int64_t(0));
        QCOMPARE(run.ownerPid, int64_t(::getpid()));
        char host[256] = {};
        ::gethostname(host, sizeof host - 1);
        QCOMPARE(run.ownerHost, std::string(host));
        const int64_t started = run.startedAt;

        store.setStatus(id, RunStatus::Failed, "CUDA out of memory at step 12");
        run = store.run(id);
        QCOMPARE(run.status, RunStatus::Failed);
        QCOMPARE(run.errorMessage, std::string("CUDA out of memory at step 12"));
        QVERIFY(run.finishedAt >= started);

        // Resuming keeps the first start time and clears the finish and error.
        store.setStatus(id, RunStatus::Running);
        run = store.run(id);
        QCOMPARE(run.startedAt, started);
        QCOMPARE(run.finishedAt, int64_t(0));
        QCOMPARE(run.errorMessage, std::string());
        store.setStatus(id, RunStatus::Completed);
        QCOMPARE(store.run(id).status, RunStatus::Completed);
    }

    void statusNamesRoundTrip()
    {
        QVERIFY(runStatusName(RunStatus::Interrupted) == "interrupted");
        QCOMPARE(runStatusFromName("paused"), RunStatus::Paused);
        QVERIFY(errorOf([] { runStatusFromName("done"); }).contains("found 'done'"));
    }

    void listRunsFiltersAndSorts()
    {
        RunStore store(newPath());
        const RunId alpha = store.createRun({"alpha", "gpt2", "lora", "{}"});
        const RunId beta = store.createRun({"Beta sweep", "qwen2", "full", "{}"});
        const RunId gamma = store.createRun({"gamma sweep", "gpt2", "lora", "{}"});
        const RunId percent = store.createRun({"50%_off", "gpt2", "prompt", "{}"});
        store.setStatus(gamma, RunStatus::Completed);

        auto ids = [](const std::vector<Run>& runs) {
            std::vector<RunId> out;
            for (const Run& r : runs)
                out.push_back(r.id);
            return out;
        };
        // Default: newest first; created in the same millisecond falls back to id.
        QCOMPARE(ids(store.listRuns()), std::vector<RunId>({percent, gamma, beta, alpha}));

        RunFilter byMethod;
        byMethod.method = "lora";
        QCOMPARE(ids(store.listRuns(byMethod)), std::vector<RunId>({gamma, alpha}));

        RunFilter byName;
        byName.nameContains = "SWEEP";
        byName.sortBy = RunSortKey::Name;
        byName.descending = false;
        QCOMPARE(ids(store.listRuns(byName)), std::vector<RunId>({beta, gamma}));

        // % and _ are literal characters, not LIKE wildcards.
        RunFilter literal;
        literal.nameContains = "%_";
        QCOMPARE(ids(store.listRuns(literal)), std::vector<RunId>({percent}));
        literal.nameContains = "a_";
        QVERIFY(store.listRuns(literal).empty());

        RunFilter byStatus;
        byStatus.status = RunStatus::Completed;
        QCOMPARE(ids(store.listRuns(byStatus)), std::vector<RunId>({gamma}));

        RunFilter sortedByName;
        sortedByName.sortBy = RunSortKey::Name;
        sortedByName.descending = false;
        sortedByName.limit = 3;
        QCOMPARE(ids(store.listRuns(sortedByName)), std::vector<RunId>({percent, alpha, beta}));
    }

    void renameAndClone()
    {
        RunStore store(newPath());
        const RunId source = store.createRun({"base", "gpt2", "lora", R"({"rank":4,"alpha":8})"});
        store.setStatus(source, RunStatus::Completed);
        store.renameRun(source, "renamed");
        QCOMPARE(store.run(source).name, std::string("renamed"));

        const RunId copy = store.cloneRun(source);
        const Run clone = store.run(copy);
        QCOMPARE(clone.name, std::string("renamed (copy)"));
        QCOMPARE(clone.status, RunStatus::Queued);
        QCOMPARE(clone.baseModel, std::string("gpt2"));
        QCOMPARE(clone.method, std::string("lora"));
        QCOMPARE(clone.configJson, std::string(R"({"rank":4,"alpha":8})"));
        QCOMPARE(clone.startedAt, int64_t(0));
        QCOMPARE(store.run(store.cloneRun(source, "named")).name, std::string("named"));
    }

    void unknownRunIdsAreNamedInErrors()
    {
        const std::string path = newPath();
        RunStore store(path);
        const QString p = QString::fromStdString(path);
        auto check = [&](const QString& error, const char* doing) {
            QVERIFY2(error.contains(p), qPrintable(error));
            QVERIFY2(error.contains("no run with id 4242"), qPrintable(error));
            QVERIFY2(error.contains(doing), qPrintable(error));
        };
        check(errorOf([&] { store.run(4242); }), "reading");
        check(errorOf([&] { store.renameRun(4242, "x"); }), "renaming to 'x'");
        check(errorOf([&] { store.deleteRun(4242); }), "deleting");
        check(errorOf([&] { store.setStatus(4242, RunStatus::Running); }), "setting status running");
        check(errorOf([&] { store.cloneRun(4242); }), "cloning");
        check(errorOf([&] { store.metrics(4242); }), "reading metrics");
        check(errorOf([&] { store.lastCheckpoint(4242); }), "last checkpoint");
        check(errorOf([&] { store.appendMetrics(4242, {{3, "loss", 1.0, 0}}); }), "metric 'loss' at step 3");
        check(errorOf([&] { store.addCheckpoint(4242, 10, "/c", true); }), "adding checkpoint /c");
        check(errorOf([&] { store.addArtifact({0, 4242, "adapter", "/a", "{}", 0}); }), "adding artifact /a");
        QVERIFY(errorOf([&] { store.addGeneration({0, 77, "ex", "", "", ""}); }).contains("no evaluation with id 77"));
        // The failed metric append left nothing behind.
        RawDb raw(path);
        QCOMPARE(raw.integer("SELECT count(*) FROM metrics"), int64_t(0));
    }

    void metricsRoundTripInOrderWithNaN()
    {
        RunStore store(newPath());
        const RunId id = store.createRun({"m", "gpt2", "lora", "{}"});
        QVERIFY(store.metrics(id).empty()); // an existing run with no metrics is not an error
        store.appendMetrics(id, {{2, "loss", 1.5, 100},
                                 {1, "loss", 2.0, 90},
                                 {1, "lr", 1e-4, 90},
                                 {3, "loss", std::nan(""), 110}});
        const auto loss = store.metrics(id, "loss");
        QCOMPARE(loss.size(), size_t(3));
        QCOMPARE(loss[0].step, int64_t(1));
        QCOMPARE(loss[0].value, 2.0);
        QCOMPARE(loss[0].wallTime, int64_t(90));
        QCOMPARE(loss[1].value, 1.5);
        QVERIFY(std::isnan(loss[2].value));
        const auto all = store.metrics(id);
        QCOMPARE(all.size(), size_t(4));
        QCOMPARE(all[3].name, std::string("lr"));
        QCOMPARE(all[3].value, 1e-4);
        QCOMPARE(store.metricNames(id), std::vector<std::string>({"loss", "lr"}));
    }

    void lastCheckpointPrefersResumable()
    {
        RunStore store(newPath());
        const RunId id = store.createRun({"c", "gpt2", "lora", "{}"});
        QVERIFY(!store.lastCheckpoint(id));
        store.addCheckpoint(id, 100, "/ck/100", true);
        store.addCheckpoint(id, 200, "/ck/200", true);
        store.addCheckpoint(id, 250, "/ck/250-weights-only", false);
        QCOMPARE(store.lastCheckpoint(id)->step, int64_t(200));
        QCOMPARE(store.lastCheckpoint(id)->path, std::string("/ck/200"));
        QVERIFY(store.lastCheckpoint(id)->resumable);
        QCOMPARE(store.lastCheckpoint(id, false)->step, int64_t(250));
        QCOMPARE(store.checkpoints(id).size(), size_t(3));
    }

    void datasetsAreRecordedOncePerContent()
    {
        RunStore store(newPath());
        const int64_t first = store.recordDataset({0, "/d/a.jsonl", "jsonl", "sha256:aa", R"({"rows":10})", 0});
        const int64_t again = store.recordDataset({0, "/d/a.jsonl", "alpaca", "sha256:aa", R"({"rows":12})", 0});
        const int64_t other = store.recordDataset({0, "/d/a.jsonl", "jsonl", "sha256:bb", "{}", 0});
        QCOMPARE(again, first);
        QVERIFY(other != first);
        QCOMPARE(store.datasets().size(), size_t(2));
        const auto found = store.findDataset("sha256:aa");
        QVERIFY(found);
        QCOMPARE(found->format, std::string("alpaca"));
        QCOMPARE(found->statsJson, std::string(R"({"rows":12})"));
        QVERIFY(!store.findDataset("sha256:cc"));
    }

    void evaluationsOfRunsAndBaseModels()
    {
        RunStore store(newPath());
        const RunId id = store.createRun({"e", "gpt2", "lora", "{}"});
        store.addEvaluation({0, id, "", "hellaswag", "", "acc", 0.5, 0});
        store.addEvaluation({0, 0, "gpt2", "hellaswag", "", "acc", 0.25, 0});
        store.addEvaluation({0, 0, "gpt2", "mmlu", "law", "acc", 0.75, 0});
        QCOMPARE(store.evaluations().size(), size_t(3));
        QCOMPARE(store.evaluations({id, {}, {}})[0].value, 0.5);
        const auto base = store.evaluations({std::nullopt, "gpt2", "hellaswag"});
        QCOMPARE(base.size(), size_t(1));
        QCOMPARE(base[0].value, 0.25);
        QCOMPARE(base[0].run, RunId(0));
        QVERIFY(errorOf([&] { store.addEvaluation({0, 0, "", "mmlu", "law", "acc", 1, 0}); })
                    .contains("expected a run id or a base model"));
    }

    void version2GenerationsSurviveTheMigration()
    {
        // A version 2 file made by hand: one run, one score, one generation.
        const std::string path = newPath();
        {
            RawDb raw(path);
            raw.exec(kVersion1Schema);
            // Version 2 as it shipped: generations hang off one score row.
            raw.exec("CREATE TABLE evaluations (id INTEGER PRIMARY KEY, run_id INTEGER REFERENCES runs(id) ON "
                     "DELETE CASCADE, base_model TEXT NOT NULL DEFAULT '', suite TEXT NOT NULL, task TEXT NOT NULL "
                     "DEFAULT '', metric TEXT NOT NULL, value REAL, created_at INTEGER NOT NULL);"
                     "CREATE TABLE generations (id INTEGER PRIMARY KEY, evaluation_id INTEGER NOT NULL REFERENCES "
                     "evaluations(id) ON DELETE CASCADE, example_id TEXT NOT NULL DEFAULT '', prompt TEXT NOT NULL "
                     "DEFAULT '', reference TEXT NOT NULL DEFAULT '', output TEXT NOT NULL DEFAULT '');"
                     "INSERT INTO runs (id, name, status, method, config, created_at) "
                     "VALUES (3, 'r', 'completed', 'lora', '{}', 1);"
                     "INSERT INTO evaluations (id, run_id, suite, task, metric, value, created_at) "
                     "VALUES (5, 3, 's', 't', 'bleu', 12.5, 2);"
                     "INSERT INTO generations (id, evaluation_id, example_id, prompt, reference, output) "
                     "VALUES (9, 5, 'ex', 'p', 'r', 'o');"
                     "PRAGMA user_version = 2;");
        }
        RunStore store(path);
        QCOMPARE(store.schemaVersion(), 3);
        const auto g = store.generations(5);
        QCOMPARE(g.size(), size_t(1));
        QCOMPARE(g[0].id, int64_t(9));
        QCOMPARE(g[0].output, std::string("o"));
        QCOMPARE(g[0].scoresJson, std::string("{}"));
        QCOMPARE(store.evaluations()[0].taskEvaluation, int64_t(0));
        store.deleteRun(3); // the cascade still reaches the rebuilt table
        RawDb raw(path);
        QCOMPARE(raw.integer("SELECT count(*) FROM generations"), int64_t(0));
    }

    void taskEvaluationsGroupScoresAndGenerations()
    {
        const std::string path = newPath();
        RunStore store(path);
        const RunId run = store.createRun({"r", "gpt2", "lora", "{}"});
        TaskEvaluation t;
        t.run = run;
        t.baseModel = "gpt2";
        t.suite = "demo";
        t.task = "summarize";
        t.kind = "generate";
        t.settingsJson = R"({"max_new_tokens":32})";
        t.examples = 2;
        t.seconds = 1.5;
        t.tokens = 120;
        t.createdAt = 100;
        const int64_t te = store.addTaskEvaluation(t);
        TaskEvaluation base = t;
        base.run = 0;
        base.adapter = "/adapters/a";
        base.createdAt = 200;
        const int64_t be = store.addTaskEvaluation(base);
        Evaluation e{0, run, "gpt2", "demo", "summarize", "rougeL", 0.5, 0, te};
        store.addEvaluation(e);
        store.addGenerations({{0, 0, "1", "p1", "r1", "o1", te, R"({"rougeL":0.25})"},
                              {0, 0, "2", "p2", "r2", "o2", te, R"({"rougeL":0.75})"}});

        const auto all = store.taskEvaluations();
        QCOMPARE(all.size(), size_t(2));
        QCOMPARE(all[0].id, be); // newest first
        QCOMPARE(all[0].run, RunId(0));
        QCOMPARE(all[0].adapter, std::string("/adapters/a"));
        const auto mine = store.taskEvaluations({run, {}, {}, {}});
        QCOMPARE(mine.size(), size_t(1));
        QCOMPARE(mine[0].settingsJson, t.settingsJson);
        QCOMPARE(mine[0].seconds, 1.5);
        QCOMPARE(mine[0].tokens, int64_t(120));
        QCOMPARE(store.taskEvaluations({RunId(0), {}, {}, {}}).size(), size_t(1));
        QCOMPARE(store.taskEvaluations({std::nullopt, {}, "demo", "translate"}).size(), size_t(0));
        QCOMPARE(store.evaluations({std::nullopt, {}, "demo", "summarize"})[0].taskEvaluation, te);
        const auto g = store.taskGenerations(te);
        QCOMPARE(g.size(), size_t(2));
        QCOMPARE(g[1].exampleId, std::string("2"));
        QCOMPARE(g[1].scoresJson, std::string(R"({"rougeL":0.75})"));
        QVERIFY(store.findTaskEvaluation(te));
        QVERIFY(!store.findTaskEvaluation(9999));

        // A bad generation in a batch leaves none of the batch behind.
        QVERIFY(errorOf([&] { store.addGenerations({{0, 0, "3", "p", "r", "o", te, "{}"},
                                                    {0, 0, "4", "p", "r", "o", 777, "{}"}}); })
                    .contains("no task evaluation with id 777"));
        QVERIFY(errorOf([&] { store.addGenerations({{0, 0, "5", "p", "r", "o", te, "{bad"}}); })
                    .contains("scores of example '5'"));
        QCOMPARE(store.taskGenerations(te).size(), size_t(2));

        store.deleteTaskEvaluation(te);
        QCOMPARE(store.taskGenerations(te).size(), size_t(0));
        QCOMPARE(store.evaluations({run, {}, {}}).size(), size_t(0));
        // Deleting the run removes its task evaluations; the base one stays.
        const int64_t again = store.addTaskEvaluation(t);
        store.deleteRun(run);
        QVERIFY(!store.findTaskEvaluation(again));
        QVERIFY(store.findTaskEvaluation(be));
    }

    void forgettingReportsRoundTrip()
    {
        RunStore store(newPath());
        const int64_t a = store.addForgettingReport({0, "demo", "first", "[1,2]", R"({"tasks":["a"]})", 10});
        const int64_t b = store.addForgettingReport({0, "other", "second", "[3]", "{}", 20});
        QCOMPARE(store.forgettingReports().size(), size_t(2));
        QCOMPARE(store.forgettingReports()[0].id, b);
        const auto demo = store.forgettingReports("demo");
        QCOMPARE(demo.size(), size_t(1));
        QCOMPARE(demo[0].runsJson, std::string("[1,2]"));
        QCOMPARE(demo[0].reportJson, std::string(R"({"tasks":["a"]})"));
        QVERIFY(errorOf([&] { store.addForgettingReport({0, "demo", "x", "[", "{}", 0}); })
                    .contains("runs of forgetting report 'x'"));
        store.deleteForgettingReport(a);
        QCOMPARE(store.forgettingReports("demo").size(), size_t(0));
    }

    void deletingARunCascades()
    {
        const std::string path = newPath();
        RunStore store(path);
        const RunId doomed = store.createRun({"doomed", "gpt2", "lora", "{}"});
        const RunId kept = store.createRun({"kept", "gpt2", "lora", "{}"});
        for (RunId id : {doomed, kept}) {
            store.appendMetrics(id, {{0, "loss", 3.0, 0}, {1, "loss", 2.0, 0}});
            store.addCheckpoint(id, 1, "/ck", true);
            store.addArtifact({0, id, "adapter", "/adapter", R"({"rank":8})", 0});
            const int64_t e = store.addEvaluation({0, id, "", "s", "t", "acc", 1.0, 0});
            store.addGeneration({0, e, "ex1", "p", "r", "o"});
        }
        store.deleteRun(doomed);
        QVERIFY(!store.findRun(doomed));
        RawDb raw(path);
        for (const char* table : {"metrics", "checkpoints", "artifacts", "evaluations"}) {
            QCOMPARE(raw.integer(std::string("SELECT count(*) FROM ") + table + " WHERE run_id = "
                                 + std::to_string(doomed)),
                     int64_t(0));
            QCOMPARE(raw.integer(std::string("SELECT count(*) FROM ") + table + " WHERE run_id = "
                                 + std::to_string(kept)),
                     int64_t(table == std::string("metrics") ? 2 : 1));
        }
        QCOMPARE(raw.integer("SELECT count(*) FROM generations"), int64_t(1));
        QCOMPARE(store.artifacts(kept)[0].metadataJson, std::string(R"({"rank":8})"));
    }

    void deleteRefusesARunThisProcessIsRunning()
    {
        RunStore store(newPath());
        const RunId id = store.createRun({"live", "gpt2", "lora", "{}"});
        store.setStatus(id, RunStatus::Running);
        const QString error = errorOf([&] { store.deleteRun(id); });
        QVERIFY2(error.contains(QString("run %1 is running in process %2; cancel it").arg(id).arg(::getpid())),
                 qPrintable(error));
        store.setStatus(id, RunStatus::Cancelled);
        store.deleteRun(id);
        QVERIFY(!store.findRun(id));
    }

    void writerCommitsBatchesThatReadersSeeAsPrefixes()
    {
        const std::string path = newPath();
        RunId id = 0;
        {
            RunStore setup(path);
            id = setup.createRun({"w", "gpt2", "lora", "{}"});
        }
        constexpr int kPoints = 6000;
        constexpr int kChunk = 1000;
        RunWriterOptions options;
        options.batchSize = 128;
        options.flushInterval = std::chrono::milliseconds(5);
        RunWriter writer(path, options);

        // A reader on its own connection and thread checks every snapshot it
        // gets: steps 0..n-1 in order with value step/2, n never shrinking.
        std::atomic<bool> done{false};
        std::atomic<int> reads{0};
        std::atomic<int> partialReads{0};
        std::string readerFailure;
        std::thread reader([&] {
            try {
                RunStore store(path);
                size_t previous = 0;
                while (!done.load()) {
                    const auto points = store.metrics(id, "loss");
                    if (points.size() < previous)
                        throw std::runtime_error("snapshot shrank");
                    for (size_t i = 0; i < points.size(); ++i)
                        if (points[i].step != int64_t(i) || points[i].value != double(i) / 2)
                            throw std::runtime_error("gap or wrong value at index " + std::to_string(i));
                    previous = points.size();
                    ++reads;
                    if (points.size() > 0 && points.size() < size_t(kPoints))
                        ++partialReads;
                }
            } catch (const std::exception& e) {
                readerFailure = e.what();
            }
        });

        RunStore main(path);
        for (int chunk = 0; chunk < kPoints / kChunk; ++chunk) {
            for (int i = chunk * kChunk; i < (chunk + 1) * kChunk; ++i)
                writer.appendMetric(id, i, "loss", double(i) / 2);
            writer.flush();
            // After flush() the chunk is committed and visible elsewhere.
            QCOMPARE(main.metrics(id, "loss").size(), size_t((chunk + 1) * kChunk));
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        done = true;
        reader.join();
        QVERIFY2(readerFailure.empty(), readerFailure.c_str());
        QVERIFY(reads.load() > 0);
        QVERIFY2(partialReads.load() > 0, "the reader never saw the run in progress");
        const auto last = main.metrics(id, "loss").back();
        QCOMPARE(last.step, int64_t(kPoints - 1));
        QCOMPARE(last.value, 2999.5);
    }

    void writerCommitsAfterTheIntervalWithoutFlush()
    {
        const std::string path = newPath();
        RunStore store(path);
        const RunId id = store.createRun({"t", "gpt2", "lora", "{}"});
        RunWriterOptions options;
        options.batchSize = 1000000;
        options.flushInterval = std::chrono::milliseconds(20);
        RunWriter writer(path, options);
        writer.appendMetric(id, 0, "loss", 1.0);
        writer.appendMetric(id, 1, "loss", 0.5);
        writer.setStatus(id, RunStatus::Running);
        QTRY_COMPARE_WITH_TIMEOUT(store.metrics(id).size(), size_t(2), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(store.run(id).status, RunStatus::Running, 5000);
    }

    void writerCommitsEverythingOnDestruction()
    {
        const std::string path = newPath();
        RunStore store(path);
        const RunId id = store.createRun({"d", "gpt2", "lora", "{}"});
        {
            RunWriterOptions options;
            options.batchSize = 1000000;
            options.flushInterval = std::chrono::hours(1);
            RunWriter writer(path, options);
            for (int i = 0; i < 10; ++i)
                writer.appendMetric(id, i, "loss", i * 0.25);
            writer.addCheckpoint(id, 9, "/ck/9", true);
            writer.addArtifact({0, id, "adapter", "/out/adapter", "{}", 0});
            writer.setStatus(id, RunStatus::Completed);
        }
        const auto points = store.metrics(id, "loss");
        QCOMPARE(points.size(), size_t(10));
        QCOMPARE(points[9].value, 2.25);
        QCOMPARE(store.lastCheckpoint(id)->step, int64_t(9));
        QCOMPARE(store.artifacts(id).size(), size_t(1));
        QCOMPARE(store.run(id).status, RunStatus::Completed);
    }

    void writerHoldsWritesUntilABatchFills()
    {
        const std::string path = newPath();
        RunStore store(path);
        const RunId id = store.createRun({"h", "gpt2", "lora", "{}"});
        RunWriterOptions options;
        options.batchSize = 100;
        options.flushInterval = std::chrono::hours(1);
        RunWriter writer(path, options);
        for (int i = 0; i < 99; ++i)
            writer.appendMetric(id, i, "loss", 1.0);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        QCOMPARE(store.metrics(id).size(), size_t(0)); // 99 < 100 and the interval is far off
        writer.appendMetric(id, 99, "loss", 1.0);
        QTRY_COMPARE_WITH_TIMEOUT(store.metrics(id).size(), size_t(100), 5000);
    }

    void writerReportsBadWritesAndKeepsTheRest()
    {
        const std::string path = newPath();
        RunStore store(path);
        const RunId id = store.createRun({"b", "gpt2", "lora", "{}"});
        RunWriter writer(path);
        writer.appendMetric(id, 0, "loss", 1.0);
        writer.appendMetric(4242, 0, "loss", 1.0);
        writer.appendMetric(id, 1, "loss", 0.5);
        const QString error = errorOf([&] { writer.flush(); });
        QVERIFY2(error.contains("no run with id 4242 (writing metric 'loss' at step 0)"), qPrintable(error));
        QCOMPARE(store.metrics(id).size(), size_t(2));
        writer.flush(); // the error was reported once
    }

    void deadOwnersRunsBecomeInterrupted()
    {
        const std::string path = newPath();
        RunId orphan = 0, mine = 0, remote = 0;
        {
            RunStore store(path);
            orphan = store.createRun({"orphan", "gpt2", "lora", "{}"});
            mine = store.createRun({"mine", "gpt2", "lora", "{}"});
            remote = store.createRun({"remote", "gpt2", "lora", "{}"});
            store.setStatus(mine, RunStatus::Running);
            store.addCheckpoint(orphan, 50, "/ck/50", true);
            store.addCheckpoint(orphan, 60, "/ck/60-partial", false);
        }
        const pid_t dead = deadPid();
        {
            RawDb raw(path);
            const std::string host = raw.text("SELECT owner_host FROM runs WHERE id = " + std::to_string(mine));
            raw.exec("UPDATE runs SET status = 'paused', owner_pid = " + std::to_string(dead) + ", owner_host = '"
                     + host + "', owner_start = NULL WHERE id = " + std::to_string(orphan));
            raw.exec("UPDATE runs SET status = 'running', owner_pid = " + std::to_string(dead)
                     + ", owner_host = 'some-other-host' WHERE id = " + std::to_string(remote));
        }
        RunStore store(path); // recovery runs on open
        const Run run = store.run(orphan);
        QCOMPARE(run.status, RunStatus::Interrupted);
        QVERIFY2(QString::fromStdString(run.errorMessage).contains(QString("process %1 on ").arg(dead)),
                 run.errorMessage.c_str());
        QVERIFY(run.finishedAt > 0);
        QCOMPARE(store.lastCheckpoint(orphan)->path, std::string("/ck/50"));
        QCOMPARE(store.run(mine).status, RunStatus::Running);     // this process is alive
        QCOMPARE(store.run(remote).status, RunStatus::Running);   // cannot check another host
        QCOMPARE(store.recoverInterrupted(), 0);
    }

    void zombieOwnerCountsAsDead()
    {
        const std::string path = newPath();
        RunStore store(path);
        const RunId id = store.createRun({"zombie", "gpt2", "lora", "{}"});
        store.setStatus(id, RunStatus::Running);
        const pid_t child = ::fork();
        if (child == 0)
            ::_exit(0);
        // Wait for the exit but leave the child unreaped: a zombie still
        // answers kill(pid, 0).
        siginfo_t info = {};
        QCOMPARE(::waitid(P_PID, id_t(child), &info, WEXITED | WNOWAIT), 0);
        {
            RawDb raw(path);
            raw.exec("UPDATE runs SET owner_pid = " + std::to_string(child)
                     + ", owner_start = NULL WHERE id = " + std::to_string(id));
        }
        const int recovered = store.recoverInterrupted();
        ::waitpid(child, nullptr, 0);
        QCOMPARE(recovered, 1);
        QCOMPARE(store.run(id).status, RunStatus::Interrupted);
    }

    void recycledPidIsNotTakenForTheOwner()
    {
        // A run whose recorded owner start time differs from the live process
        // with that pid (here: this test process) was left by an earlier process.
        const std::string path = newPath();
        RunStore store(path);
        const RunId id = store.createRun({"before reboot", "gpt2", "lora", "{}"});
        store.setStatus(id, RunStatus::Running);
        {
            RawDb raw(path);
            raw.exec("UPDATE runs SET owner_start = owner_start - 1 WHERE id = " + std::to_string(id));
        }
        QCOMPARE(store.recoverInterrupted(), 1);
        QCOMPARE(store.run(id).status, RunStatus::Interrupted);
    }

    void killedWriterProcessLosesNothingCommitted()
    {
        const std::string path = newPath();
        RunId id = 0;
        {
            RunStore store(path);
            id = store.createRun({"killed", "gpt2", "lora", "{}"});
        }
        int fds[2];
        QCOMPARE(::pipe(fds), 0);
        const pid_t child = ::fork();
        if (child == 0) {
            // Train forever: metrics every step, a resumable checkpoint every
            // 250 steps, and after each flush report the committed step count.
            ::close(fds[0]);
            try {
                RunWriterOptions options;
                options.batchSize = 64;
                options.flushInterval = std::chrono::milliseconds(2);
                RunWriter writer(path, options);
                writer.setStatus(id, RunStatus::Running);
                for (int64_t step = 0;; ++step) {
                    writer.appendMetric(id, step, "loss", double(step) / 4);
                    if (step % 250 == 249)
                        writer.addCheckpoint(id, step + 1, "/ck/" + std::to_string(step + 1), true);
                    if (step % 100 == 99) {
                        writer.flush();
                        const int64_t committed = step + 1;
                        if (::write(fds[1], &committed, sizeof committed) != sizeof committed)
                            ::_exit(2);
                    }
                }
            } catch (...) {
                ::_exit(3);
            }
        }
        ::close(fds[1]);
        int64_t committed = 0;
        bool childReported = true;
        while (childReported && committed < 3000)
            childReported = ::read(fds[0], &committed, sizeof committed) == ssize_t(sizeof committed);
        // Killed before any check that could return early and leave it running.
        ::kill(child, SIGKILL);
        int status = 0;
        ::waitpid(child, &status, 0);
        ::close(fds[0]);
        QVERIFY2(childReported, "the child stopped reporting before 3000 steps");
        QVERIFY(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

        {
            RawDb raw(path);
            QCOMPARE(raw.text("PRAGMA integrity_check"), std::string("ok"));
        }
        RunStore store(path);
        QCOMPARE(store.run(id).status, RunStatus::Interrupted);
        const auto points = store.metrics(id, "loss");
        QVERIFY2(points.size() >= size_t(committed), qPrintable(QString("%1 < %2").arg(points.size()).arg(committed)));
        for (size_t i = 0; i < points.size(); ++i) {
            QCOMPARE(points[i].step, int64_t(i));
            QCOMPARE(points[i].value, double(i) / 4);
        }
        // Checkpoints at 250, 500, ... up to at least the last reported count.
        const auto last = store.lastCheckpoint(id);
        QVERIFY(last);
        QVERIFY(last->resumable);
        QVERIFY(last->step >= committed / 250 * 250);
        QCOMPARE(last->path, "/ck/" + std::to_string(last->step));
        QVERIFY(size_t(last->step) <= points.size());
    }

    void defaultPathFollowsXdg()
    {
        const QByteArray oldXdg = qgetenv("XDG_DATA_HOME");
        const QByteArray oldHome = qgetenv("HOME");
        qputenv("XDG_DATA_HOME", "/data/xdg");
        QCOMPARE(defaultStorePath(), std::string("/data/xdg/tunebench/runs.sqlite"));
        qputenv("XDG_DATA_HOME", "relative/ignored");
        qputenv("HOME", "/home/ada");
        QCOMPARE(defaultStorePath(), std::string("/home/ada/.local/share/tunebench/runs.sqlite"));
        qunsetenv("XDG_DATA_HOME");
        QCOMPARE(defaultStorePath(), std::string("/home/ada/.local/share/tunebench/runs.sqlite"));
        if (oldXdg.isNull())
            qunsetenv("XDG_DATA_HOME");
        else
            qputenv("XDG_DATA_HOME", oldXdg);
        qputenv("HOME", oldHome);
    }
};

QTEST_GUILESS_MAIN(TestStore)
#include "tst_store.moc"
