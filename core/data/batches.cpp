#include "data/batches.h"

#include <algorithm>
#include <numeric>

#include "common/error.h"
#include "data/rng.h"

namespace tb::data {

BatchSampler::BatchSampler(std::vector<Sequence> sequences, const BatchOptions& options)
    : m_sequences(std::move(sequences)), m_options(options)
{
    if (m_sequences.empty())
        throw Error("batches: expected at least one sequence, found none");
    if (m_options.batchSize == 0)
        throw Error("batches: batch size: expected at least 1, found 0");
    if (m_options.worldSize == 0 || m_options.rank >= m_options.worldSize)
        throw Error("batches: rank: expected 0 <= rank < world size " + std::to_string(m_options.worldSize)
                    + ", found " + std::to_string(m_options.rank));
    for (size_t i = 0; i < m_sequences.size(); ++i) {
        const Sequence& s = m_sequences[i];
        if (s.ids.size() != s.labels.size())
            throw Error("batches: sequence " + std::to_string(i) + ": expected as many labels as ids ("
                        + std::to_string(s.ids.size()) + "), found " + std::to_string(s.labels.size()));
        if (m_options.padTo > 0 && s.ids.size() > m_options.padTo)
            throw Error("batches: sequence " + std::to_string(i) + ": expected at most padTo = "
                        + std::to_string(m_options.padTo) + " tokens, found " + std::to_string(s.ids.size()));
    }
    if (stepsPerEpoch() == 0)
        throw Error("batches: " + std::to_string(m_sequences.size()) + " sequences make "
                    + std::to_string(globalBatchesPerEpoch()) + " batches of " + std::to_string(m_options.batchSize)
                    + ", expected at least one per rank (world size " + std::to_string(m_options.worldSize) + ")");
}

size_t BatchSampler::globalBatchesPerEpoch() const
{
    const size_t n = m_sequences.size();
    const size_t b = m_options.batchSize;
    return m_options.dropLast ? n / b : (n + b - 1) / b;
}

size_t BatchSampler::stepsPerEpoch() const
{
    return globalBatchesPerEpoch() / m_options.worldSize;
}

std::vector<size_t> BatchSampler::epochOrder(size_t epoch) const
{
    std::vector<size_t> order(m_sequences.size());
    std::iota(order.begin(), order.end(), size_t(0));
    if (m_options.shuffle) {
        Rng rng(deriveSeed(m_options.seed, epoch));
        rng.shuffle(order);
    }
    return order;
}

Batch BatchSampler::batchAt(BatchPosition position) const
{
    if (position.step >= stepsPerEpoch())
        throw Error("batches: step: expected < " + std::to_string(stepsPerEpoch()) + " steps per epoch, found "
                    + std::to_string(position.step));
    if (m_cachedEpoch != position.epoch) {
        m_cachedOrder = epochOrder(position.epoch);
        m_cachedEpoch = position.epoch;
    }
    const size_t global = position.step * m_options.worldSize + m_options.rank;
    const size_t begin = global * m_options.batchSize;
    const size_t end = std::min(begin + m_options.batchSize, m_cachedOrder.size());

    Batch batch;
    batch.position = position;
    batch.sequenceIndices.assign(m_cachedOrder.begin() + begin, m_cachedOrder.begin() + end);
    batch.rows = batch.sequenceIndices.size();
    batch.columns = m_options.padTo;
    if (batch.columns == 0) {
        for (size_t i : batch.sequenceIndices)
            batch.columns = std::max(batch.columns, m_sequences[i].ids.size());
    }
    const size_t cells = batch.rows * batch.columns;
    batch.ids.assign(cells, m_options.padId);
    batch.labels.assign(cells, kIgnoreIndex);
    batch.attentionMask.assign(cells, 0);
    batch.positionIds.assign(cells, 0);
    batch.documentIds.assign(cells, 0);

    for (size_t row = 0; row < batch.rows; ++row) {
        const Sequence& s = m_sequences[batch.sequenceIndices[row]];
        const size_t base = row * batch.columns;
        std::copy(s.ids.begin(), s.ids.end(), batch.ids.begin() + base);
        std::copy(s.labels.begin(), s.labels.end(), batch.labels.begin() + base);
        size_t document = 0;
        size_t docStart = 0;
        for (size_t t = 0; t < s.ids.size(); ++t) {
            // An empty starts list means one example from 0.
            if (document < s.starts.size() && s.starts[document] == t) {
                docStart = t;
                ++document;
                while (document < s.starts.size() && s.starts[document] == t)
                    ++document; // empty examples leave no tokens
            }
            batch.attentionMask[base + t] = 1;
            batch.positionIds[base + t] = static_cast<int64_t>(t - docStart);
            batch.documentIds[base + t] = static_cast<int64_t>(std::max<size_t>(document, 1));
        }
    }
    return batch;
}

Batch BatchSampler::next()
{
    Batch batch = batchAt(m_position);
    if (++m_position.step == stepsPerEpoch()) {
        m_position.step = 0;
        ++m_position.epoch;
    }
    return batch;
}

void BatchSampler::seek(BatchPosition position)
{
    if (position.step >= stepsPerEpoch())
        throw Error("batches: resume step: expected < " + std::to_string(stepsPerEpoch())
                    + " steps per epoch, found " + std::to_string(position.step));
    m_position = position;
}

} // namespace tb::data
