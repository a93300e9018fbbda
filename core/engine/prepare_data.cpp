#include "engine/prepare_data.h"

#include "common/error.h"
#include "data/dataset.h"
#include "data/mixing.h"
#include "data/split.h"
#include "data/template.h"
#include "data/tokenized.h"
#include "tokenizer/tokenizer.h"

#include <algorithm>

namespace tb::engine {

using train::DataConfig;
using train::DataFile;
using train::RunConfig;
using train::Sequence;

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

std::vector<std::string> sortedTasks(const std::vector<data::Example>& examples)
{
    std::vector<std::string> tasks;
    for (const auto& e : examples)
        tasks.push_back(e.task);
    std::sort(tasks.begin(), tasks.end());
    tasks.erase(std::unique(tasks.begin(), tasks.end()), tasks.end());
    return tasks;
}

// Validation sequences, each labelled with its task's index in `tasks`.
// Unpacked: one example per sequence, in order. Packed with several tasks:
// each task packed on its own, so every row's loss belongs to one task.
std::vector<Sequence> toValidationSequences(const std::vector<data::Example>& examples, const DataConfig& d,
                                            const std::vector<std::string>& tasks, size_t& truncated)
{
    const auto taskIndex = [&](const std::string& task) {
        return static_cast<int>(std::lower_bound(tasks.begin(), tasks.end(), task) - tasks.begin());
    };
    if (!d.packing || tasks.size() < 2) {
        auto out = toTrainSequences(examples, d, truncated);
        for (size_t i = 0; !d.packing && i < out.size(); ++i)
            out[i].task = taskIndex(examples[i].task);
        return out;
    }
    std::vector<Sequence> out;
    for (const auto& task : tasks) {
        std::vector<data::Example> group;
        for (const auto& e : examples)
            if (e.task == task)
                group.push_back(e);
        for (auto& s : toTrainSequences(group, d, truncated)) {
            s.task = taskIndex(task);
            out.push_back(std::move(s));
        }
    }
    return out;
}

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
    out.validationTasks = sortedTasks(validation);
    out.validation = toValidationSequences(validation, d, out.validationTasks, out.summary.truncated);
    out.summary.trainExamples = out.train.size();
    out.summary.validationExamples = out.validation.size();
    for (const auto& s : out.train)
        out.summary.trainTokens += static_cast<int64_t>(s.ids.size());
    return out;
}

} // namespace tb::engine
