// train, resume, export: fine-tuning runs (runs: runs_command.cpp, with --inspect from here).
#include "cli/commands.h"
#include "common/error.h"
#include "store/run_store.h"
#include "engine/export.h"
#include "engine/run_inspection.h"
#include "engine/run_job.h"
#include "train/dist_env.h"
#include "train/distributed.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>
#include <sys/wait.h>
#include <unistd.h>

using nlohmann::json;

namespace tb::cli {

namespace {

std::atomic<bool> g_interrupted{false};

// The first Ctrl+C cancels at the next step (the run stays resumable); a
// second one ends the process at once.
void onSigint(int)
{
    if (g_interrupted) {
        std::signal(SIGINT, SIG_DFL);
        std::raise(SIGINT);
        return;
    }
    g_interrupted = true;
}

// Shells report a process ended by SIGINT as 128 + 2.
constexpr int kInterruptedExit = 130;

std::string clock(double seconds)
{
    if (!std::isfinite(seconds) || seconds < 0)
        return "--:--";
    const auto s = static_cast<long>(seconds + 0.5);
    char buf[32];
    if (s >= 3600)
        std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
    else
        std::snprintf(buf, sizeof buf, "%02ld:%02ld", s / 60, s % 60);
    return buf;
}

// Prints events as JSON Lines (--events jsonl) or as a progress bar on stderr.
class CliObserver : public engine::JobObserver {
public:
    CliObserver(bool jsonl, RunControl& control)
        : m_jsonl(jsonl), m_tty(::isatty(STDERR_FILENO) != 0), m_control(control)
    {
    }
    void onRunCreated(int64_t runId, const std::string& outputDir) override
    {
        emit({{"event", "run_created"}, {"run_id", runId}, {"output_dir", outputDir}},
             "run " + std::to_string(runId) + " -> " + outputDir);
    }
    void onPrepared(const engine::DataSummary& d, int64_t trainable, int64_t total) override
    {
        const double share = total ? 100.0 * static_cast<double>(trainable) / static_cast<double>(total) : 0.0;
        char line[200];
        std::snprintf(line, sizeof line, "data: %zu train / %zu validation sequences, %zu truncated; trainable %lld of %lld parameters (%.3f%%)",
                      d.trainExamples, d.validationExamples, d.truncated, static_cast<long long>(trainable),
                      static_cast<long long>(total), share);
        emit({{"event", "prepared"},
              {"train_examples", d.trainExamples},
              {"validation_examples", d.validationExamples},
              {"truncated", d.truncated},
              {"dropped", d.dropped},
              {"train_tokens", d.trainTokens},
              {"per_task", d.perTask},
              {"trainable_parameters", trainable},
              {"total_parameters", total}},
             line);
    }
    void onStep(const train::StepEvent& e) override
    {
        if (g_interrupted)
            m_control.cancel();
        if (m_jsonl) {
            print({{"event", "step"},        {"step", e.step},
                   {"total_steps", e.totalSteps}, {"loss", e.loss},
                   {"learning_rate", e.learningRate}, {"grad_norm", e.gradNorm},
                   {"tokens_per_second", e.tokensPerSecond}, {"elapsed_s", e.elapsedSeconds},
                   {"eta_s", e.etaSeconds},  {"epoch", e.epoch},
                   {"peak_memory_bytes", e.peakMemoryBytes}});
            return;
        }
        const int width = 30;
        const int filled = static_cast<int>(width * e.step / std::max<int64_t>(1, e.totalSteps));
        char line[256];
        std::snprintf(line, sizeof line, "step %lld/%lld [%s%s] loss %.4f lr %.2e %.0f tok/s ETA %s",
                      static_cast<long long>(e.step), static_cast<long long>(e.totalSteps),
                      std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(), e.loss,
                      e.learningRate, e.tokensPerSecond, clock(e.etaSeconds).c_str());
        if (m_tty)
            std::cerr << '\r' << line << "\x1b[K" << std::flush;
        else if (e.step == e.totalSteps || e.step % 10 == 0)
            std::cerr << line << '\n';
    }
    void onValidation(const train::ValidationEvent& v) override
    {
        char line[160];
        std::snprintf(line, sizeof line, "validation at step %lld: loss %.4f, perplexity %.2f%s",
                      static_cast<long long>(v.step), v.loss, v.perplexity, v.improved ? " (best)" : "");
        emit({{"event", "validation"}, {"step", v.step}, {"loss", v.loss}, {"perplexity", v.perplexity},
              {"improved", v.improved}},
             line);
    }
    void onCheckpoint(int64_t step, const std::string& dir) override
    {
        emit({{"event", "checkpoint"}, {"step", step}, {"path", dir}}, "checkpoint: " + dir);
    }
    void onLog(const std::string& message) override { emit({{"event", "log"}, {"message", message}}, message); }
    void onSample(int64_t step, const std::string& prompt, const std::string& output) override
    {
        emit({{"event", "sample"}, {"step", step}, {"prompt", prompt}, {"output", output}},
             "sample at step " + std::to_string(step) + ": " + output);
    }

private:
    void print(const json& j) { std::cout << j.dump() << '\n' << std::flush; }
    void emit(const json& j, const std::string& human)
    {
        if (m_jsonl) {
            print(j);
            return;
        }
        std::cerr << (m_tty ? "\r\x1b[K" : "") << human << '\n' << std::flush;
    }
    bool m_jsonl, m_tty;
    RunControl& m_control;
};

json inspectionJson(const engine::RunInspection& r)
{
    json j = {{"method", r.method}, {"weights", {{"kind", r.weightsKind}, {"path", r.weightsPath}}},
              {"base_model", r.baseModel}};
    if (!r.lora.empty()) {
        j["lora"] = json::array();
        for (const auto& u : r.lora)
            j["lora"].push_back({{"module", u.path}, {"projection", u.projection}, {"layer", u.layer},
                                 {"update_norm", u.updateNorm}, {"weight_norm", u.weightNorm},
                                 {"ratio", u.ratio}});
    }
    if (!r.adapters.empty()) {
        j["adapters"] = json::array();
        for (const auto& a : r.adapters)
            j["adapters"].push_back({{"module", a.path}, {"layer", a.layer}, {"up_norm", a.upNorm},
                                     {"down_norm", a.downNorm}});
    }
    if (!r.prompt.empty()) {
        j["virtual_tokens"] = json::array();
        for (const auto& v : r.prompt) {
            json nearest = json::array();
            for (const auto& t : v.nearest)
                nearest.push_back({{"id", t.id}, {"text", t.text}, {"similarity", t.similarity}});
            j["virtual_tokens"].push_back({{"index", v.index}, {"norm", v.norm}, {"nearest", nearest}});
        }
    }
    if (r.tensorsCompared > 0) {
        j["changes"] = {{"tensors_compared", r.tensorsCompared}, {"tensors_changed", r.tensorsChanged},
                        {"top", json::array()}};
        for (const auto& c : r.changes)
            j["changes"]["top"].push_back({{"name", c.name}, {"layer", c.layer}, {"change_norm", c.changeNorm},
                                           {"base_norm", c.baseNorm}, {"relative", c.relative}});
    }
    return j;
}

struct TrainArgs {
    std::string config, db, events;
    int64_t resumeRun = 0;
    // The launcher: start this node's ranks (torchrun's --nproc-per-node etc.).
    int nprocPerNode = 0, nnodes = 1, nodeRank = 0, masterPort = 29500;
    std::string masterAddr = "127.0.0.1";
};

// This process's command line, as the kernel has it.
std::vector<std::string> ownArguments()
{
    std::ifstream in("/proc/self/cmdline", std::ios::binary);
    std::vector<std::string> args;
    for (std::string arg; std::getline(in, arg, '\0');)
        args.push_back(arg);
    return args;
}

// Copies `fd`'s lines to stderr, each prefixed "[rank R] ".
void prefixLines(int fd, int rank)
{
    static std::mutex lock;
    FILE* in = ::fdopen(fd, "r");
    char line[4096];
    while (in && std::fgets(line, sizeof line, in)) {
        std::lock_guard<std::mutex> guard(lock);
        std::fprintf(stderr, "[rank %d] %s", rank, line);
        std::fflush(stderr);
    }
    if (in)
        std::fclose(in);
}

// The launcher: starts this node's nprocPerNode ranks (this program again,
// same arguments, torchrun's variables set), rank 0's stdout and stderr as
// they are, the others' stderr prefixed with their rank. When one rank fails,
// ends the others; the exit status is the first failure's (0 when all succeed).
void launchLocalRanks(const TrainArgs& a)
{
    if (a.nnodes < 1 || a.nodeRank < 0 || a.nodeRank >= a.nnodes)
        throw Error("--node-rank " + std::to_string(a.nodeRank) + " must be below --nnodes " + std::to_string(a.nnodes));
    const auto args = ownArguments();
    std::vector<pid_t> pids;
    std::vector<std::thread> readers;
    const int world = a.nnodes * a.nprocPerNode;
    for (int local = 0; local < a.nprocPerNode; ++local) {
        const int rank = a.nodeRank * a.nprocPerNode + local;
        int err[2] = {-1, -1};
        if (rank != 0 && ::pipe(err) != 0)
            throw Error("cannot start rank " + std::to_string(rank) + ": no pipe");
        const pid_t pid = ::fork();
        if (pid == 0) {
            const auto set = [](const char* name, int value) { ::setenv(name, std::to_string(value).c_str(), 1); };
            set("RANK", rank);
            set("WORLD_SIZE", world);
            set("LOCAL_RANK", local);
            set("LOCAL_WORLD_SIZE", a.nprocPerNode);
            set("MASTER_PORT", a.masterPort);
            ::setenv("MASTER_ADDR", a.masterAddr.c_str(), 1);
            if (rank != 0) {
                ::dup2(err[1], STDERR_FILENO);
                ::close(err[0]);
                ::close(err[1]);
            }
            std::vector<char*> argv;
            for (const auto& s : args)
                argv.push_back(const_cast<char*>(s.c_str()));
            argv.push_back(nullptr);
            ::execv("/proc/self/exe", argv.data());
            std::fprintf(stderr, "cannot start rank %d\n", rank);
            ::_exit(127);
        }
        if (pid < 0)
            throw Error("cannot start rank " + std::to_string(rank) + ": fork failed");
        pids.push_back(pid);
        if (rank != 0) {
            ::close(err[1]);
            readers.emplace_back(prefixLines, err[0], rank);
        }
    }
    std::signal(SIGINT, SIG_IGN); // Ctrl+C reaches every rank: they cancel, the launcher waits for them
    int exitCode = 0;
    for (size_t left = pids.size(); left > 0; --left) {
        int status = 0;
        const pid_t done = ::wait(&status);
        if (done < 0)
            break;
        const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (code != 0 && exitCode == 0) {
            exitCode = code;
            for (pid_t p : pids) // the others would only wait for it until their timeout
                if (p != done)
                    ::kill(p, SIGTERM);
        }
    }
    for (auto& t : readers)
        t.join();
    if (exitCode != 0)
        throw ExitStatus{exitCode, "a rank failed (exit status " + std::to_string(exitCode) + "); the others were ended"};
}

int finish(const engine::JobResult& r, bool jsonl)
{
    json out = {{"run_id", r.runId},
                {"status", std::string(train::trainStatusName(r.train.status))},
                {"steps", r.train.steps},
                {"final_loss", r.train.finalLoss},
                {"best_validation_loss", r.train.bestValidationLoss ? json(*r.train.bestValidationLoss) : json(nullptr)},
                {"output_dir", r.outputDir},
                {"saved", r.savedDir}};
    if (!r.train.error.empty())
        out["error"] = r.train.error;
    if (jsonl)
        out["event"] = "finished";
    std::cerr << (::isatty(STDERR_FILENO) ? "\n" : "");
    std::cout << out.dump(-1, ' ', false, json::error_handler_t::replace) << '\n' << std::flush;
    if (r.train.status == train::TrainStatus::Failed)
        throw Error("run " + std::to_string(r.runId) + " failed: " + r.train.error);
    if (r.train.status == train::TrainStatus::Cancelled)
        throw ExitStatus{kInterruptedExit, "run " + std::to_string(r.runId) + " cancelled"
                                               + (g_interrupted ? std::string(" by Ctrl+C") : std::string())
                                               + "; continue it with: tunebench-cli resume --run "
                                               + std::to_string(r.runId)};
    return 0;
}

// torchrun's variables (RANK, WORLD_SIZE, MASTER_ADDR, ...): WORLD_SIZE > 1
// joins the data-parallel group of train/distributed.h; otherwise none.
std::unique_ptr<train::ProcessGroup> joinGroupFromEnvironment()
{
    const auto env = train::readTorchrunEnv();
    return env.distributed() ? train::ProcessGroup::join(env) : nullptr;
}

// Runs the job; with a group, ranks other than 0 print nothing on stdout
// (rank 0 reports the run) and end with their error on stderr.
void runCommand(const train::RunConfig& config, engine::JobOptions options, bool jsonl)
{
    RunControl control;
    std::signal(SIGINT, onSigint);
    const auto group = joinGroupFromEnvironment();
    options.group = group.get();
    if (group && group->rank() != 0) {
        engine::JobObserver quiet;
        const auto r = engine::runJob(config, options, quiet, control);
        if (r.train.status == train::TrainStatus::Failed)
            throw Error("rank " + std::to_string(group->rank()) + " failed: " + r.train.error);
        if (r.train.status == train::TrainStatus::Cancelled)
            throw ExitStatus{kInterruptedExit, "rank " + std::to_string(group->rank()) + " cancelled"};
        return;
    }
    CliObserver observer(jsonl, control);
    finish(engine::runJob(config, options, observer, control), jsonl);
}

} // namespace

void addRunCommands(CLI::App& app, Commands& commands)
{
    const std::string defaultDb = store::defaultStorePath();
    {
        auto args = std::make_shared<TrainArgs>();
        args->db = defaultDb;
        auto* cmd = app.add_subcommand("train", "Fine-tune a model as RUN.json describes (see resources/runs/README.md)");
        cmd->add_option("--config", args->config, "RUN.json")->required();
        cmd->add_option("--db", args->db, "run store (SQLite)")->capture_default_str();
        cmd->add_option("--events", args->events, "jsonl: one JSON event per line on stdout")
            ->check(CLI::IsMember({"jsonl"}));
        cmd->add_option("--nproc-per-node", args->nprocPerNode, "data-parallel processes to start on this machine")
            ->check(CLI::Range(1, 1024));
        cmd->add_option("--nnodes", args->nnodes, "machines taking part (with --nproc-per-node)")->capture_default_str();
        cmd->add_option("--node-rank", args->nodeRank, "this machine's index, 0 .. nnodes-1")->capture_default_str();
        cmd->add_option("--master-addr", args->masterAddr, "host of node 0 (its rank 0 hosts the rendezvous)")
            ->capture_default_str();
        cmd->add_option("--master-port", args->masterPort, "rendezvous TCP port on the master")
            ->check(CLI::Range(1, 65535))->capture_default_str();
        commands.emplace_back(cmd, [args] {
            // The launcher's children see RANK: they train instead of launching.
            if (args->nprocPerNode > 0 && !std::getenv("RANK"))
                return launchLocalRanks(*args);
            runCommand(train::readRunConfig(args->config), {args->db, std::nullopt}, args->events == "jsonl");
        });
    }
    {
        auto args = std::make_shared<TrainArgs>();
        args->db = defaultDb;
        auto* cmd = app.add_subcommand("resume", "Continue an interrupted or cancelled run from its last checkpoint");
        cmd->add_option("--run", args->resumeRun, "run id")->required();
        cmd->add_option("--db", args->db, "run store (SQLite)")->capture_default_str();
        cmd->add_option("--events", args->events, "jsonl: one JSON event per line on stdout")
            ->check(CLI::IsMember({"jsonl"}));
        commands.emplace_back(cmd, [args] {
            runCommand({}, {args->db, args->resumeRun}, args->events == "jsonl");
        });
    }
    addRunsCommand(app, commands, [](store::RunStore& store, int64_t runId) {
        return inspectionJson(engine::inspectRun(store, runId));
    });
    {
        auto db = std::make_shared<std::string>(defaultDb);
        auto runId = std::make_shared<int64_t>(0);
        auto adapter = std::make_shared<std::string>();
        auto merged = std::make_shared<std::string>();
        auto* cmd = app.add_subcommand("export", "Write a finished run as a PEFT adapter folder or a merged model folder");
        cmd->add_option("--run", *runId, "run id")->required();
        cmd->add_option("--db", *db, "run store (SQLite)")->capture_default_str();
        auto* a = cmd->add_option("--adapter", *adapter, "folder for adapter_config.json + adapter_model.safetensors");
        auto* m = cmd->add_option("--merged", *merged, "folder for a Hugging Face model with the update merged in");
        a->excludes(m);
        commands.emplace_back(cmd, [db, runId, adapter, merged] {
            if (adapter->empty() && merged->empty())
                throw Error("export: give --adapter DIR or --merged DIR");
            engine::exportRun(*db, *runId, *adapter, *merged);
            std::cout << json({{"run_id", *runId}, {"path", adapter->empty() ? *merged : *adapter}}).dump() << '\n';
        });
    }
}

} // namespace tb::cli
