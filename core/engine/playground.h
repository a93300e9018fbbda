#pragma once
// The playground: one prompt continued by several models with the same
// decoding settings, to read their answers side by side. Each model comes
// through the one loader (model_loader.h) and decodes with the one loop
// (model/generation.h); a model that fails gets its error text, the others
// still generate. No LibTorch here: the GUI includes this.
#include "engine/model_source.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace tb {
class RunControl;
}

namespace tb::engine {

// The same for every model.
struct DecodingOptions {
    int64_t maxNewTokens = 64;
    double temperature = 0.0; // 0 = greedy
    int64_t topK = 0;         // 0 = off
    double topP = 1.0;        // 1 = off
    uint64_t seed = 0;
    std::vector<std::string> stopStrings;
};

struct PlaygroundOutput {
    std::string label;      // "run 3 (name)" for a run, else the adapter folder or the model path
    std::string text;       // the continuation, decoded
    int64_t tokens = 0;     // new tokens
    double seconds = 0;     // decoding only
    double loadSeconds = 0; // 0 when the model came from the cache
    std::string stopReason; // eos, stop_string, max_new_tokens, context_full, cancelled
    std::string error;      // not empty: this model failed and `text` is empty
};

// Keeps the models of the last call loaded, so asking again (another prompt,
// other settings) skips loading. Not thread-safe: one call at a time.
class Playground {
public:
    Playground();
    ~Playground();
    Playground(const Playground&) = delete;
    Playground& operator=(const Playground&) = delete;

    // One output per spec, in order. `onOutput(i, output)` is called as each
    // model finishes (on the caller's thread). Cancelling `control` stops
    // loading and decoding; the models not reached get error "cancelled".
    // A prompt longer than a model's context is that model's error.
    std::vector<PlaygroundOutput> generate(const std::vector<ModelSpec>& models, const std::string& prompt,
                                           const DecodingOptions& options, const std::string& dbPath,
                                           const RunControl* control = nullptr,
                                           const std::function<void(size_t, const PlaygroundOutput&)>& onOutput = {});
    // How many models are loaded now.
    size_t cached() const;
    void clear();

private:
    struct Impl;
    std::unique_ptr<Impl> m;
};

// One call with nothing kept loaded.
std::vector<PlaygroundOutput> playground(const std::vector<ModelSpec>& models, const std::string& prompt,
                                         const DecodingOptions& options, const std::string& dbPath,
                                         const RunControl* control = nullptr);

} // namespace tb::engine
