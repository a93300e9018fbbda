#include "eval/likelihood.h"

#include "common/error.h"

#include <algorithm>

namespace tb::eval {

using torch::Tensor;

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
        // Logits only for the rows that predict a continuation token: the
        // final hidden states of those positions times the head, so a batch
        // never holds [B, T, vocab] (2.5 GB in f32 for 8 × 512 positions of
        // a 151,936-token vocabulary). A head with unmerged LoRA has no plain
        // weight (headWeight undefined): then the forward's logits.
        std::vector<Tensor> wanted;
        for (int64_t r = 0; r < B; ++r)
            wanted.push_back(torch::arange(firstTarget[r], firstTarget[r] + static_cast<int64_t>(continuations[start + r].size()),
                                           torch::kLong) + r * width);
        const auto rowIndex = torch::cat(wanted).to(dev);
        Tensor logits;
        auto base = model.lm->module();
        if (const Tensor head = base->headWeight(); head.defined()) {
            model::HiddenStatesScope hidden(*base);
            const auto states = model.forward(ids.to(dev));
            logits = torch::matmul(states.reshape({-1, states.size(-1)}).index_select(0, rowIndex), head.t());
        } else {
            const auto all = model.forward(ids.to(dev));
            logits = all.reshape({-1, all.size(-1)}).index_select(0, rowIndex);
        }
        const auto logp = torch::log_softmax(logits.to(torch::kFloat32), -1).cpu();
        int64_t row = 0;
        for (int64_t r = 0; r < B; ++r) {
            const auto& cont = continuations[start + r];
            const int64_t n = static_cast<int64_t>(cont.size());
            auto rows = logp.narrow(0, row, n);
            row += n;
            auto picked = rows.gather(1, torch::tensor(cont, torch::kLong).view({n, 1}));
            s.logprob[start + r] = picked.to(torch::kFloat64).sum().item<double>();
            s.tokens[start + r] = n;
            s.processed += static_cast<int64_t>(inputs[r].size());
        }
        if (done)
            done(end);
    }
    return s;
}

} // namespace tb::eval
