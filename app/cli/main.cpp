// tunebench-cli: the headless front end of the Tunebench engine.
// stdout carries one JSON document or JSON Lines; logs and errors go to stderr.
#include "common/version.h"
#include "cli/commands.h"
#include "common/error.h"

#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>

int main(int argc, char** argv)
{
    CLI::App app{"Tunebench command line: load, run, fine-tune and evaluate language models"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("tunebench-cli ") + TUNEBENCH_VERSION);
    std::vector<std::pair<CLI::App*, tb::cli::Runner>> commands;
    tb::cli::addModelCommands(app, commands);
    tb::cli::addRunCommands(app, commands);
    tb::cli::addDemoCommand(app, commands);
    tb::cli::addMetricCommand(app, commands);
    tb::cli::addEvalCommands(app, commands);
    tb::cli::addCompareCommand(app, commands);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    try {
        for (auto& [cmd, run] : commands)
            if (cmd->parsed())
                run();
    } catch (const tb::Error& e) {
        std::cerr << "error: " << e.what() << '\n';
        return 1;
    } catch (const std::exception& e) {
        // LibTorch errors carry multi-line backtraces; keep the first line.
        std::string what = e.what();
        std::cerr << "error: " << what.substr(0, what.find('\n')) << '\n';
        return 1;
    }
    return 0;
}
