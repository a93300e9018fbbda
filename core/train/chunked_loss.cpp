#include "train/chunked_loss.h"

#include "model/autocast.h"
#include "train/train_types.h"
#include "train/trainer.h"

#include <algorithm>

namespace tb::train {

using torch::Tensor;
using torch::indexing::Slice;

int64_t chunkedLossRows(int64_t vocab)
{
    return std::clamp<int64_t>(kChunkedLossBytes / (4 * std::max<int64_t>(1, vocab)), 16, 4096);
}

namespace {

// The dtype the head's matmul runs in: autocast's where it is on for this
// device (the loss of a bf16 run multiplies in bf16, as logits would have
// been), else the promoted type of the inputs.
torch::Dtype computeDtype(const Tensor& hidden, const Tensor& weight)
{
    return model::autocastDtype(hidden).value_or(torch::promote_types(hidden.scalar_type(), weight.scalar_type()));
}

struct ChunkResult {
    Tensor rowLoss;    // [n] f32
    Tensor gradHidden; // [n, C] in hidden's dtype, d Σloss / d hidden; when asked for
    Tensor gradWeight; // [V, C] f32, d Σloss / d weight; when asked for
};

// The loop itself over rows that all count (no -100 here). Gradients are of
// the plain sum of the row losses. Rows are split evenly over the fewest
// chunks of at most chunkRows; the chunk buffers are allocated once per call.
// A [rows, cols] tensor of `options` on `slot`'s storage, reallocated only when too small.
Tensor bufferIn(Tensor& slot, int64_t rows, int64_t cols, const torch::TensorOptions& options)
{
    if (!slot.defined() || slot.numel() < rows * cols || slot.dtype() != options.dtype() ||
        slot.device() != options.device())
        slot = torch::empty({rows * cols}, options);
    return slot.narrow(0, 0, rows * cols).view({rows, cols});
}

ChunkResult runChunks(const Tensor& hidden, const Tensor& weight, const Tensor& targets, int64_t chunkRows,
                      bool wantHidden, bool wantWeight, LossWorkspace* workspace)
{
    torch::NoGradGuard noGrad;
    const auto dtype = computeDtype(hidden, weight);
    const bool f32 = dtype == torch::kFloat32;
    const int64_t n = hidden.size(0), C = hidden.size(1), V = weight.size(0);
    const auto f32Options = hidden.options().dtype(torch::kFloat32);
    ChunkResult out;
    out.rowLoss = torch::empty({n}, f32Options);
    if (wantHidden)
        out.gradHidden = torch::empty({n, C}, hidden.options());
    if (wantWeight)
        out.gradWeight = torch::zeros({V, C}, f32Options);
    if (n == 0)
        return out;
    const int64_t chunks = (n + chunkRows - 1) / chunkRows;
    const int64_t rows = (n + chunks - 1) / chunks;
    const Tensor w = weight.to(dtype).contiguous(); // no copy when it is already in the compute dtype
    const Tensor wt = w.t();
    LossWorkspace local;
    LossWorkspace& ws = workspace ? *workspace : local;
    Tensor logitsBuffer = bufferIn(ws.logits, rows, V, f32Options); // f32 logits
    Tensor logpBuffer = bufferIn(ws.logp, rows, V, f32Options);     // log-softmax, then its gradient
    Tensor lowBuffer = f32 ? Tensor() : bufferIn(ws.low, rows, V, hidden.options().dtype(dtype));
    for (int64_t start = 0; start < n; start += rows) {
        const int64_t r = std::min(rows, n - start);
        const Tensor h = hidden.narrow(0, start, r).to(dtype);
        const Tensor t = targets.narrow(0, start, r).unsqueeze(1);
        Tensor logits = logitsBuffer.narrow(0, 0, r);
        if (f32) {
            torch::mm_out(logits, h, wt);
        } else {
            Tensor low = lowBuffer.narrow(0, 0, r);
            torch::mm_out(low, h, wt);
            logits.copy_(low);
        }
        Tensor logp = logpBuffer.narrow(0, 0, r);
        at::_log_softmax_out(logp, logits, 1, false);
        out.rowLoss.narrow(0, start, r).copy_(logp.gather(1, t).squeeze(1).neg());
        if (!wantHidden && !wantWeight)
            continue;
        // d loss_i / d logits_i = softmax_i − onehot(target_i), in place of logp.
        Tensor g = logp.exp_();
        g.scatter_add_(1, t, torch::full({r, 1}, -1.0f, f32Options));
        if (!f32)
            g = lowBuffer.narrow(0, 0, r).copy_(g);
        if (wantHidden) {
            Tensor dst = out.gradHidden.narrow(0, start, r);
            if (dst.scalar_type() == dtype)
                torch::mm_out(dst, g, w);
            else
                dst.copy_(torch::mm(g, w));
        }
        if (wantWeight) {
            if (f32)
                out.gradWeight.addmm_(g.t(), h);
            else
                out.gradWeight.add_(torch::mm(g.t(), h));
        }
    }
    return out;
}

// The loss as an autograd node whose gradients were computed in forward.
struct ChunkedCrossEntropy : torch::autograd::Function<ChunkedCrossEntropy> {
    static Tensor forward(torch::autograd::AutogradContext* ctx, const Tensor& hidden, const Tensor& weight,
                          const Tensor& targets, int64_t chunkRows, bool wantHidden, bool wantWeight,
                          LossWorkspace* workspace)
    {
        const auto valid = (targets != kIgnoreIndex).nonzero().squeeze(1);
        const bool all = valid.size(0) == targets.size(0);
        const Tensor h = all ? hidden : hidden.index_select(0, valid);
        const Tensor t = all ? targets : targets.index_select(0, valid);
        auto r = runChunks(h, weight, t, chunkRows, wantHidden, wantWeight, workspace);
        if (wantHidden && !all)
            r.gradHidden = torch::zeros_like(hidden).index_copy_(0, valid, r.gradHidden);
        if (wantWeight && r.gradWeight.scalar_type() != weight.scalar_type())
            r.gradWeight = r.gradWeight.to(weight.scalar_type());
        ctx->saved_data["grad_hidden"] = r.gradHidden;
        ctx->saved_data["grad_weight"] = r.gradWeight;
        return r.rowLoss.sum();
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list gradOutput)
    {
        // Scaled in place and handed over: the buffers are not kept for a second backward.
        auto take = [&](const char* key) {
            auto it = ctx->saved_data.find(key);
            TORCH_CHECK(it != ctx->saved_data.end(), "chunked cross-entropy: backward may run only once");
            Tensor grad = it->second.isTensor() ? it->second.toTensor() : Tensor();
            ctx->saved_data.erase(it);
            if (grad.defined())
                grad.mul_(gradOutput[0].to(grad.scalar_type()));
            return grad;
        };
        Tensor gh = take("grad_hidden");
        Tensor gw = take("grad_weight");
        return {gh, gw, Tensor(), Tensor(), Tensor(), Tensor(), Tensor()};
    }
};

void checkShapes(const Tensor& hidden, const Tensor& weight, const Tensor& targets)
{
    TORCH_CHECK(hidden.dim() == 2 && weight.dim() == 2 && targets.dim() == 1, "chunked cross-entropy: hidden [N, C], "
                "weight [V, C] and targets [N] expected");
    TORCH_CHECK(hidden.size(1) == weight.size(1) && hidden.size(0) == targets.size(0),
                "chunked cross-entropy: shapes do not match");
}

int64_t rowsFor(int64_t chunkRows, const Tensor& weight)
{
    return chunkRows > 0 ? chunkRows : chunkedLossRows(weight.size(0));
}

// hidden [B, T, C] → [B·(T−1), C] rows and their targets, position t predicting t+1.
std::pair<Tensor, Tensor> shifted(const LmOutput& output, const Tensor& labels)
{
    const auto& h = output.states;
    return {h.index({Slice(), Slice(0, -1)}).reshape({-1, h.size(-1)}), labels.index({Slice(), Slice(1)}).reshape({-1})};
}

} // namespace

Tensor chunkedCrossEntropySum(const Tensor& hidden, const Tensor& weight, const Tensor& targets, int64_t chunkRows,
                              LossWorkspace* workspace)
{
    checkShapes(hidden, weight, targets);
    const bool grad = torch::GradMode::is_enabled();
    return ChunkedCrossEntropy::apply(hidden, weight, targets, rowsFor(chunkRows, weight),
                                      grad && hidden.requires_grad(), grad && weight.requires_grad(), workspace);
}

Tensor chunkedCrossEntropyRows(const Tensor& hidden, const Tensor& weight, const Tensor& targets, int64_t chunkRows)
{
    checkShapes(hidden, weight, targets);
    torch::NoGradGuard noGrad;
    const auto valid = (targets != kIgnoreIndex).nonzero().squeeze(1);
    auto r = runChunks(hidden.index_select(0, valid), weight, targets.index_select(0, valid),
                       rowsFor(chunkRows, weight), false, false, nullptr);
    return torch::zeros({hidden.size(0)}, r.rowLoss.options()).index_copy_(0, valid, r.rowLoss);
}

std::pair<Tensor, int64_t> causalLmLoss(const LmOutput& output, const Tensor& labels, LossWorkspace* workspace)
{
    if (!output.head.defined())
        return causalLmLoss(output.states, labels);
    auto [rows, targets] = shifted(output, labels);
    const int64_t count = (targets != kIgnoreIndex).sum().item<int64_t>();
    auto loss = chunkedCrossEntropySum(rows, output.head, targets, 0, workspace);
    return {count > 0 ? loss / static_cast<double>(count) : loss * 0.0, count};
}

std::pair<Tensor, Tensor> rowLossSums(const LmOutput& output, const Tensor& labels)
{
    if (!output.head.defined())
        return rowLossSums(output.states, labels);
    auto [rows, targets] = shifted(output, labels);
    const int64_t B = labels.size(0);
    auto perToken = chunkedCrossEntropyRows(rows, output.head, targets).reshape({B, -1});
    return {perToken.sum(1), (targets.reshape({B, -1}) != kIgnoreIndex).sum(1)};
}

} // namespace tb::train
