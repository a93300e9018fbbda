#include "engine/general_ability.h"

#include "common/error.h"
#include "engine/evaluation.h"
#include "eval/suite_spec.h"
#include "io/atomic_file.h"
#include "store/run_store.h"
#include "train/run_config.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace tb::engine {

namespace {

namespace fs = std::filesystem;

// FNV-1a, 64 bits: names the folder of a text's suite.
std::string contentHash(const std::string& text)
{
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : text) {
        h ^= c;
        h *= 1099511628211ull;
    }
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

std::string trimmed(const std::string& s)
{
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string::npos)
        return {};
    return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

// Paragraphs: runs of lines separated by blank lines, lines joined by "\n".
std::vector<std::string> paragraphs(const std::string& text)
{
    std::vector<std::string> out;
    std::string current, line;
    std::istringstream in(text);
    auto flush = [&] {
        const std::string p = trimmed(current);
        if (!p.empty())
            out.push_back(p);
        current.clear();
    };
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (trimmed(line).empty())
            flush();
        else
            current += (current.empty() ? "" : "\n") + line;
    }
    flush();
    return out;
}

GeneralScore scoreOn(const ModelSpec& spec, const eval::SuiteSpec& suite, const GeneralOptions& o,
                     const std::string& which)
{
    EvalOptions e;
    e.dbPath = o.dbPath;
    e.batchSize = o.batchSize;
    e.threads = o.threads;
    e.control = o.control;
    if (o.progress)
        e.progress = [&](const std::string&, int64_t done, int64_t total) { o.progress(which, done, total); };
    const auto result = evaluate(spec, suite, e);
    GeneralScore s;
    const auto& task = result.tasks.at(0);
    s.nll = task.metrics.at("nll");
    s.perplexity = task.metrics.at("perplexity");
    s.taskEvaluation = task.taskEvaluation;
    return s;
}

} // namespace

std::string defaultGeneralTextPath()
{
    std::vector<std::string> candidates;
    if (const char* env = std::getenv("TUNEBENCH_GENERAL_TEXT"))
        candidates.emplace_back(env);
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec)
        candidates.push_back(
            (exe.parent_path().parent_path() / "share" / "tunebench" / "general" / "general_text.txt").string());
#ifdef TB_GENERAL_TEXT_SOURCE
    candidates.emplace_back(TB_GENERAL_TEXT_SOURCE);
#endif
    std::string tried;
    for (const auto& c : candidates) {
        if (fs::is_regular_file(c, ec))
            return c;
        tried += (tried.empty() ? "" : ", ") + c;
    }
    throw Error("the general text sample is not installed (tried " + tried
                + "); name a text file instead (--text FILE)");
}

std::string generalSuiteFolder(const std::string& dbPath)
{
    const fs::path db = fs::absolute(dbPath);
    return (db.parent_path() / "general").string();
}

std::string writeGeneralSuite(const std::string& textFile, const std::string& folder)
{
    std::error_code ec;
    if (!fs::is_regular_file(textFile, ec))
        throw Error(textFile + ": no such text file");
    std::ifstream in(textFile, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    if (!in && !in.eof())
        throw Error(textFile + ": cannot read the file");
    const std::string text = buffer.str();
    const auto parts = paragraphs(text);
    if (parts.empty())
        throw Error(textFile + ": no text to score (the file is empty or blank)");

    const fs::path dir = fs::path(folder) / contentHash(text);
    fs::create_directories(dir, ec);
    if (ec)
        throw Error(dir.string() + ": cannot create the folder: " + ec.message());
    std::string lines;
    for (const auto& p : parts)
        lines += nlohmann::json({{"text", p}}).dump() + "\n";
    io::writeFileAtomic((dir / "general_text.jsonl").string(), lines);
    const nlohmann::json suite = {
        {"name", kGeneralSuite},
        {"description", "General text sample (" + fs::absolute(textFile).string() + "): loss and perplexity"},
        {"tasks", nlohmann::json::array({{{"name", kGeneralTask}, {"type", "perplexity"},
                                          {"data", "general_text.jsonl"}}})}};
    const std::string suitePath = (dir / "general.json").string();
    io::writeFileAtomic(suitePath, suite.dump(2) + "\n");
    return suitePath;
}

GeneralAbility checkGeneralAbility(int64_t run, const GeneralOptions& options)
{
    if (options.dbPath.empty())
        throw Error("general ability: a run store is needed (the run is read from it)");
    GeneralAbility out;
    out.textFile = options.textFile.empty() ? defaultGeneralTextPath() : options.textFile;
    out.suitePath = writeGeneralSuite(out.textFile, generalSuiteFolder(options.dbPath));
    const auto suite = eval::readSuite(out.suitePath);

    train::RunConfig config;
    {
        const store::RunStore store(options.dbPath);
        const auto r = store.findRun(run);
        if (!r)
            throw Error(options.dbPath + ": no run with id " + std::to_string(run));
        config = train::parseRunConfig(nlohmann::json::parse(r->configJson), "run " + std::to_string(run) + " configuration");
    }
    out.baseModel = config.model;
    ModelSpec base;
    base.model = config.model;
    base.tokenizer = config.tokenizer;
    out.base = scoreOn(base, suite, options, "base");
    ModelSpec tuned;
    tuned.run = run;
    out.run = scoreOn(tuned, suite, options, "run");
    return out;
}

} // namespace tb::engine
