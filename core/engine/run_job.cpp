#include "engine/run_job.h"

#include "common/cpu_features.h"
#include "common/error.h"
#include "common/text.h"
#include "engine/model_loader.h"
#include "engine/sampler.h"
#include "io/atomic_file.h"
#include "model/language_model.h"
#include "peft/peft_model.h"
#include "store/run_store.h"
#include "store/run_writer.h"
#include "tokenizer/tokenizer.h"
#include "train/trainer.h"

#include <filesystem>

namespace fs = std::filesystem;
using nlohmann::json;

namespace tb::engine {

// The run job drives the training layer: its configs, data and trainer throughout.
using train::RunConfig;
using train::StepEvent;
using train::Trainer;
using train::TrainObserver;
using train::ValidationEvent;

namespace {

store::RunStatus storeStatus(train::TrainStatus s)
{
    switch (s) {
    case train::TrainStatus::Completed:
    case train::TrainStatus::EarlyStopped:
        return store::RunStatus::Completed;
    case train::TrainStatus::Cancelled:
        return store::RunStatus::Cancelled;
    case train::TrainStatus::Failed:
        break;
    }
    return store::RunStatus::Failed;
}

std::unique_ptr<tok::Tokenizer> tokenizerFor(const RunConfig& c)
{
    if (!c.tokenizer.empty())
        return tok::loadTokenizer(c.tokenizer);
    return tokenizerNear(c.model, "set \"tokenizer\" in the run configuration");
}

// The greedy samples due after `step` (every rank of a data-parallel run
// calls this at the same steps: the prompts are shared out); none when not
// due. A failure is logged and ends sampling for the run (on every rank:
// Sampler::generate throws on all of them).
std::vector<std::string> samplesAt(Sampler& sampler, int64_t step, JobObserver& out)
{
    if (sampler.every <= 0 || step % sampler.every != 0 || sampler.prompts.empty())
        return {};
    try {
        return sampler.generate();
    } catch (const std::exception& ex) {
        // Samples are a view on the run, not part of it: training goes on without them.
        const std::string what = ex.what();
        out.onLog("sample generation failed, no more samples in this run: " + what.substr(0, what.find('\n')));
        sampler.every = 0;
    }
    return {};
}

// A rank other than 0: its share of the samples, the events as they are.
class FollowerObserver : public TrainObserver {
public:
    FollowerObserver(JobObserver& out, Sampler sampler) : m_out(out), m_sampler(std::move(sampler)) {}
    void onStep(const StepEvent& e) override
    {
        m_out.onStep(e);
        samplesAt(m_sampler, e.step, m_out); // rank 0 reports them
    }
    void onValidation(const ValidationEvent& v) override { m_out.onValidation(v); }
    void onCheckpoint(int64_t step, const std::string& dir) override { m_out.onCheckpoint(step, dir); }
    void onLog(const std::string& message) override { m_out.onLog(message); }

private:
    JobObserver& m_out;
    Sampler m_sampler;
};

// Forwards trainer events to the caller and into the run store.
class Recorder : public TrainObserver {
public:
    Recorder(JobObserver& out, store::RunWriter& writer, int64_t run, Sampler sampler = {})
        : m_out(out), m_writer(writer), m_run(run), m_sampler(std::move(sampler))
    {
    }
    void onStep(const StepEvent& e) override
    {
        // Metric names per step (the run history's curves read them by name):
        // "loss", "learning_rate", "grad_norm", "tokens_per_second",
        // "epoch" (fractional: examples drawn / training examples) and
        // "tokens_seen" (cumulative non-padding input tokens of this rank).
        m_writer.appendMetric(m_run, e.step, "loss", e.loss);
        m_writer.appendMetric(m_run, e.step, "learning_rate", e.learningRate);
        m_writer.appendMetric(m_run, e.step, "grad_norm", e.gradNorm);
        m_writer.appendMetric(m_run, e.step, "tokens_per_second", e.tokensPerSecond);
        m_writer.appendMetric(m_run, e.step, "epoch", e.epochProgress);
        m_writer.appendMetric(m_run, e.step, "tokens_seen", static_cast<double>(e.tokensSeen));
        m_out.onStep(e);
        const auto outputs = samplesAt(m_sampler, e.step, m_out);
        for (size_t i = 0; i < outputs.size(); ++i)
            m_out.onTaskSample({e.step, m_sampler.prompts[i].task, m_sampler.prompts[i].text, outputs[i]});
    }
    void onValidation(const ValidationEvent& v) override
    {
        m_writer.appendMetric(m_run, v.step, "val_loss", v.loss);
        m_writer.appendMetric(m_run, v.step, "val_perplexity", v.perplexity);
        // Multi-task runs: "val_loss/<task>" per task (read by name elsewhere).
        for (const auto& [task, loss] : v.perTask)
            m_writer.appendMetric(m_run, v.step, "val_loss/" + task, loss);
        m_out.onValidation(v);
    }
    void onCheckpoint(int64_t step, const std::string& dir) override
    {
        m_writer.addCheckpoint(m_run, step, dir, true);
        m_writer.flush(); // a checkpoint on disk is only useful once the store knows it
        m_out.onCheckpoint(step, dir);
    }
    void onLog(const std::string& message) override { m_out.onLog(message); }

private:
    JobObserver& m_out;
    store::RunWriter& m_writer;
    int64_t m_run;
    Sampler m_sampler;
};

// What `training.precision` becomes on this run's device, and how the base
// loads for it: bf16 weights for a frozen base (the method trains f32 copies
// of what it changes; samples then decode under autocast too), f32 for full
// fine-tuning, whose weights are all trained.
struct Precision {
    std::string resolved;    // "f32" or "bf16"
    std::string explanation; // "f32 (this CPU has neither ...)"
    std::string weights;     // LoadOptions::precision
};

Precision precisionFor(const RunConfig& c)
{
    Precision p;
    p.resolved = resolvePrecision(c.training.precision, c.training.device);
    p.explanation = precisionExplanation(c.training.precision, c.training.device);
    p.weights = p.resolved == "bf16" && c.method.method != peft::Method::Full ? "bf16" : "f32";
    return p;
}

model::LoadOptions loadOptionsFor(const RunConfig& c, const Precision& p)
{
    model::LoadOptions o;
    o.device = c.training.device;
    o.precision = p.weights;
    return o;
}

// Written into every run folder: which store's which run it belongs to, so a
// second run (of this store or another in the same folder) is not let in.
constexpr const char* kRunMarker = "tunebench-run.json";

// What a run folder holds once a run has used it.
bool holdsRunFiles(const fs::path& dir)
{
    std::error_code ec;
    for (const char* entry : {kRunMarker, "checkpoints", "adapter", "model"})
        if (fs::exists(dir / entry, ec))
            return true;
    return false;
}

std::string absolute(const std::string& path)
{
    return path.empty() ? path : fs::absolute(path).lexically_normal().string();
}

// Stored absolute, so resume, export and eval --run work from any working directory.
void makePathsAbsolute(RunConfig& c)
{
    c.model = absolute(c.model);
    c.tokenizer = absolute(c.tokenizer);
    c.outputDir = absolute(c.outputDir);
    for (auto* files : {&c.data.train, &c.data.validation})
        for (auto& f : *files)
            f.path = absolute(f.path);
}

// Refuses a folder that holds another run's files: the marker names another
// run (or another store), or there are run files without a marker.
void checkOutputDirFree(const fs::path& dir, const std::string& dbPath, int64_t runId)
{
    const fs::path marker = dir / kRunMarker;
    std::error_code ec;
    if (fs::exists(marker, ec)) {
        json owner = json::parse(io::readFile(marker.string()), nullptr, false);
        if (!owner.is_object())
            owner = json::object();
        const std::string store = owner.value("store", std::string("?"));
        const int64_t run = owner.value("run_id", int64_t(0));
        if (runId == 0 || store != dbPath || run != runId)
            throw Error("output_dir " + dir.string() + " already holds run " + std::to_string(run) + " of store "
                        + store + "; choose an empty folder, or leave output_dir unset for a folder per run");
        return;
    }
    if (runId == 0 && holdsRunFiles(dir))
        throw Error("output_dir " + dir.string() + " already holds another run's files (checkpoints, adapter or "
                    "model); choose an empty folder, or leave output_dir unset for a folder per run");
}

// <store folder>/runs/<store file stem>-<id>: stores sharing a folder never
// share a run folder. A leftover folder of a deleted store of the same name
// is left alone: a suffix makes the name unique.
std::string defaultOutputDir(const std::string& dbPath, int64_t runId)
{
    const fs::path db(dbPath);
    const fs::path base = db.parent_path() / "runs" / (db.stem().string() + "-" + std::to_string(runId));
    fs::path dir = base;
    std::error_code ec;
    for (int n = 2; fs::exists(dir, ec) && !fs::is_empty(dir, ec); ++n)
        dir = base.string() + "-" + std::to_string(n);
    return dir.string();
}

// A resumed run continues in the folder its checkpoints are in
// (<output dir>/checkpoints/<name>), whatever the default folder is today.
std::string outputDirOf(const std::string& checkpoint)
{
    const fs::path parent = fs::path(checkpoint).parent_path();
    return parent.filename() == "checkpoints" ? parent.parent_path().string() : std::string();
}

// A rank other than 0 of a data-parallel run: trains its shard, writes nothing.
JobResult runFollowerRank(const RunConfig& requested, const JobOptions& options, JobObserver& observer,
                          RunControl& control)
{
    JobResult result;
    RunConfig config = requested;
    std::string resumeFrom;
    if (options.resumeRun) {
        store::RunStore store(absolute(options.dbPath));
        const auto run = store.run(*options.resumeRun);
        config = train::parseRunConfig(json::parse(run.configJson), "run " + std::to_string(run.id) + " configuration");
        const auto ck = store.lastCheckpoint(run.id);
        if (!ck)
            throw Error("run " + std::to_string(run.id) + " has no resumable checkpoint");
        resumeFrom = ck->path;
        result.runId = run.id;
    } else {
        makePathsAbsolute(config);
    }
    try {
        auto tokenizer = tokenizerFor(config);
        auto prepared = prepareData(config, *tokenizer);
        auto lm = model::LanguageModel::load(config.model, loadOptionsFor(config, precisionFor(config)));
        peft::PeftModel peftModel(lm->module(), config.method, tokenizer.get(), config.training.seed);
        // The same prompts as rank 0, to generate this rank's share of them.
        Sampler sampler;
        if (config.training.sampleEvery > 0)
            sampler = {&peftModel, tokenizer.get(),
                       samplePrompts(config, *tokenizer, prepared.validation, prepared.validationTasks),
                       config.training.sampleEvery, config.training.sampleMaxNewTokens, options.group};
        Trainer trainer(peftModel, config.training, std::move(prepared.train), std::move(prepared.validation), "",
                        std::move(prepared.validationTasks));
        trainer.setDataParallel({options.group, options.checkWeightsEvery});
        FollowerObserver follower(observer, std::move(sampler));
        result.train = trainer.run(follower, control, resumeFrom);
    } catch (const std::exception& e) {
        const std::string what = e.what();
        result.train.status = train::TrainStatus::Failed;
        result.train.error = what.substr(0, what.find('\n'));
    }
    return result;
}

} // namespace

JobResult runJob(const RunConfig& requested, const JobOptions& options, JobObserver& observer, RunControl& control)
{
    if (options.group && options.group->rank() != 0)
        return runFollowerRank(requested, options, observer, control);
    JobResult result;
    RunConfig config = requested;
    std::string resumeFrom;
    const std::string dbPath = absolute(options.dbPath);
    {
        store::RunStore store(dbPath);
        if (options.resumeRun) {
            const auto run = store.run(*options.resumeRun);
            config = train::parseRunConfig(json::parse(run.configJson), "run " + std::to_string(run.id) + " configuration");
            if (config.outputDir.empty()) {
                const auto ck = store.lastCheckpoint(run.id);
                config.outputDir = ck ? outputDirOf(ck->path) : std::string();
            }
            if (!config.outputDir.empty())
                checkOutputDirFree(config.outputDir, dbPath, run.id);
            // Refuses a run another process is still training, a completed
            // one and one without a checkpoint; the steps after the
            // checkpoint are replayed, so their metrics go.
            resumeFrom = store.claimForResume(run.id).path;
            result.runId = run.id;
        } else {
            makePathsAbsolute(config);
            if (!config.outputDir.empty())
                checkOutputDirFree(config.outputDir, dbPath, 0);
            result.runId = store.createRun({config.name, config.model, peft::methodName(config.method.method),
                                            toJson(config).dump()});
        }
    }
    if (config.outputDir.empty())
        config.outputDir = defaultOutputDir(dbPath, result.runId);
    result.outputDir = config.outputDir;
    store::RunWriter writer(dbPath);
    writer.setStatus(result.runId, store::RunStatus::Running);
    writer.flush();
    observer.onRunCreated(result.runId, config.outputDir);

    try {
        fs::create_directories(config.outputDir);
        io::writeFileAtomic((fs::path(config.outputDir) / kRunMarker).string(),
                            json({{"store", dbPath}, {"run_id", result.runId}}).dump(2) + "\n");
        auto tokenizer = tokenizerFor(config);
        auto prepared = prepareData(config, *tokenizer);
        const Precision precision = precisionFor(config);
        observer.onLog("precision: " + config.training.precision + " -> " + precision.explanation);
        auto lm = model::LanguageModel::load(config.model, loadOptionsFor(config, precision));
        peft::PeftModel peftModel(lm->module(), config.method, tokenizer.get(), config.training.seed);
        const auto summary = peftModel.summary();
        observer.onPrepared(prepared.summary, summary.trainable, summary.total);

        Sampler sampler;
        if (config.training.sampleEvery > 0) {
            sampler = {&peftModel, tokenizer.get(), samplePrompts(config, *tokenizer, prepared.validation, prepared.validationTasks),
                       config.training.sampleEvery, config.training.sampleMaxNewTokens, options.group};
            if (sampler.prompts.empty())
                observer.onLog("sample_every is set but there is no prompt to sample: give training.sample_prompts");
        }
        Trainer trainer(peftModel, config.training, std::move(prepared.train), std::move(prepared.validation),
                        config.outputDir, std::move(prepared.validationTasks));
        trainer.setDataParallel({options.group, options.checkWeightsEvery});
        Recorder recorder(observer, writer, result.runId, std::move(sampler));
        result.train = trainer.run(recorder, control, resumeFrom);

        if (result.train.status == train::TrainStatus::Completed || result.train.status == train::TrainStatus::EarlyStopped) {
            const bool full = config.method.method == peft::Method::Full;
            result.savedDir = (fs::path(config.outputDir) / (full ? "model" : "adapter")).string();
            if (full)
                peftModel.exportMerged(result.savedDir, config.model);
            else
                peftModel.saveAdapter(result.savedDir, config.model);
            store::Artifact a;
            a.run = result.runId;
            a.kind = full ? "model" : "adapter";
            a.path = result.savedDir;
            a.metadataJson = json({{"trainable_parameters", summary.trainable},
                                   {"total_parameters", summary.total},
                                   {"final_loss", result.train.finalLoss},
                                   {"best_validation_loss", result.train.bestValidationLoss
                                                                ? json(*result.train.bestValidationLoss)
                                                                : json(nullptr)},
                                   // Run history shows "precision: auto -> f32 (this CPU has ...)".
                                   {"precision", precision.resolved},
                                   {"precision_configured", config.training.precision},
                                   {"precision_explanation", precision.explanation}})
                                 .dump();
            writer.addArtifact(a);
        }
    } catch (const std::exception& e) {
        const std::string what = e.what();
        result.train.status = train::TrainStatus::Failed;
        result.train.error = what.substr(0, what.find('\n'));
    }
    // The error may quote a bad input line: valid UTF-8, and not all of it.
    result.train.error = cappedText(result.train.error, 2000);
    // A peer that died is no fault of the run: it resumes from its last checkpoint.
    const bool peerLost = options.group && options.group->failure() && result.train.status == train::TrainStatus::Failed;
    writer.setStatus(result.runId, peerLost ? store::RunStatus::Interrupted : storeStatus(result.train.status),
                     result.train.error);
    writer.flush();
    return result;
}

} // namespace tb::engine
