#pragma once
// Private to core/store: a thin RAII layer over the SQLite C API. Every
// failure becomes a tb::Error naming the store file, what was being done and
// SQLite's own message. Text goes in and comes out as valid UTF-8 (invalid
// bytes become U+FFFD both ways), so the store never holds, nor hands out,
// text that cannot be printed as JSON.
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace tb::store {

class Connection {
public:
    // Opens or creates the file, checks it is a run store this build can
    // read, turns on WAL, foreign keys and a busy timeout, and migrates the
    // schema to the latest version.
    explicit Connection(const std::string& path);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    const std::string& path() const { return m_path; }
    sqlite3* handle() const { return m_db; }
    int schemaVersion() const { return m_schemaVersion; }

    // `what` says what the SQL is for, in the error message.
    void exec(const char* sql, const char* what);
    // The prepared statement for `sql`, compiled once per connection.
    sqlite3_stmt* statement(const char* sql);
    int64_t changes() const;
    int64_t lastInsertId() const;

    [[noreturn]] void fail(const std::string& what) const;     // appends sqlite3_errmsg
    [[noreturn]] void failPlain(const std::string& what) const; // no SQLite message

    // Whether the last failure reported through exec() or a Query was another
    // connection holding the lock past the busy timeout (SQLITE_BUSY/LOCKED).
    bool lastFailureWasBusy() const;
    void clearLastFailure() { m_lastFailure = 0; }

private:
    void configure();

    void noteFailure(int code) const { m_lastFailure = code; }

    std::string m_path;
    sqlite3* m_db = nullptr;
    mutable int m_lastFailure = 0;
    int m_schemaVersion = 0;
    std::unordered_map<std::string, sqlite3_stmt*> m_statements;
};

// One use of a cached statement; resets it on destruction so it can be
// reused and releases its read snapshot.
class Query {
public:
    Query(Connection& connection, const char* sql);
    ~Query();
    Query(const Query&) = delete;
    Query& operator=(const Query&) = delete;

    // Parameters are numbered from 1, as in SQL.
    Query& bind(int index, int64_t value);
    Query& bind(int index, int value) { return bind(index, int64_t(value)); }
    Query& bind(int index, double value);
    Query& bind(int index, const std::string& value);
    Query& bindNull(int index);

    bool next(); // true while there is a row
    void run();  // for statements that return no rows

    // Columns are numbered from 0.
    bool isNull(int column) const;
    int64_t int64(int column) const;
    double real(int column) const; // NULL reads as NaN
    std::string text(int column) const;

    // The SQLite extended result code of the last failed step, for callers
    // that translate constraint failures into a better message.
    int lastError() const { return m_lastError; }

private:
    Connection& m_connection;
    sqlite3_stmt* m_statement;
    int m_lastError = 0;
};

// BEGIN IMMEDIATE: takes the write lock up front, so a concurrent writer
// waits in the busy handler instead of failing on a lock upgrade.
class Transaction {
public:
    explicit Transaction(Connection& connection);
    ~Transaction(); // rolls back unless committed
    void commit();

private:
    Connection& m_connection;
    bool m_open = true;
};

} // namespace tb::store
