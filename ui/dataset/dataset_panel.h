#pragma once
// The Dataset panel: import files (dialog or drag-and-drop), page through
// their records, map source fields, see a record in the chosen template, the
// tasks, the token lengths against the truncation point, and every problem.
// What it ends with is a tb::train::DataConfig for the method panel.
#include <QMap>
#include <QStringList>
#include <QWidget>

#include <memory>
#include <string>
#include <vector>

#include "data/validate.h"
#include "train/run_config.h"

class QBarSet;
class QChart;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTabWidget;
class QTableView;
class QTableWidget;
class QTextEdit;

namespace tb::tok {
class Tokenizer;
}

namespace tb::ui {

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
    QStringList sourceFields() const { return m_sourceFields; }
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
    QBarSet* keptBars() const { return m_keptBars; }
    QBarSet* truncatedBars() const { return m_truncatedBars; }
    // Token lengths (BOS and EOS included, untruncated) of the records that read, in preview order.
    const std::vector<size_t>& tokenLengths() const { return m_lengths; }
    size_t binWidth() const { return m_binWidth; }
    int truncatedCount() const { return m_truncated; }
    QTableWidget* issueTable() const { return m_issueTable; }
    QTabWidget* tabs() const { return m_tabs; }
    QString message() const;

Q_SIGNALS:
    void dataConfigChanged();

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
    struct LoadedFile {
        QString path;
        data::ValidationResult result;
    };

    std::map<std::string, std::string> coreFieldMap() const;
    void reload();
    void rebuildFieldTable();
    void refreshFiles();
    void refreshPreview();
    void refreshTasks();
    void refreshIssues();
    void refreshTemplate();
    void computeLengths();
    void refreshHistogram();
    void updatePageControls();
    void showMessage(const QString& text);
    const data::Record* currentRecord(QString* where) const;

    std::vector<LoadedFile> m_files;
    QStringList m_sourceFields;
    QMap<QString, QString> m_choice; // source field -> target or "ignore"
    std::unique_ptr<tok::Tokenizer> m_tokenizer;
    QString m_tokenizerPath;
    std::vector<size_t> m_lengths;
    size_t m_binWidth = 0;
    int m_truncated = 0;

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
    QChart* m_chart = nullptr;
    QBarSet* m_keptBars = nullptr;
    QBarSet* m_truncatedBars = nullptr;
    QLabel* m_truncatedLabel = nullptr;
    QTableWidget* m_issueTable = nullptr;
};

} // namespace tb::ui
