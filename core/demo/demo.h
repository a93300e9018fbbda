#pragma once
// The built-in demo workspace: a generated multi-task suite, a byte-level BPE
// tokenizer learned on it, a small base model the project pretrains itself,
// and run configurations ready to start. Everything is made offline and
// deterministically from a seed, in a few minutes on a laptop CPU.
// No LibTorch here: the CLI and the GUI include this.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace tb {
class RunControl;
}

namespace tb::demo {

struct DemoOptions {
    std::string dir;                 // the workspace folder to create
    uint64_t seed = 1234;            // data, tokenizer and model all follow from it
    int64_t pretrainSteps = 0;       // 0 = the default (about half a minute on two cores)
    int threads = 1;                 // intra-op threads while pretraining (one is fastest for a model this small)
    std::function<void(const std::string&)> log; // progress lines; may be empty
    RunControl* control = nullptr;         // pause/cancel pretraining; may be null
};

struct DemoWorkspace {
    std::string dir;                     // absolute
    std::string baseModel;               // <dir>/base, a Hugging Face folder
    std::string manifest;                // <dir>/workspace.json
    std::vector<std::string> runConfigs; // <dir>/runs/*.json
    std::vector<std::string> suites;     // <dir>/suites/*.json (evaluation suites)
    double initialLoss = 0;              // validation loss of the fresh model on held-out lm stories
    double finalLoss = 0;                // the same after pretraining
};

// Builds the workspace in "<dir>.partial" and renames it to DIR only when
// complete. If DIR already holds a workspace.json, that workspace is returned
// as it is. Throws tb::Error when DIR is a non-empty folder without a
// manifest, on I/O failure, or when pretraining fails or is cancelled (the
// partial folder is then removed).
DemoWorkspace createDemoWorkspace(const DemoOptions& options);

// The pretraining step count used when DemoOptions::pretrainSteps is 0.
int64_t defaultPretrainSteps();

} // namespace tb::demo
