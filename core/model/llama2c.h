#pragma once
// llama2.c checkpoints (https://github.com/karpathy/llama2.c, "legacy" .bin):
// seven little-endian int32 header fields (dim, hidden_dim, n_layers, n_heads,
// n_kv_heads, vocab_size, seq_len; a negative vocab_size means an untied
// classifier), then float32 weights in llama2.c order. The weights come out
// under Hugging Face Llama names with q/k rows permuted from llama2.c's
// interleaved rotary layout to Hugging Face's half-split layout, so one Llama
// implementation runs both.
#include "io/weight_set.h"
#include "model/model_config.h"

#include <string>

namespace tb::model {

struct Llama2cCheckpoint {
    ModelConfig config;
    io::WeightSet weights;
};

bool looksLikeLlama2c(const std::string& path);
Llama2cCheckpoint readLlama2c(const std::string& path);

} // namespace tb::model
