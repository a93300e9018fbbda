#include "store/connection.h"

#include "common/error.h"
#include "common/text.h"
#include "store/schema.h"

#include <sqlite3.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <system_error>

namespace tb::store {

namespace {

// Long enough to ride out a writer's batch commit, short enough that a stuck
// lock surfaces as an error a person sees.
constexpr int kBusyTimeoutMs = 5000;

} // namespace

Connection::Connection(const std::string& path) : m_path(path)
{
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(parent, ec);
        if (ec)
            failPlain("cannot create folder " + parent.string() + ": " + ec.message());
    }
    const int rc = sqlite3_open_v2(path.c_str(), &m_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    if (rc != SQLITE_OK) {
        const std::string message = m_db ? sqlite3_errmsg(m_db) : sqlite3_errstr(rc);
        sqlite3_close_v2(m_db);
        m_db = nullptr;
        failPlain("cannot open: " + message);
    }
    try {
        configure();
    } catch (...) {
        for (auto& entry : m_statements)
            sqlite3_finalize(entry.second);
        sqlite3_close_v2(m_db);
        throw;
    }
}

Connection::~Connection()
{
    for (auto& entry : m_statements)
        sqlite3_finalize(entry.second);
    sqlite3_close_v2(m_db);
}

void Connection::configure()
{
    sqlite3_extended_result_codes(m_db, 1);
    sqlite3_busy_timeout(m_db, kBusyTimeoutMs);
    exec("PRAGMA foreign_keys = ON", "enabling foreign keys");
    m_schemaVersion = migrate(*this);

    // WAL lets readers on other connections see committed data while a
    // writer is active. The mode is stored in the file, so only switch once.
    bool isWal = false;
    {
        Query q(*this, "PRAGMA journal_mode");
        isWal = q.next() && q.text(0) == "wal";
    }
    if (!isWal) {
        Query q(*this, "PRAGMA journal_mode = WAL");
        if (!q.next() || q.text(0) != "wal")
            failPlain("cannot switch to WAL mode (is the folder on a network file system?)");
    }
    // In WAL mode NORMAL survives a killed process; only a power cut can lose
    // the last commits, and even then the file stays consistent.
    exec("PRAGMA synchronous = NORMAL", "setting synchronous mode");
}

void Connection::exec(const char* sql, const char* what)
{
    char* message = nullptr;
    const int rc = sqlite3_exec(m_db, sql, nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        noteFailure(rc);
        const std::string text = message ? message : sqlite3_errmsg(m_db);
        sqlite3_free(message);
        failPlain(std::string(what) + ": " + text);
    }
}

sqlite3_stmt* Connection::statement(const char* sql)
{
    auto it = m_statements.find(sql);
    if (it != m_statements.end())
        return it->second;
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v3(m_db, sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, nullptr) != SQLITE_OK)
        fail(std::string("preparing \"") + sql + "\"");
    m_statements.emplace(sql, statement);
    return statement;
}

int64_t Connection::changes() const { return sqlite3_changes64(m_db); }

int64_t Connection::lastInsertId() const { return sqlite3_last_insert_rowid(m_db); }

bool Connection::lastFailureWasBusy() const
{
    const int primary = m_lastFailure & 0xFF;
    return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

void Connection::fail(const std::string& what) const
{
    noteFailure(sqlite3_extended_errcode(m_db));
    throw tb::Error("run store " + m_path + ": " + what + ": " + sqlite3_errmsg(m_db));
}

void Connection::failPlain(const std::string& what) const
{
    throw tb::Error("run store " + m_path + ": " + what);
}

Query::Query(Connection& connection, const char* sql)
    : m_connection(connection), m_statement(connection.statement(sql))
{
}

Query::~Query()
{
    sqlite3_reset(m_statement);
    sqlite3_clear_bindings(m_statement);
}

Query& Query::bind(int index, int64_t value)
{
    sqlite3_bind_int64(m_statement, index, value);
    return *this;
}

Query& Query::bind(int index, double value)
{
    // SQLite would turn NaN into NULL anyway; say so explicitly.
    if (std::isnan(value))
        sqlite3_bind_null(m_statement, index);
    else
        sqlite3_bind_double(m_statement, index, value);
    return *this;
}

Query& Query::bind(int index, const std::string& value)
{
    if (isValidUtf8(value)) {
        sqlite3_bind_text(m_statement, index, value.data(), int(value.size()), SQLITE_TRANSIENT);
    } else {
        const std::string valid = validUtf8(value);
        sqlite3_bind_text(m_statement, index, valid.data(), int(valid.size()), SQLITE_TRANSIENT);
    }
    return *this;
}

Query& Query::bindNull(int index)
{
    sqlite3_bind_null(m_statement, index);
    return *this;
}

bool Query::next()
{
    const int rc = sqlite3_step(m_statement);
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    m_lastError = rc;
    m_connection.fail(std::string("running \"") + sqlite3_sql(m_statement) + "\"");
}

void Query::run()
{
    while (next()) {
    }
}

bool Query::isNull(int column) const { return sqlite3_column_type(m_statement, column) == SQLITE_NULL; }

int64_t Query::int64(int column) const { return sqlite3_column_int64(m_statement, column); }

double Query::real(int column) const
{
    if (isNull(column))
        return std::numeric_limits<double>::quiet_NaN();
    return sqlite3_column_double(m_statement, column);
}

std::string Query::text(int column) const
{
    // validUtf8: files written before text was checked on the way in may hold any bytes.
    const auto* bytes = reinterpret_cast<const char*>(sqlite3_column_text(m_statement, column));
    return bytes ? validUtf8(std::string_view(bytes, size_t(sqlite3_column_bytes(m_statement, column))))
                 : std::string();
}

Transaction::Transaction(Connection& connection) : m_connection(connection)
{
    m_connection.exec("BEGIN IMMEDIATE", "starting a write transaction");
}

Transaction::~Transaction()
{
    if (m_open)
        sqlite3_exec(m_connection.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit()
{
    m_connection.exec("COMMIT", "committing");
    m_open = false;
}

} // namespace tb::store
