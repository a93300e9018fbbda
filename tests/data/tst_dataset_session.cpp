// The Dataset panel's session, headless: counts, problems with file and line,
// preview rows, field mapping, a record in its template, and token lengths and
// histogram bins of a hand-made dataset. Expected values are worked out by hand
// from the fixture files (tests/fixtures/data) and, for token counts, from the
// GPT-2 reference ids stored in tests/fixtures/tokenizers/gpt2/expected.jsonl.
#include <string>
#include <vector>

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include "data/dataset_session.h"
#include "tokenizer/tokenizer.h"

using namespace tb::data;

namespace {

std::string fixture(const char* name) { return std::string(TB_FIXTURES_DIR "/data/") + name; }

std::string write(const QTemporaryDir& dir, const QString& name, const QByteArray& content)
{
    const QString path = dir.filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(content) != content.size())
        qFatal("cannot write %s", qPrintable(path));
    return path.toStdString();
}

std::string joined(const RenderedRecord& r, bool lossOnly)
{
    std::string s;
    for (const Segment& seg : r.segments) {
        if (!lossOnly || seg.loss)
            s += seg.text;
    }
    return s;
}

} // namespace

class TestDatasetSession : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void countsTasksAndProblemsOfTwoFiles()
    {
        // alpaca.jsonl: records on lines 1, 2, 4 (line 3 blank), line 2's task is
        // "translate". bad_output.jsonl: lines 1 and 2 read, line 3's output is a number.
        DatasetSession session;
        QVERIFY(session.addFiles({fixture("alpaca.jsonl"), fixture("bad_output.jsonl"), ""}));
        QVERIFY(!session.addFiles({fixture("alpaca.jsonl")})); // already there
        QCOMPARE(session.files().size(), size_t(2));
        QCOMPARE(session.recordCount(), size_t(0)); // nothing read yet
        session.reload();
        QCOMPARE(session.recordCount(), size_t(5));

        const auto summaries = session.fileSummaries();
        QCOMPARE(summaries.size(), size_t(2));
        QCOMPARE(summaries[0].format, FileFormat::Jsonl);
        QCOMPARE(summaries[0].records, size_t(3));
        QCOMPARE(summaries[0].problems, size_t(0));
        QCOMPARE(summaries[0].shapes, std::vector<std::string>{"alpaca"});
        QCOMPARE(summaries[0].tasks, (std::vector<std::string>{"alpaca", "translate"}));
        QCOMPARE(summaries[1].records, size_t(2));
        QCOMPARE(summaries[1].problems, size_t(1));
        QCOMPARE(summaries[1].tasks, std::vector<std::string>{"bad_output"});

        // 2 + 2 + 1 of 5 records.
        const auto tasks = session.taskCounts();
        QCOMPARE(tasks.size(), size_t(3));
        QCOMPARE(tasks[0].task, std::string("alpaca"));
        QCOMPARE(tasks[0].records, size_t(2));
        QCOMPARE(tasks[0].share, 0.4);
        QCOMPARE(tasks[1].task, std::string("bad_output"));
        QCOMPARE(tasks[1].records, size_t(2));
        QCOMPARE(tasks[2].task, std::string("translate"));
        QCOMPARE(tasks[2].share, 0.2);

        const auto problems = session.problems();
        QCOMPARE(problems.size(), size_t(1));
        QCOMPARE(problems[0].file, size_t(1));
        QCOMPARE(problems[0].issue.line, size_t(3));
        QCOMPARE(problems[0].issue.field, std::string("output"));
        QVERIFY(problems[0].issue.message.find("expected a string, found number") != std::string::npos);

        // Preview: alpaca.jsonl's lines 1, 2, 4; bad_output.jsonl's lines 1, 2 and the bad line 3.
        const auto rows = session.previewEntries();
        QCOMPARE(rows.size(), size_t(6));
        QCOMPARE(rows[2].file, size_t(0));
        QCOMPARE(rows[2].line, size_t(4));
        QCOMPARE(rows[2].record, std::optional<size_t>(2));
        QCOMPARE(rows[5].file, size_t(1));
        QCOMPARE(rows[5].line, size_t(3));
        QVERIFY(!rows[5].record);
        QCOMPARE(rows[5].issue, std::optional<size_t>(0));

        QCOMPARE(session.lineOf({0, 2}), size_t(4));
        QCOMPARE(session.record({0, 1})->output, std::string("Bonjour"));
        QVERIFY(session.record({1, 2}) == nullptr);
        QVERIFY(session.record({2, 0}) == nullptr);
        QCOMPARE(session.firstRecord()->file, size_t(0));

        session.clearFiles();
        session.reload();
        QCOMPARE(session.recordCount(), size_t(0));
        QVERIFY(!session.firstRecord());
        QVERIFY(session.taskCounts().empty());
    }

    void unreadableFileIsAProblemOnLineZero()
    {
        QTemporaryDir dir;
        DatasetSession session;
        session.addFiles({dir.filePath("missing.jsonl").toStdString()});
        session.reload();
        QCOMPARE(session.recordCount(), size_t(0));
        const auto problems = session.problems();
        QCOMPARE(problems.size(), size_t(1));
        QCOMPARE(problems[0].issue.line, size_t(0));
        QVERIFY(problems[0].issue.message.find("cannot open") != std::string::npos);
        QVERIFY(session.previewEntries().empty()); // a whole-file problem has no row
        QCOMPARE(session.fileSummaries()[0].format, FileFormat::Auto);
    }

    void fieldMappingDecidesWhatReads()
    {
        // qa.jsonl: question/answer/category, none a name the readers know.
        DatasetSession session;
        session.addFiles({fixture("qa.jsonl")});
        session.reload();
        QCOMPARE(session.sourceFields(), (std::vector<std::string>{"answer", "category", "question"}));
        QCOMPARE(session.fieldMapping("question"), kIgnoreField);
        QCOMPARE(session.fieldMapping("nosuch"), std::string());
        QCOMPARE(session.recordCount(), size_t(0));
        QCOMPARE(session.problems().size(), size_t(2));

        QVERIFY(!session.setFieldMapping("nosuch", "prompt"));
        QVERIFY(!session.setFieldMapping("question", "colour"));
        QVERIFY(session.setFieldMapping("question", "prompt"));
        QVERIFY(!session.setFieldMapping("question", "prompt")); // unchanged
        QVERIFY(session.setFieldMapping("answer", "response"));
        QVERIFY(session.setFieldMapping("category", "task"));
        // Ignored unknown names need no entry.
        QCOMPARE(session.coreFieldMap(), (std::map<std::string, std::string>{
                                             {"answer", "response"}, {"category", "task"}, {"question", "prompt"}}));
        session.reload();
        QCOMPARE(session.recordCount(), size_t(2));
        QCOMPARE(session.problems().size(), size_t(0));
        QCOMPARE(session.record({0, 0})->prompt, std::string("Capital of France?"));
        QCOMPARE(session.record({0, 1})->task, std::string("math"));
        QCOMPARE(session.taskCounts().size(), size_t(2));

        // A result read for another list of files is refused.
        const LoadedFiles stale = readFiles({fixture("alpaca.jsonl")}, session.readOptions());
        QVERIFY(!session.adopt(stale));
        QVERIFY(!session.adopt(nullptr));
        QCOMPARE(session.recordCount(), size_t(2));
    }

    void templateRendering()
    {
        DatasetSession session;
        session.addFiles({fixture("alpaca.jsonl"), fixture("chat.json")});
        session.reload();
        // Plain: the instruction, "\n\n" and the input, then "\n" and the output (template.h).
        session.setTemplateKind(TemplateKind::Plain);
        const RenderedRecord plain = session.render({0, 1});
        QVERIFY2(plain.error.empty(), plain.error.c_str());
        QCOMPARE(joined(plain, false), std::string("Translate to French.\n\nGood morning\nBonjour"));
        QCOMPARE(joined(plain, true), std::string("Bonjour"));

        // Alpaca has no place for chat.json's system prompt: an error, not an exception.
        session.setTemplateKind(TemplateKind::Alpaca);
        const RenderedRecord chat = session.render({1, 0});
        QVERIFY(!chat.error.empty());
        QVERIFY(chat.segments.empty());
        QVERIFY(!session.render({5, 0}).error.empty());
    }

    void tokenLengthsAndHistogram()
    {
        // Texts whose GPT-2 ids are stored in gpt2/expected.jsonl (from HF tokenizers):
        // 2, 6, 2, 5, 6 and 1 ids. Text records under any template are the text as is;
        // GPT-2 adds no BOS, and the trainer appends EOS (<|endoftext|>): one more each.
        QTemporaryDir dir;
        const std::string path = write(dir, "lengths.jsonl",
                                       "{\"text\": \"Hello world\"}\n"
                                       "{\"text\": \"Hello World HELLO world hello\"}\n"
                                       "{\"text\": \" leading space\"}\n"
                                       "{\"text\": \"   three leading spaces\"}\n"
                                       "{\"text\": \"trailing spaces   \"}\n"
                                       "{\"text\": \"\\n\"}\n");
        const auto tokenizer = tb::tok::loadTokenizer(TB_FIXTURES_DIR "/tokenizers/gpt2");
        DatasetSession session;
        session.addFiles({path});
        session.reload();
        session.setTemplateKind(TemplateKind::Plain);
        const TokenLengths lengths = session.tokenLengths(*tokenizer);
        QVERIFY2(lengths.error.empty(), lengths.error.c_str());
        const std::vector<size_t> expected = {3, 7, 3, 6, 7, 2};
        QCOMPARE(lengths.lengths, expected);

        // 4 bins of width ceil((7 + 1) / 4) = 2: [0,2) none, [2,4) 3 3 2, [4,6) none,
        // [6,8) 7 6 7. Past 6 tokens: the two 7s, both in the last bin.
        const LengthHistogram h = lengthHistogram(lengths.lengths, 6, 4);
        QCOMPARE(h.binWidth, size_t(2));
        QCOMPARE(h.bins.size(), size_t(4));
        const std::vector<size_t> counts = {h.bins[0].count, h.bins[1].count, h.bins[2].count, h.bins[3].count};
        QCOMPARE(counts, (std::vector<size_t>{0, 3, 0, 3}));
        QCOMPARE(h.bins[3].lo, size_t(6));
        QCOMPARE(h.bins[3].hi, size_t(8));
        QCOMPARE(h.truncatedInBin, (std::vector<size_t>{0, 0, 0, 2}));
        QCOMPARE(h.truncated, size_t(2));

        // Limit 2: everything but the "\n" record is cut.
        QCOMPARE(lengthHistogram(lengths.lengths, 2, 4).truncated, size_t(5));
        const LengthHistogram none = lengthHistogram({}, 6, 4);
        QCOMPARE(none.binWidth, size_t(0));
        QVERIFY(none.bins.empty());

        // Cancelled before it starts: nothing measured.
        tb::RunControl control;
        control.cancel();
        const TokenLengths cancelled = session.tokenLengths(*tokenizer, &control);
        QVERIFY(cancelled.cancelled);
        QVERIFY(cancelled.lengths.empty());
    }

    void tokenLengthErrorIsReported()
    {
        // chat.json's first record has a system prompt, which Alpaca cannot render.
        const auto tokenizer = tb::tok::loadTokenizer(TB_FIXTURES_DIR "/tokenizers/gpt2");
        DatasetSession session;
        session.addFiles({fixture("chat.json")});
        session.reload();
        const TokenLengths lengths = session.tokenLengths(*tokenizer);
        QVERIFY(!lengths.error.empty());
        QVERIFY(lengths.lengths.empty());
    }

    void mappingAndFileOptionsFromARunConfiguration()
    {
        // A mapping set before anything is read (restoring a RUN.json) decides the first read:
        // qa.jsonl's question/answer become prompt/response; category stays ignored (no entry).
        DatasetSession session;
        const std::map<std::string, std::string> map = {{"answer", "response"}, {"question", "prompt"},
                                                        {"colour", "hue"}}; // unknown target: dropped
        session.setCoreFieldMap(map);
        QCOMPARE(session.coreFieldMap(),
                 (std::map<std::string, std::string>{{"answer", "response"}, {"question", "prompt"}}));
        session.addFiles({fixture("qa.jsonl"), fixture("alpaca.jsonl")});
        // A file's own task replaces the file name as the task of records without one.
        session.setFileOptions(fixture("qa.jsonl"), {FileFormat::Jsonl, "quiz"});
        QCOMPARE(session.filesToRead()[0].options.task, std::string("quiz"));
        QCOMPARE(session.filesToRead()[0].options.format, FileFormat::Jsonl);
        QCOMPARE(session.filesToRead()[1].options.task, std::string());
        session.reload();
        QCOMPARE(session.fieldMapping("category"), kIgnoreField);
        QCOMPARE(session.fieldMapping("question"), std::string("prompt"));
        // qa.jsonl: 2 records, task quiz; alpaca.jsonl: 3 records (README: lines 1, 2, 4).
        QCOMPARE(session.recordCount(), size_t(5));
        QCOMPARE(session.record({0, 1})->task, std::string("quiz"));
        QCOMPARE(session.coreFieldMap(),
                 (std::map<std::string, std::string>{{"answer", "response"}, {"question", "prompt"}}));

        // Removing a file takes it and its options off the list; the next read drops its records.
        QVERIFY(session.removeFile(fixture("qa.jsonl")));
        QVERIFY(!session.removeFile(fixture("qa.jsonl")));
        QCOMPARE(session.files(), std::vector<std::string>{fixture("alpaca.jsonl")});
        QCOMPARE(session.fileOptions(fixture("qa.jsonl")).task, std::string());
        session.reload();
        QCOMPARE(session.recordCount(), size_t(3));

        QCOMPARE(formatFromName("csv"), std::optional<FileFormat>(FileFormat::Csv));
        QCOMPARE(formatFromName("json"), std::optional<FileFormat>(FileFormat::JsonArray));
        QVERIFY(!formatFromName("xml"));
    }
};

QTEST_APPLESS_MAIN(TestDatasetSession)
#include "tst_dataset_session.moc"
