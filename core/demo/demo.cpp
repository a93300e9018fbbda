#include "demo/demo.h"

#include "common/error.h"
#include "data/rng.h"
#include "demo/bpe_trainer.h"
#include "demo/suite.h"
#include "io/atomic_file.h"
#include "model/language_model.h"
#include "peft/peft_model.h"
#include "tokenizer/tokenizer.h"
#include "train/trainer.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

namespace tb::demo {

namespace {

constexpr int kManifestVersion = 1;
constexpr const char* kSpecialToken = "<|endoftext|>";
constexpr size_t kMerges = 500;
constexpr int64_t kContext = 256;
constexpr int64_t kPretrainSeqLength = 128;
constexpr int64_t kDefaultPretrainSteps = 150;

void say(const DemoOptions& o, const std::string& line)
{
    if (o.log)
        o.log(line);
}

std::string fixed(double value, int digits = 3)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, value);
    return buf;
}

void writeText(const fs::path& path, const std::string& text)
{
    fs::create_directories(path.parent_path());
    io::writeFileAtomic(path.string(), text);
}

// Restores LibTorch's intra-op thread count: the demo picks one thread for
// its tiny model, the rest of the process (GUI, CLI) keeps its own choice.
class ThreadCountGuard {
public:
    ThreadCountGuard() : m_threads(torch::get_num_threads()) {}
    ~ThreadCountGuard() { torch::set_num_threads(m_threads); }

private:
    int m_threads;
};

class PretrainObserver final : public train::TrainObserver {
public:
    PretrainObserver(const DemoOptions& options, int64_t steps)
        : m_options(options), m_every(std::max<int64_t>(1, steps / 10))
    {
    }
    void onStep(const train::StepEvent& e) override
    {
        if (e.step == 1)
            firstLoss = e.loss;
        if (e.step == 1 || e.step % m_every == 0 || e.step == e.totalSteps)
            say(m_options, "pretraining: step " + std::to_string(e.step) + "/" + std::to_string(e.totalSteps)
                               + "  loss " + fixed(e.loss) + "  " + fixed(e.tokensPerSecond, 0) + " tok/s  eta "
                               + fixed(e.etaSeconds, 0) + " s");
    }
    void onLog(const std::string& message) override { say(m_options, "pretraining: " + message); }

    double firstLoss = 0;

private:
    const DemoOptions& m_options;
    int64_t m_every;
};

// Stories joined by <|endoftext|> and cut into fixed-length windows, as GPT-2
// was pretrained: no padding, every position carries loss.
std::vector<train::Sequence> packStories(const std::vector<DemoRecord>& stories, const tok::Tokenizer& tokenizer,
                                         int64_t length)
{
    const int64_t eos = *tokenizer.eosId();
    std::vector<int64_t> stream;
    for (const DemoRecord& r : stories) {
        const auto ids = tokenizer.encode(r.text, false);
        stream.insert(stream.end(), ids.begin(), ids.end());
        stream.push_back(eos);
    }
    std::vector<train::Sequence> out;
    for (size_t start = 0; start + static_cast<size_t>(length) <= stream.size(); start += static_cast<size_t>(length)) {
        train::Sequence s;
        s.ids.assign(stream.begin() + static_cast<std::ptrdiff_t>(start),
                     stream.begin() + static_cast<std::ptrdiff_t>(start + static_cast<size_t>(length)));
        s.labels = s.ids;
        s.labels[0] = train::kIgnoreIndex; // nothing before it to predict it from
        out.push_back(std::move(s));
    }
    return out;
}

model::ModelConfig baseConfig(const tok::Tokenizer& tokenizer)
{
    model::ModelConfig c;
    c.family = model::Family::Llama;
    c.modelType = "llama";
    c.vocabSize = tokenizer.vocabSize();
    c.hiddenSize = 96;
    c.numLayers = 4;
    c.numHeads = 4;
    c.numKvHeads = 2;
    c.headDim = 24;
    c.intermediateSize = 256;
    c.maxPositions = kContext;
    c.normEps = 1e-5;
    c.ropeTheta = 10000.0;
    c.tieEmbeddings = true;
    // Biases on attention and MLP so that BitFit (selective tuning of biases)
    // has something to train; Llama's config allows both.
    c.qkvBias = true;
    c.attentionOutBias = true;
    c.mlpBias = true;
    c.activation = "silu";
    c.storageDType = "f32";
    c.bosId = tokenizer.bosId();
    c.eosId = tokenizer.eosId();
    return c;
}

struct Pretrained {
    double initialLoss = 0, finalLoss = 0, firstStepLoss = 0, lastStepLoss = 0, seconds = 0;
    int64_t steps = 0, sequences = 0;
};

Pretrained pretrain(const DemoOptions& options, const std::vector<DemoRecord>& train,
                    const std::vector<DemoRecord>& validation, const fs::path& tokenizerDir, const fs::path& baseDir)
{
    const auto tokenizer = tok::loadTokenizer(tokenizerDir.string());
    const model::ModelConfig config = baseConfig(*tokenizer);
    auto lm = model::LanguageModel::create(config, options.seed);
    peft::MethodConfig full;
    full.method = peft::Method::Full;
    peft::PeftModel model(lm->module(), full, tokenizer.get(), options.seed);

    train::TrainConfig tc;
    tc.optimizer = "adamw";
    tc.learningRate = 3e-3;
    tc.weightDecay = 0.01;
    tc.schedule = "cosine";
    tc.maxSteps = options.pretrainSteps > 0 ? options.pretrainSteps : kDefaultPretrainSteps;
    tc.warmupSteps = std::max<int64_t>(1, tc.maxSteps / 10);
    tc.minLrRatio = 0.1;
    tc.batchSize = 16;
    tc.clipNorm = 1.0;
    tc.seed = options.seed;
    tc.threads = std::max(1, options.threads);

    auto trainSeqs = packStories(train, *tokenizer, kPretrainSeqLength);
    auto valSeqs = packStories(validation, *tokenizer, kPretrainSeqLength);
    Pretrained out;
    out.steps = tc.maxSteps;
    out.sequences = static_cast<int64_t>(trainSeqs.size());
    say(options, "pretraining a " + std::to_string(model.summary().total) + "-parameter llama model for "
                     + std::to_string(tc.maxSteps) + " steps on " + std::to_string(trainSeqs.size()) + " sequences of "
                     + std::to_string(kPretrainSeqLength) + " tokens");

    ThreadCountGuard threads;
    train::Trainer trainer(model, tc, std::move(trainSeqs), std::move(valSeqs), {});
    torch::set_num_threads(tc.threads);
    out.initialLoss = trainer.validate();
    say(options, "pretraining: validation loss before " + fixed(out.initialLoss));

    PretrainObserver observer(options, tc.maxSteps);
    RunControl localControl;
    const auto t0 = std::chrono::steady_clock::now();
    const train::TrainResult result = trainer.run(observer, options.control ? *options.control : localControl);
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (result.status == train::TrainStatus::Cancelled)
        throw Error("demo workspace: pretraining was cancelled");
    if (result.status != train::TrainStatus::Completed)
        throw Error("demo workspace: pretraining failed: " + result.error);
    out.finalLoss = result.bestValidationLoss ? *result.bestValidationLoss : trainer.validate();
    out.firstStepLoss = observer.firstLoss;
    out.lastStepLoss = result.finalLoss;
    say(options, "pretraining: validation loss after " + fixed(out.finalLoss) + " (" + fixed(out.seconds, 1) + " s)");

    model.exportMerged(baseDir.string(), tokenizerDir.string());
    return out;
}

// ---- run configurations ----

ojson summarizeData()
{
    return {{"train", {"../data/summarize/train.jsonl"}},
            {"validation", {"../data/summarize/validation.jsonl"}},
            {"template", "plain"},
            {"max_length", kContext}};
}

ojson training(double learningRate, uint64_t seed)
{
    return {{"max_steps", 100},      {"batch_size", 8},   {"learning_rate", learningRate},
            {"schedule", "cosine"},  {"warmup_steps", 10}, {"eval_every", 25},
            {"checkpoint_every", 50}, {"sample_every", 25}, {"sample_max_new_tokens", 24}, {"seed", seed}};
}

std::vector<std::pair<std::string, ojson>> runConfigs(uint64_t seed)
{
    std::vector<std::pair<std::string, ojson>> runs;
    auto run = [&](const std::string& file, const std::string& name, ojson data, ojson method, double lr) {
        ojson j;
        j["name"] = name;
        j["model"] = "../base";
        j["data"] = std::move(data);
        j["method"] = std::move(method);
        j["training"] = training(lr, seed);
        runs.emplace_back(file, std::move(j));
    };
    run("full.json", "demo-summarize-full", summarizeData(), {{"method", "full"}}, 1e-3);
    run("lora.json", "demo-summarize-lora", summarizeData(),
        {{"method", "lora"},
         {"lora", {{"rank", 8}, {"alpha", 16}, {"dropout", 0.05}, {"targets", {"q_proj", "v_proj"}}}}},
        3e-3);
    run("selective.json", "demo-summarize-bitfit", summarizeData(),
        {{"method", "selective"}, {"selective", {{"biases", true}, {"norms", true}}}}, 1e-2);
    run("adapter.json", "demo-summarize-adapter", summarizeData(),
        {{"method", "adapter"}, {"adapter", {{"size", 32}, {"activation", "relu"}}}}, 3e-3);
    run("prompt_tuning.json", "demo-summarize-prompt", summarizeData(),
        {{"method", "prompt_tuning"},
         {"prompt_tuning", {{"num_virtual_tokens", 16}, {"init", "text"}, {"text", "Summarize the story in one sentence:"}}}},
        1e-1); // soft prompts need a far larger step than weights do

    ojson multi = {{"train",
                    {"../data/summarize/train.jsonl", "../data/translate/train.jsonl", "../data/classify/train.jsonl"}},
                   {"validation",
                    {"../data/summarize/validation.jsonl", "../data/translate/validation.jsonl",
                     "../data/classify/validation.jsonl"}},
                   {"template", "plain"},
                   {"max_length", kContext},
                   {"mixing", "temperature"},
                   {"temperature", 2.0}};
    // Three tasks share one adapter: LoRA on every projection, with more rank
    // than the single-task run, learns them noticeably faster than q/v alone.
    run("multitask_lora.json", "demo-multitask-lora", multi,
        {{"method", "lora"},
         {"lora",
          {{"rank", 16},
           {"alpha", 32},
           {"dropout", 0.05},
           {"targets", {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}}}}},
        5e-3);
    runs.back().second["training"]["max_steps"] = 150;
    return runs;
}

DemoWorkspace fromManifest(const fs::path& dir)
{
    const fs::path manifest = dir / "workspace.json";
    DemoWorkspace ws;
    ws.dir = dir.string();
    ws.manifest = manifest.string();
    try {
        const auto j = nlohmann::json::parse(io::readFile(manifest.string()));
        ws.baseModel = (dir / j.at("base_model").get<std::string>()).lexically_normal().string();
        for (const auto& r : j.at("runs"))
            ws.runConfigs.push_back((dir / r.get<std::string>()).lexically_normal().string());
        if (j.contains("suites"))
            for (const auto& s : j.at("suites"))
                ws.suites.push_back((dir / s.get<std::string>()).lexically_normal().string());
        ws.initialLoss = j.at("pretraining").at("initial_loss").get<double>();
        ws.finalLoss = j.at("pretraining").at("final_loss").get<double>();
    } catch (const nlohmann::json::exception& e) {
        throw Error(manifest.string() + ": not a demo workspace manifest: " + e.what());
    }
    return ws;
}

void build(const DemoOptions& options, const fs::path& dir)
{
    // 1. The task suite.
    say(options, "generating the task suite (seed " + std::to_string(options.seed) + ")");
    const std::vector<DemoTask> tasks = generateSuite(options.seed);
    ojson taskList = ojson::array();
    const DemoTask* lm = nullptr;
    for (const DemoTask& t : tasks) {
        ojson files, counts;
        for (const auto& [split, records] : {std::pair{"train", &t.train}, std::pair{"validation", &t.validation},
                                             std::pair{"test", &t.test}}) {
            const std::string rel = "data/" + t.name + "/" + split + ".jsonl";
            writeText(dir / rel, toJsonl(*records));
            files[split] = rel;
            counts[split] = records->size();
        }
        ojson entry = {{"name", t.name}, {"metric", t.metric}, {"description", t.description},
                       {"format", t.name == "lm" ? "text" : "prompt-response"}, {"files", files}, {"counts", counts}};
        if (t.name == "translate") {
            writeText(dir / "data/translate/dictionary.json", dictionaryJson());
            entry["dictionary"] = "data/translate/dictionary.json";
        }
        taskList.push_back(entry);
        if (t.name == "lm")
            lm = &t;
    }

    // 2. The tokenizer, learned on every task's training text.
    std::vector<std::string> corpus;
    for (const DemoTask& t : tasks)
        for (const DemoRecord& r : t.train)
            corpus.push_back(r.text.empty() ? r.prompt + "\n" + r.response : r.text);
    const BpeVocabulary vocab = trainByteLevelBpe(corpus, kMerges);
    const fs::path tokenizerDir = dir / "tokenizer";
    writeText(tokenizerDir / "tokenizer.json", tokenizerJson(vocab, kSpecialToken));
    writeText(tokenizerDir / "tokenizer_config.json", tokenizerConfigJson(kSpecialToken, kContext));
    const auto tokenizer = tok::loadTokenizer(tokenizerDir.string());
    int64_t bytes = 0, tokens = 0;
    for (const std::string& text : corpus) {
        const auto ids = tokenizer->encode(text, false);
        if (tokenizer->decode(ids, false) != text)
            throw Error("demo workspace: internal error: the learned tokenizer does not round-trip '" + text + "'");
        bytes += static_cast<int64_t>(text.size());
        tokens += static_cast<int64_t>(ids.size());
    }
    say(options, "tokenizer: " + std::to_string(tokenizer->vocabSize()) + " tokens, " + std::to_string(vocab.merges.size())
                     + " merges, " + fixed(static_cast<double>(bytes) / static_cast<double>(tokens), 2)
                     + " bytes per token on the training text");

    // 3. The base model.
    const Pretrained p = pretrain(options, lm->train, lm->validation, tokenizerDir, dir / "base");

    // 4. Run configurations.
    ojson runs = ojson::array();
    for (const auto& [file, config] : runConfigs(options.seed)) {
        writeText(dir / "runs" / file, config.dump(2) + "\n");
        runs.push_back("runs/" + file);
    }

    // 5. Evaluation suites over the test files, plus the same data in the
    // MMLU and BIG-bench layouts so every suite format is exercised offline.
    const DemoTask* classify = nullptr;
    for (const DemoTask& t : tasks)
        if (t.name == "classify")
            classify = &t;
    writeText(dir / "suites/mmlu/lumi_vocabulary_test.csv", lumiVocabularyCsv(data::deriveSeed(options.seed, 71), 40));
    writeText(dir / "suites/mmlu/lumi_vocabulary_dev.csv", lumiVocabularyCsv(data::deriveSeed(options.seed, 72), 5));
    writeText(dir / "suites/bigbench/sentiment/task.json", sentimentBigbenchJson(classify->test));
    writeText(dir / "suites/demo.json", demoSuiteJson());

    // 6. The manifest, last: its presence marks a complete workspace.
    ojson m;
    m["version"] = kManifestVersion;
    m["generator"] = "tunebench demo";
    m["seed"] = options.seed;
    m["tasks"] = taskList;
    m["tokenizer"] = {{"path", "tokenizer"},
                      {"type", "byte-level BPE"},
                      {"vocab_size", tokenizer->vocabSize()},
                      {"merges", vocab.merges.size()},
                      {"bytes_per_token", static_cast<double>(bytes) / static_cast<double>(tokens)}};
    m["base_model"] = "base";
    m["pretraining"] = {{"task", "lm"},
                        {"steps", p.steps},
                        {"sequences", p.sequences},
                        {"sequence_length", kPretrainSeqLength},
                        {"initial_loss", p.initialLoss},
                        {"final_loss", p.finalLoss},
                        {"first_step_loss", p.firstStepLoss},
                        {"last_step_loss", p.lastStepLoss},
                        {"seconds", p.seconds}};
    m["runs"] = runs;
    m["suites"] = {"suites/demo.json"};
    io::writeFileAtomic((dir / "workspace.json").string(), m.dump(2) + "\n");
}

} // namespace

int64_t defaultPretrainSteps()
{
    return kDefaultPretrainSteps;
}

DemoWorkspace createDemoWorkspace(const DemoOptions& options)
{
    if (options.dir.empty())
        throw Error("demo workspace: no folder given");
    const fs::path dir = fs::absolute(options.dir).lexically_normal();
    std::error_code ec;
    if (fs::exists(dir / "workspace.json", ec)) {
        say(options, dir.string() + " already holds a demo workspace; using it");
        return fromManifest(dir);
    }
    if (fs::exists(dir, ec) && !(fs::is_directory(dir, ec) && fs::is_empty(dir, ec)))
        throw Error(dir.string() + ": exists and is not an empty folder or a demo workspace; choose another folder");

    // A stale .partial is an earlier attempt that died half-way: ours to replace.
    const fs::path partial = dir.string() + ".partial";
    fs::remove_all(partial, ec);
    fs::create_directories(partial);
    try {
        build(options, partial);
        if (fs::exists(dir, ec))
            fs::remove(dir); // empty, checked above
        fs::rename(partial, dir);
    } catch (const fs::filesystem_error& e) {
        fs::remove_all(partial, ec);
        throw Error("demo workspace " + dir.string() + ": " + e.what());
    } catch (...) {
        fs::remove_all(partial, ec);
        throw;
    }
    say(options, "demo workspace ready: " + dir.string());
    return fromManifest(dir);
}

} // namespace tb::demo
