#pragma once
// Splits [0, n) into `chunks` contiguous pieces and runs fn(begin, end,
// chunk) on each, one thread per piece, the last on the calling thread (also
// every piece when no thread can be started). Pieces must write disjoint
// outputs, so results equal a single thread's. Rethrows the exception of the
// earliest piece that threw.
#include <algorithm>
#include <cstddef>
#include <exception>
#include <system_error>
#include <thread>
#include <vector>

namespace tb {

template <class Fn>
void forChunks(size_t n, size_t chunks, Fn fn)
{
    chunks = std::max<size_t>(1, chunks);
    std::vector<std::thread> workers;
    std::vector<std::exception_ptr> errors(chunks);
    for (size_t c = 0; c < chunks; ++c) {
        auto job = [&, c] {
            try {
                fn(n * c / chunks, n * (c + 1) / chunks, c);
            } catch (...) {
                errors[c] = std::current_exception();
            }
        };
        if (c + 1 < chunks) {
            try {
                workers.emplace_back(job);
                continue;
            } catch (const std::system_error&) {
                // no thread to be had: run the piece here
            }
        }
        job();
    }
    for (auto& w : workers)
        w.join();
    for (auto& e : errors)
        if (e)
            std::rethrow_exception(e);
}

// One piece per core, at most one per `grain` items.
inline size_t chunksPerCore(size_t n, size_t grain)
{
    const size_t cores = std::max(1u, std::thread::hardware_concurrency());
    return std::max<size_t>(1, std::min(cores, n / grain));
}

} // namespace tb
