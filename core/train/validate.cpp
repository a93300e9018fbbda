#include "train/validate.h"

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <limits>
#include <regex>

namespace tb::train {

namespace {

// Shortest text that reads back to the same double: "0.0001", not "1.000000e-04".
std::string number(double v)
{
    char buf[64];
    const auto res = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, res.ptr);
}

std::string number(int64_t v) { return std::to_string(v); }

std::string quoted(const std::string& s) { return '"' + s + '"'; }

// "a, b or c"
std::string alternatives(std::initializer_list<const char*> options)
{
    std::string out;
    size_t i = 0;
    for (const char* o : options) {
        if (i > 0)
            out += i + 1 == options.size() ? " or " : ", ";
        out += o;
        ++i;
    }
    return out;
}

bool isDevice(const std::string& d)
{
    if (d == "cpu" || d == "cuda")
        return true;
    const std::string prefix = "cuda:";
    return d.size() > prefix.size() && d.compare(0, prefix.size(), prefix) == 0 &&
           std::all_of(d.begin() + static_cast<std::ptrdiff_t>(prefix.size()), d.end(),
                       [](char c) { return c >= '0' && c <= '9'; });
}

class Checker {
public:
    void fail(std::string key, std::string message) { m_out.push_back({std::move(key), std::move(message)}); }

    // The comparisons are written so that NaN fails every one of them.
    void positive(const std::string& key, const std::string& what, double v)
    {
        if (!(v > 0) || v == kInf)
            fail(key, what + ": expected a number > 0, found " + number(v));
    }
    void nonNegative(const std::string& key, const std::string& what, double v, const std::string& zero = {})
    {
        if (!(v >= 0) || v == kInf)
            fail(key, what + ": expected a number ≥ 0" + zero + ", found " + number(v));
    }
    void unitOpen(const std::string& key, const std::string& what, double v) // [0, 1)
    {
        if (!(v >= 0 && v < 1))
            fail(key, what + ": expected a value in [0, 1), found " + number(v));
    }
    void positive(const std::string& key, const std::string& what, int64_t v)
    {
        if (v <= 0)
            fail(key, what + ": expected a positive integer, found " + number(v));
    }
    // 0 switches the feature off or means "all"; `zero` says which.
    void countOrZero(const std::string& key, const std::string& what, int64_t v, const std::string& zero)
    {
        if (v < 0)
            fail(key, what + ": expected 0 (" + zero + ") or a positive integer, found " + number(v));
    }
    void oneOf(const std::string& key, const std::string& what, const std::string& v,
               std::initializer_list<const char*> options)
    {
        if (std::none_of(options.begin(), options.end(), [&](const char* o) { return v == o; }))
            fail(key, what + ": expected " + alternatives(options) + ", found " + quoted(v));
    }

    std::vector<ConfigProblem> take() { return std::move(m_out); }

private:
    static constexpr double kInf = std::numeric_limits<double>::infinity();
    std::vector<ConfigProblem> m_out;
};

void checkData(Checker& c, const DataConfig& d)
{
    if (d.train.empty())
        c.fail("data.train", "Training data: give at least one training file");
    auto paths = [&](const std::vector<DataFile>& files, const std::string& key, const std::string& what) {
        for (size_t i = 0; i < files.size(); ++i)
            if (files[i].path.empty())
                c.fail(key + "[" + std::to_string(i) + "]", what + " " + std::to_string(i + 1) + " has no path");
    };
    paths(d.train, "data.train", "Training file");
    paths(d.validation, "data.validation", "Validation file");
    c.unitOpen("data.validation_fraction", "Validation fraction", d.validationFraction);
    c.oneOf("data.template", "Prompt template", d.templateName, {"alpaca", "chatml", "plain"});
    if (d.maxLength < 2)
        c.fail("data.max_length", "Max length: expected at least 2 tokens, found " + number(d.maxLength));
    c.oneOf("data.mixing", "Mixing", d.mixing, {"natural", "proportions", "equal", "temperature"});
    if (d.mixing == "temperature")
        c.positive("data.temperature", "Mixing temperature", d.temperature);
    for (const auto& [task, share] : d.proportions)
        c.nonNegative("data.proportions." + task, "Mixing proportion of " + quoted(task), share);
    c.countOrZero("data.total", "Mixed examples", d.total, "as many as there are");
}

void checkMethod(Checker& c, const peft::MethodConfig& m)
{
    const auto& s = m.selective;
    if (m.method == peft::Method::Selective && !s.biases && !s.norms && !s.embeddings && !s.head &&
        s.layers.empty() && s.patterns.empty())
        c.fail("method.selective", "Selective tuning selects nothing: tick biases, norms, embeddings or the head, "
                                   "or give layers or patterns");
    for (const auto& [first, last] : s.layers)
        if (first < 0 || last < first)
            c.fail("method.selective.layers", "Selective layers: expected ranges first-last with 0 ≤ first ≤ last, "
                                              "found " + number(first) + "-" + number(last));
    for (const auto& p : s.patterns) {
        try {
            std::regex re(p);
        } catch (const std::regex_error&) {
            c.fail("method.selective.patterns",
                   "Selective pattern " + quoted(p) + " is not a valid regular expression");
        }
    }

    c.positive("method.lora.rank", "LoRA rank", m.lora.rank);
    c.positive("method.lora.alpha", "LoRA alpha", m.lora.alpha);
    c.unitOpen("method.lora.dropout", "LoRA dropout", m.lora.dropout);

    c.positive("method.adapter.size", "Adapter size", m.adapter.size);
    c.oneOf("method.adapter.activation", "Adapter activation", m.adapter.activation, {"relu", "gelu", "silu", "tanh"});

    c.positive("method.prompt_tuning.num_virtual_tokens", "Virtual tokens", m.prompt.numVirtualTokens);
    c.oneOf("method.prompt_tuning.init", "Prompt initialisation", m.prompt.init, {"random", "vocab", "text"});
    if (m.prompt.init == "text" && m.prompt.text.empty())
        c.fail("method.prompt_tuning.text", "Prompt text: initialisation \"text\" needs a non-empty text");
}

void checkTraining(Checker& c, const TrainConfig& t)
{
    c.oneOf("training.optimizer", "Optimiser", t.optimizer, {"adamw", "sgd"});
    c.positive("training.learning_rate", "Learning rate", t.learningRate);
    c.nonNegative("training.weight_decay", "Weight decay", t.weightDecay);
    c.unitOpen("training.beta1", "AdamW beta1", t.beta1);
    c.unitOpen("training.beta2", "AdamW beta2", t.beta2);
    c.positive("training.eps", "AdamW epsilon", t.eps);
    c.unitOpen("training.momentum", "Momentum", t.momentum);
    c.oneOf("training.schedule", "Schedule", t.schedule, {"constant", "linear", "cosine"});
    if (!(t.minLrRatio >= 0 && t.minLrRatio <= 1))
        c.fail("training.min_lr_ratio", "Final LR ratio: expected a value in [0, 1], found " + number(t.minLrRatio));
    c.positive("training.max_steps", "Steps", t.maxSteps);
    c.positive("training.batch_size", "Batch size", t.batchSize);
    c.positive("training.grad_accumulation", "Gradient accumulation", t.gradAccumulation);
    if (t.warmupSteps < 0 || (t.maxSteps > 0 && t.warmupSteps > t.maxSteps))
        c.fail("training.warmup_steps", "Warm-up: expected 0 to " + number(t.maxSteps) +
                                            " steps (the length of the run), found " + number(t.warmupSteps));
    c.nonNegative("training.clip_norm", "Gradient clipping", t.clipNorm, " (0 = off)");
    c.countOrZero("training.eval_every", "Validate every", t.evalEvery, "only at the end");
    c.countOrZero("training.eval_batches", "Validation batches", t.evalBatches, "the whole validation set");
    c.countOrZero("training.early_stopping_patience", "Early stopping", t.earlyStoppingPatience, "off");
    c.countOrZero("training.checkpoint_every", "Checkpoint every", t.checkpointEvery, "only at the end");
    if (!isDevice(t.device))
        c.fail("training.device", "Device: expected cpu, cuda or cuda:N, found " + quoted(t.device));
    c.oneOf("training.precision", "Precision", t.precision, {"auto", "f32", "bf16"});
    c.oneOf("training.gradient_checkpointing", "Gradient checkpointing", t.gradientCheckpointing,
            {"auto", "true", "false"});
    c.positive("training.processes", "Processes", t.processes);
    c.countOrZero("training.threads", "Threads", t.threads, "the engine's default");
    c.countOrZero("training.sample_every", "Sample every", t.sampleEvery, "off");
    c.positive("training.sample_max_new_tokens", "Sample length", t.sampleMaxNewTokens);
}

} // namespace

std::vector<ConfigProblem> validate(const RunConfig& config)
{
    Checker c;
    if (config.model.empty())
        c.fail("model", "Base model: choose a Hugging Face model folder or a llama2.c .bin");
    checkData(c, config.data);
    checkMethod(c, config.method);
    checkTraining(c, config.training);
    return c.take();
}

} // namespace tb::train
