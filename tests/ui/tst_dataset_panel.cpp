// The Dataset panel driven through its widgets, offscreen, on real files.
// Files are read on a worker: tests wait for it (WAIT_READ) before looking.
#include "ui/dataset/dataset_panel.h"
#include "ui/dataset/length_histogram.h"
#include "ui/dataset/preview_model.h"
#include "tokenizer/tokenizer.h"

#include <QBarSet>
#include <QComboBox>
#include <QDir>
#include <QDropEvent>
#include <QFile>
#include <QLabel>
#include <QLineSeries>
#include <QLocale>
#include <QMimeData>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTextCursor>
#include <QTextEdit>
#include <QUrl>
#include <QtTest>

#include <algorithm>

using tb::ui::DatasetPanel;
using tb::ui::PreviewModel;

// Reading runs on the panel's worker; the result arrives through the event loop.
#define WAIT_READ(panel) QTRY_VERIFY_WITH_TIMEOUT(!(panel).isReading(), 30000)

namespace {

// Columns of the file table.
enum { FileName, FileFormat, FileRecords, FileProblems, FileShape, FileTasks, FileFolder };

// The locale for numbers the user reads, restored when the test ends.
struct DefaultLocale {
    explicit DefaultLocale(const QLocale& locale) { QLocale::setDefault(locale); }
    ~DefaultLocale() { QLocale::setDefault(previous); }
    QLocale previous;
};

QString write(const QTemporaryDir& dir, const QString& name, const QByteArray& content)
{
    const QString path = dir.filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(content) != content.size())
        qFatal("cannot write %s", qPrintable(path));
    return path;
}

// A drop of local files, as a file manager sends it.
void dropFiles(QWidget* target, const QStringList& paths)
{
    QMimeData mime;
    QList<QUrl> urls;
    for (const QString& p : paths)
        urls << QUrl::fromLocalFile(p);
    mime.setUrls(urls);
    QDragEnterEvent enter(QPoint(5, 5), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(target, &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(QPointF(5, 5), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QCoreApplication::sendEvent(target, &drop);
    QVERIFY(drop.isAccepted());
}

// QTest::mouseDClick sends the double-click event alone; an item view acts on it
// only after the press on the same item, as a real double-click has.
void doubleClick(QAbstractItemView* view, QPoint at)
{
    QTest::mouseClick(view->viewport(), Qt::LeftButton, Qt::NoModifier, at);
    QTest::mouseDClick(view->viewport(), Qt::LeftButton, Qt::NoModifier, at);
}

QString cell(const DatasetPanel& panel, int row, int column)
{
    return panel.previewModel()->index(row, column).data(Qt::UserRole).toString();
}

int rowWithText(const QTableWidget* table, int column, const QString& text)
{
    for (int r = 0; r < table->rowCount(); ++r) {
        if (table->item(r, column) && table->item(r, column)->text() == text)
            return r;
    }
    return -1;
}

const QByteArray kQa = "{\"prompt\": \"Hi\", \"response\": \"Hello\"}\n"
                       "{\"prompt\": \"Bye\", \"response\": \"Goodbye\"}\n"
                       "\n"
                       "{\"prompt\": \"Thanks\", \"response\": \"You are welcome\"}\n";
const QByteArray kSum = "instruction,input,output\r\n"
                        "Add the numbers,2 3,5\r\n"
                        "\"Add, then double\",1 1,4\r\n";

} // namespace

class TestDatasetPanel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void importTwoFilesAsTwoTasks()
    {
        QTemporaryDir dir;
        const QString qa = write(dir, "qa.jsonl", kQa);
        const QString sum = write(dir, "sum.csv", kSum);
        DatasetPanel panel;
        QSignalSpy changed(&panel, &DatasetPanel::dataConfigChanged);
        QVERIFY(panel.showsEmptyState());
        QVERIFY(panel.findChild<QLabel*>("datasetEmptyState")->text().startsWith("Drop JSONL, JSON or CSV files"));
        panel.addFiles({qa});
        dropFiles(&panel, {sum});
        // Announced at once (the window may start a run before the read is done), formats not read yet.
        QCOMPARE(changed.count(), 2);
        QCOMPARE(panel.files(), QStringList({qa, sum}));
        QVERIFY(!panel.showsEmptyState());
        QCOMPARE(panel.dataConfig().train.size(), size_t(2));
        QCOMPARE(panel.dataConfig().train[0].format, std::string("auto"));
        WAIT_READ(panel);
        // Once read, the formats are known: announced once more.
        QCOMPARE(changed.count(), 3);

        // File list: format, records (the blank JSONL line is no record), task = file name.
        auto* files = panel.fileTable();
        QCOMPARE(files->rowCount(), 2);
        QCOMPARE(files->item(0, 1)->text(), QString("jsonl"));
        QCOMPARE(files->item(0, 2)->text(), QString("3"));
        QCOMPARE(files->item(0, 4)->text(), QString("prompt-response"));
        QCOMPARE(files->item(0, 5)->text(), QString("qa"));
        QCOMPARE(files->item(1, 1)->text(), QString("csv"));
        QCOMPARE(files->item(1, 2)->text(), QString("2"));
        QCOMPARE(files->item(1, 4)->text(), QString("alpaca"));
        QCOMPARE(files->item(1, 5)->text(), QString("sum"));
        QCOMPARE(panel.recordCount(), 5);

        // Per-task counts: 3 of 5 = 60%, 2 of 5 = 40%.
        auto* tasks = panel.taskTable();
        QCOMPARE(tasks->rowCount(), 2);
        const int qaRow = rowWithText(tasks, 0, "qa");
        const int sumRow = rowWithText(tasks, 0, "sum");
        QVERIFY(qaRow >= 0 && sumRow >= 0);
        QCOMPARE(tasks->item(qaRow, 1)->text(), QString("3"));
        QCOMPARE(tasks->item(sumRow, 1)->text(), QString("2"));
        QCOMPARE(tasks->item(qaRow, 2)->text(), QString("60.0%"));

        // Preview: file order, the JSONL's third record on line 4, CSV lines 2 and 3.
        auto* model = panel.previewModel();
        QCOMPARE(model->rowCount(), 5);
        QCOMPARE(cell(panel, 0, PreviewModel::Prompt), QString("Hi"));
        QCOMPARE(cell(panel, 0, PreviewModel::Response), QString("Hello"));
        QCOMPARE(cell(panel, 2, PreviewModel::Line), QString("4"));
        QCOMPARE(cell(panel, 2, PreviewModel::Response), QString("You are welcome"));
        QCOMPARE(cell(panel, 4, PreviewModel::File), QString("sum.csv"));
        QCOMPARE(cell(panel, 4, PreviewModel::Line), QString("3"));
        QCOMPARE(cell(panel, 4, PreviewModel::Instruction), QString("Add, then double"));
        QCOMPARE(cell(panel, 4, PreviewModel::Task), QString("sum"));
        QCOMPARE(panel.findChild<QLabel*>("pageLabel")->text(), QString("Page 1 of 1 (rows 1–5 of 5)"));

        // Template on the first record: Stanford Alpaca's no-input prompt, by hand.
        QCOMPARE(panel.renderedText(),
                 QString("Below is an instruction that describes a task. Write a response that appropriately "
                         "completes the request.\n\n### Instruction:\nHi\n\n### Response:Hello"));
        // The response is highlighted, the prompt is not.
        QTextCursor cursor(panel.templateView()->document());
        cursor.movePosition(QTextCursor::End);
        QVERIFY(cursor.charFormat().background().style() != Qt::NoBrush);
        cursor.setPosition(5);
        QCOMPARE(cursor.charFormat().background().style(), Qt::NoBrush);

        panel.templateCombo()->setCurrentIndex(panel.templateCombo()->findData("plain"));
        QCOMPARE(panel.renderedText(), QString("Hi\nHello"));
        // Selecting the CSV record with an input shows that record: ChatML joins instruction and input.
        panel.templateCombo()->setCurrentIndex(panel.templateCombo()->findData("chatml"));
        panel.previewView()->selectRow(3);
        QCOMPARE(panel.renderedText(), QString("<|im_start|>user\nAdd the numbers\n\n2 3<|im_end|>\n"
                                               "<|im_start|>assistant\n5<|im_end|>\n"));

        const auto config = panel.dataConfig();
        QCOMPARE(config.train.size(), size_t(2));
        QCOMPARE(QString::fromStdString(config.train[0].path), qa);
        QCOMPARE(config.train[1].format, std::string("csv"));
        QVERIFY(config.train[0].fields.empty());
        QCOMPARE(config.templateName, std::string("chatml"));
        QCOMPARE(config.maxLength, int64_t(512));
    }

    void pagesOfAHundred()
    {
        QTemporaryDir dir;
        QByteArray content;
        for (int i = 0; i < 250; ++i)
            content += "{\"text\": \"record " + QByteArray::number(i) + "\"}\n";
        DatasetPanel panel;
        panel.addFiles({write(dir, "many.jsonl", content)});
        WAIT_READ(panel);
        auto* model = panel.previewModel();
        auto* next = panel.findChild<QPushButton*>("nextPageButton");
        auto* prev = panel.findChild<QPushButton*>("previousPageButton");
        auto* label = panel.findChild<QLabel*>("pageLabel");
        QCOMPARE(model->pageCount(), 3);
        QCOMPARE(model->rowCount(), 100);
        QVERIFY(!prev->isEnabled());
        QTest::mouseClick(next, Qt::LeftButton);
        QCOMPARE(model->page(), 1);
        QCOMPARE(cell(panel, 0, PreviewModel::Text), QString("record 100"));
        QCOMPARE(cell(panel, 0, PreviewModel::Line), QString("101"));
        QTest::mouseClick(next, Qt::LeftButton);
        QCOMPARE(model->rowCount(), 50);
        QCOMPARE(cell(panel, 49, PreviewModel::Text), QString("record 249"));
        QCOMPARE(label->text(), QString("Page 3 of 3 (rows 201–250 of 250)"));
        QVERIFY(!next->isEnabled());
        QTest::mouseClick(prev, Qt::LeftButton);
        QCOMPARE(model->page(), 1);
    }

    void fieldMappingRereadsTheData()
    {
        QTemporaryDir dir;
        const QString path = write(dir, "quiz.json",
                                   "[\n"
                                   "  {\"question\": \"2+2?\", \"answer\": \"4\", \"category\": \"math\"},\n"
                                   "  {\"question\": \"Capital of France?\", \"answer\": \"Paris\", "
                                   "\"category\": \"geo\"}\n"
                                   "]\n");
        DatasetPanel panel;
        panel.addFiles({path});
        WAIT_READ(panel);
        QCOMPARE(panel.sourceFields(), QStringList({"answer", "category", "question"}));
        // Unknown names start ignored, so no record has a shape yet: two problems, on lines 2 and 3.
        QCOMPARE(panel.recordCount(), 0);
        QCOMPARE(panel.issueTable()->rowCount(), 2);
        QCOMPARE(panel.issueTable()->item(1, 1)->text(), QString("3"));
        QCOMPARE(panel.fileTable()->item(0, 1)->text(), QString("json"));

        QSignalSpy changed(&panel, &DatasetPanel::dataConfigChanged);
        QComboBox* question = panel.fieldCombo("question");
        QComboBox* answer = panel.fieldCombo("answer");
        QVERIFY(question && answer);
        question->setCurrentIndex(question->findData("prompt"));
        answer->setCurrentIndex(answer->findData("response"));
        QCOMPARE(changed.count(), 2);
        WAIT_READ(panel);
        QCOMPARE(changed.count(), 2); // the format was known already
        QCOMPARE(panel.recordCount(), 2);
        QCOMPARE(panel.issueTable()->rowCount(), 0);
        QCOMPARE(cell(panel, 1, PreviewModel::Prompt), QString("Capital of France?"));
        QCOMPARE(cell(panel, 1, PreviewModel::Response), QString("Paris"));
        QCOMPARE(cell(panel, 1, PreviewModel::Task), QString("quiz"));
        QCOMPARE(panel.taskTable()->rowCount(), 1);

        panel.fieldCombo("category")->setCurrentIndex(panel.fieldCombo("category")->findData("task"));
        WAIT_READ(panel);
        QCOMPARE(cell(panel, 1, PreviewModel::Task), QString("geo"));
        QCOMPARE(panel.taskTable()->rowCount(), 2);
        const auto fields = panel.dataConfig().train.at(0).fields;
        const std::map<std::string, std::string> expected = {
            {"question", "prompt"}, {"answer", "response"}, {"category", "task"}};
        QCOMPARE(fields, expected);

        // Ignoring a field core knows by name takes it away: without 'response', no record reads.
        panel.setFieldMapping("answer", "ignore");
        WAIT_READ(panel);
        QCOMPARE(panel.recordCount(), 0);
        QCOMPARE(panel.dataConfig().train.at(0).fields.count("answer"), size_t(0));
    }

    void tokenLengthHistogram()
    {
        QTemporaryDir dir;
        QByteArray content;
        QStringList prompts, responses;
        for (int i = 0; i < 30; ++i) {
            QString words;
            for (int w = 0; w <= i; ++w)
                words += QStringLiteral(" hello world");
            prompts << QStringLiteral("Say it %1 times").arg(i);
            responses << words.trimmed();
            content += "{\"prompt\": \"" + prompts.back().toUtf8() + "\", \"response\": \"" + responses.back().toUtf8()
                       + "\"}\n";
        }
        const QString tokenizerDir = QStringLiteral(TB_FIXTURES_DIR "/tokenizers/llama2-metaspace");
        DatasetPanel panel;
        panel.addFiles({write(dir, "say.jsonl", content)});
        WAIT_READ(panel);
        panel.templateCombo()->setCurrentIndex(panel.templateCombo()->findData("plain"));
        QVERIFY(panel.truncatedBars() == nullptr); // no tokenizer yet
        panel.setTokenizerPath(tokenizerDir);
        QVERIFY2(panel.message().isEmpty(), qPrintable(panel.message()));
        // Counted on a worker: nothing shown until the result is back.
        QTRY_VERIFY(!panel.lengthsPending());

        // Lengths straight from the tokenizer: the plain template's "prompt\nresponse",
        // encoded with the tokenizer's own specials (Llama: BOS first), plus the EOS
        // the trainer appends when the tokenizer has one.
        const auto tokenizer = tb::tok::loadTokenizer(tokenizerDir.toStdString());
        std::vector<size_t> lengths;
        for (int i = 0; i < prompts.size(); ++i) {
            const std::string text = (prompts[i] + "\n" + responses[i]).toStdString();
            lengths.push_back(tokenizer->encode(text, true).size() + (tokenizer->eosId() ? 1 : 0));
        }
        QCOMPARE(panel.tokenLengths(), lengths);

        // Set the truncation point at the median length: 15 of 30 lengths are longer
        // (they grow strictly with i, one "hello world" more per record).
        std::vector<size_t> sorted = lengths;
        std::sort(sorted.begin(), sorted.end());
        QVERIFY(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());
        const size_t limit = sorted[14];
        panel.maxLengthSpin()->setValue(int(limit));
        QCOMPARE(panel.truncatedCount(), 15);
        QVERIFY(panel.findChild<QLabel*>("truncatedLabel")->text().startsWith("15 "));

        // 20 bins of width ceil((max + 1) / 20), each split at the limit.
        const size_t width = (sorted.back() + 1 + 19) / 20;
        QCOMPARE(panel.binWidth(), width);
        QBarSet* kept = panel.keptBars();
        QBarSet* cut = panel.truncatedBars();
        QVERIFY(kept && cut);
        QCOMPARE(kept->count(), 20);
        double shownCut = 0;
        for (int b = 0; b < 20; ++b) {
            size_t inBin = 0, over = 0;
            for (size_t n : lengths) {
                if (n >= size_t(b) * width && n < size_t(b + 1) * width) {
                    ++inBin;
                    over += n > limit ? 1 : 0;
                }
            }
            QCOMPARE(kept->at(b) + cut->at(b), double(inBin));
            QCOMPARE(cut->at(b), double(over));
            shownCut += cut->at(b);
        }
        QCOMPARE(shownCut, 15.0);

        // The truncation line: where the first length past the limit begins, on the bar
        // axis (bar b stands at b and holds the lengths [b * width, (b + 1) * width)).
        QLineSeries* line = panel.histogram()->truncationLine();
        QVERIFY(line);
        QCOMPARE(line->count(), 2);
        QCOMPARE(line->at(0).x(), double(limit + 1) / double(width) - 0.5);
        QCOMPARE(line->at(1).x(), line->at(0).x());
        QCOMPARE(panel.histogram()->truncationBin(), int(limit / width));
        // It moves with the max length: at 16 tokens, in bin 16 / width.
        panel.maxLengthSpin()->setValue(16);
        QCOMPARE(panel.histogram()->truncationBin(), int(16 / width));
        QCOMPARE(panel.histogram()->truncationLine()->at(0).x(), 17.0 / double(width) - 0.5);
        // Past the last bar (20 * width > the longest length) nothing is cut: no line.
        panel.maxLengthSpin()->setValue(int(20 * width));
        QVERIFY(!panel.histogram()->truncationLine());
        QCOMPARE(panel.histogram()->truncationBin(), -1);
        panel.maxLengthSpin()->setValue(int(limit));

        // A template changed while counting restarts the count; the older
        // result, for a template no longer chosen, is never shown.
        QSignalSpy lengthsChanged(&panel, &DatasetPanel::tokenLengthsChanged);
        panel.templateCombo()->setCurrentIndex(panel.templateCombo()->findData("chatml"));
        QVERIFY(panel.lengthsPending());
        QVERIFY(panel.tokenLengths().empty());
        QVERIFY(panel.truncatedBars() == nullptr);
        QCOMPARE(panel.findChild<QLabel*>("truncatedLabel")->text(), QString("Counting token lengths…"));
        panel.templateCombo()->setCurrentIndex(panel.templateCombo()->findData("plain"));
        QTRY_VERIFY(!panel.lengthsPending());
        QCOMPARE(panel.tokenLengths(), lengths);
        QTest::qWait(50); // a late chatml result, if any, would land here
        QCOMPARE(panel.tokenLengths(), lengths);
        QCOMPARE(lengthsChanged.count(), 3); // two restarts, one result

        // A bad tokenizer path is a message, not a crash.
        panel.setTokenizerPath(dir.filePath("nowhere"));
        QVERIFY(!panel.message().isEmpty());
        QVERIFY(panel.tokenLengths().empty());
    }

    void problemsListedAndDoubleClickJumpsToTheRecord()
    {
        QTemporaryDir dir;
        QByteArray many;
        for (int i = 0; i < 150; ++i)
            many += "{\"text\": \"filler " + QByteArray::number(i) + "\"}\n";
        const QString broken = write(dir, "broken.jsonl",
                                     "{\"prompt\": \"a\", \"response\": \"b\"}\n"
                                     "{\"prompt\": \"c\", \"response\": \"d\"}\n"
                                     "{\"prompt\": \"e\", \"response\"\n"
                                     "{\"prompt\": \"f\", \"response\": \"g\"}\n"
                                     "{\"prompt\": \"h\"}\n"
                                     "{\"prompt\": \"i\", \"response\": \"j\"}\n");
        DatasetPanel panel;
        panel.resize(1000, 700);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        panel.addFiles({write(dir, "filler.jsonl", many), broken});
        WAIT_READ(panel);
        QCOMPARE(panel.recordCount(), 154);
        QVERIFY(panel.problemsNote().isEmpty());

        auto* issues = panel.issueTable();
        QCOMPARE(issues->rowCount(), 2);
        QCOMPARE(issues->item(0, 0)->text(), QString("broken.jsonl"));
        QCOMPARE(issues->item(0, 1)->text(), QString("3"));
        QVERIFY(issues->item(0, 3)->text().startsWith("invalid JSON"));
        QCOMPARE(issues->item(1, 1)->text(), QString("5"));
        QCOMPARE(issues->item(1, 2)->text(), QString("response"));
        QVERIFY(issues->item(1, 3)->text().startsWith("missing"));
        QCOMPARE(panel.fileTable()->item(1, 3)->text(), QString("2"));

        // Rows: 150 filler, then broken.jsonl's lines 1..6 (bad ones included) at 150..155:
        // line 5 is row 154, on page 2 (index 1) at row 54.
        panel.tabs()->setCurrentWidget(issues->parentWidget());
        QTest::qWait(0);
        const QRect rect = issues->visualItemRect(issues->item(1, 3));

        doubleClick(issues, rect.center());
        auto* model = panel.previewModel();
        QCOMPARE(model->page(), 1);
        const QModelIndex current = panel.previewView()->currentIndex();
        QCOMPARE(current.row(), 54);
        QVERIFY(panel.previewView()->selectionModel()->isRowSelected(54, {}));
        QCOMPARE(cell(panel, 54, PreviewModel::Line), QString("5"));
        QCOMPARE(cell(panel, 54, PreviewModel::File), QString("broken.jsonl"));
        QVERIFY(cell(panel, 54, PreviewModel::Problem).contains("response"));
        QCOMPARE(panel.tabs()->currentIndex(), 0);

        // Line 3 too; the neighbours are the records that did read.
        doubleClick(issues, issues->visualItemRect(issues->item(0, 3)).center());
        QCOMPARE(panel.previewView()->currentIndex().row(), 52);
        QCOMPARE(cell(panel, 53, PreviewModel::Prompt), QString("f"));
    }

    void unreadableInputIsAMessageNotACrash()
    {
        QTemporaryDir dir;
        DatasetPanel panel;
        panel.addFiles({write(dir, "notes.txt", "just some words\n"), dir.filePath("missing.jsonl"),
                        write(dir, "open.json", "[{\"text\": \"a\"},\n {\"text\": \"b\"\n")});
        WAIT_READ(panel);
        QCOMPARE(panel.fileTable()->rowCount(), 3);
        // An unterminated array is broken as a whole: no records, one problem at the element that never closes.
        QCOMPARE(panel.recordCount(), 0);
        QCOMPARE(panel.issueTable()->rowCount(), 3);
        QVERIFY(panel.issueTable()->item(0, 3)->text().contains("cannot tell the format"));
        QVERIFY(panel.issueTable()->item(1, 3)->text().contains("cannot open"));
        QCOMPARE(panel.issueTable()->item(2, 1)->text(), QString("2"));
        QCOMPARE(panel.fileTable()->item(0, 1)->text(), QString("unknown"));
    }

    void runConfigurationRoundTrip()
    {
        // quiz.json: question/answer/category (names the readers do not know); sums.csv: Alpaca columns.
        QTemporaryDir dir;
        const QString quiz = write(dir, "quiz.json",
                                   "[{\"question\": \"2+2?\", \"answer\": \"4\", \"category\": \"math\"},\n"
                                   " {\"question\": \"Capital of France?\", \"answer\": \"Paris\", "
                                   "\"category\": \"geo\"}]\n");
        const QString sums = write(dir, "sums.csv", kSum);
        const std::map<std::string, std::string> fields = {{"answer", "response"}, {"question", "prompt"}};
        tb::train::DataConfig data;
        data.train.push_back({quiz.toStdString(), "", "json", fields});
        data.train.push_back({sums.toStdString(), "arithmetic", "auto", fields});
        data.templateName = "chatml";
        data.maxLength = 64;

        DatasetPanel panel;
        panel.addFiles({write(dir, "old.jsonl", kQa)}); // replaced by the configuration's files
        WAIT_READ(panel);
        QSignalSpy changed(&panel, &DatasetPanel::dataConfigChanged);
        panel.setDataConfig(data);
        auto check = [&](const tb::train::DataConfig& got) {
            QCOMPARE(got.train.size(), size_t(2));
            for (size_t i = 0; i < 2; ++i) {
                QCOMPARE(got.train[i].path, data.train[i].path);
                QCOMPARE(got.train[i].fields, fields);
                QCOMPARE(got.train[i].format, data.train[i].format);
                QCOMPARE(got.train[i].task, data.train[i].task);
            }
            QCOMPARE(got.templateName, std::string("chatml"));
            QCOMPARE(got.maxLength, int64_t(64));
        };
        check(panel.dataConfig());
        QVERIFY(!QTest::currentTestFailed());
        QCOMPARE(panel.files(), QStringList({quiz, sums}));
        WAIT_READ(panel);
        check(panel.dataConfig());
        QVERIFY(!QTest::currentTestFailed());
        QCOMPARE(changed.count(), 0); // showing a configuration changes nothing in it

        // What shows: the mapping in the combos, the template, the length, and the records
        // it reads: quiz's 2 (as prompt/response), sums' 2 under the configured task.
        QCOMPARE(panel.fieldMapping("question"), QString("prompt"));
        QCOMPARE(panel.fieldCombo("answer")->currentData().toString(), QString("response"));
        QCOMPARE(panel.fieldMapping("category"), QString("ignore"));
        QCOMPARE(panel.templateCombo()->currentData().toString(), QString("chatml"));
        QCOMPARE(panel.maxLengthSpin()->value(), 64);
        QCOMPARE(panel.recordCount(), 4);
        QCOMPARE(cell(panel, 1, PreviewModel::Prompt), QString("Capital of France?"));
        QCOMPARE(cell(panel, 3, PreviewModel::Task), QString("arithmetic"));
        QVERIFY(panel.renderedText().startsWith("<|im_start|>user\n2+2?"));

        // The user's own change after that is announced.
        panel.maxLengthSpin()->setValue(128);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(panel.dataConfig().maxLength, int64_t(128));
    }

    void removeAFileAndSeeItsFolder()
    {
        QTemporaryDir dir;
        const QString qa = write(dir, "qa.jsonl", kQa);
        const QString sum = write(dir, "sum.csv", kSum);
        DatasetPanel panel;
        panel.addFiles({qa, sum});
        QCOMPARE(panel.busyText(), QString("Reading 2 files…"));
        WAIT_READ(panel);
        auto* files = panel.fileTable();
        QCOMPARE(files->item(0, FileFolder)->text(), QDir::toNativeSeparators(dir.path()));
        QCOMPARE(files->item(0, FileName)->toolTip(), QDir::toNativeSeparators(qa));
        QCOMPARE(panel.recordCount(), 5); // 3 + 2

        // The Delete key on the selected row takes qa.jsonl off: sum.csv's 2 records are left.
        QSignalSpy changed(&panel, &DatasetPanel::dataConfigChanged);
        files->selectRow(0);
        QTest::keyClick(files, Qt::Key_Delete);
        QCOMPARE(panel.files(), QStringList({sum}));
        QCOMPARE(changed.count(), 1);
        QCOMPARE(panel.dataConfig().train.size(), size_t(1));
        WAIT_READ(panel);
        QCOMPARE(panel.recordCount(), 2);
        QCOMPARE(files->rowCount(), 1);
        QCOMPARE(panel.previewModel()->totalRows(), 2);
        QCOMPARE(cell(panel, 0, PreviewModel::File), QString("sum.csv"));

        // The last one too (by the Remove button): the guidance line stands in for the tables.
        files->selectRow(0);
        QTest::mouseClick(panel.findChild<QPushButton*>("removeFileButton"), Qt::LeftButton);
        QVERIFY(panel.files().isEmpty());
        QVERIFY(panel.showsEmptyState());
        QCOMPARE(panel.recordCount(), 0);
    }

    void selectingAFileFiltersThePreview()
    {
        QTemporaryDir dir;
        QByteArray many;
        for (int i = 0; i < 120; ++i)
            many += "{\"text\": \"line " + QByteArray::number(i) + "\"}\n";
        const QString qa = write(dir, "qa.jsonl", kQa);
        DatasetPanel panel;
        panel.addFiles({qa, write(dir, "many.jsonl", many)});
        WAIT_READ(panel);
        auto* model = panel.previewModel();
        auto* label = panel.findChild<QLabel*>("pageLabel");
        QCOMPARE(model->totalRows(), 123); // qa's 3 records + 120
        QCOMPARE(model->pageCount(), 2);

        panel.fileTable()->selectRow(1);
        QCOMPARE(model->totalRows(), 120);
        QCOMPARE(model->pageCount(), 2);
        QCOMPARE(cell(panel, 0, PreviewModel::Text), QString("line 0"));

        panel.fileTable()->selectRow(0);
        QCOMPARE(panel.shownFile(), qa);
        QCOMPARE(model->totalRows(), 3);
        QCOMPARE(model->pageCount(), 1);
        QCOMPARE(label->text(), QString("Page 1 of 1 (rows 1–3 of 3)"));
        QVERIFY(!panel.findChild<QPushButton*>("nextPageButton")->isEnabled());
        // The template shows the first record of the file shown.
        QVERIFY(panel.renderedText().contains("Hi"));

        // A re-read (a mapping change) keeps the file shown.
        panel.setFieldMapping("text", "ignore");
        WAIT_READ(panel);
        QCOMPARE(panel.shownFile(), qa);
        QCOMPARE(model->totalRows(), 3);

        // "Show all files" clears the selection.
        auto* all = panel.findChild<QPushButton*>("showAllFilesButton");
        QVERIFY(!all->isHidden());
        QTest::mouseClick(all, Qt::LeftButton);
        QVERIFY(panel.shownFile().isEmpty());
        QVERIFY(panel.fileTable()->selectedItems().isEmpty());
        QCOMPARE(model->totalRows(), 123); // many.jsonl's 120 lines now fail (text ignored): still rows
    }

    void emptyColumnsAreHidden()
    {
        // empty_input.csv: the input column is empty in both rows; full.csv has one.
        QTemporaryDir dir;
        const QString empty = write(dir, "empty_input.csv", "instruction,input,output\nSay hi,,hi\nSay bye,,bye\n");
        DatasetPanel panel;
        panel.addFiles({empty, write(dir, "full.csv", kSum)});
        WAIT_READ(panel);
        QTableView* view = panel.previewView();
        QVERIFY(!view->isColumnHidden(PreviewModel::Input)); // full.csv has inputs
        QVERIFY(view->isColumnHidden(PreviewModel::Prompt)); // no record has a prompt
        QVERIFY(view->isColumnHidden(PreviewModel::Problem));
        QVERIFY(panel.hiddenFields().isEmpty()); // no source field is empty in every record

        panel.fileTable()->selectRow(0);
        QCOMPARE(panel.previewModel()->totalRows(), 2);
        QVERIFY(view->isColumnHidden(PreviewModel::Input));
        QVERIFY(!view->isColumnHidden(PreviewModel::Instruction));
        QVERIFY(!view->isColumnHidden(PreviewModel::Output));
        QCOMPARE(panel.hiddenFields(), QStringList({"input"}));
        auto* note = panel.findChild<QLabel*>("hiddenFieldsLabel");
        QVERIFY(!note->isHidden());
        QVERIFY(note->text().contains("input"));
    }

    void noProblemsFoundIsSaid()
    {
        QTemporaryDir dir;
        DatasetPanel panel;
        panel.addFiles({write(dir, "qa.jsonl", kQa)});
        WAIT_READ(panel);
        QCOMPARE(panel.problemsNote(), QString("No problems found (records read: 3)."));
        QVERIFY(!panel.findChild<QLabel*>("problemsNote")->isHidden());
        QVERIFY(panel.issueTable()->isHidden());
    }

    void readingABigFileReturnsAtOnce()
    {
        QTemporaryDir dir;
        QByteArray content;
        for (int i = 0; i < 20000; ++i)
            content += "{\"prompt\": \"question " + QByteArray::number(i) + "\", \"response\": \"answer\"}\n";
        const QString path = write(dir, "big.jsonl", content);
        DatasetPanel panel;
        QSignalSpy finished(&panel, &DatasetPanel::readFinished);
        panel.addFiles({path});
        // Back in the caller before a single record is read: the worker reads.
        QVERIFY(panel.isBusy());
        QVERIFY(panel.isReading());
        QCOMPARE(panel.recordCount(), 0);
        QCOMPARE(panel.busyText(), QString("Reading 1 file…"));
        QVERIFY(!panel.findChild<QLabel*>("busyLabel")->isHidden());
        QCOMPARE(panel.fileTable()->item(0, FileFormat)->text(), QString("reading…"));
        QVERIFY(finished.wait(30000));
        QVERIFY(!panel.isBusy());
        QVERIFY(panel.busyText().isEmpty());
        QCOMPARE(panel.recordCount(), 20000);
        QCOMPARE(finished.count(), 1);

        // Reads superseded while running are dropped: only the newest result is shown, once.
        finished.clear();
        panel.addFiles({write(dir, "qa.jsonl", kQa)});
        panel.removeFile(path);
        WAIT_READ(panel);
        QCOMPARE(finished.count(), 1);
        QCOMPARE(panel.recordCount(), 3);
    }

    void germanNumbers()
    {
        const DefaultLocale german(QLocale(QLocale::German, QLocale::Germany));
        QTemporaryDir dir;
        QByteArray big, small;
        for (int i = 0; i < 1234; ++i)
            big += "{\"text\": \"a " + QByteArray::number(i) + "\"}\n";
        for (int i = 0; i < 766; ++i)
            small += "{\"text\": \"b " + QByteArray::number(i) + "\"}\n";
        DatasetPanel panel;
        panel.addFiles({write(dir, "big.jsonl", big), write(dir, "small.jsonl", small)});
        WAIT_READ(panel);
        QCOMPARE(panel.fileTable()->item(0, FileRecords)->text(), QString("1.234"));
        // 1234 of 2000 records: 61.7%, written 61,7.
        auto* tasks = panel.taskTable();
        const int bigRow = rowWithText(tasks, 0, "big");
        QVERIFY(bigRow >= 0);
        QCOMPARE(tasks->item(bigRow, 2)->text(), QString("61,7%"));
        QCOMPARE(panel.findChild<QLabel*>("pageLabel")->text(), QString("Page 1 of 20 (rows 1–100 of 2.000)"));
    }
};

QTEST_MAIN(TestDatasetPanel)
#include "tst_dataset_panel.moc"
