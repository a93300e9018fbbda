// tunebench: the desktop workbench.
#include "main_window.h"
#include "store/run_store.h"
#include "training/training_panel.h"

#include <QApplication>
#include <QCommandLineParser>

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
    parser.addOption(db);
    parser.addOption(run);
    parser.process(app);

    tb::ui::MainWindow window(parser.value(db));
    if (parser.isSet(run))
        window.trainingPanel()->openConfig(parser.value(run));
    window.show();
    return app.exec();
}
