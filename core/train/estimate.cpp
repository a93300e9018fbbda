#include "train/estimate.h"

#include "common/cpu_features.h"
#include "peft/targets.h"

#include <algorithm>
#include <set>
#include <string>

namespace tb::train {

namespace {

constexpr int64_t kF32 = 4, kBf16 = 2;

// Bytes one block keeps for the backward pass per token, counted from what
// autograd saves in model/causal_lm.cpp's blocks (LibTorch saves an input
// only when a gradient needs it, so a frozen projection keeps nothing). `a`
// is the activation dtype's size (2 under bf16 autocast, else 4); s is the
// sequence length the attention scores span.
//  - both norms keep their input in float32 (RMSNorm/LayerNorm normalise in f32): 2·h·4;
//  - Llama: the norm output the LoRA/trainable q,k,v read, rotated q and k, the
//    reshaped q of the score matmul, v, the o_proj input: a·(4h + 2kv); the
//    MLP's gate and up, which the fused SwiGLU keeps (model/fused_ops.h): a·2I.
//    Full fine-tuning also keeps the inputs of gate/up and of down_proj: a·(h + I);
//  - GPT-2: ln_1 output, the fused q,k,v (kept whole by the k and v views),
//    the reshaped q: a·5h; the GELU input: a·I. Full: o/c_fc inputs and the
//    GELU output, a·(2h + I);
//  - attention: the probabilities, kept once by the fused attention in the
//    activation dtype (model/fused_ops.h), H·s·a.
double blockBytesPerToken(const model::ModelConfig& c, bool full, double a, double s)
{
    const double h = static_cast<double>(c.hiddenSize), I = static_cast<double>(c.intermediateSize);
    const double kv = static_cast<double>(c.numKvHeads * c.headDim), heads = static_cast<double>(c.numHeads);
    double bytes = 2.0 * h * kF32;
    if (c.family == model::Family::Llama)
        bytes += a * (4.0 * h + 2.0 * kv + 2.0 * I) + (full ? a * (h + I) : 0.0);
    else
        bytes += a * (5.0 * h + I) + (full ? a * (2.0 * h + I) : 0.0);
    bytes += heads * s * a;
    return bytes;
}

// Bytes of the base model's parameters as training holds them. f32 unless the
// frozen base stays bf16 under mixed precision (every method but full
// fine-tuning). Selective tuning keeps only the frozen projection matrices
// bf16: what it trains is f32, and the norms and embeddings share the
// residual stream's dtype, f32 (peft/peft_model.cpp keepTrainedInF32).
int64_t baseBytes(const model::ModelConfig& c, const peft::MethodConfig& method, bool bf16)
{
    const auto params = peft::parameterList(c);
    int64_t bytes = 0;
    if (!bf16 || method.method == peft::Method::Full) {
        for (const auto& p : params)
            bytes += p.numel() * kF32;
        return bytes;
    }
    if (method.method != peft::Method::Selective) {
        for (const auto& p : params)
            bytes += p.numel() * kBf16;
        return bytes;
    }
    std::set<std::string> projectionParams;
    for (const auto& proj : peft::projectionList(c))
        for (const char* suffix : {".weight", ".bias"})
            projectionParams.insert(proj.path + suffix);
    const peft::SelectiveMatcher selected(method.selective, c.tieEmbeddings);
    for (const auto& p : params) {
        const bool half = !selected.selects(p.name) && projectionParams.count(p.name);
        bytes += p.numel() * (half ? kBf16 : kF32);
    }
    return bytes;
}

} // namespace

int64_t lossChunkRows(int64_t vocabSize)
{
    return std::clamp<int64_t>((int64_t(64) << 20) / (kF32 * std::max<int64_t>(1, vocabSize)), 16, 4096);
}

Estimate estimate(const model::ModelConfig& c, const peft::MethodConfig& method, const TrainConfig& training,
                  int64_t sequenceLength)
{
    Estimate e;
    const auto count = peft::countTrainable(c, method);
    e.total = count.total;
    e.trainable = count.trainable;
    e.precision = resolvePrecision(training.precision, training.device);
    e.checkpointing = training.gradientCheckpointing == "true";
    const bool bf16 = e.precision == "bf16";
    const bool full = method.method == peft::Method::Full;
    auto& m = e.memory;

    m.runtime = kRuntimeBytes;
    // Weights: the base (baseBytes: a frozen base stays bf16 under mixed
    // precision, the loader keeping BF16 files as they are and converting
    // others), plus what the method adds, float32 master weights. Under bf16
    // autocast also keeps a bf16 copy of each trainable weight it casts (its
    // cache, until the step's backward is done).
    const int64_t base = c.parameterCount();
    m.weights = baseBytes(c, method, bf16) + (e.total - base) * kF32 + (bf16 ? e.trainable * kBf16 : 0);
    m.gradients = e.trainable * kF32;
    if (training.optimizer == "sgd")
        m.optimizer = training.momentum > 0 ? e.trainable * kF32 : 0;
    else
        m.optimizer = 2 * e.trainable * kF32;

    // Activations per micro-batch (gradient accumulation does not add to
    // them). Without checkpointing every block's saved tensors plus one more
    // block's worth for the backward pass working through a block (its
    // gradients); with it only each block's input (in the activation dtype)
    // plus two blocks' worth (the one recomputed and its gradients).
    const double a = bf16 ? kBf16 : kF32;
    const double b = static_cast<double>(std::max<int64_t>(training.batchSize, 1));
    const double s = static_cast<double>(std::max<int64_t>(sequenceLength, 1) + count.extraTokens);
    const double tokens = b * s;
    const double block = tokens * blockBytesPerToken(c, full, a, s);
    const double layers = static_cast<double>(c.numLayers);
    const double inputs = tokens * static_cast<double>(c.hiddenSize) * a;
    m.activations = static_cast<int64_t>(e.checkpointing ? layers * inputs + 2.0 * block : (layers + 1.0) * block);
    m.allocator = static_cast<int64_t>(kAllocatorSlack * static_cast<double>(m.activations));

    // Chunked cross-entropy (train/chunked_loss.h): the final hidden states,
    // their shifted copy and their gradient (3 · tokens · h in the activation
    // dtype) and one chunk of logits: the matmul's output, its float32 log-
    // softmax (which becomes the gradient in place), and under bf16 the f32
    // cast and the bf16 gradient. A trainable head also gets a float32
    // gradient accumulator of its own, [vocab, hidden].
    const double V = static_cast<double>(c.vocabSize);
    const int64_t predicted = std::max<int64_t>(1, static_cast<int64_t>(b) * (sequenceLength - 1));
    const double rows = static_cast<double>(std::min(lossChunkRows(c.vocabSize), predicted));
    const double chunk = rows * V * (bf16 ? kBf16 + kF32 + kF32 + kBf16 : kF32 + kF32);
    const bool headTrains = full || (method.method == peft::Method::Selective &&
                                     (method.selective.head || (c.tieEmbeddings && method.selective.embeddings)));
    const double head = headTrains ? V * static_cast<double>(c.hiddenSize) * kF32 : 0.0;
    m.loss = static_cast<int64_t>(3.0 * inputs + chunk + head);
    return e;
}

} // namespace tb::train
