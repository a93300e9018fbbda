#include "model/generation.h"

#include "common/error.h"
#include "model/autocast.h"
#include "tokenizer/tokenizer.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <sstream>

namespace tb::model {

namespace {

// Which token follows, from one row's last logits (float32, CPU).
int64_t pickToken(torch::Tensor logits, const GenerationOptions& o, at::Generator& gen)
{
    if (logits.isnan().any().item<bool>())
        throw Error("generate: the model's logits are NaN: its weights hold NaN or infinite values, or overflow "
                    "in " + std::string(c10::toString(logits.scalar_type())) + "; check the model files");
    if (o.temperature == 0.0)
        return logits.argmax().item<int64_t>();
    logits = logits / o.temperature;
    const int64_t V = logits.size(0);
    if (o.topK > 0 && o.topK < V) {
        auto kth = std::get<0>(logits.topk(o.topK)).index({o.topK - 1});
        logits = logits.masked_fill(logits < kth, -std::numeric_limits<float>::infinity());
    }
    if (o.topP == 0.0) // the limit of ever smaller nuclei: the most likely token alone
        return logits.argmax().item<int64_t>();
    if (o.topP < 1.0) {
        auto [sorted, order] = logits.sort(/*dim=*/0, /*descending=*/true);
        auto cumulative = torch::softmax(sorted, 0).cumsum(0);
        // Drop a token once the tokens before it already reach top_p; the first always stays.
        auto drop = (cumulative - torch::softmax(sorted, 0)) >= o.topP;
        auto dropOriginal = torch::zeros_like(drop).scatter(0, order, drop);
        logits = logits.masked_fill(dropOriginal, -std::numeric_limits<float>::infinity());
    }
    auto probs = torch::softmax(logits, 0);
    return torch::multinomial(probs, 1, false, gen).item<int64_t>();
}

bool holdsBf16(CausalLMImpl& module)
{
    for (const auto& p : module.parameters())
        if (p.scalar_type() == torch::kBFloat16)
            return true;
    return false;
}

} // namespace

void checkGenerationOptions(const GenerationOptions& o)
{
    auto text = [](double v) {
        std::ostringstream out;
        out << v;
        return out.str();
    };
    if (!(o.temperature >= 0.0) || std::isinf(o.temperature))
        throw Error("generate: temperature must be 0 (greedy) or a positive number, found " + text(o.temperature));
    if (o.temperature > 0.0 && o.temperature < kMinTemperature)
        throw Error("generate: temperature " + text(o.temperature) + " is too small to sample with; use 0 for "
                    "greedy decoding or a value of at least " + text(kMinTemperature));
    if (!(o.topP >= 0.0 && o.topP <= 1.0))
        throw Error("generate: top_p must be in [0, 1] (1 = off, 0 = only the most likely token), found " +
                    text(o.topP));
    if (o.topK < 0)
        throw Error("generate: top_k must be 0 (off) or a positive number, found " + std::to_string(o.topK));
    if (o.maxNewTokens < 0)
        throw Error("generate: max new tokens must be >= 0");
}

void checkTokenIds(const std::vector<int64_t>& ids, int64_t vocab, const char* what)
{
    for (size_t i = 0; i < ids.size(); ++i)
        if (ids[i] < 0 || ids[i] >= vocab)
            throw Error(std::string(what) + ": token id " + std::to_string(ids[i]) + " at index " +
                        std::to_string(i) + " is outside the vocabulary [0, " + std::to_string(vocab) + ")");
}


std::vector<GenerationResult> generate(CausalLMImpl& module, const std::vector<std::vector<int64_t>>& prompts,
                                       const GenerationOptions& o, const tok::Tokenizer* tokenizer,
                                       const torch::Tensor& prefix)
{
    using torch::indexing::Slice;
    const auto& c = module.config();
    if (prompts.empty())
        return {};
    if (!o.stopStrings.empty() && !tokenizer)
        throw Error("generate: stop strings need a tokenizer");
    checkGenerationOptions(o);
    const int64_t P = prefix.defined() ? prefix.size(0) : 0; // virtual tokens before every prompt
    const int64_t B = static_cast<int64_t>(prompts.size());
    int64_t maxLen = 0;
    bool sameLength = true;
    for (size_t r = 0; r < prompts.size(); ++r) {
        if (prompts[r].empty())
            throw Error("generate: prompt " + std::to_string(r) + " is empty (it needs at least a BOS token)");
        checkTokenIds(prompts[r], c.vocabSize, "generate");
        if (P + static_cast<int64_t>(prompts[r].size()) > c.maxPositions)
            throw Error("generate: prompt " + std::to_string(r) + " has " + std::to_string(prompts[r].size()) +
                        " tokens" + (P ? " after " + std::to_string(P) + " virtual tokens" : std::string()) +
                        ", more than the model's context of " + std::to_string(c.maxPositions));
        sameLength = sameLength && prompts[r].size() == prompts[0].size();
        maxLen = std::max<int64_t>(maxLen, static_cast<int64_t>(prompts[r].size()));
    }
    std::optional<int64_t> eos = c.eosId;
    if (tokenizer && tokenizer->eosId())
        eos = tokenizer->eosId();

    torch::NoGradGuard noGrad;
    // A base loaded in bf16 (mixed precision) only runs under autocast, whoever calls.
    AutocastScope autocast(holdsBf16(module), module.parameters().front().device());
    // Row layout: [left padding][P virtual tokens][prompt]; padding is masked
    // and positions start at the first virtual (or real) token.
    const auto longOpts = torch::TensorOptions().dtype(torch::kLong);
    const int64_t width = P + maxLen;
    const int64_t capacity = width + o.maxNewTokens;
    auto ids = torch::zeros({B, maxLen}, longOpts);
    auto positions = torch::zeros({B, width}, longOpts);
    auto keyMask = torch::ones({B, capacity}, torch::kBool);
    for (int64_t r = 0; r < B; ++r) {
        const auto& p = prompts[r];
        const int64_t n = static_cast<int64_t>(p.size());
        const int64_t offset = maxLen - n;
        ids.index_put_({r, Slice(offset, maxLen)}, torch::tensor(p, longOpts));
        positions.index_put_({r, Slice(offset, width)}, torch::arange(P + n, longOpts));
        keyMask.index_put_({r, Slice(0, offset)}, false);
    }

    std::vector<GenerationResult> results(prompts.size());
    std::vector<bool> active(prompts.size(), true);
    std::vector<at::Generator> gens;
    for (int64_t r = 0; r < B; ++r)
        gens.push_back(at::detail::createCPUGenerator(o.seed + static_cast<uint64_t>(r)));
    for (int64_t r = 0; r < B; ++r)
        if (P + static_cast<int64_t>(prompts[r].size()) >= c.maxPositions || o.maxNewTokens == 0) {
            active[r] = false;
            results[r].stopReason = o.maxNewTokens == 0 ? "max_new_tokens" : "context_full";
        }
    if (std::none_of(active.begin(), active.end(), [](bool a) { return a; }))
        return results;

    KVCache cache = module.makeCache(B, capacity);
    const auto dev = module.parameters().front().device();
    keyMask = keyMask.to(dev);
    const bool masked = !sameLength; // equal rows need no padding mask
    ForwardInput in;
    in.positions = positions.to(dev);
    in.cache = &cache;
    if (masked)
        in.keyMask = keyMask.index({Slice(), Slice(0, width)});
    if (P > 0) {
        // Token embeddings of the padded ids with the prefix moved in front of
        // each row's first real token.
        auto tokens = module.embed(ids.to(dev));
        std::vector<torch::Tensor> rows;
        for (int64_t r = 0; r < B; ++r) {
            const int64_t offset = maxLen - static_cast<int64_t>(prompts[r].size());
            auto row = tokens[r];
            rows.push_back(torch::cat({row.index({Slice(0, offset)}), prefix.to(row.device(), row.scalar_type()),
                                       row.index({Slice(offset, maxLen)})},
                                      0));
        }
        in.inputEmbeds = torch::stack(rows);
    } else {
        in.ids = ids.to(dev);
    }
    auto last = module.forward(in).index({Slice(), -1}).to(torch::kCPU, torch::kFloat32);

    for (int64_t step = 0; step < o.maxNewTokens; ++step) {
        std::vector<int64_t> next(prompts.size(), 0);
        bool cancelled = false;
        for (int64_t r = 0; r < B; ++r) {
            if (!active[r])
                continue;
            auto& res = results[r];
            const int64_t tokenId = pickToken(last[r], o, gens[r]);
            next[r] = tokenId;
            res.ids.push_back(tokenId);
            if (o.onToken && !o.onToken(static_cast<size_t>(r), tokenId))
                cancelled = true;
            if (o.stopAtEos && eos && tokenId == *eos) {
                res.stopReason = "eos";
            } else if (std::find(o.stopIds.begin(), o.stopIds.end(), tokenId) != o.stopIds.end()) {
                res.stopReason = "stop_id";
            } else if (!o.stopStrings.empty()) {
                const std::string text = tokenizer->decode(res.ids, true);
                size_t cut = std::string::npos;
                for (const auto& s : o.stopStrings)
                    if (!s.empty())
                        cut = std::min(cut, text.find(s));
                if (cut != std::string::npos) {
                    res.stopReason = "stop_string";
                    res.text = text.substr(0, cut);
                }
            }
            if (res.stopReason.empty() &&
                P + static_cast<int64_t>(prompts[r].size() + res.ids.size()) >= c.maxPositions)
                res.stopReason = "context_full";
            if (res.stopReason.empty() && step + 1 == o.maxNewTokens)
                res.stopReason = "max_new_tokens";
            if (!res.stopReason.empty())
                active[r] = false;
        }
        if (cancelled) {
            for (int64_t r = 0; r < B; ++r)
                if (active[r])
                    results[r].stopReason = "cancelled";
            break;
        }
        if (std::none_of(active.begin(), active.end(), [](bool a) { return a; }))
            break;
        std::vector<int64_t> pos(prompts.size());
        for (int64_t r = 0; r < B; ++r) // finished rows idle in range
            pos[r] = std::min(P + static_cast<int64_t>(prompts[r].size()) + step, c.maxPositions - 1);
        ForwardInput stepIn;
        stepIn.ids = torch::tensor(next, longOpts).view({B, 1}).to(dev);
        stepIn.positions = torch::tensor(pos, longOpts).view({B, 1}).to(dev);
        stepIn.cache = &cache;
        if (masked)
            stepIn.keyMask = keyMask.index({Slice(), Slice(0, width + step + 1)});
        last = module.forward(stepIn).index({Slice(), -1}).to(torch::kCPU, torch::kFloat32);
    }

    if (tokenizer)
        for (auto& res : results)
            if (res.stopReason != "stop_string")
                res.text = tokenizer->decode(res.ids, true);
    return results;
}

} // namespace tb::model
