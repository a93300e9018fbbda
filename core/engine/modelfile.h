#pragma once
// Ollama's Modelfile for a GGUF export: FROM the model file (and ADAPTER the
// LoRA adapter file), TEMPLATE the run's prompt template in Ollama's Go
// template syntax, PARAMETER stop for the tokens that end a response.
// https://github.com/ollama/ollama/blob/main/docs/modelfile.md
// No LibTorch.
#include "data/template.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tb {
class RunControl;
}

namespace tb::engine {

struct Modelfile {
    std::string from = "./model.gguf"; // relative to the Modelfile's folder
    std::string adapter;               // "./adapter.gguf"; empty = none
    data::TemplateKind templateKind = data::TemplateKind::Alpaca;
    std::vector<std::string> stops;    // PARAMETER stop, in order
    std::string comment;               // first line(s), after "# "
};

// The template as Tunebench renders a prompt/response record for training
// (data::renderRecord), with {{ .Prompt }} and {{ .Response }} in place of
// the record's text.
std::string ollamaTemplate(data::TemplateKind kind);

std::string modelfileText(const Modelfile& modelfile);

// The Modelfile for run RUNID's GGUF export: its template, the tokenizer's
// end-of-sequence token (and <|im_end|> under chatml) as stops. FROM and
// ADAPTER are the GGUF files' names, relative to the Modelfile; the files
// must lie in the Modelfile's folder. Written atomically to PATH.
void writeRunModelfile(const std::string& dbPath, int64_t runId, const std::string& path,
                       const std::string& modelGguf, const std::string& adapterGguf = {});

// Beside a run's GGUF export: the Modelfile and README.md (the model card,
// engine/model_card.h) in the folder of MODELGGUF, which FROM names; an
// ADAPTERGGUF there is named by ADAPTER. Both written atomically.
void writeGgufCompanions(const std::string& dbPath, int64_t runId, const std::string& modelGguf,
                         const std::string& adapterGguf = {});

// A run exported for Ollama in one go: the GGUF (engine/gguf_export.h); with
// `adapter`, the LoRA adapter GGUF as outFile and the run's base model beside
// it as base.gguf; then writeGgufCompanions. Returns the files written.
// Throws tb::Error as exportGguf does ("cancelled" included).
struct OllamaExport {
    std::string dbPath;
    int64_t runId = 0;
    std::string outFile;      // .gguf
    std::string type = "f16"; // f32 | f16 | bf16
    bool adapter = false;
};
std::vector<std::string> exportForOllama(const OllamaExport& request, const RunControl* control = nullptr);

} // namespace tb::engine
