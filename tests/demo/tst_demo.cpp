// The demo workspace: generated data that is deterministic and checkable by
// hand, a learned tokenizer that round-trips, and a pretrained base model
// with run configurations the engine accepts.
#include "common/error.h"
#include "demo/bpe_trainer.h"
#include "demo/demo.h"
#include "demo/suite.h"
#include "io/atomic_file.h"
#include "model/language_model.h"
#include "tokenizer/tokenizer.h"
#include "train/run_config.h"
#include "train/train_types.h"

#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <map>
#include <set>
#include <sstream>

using namespace tb;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> splitWords(const std::string& text)
{
    std::vector<std::string> words;
    std::istringstream in(text);
    std::string w;
    while (in >> w)
        words.push_back(w);
    return words;
}

// The reference translation, written from the rule in dictionary.json rather
// than from the generator: look every word up, then move each adjective
// behind the noun it precedes.
std::string translateByRule(const std::string& english, const json& dictionary)
{
    const std::set<std::string> adjectives = dictionary["adjectives"].get<std::set<std::string>>();
    const std::set<std::string> nouns = dictionary["nouns"].get<std::set<std::string>>();
    std::vector<std::string> words = splitWords(english);
    for (size_t i = 0; i + 1 < words.size(); ++i)
        if (adjectives.count(words[i]) && nouns.count(words[i + 1])) {
            std::swap(words[i], words[i + 1]);
            ++i;
        }
    std::string out;
    for (const std::string& w : words)
        out += (out.empty() ? "" : " ") + dictionary["words"].at(w).get<std::string>();
    return out;
}

// The sentiment lexicon, copied here by hand so the labels are checked
// against an independent list.
const std::set<std::string> kPositive = {"great", "wonderful", "lovely", "excellent",
                                         "delightful", "superb", "pleasant", "fantastic"};
const std::set<std::string> kNegative = {"awful", "terrible", "boring", "dreadful",
                                         "poor", "horrible", "disappointing", "bland"};

std::string stripPunctuation(std::string w)
{
    while (!w.empty() && (w.back() == '.' || w.back() == ','))
        w.pop_back();
    return w;
}

const demo::DemoTask& task(const std::vector<demo::DemoTask>& tasks, const std::string& name)
{
    for (const auto& t : tasks)
        if (t.name == name)
            return t;
    throw std::runtime_error("no task " + name);
}

std::vector<std::string> trainingTexts(const std::vector<demo::DemoTask>& tasks)
{
    std::vector<std::string> texts;
    for (const auto& t : tasks)
        for (const auto& r : t.train)
            texts.push_back(r.text.empty() ? r.prompt + "\n" + r.response : r.text);
    return texts;
}

} // namespace

class TestDemo : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void sameSeedGivesIdenticalFiles()
    {
        const auto a = demo::generateSuite(42);
        const auto b = demo::generateSuite(42);
        const auto c = demo::generateSuite(43);
        QCOMPARE(a.size(), size_t(4));
        for (size_t i = 0; i < a.size(); ++i) {
            QCOMPARE(demo::toJsonl(a[i].train), demo::toJsonl(b[i].train));
            QCOMPARE(demo::toJsonl(a[i].validation), demo::toJsonl(b[i].validation));
            QCOMPARE(demo::toJsonl(a[i].test), demo::toJsonl(b[i].test));
            QVERIFY(demo::toJsonl(a[i].train) != demo::toJsonl(c[i].train));
        }
        // The learned tokenizer is a function of the data too.
        const auto texts = trainingTexts(a);
        QCOMPARE(demo::tokenizerJson(demo::trainByteLevelBpe(texts, 100), "<|endoftext|>"),
                 demo::tokenizerJson(demo::trainByteLevelBpe(texts, 100), "<|endoftext|>"));
    }

    void splitsHaveTheirSizesAndDoNotOverlap()
    {
        const auto tasks = demo::generateSuite(1234);
        const std::vector<std::string> names = {"summarize", "translate", "classify", "lm"};
        const std::vector<std::string> metrics = {"rouge", "bleu", "accuracy", "perplexity"};
        for (size_t i = 0; i < tasks.size(); ++i) {
            const auto& t = tasks[i];
            QCOMPARE(t.name, names[i]);
            QCOMPARE(t.metric, metrics[i]);
            const size_t big = t.name == "lm" ? 2000 : 1000, small = t.name == "lm" ? 200 : 150;
            QCOMPARE(t.train.size(), big);
            QCOMPARE(t.validation.size(), small);
            QCOMPARE(t.test.size(), small);
            std::set<std::string> seen;
            for (const auto* split : {&t.train, &t.validation, &t.test})
                for (const auto& r : *split) {
                    QCOMPARE(r.task, t.name);
                    QVERIFY2(seen.insert(r.text.empty() ? r.prompt : r.text).second, "an example occurs twice");
                }
        }
        // The files' record shapes: prompt/response, and text for lm.
        const json first = json::parse(demo::toJsonl({tasks[0].train[0]}));
        QCOMPARE(first.size(), size_t(3));
        QVERIFY(first.contains("prompt") && first.contains("response"));
        const json story = json::parse(demo::toJsonl({tasks[3].train[0]}));
        QCOMPARE(story["task"].get<std::string>(), std::string("lm"));
        QVERIFY(story.contains("text") && !story.contains("prompt"));
    }

    void translationsFollowTheDictionaryAndTheReorderingRule()
    {
        const json dictionary = json::parse(demo::dictionaryJson());
        // A hand translation: adjectives move behind their nouns.
        QCOMPARE(translateByRule("the big dog sees a red apple", dictionary),
                 std::string("lo hundo granda vidas un pomo ruga"));
        const auto tasks = demo::generateSuite(1234);
        const std::string prefix = demo::kTranslatePrefix;
        int reordered = 0;
        for (const auto* split : {&task(tasks, "translate").train, &task(tasks, "translate").test}) {
            for (const auto& r : *split) {
                QVERIFY(r.prompt.rfind(prefix, 0) == 0);
                const std::string english = r.prompt.substr(prefix.size());
                QCOMPARE(r.response, translateByRule(english, dictionary));
                for (const auto& w : splitWords(english))
                    reordered += dictionary["adjectives"].get<std::set<std::string>>().count(w) ? 1 : 0;
            }
        }
        QVERIFY(reordered > 500); // the rule is exercised, not just the word lookup
    }

    void reviewLabelsMatchTheirSentimentWords()
    {
        const auto tasks = demo::generateSuite(1234);
        std::map<std::string, int> labels;
        int mixed = 0;
        for (const auto& r : task(tasks, "classify").train) {
            int pos = 0, neg = 0;
            for (const auto& w : splitWords(r.prompt)) {
                pos += kPositive.count(stripPunctuation(w)) ? 1 : 0;
                neg += kNegative.count(stripPunctuation(w)) ? 1 : 0;
            }
            QVERIFY(pos != neg);
            QCOMPARE(r.response, std::string(pos > neg ? "positive" : "negative"));
            mixed += pos && neg ? 1 : 0;
            ++labels[r.response];
        }
        QCOMPARE(labels.size(), size_t(2));
        QVERIFY(labels["positive"] > 400 && labels["negative"] > 400);
        QVERIFY(mixed > 100); // some reviews need counting, not just spotting one word
    }

    void summariesNameTheCharacterAndThePlaceOfTheStory()
    {
        const auto tasks = demo::generateSuite(1234);
        for (const auto& r : task(tasks, "summarize").train) {
            const auto words = splitWords(r.response);
            QCOMPARE(words.size(), size_t(7)); // "<Name> <did> a <thing> at the <place>."
            const std::string story = r.prompt.substr(std::string(demo::kSummarizePrefix).size());
            QVERIFY(story.rfind(words[0] + " ", 0) == 0 || story.find(", " + words[0] + " ") != std::string::npos);
            QVERIFY(story.find(" " + words[1] + " a") != std::string::npos); // "a" or "an"
            QVERIFY(story.find(" a o") == std::string::npos && story.find(" a a") == std::string::npos);
            QVERIFY(story.find("the " + stripPunctuation(words[6])) != std::string::npos);
            const auto sentences = std::count(story.begin(), story.end(), '.');
            QVERIFY(sentences >= 3 && sentences <= 4);
        }
    }

    void tokenizerRoundTripsAndShortensTheCorpus()
    {
        const auto texts = trainingTexts(demo::generateSuite(1234));
        const auto vocab = demo::trainByteLevelBpe(texts, 300);
        QCOMPARE(vocab.merges.size(), size_t(300));
        QCOMPARE(vocab.tokens.size(), size_t(256 + 300));
        QCOMPARE(vocab.tokens[0], std::string("!"));   // GPT-2's byte order
        QCOMPARE(vocab.tokens[188], std::string("\xC4\x80")); // byte 0 is "Ā"
        QTemporaryDir tmp;
        io::writeFileAtomic((tmp.path() + "/tokenizer.json").toStdString(), demo::tokenizerJson(vocab, "<|endoftext|>"));
        io::writeFileAtomic((tmp.path() + "/tokenizer_config.json").toStdString(),
                            demo::tokenizerConfigJson("<|endoftext|>", 256));
        const auto tok = tok::loadTokenizer(tmp.path().toStdString());
        QCOMPARE(tok->kind(), std::string("hf-bpe-bytelevel"));
        QCOMPARE(tok->vocabSize(), int64_t(256 + 300 + 1));
        QCOMPARE(tok->eosId(), std::optional<tok::TokenId>(556));
        QCOMPARE(tok->bosId(), tok->eosId());
        int64_t bytes = 0, tokens = 0;
        for (const auto& text : texts) {
            const auto ids = tok->encode(text);
            QCOMPARE(tok->decode(ids), text);
            bytes += static_cast<int64_t>(text.size());
            tokens += static_cast<int64_t>(ids.size());
        }
        QVERIFY2(tokens * 2 < bytes, qPrintable(QString("%1 tokens for %2 bytes").arg(tokens).arg(bytes)));
        for (const std::string text : {"  leading spaces\tand tabs\n\nnew lines", "naïve café — 東京 🙂", "x",
                                       "The dog's 42 apples? Yes!!"}) {
            QCOMPARE(tok->decode(tok->encode(text)), text);
        }
        // The special token is one id and is not split.
        const auto ids = tok->encode("a story<|endoftext|>");
        QCOMPARE(ids.back(), int64_t(556));
        QCOMPARE(tok->decode(ids, false), std::string("a story<|endoftext|>"));
    }

    void tinyWorkspaceHasALoadableModelThatLearnedAndRunnableConfigs()
    {
        QTemporaryDir tmp;
        demo::DemoOptions o;
        o.dir = (tmp.path() + "/ws").toStdString();
        o.seed = 1234;
        o.pretrainSteps = 20;
        std::vector<std::string> log;
        o.log = [&](const std::string& line) { log.push_back(line); };
        const demo::DemoWorkspace ws = demo::createDemoWorkspace(o);

        QCOMPARE(ws.dir, fs::path(o.dir).lexically_normal().string());
        QVERIFY(!fs::exists(o.dir + ".partial"));
        QVERIFY(!log.empty());
        QVERIFY2(ws.finalLoss < ws.initialLoss - 0.5,
                 qPrintable(QString("loss %1 -> %2").arg(ws.initialLoss).arg(ws.finalLoss)));

        // The files are the generator's output for this seed.
        const auto tasks = demo::generateSuite(1234);
        for (const auto& t : tasks)
            QCOMPARE(io::readFile(ws.dir + "/data/" + t.name + "/train.jsonl"), demo::toJsonl(t.train));

        const json manifest = json::parse(io::readFile(ws.manifest));
        QCOMPARE(manifest["version"].get<int>(), 1);
        QCOMPARE(manifest["seed"].get<uint64_t>(), uint64_t(1234));
        std::map<std::string, std::string> metric;
        for (const auto& t : manifest["tasks"]) {
            metric[t["name"]] = t["metric"];
            for (const auto& f : t["files"])
                QVERIFY(fs::exists(ws.dir + "/" + f.get<std::string>()));
        }
        QCOMPARE(metric, (std::map<std::string, std::string>{
                             {"summarize", "rouge"}, {"translate", "bleu"}, {"classify", "accuracy"}, {"lm", "perplexity"}}));
        QCOMPARE(manifest["pretraining"]["steps"].get<int64_t>(), int64_t(20));

        // The base model loads like any Hugging Face folder, with its tokenizer.
        auto model = model::LanguageModel::load(ws.baseModel);
        const auto tok = tok::loadTokenizer(ws.baseModel);
        QCOMPARE(model->info().family, std::string("llama"));
        QCOMPARE(model->info().vocabSize, tok->vocabSize());
        QVERIFY(model->info().tiedEmbeddings);
        const auto ids = tok->encode("Mira the baker went to the market.");
        QCOMPARE(model->logits(ids).size(), ids.size());

        // Every run configuration parses and points at the workspace's files.
        QCOMPARE(ws.runConfigs.size(), size_t(6));
        std::set<std::string> methods;
        for (const auto& path : ws.runConfigs) {
            const train::RunConfig rc = train::readRunConfig(path);
            QCOMPARE(fs::path(rc.model), fs::path(ws.baseModel));
            QCOMPARE(rc.data.templateName, std::string("plain"));
            QVERIFY(rc.training.maxSteps >= 60 && rc.training.maxSteps <= 150);
            for (const auto& f : rc.data.train)
                QVERIFY2(fs::exists(f.path), f.path.c_str());
            for (const auto& f : rc.data.validation)
                QVERIFY2(fs::exists(f.path), f.path.c_str());
            methods.insert(peft::methodName(rc.method.method) + (rc.data.train.size() > 1 ? "+multi" : ""));
            if (rc.data.train.size() > 1)
                QCOMPARE(rc.data.mixing, std::string("temperature"));
        }
        QCOMPARE(methods, (std::set<std::string>{"full", "lora", "selective", "adapter", "prompt_tuning", "lora+multi"}));

        // Asking again returns the finished workspace instead of rebuilding it.
        o.pretrainSteps = 1;
        const demo::DemoWorkspace again = demo::createDemoWorkspace(o);
        QCOMPARE(again.finalLoss, ws.finalLoss);
        QCOMPARE(again.runConfigs, ws.runConfigs);
    }

    // The default workspace end to end (minutes): opt-in, for tuning the
    // default pretraining length. TB_DEMO_BENCH_DIR=/tmp/ws tst_demo defaultWorkspaceTiming
    void defaultWorkspaceTiming()
    {
        if (qEnvironmentVariableIsEmpty("TB_DEMO_BENCH_DIR"))
            QSKIP("set TB_DEMO_BENCH_DIR to a new folder to build the default workspace and time it");
        demo::DemoOptions o;
        o.dir = qEnvironmentVariable("TB_DEMO_BENCH_DIR").toStdString();
        o.log = [](const std::string& line) { qInfo("%s", line.c_str()); };
        QElapsedTimer timer;
        timer.start();
        const auto ws = demo::createDemoWorkspace(o);
        qInfo("workspace in %.1f s; validation loss %.3f -> %.3f", double(timer.elapsed()) / 1000.0, ws.initialLoss,
              ws.finalLoss);
        QVERIFY(ws.finalLoss < ws.initialLoss);
    }

    void refusesAFolderWithOtherFilesAndCleansUpWhenCancelled()
    {
        QTemporaryDir tmp;
        const std::string busy = (tmp.path() + "/busy").toStdString();
        fs::create_directories(busy);
        io::writeFileAtomic(busy + "/notes.txt", "mine");
        demo::DemoOptions o;
        o.dir = busy;
        QVERIFY_THROWS_EXCEPTION(tb::Error, demo::createDemoWorkspace(o));
        QCOMPARE(io::readFile(busy + "/notes.txt"), std::string("mine"));

        RunControl control;
        control.cancel();
        o.dir = (tmp.path() + "/cancelled").toStdString();
        o.control = &control;
        o.pretrainSteps = 5;
        QVERIFY_THROWS_EXCEPTION(tb::Error, demo::createDemoWorkspace(o));
        QVERIFY(!fs::exists(o.dir));
        QVERIFY(!fs::exists(o.dir + ".partial"));
    }
};

QTEST_GUILESS_MAIN(TestDemo)
#include "tst_demo.moc"
