#pragma once
// The Playground panel: type a prompt, pick base models and stored runs,
// set the decoding (the same for all), Generate, and read the outputs side
// by side. Generation runs on PlaygroundJob's thread; the panel only shows
// each model's output as it arrives.
#include "engine/playground.h"
#include "ui/eval/eval_results.h"

#include <QWidget>

class QDoubleSpinBox;
class QGroupBox;
class QLabel;
class QListWidget;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QSplitter;

namespace tb::ui {

class PlaygroundJob;

class PlaygroundPanel : public QWidget {
    Q_OBJECT
public:
    explicit PlaygroundPanel(QString dbPath, QWidget* parent = nullptr);
    ~PlaygroundPanel() override;

    // Checks the models to generate with (runs and base models of the store,
    // or model folders added with addModelPath); unknown ones are ignored.
    void setCheckedModels(const std::vector<ModelKey>& models);
    std::vector<ModelKey> checkedModels() const;
    // A model folder (or llama2.c .bin) not in the store, added checked.
    void addModelPath(const QString& path);
    void setPrompt(const QString& prompt);
    tb::engine::DecodingOptions decodingOptions() const;
    bool isGenerating() const;

    // The output columns of the last Generate, in the order of the checked models.
    int columnCount() const { return static_cast<int>(m_columns.size()); }
    QString columnTitle(int column) const;
    QString columnText(int column) const;  // the continuation; empty on error
    QString columnError(int column) const; // empty when it generated
    QString columnStats(int column) const;

    QListWidget* modelList() const { return m_models; }
    QPlainTextEdit* promptEdit() const { return m_prompt; }
    QPushButton* generateButton() const { return m_generate; }
    QPushButton* stopButton() const { return m_stop; }
    QSpinBox* maxNewTokensSpin() const { return m_maxNewTokens; }
    QDoubleSpinBox* temperatureSpin() const { return m_temperature; }
    QDoubleSpinBox* topPSpin() const { return m_topP; }
    QSpinBox* topKSpin() const { return m_topK; }
    QSpinBox* seedSpin() const { return m_seed; }
    // What to do, shown where the outputs go until the first Generate; null after it.
    QLabel* emptyState() const { return m_placeholder; }

public Q_SLOTS:
    // Re-reads the runs and base models from the store, keeping what was checked.
    void refresh();
    // False (with the reason in the status line) when nothing can start.
    bool generate();
    void stop();

Q_SIGNALS:
    // status: completed, cancelled
    void generationFinished(const QString& status);

private:
    struct Column {
        QGroupBox* box = nullptr;
        QPlainTextEdit* text = nullptr;
        QLabel* stats = nullptr;
        tb::engine::PlaygroundOutput output;
        bool done = false;
    };
    void addModelItem(const ModelKey& key, bool checked);
    void chooseModelFolder();
    void buildColumns(const QStringList& titles);
    void showOutput(int index, const tb::engine::PlaygroundOutput& output);
    void finish(const QString& status);

    QString m_dbPath;
    QListWidget* m_models = nullptr;
    QPlainTextEdit* m_prompt = nullptr;
    QSpinBox* m_maxNewTokens = nullptr;
    QDoubleSpinBox* m_temperature = nullptr;
    QDoubleSpinBox* m_topP = nullptr;
    QSpinBox* m_topK = nullptr;
    QSpinBox* m_seed = nullptr;
    QPushButton* m_generate = nullptr;
    QPushButton* m_stop = nullptr;
    QLabel* m_status = nullptr;
    QSplitter* m_outputs = nullptr;
    QLabel* m_placeholder = nullptr; // until the first Generate
    std::vector<Column> m_columns;
    PlaygroundJob* m_job = nullptr;
};

} // namespace tb::ui
