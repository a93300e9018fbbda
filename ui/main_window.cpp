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

#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QFileDialog>
#include <QComboBox>
#include <QFileInfo>
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

MainWindow::MainWindow(const QString& dbPath, QWidget* parent) : QMainWindow(parent)
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
    QStringList files;
    for (const auto& f : config.data.train)
        files << QString::fromStdString(f.path);
    if (m_dataset->files() != files) {
        m_dataset->clearFiles();
        m_dataset->addFiles(files);
    }
    const int index = m_dataset->templateCombo()->findData(QString::fromStdString(config.data.templateName));
    if (index >= 0)
        m_dataset->templateCombo()->setCurrentIndex(index);
    m_dataset->maxLengthSpin()->setValue(int(config.data.maxLength));
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
    if (!m_training->openConfig(path))
        return;
    m_tabs->setCurrentWidget(m_training);
    m_training->start();
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
    QAction* start = training->addAction(tr("&Start"), QKeySequence(Qt::Key_F5), this, [this] {
        m_tabs->setCurrentWidget(m_training);
        m_training->start();
    });
    start->setObjectName("actionStart");
    QAction* pause = training->addAction(tr("&Pause / resume"), QKeySequence(Qt::Key_F6), m_training,
                                         &TrainingPanel::togglePause);
    pause->setObjectName("actionPause");
    QAction* stop = training->addAction(tr("S&top"), QKeySequence(Qt::SHIFT | Qt::Key_F5), m_training,
                                        &TrainingPanel::stop);
    stop->setObjectName("actionStop");
    connect(training, &QMenu::aboutToShow, this, [this, start, pause, stop] {
        start->setEnabled(!m_training->isTraining() && !m_training->configPath().isEmpty());
        pause->setEnabled(m_training->isTraining());
        stop->setEnabled(m_training->isTraining());
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
        m_method->setRunConfig(config);
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
    if (!m_layoutRestored)
        restoreLayout();
    QMainWindow::showEvent(event);
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    // A run still training is stopped cleanly: cancelled at a step boundary,
    // recorded as such, and resumable from its last checkpoint.
    if (m_training->isTraining()) {
        if (QMessageBox::question(this, tr("Training in progress"),
                                  tr("A run is still training. Stop it and quit?")) != QMessageBox::Yes) {
            event->ignore();
            return;
        }
        m_training->stop();
    }
    saveLayout();
    event->accept();
}

} // namespace tb::ui
