#include "engine/modelfile.h"

#include "common/error.h"
#include "engine/gguf_export.h"
#include "engine/model_card.h"
#include "engine/model_source.h"
#include "io/atomic_file.h"
#include "tokenizer/tokenizer.h"

#include <filesystem>

namespace fs = std::filesystem;

namespace tb::engine {

namespace {

// Placeholders no template text contains.
const char* const kPrompt = "\x01prompt\x01";
const char* const kResponse = "\x01response\x01";

void replaceAll(std::string& text, const std::string& from, const std::string& to)
{
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
}

// Modelfile strings are Go-quoted; the template is a """ block, which ends at
// the first """ inside it, so that cannot occur (no Tunebench template has it).
std::string quoted(const std::string& text)
{
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string tokenizerPath(const train::RunConfig& config)
{
    if (!config.tokenizer.empty())
        return config.tokenizer;
    return fs::is_directory(config.model) ? config.model : fs::path(config.model).parent_path().string();
}

} // namespace

std::string ollamaTemplate(data::TemplateKind kind)
{
    data::Record record;
    record.shape = data::RecordShape::PromptResponse;
    record.prompt = kPrompt;
    record.response = kResponse;
    std::string text;
    for (const data::Segment& s : data::renderRecord(record, kind))
        text += s.text;
    replaceAll(text, kPrompt, "{{ .Prompt }}");
    replaceAll(text, kResponse, "{{ .Response }}");
    return text;
}

std::string modelfileText(const Modelfile& m)
{
    std::string out;
    if (!m.comment.empty()) {
        std::string comment = "# " + m.comment;
        replaceAll(comment, "\n", "\n# ");
        out += comment + "\n";
    }
    out += "FROM " + m.from + "\n";
    if (!m.adapter.empty())
        out += "ADAPTER " + m.adapter + "\n";
    out += "TEMPLATE \"\"\"" + ollamaTemplate(m.templateKind) + "\"\"\"\n";
    for (const std::string& stop : m.stops)
        out += "PARAMETER stop " + quoted(stop) + "\n";
    return out;
}

void writeRunModelfile(const std::string& dbPath, int64_t runId, const std::string& path, const std::string& modelGguf,
                       const std::string& adapterGguf)
{
    const store::RunStore store(dbPath);
    const store::Run run = store.run(runId);
    const train::RunConfig config = train::parseRunConfig(nlohmann::json::parse(run.configJson),
                                                          "run " + std::to_string(runId) + " configuration");
    Modelfile m;
    m.comment = "Ollama Modelfile for Tunebench run " + std::to_string(runId) + " (" + run.name + ").\n"
                "ollama create NAME -f Modelfile";
    m.from = "./" + fs::path(modelGguf).filename().string();
    if (!adapterGguf.empty())
        m.adapter = "./" + fs::path(adapterGguf).filename().string();
    m.templateKind = data::templateFromName(config.data.templateName);
    const std::string tokenizer = tokenizerPath(config);
    if (fs::is_regular_file(tokenizer) || tok::hasTokenizer(tokenizer)) {
        const auto t = tok::loadTokenizer(tokenizer);
        if (const auto eos = t->eosId())
            m.stops.push_back(t->idToToken(*eos));
    }
    if (m.templateKind == data::TemplateKind::ChatMl)
        m.stops.push_back("<|im_end|>");
    io::writeFileAtomic(path, modelfileText(m));
}

void writeGgufCompanions(const std::string& dbPath, int64_t runId, const std::string& modelGguf,
                         const std::string& adapterGguf)
{
    const fs::path folder = fs::absolute(modelGguf).parent_path();
    writeRunModelfile(dbPath, runId, (folder / "Modelfile").string(), modelGguf, adapterGguf);
    const store::RunStore store(dbPath);
    writeModelCard(store, runId, adapterGguf.empty() ? ModelCardKind::Gguf : ModelCardKind::GgufAdapter,
                   folder.string());
}

std::vector<std::string> exportForOllama(const OllamaExport& request, const RunControl* control)
{
    GgufExport gguf;
    gguf.dbPath = request.dbPath;
    gguf.runId = request.runId;
    gguf.outFile = request.outFile;
    gguf.type = request.type;
    gguf.adapterOnly = request.adapter;
    exportGguf(gguf, control);
    std::vector<std::string> files{request.outFile};
    const fs::path folder = fs::absolute(request.outFile).parent_path();
    if (request.adapter) {
        GgufExport base;
        base.modelDir = resolveRunWeights(store::RunStore(request.dbPath), request.runId).config.model;
        const bool clash = fs::path(request.outFile).filename() == "base.gguf";
        base.outFile = (folder / (clash ? "base-model.gguf" : "base.gguf")).string();
        base.type = request.type;
        exportGguf(base, control);
        files.push_back(base.outFile);
        writeGgufCompanions(request.dbPath, request.runId, base.outFile, request.outFile);
    } else {
        writeGgufCompanions(request.dbPath, request.runId, request.outFile);
    }
    files.push_back((folder / "Modelfile").string());
    files.push_back((folder / "README.md").string());
    return files;
}

} // namespace tb::engine
