#include "eval/likelihood.h"

#include "common/error.h"
#include "train/chunked_loss.h"

#include <algorithm>

namespace tb::eval {

Scored scoreContinuations(const ScoringModel& model, const std::vector<std::vector<int64_t>>& contexts,
                          const std::vector<std::vector<int64_t>>& continuations, size_t batch,
                          const RunControl* control, const std::function<void(size_t)>& done)
{
    const auto& c = model.lm->config();
    const int64_t maxInput = c.maxPositions - model.softPromptLength();
    Scored s;
    s.logprob.resize(contexts.size());
    s.tokens.resize(contexts.size());
    torch::NoGradGuard noGrad;
    const auto dev = model.device();
    for (size_t start = 0; start < contexts.size(); start += batch) {
        throwIfCancelled(control);
        const size_t end = std::min(contexts.size(), start + batch);
        std::vector<std::vector<int64_t>> inputs;
        std::vector<int64_t> firstTarget; // index in the input whose next token is the continuation's first
        int64_t width = 0;
        for (size_t i = start; i < end; ++i) {
            std::vector<int64_t> all = contexts[i];
            all.insert(all.end(), continuations[i].begin(), continuations[i].end());
            // The model sees all but the last token; overlong inputs lose their start.
            std::vector<int64_t> input(all.begin(), all.end() - 1);
            int64_t first = static_cast<int64_t>(contexts[i].size()) - 1;
            if (static_cast<int64_t>(input.size()) > maxInput) {
                const int64_t drop = static_cast<int64_t>(input.size()) - maxInput;
                input.erase(input.begin(), input.begin() + drop);
                first -= drop;
                if (first < 0)
                    throw Error("an option is longer than the model's context of " + std::to_string(c.maxPositions)
                                + " tokens");
            }
            width = std::max<int64_t>(width, static_cast<int64_t>(input.size()));
            inputs.push_back(std::move(input));
            firstTarget.push_back(first);
        }
        const int64_t B = static_cast<int64_t>(inputs.size());
        auto ids = torch::zeros({B, width}, torch::kLong);
        for (int64_t r = 0; r < B; ++r)
            ids.index_put_({r, torch::indexing::Slice(0, static_cast<int64_t>(inputs[r].size()))},
                           torch::tensor(inputs[r], torch::kLong));
        // Only the positions that predict a continuation token are scored,
        // from their final hidden states and the head (train/chunked_loss.h),
        // so a batch never holds [B, T, vocab] (2.5 GB in f32 for 8 × 512
        // positions of a 151,936-token vocabulary).
        std::vector<int64_t> positions, targets;
        for (int64_t r = 0; r < B; ++r)
            for (size_t j = 0; j < continuations[start + r].size(); ++j) {
                positions.push_back(r * width + firstTarget[r] + static_cast<int64_t>(j));
                targets.push_back(continuations[start + r][j]);
            }
        const auto out = train::lmOutput(*model.lm->module(), [&] { return model.forward(ids.to(dev)); });
        const auto rows = out.states.reshape({-1, out.states.size(-1)}).index_select(0, torch::tensor(positions).to(dev));
        const auto target = torch::tensor(targets).to(dev);
        // Negative log-probabilities of the continuation tokens, f32.
        const auto loss = (out.head.defined() ? train::chunkedCrossEntropyRows(rows, out.head, target)
                                              : -torch::log_softmax(rows.to(torch::kFloat32), -1)
                                                     .gather(1, target.unsqueeze(1))
                                                     .squeeze(1))
                              .cpu();
        int64_t row = 0;
        for (int64_t r = 0; r < B; ++r) {
            const int64_t n = static_cast<int64_t>(continuations[start + r].size());
            s.logprob[start + r] = -loss.narrow(0, row, n).to(torch::kFloat64).sum().item<double>();
            row += n;
            s.tokens[start + r] = n;
            s.processed += static_cast<int64_t>(inputs[r].size());
        }
        if (done)
            done(end);
    }
    return s;
}

} // namespace tb::eval
