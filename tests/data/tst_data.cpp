// The dataset layer against hand-worked values: CSV edge cases, the Stanford
// Alpaca prompt text (tatsu-lab/stanford_alpaca train.py, PROMPT_DICT), ChatML
// strings, label masks for a one-id-per-byte tokenizer, mixing shares computed
// by hand, and error messages that name file, line and field.
#include <algorithm>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include <QtTest>

#include "common/error.h"
#include "data/batches.h"
#include "data/csv.h"
#include "data/dataset.h"
#include "data/mixing.h"
#include "data/split.h"
#include "data/stats.h"
#include "data/template.h"
#include "data/tokenized.h"

using namespace tb::data;
using tb::tok::TokenId;

namespace {

constexpr TokenId kBos = 1;
constexpr TokenId kEos = 2;
constexpr TokenId X = kIgnoreIndex;

// One id per byte (byte + 3), BOS 1, EOS 2: every boundary is exact, so the
// expected ids and labels can be written down by hand.
class ByteTokenizer : public tb::tok::Tokenizer {
public:
    explicit ByteTokenizer(bool addsBos = true, bool hasBos = true) : m_addsBos(addsBos), m_hasBos(hasBos) {}
    std::vector<TokenId> encode(std::string_view text, bool addSpecial) const override
    {
        std::vector<TokenId> ids;
        if (addSpecial && m_addsBos)
            ids.push_back(kBos);
        for (unsigned char c : text)
            ids.push_back(TokenId(c) + 3);
        return ids;
    }
    std::string decode(const std::vector<TokenId>& ids, bool) const override
    {
        std::string s;
        for (TokenId id : ids) {
            if (id >= 3)
                s += char(id - 3);
        }
        return s;
    }
    int64_t vocabSize() const override { return 259; }
    std::optional<TokenId> bosId() const override { return m_hasBos ? std::optional<TokenId>(kBos) : std::nullopt; }
    std::optional<TokenId> eosId() const override { return kEos; }
    std::optional<TokenId> tokenToId(std::string_view) const override { return std::nullopt; }
    std::string idToToken(TokenId id) const override { return std::to_string(id); }
    std::string kind() const override { return "test-bytes"; }

private:
    bool m_addsBos;
    bool m_hasBos;
};

std::string fixture(const std::string& name)
{
    return std::string(TB_FIXTURES_DIR) + "/data/" + name;
}

QString q(const std::string& s)
{
    return QString::fromStdString(s);
}

template <typename T>
QString show(const std::vector<T>& v)
{
    QStringList parts;
    for (const auto& x : v)
        parts << QString::number(x);
    return "[" + parts.join(",") + "]";
}

std::vector<TokenId> bytes(const std::string& s)
{
    std::vector<TokenId> ids;
    for (unsigned char c : s)
        ids.push_back(TokenId(c) + 3);
    return ids;
}

std::vector<TokenId> masked(size_t n)
{
    return std::vector<TokenId>(n, kIgnoreIndex);
}

std::vector<TokenId> cat(std::initializer_list<std::vector<TokenId>> parts)
{
    std::vector<TokenId> out;
    for (const auto& p : parts)
        out.insert(out.end(), p.begin(), p.end());
    return out;
}

// The message of the tb::Error that F throws; fails the test if none.
template <typename F>
std::string errorOf(F&& f)
{
    try {
        f();
    } catch (const tb::Error& e) {
        return e.what();
    }
    return "<no error>";
}

#define CHECK_ERROR_CONTAINS(expr, ...)                                                                            \
    do {                                                                                                           \
        const std::string message = errorOf([&] { (void)(expr); });                                                \
        for (const char* part : {__VA_ARGS__}) {                                                                   \
            if (message.find(part) == std::string::npos)                                                           \
                QFAIL(qPrintable(QString("error \"%1\" lacks \"%2\"").arg(q(message), QString(part))));            \
        }                                                                                                          \
    } while (0)

Example exampleOf(std::vector<TokenId> ids, std::vector<TokenId> labels, std::string task = "t")
{
    Example ex;
    ex.ids = std::move(ids);
    ex.labels = std::move(labels);
    ex.task = std::move(task);
    return ex;
}

Sequence sequenceOf(size_t length, TokenId first, std::vector<size_t> starts = {0})
{
    Sequence s;
    for (size_t i = 0; i < length; ++i) {
        s.ids.push_back(first + TokenId(i));
        s.labels.push_back(first + TokenId(i));
    }
    s.starts = std::move(starts);
    return s;
}

} // namespace

class TestData : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // --- CSV ---------------------------------------------------------------
    void csvQuotedFieldsHoldCommasNewlinesAndQuotes()
    {
        const auto rows = parseCsv("a,b\r\n\"x,1\",\"y\"\"z\"\r\n\"multi\nline\",\n", "t.csv");
        QCOMPARE(rows.size(), size_t(3));
        QCOMPARE(rows[0].fields, (std::vector<std::string>{"a", "b"}));
        QCOMPARE(rows[1].fields, (std::vector<std::string>{"x,1", "y\"z"}));
        QCOMPARE(rows[2].fields, (std::vector<std::string>{"multi\nline", ""}));
        QCOMPARE(rows[0].line, size_t(1));
        QCOMPARE(rows[1].line, size_t(2));
        QCOMPARE(rows[2].line, size_t(3));
    }

    void csvSkipsBomAndEmptyLinesAndKeepsLastRowWithoutNewline()
    {
        const auto rows = parseCsv("\xEF\xBB\xBFh1,h2\n\n1,2\n\n3,\"\"", "t.csv");
        QCOMPARE(rows.size(), size_t(3));
        QCOMPARE(rows[0].fields, (std::vector<std::string>{"h1", "h2"}));
        QCOMPARE(rows[1].fields, (std::vector<std::string>{"1", "2"}));
        QCOMPARE(rows[1].line, size_t(3));
        QCOMPARE(rows[2].fields, (std::vector<std::string>{"3", ""}));
        QCOMPARE(rows[2].line, size_t(5));
    }

    void csvKeepsAQuoteInsideAnUnquotedFieldLiterally()
    {
        const auto rows = parseCsv("a 5\" screen,b\n", "t.csv");
        QCOMPARE(rows.size(), size_t(1));
        QCOMPARE(rows[0].fields, (std::vector<std::string>{"a 5\" screen", "b"}));
    }

    void csvErrorsNameFileAndLine()
    {
        CHECK_ERROR_CONTAINS(parseCsv("h\nok\n\"open\nstill open", "t.csv"), "t.csv:3:", "unterminated",
                             "end of file");
        CHECK_ERROR_CONTAINS(parseCsv("h1,h2\n\"a\"x,b\n", "t.csv"), "t.csv:2:", "column 1",
                             "expected ',' or end of line after a closing quote, found 'x'");
        CHECK_ERROR_CONTAINS(parseCsv("h1,h2\na,\xff\n", "t.csv"), "t.csv:2:", "column 2", "UTF-8");
    }

    // --- Reading records ---------------------------------------------------
    void readsAlpacaJsonlWithLineNumbersAndTasks()
    {
        const auto records = readDataset(fixture("alpaca.jsonl"));
        QCOMPARE(records.size(), size_t(3));
        QCOMPARE(records[0].shape, RecordShape::Alpaca);
        QCOMPARE(q(records[0].instruction), QString("Give three tips for staying healthy."));
        QCOMPARE(q(records[0].input), QString());
        QCOMPARE(q(records[0].output), QString("Eat well, exercise, sleep."));
        QCOMPARE(q(records[0].task), QString("alpaca")); // the file name: each file its own task
        QCOMPARE(q(records[1].task), QString("translate"));
        QCOMPARE(q(records[1].input), QString("Good morning"));
        QVERIFY(records[2].origin.size() > 2);
        QVERIFY(q(records[2].origin).endsWith("alpaca.jsonl:4")); // line 3 is blank
    }

    void callerTaskAppliesWhereRecordsHaveNone()
    {
        ReadOptions options;
        options.task = "general";
        const auto records = readDataset(fixture("alpaca.jsonl"), options);
        QCOMPARE(q(records[0].task), QString("general"));
        QCOMPARE(q(records[1].task), QString("translate"));
        QCOMPARE(q(records[2].task), QString("general"));
    }

    void readsChatJsonArray()
    {
        const auto records = readDataset(fixture("chat.json"));
        QCOMPARE(records.size(), size_t(2));
        QCOMPARE(records[0].shape, RecordShape::Chat);
        QCOMPARE(records[0].messages.size(), size_t(3));
        QCOMPARE(q(records[0].messages[0].role), QString("system"));
        QCOMPARE(q(records[0].messages[2].content), QString("Hello"));
        QVERIFY(q(records[0].origin).endsWith("chat.json:2"));
        QVERIFY(q(records[1].origin).endsWith("chat.json:9"));
        QCOMPARE(q(records[1].task), QString("math"));
    }

    void readsCsvPairsWithRfc4180Quoting()
    {
        const auto records = readDataset(fixture("pairs.csv"));
        QCOMPARE(records.size(), size_t(3));
        QCOMPARE(records[0].shape, RecordShape::PromptResponse);
        QCOMPARE(q(records[0].prompt), QString("Say \"hi\""));
        QCOMPARE(q(records[0].response), QString("hi, there"));
        QCOMPARE(q(records[0].task), QString("greet"));
        QCOMPARE(q(records[1].prompt), QString("Two\nlines"));
        QCOMPARE(q(records[1].task), QString("pairs")); // empty cell: the file's task
        QVERIFY(q(records[2].origin).endsWith("pairs.csv:5")); // row 2 spans lines 3-4
        QCOMPARE(q(records[2].response), QString());
    }

    void fieldMappingReadsOtherShapes()
    {
        ReadOptions options;
        options.fieldMap = {{"question", "prompt"}, {"answer", "response"}, {"category", "task"}};
        const auto records = readDataset(fixture("qa.jsonl"), options);
        QCOMPARE(records.size(), size_t(2));
        QCOMPARE(records[0].shape, RecordShape::PromptResponse);
        QCOMPARE(q(records[0].prompt), QString("Capital of France?"));
        QCOMPARE(q(records[0].response), QString("Paris"));
        QCOMPARE(q(records[0].task), QString("geo"));
        QCOMPARE(q(records[1].task), QString("math"));

        options.fieldMap = {{"question", "query"}};
        CHECK_ERROR_CONTAINS(readDataset(fixture("qa.jsonl"), options), "field mapping", "'query'");
    }

    void detectsEachShapeByItsFields()
    {
        const std::string jsonl = "{\"prompt\": \"p\", \"completion\": \"c\"}\n"
                                  "{\"text\": \"raw\"}\n"
                                  "{\"conversations\": [{\"from\": \"human\", \"value\": \"q\"}, "
                                  "{\"from\": \"gpt\", \"value\": \"a\"}]}\n";
        ReadOptions options;
        options.fieldMap = {{"conversations", "messages"}};
        const auto records = parseDataset(jsonl, "mixed.jsonl", options);
        QCOMPARE(records[0].shape, RecordShape::PromptResponse);
        QCOMPARE(q(records[0].response), QString("c"));
        QCOMPARE(records[1].shape, RecordShape::Text);
        QCOMPARE(q(records[1].text), QString("raw"));
        QCOMPARE(records[2].shape, RecordShape::Chat);
        QCOMPARE(q(records[2].messages[0].role), QString("user"));
        QCOMPARE(q(records[2].messages[1].role), QString("assistant"));
    }

    void chatInCsvIsJsonInACell()
    {
        const std::string csv = "messages\n\"[{\"\"role\"\": \"\"user\"\", \"\"content\"\": \"\"a, b\"\"}]\"\n";
        const auto records = parseDataset(csv, "c.csv");
        QCOMPARE(records.size(), size_t(1));
        QCOMPARE(q(records[0].messages[0].content), QString("a, b"));
    }

    void errorsNameFileLineAndField()
    {
        CHECK_ERROR_CONTAINS(readDataset(fixture("bad_output.jsonl")),
                             "bad_output.jsonl:3: field 'output': expected a string, found number");
        CHECK_ERROR_CONTAINS(readDataset(fixture("chat_bad_role.json")), "chat_bad_role.json:3:",
                             "field 'messages[1].role'", "found 'bot'");
        CHECK_ERROR_CONTAINS(parseDataset("{\"text\": \"a\"}\n{\"text\": oops}\n", "x.jsonl"), "x.jsonl:2:",
                             "invalid JSON");
        CHECK_ERROR_CONTAINS(parseDataset("[\n{\"text\": \"a\"},\n{\"text\": \n  oops}\n]", "x.json"),
                             "x.json:4:", "invalid JSON");
        CHECK_ERROR_CONTAINS(parseDataset("{\"instruction\": \"a\"}\n", "x.jsonl"), "x.jsonl:1:",
                             "field 'output': missing");
        CHECK_ERROR_CONTAINS(parseDataset("{\"foo\": 1}\n", "x.jsonl"), "x.jsonl:1:", "cannot tell",
                             "'foo'");
        CHECK_ERROR_CONTAINS(parseDataset("[1, 2]\n", "x.jsonl"), "x.jsonl:1:", "expected a JSON object",
                             "found array");
        CHECK_ERROR_CONTAINS(
            parseDataset("{\"messages\": [{\"role\": \"user\", \"content\": null}]}\n", "x.jsonl"), "x.jsonl:1:",
            "field 'messages[0].content': expected a string, found null");
        CHECK_ERROR_CONTAINS(parseDataset("prompt,response\na,b\nc,d,e\n", "x.csv"), "x.csv:3:",
                             "expected 2 fields as in the header, found 3");
        CHECK_ERROR_CONTAINS(parseDataset("a,b\n", "x.txt"), "x.txt", "cannot tell the format");
        CHECK_ERROR_CONTAINS(readDataset(fixture("missing.jsonl")), "missing.jsonl", "cannot open");
        CHECK_ERROR_CONTAINS(readDataset(std::string(TB_FIXTURES_DIR) + "/data"), "found a folder");
        ReadOptions mapped;
        mapped.fieldMap = {{"answer", "response"}};
        CHECK_ERROR_CONTAINS(parseDataset("{\"prompt\": \"p\", \"answer\": 3}\n", "x.jsonl", mapped),
                             "x.jsonl:1: field 'answer': expected a string, found number");
    }

    void malformedInputNeverCrashes()
    {
        // Every prefix of every fixture, and each with one byte flipped: either
        // records or a tb::Error, nothing else.
        const std::vector<std::string> names = {"alpaca.jsonl", "chat.json", "chat_bad_role.json", "pairs.csv",
                                                "qa.jsonl"};
        size_t errors = 0;
        for (const std::string& name : names) {
            QFile file(q(fixture(name)));
            QVERIFY(file.open(QIODevice::ReadOnly));
            const std::string content = file.readAll().toStdString();
            for (size_t cut = 0; cut <= content.size(); ++cut) {
                for (int flip = 0; flip < 2; ++flip) {
                    std::string mutated = content.substr(0, cut);
                    if (flip && cut > 0)
                        mutated[cut / 2] = static_cast<char>(mutated[cut / 2] ^ 0x22);
                    try {
                        parseDataset(mutated, name);
                    } catch (const tb::Error&) {
                        ++errors;
                    }
                }
            }
        }
        QVERIFY(errors > 0);
    }

    // --- Templates ---------------------------------------------------------
    void alpacaTemplateMatchesStanfordPromptText()
    {
        Record r;
        r.shape = RecordShape::Alpaca;
        r.instruction = "Name a color.";
        r.output = "Blue";
        auto segments = renderRecord(r, TemplateKind::Alpaca);
        QCOMPARE(segments.size(), size_t(2));
        QCOMPARE(q(segments[0].text),
                 QString("Below is an instruction that describes a task. Write a response that appropriately "
                         "completes the request.\n\n### Instruction:\nName a color.\n\n### Response:"));
        QVERIFY(!segments[0].loss);
        QCOMPARE(q(segments[1].text), QString("Blue"));
        QVERIFY(segments[1].loss);

        r.input = "the sky";
        segments = renderRecord(r, TemplateKind::Alpaca);
        QCOMPARE(q(segments[0].text),
                 QString("Below is an instruction that describes a task, paired with an input that provides "
                         "further context. Write a response that appropriately completes the request.\n\n"
                         "### Instruction:\nName a color.\n\n### Input:\nthe sky\n\n### Response:"));
        QCOMPARE(q(renderPrompt(r, TemplateKind::Alpaca)), q(segments[0].text));
    }

    void chatMlRendersEveryTurnWithLossOnAssistant()
    {
        const auto records = readDataset(fixture("chat.json"));
        const auto segments = renderRecord(records[0], TemplateKind::ChatMl);
        std::string all, loss;
        for (const auto& s : segments) {
            all += s.text;
            if (s.loss)
                loss += s.text;
        }
        QCOMPARE(q(all), QString("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                                 "<|im_start|>assistant\nHello<|im_end|>\n"));
        QCOMPARE(q(loss), QString("Hello<|im_end|>"));

        Record pair;
        pair.shape = RecordShape::PromptResponse;
        pair.prompt = "p";
        pair.response = "r";
        QCOMPARE(q(renderPrompt(pair, TemplateKind::ChatMl)),
                 QString("<|im_start|>user\np<|im_end|>\n<|im_start|>assistant\n"));
    }

    void plainTemplateIsPromptNewlineResponse()
    {
        Record r;
        r.shape = RecordShape::PromptResponse;
        r.prompt = "2+2?";
        r.response = "4";
        const auto segments = renderRecord(r, TemplateKind::Plain);
        QCOMPARE(q(segments[0].text + segments[1].text), QString("2+2?\n4"));
        QVERIFY(!segments[0].loss && segments[1].loss);
    }

    void alpacaTemplateRefusesMultiTurnChatNamingTheRecord()
    {
        const auto records = readDataset(fixture("chat.json"));
        CHECK_ERROR_CONTAINS(renderRecord(records[0], TemplateKind::Alpaca), "chat.json:2", "chatml");
        QCOMPARE(renderRecord(records[1], TemplateKind::Alpaca).size(), size_t(2));
        QCOMPARE(templateFromName("chatml"), TemplateKind::ChatMl);
        CHECK_ERROR_CONTAINS(templateFromName("vicuna"), "'vicuna'", "alpaca");
    }

    // --- Tokenising --------------------------------------------------------
    void labelsMaskThePromptAndEosEndsTheResponse()
    {
        Record r;
        r.shape = RecordShape::Alpaca;
        r.instruction = "Hi";
        r.output = "Yo";
        const std::string prompt = "Below is an instruction that describes a task. Write a response that "
                                   "appropriately completes the request.\n\n### Instruction:\nHi\n\n### Response:";
        const ByteTokenizer tokenizer;
        const Example ex = tokenizeRecord(r, tokenizer, {});
        const auto ids = cat({{kBos}, bytes(prompt), bytes("Yo"), {kEos}});
        const auto labels = cat({masked(1 + prompt.size()), bytes("Yo"), {kEos}});
        QCOMPARE(show(ex.ids), show(ids));
        QCOMPARE(show(ex.labels), show(labels));
        QVERIFY(!ex.truncated);

        TokenizeOptions all;
        all.lossOnPrompt = true;
        const Example everything = tokenizeRecord(r, tokenizer, all);
        QCOMPARE(show(everything.labels), show(cat({{X}, bytes(prompt), bytes("Yo"), {kEos}})));
    }

    void bosFollowsTheTokenizer()
    {
        Record r;
        r.shape = RecordShape::Text;
        r.text = "ab";
        // Has a BOS id but does not add it by itself (GPT-2 style): none added.
        const ByteTokenizer gpt2Like(false, true);
        QCOMPARE(show(tokenizeRecord(r, gpt2Like, {}).ids), show(cat({bytes("ab"), {kEos}})));
        TokenizeOptions forced;
        forced.addBos = true;
        QCOMPARE(show(tokenizeRecord(r, gpt2Like, forced).ids), show(cat({{kBos}, bytes("ab"), {kEos}})));
        // Text: loss on everything.
        QCOMPARE(show(tokenizeRecord(r, gpt2Like, {}).labels), show(cat({bytes("ab"), {kEos}})));
    }

    void multiTurnChatPutsLossOnEveryAssistantTurn()
    {
        Record r;
        r.shape = RecordShape::Chat;
        r.messages = {{"user", "a"}, {"assistant", "b"}, {"user", "c"}, {"assistant", "d"}};
        TokenizeOptions options;
        options.templateKind = TemplateKind::Plain;
        const Example ex = tokenizeRecord(r, ByteTokenizer(), options);
        // "a\nb\nc\nd": loss on b, d and EOS.
        QCOMPARE(show(ex.ids), show(cat({{kBos}, bytes("a\nb\nc\nd"), {kEos}})));
        QCOMPARE(show(ex.labels), show(cat({{X, X, X}, bytes("b"), {X, X, X}, bytes("d"), {kEos}})));

        // ChatML: the "\n" after the last <|im_end|> does not take EOS's loss away.
        options.templateKind = TemplateKind::ChatMl;
        r.messages = {{"user", "a"}, {"assistant", "b"}};
        const Example chatml = tokenizeRecord(r, ByteTokenizer(), options);
        const std::string head = "<|im_start|>user\na<|im_end|>\n<|im_start|>assistant\n";
        QCOMPARE(show(chatml.labels),
                 show(cat({masked(1 + head.size()), bytes("b<|im_end|>"), {X}, {kEos}})));
    }

    void truncationKeepsTheStartAndCountsExamples()
    {
        std::vector<Record> records(3);
        for (auto& r : records)
            r.shape = RecordShape::PromptResponse;
        records[0].prompt = "ab";
        records[0].response = "cd"; // BOS a b \n c d EOS = 7 tokens
        records[1].prompt = "abcdefgh";
        records[1].response = "x"; // the prompt alone fills 8: no loss token left
        records[2].prompt = "a";
        records[2].response = "b"; // 5 tokens, fits
        TokenizeOptions options;
        options.templateKind = TemplateKind::Plain;
        options.maxLength = 6;
        const TokenizedSet set = tokenizeRecords(records, ByteTokenizer(), options);
        QCOMPARE(set.examples.size(), size_t(2));
        QCOMPARE(set.truncated, size_t(1));
        QCOMPARE(set.dropped, size_t(1));
        QCOMPARE(show(set.examples[0].ids), show(cat({{kBos}, bytes("ab\ncd")})));
        QCOMPARE(show(set.examples[0].labels), show(cat({{X, X, X, X}, bytes("cd")})));
        QVERIFY(set.examples[0].truncated);
        QVERIFY(!set.examples[1].truncated);
    }

    // --- Packing -----------------------------------------------------------
    void packingKeepsExamplesWholeAndRecordsStarts()
    {
        std::vector<Example> examples;
        TokenId next = 10;
        for (size_t length : {3, 4, 2, 5}) {
            std::vector<TokenId> ids, labels;
            for (size_t i = 0; i < length; ++i) {
                ids.push_back(next);
                labels.push_back(i == 0 ? X : next); // first token of each example masked
                ++next;
            }
            examples.push_back(exampleOf(ids, labels));
        }
        PackOptions options;
        options.sequenceLength = 6;
        const PackedSet packed = pack(examples, options);
        // 3 | 4+2 | 5 (3+4 > 6 starts a new sequence).
        QCOMPARE(packed.sequences.size(), size_t(3));
        QCOMPARE(show(packed.sequences[0].starts), QString("[0]"));
        QCOMPARE(show(packed.sequences[1].starts), QString("[0,4]"));
        QCOMPARE(show(packed.sequences[1].ids), show(std::vector<TokenId>{13, 14, 15, 16, 17, 18}));
        QCOMPARE(show(packed.sequences[1].labels), show(std::vector<TokenId>{X, 14, 15, 16, X, 18}));
        QCOMPARE(show(packed.sequences[2].ids), show(std::vector<TokenId>{19, 20, 21, 22, 23}));
        QCOMPARE(packed.truncated, size_t(0));

        options.splitAcrossSequences = true;
        const PackedSet split = pack(examples, options);
        // 14 tokens: [3 + 3 of 4] [1 + 2 + 3 of 5] [2].
        QCOMPARE(split.sequences.size(), size_t(3));
        QCOMPARE(show(split.sequences[0].starts), QString("[0,3]"));
        QCOMPARE(show(split.sequences[1].starts), QString("[0,1,3]"));
        QCOMPARE(show(split.sequences[2].starts), QString("[0]"));
        QCOMPARE(show(split.sequences[1].ids), show(std::vector<TokenId>{16, 17, 18, 19, 20, 21}));
        QCOMPARE(show(split.sequences[1].labels), show(std::vector<TokenId>{16, X, 18, X, 20, 21}));

        options.splitAcrossSequences = false;
        options.sequenceLength = 4;
        QCOMPARE(pack(examples, options).truncated, size_t(1)); // the 5-token one
    }

    // --- Mixing ------------------------------------------------------------
    void temperatureSharesMatchHandComputation()
    {
        // 900^(1/2) = 30, 100^(1/2) = 10: 30/40 and 10/40.
        auto shares = temperatureShares({{"a", 900}, {"b", 100}}, 2.0);
        QVERIFY(qAbs(shares["a"] - 0.75) < 1e-12);
        QVERIFY(qAbs(shares["b"] - 0.25) < 1e-12);
        shares = temperatureShares({{"a", 900}, {"b", 100}}, 1.0);
        QVERIFY(qAbs(shares["a"] - 0.9) < 1e-12);
        // 8^(1/3) = 2, 1^(1/3) = 1, 27^(1/3) = 3: 2/6, 1/6, 3/6.
        shares = temperatureShares({{"a", 8}, {"b", 1}, {"c", 27}}, 3.0);
        QVERIFY(qAbs(shares["a"] - 2.0 / 6) < 1e-12);
        QVERIFY(qAbs(shares["c"] - 0.5) < 1e-12);
        CHECK_ERROR_CONTAINS(temperatureShares({{"a", 1}}, 0.0), "temperature");
    }

    void temperatureMixUpsamplesTheSmallTask()
    {
        std::vector<std::string> tasks(900, "a");
        tasks.insert(tasks.end(), 100, "b");
        MixOptions options;
        options.strategy = MixStrategy::Temperature;
        options.temperature = 2.0;
        options.seed = 7;
        const MixResult mix = mixTasks(tasks, options);
        QCOMPARE(mix.indices.size(), size_t(1000));
        QCOMPARE(mix.selected.at("a"), size_t(750));
        QCOMPARE(mix.selected.at("b"), size_t(250));
        QCOMPARE(mix.available.at("b"), size_t(100));
        std::map<size_t, size_t> uses;
        for (size_t i : mix.indices)
            ++uses[i];
        size_t thrice = 0;
        for (size_t i = 900; i < 1000; ++i) {
            QVERIFY(uses[i] == 2 || uses[i] == 3); // 250 = 2 passes of 100 + 50
            thrice += uses[i] == 3;
        }
        QCOMPARE(thrice, size_t(50));
        for (size_t i = 0; i < 900; ++i)
            QVERIFY(uses.count(i) == 0 || uses[i] == 1); // 750 of 900, no repeats

        QCOMPARE(mixTasks(tasks, options).indices, mix.indices);
        options.seed = 8;
        QVERIFY(mixTasks(tasks, options).indices != mix.indices);
    }

    void equalAndGivenProportions()
    {
        std::vector<std::string> tasks(900, "a");
        tasks.insert(tasks.end(), 100, "b");
        MixOptions options;
        options.strategy = MixStrategy::Equal;
        auto mix = mixTasks(tasks, options);
        QCOMPARE(mix.selected.at("a"), size_t(500));
        QCOMPARE(mix.selected.at("b"), size_t(500));

        options.strategy = MixStrategy::Proportions;
        options.proportions = {{"a", 3}, {"b", 1}};
        options.total = 400;
        mix = mixTasks(tasks, options);
        QCOMPARE(mix.selected.at("a"), size_t(300));
        QCOMPARE(mix.selected.at("b"), size_t(100));
        QCOMPARE(mix.indices.size(), size_t(400));

        options.proportions = {{"a", 1}};
        CHECK_ERROR_CONTAINS(mixTasks(tasks, options), "task 'b'", "no proportion");
        options.proportions = {{"a", 1}, {"b", 1}, {"c", 1}};
        CHECK_ERROR_CONTAINS(mixTasks(tasks, options), "task 'c'", "no items");
    }

    void naturalMixIsAPermutation()
    {
        const std::vector<std::string> tasks = {"a", "b", "a", "c", "b", "a"};
        const MixResult mix = mixTasks(tasks, {});
        std::vector<size_t> sorted = mix.indices;
        std::sort(sorted.begin(), sorted.end());
        QCOMPARE(show(sorted), QString("[0,1,2,3,4,5]"));
        QCOMPARE(mix.selected.at("a"), size_t(3));
    }

    void apportionGivesRemaindersLargestFirst()
    {
        auto counts = apportion({{"a", 1.0 / 3}, {"b", 1.0 / 3}, {"c", 1.0 / 3}}, 10);
        QCOMPARE(counts["a"], size_t(4));
        QCOMPARE(counts["b"], size_t(3));
        QCOMPARE(counts["c"], size_t(3));
        counts = apportion({{"a", 0.15}, {"b", 0.85}}, 10); // 1.5 and 8.5: tie, name order
        QCOMPARE(counts["a"], size_t(2));
        QCOMPARE(counts["b"], size_t(8));
    }

    // --- Split -------------------------------------------------------------
    void stratifiedSplitKeepsTaskProportions()
    {
        std::vector<std::string> tasks(10, "a");
        tasks.insert(tasks.end(), 5, "b");
        SplitOptions options;
        options.validationFraction = 0.2; // 3 of 15: a 10/15*3 = 2, b 1
        options.seed = 3;
        const SplitResult split = splitTrainValidation(tasks, options);
        QCOMPARE(split.validation.size(), size_t(3));
        QCOMPARE(split.train.size(), size_t(12));
        const auto valTasks = [&](const SplitResult& s) {
            std::map<std::string, size_t> c;
            for (size_t i : s.validation)
                ++c[tasks[i]];
            return c;
        };
        QCOMPARE(valTasks(split)["a"], size_t(2));
        QCOMPARE(valTasks(split)["b"], size_t(1));
        std::vector<size_t> all = split.train;
        all.insert(all.end(), split.validation.begin(), split.validation.end());
        std::sort(all.begin(), all.end());
        std::vector<size_t> expected(15);
        std::iota(expected.begin(), expected.end(), size_t(0));
        QCOMPARE(all, expected);
        QCOMPARE(splitTrainValidation(tasks, options).validation, split.validation);

        options.validationCount = 6; // a 4, b 2
        const SplitResult counted = splitTrainValidation(tasks, options);
        QCOMPARE(valTasks(counted)["a"], size_t(4));
        QCOMPARE(valTasks(counted)["b"], size_t(2));

        options.validationCount = 16;
        CHECK_ERROR_CONTAINS(splitTrainValidation(tasks, options), "validation count", "16");
        options.validationCount.reset();
        options.validationFraction = 1.0;
        CHECK_ERROR_CONTAINS(splitTrainValidation(tasks, options), "validation fraction");
    }

    // --- Statistics --------------------------------------------------------
    void statisticsCountTokensLengthsAndTasks()
    {
        TokenizedSet set;
        set.examples.push_back(exampleOf({5}, {5}, "a"));
        set.examples.push_back(exampleOf({5, 6, 7}, {X, X, 7}, "a"));
        set.examples.push_back(exampleOf({5, 6, 7, 8}, {X, 6, 7, 8}, "b"));
        set.examples.push_back(exampleOf(std::vector<TokenId>(9, 5), masked(9), "b"));
        set.examples.back().labels[8] = 5;
        set.truncated = 1;
        set.dropped = 2;
        const DatasetStats stats = computeStats(set, 2);
        QCOMPARE(stats.examples, size_t(4));
        QCOMPARE(stats.tokens, size_t(17));
        QCOMPARE(stats.lossTokens, size_t(1 + 1 + 3 + 1));
        QCOMPARE(stats.minLength, size_t(1));
        QCOMPARE(stats.maxLength, size_t(9));
        QCOMPARE(stats.meanLength, 4.25);
        QCOMPARE(stats.truncated, size_t(1));
        QCOMPARE(stats.dropped, size_t(2));
        // width ceil(10 / 2) = 5: [0,5) holds 1, 3, 4; [5,10) holds 9.
        QCOMPARE(stats.histogram.size(), size_t(2));
        QCOMPARE(stats.histogram[0].hi, size_t(5));
        QCOMPARE(stats.histogram[0].count, size_t(3));
        QCOMPARE(stats.histogram[1].count, size_t(1));
        QCOMPARE(stats.perTask.at("a").examples, size_t(2));
        QCOMPARE(stats.perTask.at("b").tokens, size_t(13));
    }

    // --- Batches -----------------------------------------------------------
    void batchesAreRightPaddedWithMasksAndPositions()
    {
        std::vector<Sequence> sequences = {sequenceOf(5, 10, {0, 2}), sequenceOf(3, 20), sequenceOf(1, 30)};
        BatchOptions options;
        options.batchSize = 2;
        options.shuffle = false;
        options.padId = 0;
        BatchSampler sampler(sequences, options);
        QCOMPARE(sampler.stepsPerEpoch(), size_t(2));
        const Batch b = sampler.batchAt({0, 0});
        QCOMPARE(b.rows, size_t(2));
        QCOMPARE(b.columns, size_t(5));
        QCOMPARE(show(b.ids), show(std::vector<TokenId>{10, 11, 12, 13, 14, 20, 21, 22, 0, 0}));
        QCOMPARE(show(b.labels), show(std::vector<TokenId>{10, 11, 12, 13, 14, 20, 21, 22, X, X}));
        QCOMPARE(show(b.attentionMask), show(std::vector<int64_t>{1, 1, 1, 1, 1, 1, 1, 1, 0, 0}));
        QCOMPARE(show(b.positionIds), show(std::vector<int64_t>{0, 1, 0, 1, 2, 0, 1, 2, 0, 0}));
        QCOMPARE(show(b.documentIds), show(std::vector<int64_t>{1, 1, 2, 2, 2, 1, 1, 1, 0, 0}));
        const Batch last = sampler.batchAt({0, 1}); // the partial last batch
        QCOMPARE(last.rows, size_t(1));
        QCOMPARE(show(last.ids), QString("[30]"));

        options.padTo = 8;
        const Batch fixed = BatchSampler(sequences, options).batchAt({0, 1});
        QCOMPARE(show(fixed.ids), show(std::vector<TokenId>{30, 0, 0, 0, 0, 0, 0, 0}));
        options.padTo = 4;
        CHECK_ERROR_CONTAINS(BatchSampler(sequences, options), "sequence 0", "padTo");
    }

    void ranksTakeEveryWorldSizeThBatchOfOneSharedPermutation()
    {
        std::vector<Sequence> sequences;
        for (size_t i = 0; i < 10; ++i)
            sequences.push_back(sequenceOf(1, TokenId(100 + i)));
        BatchOptions options;
        options.batchSize = 2;
        options.worldSize = 2;
        options.seed = 42;
        options.rank = 0;
        BatchSampler rank0(sequences, options);
        options.rank = 1;
        BatchSampler rank1(sequences, options);
        // 5 global batches: ranks get 2 steps each, global batch 4 waits for the next epoch.
        QCOMPARE(rank0.globalBatchesPerEpoch(), size_t(5));
        QCOMPARE(rank0.stepsPerEpoch(), size_t(2));
        for (size_t epoch = 0; epoch < 3; ++epoch) {
            const std::vector<size_t> order = rank0.epochOrder(epoch);
            QCOMPARE(rank1.epochOrder(epoch), order);
            std::vector<size_t> sorted = order;
            std::sort(sorted.begin(), sorted.end());
            QCOMPARE(show(sorted), QString("[0,1,2,3,4,5,6,7,8,9]"));
            for (size_t step = 0; step < 2; ++step) {
                const std::vector<size_t> g0(order.begin() + (2 * step) * 2, order.begin() + (2 * step) * 2 + 2);
                const std::vector<size_t> g1(order.begin() + (2 * step + 1) * 2,
                                             order.begin() + (2 * step + 1) * 2 + 2);
                QCOMPARE(rank0.batchAt({epoch, step}).sequenceIndices, g0);
                QCOMPARE(rank1.batchAt({epoch, step}).sequenceIndices, g1);
            }
        }
        QVERIFY(rank0.epochOrder(0) != rank0.epochOrder(1));
        options.worldSize = 6; // 5 batches cannot feed 6 ranks
        CHECK_ERROR_CONTAINS(BatchSampler(sequences, options), "at least one per rank");
    }

    void resumingFromEpochAndStepRepeatsTheSameBatches()
    {
        std::vector<Sequence> sequences;
        for (size_t i = 0; i < 7; ++i)
            sequences.push_back(sequenceOf(i + 1, TokenId(10 * i)));
        BatchOptions options;
        options.batchSize = 3;
        options.dropLast = true; // 2 steps per epoch
        options.seed = 5;
        BatchSampler straight(sequences, options);
        std::vector<Batch> seen;
        for (int i = 0; i < 5; ++i)
            seen.push_back(straight.next());
        QCOMPARE(seen[4].position.epoch, size_t(2));
        QCOMPARE(seen[4].position.step, size_t(0));

        BatchSampler resumed(sequences, options);
        resumed.seek({1, 1});
        const Batch again = resumed.next();
        QCOMPARE(again.sequenceIndices, seen[3].sequenceIndices);
        QCOMPARE(show(again.ids), show(seen[3].ids));
        QCOMPARE(resumed.next().sequenceIndices, seen[4].sequenceIndices);
        CHECK_ERROR_CONTAINS(resumed.seek({0, 2}), "step", "2");
    }

    // --- End to end --------------------------------------------------------
    void recordsToBatchesEndToEnd()
    {
        std::vector<Record> records = readDataset(fixture("alpaca.jsonl"));
        const auto chat = readDataset(fixture("chat.json"));
        records.insert(records.end(), chat.begin(), chat.end());
        TokenizeOptions options;
        options.templateKind = TemplateKind::ChatMl;
        options.maxLength = 100;
        const TokenizedSet set = tokenizeRecords(records, ByteTokenizer(), options);
        // ChatML bytes + BOS + EOS: 125, 104, 86, 109, 68; three exceed 100.
        QCOMPARE(set.examples.size(), size_t(5));
        QCOMPARE(set.truncated, size_t(3));
        QCOMPARE(set.examples[2].ids.size(), size_t(86));
        QCOMPARE(set.examples[4].ids.size(), size_t(68));

        std::vector<std::string> tasks;
        for (const auto& ex : set.examples)
            tasks.push_back(ex.task);
        QCOMPARE(show(std::vector<size_t>{countTasks(tasks)["alpaca"], countTasks(tasks)["translate"]}),
                 QString("[2,1]"));
        // 1 of 5 for validation; shares .4/.2/.2/.2: the largest remainder is alpaca's.
        const SplitResult split = splitTrainValidation(tasks, {0.2, std::nullopt, true, 1});
        QCOMPARE(split.validation.size(), size_t(1));
        QCOMPARE(q(tasks[split.validation[0]]), QString("alpaca"));
        std::vector<Example> train;
        for (size_t i : split.train)
            train.push_back(set.examples[i]);
        PackOptions packing;
        packing.sequenceLength = 200;
        const PackedSet packed = pack(train, packing);
        // Either alpaca example is left (100 or 86 tokens), first or second:
        // 100+100 | 100+68, or 100+86 | 100+68.
        QCOMPARE(packed.sequences.size(), size_t(2));
        QCOMPARE(show(packed.sequences[0].starts), QString("[0,100]"));
        QCOMPARE(show(packed.sequences[1].starts), QString("[0,100]"));
        BatchOptions batching;
        batching.batchSize = 2;
        batching.shuffle = false;
        batching.padTo = 200;
        const Batch b = BatchSampler(packed.sequences, batching).batchAt({0, 0});
        QCOMPARE(b.ids.size(), size_t(400));
        QCOMPARE(b.documentIds[99], int64_t(1));
        QCOMPARE(b.documentIds[100], int64_t(2));
        QCOMPARE(b.positionIds[100], int64_t(0));
        QCOMPARE(b.attentionMask[200 + 167], int64_t(1));
        QCOMPARE(b.attentionMask[200 + 168], int64_t(0));
        QCOMPARE(b.labels[200 + 168], X);
    }
};

QTEST_GUILESS_MAIN(TestData)
#include "tst_data.moc"
