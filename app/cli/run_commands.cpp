// train, resume, export: fine-tuning runs (runs: runs_command.cpp, with --inspect from here).
#include "cli/commands.h"
#include "cli/launcher.h"
#include "common/error.h"
#include "store/run_store.h"
#include "engine/export.h"
#include "engine/gguf_export.h"
#include "engine/modelfile.h"
#include "engine/run_inspection.h"
#include "engine/run_job.h"
#include "train/distributed.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
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
            json j = {{"event", "step"},        {"step", e.step},
                      {"total_steps", e.totalSteps}, {"loss", e.loss},
                      {"learning_rate", e.learningRate}, {"grad_norm", e.gradNorm},
                      {"tokens_per_second", e.tokensPerSecond}, {"elapsed_s", e.elapsedSeconds},
                      {"eta_s", e.etaSeconds},  {"epoch", e.epoch},
                      {"peak_memory_bytes", e.peakMemoryBytes}};
            if (!e.rankTokensPerSecond.empty()) // data parallel: each rank's, by rank
                j["rank_tokens_per_second"] = e.rankTokensPerSecond;
            print(j);
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
    LaunchArgs launch; // start this node's ranks (torchrun's --nproc-per-node etc.)
};

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
        addLaunchOptions(*cmd, args->launch);
        commands.emplace_back(cmd, [args] {
            if (shouldLaunch(args->launch))
                return launchLocalRanks(args->launch);
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
        auto gguf = std::make_shared<engine::GgufExport>();
        auto ggufAdapter = std::make_shared<std::string>();
        auto* cmd = app.add_subcommand("export", "Write a finished run as a PEFT adapter folder, a merged model folder "
                                                 "or a GGUF file (llama.cpp, Ollama); or a model as GGUF");
        auto* r = cmd->add_option("--run", *runId, "run id");
        auto* md = cmd->add_option("--model", gguf->modelDir, "a model folder or llama2.c .bin to write as --gguf");
        cmd->add_option("--db", *db, "run store (SQLite)")->capture_default_str();
        auto* a = cmd->add_option("--adapter", *adapter, "folder for adapter_config.json + adapter_model.safetensors");
        auto* m = cmd->add_option("--merged", *merged, "folder for a Hugging Face model with the update merged in");
        auto* g = cmd->add_option("--gguf", gguf->outFile, "GGUF file of the model (a run's update merged in)");
        auto* ga = cmd->add_option("--gguf-adapter", *ggufAdapter, "GGUF file of a LoRA run's adapter (llama-cli --lora)");
        cmd->add_option("--gguf-type", gguf->type, "GGUF weight type")
            ->check(CLI::IsMember({"f32", "f16", "bf16"}))
            ->capture_default_str();
        a->excludes(m);
        r->excludes(md);
        for (auto* o : {a, m, ga})
            md->excludes(o);
        md->needs(g);
        commands.emplace_back(cmd, [db, runId, adapter, merged, gguf, ggufAdapter] {
            if (!gguf->modelDir.empty()) {
                if (gguf->outFile.empty())
                    throw Error("export --model: give --gguf FILE");
                engine::exportGguf(*gguf);
                std::cout << json({{"model", gguf->modelDir}, {"gguf", gguf->outFile}}).dump() << '\n';
                return;
            }
            if (*runId == 0)
                throw Error("export: give --run ID (or --model PATH with --gguf FILE)");
            if (adapter->empty() && merged->empty() && gguf->outFile.empty() && ggufAdapter->empty())
                throw Error("export: give --adapter DIR, --merged DIR, --gguf FILE or --gguf-adapter FILE");
            json out = {{"run_id", *runId}};
            if (!adapter->empty() || !merged->empty()) {
                engine::exportRun(*db, *runId, *adapter, *merged);
                out["path"] = adapter->empty() ? *merged : *adapter;
            }
            engine::GgufExport request = *gguf;
            request.dbPath = *db;
            request.runId = *runId;
            if (!request.outFile.empty()) {
                engine::exportGguf(request);
                out["gguf"] = request.outFile;
                // An Ollama Modelfile and the model card beside it, unless the
                // folder already has its own (never overwritten from here).
                const auto folder = std::filesystem::absolute(request.outFile).parent_path();
                if (!std::filesystem::exists(folder / "Modelfile") && !std::filesystem::exists(folder / "README.md")) {
                    engine::writeGgufCompanions(*db, *runId, request.outFile);
                    out["modelfile"] = (folder / "Modelfile").string();
                } else {
                    std::cerr << "export: " << folder.string()
                              << " already has a Modelfile or README.md; not writing them\n";
                }
            }
            if (!ggufAdapter->empty()) {
                request.outFile = *ggufAdapter;
                request.adapterOnly = true;
                engine::exportGguf(request);
                out["gguf_adapter"] = request.outFile;
            }
            std::cout << out.dump() << '\n';
        });
    }
}

} // namespace tb::cli
