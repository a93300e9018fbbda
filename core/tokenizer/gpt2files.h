#pragma once
// GPT-2's original vocab.json + merges.txt (a.k.a. encoder.json + vocab.bpe):
// byte-level BPE with the GPT-2 regex, no BOS added, <|endoftext|> special.
#include <memory>
#include <string>
#include <string_view>

#include "tokenizer.h"

namespace tb::tok {

std::unique_ptr<Tokenizer> makeGpt2FilesTokenizer(std::string_view vocabJson, const std::string& vocabSource,
                                                  std::string_view mergesText, const std::string& mergesSource);

} // namespace tb::tok
