// Times the metric command on one JSONL file for the configurations that
// tests/fixtures/eval/make_reference.py's `bench` mode runs through sacreBLEU
// and rouge_score, and writes the same outputs for tests/bench/bench_metrics.sh
// to compare. Usage: tb_bench_metrics INPUT.jsonl OUTDIR [REPEATS [CONFIG [THREADS]]]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "common/error.h"
#include "eval/metric_command.h"

using namespace tb::eval;

int main(int argc, char** argv)
{
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s INPUT.jsonl OUTDIR [REPEATS [CONFIG [THREADS]]]\n", argv[0]);
        return 2;
    }
    const std::string input = argv[1];
    const std::string outDir = argv[2];
    const int repeats = argc > 3 ? std::max(1, std::atoi(argv[3])) : 3;
    const std::string only = argc > 4 ? argv[4] : "";
    const int threads = argc > 5 ? std::atoi(argv[5]) : 0; // 0 = one per core

    struct Config {
        const char* name;
        MetricKind metric;
        MetricLevel level;
        int wordOrder;
        bool stemmer;
    };
    const Config configs[] = {
        {"bleu_sentence", MetricKind::Bleu, MetricLevel::Sentence, 0, false},
        {"bleu_corpus", MetricKind::Bleu, MetricLevel::Corpus, 0, false},
        {"chrf_sentence", MetricKind::Chrf, MetricLevel::Sentence, 0, false},
        {"chrfpp_corpus", MetricKind::Chrf, MetricLevel::Corpus, 2, false},
        {"rouge_sentence", MetricKind::Rouge, MetricLevel::Sentence, 0, true},
        {"rouge_corpus", MetricKind::Rouge, MetricLevel::Corpus, 0, true},
    };
    try {
        for (const Config& c : configs) {
            if (!only.empty() && only != c.name)
                continue;
            MetricCommandOptions o;
            o.metric = c.metric;
            o.inputPath = input;
            o.level = c.level;
            o.wordOrder = c.wordOrder;
            o.stemmer = c.stemmer;
            o.threads = threads;
            double best = 1e300;
            std::string text;
            // Best of several runs: the machine is shared, the minimum is the least noisy.
            for (int r = 0; r < repeats; ++r) {
                std::ostringstream out;
                const auto start = std::chrono::steady_clock::now();
                runMetricCommand(o, out);
                const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
                best = std::min(best, s);
                text = out.str();
            }
            std::ofstream(outDir + "/" + c.name + ".jsonl", std::ios::binary) << text;
            std::printf("%s %.4f\n", c.name, best);
        }
    } catch (const tb::Error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
