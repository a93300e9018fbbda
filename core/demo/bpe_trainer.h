#pragma once
// A small byte-level BPE trainer (Sennrich et al. 2016,
// https://arxiv.org/abs/1508.07909, on GPT-2's byte alphabet) and the
// Hugging Face tokenizer.json it is saved as. Words are cut by the same
// ByteLevel pre-tokenizer (GPT-2 regex) that loads the file, so training and
// encoding agree. No LibTorch here.
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace tb::demo {

struct BpeVocabulary {
    std::vector<std::string> tokens;                         // id -> token in GPT-2's byte-to-unicode form
    std::vector<std::pair<std::string, std::string>> merges; // in rank order
};

// The 256 byte symbols (ids 0-255, in the order of GPT-2's vocab.json) plus up
// to MERGES merges learned on TEXTS; stops early when no pair occurs twice.
// Ties between equally frequent pairs go to the lower (left id, right id),
// so the result depends on nothing but the input.
BpeVocabulary trainByteLevelBpe(const std::vector<std::string>& texts, size_t merges);

// tokenizer.json: BPE model, ByteLevel pre-tokenizer/decoder, and
// SPECIALTOKEN (e.g. "<|endoftext|>") appended as a special added token.
std::string tokenizerJson(const BpeVocabulary& vocabulary, const std::string& specialToken);

// tokenizer_config.json naming SPECIALTOKEN as BOS and EOS (GPT-2 style: no
// BOS is added on encode) and the context length.
std::string tokenizerConfigJson(const std::string& specialToken, int64_t modelMaxLength);

} // namespace tb::demo
