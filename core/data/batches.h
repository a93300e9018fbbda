#pragma once
// Batches for data-parallel training, as plain vectors (no tensors). Each
// epoch's order is a seeded permutation, the same on every rank; the
// permutation is cut into global batches and rank r of w takes global batches
// r, r + w, r + 2w, ... Any (epoch, step) can be produced directly, so a run
// resumes exactly where it stopped.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "data/tokenized.h"

namespace tb::data {

struct BatchOptions {
    size_t batchSize = 8; // rows per batch on one rank
    uint64_t seed = 0;
    bool shuffle = true; // false: the sequences' own order every epoch
    size_t rank = 0;
    size_t worldSize = 1;
    bool dropLast = false; // drop a last global batch with fewer than batchSize rows
    // 0: pad each batch to its longest row. Otherwise every batch is this wide
    // (fixed shapes); a longer sequence is an error at construction.
    size_t padTo = 0;
    TokenId padId = 0;
};

struct BatchPosition {
    size_t epoch = 0;
    size_t step = 0; // this rank's step within the epoch
};

struct Batch {
    size_t rows = 0;
    size_t columns = 0;
    // rows x columns, row-major, right-padded.
    std::vector<TokenId> ids;           // padId on padding
    std::vector<TokenId> labels;        // kIgnoreIndex on padding
    std::vector<int64_t> attentionMask; // 1 on tokens, 0 on padding
    std::vector<int64_t> positionIds;   // from 0 at each example's start (packed rows restart), 0 on padding
    std::vector<int64_t> documentIds;   // 1, 2, ... per example within a row, 0 on padding
    std::vector<size_t> sequenceIndices; // the sequences in the rows, for tracing
    BatchPosition position;
};

class BatchSampler {
public:
    // Throws tb::Error: no sequences, batchSize 0, rank >= worldSize, fewer
    // global batches than ranks, ids/labels of different lengths, a sequence
    // longer than padTo.
    BatchSampler(std::vector<Sequence> sequences, const BatchOptions& options);

    // Global batches per epoch (before dealing them out to ranks).
    size_t globalBatchesPerEpoch() const;
    // Steps per epoch, the same on every rank: global batches / worldSize,
    // rounded down, so no rank waits for a peer that has run out.
    size_t stepsPerEpoch() const;
    // The epoch's permutation of sequence indices.
    std::vector<size_t> epochOrder(size_t epoch) const;

    // Not thread-safe: the current epoch's order is cached.
    Batch batchAt(BatchPosition position) const;

    // Sequential use: the batch at position(), then advance (to the next epoch
    // after the last step).
    Batch next();
    BatchPosition position() const { return m_position; }
    void seek(BatchPosition position);

private:
    std::vector<Sequence> m_sequences;
    BatchOptions m_options;
    BatchPosition m_position;
    mutable size_t m_cachedEpoch = SIZE_MAX;
    mutable std::vector<size_t> m_cachedOrder;
};

} // namespace tb::data
