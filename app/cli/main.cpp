// tunebench-cli: the headless front end of the Tunebench engine.
// stdout carries one JSON document or JSON Lines; logs and errors go to stderr.
//
// This executable does not link LibTorch, so the commands that need no model
// (metric, compare, runs, tokenize, --version) start in milliseconds. Every
// other command line, the top-level help included, runs in
// tunebench-cli-engine (engine_exec.h), which has all commands.
#include "cli/commands.h"
#include "cli/engine_exec.h"

#include <CLI/CLI.hpp>

int main(int argc, char** argv)
{
    tb::cli::rememberArgs(argv);
    if (!tb::cli::frontAnswers(argc, argv))
        tb::cli::execEngine();
    CLI::App app;
    tb::cli::configureApp(app);
    tb::cli::Commands commands;
    tb::cli::addTokenizeCommand(app, commands);
    tb::cli::addRunsCommand(app, commands, nullptr); // runs show --inspect: the engine reads weights
    tb::cli::addMetricCommand(app, commands);
    tb::cli::addCompareCommand(app, commands);
    return tb::cli::runCommandLine(app, commands, argc, argv);
}
