#include "train/run_job.h"

#include "common/error.h"
#include "data/dataset.h"
#include "data/mixing.h"
#include "data/split.h"
#include "data/template.h"
#include "data/tokenized.h"
#include "model/language_model.h"
#include "peft/peft_model.h"
#include "store/run_store.h"
#include "store/run_writer.h"
#include "tokenizer/tokenizer.h"
#include "train/trainer.h"

#include <filesystem>

namespace fs = std::filesystem;
using nlohmann::json;

namespace tb::train {

namespace {

data::FileFormat fileFormat(const std::string& name, const std::string& where)
{
    if (name == "auto")
        return data::FileFormat::Auto;
    if (name == "jsonl")
        return data::FileFormat::Jsonl;
    if (name == "json")
        return data::FileFormat::JsonArray;
    if (name == "csv")
        return data::FileFormat::Csv;
    throw Error(where + ": format '" + name + "' (expected auto, jsonl, json or csv)");
}

std::vector<data::Record> readAll(const std::vector<DataFile>& files)
{
    std::vector<data::Record> out;
    for (const auto& f : files) {
        data::ReadOptions o;
        o.format = fileFormat(f.format, f.path);
        o.fieldMap = f.fields;
        o.task = f.task;
        auto records = data::readDataset(f.path, o);
        out.insert(out.end(), records.begin(), records.end());
    }
    return out;
}

std::vector<Sequence> toTrainSequences(const std::vector<data::Example>& examples, const DataConfig& d, size_t& truncated)
{
    std::vector<Sequence> out;
    if (d.packing) {
        data::PackOptions po;
        po.sequenceLength = static_cast<size_t>(d.maxLength);
        auto packed = data::pack(examples, po);
        truncated += packed.truncated;
        for (auto& s : packed.sequences)
            out.push_back({std::move(s.ids), std::move(s.labels)});
        return out;
    }
    for (const auto& e : examples)
        out.push_back({e.ids, e.labels});
    return out;
}

store::RunStatus statusOf(const std::string& s)
{
    if (s == "completed" || s == "early_stopped")
        return store::RunStatus::Completed;
    if (s == "cancelled")
        return store::RunStatus::Cancelled;
    return store::RunStatus::Failed;
}

std::unique_ptr<tok::Tokenizer> tokenizerFor(const RunConfig& c)
{
    if (!c.tokenizer.empty())
        return tok::loadTokenizer(c.tokenizer);
    const fs::path m(c.model);
    const fs::path folder = fs::is_directory(m) ? m : m.parent_path();
    if (!tok::hasTokenizer(folder.string()))
        throw Error(c.model + ": no tokenizer in the model folder; set \"tokenizer\" in the run configuration");
    return tok::loadTokenizer(folder.string());
}

struct SamplePrompt {
    std::vector<int64_t> ids;
    std::string text;
};

// training.sample_prompts rendered through the template as an instruction, or
// else the prompt part (tokens before the first loss label) of the first
// validation sequences, exactly as the model sees them in training.
std::vector<SamplePrompt> samplePrompts(const RunConfig& config, const tok::Tokenizer& tokenizer,
                                        const std::vector<Sequence>& validation)
{
    constexpr size_t kDefaultSamples = 2;
    std::vector<SamplePrompt> out;
    const auto bos = tokenizer.bosId();
    if (!config.training.samplePrompts.empty()) {
        const std::vector<int64_t> probe = tokenizer.encode("a", true);
        const bool addsBos = bos && !probe.empty() && probe.front() == *bos;
        const auto kind = data::templateFromName(config.data.templateName);
        for (const auto& p : config.training.samplePrompts) {
            data::Record r;
            r.shape = data::RecordShape::PromptResponse;
            r.prompt = p;
            SamplePrompt s;
            s.ids = tokenizer.encode(data::renderPrompt(r, kind), false);
            if (addsBos)
                s.ids.insert(s.ids.begin(), *bos);
            s.text = p;
            if (!s.ids.empty())
                out.push_back(std::move(s));
        }
        return out;
    }
    for (const auto& seq : validation) {
        if (out.size() == kDefaultSamples)
            break;
        size_t end = 0;
        while (end < seq.labels.size() && seq.labels[end] == kIgnoreIndex)
            ++end;
        SamplePrompt s;
        s.ids.assign(seq.ids.begin(), seq.ids.begin() + static_cast<std::ptrdiff_t>(end));
        // Only a real prompt: some token besides BOS, and a response after it.
        const bool onlyBos = s.ids.empty() || (s.ids.size() == 1 && bos && s.ids[0] == *bos);
        if (onlyBos || end == seq.ids.size())
            continue;
        s.text = tokenizer.decode(s.ids, true);
        out.push_back(std::move(s));
    }
    return out;
}

// Greedy decoding through PeftModel::forward, recomputing the whole sequence
// per token: the path for soft prompts, which LanguageModel::generate does
// not know about. Samples are few and short.
std::string greedyWithSoftPrompt(peft::PeftModel& model, const tok::Tokenizer& tokenizer, std::vector<int64_t> ids,
                                 int64_t maxNewTokens)
{
    auto base = model.base();
    const auto device = base->parameters().front().device();
    const int64_t context = base->config().maxPositions - model.promptEmbeddings().size(0);
    std::optional<int64_t> eos = base->config().eosId;
    if (tokenizer.eosId())
        eos = tokenizer.eosId();
    std::vector<int64_t> generated;
    for (int64_t i = 0; i < maxNewTokens && static_cast<int64_t>(ids.size()) < context; ++i) {
        auto input = torch::tensor(ids, torch::kLong).view({1, -1}).to(device);
        const int64_t next = model.forward(input).index({0, -1}).argmax().item<int64_t>();
        if (eos && next == *eos)
            break;
        generated.push_back(next);
        ids.push_back(next);
    }
    return tokenizer.decode(generated, true);
}

struct Sampler {
    model::LanguageModel* lm = nullptr; // its module is the one being trained (LoRA, adapters, ... in place)
    peft::PeftModel* model = nullptr;
    const tok::Tokenizer* tokenizer = nullptr;
    std::vector<SamplePrompt> prompts;
    int64_t every = 0;
    int64_t maxNewTokens = 32;

    // Greedy outputs of every prompt with the weights as they are now, in
    // eval mode (no dropout) and without gradients; the training mode, graph
    // and dropout RNG are left as they were, so training goes on unchanged.
    std::vector<std::string> generate() const
    {
        auto base = model->base();
        const bool wasTraining = base->is_training();
        base->eval();
        torch::NoGradGuard noGrad;
        std::vector<std::string> out;
        try {
            if (model->promptEmbeddings().defined()) {
                for (const auto& p : prompts)
                    out.push_back(greedyWithSoftPrompt(*model, *tokenizer, p.ids, maxNewTokens));
            } else {
                // One batch; greedy rows equal generating each alone (language_model.h).
                std::vector<std::vector<int64_t>> batch;
                for (const auto& p : prompts)
                    batch.push_back(p.ids);
                model::GenerationOptions o;
                o.maxNewTokens = maxNewTokens;
                for (auto& r : lm->generate(batch, o, tokenizer))
                    out.push_back(std::move(r.text));
            }
        } catch (...) {
            base->train(wasTraining);
            throw;
        }
        base->train(wasTraining);
        return out;
    }
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
        m_writer.appendMetric(m_run, e.step, "loss", e.loss);
        m_writer.appendMetric(m_run, e.step, "learning_rate", e.learningRate);
        m_writer.appendMetric(m_run, e.step, "grad_norm", e.gradNorm);
        m_writer.appendMetric(m_run, e.step, "tokens_per_second", e.tokensPerSecond);
        m_out.onStep(e);
        if (m_sampler.every > 0 && e.step % m_sampler.every == 0 && !m_sampler.prompts.empty()) {
            std::vector<std::string> outputs;
            try {
                outputs = m_sampler.generate();
            } catch (const std::exception& ex) {
                // Samples are a view on the run, not part of it: training goes on without them.
                const std::string what = ex.what();
                m_out.onLog("sample generation failed, no more samples in this run: " + what.substr(0, what.find('\n')));
                m_sampler.every = 0;
            }
            for (size_t i = 0; i < outputs.size(); ++i)
                m_out.onSample(e.step, m_sampler.prompts[i].text, outputs[i]);
        }
    }
    void onValidation(const ValidationEvent& v) override
    {
        m_writer.appendMetric(m_run, v.step, "val_loss", v.loss);
        m_writer.appendMetric(m_run, v.step, "val_perplexity", v.perplexity);
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

} // namespace

PreparedData prepareData(const RunConfig& config, const tok::Tokenizer& tokenizer)
{
    const auto& d = config.data;
    PreparedData out;
    auto trainRecords = readAll(d.train);
    auto valRecords = readAll(d.validation);
    if (trainRecords.empty())
        throw Error("the training files hold no records");

    data::TokenizeOptions to;
    to.templateKind = data::templateFromName(d.templateName);
    to.lossOnPrompt = d.lossOnPrompt;
    to.maxLength = static_cast<size_t>(d.maxLength);
    auto trainSet = data::tokenizeRecords(trainRecords, tokenizer, to);
    out.summary.truncated += trainSet.truncated;
    out.summary.dropped += trainSet.dropped;
    std::vector<data::Example> train = std::move(trainSet.examples), validation;
    if (!valRecords.empty()) {
        auto valSet = data::tokenizeRecords(valRecords, tokenizer, to);
        validation = std::move(valSet.examples);
    } else if (d.validationFraction > 0 && train.size() > 1) {
        std::vector<std::string> tasks;
        for (const auto& e : train)
            tasks.push_back(e.task);
        data::SplitOptions so;
        so.validationFraction = d.validationFraction;
        so.seed = config.training.seed;
        auto split = data::splitTrainValidation(tasks, so);
        std::vector<data::Example> t, v;
        for (size_t i : split.train)
            t.push_back(train[i]);
        for (size_t i : split.validation)
            v.push_back(train[i]);
        train = std::move(t);
        validation = std::move(v);
    }
    if (train.empty())
        throw Error("no training examples left after tokenising (every record lacked a response?)");

    // Multi-task mixing of the training side only; validation stays as it is.
    std::vector<std::string> tasks;
    for (const auto& e : train)
        tasks.push_back(e.task);
    data::MixOptions mo;
    mo.strategy = data::mixStrategyFromName(d.mixing);
    mo.temperature = d.temperature;
    mo.proportions = d.proportions;
    if (d.total > 0)
        mo.total = static_cast<size_t>(d.total);
    mo.seed = config.training.seed;
    auto mixed = data::mixTasks(tasks, mo);
    std::vector<data::Example> ordered;
    for (size_t i : mixed.indices)
        ordered.push_back(train[i]);
    out.summary.perTask = mixed.selected;

    out.train = toTrainSequences(ordered, d, out.summary.truncated);
    out.validation = toTrainSequences(validation, d, out.summary.truncated);
    out.summary.trainExamples = out.train.size();
    out.summary.validationExamples = out.validation.size();
    for (const auto& s : out.train)
        out.summary.trainTokens += static_cast<int64_t>(s.ids.size());
    return out;
}

JobResult runJob(const RunConfig& requested, const JobOptions& options, JobObserver& observer, RunControl& control)
{
    JobResult result;
    RunConfig config = requested;
    std::string resumeFrom;
    {
        store::RunStore store(options.dbPath);
        if (options.resumeRun) {
            const auto run = store.run(*options.resumeRun);
            config = parseRunConfig(json::parse(run.configJson), "run " + std::to_string(run.id) + " configuration");
            auto ck = store.lastCheckpoint(run.id);
            if (!ck)
                throw Error("run " + std::to_string(run.id) + " has no resumable checkpoint; start it again instead");
            resumeFrom = ck->path;
            result.runId = run.id;
        } else {
            result.runId = store.createRun({config.name, config.model, peft::methodName(config.method.method),
                                            toJson(config).dump()});
        }
    }
    // Without an explicit output folder a run writes beside the store, under its id.
    if (config.outputDir.empty())
        config.outputDir = (fs::path(options.dbPath).parent_path() / "runs" / std::to_string(result.runId)).string();
    result.outputDir = config.outputDir;
    store::RunWriter writer(options.dbPath);
    writer.setStatus(result.runId, store::RunStatus::Running);
    writer.flush();
    observer.onRunCreated(result.runId, config.outputDir);

    try {
        fs::create_directories(config.outputDir);
        auto tokenizer = tokenizerFor(config);
        auto prepared = prepareData(config, *tokenizer);
        auto lm = model::LanguageModel::load(config.model, {config.training.device});
        peft::PeftModel peftModel(lm->module(), config.method, tokenizer.get(), config.training.seed);
        const auto summary = peftModel.summary();
        observer.onPrepared(prepared.summary, summary.trainable, summary.total);

        Sampler sampler;
        if (config.training.sampleEvery > 0) {
            sampler = {lm.get(), &peftModel, tokenizer.get(), samplePrompts(config, *tokenizer, prepared.validation),
                       config.training.sampleEvery, config.training.sampleMaxNewTokens};
            if (sampler.prompts.empty())
                observer.onLog("sample_every is set but there is no prompt to sample: give training.sample_prompts");
        }
        Trainer trainer(peftModel, config.training, std::move(prepared.train), std::move(prepared.validation),
                        config.outputDir);
        Recorder recorder(observer, writer, result.runId, std::move(sampler));
        result.train = trainer.run(recorder, control, resumeFrom);

        if (result.train.status == "completed" || result.train.status == "early_stopped") {
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
                                   {"best_validation_loss", result.train.bestValidationLoss}})
                                 .dump();
            writer.addArtifact(a);
        }
    } catch (const std::exception& e) {
        const std::string what = e.what();
        result.train.status = "failed";
        result.train.error = what.substr(0, what.find('\n'));
    }
    writer.setStatus(result.runId, statusOf(result.train.status), result.train.error);
    writer.flush();
    return result;
}

namespace {

// Exports are recorded so the run history lists them and a later run that
// continues from an exported model can be traced back (forgetting chains).
void recordExport(store::RunStore& store, int64_t runId, const std::string& kind, const std::string& dir)
{
    store::Artifact a;
    a.run = runId;
    a.kind = kind;
    a.path = fs::absolute(dir).lexically_normal().string();
    store.addArtifact(a);
}

} // namespace

void exportRun(const std::string& dbPath, int64_t runId, const std::string& adapterDir, const std::string& mergedDir)
{
    store::RunStore store(dbPath);
    const auto run = store.run(runId);
    const auto config = parseRunConfig(json::parse(run.configJson), "run " + std::to_string(runId) + " configuration");
    std::string saved, kind;
    for (const auto& a : store.artifacts(runId))
        if (a.kind == "adapter" || a.kind == "model") {
            saved = a.path;
            kind = a.kind;
        }
    if (saved.empty())
        throw Error("run " + std::to_string(runId) + " (" + std::string(store::runStatusName(run.status)) +
                    ") has saved no weights yet; only completed runs can be exported");
    if (kind == "model") {
        if (!adapterDir.empty())
            throw Error("run " + std::to_string(runId) + " is full fine-tuning: it has no adapter; use --merged");
        auto lm = model::LanguageModel::load(saved);
        peft::MethodConfig full;
        full.method = peft::Method::Full;
        peft::PeftModel m(lm->module(), full);
        m.exportMerged(mergedDir, saved);
        recordExport(store, runId, "merged", mergedDir);
        return;
    }
    auto lm = model::LanguageModel::load(config.model);
    auto peftModel = peft::PeftModel::loadAdapter(saved, lm->module());
    if (!adapterDir.empty()) {
        peftModel->saveAdapter(adapterDir, config.model);
        recordExport(store, runId, "exported_adapter", adapterDir);
    }
    if (!mergedDir.empty()) {
        peftModel->exportMerged(mergedDir, config.model);
        recordExport(store, runId, "merged", mergedDir);
    }
}

} // namespace tb::train
