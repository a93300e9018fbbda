#pragma once
// A model as one GGUF file that llama.cpp and Ollama run as-is: a finished
// run's weights (LoRA merged, or a full/selective fine-tune), any supported
// base model (Hugging Face folder or llama2.c .bin), or a LoRA run's adapter
// in llama.cpp's adapter GGUF (llama-cli --lora, Ollama ADAPTER).
// Families: llama (llama2.c included), qwen2, gpt2, with llama.cpp's tensor
// names, q/k layout and tokenizer metadata. No LibTorch here.
#include <cstdint>
#include <string>

namespace tb {
class RunControl;
}

namespace tb::engine {

struct GgufExport {
    std::string dbPath; int64_t runId = 0;   // a finished run (merged LoRA / full / selective), or
    std::string modelDir;                    // a base model folder or llama2.c .bin (when runId == 0)
    std::string outFile;                     // .gguf
    std::string type = "f16";                // f32 | f16 | bf16 (vectors: norms, biases stay f32)
    bool adapterOnly = false;                // the LoRA adapter GGUF instead (runs with LoRA only)
};

// Writes request.outFile atomically. A run's export is recorded in the store
// as an artifact ("gguf" or "gguf_adapter"). Throws tb::Error with a
// one-line message (what cannot be represented, which file is missing),
// and "cancelled" when `control` is cancelled between tensors.
void exportGguf(const GgufExport& request, const RunControl* control = nullptr);

} // namespace tb::engine
