// tunebench: the desktop workbench.
#include "main_window.h"
#include "store/run_store.h"
#include "training/training_panel.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QTabWidget>
#include <QTimer>

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName("Tunebench");
    QApplication::setApplicationName("Tunebench");
    QApplication::setApplicationVersion("0.1.0");

    QCommandLineParser parser;
    parser.setApplicationDescription(QApplication::translate("main", "Fine-tune, watch and compare language models"));
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption db("db", QApplication::translate("main", "Run store (SQLite)."), "path",
                          QString::fromStdString(tb::store::defaultStorePath()));
    QCommandLineOption run("run-config", QApplication::translate("main", "Open this RUN.json."), "path");
    QCommandLineOption start("start", QApplication::translate("main", "Start the opened run right away."));
    QCommandLineOption shots("screenshots",
                             QApplication::translate("main", "Save a PNG of every panel into this folder and quit "
                                                             "(after the run, with --start)."),
                             "dir");
    parser.addOption(db);
    parser.addOption(run);
    parser.addOption(start);
    parser.addOption(shots);
    parser.process(app);

    tb::ui::MainWindow window(parser.value(db));
    auto* panel = window.trainingPanel();
    if (parser.isSet(run))
        panel->openConfig(parser.value(run));
    window.show();

    // Screenshots of every tab, for documentation and for looking at what the app shows.
    const QString shotDir = parser.value(shots);
    auto takeShots = [&] {
        QDir().mkpath(shotDir);
        auto* tabs = qobject_cast<QTabWidget*>(window.centralWidget());
        for (int i = 0; tabs && i < tabs->count(); ++i) {
            tabs->setCurrentIndex(i);
            QApplication::processEvents();
            const QString name = tabs->tabText(i).remove('&').replace(' ', '_').toLower();
            window.grab().save(QDir(shotDir).filePath(QString("%1-%2.png").arg(i + 1).arg(name)));
        }
        QApplication::quit();
    };
    if (parser.isSet(start)) {
        if (!shotDir.isEmpty())
            QObject::connect(panel, &tb::ui::TrainingPanel::runFinished, &app, [&] { QTimer::singleShot(200, takeShots); });
        QTimer::singleShot(0, panel, &tb::ui::TrainingPanel::start);
    } else if (!shotDir.isEmpty()) {
        QTimer::singleShot(300, takeShots);
    }
    return app.exec();
}
