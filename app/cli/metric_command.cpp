// metric: BLEU, chrF/chrF++ and ROUGE over a JSONL file, as sacreBLEU and rouge_score compute them.
#include "cli/commands.h"
#include "eval/metric_command.h"

#include <CLI/CLI.hpp>

#include <iostream>

namespace tb::cli {

void addMetricCommand(CLI::App& app, std::vector<std::pair<CLI::App*, Runner>>& commands)
{
    struct Args {
        std::string metric, input, level = "corpus", tokenize = "13a";
        bool lowercase = false, stemmer = false;
        int wordOrder = 0;
        int threads = 0;
    };
    auto args = std::make_shared<Args>();
    auto* cmd = app.add_subcommand("metric", "BLEU, chrF or ROUGE of hypotheses against references (JSONL lines "
                                             "{\"id\", \"hyp\", \"refs\": [...]})");
    cmd->add_option("kind", args->metric, "bleu, chrf or rouge")->required()->check(CLI::IsMember({"bleu", "chrf", "rouge"}));
    cmd->add_option("--input", args->input, "JSONL file")->required();
    cmd->add_option("--level", args->level, "sentence or corpus")->capture_default_str()
        ->check(CLI::IsMember({"sentence", "corpus"}));
    cmd->add_option("--tokenize", args->tokenize, "BLEU tokenizer: 13a, none, intl, char")->capture_default_str()
        ->check(CLI::IsMember({"13a", "none", "intl", "char"}));
    cmd->add_flag("--lowercase", args->lowercase, "BLEU/chrF: compare lower-cased text");
    cmd->add_option("--word-order", args->wordOrder, "chrF word n-gram order (2 = chrF++)")->capture_default_str()
        ->check(CLI::Range(0, 4));
    cmd->add_flag("--stemmer", args->stemmer, "ROUGE: Porter stemmer, as rouge_score's use_stemmer");
    cmd->add_option("--threads", args->threads, "lines scored in parallel (0 = one per core); scores do not depend on it")
        ->capture_default_str()->check(CLI::Range(0, 256));
    commands.emplace_back(cmd, [args] {
        eval::MetricCommandOptions o;
        o.metric = eval::parseMetricKind(args->metric);
        o.inputPath = args->input;
        o.level = eval::parseMetricLevel(args->level);
        o.tokenize = eval::parseBleuTokenize(args->tokenize);
        o.lowercase = args->lowercase;
        o.wordOrder = args->wordOrder;
        o.stemmer = args->stemmer;
        o.threads = args->threads;
        eval::runMetricCommand(o, std::cout);
    });
}

} // namespace tb::cli
