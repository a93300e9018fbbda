#pragma once
// The Dataset panel: import files (dialog or drag-and-drop), page through
// their records, map source fields, see a record in the chosen template, the
// tasks, the token lengths against the truncation point, and every problem.
// What it ends with is a tb::train::DataConfig for the method panel.
// The work (reading, validating, tokenising) is data::DatasetSession's; the
// panel shows it. Token lengths are counted on a worker thread.
#include <QStringList>
#include <QWidget>

#include <cstdint>
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

    // Adds the files not already in the list and reads everything again.
    void addFiles(const QStringList& paths);
    void clearFiles();
    // A tokenizer file or a model/tokenizer folder; problems show in the panel.
    void setTokenizerPath(const QString& path);

    train::DataConfig dataConfig() const;

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
    QTabWidget* tabs() const { return m_tabs; }
    QString message() const;
    const data::DatasetSession& session() const { return m_session; }

Q_SIGNALS:
    void dataConfigChanged();
    // New token lengths are shown (counted, or cleared).
    void tokenLengthsChanged();

public Q_SLOTS:
    void chooseFiles();
    void chooseTokenizer();
    void nextPage();
    void previousPage();
    // Shows the record behind row ROW of the problem list in the preview.
    void jumpToIssue(int row);

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dragMoveEvent(QDragMoveEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void reload();
    void rebuildFieldTable();
    void refreshFiles();
    void refreshPreview();
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

    data::DatasetSession m_session;
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

    QTableWidget* m_fileTable = nullptr;
    QTableWidget* m_fieldTable = nullptr;
    QComboBox* m_template = nullptr;
    QLineEdit* m_tokenizerEdit = nullptr;
    QSpinBox* m_maxLength = nullptr;
    QLabel* m_message = nullptr;
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
