#pragma once
// The Dataset panel: import files (dialog or drag-and-drop), page through
// their records, map source fields, see a record in the chosen template, the
// tasks, the token lengths against the truncation point, and every problem.
// What it ends with is a tb::train::DataConfig for the method panel, and a
// run configuration's data settings can be shown in it (setDataConfig).
// The work (reading, validating, tokenising) is data::DatasetSession's; the
// panel shows it. Reading the files and counting token lengths run on worker
// threads, one of each at a time: a newer request cancels the older, whose
// result is dropped by its generation.
#include <QStringList>
#include <QWidget>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/dataset_session.h"
#include "train/run_config.h"

class QBarSet;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QStackedWidget;
class QTabWidget;
class QTableView;
class QTableWidget;
class QTextEdit;
class QThreadPool;

namespace tb::ui {

class LengthHistogram;
class PreviewModel;

class DatasetPanel : public QWidget {
    Q_OBJECT
public:
    explicit DatasetPanel(QWidget* parent = nullptr);
    ~DatasetPanel() override;

    // Adds the files not already in the list and reads everything again (on
    // the worker: wait for readFinished() or !isBusy() to see the records).
    void addFiles(const QStringList& paths);
    // Takes PATH (as files() lists it) off the list and reads the rest again.
    void removeFile(const QString& path);
    void clearFiles();
    // A tokenizer file or a model/tokenizer folder; problems show in the panel.
    void setTokenizerPath(const QString& path);

    // The training files (each with the one field mapping of the panel, its
    // task and format), the template and the max length. Valid at once after
    // a change; a file's format is the one read from it once it has been read
    // ("auto" before), or, for a file that came from setDataConfig, what the
    // configuration said.
    train::DataConfig dataConfig() const;
    // Shows a run configuration's data settings: DATA.train's files (paths,
    // formats and tasks kept as given), their field mapping, the template and
    // the max length; the files are then read as after addFiles(). The panel
    // has one mapping for every file: the files' maps are joined, the first
    // file naming a source field deciding it. Emits no dataConfigChanged (the
    // panel only shows what the configuration already says), neither now nor
    // when the read finishes; dataConfig() then gives DATA's files, fields,
    // template and max length back.
    void setDataConfig(const train::DataConfig& data);

    // Files being read or token lengths being counted.
    bool isBusy() const { return m_reading || m_lengthsPending; }
    bool isReading() const { return m_reading; }
    // "Reading 3 files…" while reading; empty otherwise.
    QString busyText() const;

    // Source field -> "prompt", "response", ..., or "ignore" (empty: no such field).
    QString fieldMapping(const QString& sourceField) const;
    void setFieldMapping(const QString& sourceField, const QString& target);

    // For tests and the lead's integration.
    QStringList files() const;
    QStringList sourceFields() const;
    int recordCount() const;
    QTableWidget* fileTable() const { return m_fileTable; }
    QTableWidget* fieldTable() const { return m_fieldTable; }
    QComboBox* fieldCombo(const QString& sourceField) const;
    QTableView* previewView() const { return m_preview; }
    PreviewModel* previewModel() const { return m_model; }
    QComboBox* templateCombo() const { return m_template; }
    QString renderedText() const;
    QTextEdit* templateView() const { return m_rendered; }
    QTableWidget* taskTable() const { return m_taskTable; }
    QSpinBox* maxLengthSpin() const { return m_maxLength; }
    QBarSet* keptBars() const;
    QBarSet* truncatedBars() const;
    // Token lengths (BOS and EOS included, untruncated) of the records that read, in preview order;
    // empty while they are being counted (lengthsPending()).
    const std::vector<size_t>& tokenLengths() const { return m_lengths; }
    bool lengthsPending() const { return m_lengthsPending; }
    size_t binWidth() const { return m_histogramData.binWidth; }
    int truncatedCount() const { return int(m_histogramData.truncated); }
    QTableWidget* issueTable() const { return m_issueTable; }
    // "No problems found…" when the files read without one; empty otherwise.
    QString problemsNote() const;
    QTabWidget* tabs() const { return m_tabs; }
    LengthHistogram* histogram() const { return m_histogram; }
    QString message() const;
    // The file whose rows the preview shows (selected in the file table); empty: every file.
    QString shownFile() const { return QString::fromStdString(m_filterPath); }
    // Selects PATH in the file table (empty: clears the selection, every file shown).
    void showFile(const QString& path);
    // Source fields of the shown files that are empty in every shown record, so their column is hidden.
    QStringList hiddenFields() const { return m_hiddenFields; }
    // True while there are no files: the guidance line stands in for the tables.
    bool showsEmptyState() const;
    const data::DatasetSession& session() const { return m_session; }

Q_SIGNALS:
    // dataConfig() changed: at once when the user changes the files, the
    // mapping, the template or the max length, and again when a read tells
    // the format of a file added here.
    void dataConfigChanged();
    // A read's result is shown (files, preview, problems, tasks).
    void readFinished();
    // New token lengths are shown (counted, or cleared).
    void tokenLengthsChanged();

public Q_SLOTS:
    void chooseFiles();
    // Removes the files selected in the file table (its context menu and the Delete key).
    void removeSelectedFiles();
    void chooseTokenizer();
    void nextPage();
    void previousPage();
    // Shows the record behind row ROW of the problem list in the preview.
    void jumpToIssue(int row);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dragMoveEvent(QDragMoveEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    // Starts reading the files on the worker (at once when there are none).
    void reload();
    void takeRead(quint64 generation, data::LoadedFiles loaded);
    void filesChanged();
    void noteDataChanged();
    void rebuildFieldTable();
    void refreshFiles();
    void takeFileSelection();
    void refreshPreview();
    void hideEmptyColumns(std::optional<size_t> shownFile);
    void refreshTasks();
    void refreshIssues();
    void refreshTemplate();
    void measureLengths();
    void takeLengths(quint64 generation, data::TokenLengths result);
    void refreshHistogram();
    void updatePageControls();
    void showMessage(const QString& text);
    std::optional<data::RecordRef> currentRecord(QString* where) const;
    QString fileName(size_t file) const;
    std::optional<size_t> loadedIndex(const std::string& path) const;

    data::DatasetSession m_session;
    // Formats as a run configuration gave them (setDataConfig), by path.
    std::map<std::string, std::string> m_configuredFormats;
    // What dataConfigChanged last announced (or setDataConfig showed).
    train::DataConfig m_announced;
    std::string m_filterPath; // the file the preview shows; empty: all
    QStringList m_hiddenFields;
    QStringList m_shownFields; // the fields the mapping table has rows for
    // Shared with the worker counting token lengths, which may outlive a change of tokenizer.
    std::shared_ptr<const tok::Tokenizer> m_tokenizer;
    QString m_tokenizerPath;
    std::vector<size_t> m_lengths;
    data::LengthHistogram m_histogramData;
    // One count at a time; a newer one cancels the older, whose result is dropped by generation.
    QThreadPool* m_pool = nullptr;
    std::shared_ptr<RunControl> m_lengthControl;
    quint64 m_lengthsGeneration = 0;
    bool m_lengthsPending = false;
    // Reading the files: the same pattern on its own worker.
    QThreadPool* m_readPool = nullptr;
    std::shared_ptr<RunControl> m_readControl;
    quint64 m_readGeneration = 0;
    bool m_reading = false;

    QTableWidget* m_fileTable = nullptr;
    QTableWidget* m_fieldTable = nullptr;
    QComboBox* m_template = nullptr;
    QLineEdit* m_tokenizerEdit = nullptr;
    QSpinBox* m_maxLength = nullptr;
    QLabel* m_message = nullptr;
    QLabel* m_busy = nullptr;
    QPushButton* m_remove = nullptr;
    QStackedWidget* m_stack = nullptr; // the guidance line, or the tables
    QLabel* m_filterLabel = nullptr;
    QPushButton* m_showAll = nullptr;
    QLabel* m_hiddenNote = nullptr;
    QLabel* m_problemsNote = nullptr;
    QTabWidget* m_tabs = nullptr;
    QTableView* m_preview = nullptr;
    PreviewModel* m_model = nullptr;
    QPushButton* m_prev = nullptr;
    QPushButton* m_next = nullptr;
    QLabel* m_pageLabel = nullptr;
    QLabel* m_templateSource = nullptr;
    QTextEdit* m_rendered = nullptr;
    QTableWidget* m_taskTable = nullptr;
    LengthHistogram* m_histogram = nullptr;
    QTableWidget* m_issueTable = nullptr;
};

} // namespace tb::ui
