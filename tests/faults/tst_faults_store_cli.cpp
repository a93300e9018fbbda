// Faults of the run store and the CLI found by an adversarial pass (issue 12),
// each reproduced with real processes on a real store: bytes that are not
// UTF-8, a resume racing a live run, a resumed completed run, relative store
// paths, two stores in one folder, a lock held by another process, Ctrl+C,
// and hostile names. Each slot is its own CTest test (tests/faults/store_cli.cmake).
#include "common/tiny_model.h"
#include "io/atomic_file.h"

#include <nlohmann/json.hpp>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <sqlite3.h>

#include <csignal>
#include <string>

using nlohmann::json;

namespace {

struct Result {
    int exitCode = -1; // -1: crashed or did not finish
    QString out, err;
};

Result cli(const QStringList& args, const QString& workDir = {})
{
    QProcess p;
    if (!workDir.isEmpty())
        p.setWorkingDirectory(workDir);
    p.start(QStringLiteral(TB_CLI), args);
    p.waitForFinished(120000);
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

// Reads JSON Lines events from a running CLI until `stop` accepts one; returns that event.
json waitForEvent(QProcess& p, QString& seen, const std::function<bool(const json&)>& stop)
{
    int parsed = 0;
    while (p.state() != QProcess::NotRunning || p.bytesAvailable() > 0) {
        p.waitForReadyRead(200);
        seen += QString::fromUtf8(p.readAllStandardOutput());
        const QStringList lines = seen.split('\n');
        for (int i = parsed; i + 1 < lines.size(); ++i, ++parsed) {
            const json j = json::parse(lines[i].toStdString(), nullptr, false);
            if (j.is_object() && stop(j))
                return j;
        }
        if (p.state() == QProcess::NotRunning && p.bytesAvailable() == 0)
            break;
    }
    return json();
}

// Direct SQL on a store, as another program (or an older Tunebench) would write it.
class Sql {
public:
    explicit Sql(const QString& path) { sqlite3_open(path.toUtf8().constData(), &m_db); }
    ~Sql() { sqlite3_close(m_db); }
    bool exec(const std::string& sql)
    {
        char* message = nullptr;
        const bool ok = sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, &message) == SQLITE_OK;
        if (!ok)
            qWarning("SQL failed: %s: %s", sql.c_str(), message ? message : "?");
        sqlite3_free(message);
        return ok;
    }
    int64_t integer(const std::string& sql)
    {
        sqlite3_stmt* s = nullptr;
        sqlite3_prepare_v2(m_db, sql.c_str(), -1, &s, nullptr);
        const int64_t v = s && sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
        sqlite3_finalize(s);
        return v;
    }
    std::vector<std::string> texts(const std::string& sql)
    {
        sqlite3_stmt* s = nullptr;
        sqlite3_prepare_v2(m_db, sql.c_str(), -1, &s, nullptr);
        std::vector<std::string> out;
        while (s && sqlite3_step(s) == SQLITE_ROW) {
            const auto* bytes = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
            out.emplace_back(bytes ? bytes : "", size_t(sqlite3_column_bytes(s, 0)));
        }
        sqlite3_finalize(s);
        return out;
    }

private:
    sqlite3* m_db = nullptr;
};

// UTF-8 validity checked independently of the code under test: Qt's decoder.
bool isUtf8(const std::string& bytes)
{
    QStringDecoder decode(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString text = decode(QByteArray::fromStdString(bytes));
    return !decode.hasError() && text.toUtf8().toStdString() == bytes;
}

} // namespace

class TestFaultsStoreCli : public QObject {
    Q_OBJECT

    QTemporaryDir m_tmp;
    std::string m_model, m_data;

    // A RUN.json in `dir` training the tiny model on the counting data.
    QString writeRun(const QString& dir, int steps, const json& extra = json::object(),
                     const std::string& data = {})
    {
        QDir().mkpath(dir);
        json j = {{"name", "faults"},
                  {"model", m_model},
                  {"data", {{"train", {data.empty() ? m_data : data}}, {"template", "plain"}, {"max_length", 32},
                            {"validation_fraction", 0.0}}},
                  {"method", {{"method", "lora"}, {"lora", {{"rank", 2}, {"alpha", 4}, {"dropout", 0.0}}}}},
                  {"training", {{"max_steps", steps}, {"batch_size", 4}, {"checkpoint_every", 5}, {"seed", 1}}}};
        if (extra.is_object())
            j.merge_patch(extra);
        const QString path = QDir(dir).filePath("RUN.json");
        tb::io::writeFileAtomic(path.toStdString(), j.dump(2));
        return path;
    }

    // Trains to the end; returns the "finished" event.
    json train(const QString& config, const QString& db, const QString& workDir = {})
    {
        const Result r = cli({"train", "--config", config, "--db", db, "--events", "jsonl"}, workDir);
        const QStringList lines = r.out.split('\n', Qt::SkipEmptyParts);
        if (r.exitCode != 0 || lines.isEmpty()) {
            qWarning("train failed (%d): %s", r.exitCode, qPrintable(r.err));
            return json();
        }
        return json::parse(lines.back().toStdString());
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        m_model = tbtest::makeTinyModel(m_tmp.filePath("base").toStdString());
        std::string lines;
        for (int i = 0; i < 40; ++i)
            lines += json({{"prompt", "count " + std::to_string(i)}, {"response", std::to_string(i + 1)}}).dump() + "\n";
        m_data = m_tmp.filePath("count.jsonl").toStdString();
        tb::io::writeFileAtomic(m_data, lines);
    }

    // Item 3: one invalid byte in a dataset (on a 100 KB line) fails the run
    // with an error that is valid UTF-8 and cut short, and `runs list` still
    // works, also on a store that already holds raw invalid bytes.
    void invalidUtf8NeverStopsRunsList()
    {
        QTemporaryDir dir;
        std::string lines;
        for (int i = 0; i < 8; ++i)
            lines += json({{"prompt", "ok " + std::to_string(i)}, {"response", "fine"}}).dump() + "\n";
        lines += "{\"prompt\": \"" + std::string(100000, 'a') + "\xff\", \"response\": \"bad\"}\n";
        const std::string data = dir.filePath("bad.jsonl").toStdString();
        tb::io::writeFileAtomic(data, lines);
        const QString db = dir.filePath("runs.sqlite");
        const Result trained = cli({"train", "--config", writeRun(dir.path(), 3, {}, data), "--db", db});
        QVERIFY2(trained.exitCode == 1, qPrintable(trained.err));
        QVERIFY(trained.err.size() < 4000);

        Result list = cli({"runs", "list", "--db", db});
        QVERIFY2(list.exitCode == 0, qPrintable(list.err));
        json runs = json::parse(list.out.toStdString());
        QCOMPARE(runs.size(), size_t(1));
        QCOMPARE(runs[0]["status"].get<std::string>(), std::string("failed"));
        const std::string stored = Sql(db).texts("SELECT error_message FROM runs")[0];
        QVERIFY2(stored.find("bad.jsonl") != std::string::npos, stored.c_str());
        QVERIFY(isUtf8(stored));
        QVERIFY2(stored.size() <= 2000 + 40, qPrintable(QString::number(stored.size())));

        // A store written before text was checked: raw bytes in the error and the name.
        QVERIFY(Sql(db).exec("UPDATE runs SET error_message = CAST(X'6261642062797465FF3A' AS TEXT), "
                             "name = CAST(X'6E616D65C3' AS TEXT)"));
        list = cli({"runs", "list", "--db", db});
        QVERIFY2(list.exitCode == 0, qPrintable(list.err));
        runs = json::parse(list.out.toStdString());
        QCOMPARE(runs[0]["error"].get<std::string>(), std::string("bad byte\xEF\xBF\xBD:"));
        QCOMPARE(runs[0]["name"].get<std::string>(), std::string("name\xEF\xBF\xBD"));
        const Result show = cli({"runs", "show", "--run", "1", "--db", db});
        QVERIFY2(show.exitCode == 0, qPrintable(show.err));
    }

    // Item 5: resuming a run that a live process is training is refused at
    // once, naming that process; the running process finishes unharmed.
    void resumeOfARunningRunIsRefused()
    {
        // Long enough that the refused `resume` (an engine start-up of its own) ends well before the run does.
        constexpr int kSteps = 1000;
        QTemporaryDir dir;
        const QString db = dir.filePath("runs.sqlite");
        QProcess p;
        p.start(QStringLiteral(TB_CLI), {"train", "--config", writeRun(dir.path(), kSteps, {{"training", {{"checkpoint_every", 250}}}}),
                                         "--db", db, "--events", "jsonl"});
        QString seen;
        const json created = waitForEvent(p, seen, [](const json& j) { return j["event"] == "step"; });
        QVERIFY2(!created.is_null(), qPrintable(seen + QString::fromUtf8(p.readAllStandardError())));
        const json first = json::parse(seen.split('\n').first().toStdString());
        const int64_t id = first["run_id"];
        const Result resumed = cli({"resume", "--run", QString::number(id), "--db", db});
        QVERIFY2(p.state() != QProcess::NotRunning, "the run ended before resume was tried; make it longer");
        QVERIFY(resumed.exitCode != 0);
        QVERIFY2(resumed.err.contains(QString("run %1 is running in process %2").arg(id).arg(p.processId())),
                 qPrintable(resumed.err));
        QVERIFY(p.waitForFinished(120000));
        QCOMPARE(p.exitCode(), 0);
        seen += QString::fromUtf8(p.readAllStandardOutput());
        const json finished = json::parse(seen.trimmed().split('\n').last().toStdString());
        QCOMPARE(finished["status"].get<std::string>(), std::string("completed"));
        QCOMPARE(finished["steps"].get<int>(), kSteps);
        Sql sql(db);
        QCOMPARE(sql.integer("SELECT count(*) FROM metrics WHERE name = 'loss'"), int64_t(kSteps));
        QCOMPARE(sql.integer("SELECT count(*) FROM artifacts"), int64_t(1));
    }

    // Item 9: a completed run is not resumed (no final_loss 0.0, no second
    // artifact); a resumed run replays the steps after its checkpoint without
    // a second metric row for any of them.
    void resumeNeitherRedoesNorDuplicates()
    {
        QTemporaryDir dir;
        const QString db = dir.filePath("runs.sqlite");
        const json done = train(writeRun(dir.path(), 10), db);
        QCOMPARE(done.value("status", ""), std::string("completed"));
        const int64_t id = done["run_id"];
        const Result again = cli({"resume", "--run", QString::number(id), "--db", db});
        QVERIFY(again.exitCode != 0);
        QVERIFY2(again.err.contains(QString("run %1 already completed; nothing to resume").arg(id)), qPrintable(again.err));
        QVERIFY(again.out.isEmpty());
        Sql sql(db);
        QCOMPARE(sql.integer("SELECT count(*) FROM artifacts"), int64_t(1));
        QCOMPARE(sql.integer("SELECT status = 'completed' FROM runs"), int64_t(1));

        // As if killed after step 10 was logged but before its checkpoint was recorded.
        QVERIFY(sql.exec("UPDATE runs SET status = 'interrupted'; DELETE FROM checkpoints WHERE step > 5; "
                         "DELETE FROM artifacts"));
        QCOMPARE(sql.integer("SELECT count(*) FROM metrics WHERE name = 'loss'"), int64_t(10));
        const Result resumed = cli({"resume", "--run", QString::number(id), "--db", db});
        QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err));
        QCOMPARE(json::parse(resumed.out.toStdString())["steps"].get<int>(), 10);
        QCOMPARE(sql.integer("SELECT count(*) FROM (SELECT 1 FROM metrics GROUP BY name, step HAVING count(*) > 1)"),
                 int64_t(0));
        QCOMPARE(sql.integer("SELECT count(*) FROM metrics WHERE name = 'loss'"), int64_t(10));
        QCOMPARE(sql.integer("SELECT count(DISTINCT step) FROM metrics WHERE name = 'loss' AND step BETWEEN 1 AND 10"),
                 int64_t(10));
    }

    // Item 6: a store opened by a relative path holds absolute paths; an
    // older store holding relative ones is migrated; export and resume work
    // from another working directory.
    void relativeStorePathsWorkFromAnywhere()
    {
        QTemporaryDir dir;
        const QString a = dir.filePath("a"), b = dir.filePath("b");
        QDir().mkpath(b);
        const QString config = writeRun(a, 10);
        const json done = train(config, "rel/runs.sqlite", a);
        QCOMPARE(done.value("status", ""), std::string("completed"));
        const int64_t id = done["run_id"];
        const QString db = QDir(a).filePath("rel/runs.sqlite");
        {
            Sql sql(db);
            QCOMPARE(sql.integer("SELECT count(*) FROM checkpoints WHERE substr(path, 1, 1) <> '/'"), int64_t(0));
            QCOMPARE(sql.integer("SELECT count(*) FROM artifacts WHERE substr(path, 1, 1) <> '/'"), int64_t(0));
        }
        Result exported = cli({"export", "--db", "../a/rel/runs.sqlite", "--run", QString::number(id), "--adapter", "out1"}, b);
        QVERIFY2(exported.exitCode == 0, qPrintable(exported.err));
        QVERIFY(QFile::exists(QDir(b).filePath("out1/adapter_config.json")));

        // An older store: paths relative to the folder its trainer ran in (a).
        const std::string prefix = QDir(a).absolutePath().toStdString() + "/";
        {
            Sql sql(db);
            for (const char* table : {"checkpoints", "artifacts"})
                QVERIFY(sql.exec(std::string("UPDATE ") + table + " SET path = substr(path, "
                                 + std::to_string(prefix.size() + 1) + ") WHERE path LIKE '" + prefix + "%'"));
            QCOMPARE(sql.integer("SELECT count(*) FROM artifacts WHERE substr(path, 1, 1) <> '/'"), int64_t(1));
            QCOMPARE(sql.integer("SELECT count(*) FROM checkpoints WHERE substr(path, 1, 1) <> '/'"), int64_t(2));
        }
        exported = cli({"export", "--db", "../a/rel/runs.sqlite", "--run", QString::number(id), "--adapter", "out2"}, b);
        QVERIFY2(exported.exitCode == 0, qPrintable(exported.err));
        QVERIFY(QFile::exists(QDir(b).filePath("out2/adapter_config.json")));
        {
            Sql sql(db);
            QCOMPARE(sql.integer("SELECT count(*) FROM checkpoints WHERE substr(path, 1, 1) <> '/'"), int64_t(0));
            const auto adapter = sql.texts("SELECT path FROM artifacts WHERE kind = 'adapter'");
            QCOMPARE(QString::fromStdString(adapter.at(0)), QDir(a).filePath("rel/runs/runs-1/adapter"));
            QVERIFY(sql.exec("UPDATE runs SET status = 'interrupted'; DELETE FROM checkpoints WHERE step > 5; "
                             "DELETE FROM artifacts"));
        }
        const Result resumed = cli({"resume", "--db", "../a/rel/runs.sqlite", "--run", QString::number(id)}, b);
        QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err));
        const json r = json::parse(resumed.out.toStdString());
        QCOMPARE(r["status"].get<std::string>(), std::string("completed"));
        QCOMPARE(QString::fromStdString(r["output_dir"]), QDir(a).filePath("rel/runs/runs-1"));
    }

    // Item 4: two stores in one folder get their own run folders, and an
    // explicit output_dir already holding another run is refused.
    void storesSharingAFolderKeepTheirRunsApart()
    {
        QTemporaryDir dir;
        const QString config = writeRun(dir.filePath("cfg"), 5);
        const json one = train(config, dir.filePath("one.sqlite"));
        const json two = train(config, dir.filePath("two.sqlite"));
        QCOMPARE(one.value("run_id", 0), 1);
        QCOMPARE(two.value("run_id", 0), 1);
        QVERIFY(one["output_dir"] != two["output_dir"]);
        const QString adapterOne = QString::fromStdString(one["saved"]) + "/adapter_model.safetensors";
        QVERIFY(QFile::exists(adapterOne));
        QVERIFY(QFile::exists(QString::fromStdString(two["saved"]) + "/adapter_model.safetensors"));

        const QString shared = writeRun(dir.filePath("cfg2"), 5, {{"output_dir", dir.filePath("out").toStdString()}});
        const json first = train(shared, dir.filePath("one.sqlite"));
        QCOMPARE(first.value("status", ""), std::string("completed"));
        const std::string adapter = dir.filePath("out/adapter/adapter_model.safetensors").toStdString();
        const std::string before = tb::io::readFile(adapter);
        for (const char* db : {"two.sqlite", "one.sqlite"}) {
            const Result second = cli({"train", "--config", shared, "--db", dir.filePath(db)});
            QVERIFY(second.exitCode != 0);
            QVERIFY2(second.err.contains("already holds run 2 of store " + dir.filePath("one.sqlite")),
                     qPrintable(second.err));
        }
        QVERIFY(tb::io::readFile(adapter) == before);
        QCOMPARE(Sql(dir.filePath("two.sqlite")).integer("SELECT count(*) FROM runs"), int64_t(1));
    }

    // Item 7: another process holds the write lock for 6 s (longer than the
    // 5 s busy timeout) while a run trains: the run waits, completes, and
    // every step's metrics are stored.
    void lockedStoreDelaysButLosesNothing()
    {
        QTemporaryDir dir;
        const QString db = dir.filePath("runs.sqlite");
        QProcess p;
        p.start(QStringLiteral(TB_CLI), {"train", "--config", writeRun(dir.path(), 40), "--db", db, "--events", "jsonl"});
        QString seen;
        QVERIFY(!waitForEvent(p, seen, [](const json& j) { return j["event"] == "run_created"; }).is_null());
        {
            Sql holder(db);
            QVERIFY(holder.exec("BEGIN EXCLUSIVE; INSERT INTO datasets (path, content_hash, created_at) "
                                "VALUES ('/lock', 'x', 0)"));
            QThread::msleep(6000);
            QVERIFY(holder.exec("COMMIT"));
        }
        QVERIFY(p.waitForFinished(120000));
        seen += QString::fromUtf8(p.readAllStandardOutput());
        QVERIFY2(p.exitCode() == 0, qPrintable(QString::fromUtf8(p.readAllStandardError())));
        const json finished = json::parse(seen.trimmed().split('\n').last().toStdString());
        QCOMPARE(finished["status"].get<std::string>(), std::string("completed"));
        Sql sql(db);
        for (const char* name : {"loss", "learning_rate", "grad_norm", "epoch"})
            QCOMPARE(sql.integer(std::string("SELECT count(DISTINCT step) FROM metrics WHERE name = '") + name
                                 + "' AND step BETWEEN 1 AND 40"),
                     int64_t(40));
        QCOMPARE(sql.integer("SELECT count(*) FROM checkpoints"), int64_t(8));
        QCOMPARE(sql.integer("SELECT status = 'completed' FROM runs"), int64_t(1));
    }

    // Item 10: Ctrl+C cancels the run and the process exits 130 (as shells
    // report SIGINT); the run stays resumable.
    void ctrlCExits130()
    {
        QTemporaryDir dir;
        const QString db = dir.filePath("runs.sqlite");
        QProcess p;
        p.start(QStringLiteral(TB_CLI), {"train", "--config", writeRun(dir.path(), 2000), "--db", db, "--events", "jsonl"});
        QString seen;
        QVERIFY(!waitForEvent(p, seen, [](const json& j) { return j["event"] == "step"; }).is_null());
        ::kill(pid_t(p.processId()), SIGINT);
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QCOMPARE(p.exitCode(), 130);
        seen += QString::fromUtf8(p.readAllStandardOutput());
        const json finished = json::parse(seen.trimmed().split('\n').last().toStdString());
        QCOMPARE(finished["status"].get<std::string>(), std::string("cancelled"));
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QVERIFY2(err.contains("resume --run"), qPrintable(err));
        QCOMPARE(Sql(db).integer("SELECT status = 'cancelled' FROM runs"), int64_t(1));
    }

    // Item 10: a folder given as the JSONL input is an error, not an empty file.
    void tokenizeOfAFolderFails()
    {
        QTemporaryDir dir;
        const Result r = cli({"tokenize", "--tokenizer", QString::fromStdString(tbtest::tokenizerFixture()), "--input",
                              dir.path()});
        QVERIFY(r.exitCode != 0);
        QVERIFY2(r.err.contains(dir.path() + ": is a folder"), qPrintable(r.err));
        QVERIFY(r.out.isEmpty());
    }

    // Item 10: a run name with terminal control characters is escaped in
    // the eval table (and in errors), never written raw.
    void controlCharactersInNamesAreEscaped()
    {
        QTemporaryDir dir;
        const QString db = dir.filePath("runs.sqlite");
        const json done = train(writeRun(dir.path(), 2, {{"name", "evil\x1b[2J\x07name\r"}}), db);
        QCOMPARE(done.value("status", ""), std::string("completed"));
        tb::io::writeFileAtomic(dir.filePath("t.jsonl").toStdString(),
                                json({{"prompt", "count 1"}, {"response", "2"}}).dump() + "\n");
        tb::io::writeFileAtomic(dir.filePath("suite.json").toStdString(),
                                json({{"name", "s\x1b]0;title\x07"},
                                      {"tasks", {{{"name", "t"}, {"type", "generate"}, {"data", dir.filePath("t.jsonl").toStdString()},
                                                  {"template", "plain"}, {"max_new_tokens", 2},
                                                  {"metrics", {"exact_match"}}}}}})
                                    .dump());
        const Result r = cli({"eval", "--run", QString::number(done["run_id"].get<int>()), "--suite",
                              dir.filePath("suite.json"), "--db", db});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        for (const char c : {'\x1b', '\x07', '\r'})
            QVERIFY2(!r.out.contains(QChar(c)), qPrintable(r.out.toUtf8().toPercentEncoding()));
        QVERIFY2(r.out.contains("evil\\e[2J\\x07name\\r"), qPrintable(r.out));
        QVERIFY2(r.out.contains("suite s\\e]0;title\\x07"), qPrintable(r.out));
    }
};

QTEST_GUILESS_MAIN(TestFaultsStoreCli)
#include "tst_faults_store_cli.moc"
