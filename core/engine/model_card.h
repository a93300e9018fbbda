#pragma once
// The README.md written into every export of a run: Hugging Face model-card
// metadata (YAML front matter: base_model, library_name, tags, license) and
// what the run was: its method, hyperparameters, data, final losses and the
// latest evaluation scores from the run store.
// https://huggingface.co/docs/hub/model-cards
// No LibTorch.
#include "store/run_store.h"

#include <cstdint>
#include <string>

namespace tb::engine {

enum class ModelCardKind {
    Adapter,     // a PEFT adapter folder (library_name: peft)
    Merged,      // a Hugging Face model folder (library_name: transformers)
    Gguf,        // a GGUF model file for llama.cpp/Ollama (library_name: gguf)
    GgufAdapter, // a GGUF LoRA adapter beside the base model's GGUF (library_name: gguf)
};

// The card's text. Throws tb::Error when the run is unknown.
std::string modelCardText(const store::RunStore& store, int64_t runId, ModelCardKind kind);

// Writes the card atomically as FOLDER/README.md.
void writeModelCard(const store::RunStore& store, int64_t runId, ModelCardKind kind, const std::string& folder);

} // namespace tb::engine
