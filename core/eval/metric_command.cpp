#include "eval/metric_command.h"

#include <algorithm>
#include <charconv>
#include <exception>
#include <set>
#include <thread>
#include <cmath>
#include <fstream>
#include <string_view>
#include <ostream>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/parallel.h"
#include "eval/chrf.h"
#include "eval/rouge.h"

namespace tb::eval {

namespace {

using Json = nlohmann::ordered_json;

struct Segment {
    Json id;
    std::string hyp;
    std::vector<std::string> refs;
};

const char* typeName(const Json& v)
{
    return v.type_name();
}

size_t chunkCount(size_t n, int threads)
{
    return std::max<size_t>(1, std::min<size_t>(size_t(threads), n / 256 + 1));
}

template <class Fn>
void forChunks(size_t n, int threads, Fn fn)
{
    tb::forChunks(n, chunkCount(n, threads), fn);
}

int resolveThreads(int threads)
{
    if (threads > 0)
        return threads;
    return std::max(1, int(std::thread::hardware_concurrency()));
}

Segment parseSegment(const std::string& line, const std::string& where, size_t lineNo, MetricKind metric)
{
    Json j;
    try {
        j = Json::parse(line);
    } catch (const nlohmann::json::exception& e) {
        throw Error(where + ": not valid JSON (" + e.what() + ")");
    }
    if (!j.is_object())
        throw Error(where + ": expected a JSON object, found " + typeName(j));
    Segment s;
    s.id = j.contains("id") ? j["id"] : Json(lineNo);
    if (!j.contains("hyp"))
        throw Error(where + ": field 'hyp' is missing; expected the hypothesis string");
    if (!j["hyp"].is_string())
        throw Error(where + ": field 'hyp': expected a string, found " + typeName(j["hyp"]));
    s.hyp = j["hyp"].get<std::string>();
    if (j.contains("refs")) {
        const Json& refs = j["refs"];
        if (!refs.is_array())
            throw Error(where + ": field 'refs': expected an array of strings, found " + typeName(refs));
        if (refs.empty())
            throw Error(where + ": field 'refs': expected at least one reference, found an empty array");
        for (size_t i = 0; i < refs.size(); ++i) {
            if (!refs[i].is_string())
                throw Error(where + ": field 'refs[" + std::to_string(i) + "]': expected a string, found "
                            + typeName(refs[i]));
            s.refs.push_back(refs[i].get<std::string>());
        }
    } else if (metric == MetricKind::Rouge && j.contains("ref")) {
        if (!j["ref"].is_string())
            throw Error(where + ": field 'ref': expected a string, found " + typeName(j["ref"]));
        s.refs.push_back(j["ref"].get<std::string>());
    } else {
        throw Error(where + ": field 'refs' is missing; expected an array of reference strings"
                    + std::string(metric == MetricKind::Rouge ? " (or 'ref')" : ""));
    }
    return s;
}

std::vector<Segment> readSegments(const MetricCommandOptions& options, int threads)
{
    std::ifstream in(options.inputPath, std::ios::binary);
    if (!in)
        throw Error(options.inputPath + ": cannot open the metric input file");
    std::vector<std::string> lines;
    std::vector<size_t> lineNumbers;
    std::string line;
    size_t lineNo = 0;
    while (std::getline(in, line)) {
        ++lineNo;
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos)
            continue;
        lines.push_back(std::move(line));
        lineNumbers.push_back(lineNo);
    }
    if (lines.empty())
        throw Error(options.inputPath + ": no input lines; expected one JSON object per line");
    std::vector<Segment> segments(lines.size());
    forChunks(lines.size(), threads, [&](size_t begin, size_t end, size_t) {
        for (size_t i = begin; i < end; ++i)
            segments[i] = parseSegment(lines[i], options.inputPath + ":" + std::to_string(lineNumbers[i]),
                                       lineNumbers[i], options.metric);
    });
    return segments;
}

// Output lines are written by hand rather than through a JSON object: at
// sentence level that halves the command's run time. Numbers use the
// shortest round-trip form, as Python's json module prints them.
void putDouble(std::string& out, double v)
{
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    const std::string_view text(buf, size_t(r.ptr - buf));
    out += text;
    if (text.find_first_of(".eEn") == std::string_view::npos)
        out += ".0";
}

// Counts are whole numbers except under add-k smoothing; print them as such.
void putCount(std::string& out, double v)
{
    if (std::floor(v) == v && std::fabs(v) < 9007199254740992.0)
        out += std::to_string(static_cast<int64_t>(v));
    else
        putDouble(out, v);
}

void putString(std::string& out, const std::string& s)
{
    out += Json(s).dump();
}

template <class Put>
void putArray(std::string& out, const std::vector<double>& values, Put put)
{
    out += '[';
    for (size_t i = 0; i < values.size(); ++i) {
        if (i)
            out += ", ";
        put(out, values[i]);
    }
    out += ']';
}

void putBleu(std::string& out, const BleuScore& s)
{
    out += "\"bleu\": {\"score\": ";
    putDouble(out, s.score);
    out += ", \"bp\": ";
    putDouble(out, s.bp);
    out += ", \"sys_len\": " + std::to_string(s.sysLen) + ", \"ref_len\": " + std::to_string(s.refLen);
    out += ", \"precisions\": ";
    putArray(out, s.precisions, putDouble);
    out += ", \"counts\": ";
    putArray(out, s.counts, putCount);
    out += ", \"totals\": ";
    putArray(out, s.totals, putCount);
    out += ", \"signature\": ";
    putString(out, s.signature);
    out += '}';
}

void putChrf(std::string& out, const ChrfScore& s)
{
    out += "\"chrf\": {\"score\": ";
    putDouble(out, s.score);
    out += ", \"name\": ";
    putString(out, s.name);
    out += ", \"signature\": ";
    putString(out, s.signature);
    out += '}';
}

void putPrf(std::string& out, const char* name, const RougePrf& s)
{
    out += '"';
    out += name;
    out += "\": {\"precision\": ";
    putDouble(out, s.precision);
    out += ", \"recall\": ";
    putDouble(out, s.recall);
    out += ", \"fmeasure\": ";
    putDouble(out, s.fmeasure);
    out += '}';
}

void putRouge(std::string& out, const RougeScores& s)
{
    putPrf(out, "rouge1", s.rouge1);
    out += ", ";
    putPrf(out, "rouge2", s.rouge2);
    out += ", ";
    putPrf(out, "rougeL", s.rougeL);
    out += ", ";
    putPrf(out, "rougeLsum", s.rougeLsum);
}

} // namespace

void runMetricCommand(const MetricCommandOptions& options, std::ostream& out)
{
    const int threads = resolveThreads(options.threads);
    const std::vector<Segment> segments = readSegments(options, threads);
    const bool sentence = options.level == MetricLevel::Sentence;
    const size_t n = segments.size();
    const size_t chunks = chunkCount(n, threads);

    BleuOptions bleu = sentence ? BleuOptions::sentenceDefaults() : BleuOptions{};
    bleu.tokenize = options.tokenize;
    bleu.smooth = options.smooth;
    bleu.lowercase = options.lowercase;
    ChrfOptions chrf;
    chrf.wordOrder = options.wordOrder;
    chrf.lowercase = options.lowercase;
    RougeOptions rouge;
    rouge.useStemmer = options.stemmer;

    auto startLine = [](std::string& text, const Segment& s) {
        text += "{\"id\": ";
        text += s.id.dump();
        text += ", ";
    };
    // sacreBLEU's signature says "var" when lines have different numbers of references.
    std::set<size_t> refCounts;
    for (const auto& s : segments)
        refCounts.insert(s.refs.size());
    const std::string nrefs = refCounts.size() == 1 ? std::to_string(*refCounts.begin()) : "var";
    const std::string count = ", \"segments\": " + std::to_string(n);

    if (sentence) {
        std::vector<std::string> texts(chunks);
        forChunks(n, threads, [&](size_t begin, size_t end, size_t c) {
            std::string& text = texts[c];
            for (size_t i = begin; i < end; ++i) {
                const Segment& s = segments[i];
                startLine(text, s);
                switch (options.metric) {
                case MetricKind::Bleu:
                    putBleu(text, sentenceBleu(s.hyp, s.refs, bleu));
                    break;
                case MetricKind::Chrf:
                    putChrf(text, sentenceChrf(s.hyp, s.refs, chrf));
                    break;
                case MetricKind::Rouge:
                    putRouge(text, rougeScoreMulti(s.refs, s.hyp, rouge));
                    break;
                }
                text += "}\n";
            }
        });
        for (const auto& text : texts)
            out << text;
        return;
    }

    std::string line = "{";
    switch (options.metric) {
    case MetricKind::Bleu: {
        std::vector<BleuStats> sums(chunks);
        forChunks(n, threads, [&](size_t begin, size_t end, size_t c) {
            for (size_t i = begin; i < end; ++i)
                sums[c] += bleuSegmentStats(segments[i].hyp, segments[i].refs, bleu);
        });
        for (size_t c = 1; c < chunks; ++c)
            sums[0] += sums[c];
        putBleu(line, bleuFromStats(sums[0], bleu, nrefs));
        line += count;
        break;
    }
    case MetricKind::Chrf: {
        std::vector<ChrfStats> sums(chunks);
        forChunks(n, threads, [&](size_t begin, size_t end, size_t c) {
            for (size_t i = begin; i < end; ++i)
                sums[c] += chrfSegmentStats(segments[i].hyp, segments[i].refs, chrf);
        });
        for (size_t c = 1; c < chunks; ++c)
            sums[0] += sums[c];
        putChrf(line, chrfFromStats(sums[0], chrf, nrefs));
        line += count;
        break;
    }
    case MetricKind::Rouge: {
        // rouge_score's mean aggregation: a plain mean in input order.
        std::vector<RougeScores> all(n);
        forChunks(n, threads, [&](size_t begin, size_t end, size_t) {
            for (size_t i = begin; i < end; ++i)
                all[i] = rougeScoreMulti(segments[i].refs, segments[i].hyp, rouge);
        });
        putRouge(line, rougeMean(all));
        line += count + ", \"aggregate\": \"mean\"";
        break;
    }
    }
    line += "}\n";
    out << line;
}

MetricKind parseMetricKind(std::string_view name)
{
    if (name == "bleu")
        return MetricKind::Bleu;
    if (name == "chrf")
        return MetricKind::Chrf;
    if (name == "rouge")
        return MetricKind::Rouge;
    throw Error("metric: expected bleu, chrf or rouge, got '" + std::string(name) + "'");
}

MetricLevel parseMetricLevel(std::string_view name)
{
    if (name == "sentence")
        return MetricLevel::Sentence;
    if (name == "corpus")
        return MetricLevel::Corpus;
    throw Error("metric level: expected sentence or corpus, got '" + std::string(name) + "'");
}

} // namespace tb::eval
