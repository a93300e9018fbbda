// info, forward, generate: the model commands (tokenize: tokenize_command.cpp).
#include "cli/commands.h"
#include "cli/json_lines.h"
#include "common/error.h"
#include "engine/model_loader.h"
#include "model/generation.h"
#include "model/language_model.h"
#include "store/run_store.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>
#include <memory>

using nlohmann::json;

namespace tb::cli {

namespace {

json infoJson(const model::ModelInfo& i)
{
    return {{"path", i.path},
            {"family", i.family},
            {"model_type", i.modelType},
            {"parameters", i.parameters},
            {"vocab_size", i.vocabSize},
            {"context_length", i.contextLength},
            {"dtype", i.dtype},
            {"layers", i.layers},
            {"hidden_size", i.hiddenSize},
            {"heads", i.heads},
            {"kv_heads", i.kvHeads},
            {"tied_embeddings", i.tiedEmbeddings}};
}

struct InfoArgs {
    std::string model, device = "cpu";
};
// What forward and generate run: a model alone, a model with a PEFT adapter
// folder (Tunebench's or Hugging Face PEFT's), or a stored run.
struct ModelChoice {
    engine::ModelSpec spec;
    std::string db = store::defaultStorePath();
};

void addModelChoice(CLI::App* cmd, ModelChoice& c)
{
    cmd->add_option("--model", c.spec.model, "Hugging Face folder or llama2.c .bin file (with --run: default its base)");
    auto* adapter = cmd->add_option("--adapter", c.spec.adapterDir, "a PEFT adapter folder applied to --model");
    auto* run = cmd->add_option("--run", c.spec.run, "a run in the store: what it saved, on its base model");
    adapter->excludes(run);
    cmd->add_option("--db", c.db, "run store for --run (SQLite)")->capture_default_str();
    cmd->add_option("--device", c.spec.device, "cpu or cuda")->capture_default_str();
}

engine::LoadedModel loadChoice(const ModelChoice& c, const std::string& command)
{
    if (c.spec.model.empty() && c.spec.run == 0)
        throw Error(command + ": give --model PATH (optionally with --adapter DIR) or --run ID");
    return engine::loadModel(c.spec, c.db, nullptr, engine::TokenizerNeed::Optional);
}

struct ForwardArgs {
    ModelChoice model;
    std::string ids;
};
struct GenerateArgs {
    ModelChoice model;
    std::string tokenizer, promptIds;
    std::vector<std::string> prompts, stops;
    model::GenerationOptions gen;
    bool noEos = false;
};

} // namespace

void addModelCommands(CLI::App& app, Commands& commands)
{
    {
        auto args = std::make_shared<InfoArgs>();
        auto* cmd = app.add_subcommand("info", "Family, parameter count, vocabulary, context length and dtype of a model");
        cmd->add_option("--model", args->model, "Hugging Face folder or llama2.c .bin file")->required();
        cmd->add_option("--device", args->device, "cpu or cuda")->capture_default_str();
        commands.emplace_back(cmd, [args] {
            auto lm = model::LanguageModel::load(args->model, {args->device});
            printJsonLine(infoJson(lm->info()));
        });
    }
    addTokenizeCommand(app, commands);
    {
        auto args = std::make_shared<ForwardArgs>();
        auto* cmd = app.add_subcommand("forward", "Logits at the last position and the arg-max at every position");
        addModelChoice(cmd, args->model);
        cmd->add_option("--ids", args->ids, "comma-separated token ids, e.g. 5,17,42")->required();
        commands.emplace_back(cmd, [args] {
            const auto ids = parseIdList(args->ids, "--ids");
            auto loaded = loadChoice(args->model, "forward");
            const auto& config = loaded.lm->config();
            model::checkTokenIds(ids, config.vocabSize, "forward");
            const auto scoring = loaded.scoring();
            if (static_cast<int64_t>(ids.size()) + scoring.softPromptLength() > config.maxPositions)
                throw Error("forward: " + std::to_string(ids.size()) + " tokens exceed the model's context of " +
                            std::to_string(config.maxPositions - scoring.softPromptLength()));
            torch::NoGradGuard noGrad;
            const auto input = torch::tensor(ids, torch::kLong).unsqueeze(0).to(scoring.device());
            const auto logits = scoring.forward(input)[0].to(torch::kCPU, torch::kFloat32).contiguous();
            const auto last = logits[logits.size(0) - 1];
            const std::vector<float> lastRow(last.data_ptr<float>(), last.data_ptr<float>() + last.numel());
            const auto argmaxTensor = logits.argmax(-1);
            const std::vector<int64_t> argmax(argmaxTensor.data_ptr<int64_t>(),
                                              argmaxTensor.data_ptr<int64_t>() + argmaxTensor.numel());
            printJsonLine({{"logits_last", lastRow}, {"argmax", argmax}});
        });
    }
    {
        auto args = std::make_shared<GenerateArgs>();
        auto* cmd = app.add_subcommand("generate", "Continue prompts (greedy, or sampled with temperature/top-k/top-p)");
        addModelChoice(cmd, args->model);
        cmd->add_option("--tokenizer", args->tokenizer, "tokenizer (default: the one in the model folder)");
        auto* prompt = cmd->add_option("--prompt", args->prompts, "prompt text; repeat for a batch (one JSON line each)");
        auto* promptIds = cmd->add_option("--prompt-ids", args->promptIds, "prompt as comma-separated token ids");
        prompt->excludes(promptIds);
        cmd->add_option("--max-new-tokens", args->gen.maxNewTokens, "tokens to generate at most")
            ->capture_default_str()->check(CLI::NonNegativeNumber);
        // The range (0 or at least 1e-4, finite) is model::generate's to check, with a message that says so.
        cmd->add_option("--temperature", args->gen.temperature, "0 = greedy")->capture_default_str();
        cmd->add_option("--top-k", args->gen.topK, "keep the K most likely tokens (0 = all)")->capture_default_str()
            ->check(CLI::NonNegativeNumber);
        cmd->add_option("--top-p", args->gen.topP, "nucleus sampling mass (1 = off, 0 = only the most likely token)")->capture_default_str()
            ->check(CLI::Range(0.0, 1.0));
        cmd->add_option("--seed", args->gen.seed, "random seed for sampling")->capture_default_str();
        cmd->add_option("--stop", args->stops, "stop when the output contains this string (repeatable)");
        cmd->add_flag("--ignore-eos", args->noEos, "keep generating after the end-of-sequence token");
        commands.emplace_back(cmd, [args] {
            args->model.spec.tokenizer = args->tokenizer;
            auto loaded = loadChoice(args->model, "generate");
            const tok::Tokenizer* tokenizer = loaded.tokenizer.get();
            std::vector<std::vector<int64_t>> prompts;
            if (!args->promptIds.empty()) {
                prompts.push_back(parseIdList(args->promptIds, "--prompt-ids"));
            } else if (!args->prompts.empty()) {
                if (!tokenizer)
                    throw Error("generate: --prompt needs a tokenizer: none found beside '" + loaded.baseModel +
                                "'; pass --tokenizer PATH or use --prompt-ids");
                for (const auto& p : args->prompts)
                    prompts.push_back(tokenizer->encode(p, true));
            } else {
                throw Error("generate: give --prompt TEXT or --prompt-ids 1,2,3");
            }
            args->gen.stopStrings = args->stops;
            args->gen.stopAtEos = !args->noEos;
            if (!args->stops.empty() && !tokenizer)
                throw Error("generate: --stop needs a tokenizer (pass --tokenizer PATH)");
            const auto results = loaded.scoring().generate(prompts, args->gen);
            for (const auto& r : results) {
                json out = {{"ids", r.ids}, {"stop_reason", r.stopReason}};
                if (tokenizer)
                    out["text"] = r.text;
                printJsonLine(out);
            }
        });
    }
}

} // namespace tb::cli
