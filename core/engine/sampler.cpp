#include "engine/sampler.h"

#include "common/error.h"
#include "data/template.h"
#include "tokenizer/tokenizer.h"

#include <nlohmann/json.hpp>

#include <optional>

namespace tb::engine {

namespace {

// The prompt part (tokens before the first loss label) of a validation
// sequence; nothing when that is only BOS or no response follows it.
std::optional<SamplePrompt> promptOf(const train::Sequence& seq, const tok::Tokenizer& tokenizer)
{
    const auto bos = tokenizer.bosId();
    size_t end = 0;
    while (end < seq.labels.size() && seq.labels[end] == train::kIgnoreIndex)
        ++end;
    SamplePrompt s;
    s.ids.assign(seq.ids.begin(), seq.ids.begin() + static_cast<std::ptrdiff_t>(end));
    const bool onlyBos = s.ids.empty() || (s.ids.size() == 1 && bos && s.ids[0] == *bos);
    if (onlyBos || end == seq.ids.size())
        return std::nullopt;
    s.text = tokenizer.decode(s.ids, true);
    return s;
}

std::vector<SamplePrompt> configuredPrompts(const train::RunConfig& config, const tok::Tokenizer& tokenizer)
{
    std::vector<SamplePrompt> out;
    const auto bos = tokenizer.bosId();
    const std::vector<int64_t> probe = tokenizer.encode("a", true);
    const bool addsBos = bos && !probe.empty() && probe.front() == *bos;
    const auto kind = data::templateFromName(config.data.templateName);
    for (const auto& p : config.training.samplePrompts) {
        data::Record r;
        r.shape = data::RecordShape::PromptResponse;
        r.prompt = p;
        SamplePrompt s;
        s.ids = tokenizer.encode(data::renderPrompt(r, kind), false);
        if (addsBos)
            s.ids.insert(s.ids.begin(), *bos);
        s.text = p;
        if (!s.ids.empty())
            out.push_back(std::move(s));
    }
    return out;
}

} // namespace

std::vector<SamplePrompt> samplePrompts(const train::RunConfig& config, const tok::Tokenizer& tokenizer,
                                        const std::vector<train::Sequence>& validation,
                                        const std::vector<std::string>& validationTasks)
{
    if (!config.training.samplePrompts.empty())
        return configuredPrompts(config, tokenizer);
    std::vector<SamplePrompt> out;
    if (validationTasks.size() > 1) {
        // The first real prompt of each task, in the tasks' order.
        for (size_t t = 0; t < validationTasks.size(); ++t)
            for (const auto& seq : validation) {
                if (seq.task != static_cast<int>(t))
                    continue;
                if (auto s = promptOf(seq, tokenizer)) {
                    s->task = validationTasks[t];
                    out.push_back(std::move(*s));
                    break;
                }
            }
        return out;
    }
    constexpr size_t kDefaultSamples = 2;
    for (const auto& seq : validation) {
        if (out.size() == kDefaultSamples)
            break;
        if (auto s = promptOf(seq, tokenizer))
            out.push_back(std::move(*s));
    }
    return out;
}

std::vector<std::string> Sampler::generateLocally(const std::vector<size_t>& which) const
{
    std::vector<std::string> out;
    if (which.empty())
        return out;
    auto base = model->base();
    const bool wasTraining = base->is_training();
    base->eval();
    torch::NoGradGuard noGrad;
    try {
        // One batch; greedy rows equal generating each alone (model/generation.h).
        std::vector<std::vector<int64_t>> batch;
        for (size_t i : which)
            batch.push_back(prompts[i].ids);
        model::GenerationOptions o;
        o.maxNewTokens = maxNewTokens;
        for (auto& r : model->generate(batch, o, tokenizer))
            out.push_back(std::move(r.text));
    } catch (...) {
        base->train(wasTraining);
        throw;
    }
    base->train(wasTraining);
    return out;
}

std::vector<std::string> Sampler::generate() const
{
    const int world = group ? group->size() : 1;
    const int rank = group ? group->rank() : 0;
    std::vector<size_t> mine;
    for (size_t i = static_cast<size_t>(rank); i < prompts.size(); i += static_cast<size_t>(world))
        mine.push_back(i);
    if (world == 1)
        return generateLocally(mine);
    // Each rank's outputs (or its error) as JSON, gathered by every rank.
    nlohmann::json local;
    try {
        local = {{"texts", generateLocally(mine)}};
    } catch (const std::exception& e) {
        const std::string what = e.what();
        local = {{"error", what.substr(0, what.find('\n'))}};
    }
    const auto all = group->allgather(local.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    std::vector<std::string> out(prompts.size());
    for (int r = 0; r < world; ++r) {
        const auto j = nlohmann::json::parse(all[static_cast<size_t>(r)]);
        if (j.contains("error"))
            throw Error("rank " + std::to_string(r) + ": " + j["error"].get<std::string>());
        const auto texts = j["texts"].get<std::vector<std::string>>();
        size_t k = 0;
        for (size_t i = static_cast<size_t>(r); i < prompts.size() && k < texts.size(); i += static_cast<size_t>(world))
            out[i] = texts[k++];
    }
    return out;
}

} // namespace tb::engine
