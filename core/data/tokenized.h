#pragma once
// Records -> token ids and labels. Labels follow the Hugging Face convention:
// same length as the ids, not shifted (the model shifts), kIgnoreIndex where no
// loss is taken.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "data/template.h"
#include "tokenizer/tokenizer.h"

namespace tb::data {

using tok::TokenId;

// PyTorch's cross_entropy default ignore_index.
constexpr TokenId kIgnoreIndex = -100;

struct TokenizeOptions {
    TemplateKind templateKind = TemplateKind::Alpaca;
    // Loss on prompt tokens too (default: response tokens only). BOS never
    // takes loss: nothing predicts the first token.
    bool lossOnPrompt = false;
    // BOS before the prompt. nullopt: as the tokenizer does by itself
    // (Llama adds one, GPT-2 and Qwen2 do not).
    std::optional<bool> addBos;
    // EOS after the response, with loss, so the model learns to stop.
    bool addEos = true;
    // Longer examples keep their first maxLength tokens and are counted as
    // truncated. 0: no limit.
    size_t maxLength = 2048;
    // Drop examples left with no loss token (e.g. a prompt longer than
    // maxLength): they teach nothing and an all-ignored batch has no loss.
    bool dropWithoutLoss = true;
};

struct Example {
    std::vector<TokenId> ids;
    std::vector<TokenId> labels;
    std::string task;
    bool truncated = false;
};

struct TokenizedSet {
    std::vector<Example> examples;
    size_t truncated = 0; // examples cut to maxLength (kept)
    size_t dropped = 0;   // examples dropped for having no loss token
};

// The prompt/response boundary comes from encoding the text up to it, as
// Stanford Alpaca does (len(encode(prompt)) over encode(prompt + response)),
// not from encoding segments apart: SentencePiece would otherwise insert a
// word-start marker at every segment.
Example tokenizeRecord(const Record& record, const tok::Tokenizer& tokenizer, const TokenizeOptions& options);
TokenizedSet tokenizeRecords(const std::vector<Record>& records, const tok::Tokenizer& tokenizer,
                             const TokenizeOptions& options);

// One training row before padding: a single example or several packed ones.
struct Sequence {
    std::vector<TokenId> ids;
    std::vector<TokenId> labels;
    // Offsets where each example starts ({0} for one example), so attention
    // and positions can be reset per example if wanted.
    std::vector<size_t> starts;
};

std::vector<Sequence> toSequences(const std::vector<Example>& examples);

struct PackOptions {
    size_t sequenceLength = 2048;
    // false: an example that does not fit in the rest of a sequence starts the
    // next one (the rest is left for padding); one longer than sequenceLength
    // is truncated and counted. true: examples run on across sequences, no
    // padding except in the last sequence (GPT-style concatenate and chunk).
    bool splitAcrossSequences = false;
};

struct PackedSet {
    std::vector<Sequence> sequences; // each at most sequenceLength long
    size_t truncated = 0;
};

// Greedy, in the examples' order; labels keep their masks.
PackedSet pack(const std::vector<Example>& examples, const PackOptions& options);

} // namespace tb::data
