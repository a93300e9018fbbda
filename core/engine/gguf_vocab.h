#pragma once
// The tokenizer.ggml.* keys of a GGUF file, read from a model's tokenizer
// files the way llama.cpp's convert_hf_to_gguf.py reads them: byte-level BPE
// (tokenizer.json, vocab.json + merges.txt) as "gpt2" with its merges and a
// pre-tokenizer name llama.cpp knows; SentencePiece (tokenizer.model,
// Llama-style tokenizer.json, llama2.c tokenizer.bin) as "llama" with
// scores and token types. No LibTorch here.
#include <cstdint>
#include <string>

namespace tb::io {
class GgufWriter;
}

namespace tb::engine {

struct GgufVocabSummary {
    std::string model; // "gpt2" or "llama"
    std::string pre;   // tokenizer.ggml.pre ("gpt-2", "llama-bpe", "qwen2", "smollm", "default")
    int64_t tokens = 0;
};

// PATH: a folder holding tokenizer files (looked for in loadTokenizer's
// order) or a llama2.c tokenizer.bin. Token ids above the tokenizer's are
// filled with "[PADn]" (type unused) up to MODELVOCABSIZE, as llama.cpp's
// converter does. Throws tb::Error when there is no tokenizer, when it has
// more tokens than the model, or when llama.cpp has no equivalent of it.
GgufVocabSummary addGgufVocabulary(io::GgufWriter& out, const std::string& path, int64_t modelVocabSize);

} // namespace tb::engine
