#include "engine/playground.h"

#include "common/error.h"
#include "common/run_control.h"
#include "engine/model_loader.h"
#include "model/autocast.h"

#include <chrono>
#include <map>

namespace tb::engine {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// Two specs that load the same weights share a key; a run's key names its store.
std::string cacheKey(const ModelSpec& s, const std::string& dbPath)
{
    const char sep = '\x1f';
    return s.model + sep + s.tokenizer + sep + s.adapterDir + sep + std::to_string(s.run) + sep + s.device + sep +
           (s.run != 0 ? dbPath : std::string());
}

// A name for a model that did not load (the loader names those that do).
std::string specLabel(const ModelSpec& s)
{
    if (s.run != 0)
        return "run " + std::to_string(s.run);
    return s.adapterDir.empty() ? s.model : s.adapterDir;
}

model::GenerationOptions generationOptions(const DecodingOptions& d, const RunControl* control)
{
    model::GenerationOptions g;
    g.maxNewTokens = d.maxNewTokens;
    g.temperature = d.temperature;
    g.topK = d.topK;
    g.topP = d.topP;
    g.seed = d.seed;
    g.stopStrings = d.stopStrings;
    if (control)
        g.onToken = [control](size_t, int64_t) { return !control->cancelled(); };
    return g;
}

PlaygroundOutput decode(LoadedModel& l, const std::string& prompt, const DecodingOptions& options,
                        const RunControl* control)
{
    if (!l.tokenizer)
        throw Error(l.baseModel + ": no tokenizer beside the model, so a typed prompt cannot be encoded");
    PlaygroundOutput out;
    const auto start = Clock::now();
    model::AutocastScope autocast(l.precision == "bf16", l.scoring().device());
    const auto results = l.scoring().generate({l.tokenizer->encode(prompt, true)}, generationOptions(options, control));
    out.seconds = secondsSince(start);
    out.text = results.front().text;
    out.tokens = static_cast<int64_t>(results.front().ids.size());
    out.stopReason = control && control->cancelled() ? "cancelled" : results.front().stopReason;
    return out;
}

} // namespace

struct Playground::Impl {
    std::map<std::string, LoadedModel> models; // by cacheKey: those of the last call
};

Playground::Playground() : m(std::make_unique<Impl>()) {}
Playground::~Playground() = default;

size_t Playground::cached() const { return m->models.size(); }
void Playground::clear() { m->models.clear(); }

std::vector<PlaygroundOutput> Playground::generate(const std::vector<ModelSpec>& models, const std::string& prompt,
                                                   const DecodingOptions& options, const std::string& dbPath,
                                                   const RunControl* control,
                                                   const std::function<void(size_t, const PlaygroundOutput&)>& onOutput)
{
    // Models this call does not use are let go first, so memory holds at most one set.
    std::map<std::string, LoadedModel> keep;
    for (const auto& spec : models) {
        const std::string key = cacheKey(spec, dbPath);
        if (auto it = m->models.find(key); it != m->models.end())
            keep.insert(m->models.extract(it));
    }
    m->models = std::move(keep);

    std::vector<PlaygroundOutput> outputs(models.size());
    for (size_t i = 0; i < models.size(); ++i) {
        PlaygroundOutput& out = outputs[i];
        out.label = specLabel(models[i]);
        try {
            throwIfCancelled(control);
            const std::string key = cacheKey(models[i], dbPath);
            auto it = m->models.find(key);
            double loadSeconds = 0;
            if (it == m->models.end()) {
                const auto start = Clock::now();
                it = m->models.emplace(key, loadModel(models[i], dbPath, control, TokenizerNeed::Required, "auto")).first;
                loadSeconds = secondsSince(start);
            }
            const std::string label = models[i].run != 0 ? it->second.label : out.label;
            out = decode(it->second, prompt, options, control);
            out.label = label;
            out.loadSeconds = loadSeconds;
        } catch (const std::exception& e) {
            out.error = control && control->cancelled() ? std::string("cancelled") : std::string(e.what());
        }
        if (onOutput)
            onOutput(i, out);
    }
    return outputs;
}

std::vector<PlaygroundOutput> playground(const std::vector<ModelSpec>& models, const std::string& prompt,
                                         const DecodingOptions& options, const std::string& dbPath,
                                         const RunControl* control)
{
    return Playground().generate(models, prompt, options, dbPath, control);
}

} // namespace tb::engine
