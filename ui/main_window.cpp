#include "main_window.h"

#include "history/run_history_panel.h"
#include "training/training_panel.h"

#include <QCloseEvent>
#include <QFileDialog>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QTabWidget>

namespace tb::ui {

MainWindow::MainWindow(const QString& dbPath, QWidget* parent) : QMainWindow(parent)
{
    setWindowTitle(tr("Tunebench"));
    auto* tabs = new QTabWidget;
    m_training = new TrainingPanel(dbPath);
    m_history = new RunHistoryPanel(dbPath);
    tabs->addTab(m_training, tr("Live training"));
    tabs->addTab(m_history, tr("Run history"));
    setCentralWidget(tabs);
    connect(m_training, &TrainingPanel::runFinished, m_history, &RunHistoryPanel::refresh);

    auto* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Open run configuration…"), QKeySequence::Open, this, &MainWindow::openRunConfig);
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QSettings settings;
    restoreGeometry(settings.value("window/geometry").toByteArray());
    if (!settings.contains("window/geometry"))
        resize(1100, 750);
}

void MainWindow::openRunConfig()
{
    QSettings settings;
    const QString path = QFileDialog::getOpenFileName(this, tr("Open run configuration"),
                                                      settings.value("recent/runConfigDir").toString(),
                                                      tr("Run configurations (*.json)"));
    if (path.isEmpty())
        return;
    settings.setValue("recent/runConfigDir", QFileInfo(path).absolutePath());
    m_training->openConfig(path);
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
    QSettings().setValue("window/geometry", saveGeometry());
    event->accept();
}

} // namespace tb::ui
