// tunebench-cli-engine: every tunebench-cli command, LibTorch linked in.
// tunebench-cli executes it (same argv) for the commands that run a model,
// and for the top-level help, which lists every command.
#include "cli/commands.h"

#include <CLI/CLI.hpp>

int main(int argc, char** argv)
{
    CLI::App app;
    tb::cli::configureApp(app);
    tb::cli::Commands commands;
    tb::cli::addModelCommands(app, commands);
    tb::cli::addRunCommands(app, commands);
    tb::cli::addDemoCommand(app, commands);
    tb::cli::addMetricCommand(app, commands);
    tb::cli::addEvalCommands(app, commands);
    tb::cli::addCompareCommand(app, commands);
    return tb::cli::runCommandLine(app, commands, argc, argv);
}
