// demo: build the built-in demo workspace (data, tokenizer, pretrained base, run configs).
#include "cli/commands.h"
#include "demo/demo.h"
#include "store/run_store.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>

namespace tb::cli {

std::string defaultDemoDir()
{
    return (std::filesystem::path(store::defaultStorePath()).parent_path() / "demo").string();
}

void addDemoCommand(CLI::App& app, std::vector<std::pair<CLI::App*, Runner>>& commands)
{
    auto options = std::make_shared<demo::DemoOptions>();
    options->dir = defaultDemoDir();
    auto* cmd = app.add_subcommand("demo", "Create the demo workspace offline: multi-task data, a tokenizer, a small "
                                           "pretrained base model and run configurations");
    cmd->add_option("--dir", options->dir, "workspace folder (reused if it already holds a workspace)")
        ->capture_default_str();
    cmd->add_option("--steps", options->pretrainSteps, "pretraining steps (0 = default)");
    cmd->add_option("--seed", options->seed, "random seed")->capture_default_str();
    commands.emplace_back(cmd, [options] {
        options->log = [](const std::string& line) { std::cerr << line << '\n'; };
        const auto w = demo::createDemoWorkspace(*options);
        std::cout << nlohmann::json({{"dir", w.dir},
                                     {"base_model", w.baseModel},
                                     {"manifest", w.manifest},
                                     {"run_configs", w.runConfigs},
                                     {"suites", w.suites},
                                     {"initial_loss", w.initialLoss},
                                     {"final_loss", w.finalLoss}})
                         .dump()
                  << '\n';
    });
}

} // namespace tb::cli
