#pragma once
// Method configuration: the base model (facts read from config.json, no
// weights loaded), the fine-tuning method with its own settings, the training
// hyper-parameters, and a live estimate of what trains and how much memory it
// takes. Saves and loads RUN.json and starts runs.
//
// Full vs instruction tuning: both are method "full" in RUN.json. "Full"
// writes data.loss_on_prompt = true (loss on every token); "Instruction"
// writes data.loss_on_prompt = false (loss on the response only) with the
// chosen template. Loading maps them back the same way.
//
// Which settings are allowed is train::validate()'s (core/train/validate.h):
// the panel highlights the field of each problem it reports, lists them all
// and keeps Start off while there are any. Filling the widgets from a
// RunConfig and reading one back is RunConfigForm's (run_config_form.h).
//
// Start always saves the current settings first: into the file last loaded or
// saved, else into the runs folder given to the constructor (default: the
// app's data folder/runs) as <name>-<date-time>.json, without asking.
//
// Unsaved changes: the panel remembers the RUN.json text of the settings last
// loaded, saved or restored as clean; isModified() compares runConfig() with
// it, and a line above the settings says which file is shown and whether it
// has unsaved changes. A RUN.json tab previews the file Start would write.
//
// The model path is read when typing pauses (300 ms), config.json only, and
// each (path, modification time) once.
#include "model/model_config.h"
#include "train/estimate.h"
#include "train/run_config.h"
#include "train/validate.h"
#include "ui/method/run_config_form.h"

#include <QDateTime>
#include <QWidget>

#include <map>
#include <optional>
#include <vector>

class QLabel;
class QListWidget;
class QPlainTextEdit;
class QPushButton;
class QStackedWidget;
class QTreeWidget;
class QTimer;
class QTreeWidgetItem;

namespace tb::ui {

class LoraTargetPicker;

class MethodPanel : public QWidget {
    Q_OBJECT
public:
    // The panel's method choices; Full and Instruction are both method "full".
    enum Choice { Full, Instruction, Selective, Lora, Adapter, PromptTuning };
    // The peak learning rate a method usually wants (what the form switches
    // to when the user picks the method while the rate is still the previous
    // method's default).
    static double defaultLearningRate(Choice choice);

    explicit MethodPanel(QString runsDir = {}, QWidget* parent = nullptr);
    ~MethodPanel() override;

    // The data part of the run (from the Dataset panel). Max length and
    // template show here and can be changed; loss_on_prompt follows the
    // method choice for Full/Instruction and is kept as given otherwise.
    void setDataConfig(const tb::train::DataConfig& data);
    tb::train::RunConfig runConfig() const;
    // Fills every widget from `config`; runConfig() then returns it unchanged.
    // The file and the saved state stay: the panel counts as modified unless
    // `config` equals what was last loaded or saved.
    void setRunConfig(const tb::train::RunConfig& config);
    // A draft kept from before a restart: shown with configPath() == originPath
    // (the file it came from; empty when it was never saved) and modified until
    // saved or loaded.
    void restoreDraft(const tb::train::RunConfig& config, const QString& originPath);
    // The settings shown now count as saved (isModified() becomes false).
    void markClean();
    // Whether runConfig() differs from the settings last loaded, saved or marked clean.
    bool isModified() const;
    // The configuration file's name, or the run name when it was never saved.
    QString configDisplayName() const;

    // Reads the model's config.json (or llama2.c header) now and shows its facts;
    // typing in the field reads it once typing pauses.
    void setModelPath(const QString& path);
    // How many times a model's facts were read from disk (the cache's misses); for tests.
    int modelReadCount() const { return m_modelReads; }
    bool loadConfig(const QString& path);  // RUN.json; shows a message and returns false when invalid
    bool saveConfig(const QString& path);  // atomic; false (with a message) when the settings are invalid
    QString configPath() const { return m_configPath; }

    // Why Start is disabled; empty when the configuration is complete.
    QString problem() const { return m_problem; }
    // The estimate for the current settings; empty when it cannot be computed.
    std::optional<tb::train::Estimate> estimate() const { return m_estimate; }
    QStringList recentModels() const;

Q_SIGNALS:
    void startRequested(const QString& runConfigPath);
    void configChanged();
    void modifiedChanged(bool modified);

public Q_SLOTS:
    void start();
    void browseModel();
    void openConfigDialog();
    void saveConfigDialog();

private:
    // The user picked another method: its learning rate unless the user set
    // one, and BitFit (the biases) when selective tuning would train nothing.
    void applyMethodDefaults(int choice);
    void buildModelGroup(QWidget* box);
    QWidget* buildMethodGroup();
    QWidget* buildTrainingGroup();
    QWidget* buildFooter();
    void readModel();
    void readModelSoon();                 // after typing pauses
    void flushModelRead();                // a pending read, now
    void fillFrom(const tb::train::RunConfig& config, bool clean);
    void updateModified();
    void updateConfigState();
    void updateExplanation();
    void updatePreview(const tb::train::RunConfig& config);
    void rebuildParameterTree();
    void updateParameterChecks();
    void onParameterToggled(QTreeWidgetItem* item, int column);
    void refresh();
    void rememberModel(const QString& path);
    void showProblems(const std::vector<tb::train::ConfigProblem>& problems);
    void clearMarks();
    QString autoConfigPath() const;

    QString m_runsDir;
    QString m_configPath;
    tb::train::RunConfig m_base; // what the widgets do not show (betas, eps, data files) travels through here
    std::optional<tb::model::ModelConfig> m_model;
    QString m_modelError;
    // Model facts per path, valid while the file's modification time is the same.
    struct ReadModel {
        QDateTime stamp;
        std::optional<tb::model::ModelConfig> config;
        QString error;
    };
    std::map<QString, ReadModel> m_modelCache;
    int m_modelReads = 0;
    QTimer* m_modelTimer = nullptr;
    std::string m_cleanJson; // RUN.json text of the settings last loaded/saved; "" = never equal
    bool m_modified = false;
    std::optional<tb::train::Estimate> m_estimate;
    QString m_problem;
    bool m_filling = false;

    // The widgets that show RunConfig values, and the mapping both ways.
    RunConfigForm m_form;
    int m_shownChoice = -1;    // the method whose page is shown
    int m_previousChoice = -1; // the one shown before it
    std::map<QString, QLabel*> m_facts;
    QStackedWidget* m_pages = nullptr;
    QTreeWidget* m_tree = nullptr;
    LoraTargetPicker* m_targetPicker = nullptr;
    QLabel* m_explanation = nullptr;
    QLabel* m_configState = nullptr;
    QPlainTextEdit* m_preview = nullptr;

    // Estimate and actions
    QLabel* m_trainable = nullptr;
    QLabel* m_memory = nullptr;
    QLabel* m_precisionChoice = nullptr; // what the chosen precision is on this machine
    QLabel* m_guidance = nullptr; // what to do while no model is chosen
    QLabel* m_problemLabel = nullptr;
    QListWidget* m_problemList = nullptr; // every problem; activating one focuses its field
    QPushButton* m_start = nullptr;
    std::map<QString, QLabel*> m_errors; // field object name -> error label beside it
    std::vector<QWidget*> m_marked;      // fields highlighted by the last refresh()
};

} // namespace tb::ui
