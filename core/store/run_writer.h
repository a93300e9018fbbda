#pragma once
// The training job's side of the run store: writes are queued by the caller
// (cheap, never touching the disk) and committed by a thread that owns its
// own SQLite connection, many per transaction (qBittorrent's resume-data
// storage works the same way). A training step is never held up by fsync,
// and readers on other connections see each batch once it commits.
#include "store/run_store.h"

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace tb::store {

struct RunWriterOptions {
    // A batch commits when this many writes are queued...
    size_t batchSize = 512;
    // ...or when the oldest queued write has waited this long.
    std::chrono::milliseconds flushInterval{250};
};

class RunWriter {
public:
    // Opens its own connection (migrating the file like RunStore does) before
    // returning, so a bad path throws here rather than on the thread.
    explicit RunWriter(const std::string& path, RunWriterOptions options = {});
    // Commits everything still queued, then stops the thread. Errors that
    // nobody collected with flush() are dropped here.
    ~RunWriter();
    RunWriter(const RunWriter&) = delete;
    RunWriter& operator=(const RunWriter&) = delete;

    // Thread-safe; applied in the order queued.
    void appendMetric(RunId run, int64_t step, const std::string& name, double value, int64_t wallTime = 0);
    void setStatus(RunId run, RunStatus status, const std::string& errorMessage = {});
    void addCheckpoint(RunId run, int64_t step, const std::string& path, bool resumable);
    void addArtifact(const Artifact& artifact);

    // Blocks until everything queued before the call is committed. Throws
    // tb::Error with the first write that failed since the last flush (for
    // example an unknown run id); the other writes of its batch still commit.
    void flush();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace tb::store
