#pragma once
// The workbench window: one tab per panel, menus with the main actions and
// their shortcuts, recent files, theme, and a layout that persists (QSettings).
#include <QMainWindow>

class QAction;
class QMenu;
class QMessageBox;
class QTimer;
class QPushButton;
class QTabWidget;

namespace tb::train {
struct RunConfig;
}

namespace tb::ui {

class DatasetPanel;
class EvaluationPanel;
class ForgettingPanel;
class MethodPanel;
class PlaygroundPanel;
class RecentFiles;
class RunHistoryPanel;
class TrainingPanel;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(const QString& dbPath, QWidget* parent = nullptr);
    DatasetPanel* datasetPanel() const { return m_dataset; }
    MethodPanel* methodPanel() const { return m_method; }
    TrainingPanel* trainingPanel() const { return m_training; }
    EvaluationPanel* evaluationPanel() const { return m_evaluation; }
    ForgettingPanel* forgettingPanel() const { return m_forgetting; }
    RunHistoryPanel* historyPanel() const { return m_history; }
    PlaygroundPanel* playgroundPanel() const { return m_playground; }
    QTabWidget* tabs() const { return m_tabs; }

    // Adds a panel as a tab with a Ctrl+<n> shortcut in View (n = 1..9).
    int addPanel(QWidget* panel, const QString& title);
    // "runConfigs", "suites" or "datasets": the lists behind File ▸ Recent.
    RecentFiles* recentFiles(const QString& category) const;

    // The suite the Evaluation and Forgetting panels run and show.
    void setSuitePath(const QString& path);
    // Shows a run configuration in the Method and Dataset panels.
    void showConfigInPanels(const QString& path);

    // Writes a cloned run configuration to `path` (named "<name> (copy)") and
    // opens it in Live training; false with a message when it cannot.
    bool openClonedConfig(const QString& configJson, const QString& path);
    // Resumes a stored run in Live training and shows that tab.
    bool resumeRun(qint64 runId);
    // Runs found interrupted at start-up that can be resumed (status bar offer).
    QList<qint64> interruptedRuns() const { return m_interrupted; }
    // The start-up question "Run N was interrupted — resume?" (nullptr once answered or when none).
    QMessageBox* interruptedPrompt() const { return m_interruptedPrompt; }

    // Starts the Method panel's configuration, exactly as the form shows it
    // (saved first); what F5, Live training's Start and the Method panel's
    // Start all do. False (with the reason shown) when it cannot start.
    bool startCurrentConfig();
    // Opens a RUN.json given on the command line, unless the unsaved edits of
    // that same file came back from last time (they are shown instead).
    void openStartupConfig(const QString& path);
    // Where the unsaved configuration is kept between sessions.
    QString draftPath() const { return m_draftPath; }

    void saveLayout() const;
    void restoreLayout();

Q_SIGNALS:
    // A recent suite or dataset was chosen in File ▸ Recent (the panels open it).
    void recentFileChosen(const QString& category, const QString& path);

protected:
    void closeEvent(QCloseEvent* event) override;
    void showEvent(QShowEvent* event) override;

private:
    void buildMenus();
    void openRunConfig();
    void cloneConfig(const QString& configJson);
    void cloneConfigToFile(const QString& configJson);
    void takeDatasetChanges();
    void startFromMethodPanel(const QString& path);
    void showDataInPanel(const train::RunConfig& config);
    void openWorkspaceSuite(const QString& dbPath);
    void offerInterruptedRuns();
    void askAboutInterruptedRun();
    // The unsaved configuration survives a restart: written (debounced) while
    // the Method panel has changes, removed once saved; read back at start-up.
    void writeDraft();
    void restoreWorkingConfig();
    void showConfigHeader();
    void setThemeFromAction(QAction* action);

    QString m_dbPath;
    QTabWidget* m_tabs = nullptr;
    DatasetPanel* m_dataset = nullptr;
    MethodPanel* m_method = nullptr;
    TrainingPanel* m_training = nullptr;
    EvaluationPanel* m_evaluation = nullptr;
    ForgettingPanel* m_forgetting = nullptr;
    RunHistoryPanel* m_history = nullptr;
    PlaygroundPanel* m_playground = nullptr;
    bool m_syncingData = false; // filling the Dataset panel from a configuration
    QMenu* m_viewMenu = nullptr;
    QMenu* m_panelsMenu = nullptr;
    QList<RecentFiles*> m_recent;
    QList<qint64> m_interrupted;
    QPushButton* m_resumeOffer = nullptr;
    QMessageBox* m_interruptedPrompt = nullptr;
    QString m_draftPath;
    QTimer* m_draftTimer = nullptr;
    bool m_closeWhenStopped = false; // the window closes once the stopping run has finished
    bool m_layoutRestored = false;
};

} // namespace tb::ui
