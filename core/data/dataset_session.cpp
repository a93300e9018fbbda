#include "data/dataset_session.h"

#include "data/mixing.h"
#include "data/tokenized.h"

#include <algorithm>
#include <exception>
#include <set>

namespace tb::data {

const std::vector<std::string>& mappingTargets()
{
    // Names core's readers understand (ReadOptions::fieldMap targets).
    static const std::vector<std::string> targets = {"prompt", "response", "instruction", "input", "output",
                                                     "text",   "task",     "messages",    "completion"};
    return targets;
}

namespace {

bool isTarget(const std::string& name)
{
    const auto& targets = mappingTargets();
    return std::find(targets.begin(), targets.end(), name) != targets.end();
}

} // namespace

LoadedFiles readFiles(const std::vector<FileToRead>& toRead, const RunControl* control)
{
    auto files = std::make_shared<std::vector<LoadedFile>>();
    for (const FileToRead& f : toRead) {
        if (control && control->cancelled())
            return nullptr;
        LoadedFile file{f.path, {}};
        try {
            file.result = validateDataset(f.path, f.options);
        } catch (const std::exception& e) { // validate reports problems itself; this is the unforeseen
            file.result = {};
            file.result.issues.push_back({f.path, 0, {}, e.what()});
        }
        files->push_back(std::move(file));
    }
    return files;
}

LoadedFiles readFiles(const std::vector<std::string>& paths, const ReadOptions& options, const RunControl* control)
{
    std::vector<FileToRead> toRead;
    for (const std::string& path : paths)
        toRead.push_back({path, options});
    return readFiles(toRead, control);
}

std::optional<FileFormat> formatFromName(const std::string& name)
{
    for (FileFormat f : {FileFormat::Auto, FileFormat::Jsonl, FileFormat::JsonArray, FileFormat::Csv}) {
        if (formatName(f) == name)
            return f;
    }
    return std::nullopt;
}

TokenLengths measureTokenLengths(const std::vector<LoadedFile>& files, const tok::Tokenizer& tokenizer,
                                 TemplateKind kind, const RunControl* control)
{
    TokenizeOptions options;
    options.templateKind = kind;
    options.maxLength = 0; // whole lengths: the truncation point is drawn on them
    options.dropWithoutLoss = false;
    TokenLengths out;
    try {
        // BOS as tokenizeRecords decides it (data/tokenized.cpp), resolved
        // once here because records go one at a time, to check CONTROL.
        const auto bos = tokenizer.bosId();
        const auto probe = tokenizer.encode("a", true);
        options.addBos = bos && !probe.empty() && probe.front() == *bos;
        for (const LoadedFile& f : files) {
            for (const Record& r : f.result.records) {
                if (control && control->cancelled()) {
                    out.lengths.clear();
                    out.cancelled = true;
                    return out;
                }
                out.lengths.push_back(tokenizeRecord(r, tokenizer, options).ids.size());
            }
        }
    } catch (const std::exception& e) {
        out.lengths.clear();
        out.error = e.what();
    }
    return out;
}

LengthHistogram lengthHistogram(const std::vector<size_t>& lengths, size_t limit, size_t binCount)
{
    LengthHistogram h;
    h.truncated = size_t(std::count_if(lengths.begin(), lengths.end(), [&](size_t n) { return n > limit; }));
    if (lengths.empty())
        return h;
    // computeStats' bins (data/stats.h), from the lengths alone: it wants
    // whole examples, and building them would hold every token at once.
    binCount = std::max<size_t>(binCount, 1);
    const size_t longest = *std::max_element(lengths.begin(), lengths.end());
    h.binWidth = (longest + 1 + binCount - 1) / binCount;
    for (size_t b = 0; b < binCount; ++b)
        h.bins.push_back({b * h.binWidth, (b + 1) * h.binWidth, 0});
    h.truncatedInBin.assign(binCount, 0);
    for (size_t n : lengths) {
        const size_t b = std::min(n / h.binWidth, binCount - 1);
        ++h.bins[b].count;
        if (n > limit)
            ++h.truncatedInBin[b];
    }
    return h;
}

// --- Inputs ------------------------------------------------------------------

bool DatasetSession::addFiles(const std::vector<std::string>& paths)
{
    bool added = false;
    for (const std::string& path : paths) {
        if (path.empty() || std::find(m_paths.begin(), m_paths.end(), path) != m_paths.end())
            continue;
        m_paths.push_back(path);
        added = true;
    }
    return added;
}

bool DatasetSession::removeFile(const std::string& path)
{
    const auto it = std::find(m_paths.begin(), m_paths.end(), path);
    if (it == m_paths.end())
        return false;
    m_paths.erase(it);
    m_fileOptions.erase(path);
    return true;
}

void DatasetSession::clearFiles()
{
    m_paths.clear();
    m_fileOptions.clear();
}

void DatasetSession::setFileOptions(const std::string& path, const FileOptions& options)
{
    m_fileOptions[path] = options;
}

FileOptions DatasetSession::fileOptions(const std::string& path) const
{
    const auto it = m_fileOptions.find(path);
    return it == m_fileOptions.end() ? FileOptions{} : it->second;
}

std::string DatasetSession::fieldMapping(const std::string& sourceField) const
{
    const auto it = m_choice.find(sourceField);
    return it == m_choice.end() ? std::string() : it->second;
}

bool DatasetSession::setFieldMapping(const std::string& sourceField, const std::string& target)
{
    const auto it = m_choice.find(sourceField);
    if (it == m_choice.end() || it->second == target)
        return false;
    if (target != kIgnoreField && !isTarget(target))
        return false;
    it->second = target;
    return true;
}

std::map<std::string, std::string> DatasetSession::coreFieldMap() const
{
    std::map<std::string, std::string> map;
    for (const auto& [source, target] : m_choice) {
        if (target == source)
            continue;
        if (target == kIgnoreField && !isTarget(source))
            continue;
        map[source] = target;
    }
    return map;
}

void DatasetSession::setCoreFieldMap(const std::map<std::string, std::string>& map)
{
    m_choice.clear();
    for (const auto& [source, target] : map) {
        if (target == kIgnoreField || isTarget(target))
            m_choice[source] = target;
    }
    // The fields already seen keep a choice, as adopt() gives them.
    for (const std::string& name : m_sourceFields)
        m_choice.emplace(name, isTarget(name) ? name : kIgnoreField);
}

ReadOptions DatasetSession::readOptions() const
{
    ReadOptions options;
    options.fieldMap = coreFieldMap();
    return options;
}

std::vector<FileToRead> DatasetSession::filesToRead() const
{
    const ReadOptions shared = readOptions();
    std::vector<FileToRead> out;
    for (const std::string& path : m_paths) {
        FileToRead f{path, shared};
        const FileOptions own = fileOptions(path);
        f.options.format = own.format;
        f.options.task = own.task;
        out.push_back(std::move(f));
    }
    return out;
}

// --- Reading -------------------------------------------------------------------

void DatasetSession::reload() { adopt(readFiles(filesToRead())); }

bool DatasetSession::adopt(LoadedFiles loaded)
{
    if (!loaded || loaded->size() != m_paths.size())
        return false;
    for (size_t i = 0; i < m_paths.size(); ++i) {
        if ((*loaded)[i].path != m_paths[i])
            return false;
    }
    m_loaded = std::move(loaded);
    m_sourceFields.clear();
    for (const LoadedFile& f : *m_loaded) {
        for (const std::string& name : f.result.fields) {
            if (std::find(m_sourceFields.begin(), m_sourceFields.end(), name) == m_sourceFields.end())
                m_sourceFields.push_back(name);
        }
    }
    // Fields keep their choice; a new one starts as itself when the readers
    // know the name, else ignored (so an unknown column cannot decide the shape).
    for (const std::string& name : m_sourceFields)
        m_choice.emplace(name, isTarget(name) ? name : kIgnoreField);
    return true;
}

// --- What the panel shows -----------------------------------------------------

size_t DatasetSession::recordCount() const
{
    size_t n = 0;
    for (const LoadedFile& f : *m_loaded)
        n += f.result.records.size();
    return n;
}

std::vector<FileSummary> DatasetSession::fileSummaries() const
{
    std::vector<FileSummary> out;
    for (const LoadedFile& f : *m_loaded) {
        std::set<std::string> shapes;
        std::set<std::string> tasks;
        for (const Record& r : f.result.records) {
            shapes.insert(shapeName(r.shape));
            tasks.insert(r.task);
        }
        out.push_back({f.result.format, f.result.records.size(), f.result.issues.size(),
                       {shapes.begin(), shapes.end()}, {tasks.begin(), tasks.end()}});
    }
    return out;
}

std::vector<PreviewEntry> DatasetSession::previewEntries() const
{
    std::vector<PreviewEntry> out;
    for (size_t fi = 0; fi < m_loaded->size(); ++fi) {
        const ValidationResult& result = (*m_loaded)[fi].result;
        std::vector<PreviewEntry> entries;
        for (size_t i = 0; i < result.records.size(); ++i)
            entries.push_back({fi, result.lines[i], i, std::nullopt});
        // Lines that did not read are rows too, so a problem can be found in
        // place; one row per line, a record that read taking precedence.
        for (size_t k = 0; k < result.issues.size(); ++k) {
            const size_t line = result.issues[k].line;
            if (line == 0)
                continue;
            const bool taken = std::any_of(entries.begin(), entries.end(),
                                           [&](const PreviewEntry& e) { return e.line == line; });
            if (!taken)
                entries.push_back({fi, line, std::nullopt, k});
        }
        std::stable_sort(entries.begin(), entries.end(),
                         [](const PreviewEntry& a, const PreviewEntry& b) { return a.line < b.line; });
        out.insert(out.end(), entries.begin(), entries.end());
    }
    return out;
}

std::vector<Problem> DatasetSession::problems() const
{
    std::vector<Problem> out;
    for (size_t fi = 0; fi < m_loaded->size(); ++fi) {
        for (const ValidationIssue& issue : (*m_loaded)[fi].result.issues)
            out.push_back({fi, issue});
    }
    return out;
}

std::vector<TaskCount> DatasetSession::taskCounts() const
{
    std::vector<std::string> taskOfRecord;
    for (const LoadedFile& f : *m_loaded) {
        for (const Record& r : f.result.records)
            taskOfRecord.push_back(r.task);
    }
    std::vector<TaskCount> out;
    for (const auto& [task, n] : countTasks(taskOfRecord))
        out.push_back({task, n, double(n) / double(taskOfRecord.size())});
    return out;
}

const Record* DatasetSession::record(RecordRef ref) const
{
    if (ref.file >= m_loaded->size())
        return nullptr;
    const auto& records = (*m_loaded)[ref.file].result.records;
    return ref.record < records.size() ? &records[ref.record] : nullptr;
}

size_t DatasetSession::lineOf(RecordRef ref) const
{
    return record(ref) ? (*m_loaded)[ref.file].result.lines[ref.record] : 0;
}

std::optional<RecordRef> DatasetSession::firstRecord() const
{
    for (size_t fi = 0; fi < m_loaded->size(); ++fi) {
        if (!(*m_loaded)[fi].result.records.empty())
            return RecordRef{fi, 0};
    }
    return std::nullopt;
}

RenderedRecord DatasetSession::render(RecordRef ref) const
{
    RenderedRecord out;
    const Record* r = record(ref);
    if (!r) {
        out.error = "no such record";
        return out;
    }
    try {
        out.segments = renderRecord(*r, m_template);
    } catch (const std::exception& e) {
        out.error = e.what();
    }
    return out;
}

TokenLengths DatasetSession::tokenLengths(const tok::Tokenizer& tokenizer, const RunControl* control) const
{
    return measureTokenLengths(*m_loaded, tokenizer, m_template, control);
}

} // namespace tb::data
