#pragma once
// tunebench-cli runs the commands that need no model itself and replaces
// itself (execv, same argv) with tunebench-cli-engine, which links LibTorch,
// for every other one: exit status, output, signals and Ctrl+C behave as if
// one program ran.
#include <string>

namespace tb::cli {

// True when tunebench-cli answers this command line itself: metric, compare,
// runs, tokenize, or a lone --version.
bool frontAnswers(int argc, char** argv);

// The engine executable: beside this one (the build folder), else at its
// install path relative to this one (bin/ -> lib/tunebench/). Empty when neither exists.
std::string enginePath();

// Remembers argv for execEngine (call first in main()).
void rememberArgs(char** argv);

// Replaces this process with the engine, same argv. Does not return; when the
// engine cannot start, prints one line to stderr and exits with status 1.
[[noreturn]] void execEngine();

} // namespace tb::cli
