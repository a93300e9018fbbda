// tunebench: the desktop workbench.
#include "common/version.h"
#include "store/run_store.h"
#include "ui/common/theme.h"
#include "ui/eval/evaluation_panel.h"
#include "ui/eval/example_view.h"
#include "ui/history/inspection_view.h"
#include "ui/history/run_details_dialog.h"
#include "ui/history/run_history_panel.h"
#include "ui/main_window.h"
#include "ui/training/training_panel.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QIcon>
#include <QLibraryInfo>
#include <QLocale>
#include <QSettings>
#include <QTabWidget>
#include <QTableWidget>
#include <QThread>
#include <QTimer>
#include <QTranslator>

namespace {

// Tunebench's own strings from :/i18n (compiled in) or share/tunebench/translations,
// and Qt's (standard buttons, dialogs) from Qt's translations folder.
void installTranslators(QApplication& app, const QLocale& locale)
{
    auto* own = new QTranslator(&app);
    const QString installed = QDir(QApplication::applicationDirPath()).filePath("../share/tunebench/translations");
    if (own->load(locale, "tunebench", "_", ":/i18n") || own->load(locale, "tunebench", "_", installed))
        QApplication::installTranslator(own);
    auto* qt = new QTranslator(&app);
    if (qt->load(locale, "qtbase", "_", QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QApplication::installTranslator(qt);
}

// --lang can only be read after the parser ran, but the help text should
// already be translated: look for it by hand first.
QString languageArgument(int argc, char** argv)
{
    for (int i = 1; i < argc; ++i) {
        const QString a = QString::fromLocal8Bit(argv[i]);
        if (a.startsWith("--lang="))
            return a.mid(7);
        if (a == "--lang" && i + 1 < argc)
            return QString::fromLocal8Bit(argv[i + 1]);
    }
    return {};
}

} // namespace

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName("Tunebench");
    QApplication::setApplicationName("Tunebench");
    QApplication::setApplicationVersion(QStringLiteral(TUNEBENCH_VERSION));
    QApplication::setDesktopFileName("io.github.tunebench.Tunebench");
    QApplication::setWindowIcon(QIcon::fromTheme("io.github.tunebench.Tunebench", QIcon(":/icons/tunebench-256.png")));

    const QString lang = languageArgument(argc, argv);
    const QLocale locale = lang.isEmpty() ? QLocale::system() : QLocale(lang);
    installTranslators(app, locale);

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
    QCommandLineOption language("lang",
                                QApplication::translate("main", "User interface language (e.g. de, en); default: "
                                                                "the system's."),
                                "code");
    QCommandLineOption theme("theme", QApplication::translate("main", "Colours: system, light or dark (remembered)."),
                             "name");
    parser.addOption(db);
    parser.addOption(run);
    parser.addOption(start);
    parser.addOption(shots);
    parser.addOption(language);
    parser.addOption(theme);
    parser.process(app);

    if (parser.isSet(theme))
        QSettings().setValue("view/theme", tb::ui::themeName(tb::ui::themeFromName(parser.value(theme))));
    tb::ui::applyTheme(tb::ui::themeFromName(QSettings().value("view/theme", "system").toString()));

    tb::ui::MainWindow window(parser.value(db));
    auto* panel = window.trainingPanel();
    if (parser.isSet(run))
        window.openStartupConfig(parser.value(run));
    window.show();

    // Screenshots of every tab, for documentation and for looking at what the app shows.
    const QString shotDir = parser.value(shots);
    auto settle = [] {
        for (int i = 0; i < 20; ++i) {
            QApplication::processEvents();
            QThread::msleep(10);
        }
    };
    auto takeShots = [&] {
        QDir().mkpath(shotDir);
        const QDir dir(shotDir);
        // Every stored run selected in Run history, so its curves and
        // configuration differences have something to compare.
        auto* history = window.historyPanel();
        QList<qint64> runs;
        for (int row = 0; row < history->table()->rowCount(); ++row)
            if (auto* item = history->table()->item(row, tb::ui::RunHistoryPanel::ColId))
                runs << item->data(Qt::DisplayRole).toLongLong();
        runs.removeAll(0);
        history->selectRuns(runs);
        auto* tabs = window.tabs();
        for (int i = 0; i < tabs->count(); ++i) {
            tabs->setCurrentIndex(i);
            settle();
            const QString name = tabs->tabText(i).remove('&').replace(' ', '_').toLower();
            window.grab().save(dir.filePath(QString("%1-%2.png").arg(i + 1).arg(name)));
        }
        // The second pages: configuration differences, per-example comparison.
        tabs->setCurrentWidget(history);
        history->compareTabs()->setCurrentIndex(history->compareTabs()->count() - 1);
        settle();
        window.grab().save(dir.filePath("6b-run_history_config_diff.png"));
        auto* evaluation = window.evaluationPanel();
        tabs->setCurrentWidget(evaluation);
        evaluation->showExamples(evaluation->scores().tasks.contains("summarize") ? QString("summarize")
                                                                                  : evaluation->scores().tasks.value(0));
        evaluation->exampleView()->setOrder(tb::ui::ExampleOrder::LargestChange);
        settle();
        window.grab().save(dir.filePath("4b-evaluation_examples.png"));
        // What the newest run learned (measured on a worker thread).
        tb::ui::RunDetailsDialog* details = runs.isEmpty() ? nullptr : (history->selectRun(runs.front()), history->openSelected());
        if (!details) {
            QApplication::quit();
            return;
        }
        details->resize(1000, 700);
        details->tabs()->setCurrentWidget(details->inspectionView());
        auto shootDetails = [details, dir] {
            details->grab().save(dir.filePath("6c-run_details_what_it_learned.png"));
            QApplication::quit();
        };
        QObject::connect(details->inspectionView(), &tb::ui::InspectionView::measured, details, [shootDetails] {
            QTimer::singleShot(200, shootDetails);
        });
        QTimer::singleShot(30000, details, shootDetails); // measured never came: shoot what is there
    };
    if (parser.isSet(start)) {
        if (!shotDir.isEmpty())
            QObject::connect(panel, &tb::ui::TrainingPanel::runFinished, &app, [&] { QTimer::singleShot(200, takeShots); });
        QTimer::singleShot(0, &window, [&window] { window.startCurrentConfig(); });
    } else if (!shotDir.isEmpty()) {
        QTimer::singleShot(300, takeShots);
    }
    return app.exec();
}
