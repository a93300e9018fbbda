// tokenize: token ids of a text or of each line of a JSONL file (torch-free).
#include "cli/commands.h"
#include "cli/json_lines.h"
#include "common/error.h"
#include "tokenizer/tokenizer.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

using nlohmann::json;

namespace tb::cli {

namespace {

struct TokenizeArgs {
    std::string tokenizer, text, input;
    bool noSpecial = false;
};

} // namespace

void addTokenizeCommand(CLI::App& app, Commands& commands)
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
            printJsonLine({{"ids", tokenizer->encode(args->text, !args->noSpecial)}});
            return;
        }
        forEachJsonLine(args->input, [&](const json& rec, size_t line) {
            auto t = rec.find("text");
            if (t == rec.end() || !t->is_string())
                throw Error(args->input + ":" + std::to_string(line) + ": field 'text': expected a string, found " +
                            (t == rec.end() ? std::string("nothing") : t->dump()));
            json out = {{"id", rec.contains("id") ? rec["id"] : json(line)},
                        {"ids", tokenizer->encode(t->get<std::string>(), !args->noSpecial)}};
            printJsonLine(out);
        });
    });
}

} // namespace tb::cli
