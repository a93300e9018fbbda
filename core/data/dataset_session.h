#pragma once
// What the Dataset panel works on, without any widget: the imported files,
// the field mapping, the template and the max length, and everything shown
// from them (file summaries, preview rows, problems, tasks, a record in its
// template, token lengths and their histogram). Plain C++ so it can be tested
// headless and its slow parts (reading, tokenising) can run off the GUI thread.
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/run_control.h"
#include "data/dataset.h"
#include "data/stats.h"
#include "data/template.h"
#include "data/validate.h"
#include "tokenizer/tokenizer.h"

namespace tb::data {

// The value of a field mapping that hides the field (ReadOptions::fieldMap).
inline const std::string kIgnoreField = "ignore";
// The names a source field can be mapped to, in the order offered.
const std::vector<std::string>& mappingTargets();

struct LoadedFile {
    std::string path;
    ValidationResult result;
};

// Immutable once read, so a worker can hold it while the session reads again.
using LoadedFiles = std::shared_ptr<const std::vector<LoadedFile>>;

// One file to read, and how (its own format and task, the shared mapping).
struct FileToRead {
    std::string path;
    ReadOptions options;
};

// Reads and validates FILES in order; never throws (an unforeseen error
// becomes the file's only problem, on line 0). Returns null when CONTROL is
// cancelled part way.
LoadedFiles readFiles(const std::vector<FileToRead>& files, const RunControl* control = nullptr);
// The same with OPTIONS for every one of PATHS.
LoadedFiles readFiles(const std::vector<std::string>& paths, const ReadOptions& options,
                      const RunControl* control = nullptr);

// What a run configuration says of a file beside its path and mapping
// (train::DataFile's format and task); the default reads as the panel does.
struct FileOptions {
    FileFormat format = FileFormat::Auto;
    std::string task; // empty: the records' own task, else the file name
};

// "jsonl", "json", "csv" or "auto" (formatName's names); nullopt for another name.
std::optional<FileFormat> formatFromName(const std::string& name);

struct FileSummary {
    FileFormat format = FileFormat::Auto; // Auto: the format could not be told
    size_t records = 0;
    size_t problems = 0;
    std::vector<std::string> shapes; // shape names of its records, sorted, once each
    std::vector<std::string> tasks;  // tasks of its records, sorted, once each
};

// One row of the preview: a record that read, or a line that did not.
struct PreviewEntry {
    size_t file = 0;
    size_t line = 0;                // 1-based
    std::optional<size_t> record;   // index into the file's records
    std::optional<size_t> issue;    // index into the file's issues, when the line did not read
};

struct Problem {
    size_t file = 0;
    ValidationIssue issue;
};

struct TaskCount {
    std::string task;
    size_t records = 0;
    double share = 0; // of all records, 0..1
};

// A record rendered in a template; ERROR set instead when it cannot be
// (e.g. a multi-turn chat under Alpaca).
struct RenderedRecord {
    std::vector<Segment> segments;
    std::string error;
};

// Where a record is: its file and its index there.
struct RecordRef {
    size_t file = 0;
    size_t record = 0;
};

struct TokenLengths {
    std::vector<size_t> lengths; // one per record that read, in preview order
    std::string error;           // set (and no lengths) when a record could not be tokenised
    bool cancelled = false;
};

// Whole token lengths (BOS and EOS as the trainer adds them, no truncation)
// of every record of FILES under KIND. Slow: checks CONTROL between records.
TokenLengths measureTokenLengths(const std::vector<LoadedFile>& files, const tok::Tokenizer& tokenizer,
                                 TemplateKind kind, const RunControl* control = nullptr);

struct LengthHistogram {
    size_t binWidth = 0;                 // 0 when there are no lengths
    std::vector<HistogramBin> bins;      // all lengths
    std::vector<size_t> truncatedInBin;  // of each bin, those longer than the limit
    size_t truncated = 0;                // lengths longer than the limit
};

// BINCOUNT bins drawn as data::computeStats draws them (data/stats.h), each
// also counting the lengths past LIMIT, which training would cut.
LengthHistogram lengthHistogram(const std::vector<size_t>& lengths, size_t limit, size_t binCount);

class DatasetSession {
public:
    // --- Inputs. None of these reads: call reload() (or readFiles + adopt).

    // Adds the paths not already in the list; empty ones are skipped.
    // Returns whether any was added.
    bool addFiles(const std::vector<std::string>& paths);
    // Takes PATH off the list (and its file options); false when it is not there.
    bool removeFile(const std::string& path);
    void clearFiles();
    const std::vector<std::string>& files() const { return m_paths; }
    // Format and task for PATH, kept until the file leaves the list.
    void setFileOptions(const std::string& path, const FileOptions& options);
    FileOptions fileOptions(const std::string& path) const;

    // Source field names of the last read, files in order.
    const std::vector<std::string>& sourceFields() const { return m_sourceFields; }
    // A mappingTargets() name or kIgnoreField; empty for a field never seen.
    std::string fieldMapping(const std::string& sourceField) const;
    // False (and nothing changes) for a field never seen, an unknown target,
    // or the mapping it already has.
    bool setFieldMapping(const std::string& sourceField, const std::string& target);
    // The mapping in the readers' terms: a field mapped to itself needs no
    // entry; a field the readers would take by its own name but that is
    // ignored maps to "ignore".
    std::map<std::string, std::string> coreFieldMap() const;
    // Replaces every choice with MAP (coreFieldMap's terms, e.g. from a run
    // configuration), before or after the fields are seen: a field MAP does
    // not name takes its default when read. Entries with an unknown target
    // are dropped. coreFieldMap() then gives MAP back (less entries mapping
    // a field to itself or ignoring one the readers would not take anyway).
    void setCoreFieldMap(const std::map<std::string, std::string>& map);
    // The shared options (the mapping); filesToRead() adds each file's own.
    ReadOptions readOptions() const;
    std::vector<FileToRead> filesToRead() const;

    TemplateKind templateKind() const { return m_template; }
    void setTemplateKind(TemplateKind kind) { m_template = kind; }
    size_t maxLength() const { return m_maxLength; }
    void setMaxLength(size_t maxLength) { m_maxLength = maxLength; }

    // --- Reading.

    // readFiles(filesToRead()) then adopt(): the slow part.
    void reload();
    // Takes what readFiles gave for the current files. A result for another
    // list of files (they changed meanwhile) is refused: returns false.
    bool adopt(LoadedFiles loaded);
    const std::vector<LoadedFile>& loaded() const { return *m_loaded; }
    // For a worker that outlives the next reload.
    LoadedFiles loadedShared() const { return m_loaded; }

    // --- What the panel shows, from the last read.

    size_t recordCount() const;
    std::vector<FileSummary> fileSummaries() const;
    // Files in order; in each, records and lines that did not read by line.
    std::vector<PreviewEntry> previewEntries() const;
    std::vector<Problem> problems() const; // files in order, each in file order
    std::vector<TaskCount> taskCounts() const; // by task name
    const Record* record(RecordRef ref) const; // null when out of range
    size_t lineOf(RecordRef ref) const;
    std::optional<RecordRef> firstRecord() const;
    RenderedRecord render(RecordRef ref) const; // under templateKind()

    // measureTokenLengths on the last read, under templateKind().
    TokenLengths tokenLengths(const tok::Tokenizer& tokenizer, const RunControl* control = nullptr) const;

private:
    std::vector<std::string> m_paths;
    std::map<std::string, FileOptions> m_fileOptions;
    LoadedFiles m_loaded = std::make_shared<const std::vector<LoadedFile>>();
    std::vector<std::string> m_sourceFields;
    std::map<std::string, std::string> m_choice; // source field -> target or kIgnoreField
    TemplateKind m_template = TemplateKind::Alpaca;
    size_t m_maxLength = 512;
};

} // namespace tb::data
