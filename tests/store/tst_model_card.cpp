// The README.md model card and the Ollama Modelfile written beside a run's
// exports, checked against values put into the run store by hand here.
#include "common/error.h"
#include "engine/model_card.h"
#include "engine/modelfile.h"
#include "io/atomic_file.h"
#include "store/run_store.h"
#include "train/run_config.h"

#include "common/stored_results.h"

#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <fstream>

using namespace tb;

class ModelCardTest : public QObject {
    Q_OBJECT

    QTemporaryDir m_tmp;
    std::string m_db;
    store::RunId m_run = 0;
    std::string m_base;

    std::string path(const char* name) const { return m_tmp.filePath(name).toStdString(); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        // A base model folder saved from the Hub, with a licence in its card.
        m_base = path("base-model");
        std::filesystem::create_directories(m_base);
        std::ofstream(m_base + "/config.json") << R"({"_name_or_path": "acme/tiny-llama", "model_type": "llama"})";
        std::ofstream(m_base + "/README.md") << "---\nlicense: apache-2.0\ntags:\n- text\n---\n# tiny\n";

        train::RunConfig c;
        c.name = "summarize | lora";
        c.model = m_base;
        c.tokenizer = TB_FIXTURES_DIR "/tokenizers/gpt2";
        c.method.method = peft::Method::Lora;
        c.method.lora.rank = 4;
        c.method.lora.alpha = 8;
        c.method.lora.targets = {"q_proj", "v_proj"};
        c.training.learningRate = 0.0005;
        c.training.maxSteps = 40;
        c.training.batchSize = 2;
        c.data.templateName = "chatml";
        c.data.train.push_back({"/data/summarize/train.jsonl", "", "auto", {}});

        m_db = path("runs.sqlite");
        store::RunStore db(m_db);
        m_run = db.createRun({c.name, m_base, "lora", train::toJson(c).dump()});
        db.appendMetrics(m_run, {{10, "train_loss", 2.5, 0}, {40, "train_loss", 1.25, 0}, {40, "val_loss", 1.5, 0},
                                 {40, "lr", 0.0001, 0}});
        db.setStatus(m_run, store::RunStatus::Completed);
        test::StoredTask t;
        t.run = m_run;
        t.baseModel = m_base;
        t.suite = "demo";
        t.task = "summarize";
        t.scores = {{"rougeL", 0.4375}};
        test::storeTask(db, t);
    }

    void adapterCard()
    {
        const store::RunStore db(m_db);
        const std::string card = engine::modelCardText(db, m_run, engine::ModelCardKind::Adapter);
        // Hugging Face metadata first, between "---" lines.
        QVERIFY2(card.rfind("---\nbase_model: \"acme/tiny-llama\"\nlibrary_name: peft\nlicense: \"apache-2.0\"\n"
                            "tags:\n- tunebench\n- \"lora\"\n---\n",
                            0) == 0,
                 card.c_str());
        for (const char* row : {"| lora.rank | 4 |", "| lora.alpha | 8.0 |", "| learning_rate | 0.0005 |",
                                "| max_steps | 40 |", "| batch_size | 2 |", "| template | chatml |",
                                "| training data | train.jsonl |", "| train_loss | 40 | 1.25 |", "| val_loss | 40 | 1.5 |",
                                "| demo | summarize | rougeL | 0.4375 | 0 |"})
            QVERIFY2(card.find(row) != std::string::npos, (std::string(row) + " missing from\n" + card).c_str());
        QVERIFY(card.find("# summarize | lora") != std::string::npos);
        QVERIFY(card.find("| lr |") == std::string::npos); // only losses among the series
        QVERIFY(card.find("train_loss | 10 |") == std::string::npos); // the final value only
    }

    void mergedAndGgufCardsNameTheirLibrary()
    {
        const store::RunStore db(m_db);
        QVERIFY(engine::modelCardText(db, m_run, engine::ModelCardKind::Merged).find("\nlibrary_name: transformers\n")
                != std::string::npos);
        const std::string gguf = engine::modelCardText(db, m_run, engine::ModelCardKind::Gguf);
        QVERIFY(gguf.find("\nlibrary_name: gguf\n") != std::string::npos);
        QVERIFY(gguf.find("\n- gguf\n---\n") != std::string::npos);
    }

    void cardWithoutEvaluationsSaysSo()
    {
        store::RunStore db(m_db);
        train::RunConfig c;
        c.model = path("elsewhere/my-base"); // no config.json: the folder's name, no licence
        c.data.train.push_back({"/data/x.jsonl", "", "auto", {}});
        const auto id = db.createRun({"", c.model, "full", train::toJson(c).dump()});
        const std::string card = engine::modelCardText(db, id, engine::ModelCardKind::Merged);
        QVERIFY2(card.rfind("---\nbase_model: \"my-base\"\nlibrary_name: transformers\ntags:\n", 0) == 0, card.c_str());
        QVERIFY(card.find("No evaluation of this run is recorded yet") != std::string::npos);
        QVERIFY(card.find("Final losses") == std::string::npos);
        QVERIFY_THROWS_EXCEPTION(tb::Error, engine::modelCardText(db, 999, engine::ModelCardKind::Adapter));
    }

    void writtenAsReadme()
    {
        const store::RunStore db(m_db);
        const std::string dir = path("export");
        std::filesystem::create_directories(dir);
        engine::writeModelCard(db, m_run, engine::ModelCardKind::Adapter, dir);
        QCOMPARE(io::readFile(dir + "/README.md"), engine::modelCardText(db, m_run, engine::ModelCardKind::Adapter));
    }

    // Each template as Ollama sees it: Tunebench's training text with the
    // prompt and response in Go template fields (data/template.cpp).
    void ollamaTemplates()
    {
        QCOMPARE(engine::ollamaTemplate(data::TemplateKind::Plain), std::string("{{ .Prompt }}\n{{ .Response }}"));
        QCOMPARE(engine::ollamaTemplate(data::TemplateKind::ChatMl),
                 std::string("<|im_start|>user\n{{ .Prompt }}<|im_end|>\n<|im_start|>assistant\n{{ .Response }}"
                             "<|im_end|>\n"));
        QCOMPARE(engine::ollamaTemplate(data::TemplateKind::Alpaca),
                 std::string("Below is an instruction that describes a task. Write a response that appropriately "
                             "completes the request.\n\n### Instruction:\n{{ .Prompt }}\n\n### Response:"
                             "{{ .Response }}"));
    }

    void runModelfile()
    {
        const std::string file = path("gguf/Modelfile");
        std::filesystem::create_directories(path("gguf"));
        engine::writeRunModelfile(m_db, m_run, file, path("gguf/base.gguf"), path("gguf/adapter.gguf"));
        const std::string text = io::readFile(file);
        QVERIFY2(text.find("\nFROM ./base.gguf\nADAPTER ./adapter.gguf\nTEMPLATE \"\"\"<|im_start|>user\n") !=
                     std::string::npos,
                 text.c_str());
        // GPT-2's end-of-text token, then the chatml turn end.
        QVERIFY2(text.find("PARAMETER stop \"<|endoftext|>\"\nPARAMETER stop \"<|im_end|>\"\n") != std::string::npos,
                 text.c_str());
        QVERIFY(text.rfind("# Ollama Modelfile for Tunebench run ", 0) == 0);
    }

    void modelfileQuotesStops()
    {
        engine::Modelfile m;
        m.templateKind = data::TemplateKind::Plain;
        m.stops = {"say \"end\"\\"};
        QCOMPARE(engine::modelfileText(m), std::string("FROM ./model.gguf\nTEMPLATE \"\"\"{{ .Prompt }}\n{{ .Response }}"
                                                       "\"\"\"\nPARAMETER stop \"say \\\"end\\\"\\\\\"\n"));
    }
};

QTEST_GUILESS_MAIN(ModelCardTest)
#include "tst_model_card.moc"
