#pragma once
// Each command registers its CLI11 subcommand and returns the function that
// runs it. Commands print one JSON document or JSON Lines on stdout and throw
// tb::Error for bad input; main() turns that into one line on stderr.
#include <functional>
#include <utility>
#include <vector>

namespace CLI {
class App;
}

namespace tb::cli {

using Runner = std::function<void()>;

void addModelCommands(CLI::App& app, std::vector<std::pair<CLI::App*, Runner>>& commands);
void addDemoCommand(CLI::App& app, std::vector<std::pair<CLI::App*, Runner>>& commands);
void addMetricCommand(CLI::App& app, std::vector<std::pair<CLI::App*, Runner>>& commands);
void addRunCommands(CLI::App& app, std::vector<std::pair<CLI::App*, Runner>>& commands);
void addEvalCommands(CLI::App& app, std::vector<std::pair<CLI::App*, Runner>>& commands);
void addCompareCommand(CLI::App& app, std::vector<std::pair<CLI::App*, Runner>>& commands);

} // namespace tb::cli
