// Evaluation suites: SUITE.json parsing, the benchmarks' published layouts
// (hand-written fixtures in tests/fixtures/eval/suites), prompts written out
// in full, perturbations, and scores worked out by hand.
#include "common/error.h"
#include "eval/suite.h"

#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>

using namespace tb::eval;

namespace {

const std::string kSuites = TB_FIXTURES_DIR "/eval/suites";

QString errorOf(const std::function<void()>& f)
{
    try {
        f();
    } catch (const tb::Error& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

const TaskSpec& taskNamed(const SuiteSpec& suite, const std::string& name)
{
    for (const auto& t : suite.tasks)
        if (t.name == name)
            return t;
    throw std::runtime_error("no task " + name);
}

SuiteSpec fixtureSuite()
{
    return readSuite(kSuites + "/suite.json");
}

std::string writeFile(const QTemporaryDir& dir, const std::string& name, const std::string& content)
{
    const std::string path = dir.path().toStdString() + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
}

// Parses a one-task suite whose task object is TASK.
QString suiteError(const std::string& task)
{
    return errorOf([&] { parseSuite(R"({"name": "s", "tasks": [)" + task + "]}", "suite.json", "/tmp"); });
}

bool near(double a, double b, double tol = 1e-12)
{
    return std::abs(a - b) < tol;
}

const char* const kMmluQ1 = "What does baking soda release when it meets vinegar?\n"
                            "A. Oxygen\nB. Carbon dioxide\nC. Nitrogen\nD. Helium\nAnswer:";

} // namespace

class TestSuite : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void readsTheFixtureSuite()
    {
        const SuiteSpec s = fixtureSuite();
        QCOMPARE(s.name, std::string("fixture-suite"));
        QCOMPARE(s.tasks.size(), size_t(9));
        QVERIFY(s.path.size() > 10 && s.path.rfind("suites/suite.json") == s.path.size() - 17);
        // Relative paths are taken from the suite's folder.
        const TaskSpec& two = taskNamed(s, "mmlu_two");
        QCOMPARE(two.data, kSuites + "/mmlu/test/kitchen_chemistry_test.csv");
        QCOMPARE(two.dev, kSuites + "/mmlu/dev/kitchen_chemistry_dev.csv");
        QCOMPARE(two.shots, 2);
        QCOMPARE(two.format, TaskFormat::MmluCsv);
        // Type defaults by format: mmlu -> multiple_choice, glue -> classification, auto -> generate.
        QCOMPARE(taskNamed(s, "mmlu_zero").type, TaskType::MultipleChoice);
        QCOMPARE(taskNamed(s, "rte").type, TaskType::Classification);
        QCOMPARE(taskNamed(s, "qa").type, TaskType::Generate);
        QCOMPARE(taskNamed(s, "qa").templateName, std::string("plain"));
        QCOMPARE(taskNamed(s, "riddles_gen").maxNewTokens, int64_t(8));
        QCOMPARE(taskNamed(s, "riddles_gen").stop, std::vector<std::string>{"\n"});
        QCOMPARE(taskNamed(s, "sst2").verbalizers.at("1"), std::string("positive"));
        QVERIFY(s.helm);
        QCOMPARE(s.helm->perturbations.size(), size_t(4));
        QCOMPARE(s.helm->seed, uint64_t(7));
        QCOMPARE(s.helm->calibrationBins, 10);
        // Every task of the fixture suite loads.
        for (const auto& t : s.tasks)
            QVERIFY2(!loadTask(t).examples.empty(), t.name.c_str());
    }

    void namesOfTypesAndFormats()
    {
        QCOMPARE(taskTypeName(TaskType::MultipleChoice), std::string("multiple_choice"));
        QCOMPARE(taskTypeName(TaskType::Perplexity), std::string("perplexity"));
        QCOMPARE(taskFormatName(TaskFormat::MmluCsv), std::string("mmlu"));
        QCOMPARE(taskFormatName(TaskFormat::GlueTsv), std::string("glue_tsv"));
    }

    void mmluZeroShot()
    {
        const TaskData t = loadTask(taskNamed(fixtureSuite(), "mmlu_zero"));
        QCOMPARE(t.examples.size(), size_t(3));
        // The subject comes from the file name kitchen_chemistry_test.csv.
        QCOMPARE(t.examples[0].prompt,
                 std::string("The following are multiple choice questions (with answers) about kitchen chemistry.\n\n")
                     + kMmluQ1);
        QCOMPARE(t.examples[0].options, (std::vector<std::string>{" A", " B", " C", " D"}));
        QCOMPARE(t.examples[0].answer, int64_t(1));
        QCOMPARE(t.examples[0].optionScores, (std::vector<double>{0, 1, 0, 0}));
        QCOMPARE(t.examples[0].input, std::string("What does baking soda release when it meets vinegar?"));
        QCOMPARE(t.examples[0].id, std::string("1"));
        // A quoted field keeps its comma.
        QCOMPARE(t.examples[1].input, std::string("Which of these, when added to water, lowers its freezing point?"));
        QCOMPARE(t.examples[2].answer, int64_t(2));
        QCOMPARE(t.metrics, (std::vector<std::string>{"accuracy", "accuracy_norm", "ece"}));
    }

    void mmluTwoShotFromDev()
    {
        const TaskData t = loadTask(taskNamed(fixtureSuite(), "mmlu_two"));
        QCOMPARE(t.examples.size(), size_t(3));
        const std::string expected =
            "The following are multiple choice questions (with answers) about cooking science.\n\n"
            "Which kitchen item is usually made of cast iron?\n"
            "A. A skillet\nB. A napkin\nC. A straw\nD. A sponge\nAnswer: A\n\n"
            "What gas makes bread dough rise?\n"
            "A. Argon\nB. Neon\nC. Carbon dioxide\nD. Chlorine\nAnswer: C\n\n"
            + std::string(kMmluQ1);
        QCOMPARE(t.examples[0].prompt, expected);
        QCOMPARE(t.examples[0].inputOffset, int64_t(expected.find("What does baking")));
    }

    void fewShotFromTheSameFileSkipsTheAskedExample()
    {
        TaskSpec spec = taskNamed(fixtureSuite(), "mmlu_zero");
        spec.shots = 1;
        spec.limit = 2;
        const TaskData t = loadTask(spec);
        QCOMPARE(t.examples.size(), size_t(2));
        const std::string head = "The following are multiple choice questions (with answers) about kitchen chemistry.\n\n";
        const std::string q2 = "Which of these, when added to water, lowers its freezing point?\n"
                               "A. Sugar cubes left whole\nB. Salt\nC. Ice\nD. Air\nAnswer:";
        // Example 1's shot is example 2 and the other way round.
        QCOMPARE(t.examples[0].prompt, head + q2 + " B\n\n" + kMmluQ1);
        QCOMPARE(t.examples[1].prompt, head + kMmluQ1 + " B\n\n" + q2);
    }

    void hellaswag()
    {
        const TaskData t = loadTask(taskNamed(fixtureSuite(), "hellaswag"));
        QCOMPARE(t.examples.size(), size_t(2));
        QCOMPARE(t.examples[0].prompt, std::string("Making tea: A man fills a kettle with water. He"));
        QCOMPARE(t.examples[0].input, std::string("A man fills a kettle with water. He"));
        QCOMPARE(t.examples[0].id, std::string("7"));
        QCOMPARE(t.examples[0].options[0], std::string(" puts it on the stove."));
        QCOMPARE(t.examples[0].answer, int64_t(0));
        // No ctx and no activity_label: ctx_a + " " + ctx_b with a capital; label given as a string.
        QCOMPARE(t.examples[1].prompt, std::string("A girl ties her shoes. Then, she"));
        QCOMPARE(t.examples[1].answer, int64_t(2));
        QCOMPARE(t.examples[1].options.size(), size_t(4));
    }

    void bigbenchMultipleChoice()
    {
        const TaskData t = loadTask(taskNamed(fixtureSuite(), "riddles_mc"));
        // The third example has only a target: not a multiple-choice example.
        QCOMPARE(t.examples.size(), size_t(2));
        QCOMPARE(t.examples[0].prompt, std::string("Answer the riddle.\n\nQ: What has keys but opens no locks?"
                                                   "\n  choice: a door\n  choice: a piano\nA: "));
        QCOMPARE(t.examples[0].options, (std::vector<std::string>{"a door", "a piano"}));
        QCOMPARE(t.examples[0].optionScores, (std::vector<double>{0, 1}));
        QCOMPARE(t.examples[0].answer, int64_t(1));
        QCOMPARE(t.examples[1].options, (std::vector<std::string>{"a fire", "a stone", "a towel"}));
        QCOMPARE(t.examples[1].answer, int64_t(2));
    }

    void bigbenchGenerateOneShot()
    {
        const TaskData t = loadTask(taskNamed(fixtureSuite(), "riddles_gen"));
        // The second example has only target_scores: not a generative example.
        QCOMPARE(t.examples.size(), size_t(2));
        QCOMPARE(t.examples[0].prompt, std::string("Answer the riddle.\n"
                                                   "\nQ: What has a neck but no head?\nA: a bottle"
                                                   "\nQ: What has keys but opens no locks?\nA: "));
        QCOMPARE(t.examples[0].references, std::vector<std::string>{"a piano"});
        QCOMPARE(t.examples[1].references, (std::vector<std::string>{"a bottle", "bottle"}));
        QVERIFY(t.examples[1].options.empty());
        QCOMPARE(t.metrics, (std::vector<std::string>{"exact_match", "f1"}));
    }

    void glueTsvWithVerbalizers()
    {
        const TaskData t = loadTask(taskNamed(fixtureSuite(), "sst2"));
        QCOMPARE(t.examples.size(), size_t(3));
        QCOMPARE(t.examples[0].prompt, std::string("Review: a warm , funny little film . \nSentiment:"));
        QCOMPARE(t.examples[0].input, std::string("a warm , funny little film . "));
        QCOMPARE(t.examples[0].options, (std::vector<std::string>{" negative", " positive"}));
        QCOMPARE(t.examples[0].answer, int64_t(1));
        QCOMPARE(t.examples[1].answer, int64_t(0));
        QCOMPARE(t.examples[0].id, std::string("2"));
        QCOMPARE(t.examples[0].origin, kSuites + "/glue/SST-2/dev.tsv:2");
    }

    void glueJsonlDefaultPromptAndLabels()
    {
        const TaskData t = loadTask(taskNamed(fixtureSuite(), "rte"));
        QCOMPARE(t.examples.size(), size_t(2));
        QCOMPARE(t.examples[0].prompt,
                 std::string("The shop opens at nine every morning.\nThe shop opens in the morning.\nAnswer:"));
        // No verbalizers: the distinct labels, sorted.
        QCOMPARE(t.examples[0].options, (std::vector<std::string>{" 0", " 1"}));
        QCOMPARE(t.examples[1].answer, int64_t(1));

        // Two-shot from the same file would need three examples.
        TaskSpec spec = taskNamed(fixtureSuite(), "rte");
        spec.shots = 2;
        QVERIFY(errorOf([&] { loadTask(spec); }).contains("shots: 2 few-shot examples asked for but the file has 2"));
        spec.shots = 1;
        QCOMPARE(loadTask(spec).examples[0].prompt,
                 std::string("Tom walked his dog in the rain.\nTom has a cat.\nAnswer: 1\n\n"
                             "The shop opens at nine every morning.\nThe shop opens in the morning.\nAnswer:"));
    }

    void autoFormatGenerateAndPerplexity()
    {
        const SuiteSpec s = fixtureSuite();
        const TaskData qa = loadTask(taskNamed(s, "qa"));
        QCOMPARE(qa.examples.size(), size_t(1)); // limit 1
        QCOMPARE(qa.examples[0].prompt, std::string("Name the largest planet.\n")); // plain: "{prompt}\n"
        QCOMPARE(qa.examples[0].references, std::vector<std::string>{"Jupiter"});
        QCOMPARE(qa.examples[0].input, std::string("Name the largest planet."));
        QCOMPARE(qa.metrics, (std::vector<std::string>{"rouge", "bleu", "chrf", "exact_match", "f1"}));

        TaskSpec oneShot = taskNamed(s, "qa");
        oneShot.shots = 1;
        QCOMPARE(loadTask(oneShot).examples[0].prompt,
                 std::string("What colour is a clear daytime sky?\nBlue\n\nName the largest planet.\n"));

        const TaskData notes = loadTask(taskNamed(s, "notes"));
        QCOMPARE(notes.examples.size(), size_t(1));
        QCOMPARE(notes.examples[0].references,
                 std::vector<std::string>{"The kettle clicked off and the kitchen went quiet."});
        QCOMPARE(notes.metrics, std::vector<std::string>{"perplexity"});
    }

    void autoFormatClassification()
    {
        QTemporaryDir dir;
        const std::string path = writeFile(dir, "reviews.jsonl",
                                           "{\"prompt\": \"Loved it.\", \"response\": \"positive\"}\n"
                                           "{\"prompt\": \"Dull.\", \"response\": \"0\"}\n");
        TaskSpec spec;
        spec.name = "reviews";
        spec.type = TaskType::Classification;
        spec.data = path;
        spec.templateName = "plain";
        spec.verbalizers = {{"0", "negative"}, {"1", "positive"}};
        const TaskData t = loadTask(spec);
        QCOMPARE(t.examples[0].options, (std::vector<std::string>{"negative", "positive"}));
        QCOMPARE(t.examples[0].answer, int64_t(1)); // by the verbaliser's text
        QCOMPARE(t.examples[1].answer, int64_t(0)); // by the label key
        QCOMPARE(t.examples[0].prompt, std::string("Loved it.\n"));

        // Without verbalizers the options are the distinct responses, sorted.
        spec.verbalizers.clear();
        const TaskData u = loadTask(spec);
        QCOMPARE(u.examples[0].options, (std::vector<std::string>{"0", "positive"}));
        QCOMPARE(u.examples[0].answer, int64_t(1));
    }

    // --- errors ---------------------------------------------------------------

    void suiteErrorsNameFileAndPath()
    {
        QTemporaryDir dir;
        const std::string path = writeFile(dir, "suite.json",
                                           R"({"name": "s", "tasks": [
                                                {"name": "a", "data": "a.jsonl"},
                                                {"name": "b", "data": "b.jsonl"},
                                                {"name": "c", "data": "c.jsonl", "type": "x"}]})");
        QCOMPARE(errorOf([&] { readSuite(path); }),
                 QString::fromStdString(path + ": tasks[2].type: expected one of generate, multiple_choice, "
                                               "classification, perplexity but found 'x'"));

        QVERIFY(suiteError(R"({"name": "a", "data": "a.jsonl", "shot": 2})")
                    .startsWith("suite.json: tasks[0]: unknown key 'shot' (expected one of: data, dev, fields,"));
        QCOMPARE(suiteError(R"({"name": "a", "data": "a.jsonl"}, {"name": "a", "data": "b.jsonl"})"),
                 QString("suite.json: tasks[1].name: 'a' is already the name of another task; task names must be "
                         "unique"));
        QCOMPARE(suiteError(R"({"name": "a"})"),
                 QString("suite.json: tasks[0].data: required, the path of the task's data file"));
        QCOMPARE(suiteError(R"({"name": "a", "data": "a.csv", "format": "csv"})"),
                 QString("suite.json: tasks[0].format: expected one of auto, mmlu, hellaswag, bigbench, glue_jsonl, "
                         "glue_tsv but found 'csv'"));
        QCOMPARE(suiteError(R"({"name": "a", "data": "a.jsonl", "shots": "two"})"),
                 QString("suite.json: tasks[0].shots: wrong type, found \"two\""));
        QCOMPARE(suiteError(R"({"name": "a", "data": "a.jsonl", "metrics": ["rouge", "meteor"]})"),
                 QString("suite.json: tasks[0].metrics[1]: expected one of accuracy, bleu, chrf, exact_match, f1, "
                         "rouge but found 'meteor'"));
        QVERIFY(suiteError(R"({"name": "a", "data": "a.csv", "format": "mmlu", "text_fields": ["x"]})")
                    .startsWith("suite.json: tasks[0].text_fields: only used with formats glue_jsonl and glue_tsv"));
        QVERIFY(suiteError(R"({"name": "a", "data": "a.tsv", "format": "glue_tsv"})")
                    .startsWith("suite.json: tasks[0].text_fields: required for format 'glue_tsv'"));
        QVERIFY(suiteError(R"({"name": "a", "data": "a.tsv", "format": "glue_tsv", "prompt": "Review:"})")
                    .startsWith("suite.json: tasks[0].prompt: expected {field} slots"));
        QVERIFY(suiteError(R"({"name": "a", "data": "a.jsonl", "template": "vicuna"})")
                    .startsWith("suite.json: tasks[0].template: "));

        const auto topLevel = [](const std::string& text) {
            return errorOf([&] { parseSuite(text, "suite.json", "/tmp"); });
        };
        QCOMPARE(topLevel(R"({"name": "s", "tasks": []})"),
                 QString("suite.json: tasks: required, an array of at least one task, found []"));
        QCOMPARE(topLevel(R"({"name": "s", "task": []})"),
                 QString("suite.json: task: unknown key (expected one of: description, helm, name, tasks)"));
        QCOMPARE(topLevel(R"({"name": "s", "tasks": [{"name": "a", "data": "a"}], "helm": {"perturbations": ["caps"]}})"),
                 QString("suite.json: helm.perturbations[0]: expected one of contractions, lowercase, typos, "
                         "whitespace but found 'caps'"));
        QVERIFY(topLevel("{\"name\": ").startsWith("suite.json: invalid JSON at byte"));
    }

    void dataErrorsNameFileLineAndField()
    {
        QTemporaryDir dir;
        TaskSpec spec;
        spec.name = "t";
        spec.type = TaskType::MultipleChoice;

        spec.format = TaskFormat::MmluCsv;
        spec.data = writeFile(dir, "mmlu_test.csv", "Q1?,a,b,c,d,A\nQ2?,a,b,c,d,E\n");
        QCOMPARE(errorOf([&] { loadTask(spec); }),
                 QString::fromStdString(spec.data + ":2: answer: expected A, B, C or D but found 'E'"));
        spec.data = writeFile(dir, "short_test.csv", "Q1?,a,b,c,A\n");
        QCOMPARE(errorOf([&] { loadTask(spec); }),
                 QString::fromStdString(spec.data + ":1: expected 6 fields (question, A, B, C, D, answer) but found 5"));

        spec.format = TaskFormat::Hellaswag;
        spec.data = writeFile(dir, "hs.jsonl",
                              "{\"ctx\": \"c\", \"endings\": [\"a\", \"b\"], \"label\": 1}\n\n"
                              "{\"ctx\": \"c\", \"endings\": [\"a\", \"b\"], \"label\": \"\"}\n");
        QCOMPARE(errorOf([&] { loadTask(spec); }),
                 QString::fromStdString(spec.data + ":3: label: expected an integer 0..1 but found \"\""));

        spec.format = TaskFormat::GlueTsv;
        spec.type = TaskType::Classification;
        spec.textFields = {"sentence"};
        spec.verbalizers = {{"0", "negative"}, {"1", "positive"}};
        spec.data = writeFile(dir, "dev.tsv", "sentence\tlabel\ngood .\t1\nbad .\t2\n");
        QCOMPARE(errorOf([&] { loadTask(spec); }),
                 QString::fromStdString(spec.data + ":3: label: expected one of '0', '1' (the verbalizers) but found '2'"));
        spec.data = writeFile(dir, "dev2.tsv", "sentence\tlabel\ngood .\n");
        QCOMPARE(errorOf([&] { loadTask(spec); }),
                 QString::fromStdString(spec.data + ":2: expected 2 tab-separated fields as in the header, found 1"));

        spec.format = TaskFormat::Bigbench;
        spec.type = TaskType::Generate;
        spec.data = writeFile(dir, "task.json", R"({"examples": [{"input": "x", "target": "y"}, {"input": "z", "target": 3}]})");
        QCOMPARE(errorOf([&] { loadTask(spec); }),
                 QString::fromStdString(spec.data + ": examples[1]: target: expected a string or a list of strings, found 3"));

        spec.format = TaskFormat::Auto;
        spec.data = dir.path().toStdString() + "/missing.jsonl";
        QVERIFY(errorOf([&] { loadTask(spec); }).contains("missing.jsonl"));
    }

    // --- perturbations ------------------------------------------------------

    void perturbationsByHand()
    {
        QCOMPARE(perturb("The Cat SAT, said Émile.", "lowercase", 0), std::string("the cat sat, said Émile."));
        QCOMPARE(perturb("I do not think it is ready. Do not wait; they are late, cannot stay.", "contractions", 0),
                 std::string("I don't think it's ready. Don't wait; they're late, can't stay."));
        // Only whole words: "is notable" is not "is not".
        QCOMPARE(perturb("This is notable.", "contractions", 0), std::string("This is notable."));
        QVERIFY(errorOf([] { perturb("x", "shout", 0); })
                    .startsWith("perturbation: expected one of contractions, lowercase, typos, whitespace"));
    }

    void seededPerturbationsAreDeterministic()
    {
        std::string text;
        for (int i = 0; i < 60; ++i)
            text += "word" + std::to_string(i % 7) + "abc ";
        text += "end";

        const std::string typos = perturb(text, "typos", 3);
        QCOMPARE(perturb(text, "typos", 3), typos);
        QVERIFY(typos != text); // P(no swap in 61 words) = 0.9^61, and the seed is fixed
        QVERIFY(perturb(text, "typos", 4) != typos);
        // Swaps move letters, never add or drop them.
        std::string a = typos, b = text;
        std::sort(a.begin(), a.end());
        std::sort(b.begin(), b.end());
        QCOMPARE(a, b);

        const std::string spaced = perturb(text, "whitespace", 3);
        QCOMPARE(perturb(text, "whitespace", 3), spaced);
        QVERIFY(spaced != text);
        QVERIFY(spaced.find("    ") == std::string::npos); // at most 3 spaces in a row
        std::string squeezed = spaced;
        squeezed.erase(std::remove(squeezed.begin(), squeezed.end(), ' '), squeezed.end());
        std::string original = text;
        original.erase(std::remove(original.begin(), original.end(), ' '), original.end());
        QCOMPARE(squeezed, original);
    }

    void perturbExampleTouchesOnlyTheInput()
    {
        const TaskData t = loadTask(taskNamed(fixtureSuite(), "mmlu_two"));
        const EvalExample& ex = t.examples[0];
        const EvalExample low = perturbExample(ex, "lowercase", 0);
        // Few-shot context, options block and answers keep their capitals.
        const size_t at = size_t(ex.inputOffset);
        QCOMPARE(low.prompt.substr(0, at), ex.prompt.substr(0, at));
        QCOMPARE(low.input, std::string("what does baking soda release when it meets vinegar?"));
        QCOMPARE(low.prompt, ex.prompt.substr(0, at) + low.input + ex.prompt.substr(at + ex.input.size()));
        QCOMPARE(low.options, ex.options);
        QCOMPARE(low.answer, ex.answer);

        for (const char* p : {"typos", "whitespace"}) {
            const EvalExample once = perturbExample(ex, p, 11);
            QCOMPARE(perturbExample(ex, p, 11).prompt, once.prompt);
            QVERIFY(once.prompt.compare(0, at, ex.prompt, 0, at) == 0);
            const std::string tail = ex.prompt.substr(at + ex.input.size());
            QVERIFY(once.prompt.size() >= tail.size()
                    && once.prompt.compare(once.prompt.size() - tail.size(), tail.size(), tail) == 0);
        }

        // Without an offset the input is found in the prompt.
        EvalExample bare = ex;
        bare.inputOffset = -1;
        QCOMPARE(perturbExample(bare, "lowercase", 0).prompt, low.prompt);
    }

    // --- scoring --------------------------------------------------------------

    void scoreChoiceByHand()
    {
        EvalExample ex;
        ex.options = {" a", " b", " c"};
        ex.answer = 2;
        ChoiceResult r;
        r.logprobs = {-2, -1, -3};
        r.tokens = {1, 1, 4};
        const ChoiceScores s = scoreChoice(ex, r);
        // argmax(-2, -1, -3) = 1; per token: -2, -1, -0.75 -> 2.
        QCOMPARE(s.predicted, int64_t(1));
        QCOMPARE(s.predictedNorm, int64_t(2));
        QCOMPARE(s.correct, 0.0);
        QCOMPARE(s.correctNorm, 1.0);
        // softmax at 1: e^-1 / (e^-2 + e^-1 + e^-3) = 1 / (1 + e^-1 + e^-2)
        //             = 1 / (1 + 0.3678794412 + 0.1353352832) = 0.6652409558
        QVERIFY(near(s.confidence, 0.6652409558, 1e-9));

        // Partial credit from BIG-bench's target_scores; ties take the first.
        ex.optionScores = {0.25, 1, 0.5};
        r.logprobs = {-1, -1, -5};
        r.tokens = {2, 2, 1};
        const ChoiceScores t = scoreChoice(ex, r);
        QCOMPARE(t.predicted, int64_t(0));
        QCOMPARE(t.correct, 0.25);
        // per token: -0.5, -0.5, -5 -> 0
        QCOMPARE(t.predictedNorm, int64_t(0));
        // e^-1 / (2e^-1 + e^-5) = 1 / (2 + e^-4) = 1 / 2.0183156389 = 0.4954626426
        QVERIFY(near(t.confidence, 0.4954626426, 1e-9));

        r.tokens = {1};
        QVERIFY(!errorOf([&] { scoreChoice(ex, r); }).isEmpty());
    }

    void expectedCalibrationErrorByHand()
    {
        const std::vector<double> conf = {0.95, 0.85, 0.62, 0.55, 0.30};
        const std::vector<double> correct = {1, 0, 1, 0, 0};
        // 10 bins: each value alone in its bin (9, 8, 6, 5, 3):
        // (|1-0.95| + |0-0.85| + |1-0.62| + |0-0.55| + |0-0.30|) / 5
        // = (0.05 + 0.85 + 0.38 + 0.55 + 0.30) / 5 = 2.13 / 5 = 0.426
        QVERIFY(near(expectedCalibrationError(conf, correct, 10), 0.426));
        // 2 bins: [0, 0.5) holds 0.30 (wrong): 1/5 * |0 - 0.30| = 0.06;
        // [0.5, 1] holds the other four: accuracy 2/4 = 0.5, mean confidence
        // (0.95 + 0.85 + 0.62 + 0.55) / 4 = 0.7425: 4/5 * 0.2425 = 0.194. Sum 0.254.
        QVERIFY(near(expectedCalibrationError(conf, correct, 2), 0.254));
        // 1.0 falls in the last bin; a perfectly calibrated pair gives 0.
        QVERIFY(near(expectedCalibrationError({1.0, 1.0}, {1, 1}, 10), 0));
        QCOMPARE(expectedCalibrationError({}, {}, 10), 0.0);
        QVERIFY(!errorOf([] { expectedCalibrationError({0.5}, {}, 10); }).isEmpty());
    }

    void generationScores()
    {
        const auto s = scoreGeneration("The cat sat", {"the cat sat down", "a dog"},
                                       {"rouge", "bleu", "chrf", "exact_match", "f1", "accuracy"});
        const std::vector<std::string> keys = {"accuracy", "bleu",   "chrf",   "exact_match", "f1",
                                               "rouge1",   "rouge2", "rougeL", "rougeLsum"};
        QCOMPARE(s.size(), keys.size());
        for (const auto& k : keys)
            QVERIFY2(s.count(k), k.c_str());
        // SQuAD normalisation: "cat sat" vs "cat sat down": P = 2/2, R = 2/3, F1 = 0.8.
        QVERIFY(near(s.at("f1"), 0.8));
        QCOMPARE(s.at("exact_match"), 0.0);
        // ROUGE-1 (lowercased tokens): 3 of 3 against 3 of 4: P = 1, R = 0.75, F = 6/7.
        QVERIFY(near(s.at("rouge1"), 6.0 / 7.0));
        // rouge2: bigrams {the cat, cat sat} vs 3 of the reference: P = 1, R = 2/3, F = 0.8.
        QVERIFY(near(s.at("rouge2"), 0.8));

        const auto same = scoreGeneration("a piano", {"a piano"}, {"bleu", "chrf", "exact_match", "accuracy"});
        QVERIFY(near(same.at("bleu"), 100, 1e-9));
        QVERIFY(near(same.at("chrf"), 100, 1e-9));
        QCOMPARE(same.at("exact_match"), 1.0);
        QCOMPARE(same.at("accuracy"), 1.0);
        // exact_match normalises ("The" and "." go); accuracy does not.
        const auto norm = scoreGeneration("The piano.", {"piano"}, {"exact_match", "accuracy"});
        QCOMPARE(norm.at("exact_match"), 1.0);
        QCOMPARE(norm.at("accuracy"), 0.0);

        QVERIFY(errorOf([] { scoreGeneration("x", {"x"}, {"meteor"}); }).contains("'meteor'"));
    }

    void corpusScores()
    {
        const std::vector<std::string> out = {"a piano", "a towel", "no idea"};
        const std::vector<std::vector<std::string>> refs = {{"a piano"}, {"towel"}, {"a bottle", "bottle"}};
        const auto s = scoreCorpus(out, refs, {"exact_match", "f1", "rouge", "accuracy"});
        // exact match: 1, 1 ("a" is an article), 0 -> 2/3. F1 the same per example -> 2/3.
        QVERIFY(near(s.at("exact_match"), 2.0 / 3.0));
        QVERIFY(near(s.at("f1"), 2.0 / 3.0));
        // accuracy: only "a piano" is the same string -> 1/3.
        QVERIFY(near(s.at("accuracy"), 1.0 / 3.0));
        // rouge1 F per example: 1; "a towel" vs "towel": P 1/2, R 1, F 2/3; 0 -> (1 + 2/3) / 3 = 5/9.
        QVERIFY(near(s.at("rouge1"), 5.0 / 9.0));
        QVERIFY(!errorOf([&] { scoreCorpus(out, {{"x"}}, {"f1"}); }).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestSuite)
#include "tst_suite.moc"
