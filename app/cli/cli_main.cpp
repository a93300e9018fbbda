// The parts of main() both CLI executables share: the top-level app and the
// error handling around running one command.
#include "cli/commands.h"
#include "common/error.h"
#include "common/text.h"
#include "common/version.h"

#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>

namespace tb::cli {

void configureApp(CLI::App& app)
{
    app.description("Tunebench command line: load, run, fine-tune and evaluate language models");
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("tunebench-cli ") + TUNEBENCH_VERSION);
}

int runCommandLine(CLI::App& app, Commands& commands, int argc, char** argv)
{
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    // An error may quote input (a bad data line, a file name): one line,
    // bounded, valid UTF-8, no raw control characters.
    const auto report = [](const std::string& message) {
        std::cerr << "error: " << printableText(cappedText(message, 2000)) << '\n';
    };
    try {
        for (auto& [cmd, run] : commands)
            if (cmd->parsed())
                run();
    } catch (const ExitStatus& e) {
        if (!e.message.empty())
            report(e.message);
        return e.code;
    } catch (const tb::Error& e) {
        report(e.what());
        return 1;
    } catch (const std::exception& e) {
        // LibTorch errors carry multi-line backtraces; keep the first line.
        const std::string what = e.what();
        report(what.substr(0, what.find('\n')));
        return 1;
    }
    return 0;
}

} // namespace tb::cli
