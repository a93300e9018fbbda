#include "ui/main_window.h"

#include "ui/common/recent_files.h"
#include "ui/common/theme.h"
#include "ui/dataset/dataset_panel.h"
#include "ui/eval/evaluation_panel.h"
#include "eval/suite.h"
#include "ui/eval/forgetting_panel.h"
#include "ui/history/run_history_panel.h"
#include "io/atomic_file.h"
#include "ui/method/method_panel.h"
#include "ui/playground/playground_panel.h"
#include "train/run_config.h"
#include "ui/training/training_panel.h"
#include "ui/common/window_store.h"
#include "store/run_store.h"

#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QFileDialog>
#include <QComboBox>
#include <QLocale>
#include <QFile>
#include <QFileInfo>
#include <QDir>
#include <QSpinBox>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>

namespace tb::ui {

MainWindow::MainWindow(const QString& dbPath, QWidget* parent) : QMainWindow(parent), m_dbPath(dbPath)
{
    setWindowTitle(tr("Tunebench"));
    setObjectName("mainWindow"); // saveState() needs a name
    m_tabs = new QTabWidget;
    m_tabs->setObjectName("mainTabs");
    m_tabs->setDocumentMode(true);
    setCentralWidget(m_tabs);
    for (const char* category : {"runConfigs", "suites", "datasets"})
        m_recent.push_back(new RecentFiles(QString::fromLatin1(category), 10, this));

    // The panels in the order of the work: data, method, training,
    // evaluation, forgetting, the history of everything, then the
    // playground to try any of the models by hand.
    m_dataset = new DatasetPanel;
    m_method = new MethodPanel(QFileInfo(dbPath).absoluteDir().filePath("configs"));
    m_training = new TrainingPanel(dbPath);
    m_evaluation = new EvaluationPanel(dbPath);
    m_forgetting = new ForgettingPanel(dbPath);
    m_history = new RunHistoryPanel(dbPath);
    m_playground = new PlaygroundPanel(dbPath);
    buildMenus();
    addPanel(m_dataset, tr("Dataset"));
    addPanel(m_method, tr("Method"));
    addPanel(m_training, tr("Live training"));
    addPanel(m_evaluation, tr("Evaluation"));
    addPanel(m_forgetting, tr("Forgetting"));
    addPanel(m_history, tr("Run history"));
    addPanel(m_playground, tr("Playground"));

    connect(m_dataset, &DatasetPanel::dataConfigChanged, this, &MainWindow::takeDatasetChanges);
    connect(m_method, &MethodPanel::startRequested, this, &MainWindow::startFromMethodPanel);
    // Every Start trains the Method panel's configuration: Live training's
    // button asks the window, which saves the form and starts exactly it.
    connect(m_training, &TrainingPanel::startRequested, this, [this] { startCurrentConfig(); });
    m_draftTimer = new QTimer(this);
    m_draftTimer->setSingleShot(true);
    m_draftTimer->setInterval(800);
    connect(m_draftTimer, &QTimer::timeout, this, &MainWindow::writeDraft);
    // An edit (or a save, which clears the marker) updates the header and, a moment later, the draft.
    const auto edited = [this] {
        showConfigHeader();
        m_draftTimer->start();
    };
    connect(m_method, &MethodPanel::configChanged, this, edited);
    connect(m_method, &MethodPanel::modifiedChanged, this, edited);
    connect(m_training, &TrainingPanel::configOpened, this, &MainWindow::showConfigInPanels);
    connect(m_training, &TrainingPanel::runFinished, m_evaluation, &EvaluationPanel::refresh);
    connect(m_training, &TrainingPanel::runFinished, m_forgetting, &ForgettingPanel::refresh);
    connect(m_evaluation, &EvaluationPanel::evaluationFinished, m_forgetting, &ForgettingPanel::refresh);
    connect(m_evaluation, &EvaluationPanel::evaluationFinished, m_history, &RunHistoryPanel::refresh);
    connect(this, &MainWindow::recentFileChosen, this, [this](const QString& category, const QString& path) {
        if (category == "suites") {
            setSuitePath(path);
            m_tabs->setCurrentWidget(m_evaluation);
        } else if (category == "datasets") {
            m_dataset->addFiles({path});
            m_tabs->setCurrentWidget(m_dataset);
        }
    });

    connect(m_training, &TrainingPanel::runStarted, m_history, &RunHistoryPanel::refresh);
    connect(m_training, &TrainingPanel::runFinished, m_history, &RunHistoryPanel::refresh);
    connect(m_training, &TrainingPanel::runFinished, m_playground, &PlaygroundPanel::refresh);
    connect(m_evaluation, &EvaluationPanel::evaluationFinished, m_playground, &PlaygroundPanel::refresh);
    connect(m_training, &TrainingPanel::configOpened, recentFiles("runConfigs"), &RecentFiles::add);
    connect(m_history, &RunHistoryPanel::resumeRequested, this, &MainWindow::resumeRun);
    connect(m_history, &RunHistoryPanel::cloneRequested, this, &MainWindow::cloneConfig);

    statusBar()->setObjectName("statusBar");
    const QFileInfo store(dbPath);
    m_draftPath = store.absoluteDir().filePath("." + store.completeBaseName() + "-unsaved-run.json");
    restoreWorkingConfig();
    m_interrupted = m_history->resumableInterruptedRuns();
    offerInterruptedRuns();

    openWorkspaceSuite(dbPath);

    QSettings settings;
    if (!restoreGeometry(settings.value("window/geometry").toByteArray()))
        resize(1180, 800);
}

void MainWindow::openWorkspaceSuite(const QString& dbPath)
{
    // A store inside a workspace (the demo's) opens with the workspace's
    // first suite ready in the Evaluation and Forgetting panels.
    const QString manifest = QFileInfo(dbPath).absoluteDir().filePath("workspace.json");
    if (!QFileInfo::exists(manifest))
        return;
    try {
        const auto j = nlohmann::json::parse(io::readFile(manifest.toStdString()));
        const auto suites = j.value("suites", std::vector<std::string>());
        if (!suites.empty()) {
            const QString suite = QFileInfo(QFileInfo(manifest).absoluteDir(), QString::fromStdString(suites.front()))
                                      .absoluteFilePath();
            if (QFileInfo::exists(suite))
                setSuitePath(suite);
        }
    } catch (const std::exception&) {
        // A broken manifest only costs the preselected suite.
    }
}

void MainWindow::setSuitePath(const QString& path)
{
    try {
        eval::readSuite(path.toStdString());
    } catch (const std::exception& e) {
        statusBar()->showMessage(tr("Suite not opened: %1").arg(QString::fromStdString(e.what())), 15000);
        return;
    }
    m_evaluation->setSuitePath(path);
    m_forgetting->setSuitePath(path);
    recentFiles("suites")->add(path);
}

void MainWindow::showDataInPanel(const train::RunConfig& config)
{
    // Filling the Dataset panel from a configuration must not write its
    // simplified view back over the configuration's data settings.
    m_syncingData = true;
    m_dataset->setDataConfig(config.data);
    const std::string tokenizer = config.tokenizer.empty() ? config.model : config.tokenizer;
    if (!tokenizer.empty())
        m_dataset->setTokenizerPath(QString::fromStdString(tokenizer));
    m_syncingData = false;
}

void MainWindow::showConfigInPanels(const QString& path)
{
    if (QFileInfo(path).absoluteFilePath() != QFileInfo(m_method->configPath()).absoluteFilePath())
        if (!m_method->loadConfig(path))
            return;
    showDataInPanel(m_method->runConfig());
}

void MainWindow::takeDatasetChanges()
{
    if (m_syncingData)
        return;
    // The Dataset panel owns the training files, their field mapping, the
    // template and the length; validation files, mixing and the split stay as
    // the configuration had them unless the training files changed entirely.
    train::DataConfig data = m_method->runConfig().data;
    const train::DataConfig fromPanel = m_dataset->dataConfig();
    std::set<std::string> before, after;
    for (const auto& f : data.train)
        before.insert(std::filesystem::absolute(f.path).lexically_normal().string());
    for (const auto& f : fromPanel.train) {
        after.insert(std::filesystem::absolute(f.path).lexically_normal().string());
        recentFiles("datasets")->add(QString::fromStdString(f.path));
    }
    bool overlap = false;
    for (const auto& p : after)
        overlap = overlap || before.count(p);
    if (!overlap)
        data.validation.clear();
    data.train = fromPanel.train;
    data.templateName = fromPanel.templateName;
    data.maxLength = fromPanel.maxLength;
    m_method->setDataConfig(data);
}

void MainWindow::startFromMethodPanel(const QString& path)
{
    if (m_training->isTraining()) {
        QMessageBox::information(this, tr("Training in progress"),
                                 tr("A run is already training; stop it or wait for it to finish first."));
        return;
    }
    // The form was just saved to `path`: the run trains what the form shows.
    recentFiles("runConfigs")->add(path);
    if (!m_training->startConfig(m_method->runConfig(), m_method->configDisplayName()))
        return;
    writeDraft(); // saved: no draft to keep
    m_tabs->setCurrentWidget(m_training);
}

bool MainWindow::startCurrentConfig()
{
    if (m_training->isTraining()) {
        QMessageBox::information(this, tr("Training in progress"),
                                 tr("A run is already training; stop it or wait for it to finish first."));
        return false;
    }
    m_method->start(); // saves the form, then startRequested -> startFromMethodPanel
    if (m_training->isTraining())
        return true;
    m_tabs->setCurrentWidget(m_method);
    const QString problem = m_method->problem();
    statusBar()->showMessage(problem.isEmpty() ? tr("The run could not start; see the Method panel.")
                                               : tr("Not started: %1").arg(problem),
                             15000);
    return false;
}

void MainWindow::showConfigHeader()
{
    m_training->setConfigDescription(m_method->configDisplayName(), m_method->isModified());
}

void MainWindow::writeDraft()
{
    m_draftTimer->stop();
    if (!m_method->isModified()) {
        QFile::remove(m_draftPath);
        return;
    }
    try {
        const nlohmann::json draft = {{"origin", m_method->configPath().toStdString()},
                                      {"config", train::toJson(m_method->runConfig())}};
        io::writeFileAtomic(m_draftPath.toStdString(), draft.dump(2) + "\n");
    } catch (const std::exception& e) {
        statusBar()->showMessage(tr("Unsaved changes could not be kept for the next start: %1")
                                     .arg(QString::fromStdString(e.what())),
                                 15000);
    }
}

void MainWindow::restoreWorkingConfig()
{
    // The configuration the user was working on comes back: unsaved edits
    // first, else the run configuration used last.
    if (QFileInfo::exists(m_draftPath)) {
        try {
            const auto draft = nlohmann::json::parse(io::readFile(m_draftPath.toStdString()));
            const QString origin = QString::fromStdString(draft.value("origin", std::string()));
            const std::string base = origin.isEmpty() ? QFileInfo(m_draftPath).absolutePath().toStdString()
                                                      : QFileInfo(origin).absolutePath().toStdString();
            const auto config = train::parseRunConfig(draft.at("config"), m_draftPath.toStdString(), base);
            m_method->restoreDraft(config, origin);
            showDataInPanel(config);
            showConfigHeader();
            statusBar()->showMessage(tr("Your unsaved changes to \"%1\" are back; save or start to keep them.")
                                         .arg(m_method->configDisplayName()),
                                     15000);
            return;
        } catch (const std::exception& e) {
            statusBar()->showMessage(tr("Unsaved changes from last time could not be read (%1): %2")
                                         .arg(m_draftPath, QString::fromStdString(e.what())),
                                     15000);
        }
    }
    for (const QString& path : recentFiles("runConfigs")->files()) {
        // loadConfig is quiet (its problem line says why a file did not load): the next recent one is tried.
        if (!QFileInfo::exists(path) || !m_method->loadConfig(path))
            continue;
        showDataInPanel(m_method->runConfig());
        showConfigHeader();
        return;
    }
}

void MainWindow::openStartupConfig(const QString& path)
{
    // Unsaved edits of this same file (restored from last time) win over the file.
    if (m_method->isModified()
        && QFileInfo(m_method->configPath()).absoluteFilePath() == QFileInfo(path).absoluteFilePath())
        return;
    m_training->openConfig(path);
}

void MainWindow::buildMenus()
{
    auto* file = menuBar()->addMenu(tr("&File"));
    QAction* open = file->addAction(tr("&Open run configuration…"), QKeySequence::Open, this, &MainWindow::openRunConfig);
    open->setObjectName("actionOpen");
    const QList<QPair<QString, QString>> recentMenus = {{"runConfigs", tr("Recent run &configurations")},
                                                        {"suites", tr("Recent evaluation &suites")},
                                                        {"datasets", tr("Recent &datasets")}};
    for (const auto& [category, title] : recentMenus) {
        QMenu* menu = file->addMenu(title);
        menu->setObjectName("recentMenu_" + category);
        RecentFiles* recent = recentFiles(category);
        connect(menu, &QMenu::aboutToShow, recent, [recent, menu] { recent->fillMenu(menu); });
        recent->fillMenu(menu);
        connect(recent, &RecentFiles::changed, menu, [recent, menu] { recent->fillMenu(menu); });
        if (category == "runConfigs")
            connect(recent, &RecentFiles::fileChosen, this, [this](const QString& path) { m_training->openConfig(path); });
        else
            connect(recent, &RecentFiles::fileChosen, this,
                    [this, category = category](const QString& path) { Q_EMIT recentFileChosen(category, path); });
    }
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);
    quit->setObjectName("actionQuit");
    quit->setShortcutContext(Qt::ApplicationShortcut);

    auto* training = menuBar()->addMenu(tr("&Training"));
    QAction* start = training->addAction(tr("&Start"), QKeySequence(Qt::Key_F5), this, [this] { startCurrentConfig(); });
    start->setObjectName("actionStart");
    QAction* pause = training->addAction(tr("&Pause / resume"), QKeySequence(Qt::Key_F6), m_training,
                                         &TrainingPanel::togglePause);
    pause->setObjectName("actionPause");
    QAction* stop = training->addAction(tr("S&top"), QKeySequence(Qt::SHIFT | Qt::Key_F5), m_training,
                                        &TrainingPanel::stop);
    stop->setObjectName("actionStop");
    connect(training, &QMenu::aboutToShow, this, [this, start, pause, stop] {
        start->setEnabled(!m_training->isTraining() && m_method->problem().isEmpty());
        // Finalising (the last step is done, the checkpoint is being written) takes neither.
        using State = TrainingPanel::RunState;
        const State state = m_training->runState();
        pause->setEnabled(state == State::Training || state == State::Pausing || state == State::Paused);
        stop->setEnabled(pause->isEnabled() || state == State::Starting);
    });

    m_viewMenu = menuBar()->addMenu(tr("&View"));
    m_panelsMenu = m_viewMenu->addMenu(tr("&Panels"));
    QMenu* theme = m_viewMenu->addMenu(tr("&Theme"));
    auto* themes = new QActionGroup(this);
    const Theme current = themeFromName(QSettings().value("view/theme", "system").toString());
    const QList<QPair<Theme, QString>> choices = {
        {Theme::System, tr("&System")}, {Theme::Light, tr("&Light")}, {Theme::Dark, tr("&Dark")}};
    for (const auto& [value, label] : choices) {
        QAction* a = theme->addAction(label);
        a->setCheckable(true);
        a->setChecked(value == current);
        a->setData(themeName(value));
        a->setObjectName("actionTheme_" + themeName(value));
        themes->addAction(a);
    }
    connect(themes, &QActionGroup::triggered, this, &MainWindow::setThemeFromAction);

    auto* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Tunebench"), this, [this] {
        QMessageBox::about(this, tr("About Tunebench"),
                           tr("<b>Tunebench %1</b><p>Fine-tune language models on your own machine, "
                              "watch them train and compare the runs.</p>")
                               .arg(QApplication::applicationVersion()));
    });
}

int MainWindow::addPanel(QWidget* panel, const QString& title)
{
    const int index = m_tabs->addTab(panel, title);
    QAction* show = m_panelsMenu->addAction(title, this, [this, panel] { m_tabs->setCurrentWidget(panel); });
    show->setObjectName(QStringLiteral("actionPanel%1").arg(index + 1));
    if (index < 9)
        show->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + index)));
    // Splitters of panels added after the first show get their saved sizes too.
    if (m_layoutRestored)
        for (auto* splitter : panel->findChildren<QSplitter*>())
            if (!splitter->objectName().isEmpty())
                splitter->restoreState(QSettings().value("splitters/" + splitter->objectName()).toByteArray());
    return index;
}

RecentFiles* MainWindow::recentFiles(const QString& category) const
{
    for (auto* r : m_recent)
        if (r->category() == category)
            return r;
    return nullptr;
}

void MainWindow::setThemeFromAction(QAction* action)
{
    QSettings().setValue("view/theme", action->data().toString());
    applyTheme(themeFromName(action->data().toString()));
}

void MainWindow::openRunConfig()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Open run configuration"),
                                                      recentFiles("runConfigs")->lastDirectory(),
                                                      tr("Run configurations (*.json)"));
    if (!path.isEmpty() && m_training->openConfig(path))
        m_tabs->setCurrentWidget(m_training);
}

void MainWindow::cloneConfig(const QString& configJson)
{
    // A clone opens in the Method panel as a new, unsaved configuration.
    try {
        auto config = train::parseRunConfig(nlohmann::json::parse(configJson.toStdString()), "cloned configuration");
        config.name += " (copy)";
        config.outputDir.clear();
        m_method->restoreDraft(config, QString()); // new and unsaved: Start must not overwrite the original's file
        showDataInPanel(config);
        m_tabs->setCurrentWidget(m_method);
        statusBar()->showMessage(tr("Cloned \"%1\": change what you like, then Start").arg(QString::fromStdString(config.name)),
                                 10000);
        return;
    } catch (const std::exception& e) {
        statusBar()->showMessage(tr("The configuration could not be read (%1); choose where to save it as a file")
                                     .arg(QString::fromStdString(e.what())),
                                 10000);
    }
    cloneConfigToFile(configJson);
}

void MainWindow::cloneConfigToFile(const QString& configJson)
{
    QString name = tr("run");
    try {
        name = QString::fromStdString(nlohmann::json::parse(configJson.toStdString()).value("name", std::string("run")));
    } catch (const std::exception&) {
    }
    const QString suggested = QFileInfo(recentFiles("runConfigs")->lastDirectory(), name + "-copy.json").filePath();
    const QString path = QFileDialog::getSaveFileName(this, tr("Save the cloned run configuration"), suggested,
                                                      tr("Run configurations (*.json)"));
    if (!path.isEmpty())
        openClonedConfig(configJson, path);
}

bool MainWindow::openClonedConfig(const QString& configJson, const QString& path)
{
    try {
        auto config = nlohmann::json::parse(configJson.toStdString());
        config["name"] = config.value("name", std::string("run")) + " (copy)";
        // The copy writes its own files: the output folder is chosen per run.
        config.erase("output_dir");
        io::writeFileAtomic(path.toStdString(), config.dump(2) + "\n");
    } catch (const std::exception& e) {
        QMessageBox::warning(this, tr("Clone configuration"), QString::fromStdString(e.what()));
        return false;
    }
    if (!m_training->openConfig(path))
        return false;
    m_tabs->setCurrentWidget(m_training);
    statusBar()->showMessage(tr("Cloned configuration saved as %1; press Start to train it").arg(path), 10000);
    return true;
}

bool MainWindow::resumeRun(qint64 runId)
{
    if (!m_training->resumeRun(runId))
        return false;
    m_tabs->setCurrentWidget(m_training);
    m_interrupted.removeAll(runId);
    if (m_resumeOffer && !m_interrupted.contains(m_resumeOffer->property("runId").toLongLong())) {
        statusBar()->removeWidget(m_resumeOffer);
        m_resumeOffer->deleteLater();
        m_resumeOffer = nullptr;
        statusBar()->clearMessage();
    }
    return true;
}

void MainWindow::offerInterruptedRuns()
{
    if (m_interrupted.isEmpty())
        return;
    // Newest first (the store lists by creation time, descending).
    const qint64 newest = m_interrupted.first();
    statusBar()->showMessage(tr("%n run(s) stopped when Tunebench or the computer quit; they can continue from "
                                "their last checkpoint.",
                                nullptr, static_cast<int>(m_interrupted.size())));
    m_resumeOffer = new QPushButton(tr("Resume run %1").arg(newest));
    m_resumeOffer->setObjectName("resumeInterruptedButton");
    m_resumeOffer->setProperty("runId", newest);
    m_resumeOffer->setFlat(true);
    statusBar()->addPermanentWidget(m_resumeOffer);
    connect(m_resumeOffer, &QPushButton::clicked, this, [this, newest] { resumeRun(newest); });
}

void MainWindow::askAboutInterruptedRun()
{
    if (m_interrupted.isEmpty() || m_interruptedPrompt)
        return;
    const qint64 id = m_interrupted.first();
    QString name;
    qint64 lastStep = 0, checkpointStep = 0;
    try {
        auto& db = windowStore(m_dbPath);
        name = QString::fromStdString(db.run(id).name);
        for (const auto& p : db.metrics(id, "loss"))
            lastStep = std::max<qint64>(lastStep, p.step);
        if (const auto checkpoint = db.lastCheckpoint(id))
            checkpointStep = checkpoint->step;
    } catch (const std::exception&) {
        return; // the status bar offer stays
    }
    // Not modal: the window stays usable, and tests are not blocked by it.
    m_interruptedPrompt = new QMessageBox(QMessageBox::Question, tr("Resume interrupted run"),
                                          tr("Run %1 (\"%2\") was interrupted at step %3 — resume it?")
                                              .arg(id)
                                              .arg(name, QLocale().toString(lastStep)),
                                          QMessageBox::NoButton, this);
    m_interruptedPrompt->setObjectName("interruptedRunPrompt");
    m_interruptedPrompt->setInformativeText(
        lastStep > checkpointStep
            ? tr("It continues from its last checkpoint at step %1; steps %2–%3 are trained again.")
                  .arg(QLocale().toString(checkpointStep), QLocale().toString(checkpointStep + 1),
                       QLocale().toString(lastStep))
            : tr("It continues from its last checkpoint at step %1.").arg(QLocale().toString(checkpointStep)));
    QPushButton* resume = m_interruptedPrompt->addButton(tr("Resume"), QMessageBox::AcceptRole);
    resume->setObjectName("resumeInterruptedPromptButton");
    m_interruptedPrompt->addButton(tr("Not now"), QMessageBox::RejectRole);
    m_interruptedPrompt->setWindowModality(Qt::NonModal);
    m_interruptedPrompt->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_interruptedPrompt, &QMessageBox::buttonClicked, this, [this, resume, id](QAbstractButton* button) {
        if (button == resume)
            resumeRun(id);
    });
    connect(m_interruptedPrompt, &QObject::destroyed, this, [this] { m_interruptedPrompt = nullptr; });
    m_interruptedPrompt->show();
}

void MainWindow::saveLayout() const
{
    QSettings settings;
    settings.setValue("window/geometry", saveGeometry());
    settings.setValue("window/state", saveState());
    settings.setValue("window/tab", m_tabs->currentIndex());
    for (auto* splitter : findChildren<QSplitter*>())
        if (!splitter->objectName().isEmpty())
            settings.setValue("splitters/" + splitter->objectName(), splitter->saveState());
}

void MainWindow::restoreLayout()
{
    QSettings settings;
    restoreState(settings.value("window/state").toByteArray());
    const int tab = settings.value("window/tab", 0).toInt();
    if (tab >= 0 && tab < m_tabs->count())
        m_tabs->setCurrentIndex(tab);
    for (auto* splitter : findChildren<QSplitter*>())
        if (!splitter->objectName().isEmpty() && settings.contains("splitters/" + splitter->objectName()))
            splitter->restoreState(settings.value("splitters/" + splitter->objectName()).toByteArray());
    m_layoutRestored = true;
}

void MainWindow::showEvent(QShowEvent* event)
{
    if (!m_layoutRestored) {
        restoreLayout();
        // Asked once the window is up, so that it opens over it.
        QTimer::singleShot(0, this, &MainWindow::askAboutInterruptedRun);
    }
    QMainWindow::showEvent(event);
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    // A run still training is stopped cleanly: cancelled at a step boundary,
    // recorded as such, and resumable from its last checkpoint.
    // The window closes when the run has finished stopping: the GUI thread
    // never waits for the training thread.
    if (m_training->isTraining()) {
        event->ignore();
        if (m_closeWhenStopped)
            return;
        if (QMessageBox::question(this, tr("Training in progress"),
                                  tr("A run is still training. Stop it and quit?")) != QMessageBox::Yes)
            return;
        m_closeWhenStopped = true;
        connect(m_training, &TrainingPanel::runFinished, this, &QWidget::close, Qt::QueuedConnection);
        statusBar()->showMessage(tr("Stopping the run at the end of its step and saving a checkpoint; Tunebench "
                                    "closes when that is done…"));
        m_training->stop();
        return;
    }
    writeDraft();
    saveLayout();
    event->accept();
}

} // namespace tb::ui
