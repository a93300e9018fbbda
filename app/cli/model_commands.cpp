// info, tokenize, forward, generate: the model and tokenizer commands.
#include "cli/commands.h"
#include "cli/json_lines.h"
#include "common/error.h"
#include "model/language_model.h"
#include "tokenizer/tokenizer.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>
#include <memory>

namespace fs = std::filesystem;
using nlohmann::json;

namespace tb::cli {

namespace {

void printJson(const json& j) { std::cout << j.dump() << '\n' << std::flush; }

// A tokenizer named on the command line, else one inside (or beside) the model.
std::unique_ptr<tok::Tokenizer> findTokenizer(const std::string& explicitPath, const std::string& modelPath)
{
    if (!explicitPath.empty())
        return tok::loadTokenizer(explicitPath);
    const fs::path model(modelPath);
    const fs::path folder = fs::is_directory(model) ? model : model.parent_path();
    if (!folder.empty() && tok::hasTokenizer(folder.string()))
        return tok::loadTokenizer(folder.string());
    return nullptr;
}

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
struct TokenizeArgs {
    std::string tokenizer, text, input;
    bool noSpecial = false;
    bool textGiven = false;
};
struct ForwardArgs {
    std::string model, ids, device = "cpu";
};
struct GenerateArgs {
    std::string model, tokenizer, promptIds, device = "cpu";
    std::vector<std::string> prompts, stops;
    model::GenerationOptions gen;
    bool noEos = false;
};

} // namespace

void addModelCommands(CLI::App& app, std::vector<std::pair<CLI::App*, Runner>>& commands)
{
    {
        auto args = std::make_shared<InfoArgs>();
        auto* cmd = app.add_subcommand("info", "Family, parameter count, vocabulary, context length and dtype of a model");
        cmd->add_option("--model", args->model, "Hugging Face folder or llama2.c .bin file")->required();
        cmd->add_option("--device", args->device, "cpu or cuda")->capture_default_str();
        commands.emplace_back(cmd, [args] {
            auto lm = model::LanguageModel::load(args->model, {args->device});
            printJson(infoJson(lm->info()));
        });
    }
    {
        auto args = std::make_shared<TokenizeArgs>();
        auto* cmd = app.add_subcommand("tokenize", "Token ids of a text, or of each line of a JSONL file");
        cmd->add_option("--tokenizer", args->tokenizer, "tokenizer file or a folder holding one")->required();
        auto* text = cmd->add_option("--text", args->text, "text to encode");
        auto* input = cmd->add_option("--input", args->input, "JSONL file of {\"id\": ..., \"text\": ...} lines");
        text->excludes(input);
        cmd->add_flag("--no-special-tokens", args->noSpecial, "do not add BOS/EOS or template tokens");
        commands.emplace_back(cmd, [args, text] {
            auto tokenizer = tok::loadTokenizer(args->tokenizer);
            if (args->input.empty()) {
                if (text->count() == 0)
                    throw Error("tokenize: give --text TEXT or --input FILE.jsonl");
                printJson({{"ids", tokenizer->encode(args->text, !args->noSpecial)}});
                return;
            }
            forEachJsonLine(args->input, [&](const json& rec, size_t line) {
                auto t = rec.find("text");
                if (t == rec.end() || !t->is_string())
                    throw Error(args->input + ":" + std::to_string(line) + ": field 'text': expected a string, found " +
                                (t == rec.end() ? std::string("nothing") : t->dump()));
                json out = {{"id", rec.contains("id") ? rec["id"] : json(line)},
                            {"ids", tokenizer->encode(t->get<std::string>(), !args->noSpecial)}};
                printJson(out);
            });
        });
    }
    {
        auto args = std::make_shared<ForwardArgs>();
        auto* cmd = app.add_subcommand("forward", "Logits at the last position and the arg-max at every position");
        cmd->add_option("--model", args->model, "Hugging Face folder or llama2.c .bin file")->required();
        cmd->add_option("--ids", args->ids, "comma-separated token ids, e.g. 5,17,42")->required();
        cmd->add_option("--device", args->device, "cpu or cuda")->capture_default_str();
        commands.emplace_back(cmd, [args] {
            const auto ids = parseIdList(args->ids, "--ids");
            auto lm = model::LanguageModel::load(args->model, {args->device});
            const auto rows = lm->logits(ids);
            std::vector<int64_t> argmax;
            for (const auto& row : rows)
                argmax.push_back(std::max_element(row.begin(), row.end()) - row.begin());
            printJson({{"logits_last", rows.back()}, {"argmax", argmax}});
        });
    }
    {
        auto args = std::make_shared<GenerateArgs>();
        auto* cmd = app.add_subcommand("generate", "Continue prompts (greedy, or sampled with temperature/top-k/top-p)");
        cmd->add_option("--model", args->model, "Hugging Face folder or llama2.c .bin file")->required();
        cmd->add_option("--tokenizer", args->tokenizer, "tokenizer (default: the one in the model folder)");
        auto* prompt = cmd->add_option("--prompt", args->prompts, "prompt text; repeat for a batch (one JSON line each)");
        auto* promptIds = cmd->add_option("--prompt-ids", args->promptIds, "prompt as comma-separated token ids");
        prompt->excludes(promptIds);
        cmd->add_option("--max-new-tokens", args->gen.maxNewTokens, "tokens to generate at most")
            ->capture_default_str()->check(CLI::NonNegativeNumber);
        cmd->add_option("--temperature", args->gen.temperature, "0 = greedy")->capture_default_str()
            ->check(CLI::NonNegativeNumber);
        cmd->add_option("--top-k", args->gen.topK, "keep the K most likely tokens (0 = all)")->capture_default_str()
            ->check(CLI::NonNegativeNumber);
        cmd->add_option("--top-p", args->gen.topP, "nucleus sampling mass (1 = off)")->capture_default_str()
            ->check(CLI::Range(0.0, 1.0));
        cmd->add_option("--seed", args->gen.seed, "random seed for sampling")->capture_default_str();
        cmd->add_option("--stop", args->stops, "stop when the output contains this string (repeatable)");
        cmd->add_flag("--ignore-eos", args->noEos, "keep generating after the end-of-sequence token");
        cmd->add_option("--device", args->device, "cpu or cuda")->capture_default_str();
        commands.emplace_back(cmd, [args] {
            auto lm = model::LanguageModel::load(args->model, {args->device});
            auto tokenizer = findTokenizer(args->tokenizer, args->model);
            std::vector<std::vector<int64_t>> prompts;
            if (!args->promptIds.empty()) {
                prompts.push_back(parseIdList(args->promptIds, "--prompt-ids"));
            } else if (!args->prompts.empty()) {
                if (!tokenizer)
                    throw Error("generate: --prompt needs a tokenizer: none found in '" + args->model +
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
            const auto results = lm->generate(prompts, args->gen, tokenizer.get());
            for (const auto& r : results) {
                json out = {{"ids", r.ids}, {"stop_reason", r.stopReason}};
                if (tokenizer)
                    out["text"] = r.text;
                printJson(out);
            }
        });
    }
}

} // namespace tb::cli
