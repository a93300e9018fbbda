#pragma once
// Each command registers its CLI11 subcommand and returns the function that
// runs it. Commands print one JSON document or JSON Lines on stdout and throw
// tb::Error for bad input; runCommandLine() turns that into one line on stderr.
//
// Two executables share these registrations: tunebench-cli (main.cpp, no
// LibTorch: metric, compare, runs, tokenize) and tunebench-cli-engine
// (engine_main.cpp, every command), which the first one executes for the rest.
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace CLI {
class App;
}

namespace tb::store {
class RunStore;
}

namespace tb::cli {

using Runner = std::function<void()>;

// Thrown by a command that has printed its result but must end with another
// exit status than 0 or 1 (130: stopped by Ctrl+C, as shells report SIGINT).
// runCommandLine() prints "error: <message>" when the message is not empty.
struct ExitStatus {
    int code = 1;
    std::string message;
};
using Commands = std::vector<std::pair<CLI::App*, Runner>>;

// `runs show --inspect`: what the run learned, as JSON (needs LibTorch). A
// null one makes `runs show --inspect` execute the engine (engine_exec.h).
using InspectRun = std::function<nlohmann::json(store::RunStore&, int64_t runId)>;

void addModelCommands(CLI::App& app, Commands& commands); // info, tokenize, forward, generate
void addTokenizeCommand(CLI::App& app, Commands& commands);
void addDemoCommand(CLI::App& app, Commands& commands);
void addMetricCommand(CLI::App& app, Commands& commands);
void addRunCommands(CLI::App& app, Commands& commands); // train, resume, runs, export
void addRunsCommand(CLI::App& app, Commands& commands, InspectRun inspect);
void addEvalCommands(CLI::App& app, std::vector<std::pair<CLI::App*, Runner>>& commands);
void addCompareCommand(CLI::App& app, std::vector<std::pair<CLI::App*, Runner>>& commands);

// What both executables' top-level app says: description, --version, one subcommand.
void configureApp(CLI::App& app);

// Parses argv and runs the chosen command; returns the exit status
// (tb::Error and other exceptions become "error: ..." on stderr and 1; the
// message is one line of valid UTF-8 with control characters escaped).
int runCommandLine(CLI::App& app, Commands& commands, int argc, char** argv);

} // namespace tb::cli
