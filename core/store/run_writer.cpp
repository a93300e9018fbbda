#include "store/run_writer.h"

#include "common/error.h"
#include "store/connection.h"
#include "store/writes.h"

#include <condition_variable>
#include <mutex>
#include <thread>
#include <variant>
#include <vector>

namespace tb::store {

namespace {

struct MetricWrite {
    RunId run;
    MetricPoint point;
};

struct StatusWrite {
    RunId run;
    RunStatus status;
    std::string errorMessage;
};

struct CheckpointWrite {
    RunId run;
    int64_t step;
    std::string path;
    bool resumable;
};

using Write = std::variant<MetricWrite, StatusWrite, CheckpointWrite, Artifact>;

struct Apply {
    Connection& connection;
    void operator()(const MetricWrite& w) const { insertMetric(connection, w.run, w.point); }
    void operator()(const StatusWrite& w) const { updateStatus(connection, w.run, w.status, w.errorMessage); }
    void operator()(const CheckpointWrite& w) const
    {
        insertCheckpoint(connection, w.run, w.step, w.path, w.resumable);
    }
    void operator()(const Artifact& a) const { insertArtifact(connection, a); }
};

} // namespace

struct RunWriter::Impl {
    Impl(const std::string& path, RunWriterOptions writerOptions)
        : connection(path), options(writerOptions)
    {
        if (options.batchSize == 0)
            options.batchSize = 1;
        thread = std::thread([this] { loop(); });
    }

    void enqueue(Write write)
    {
        std::lock_guard<std::mutex> lock(mutex);
        if (queue.empty())
            oldestQueued = std::chrono::steady_clock::now();
        queue.push_back(std::move(write));
        ++queuedCount;
        // Wake the thread to start the interval timer, or because a batch is
        // full; in between it sleeps, which is the point of batching.
        if (queue.size() == 1 || queue.size() == options.batchSize)
            wake.notify_one();
    }

    bool batchDue() const { return stopping || flushTarget > doneCount || queue.size() >= options.batchSize; }

    void loop()
    {
        std::unique_lock<std::mutex> lock(mutex);
        for (;;) {
            if (queue.empty()) {
                if (stopping)
                    return;
                wake.wait(lock, [this] { return stopping || !queue.empty(); });
                continue;
            }
            if (!batchDue())
                wake.wait_until(lock, oldestQueued + options.flushInterval, [this] { return batchDue(); });
            std::vector<Write> batch;
            batch.swap(queue);
            lock.unlock();
            const std::string error = commit(batch);
            lock.lock();
            doneCount += batch.size();
            if (firstError.empty())
                firstError = error;
            committed.notify_all();
        }
    }

    // Another process holding the write lock (a long query, a backup) is no
    // reason to lose a training run's history: a batch that finds the store
    // locked past the busy timeout is tried again, whole, until this long has
    // passed. New writes keep queueing in memory meanwhile.
    static constexpr std::chrono::minutes kLockedGiveUp{10};
    static constexpr std::chrono::milliseconds kLockedRetryPause{100};

    struct Locked {}; // the store stayed locked past the busy timeout

    std::string commit(const std::vector<Write>& batch)
    {
        const auto giveUpAt = std::chrono::steady_clock::now() + kLockedGiveUp;
        for (;;) {
            try {
                return commitOnce(batch);
            } catch (const Locked&) {
                if (std::chrono::steady_clock::now() >= giveUpAt)
                    return "run store " + connection.path() + ": still locked by another process after "
                        + std::to_string(kLockedGiveUp.count()) + " minutes; " + std::to_string(batch.size())
                        + " writes were not recorded";
                std::this_thread::sleep_for(kLockedRetryPause);
            }
        }
    }

    // One transaction for the whole batch. A write that fails (say, an
    // unknown run id) is reported, and the rest of the batch still commits.
    std::string commitOnce(const std::vector<Write>& batch)
    {
        std::string error;
        connection.clearLastFailure();
        try {
            Transaction transaction(connection);
            for (const Write& write : batch) {
                try {
                    std::visit(Apply{connection}, write);
                } catch (const tb::Error& e) {
                    if (connection.lastFailureWasBusy())
                        throw Locked{};
                    if (error.empty())
                        error = e.what();
                }
            }
            transaction.commit();
        } catch (const tb::Error& e) {
            if (connection.lastFailureWasBusy())
                throw Locked{};
            if (error.empty())
                error = e.what();
        } catch (const std::exception& e) {
            if (error.empty())
                error = e.what();
        }
        return error;
    }

    Connection connection; // used only by `thread` once it has started
    RunWriterOptions options;

    std::mutex mutex;
    std::condition_variable wake;      // tells the thread there is work
    std::condition_variable committed; // tells flush() a batch is done
    std::vector<Write> queue;
    std::chrono::steady_clock::time_point oldestQueued;
    uint64_t queuedCount = 0; // writes ever queued
    uint64_t doneCount = 0;   // writes ever applied (committed or failed)
    uint64_t flushTarget = 0; // a flush() waits until doneCount reaches this
    bool stopping = false;
    std::string firstError;

    std::thread thread;
};

RunWriter::RunWriter(const std::string& path, RunWriterOptions options)
    : m_impl(std::make_unique<Impl>(path, options))
{
}

RunWriter::~RunWriter()
{
    {
        std::lock_guard<std::mutex> lock(m_impl->mutex);
        m_impl->stopping = true;
    }
    m_impl->wake.notify_one();
    m_impl->thread.join();
}

void RunWriter::appendMetric(RunId run, int64_t step, const std::string& name, double value, int64_t wallTime)
{
    m_impl->enqueue(MetricWrite{run, {step, name, value, wallTime != 0 ? wallTime : nowMs()}});
}

void RunWriter::setStatus(RunId run, RunStatus status, const std::string& errorMessage)
{
    m_impl->enqueue(StatusWrite{run, status, errorMessage});
}

void RunWriter::addCheckpoint(RunId run, int64_t step, const std::string& path, bool resumable)
{
    m_impl->enqueue(CheckpointWrite{run, step, path, resumable});
}

void RunWriter::addArtifact(const Artifact& artifact)
{
    m_impl->enqueue(artifact);
}

void RunWriter::flush()
{
    Impl& d = *m_impl;
    std::unique_lock<std::mutex> lock(d.mutex);
    const uint64_t target = d.queuedCount;
    if (target > d.flushTarget)
        d.flushTarget = target;
    d.wake.notify_one();
    d.committed.wait(lock, [&] { return d.doneCount >= target; });
    std::string error;
    error.swap(d.firstError);
    if (!error.empty())
        throw tb::Error(error);
}

} // namespace tb::store
