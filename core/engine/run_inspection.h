#pragma once
// What a finished run learned, as numbers a person can read: how large each
// LoRA update is against its weight, how loud each bottleneck adapter is,
// which vocabulary tokens a soft prompt's virtual tokens lie nearest, and
// which tensors full or selective fine-tuning moved most. No LibTorch.
#include "store/run_store.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tb::engine {

// One LoRA-carrying projection: the update s·B·A against the frozen weight.
struct LoraUpdate {
    std::string path;       // module path, e.g. model.layers.0.self_attn.q_proj
    std::string projection; // its last component: q_proj, c_attn
    int64_t layer = -1;     // block index; -1 outside the blocks
    double updateNorm = 0;  // ‖s·B·A‖_F
    double weightNorm = 0;  // ‖W‖_F of the base weight
    double ratio = 0;       // updateNorm / weightNorm (0 when the weight is zero)
};

// One Houlsby adapter (e.g. model.layers.0.attn_adapter). Its up-projection
// starts at zero, so ‖up‖ says how much the adapter adds to the residual.
struct AdapterUpdate {
    std::string path;
    int64_t layer = -1;
    double upNorm = 0;   // ‖up.weight‖_F
    double downNorm = 0; // ‖down.weight‖_F
};

struct NearToken {
    int64_t id = 0;
    std::string text;      // decoded with special tokens kept; empty without a tokenizer
    double similarity = 0; // cosine similarity with the virtual token
};

// One virtual token of a soft prompt (Lester et al. 2021 read learned
// prompts through their nearest vocabulary neighbours,
// https://arxiv.org/abs/2104.08691).
struct VirtualToken {
    int64_t index = 0;
    double norm = 0;               // L2 norm of its embedding
    std::vector<NearToken> nearest; // most similar first
};

// One parameter tensor of a whole trained model against the base model.
struct TensorChange {
    std::string name;      // e.g. model.layers.1.mlp.down_proj.weight
    int64_t layer = -1;
    double changeNorm = 0; // ‖trained − base‖_F
    double baseNorm = 0;   // ‖base‖_F
    double relative = 0;   // changeNorm / baseNorm (changeNorm itself when the base is zero)
};

struct RunInspection {
    int64_t runId = 0;
    std::string method;       // full, selective, lora, adapter, prompt_tuning
    std::string weightsKind;  // adapter or model: what the run saved
    std::string weightsPath;
    std::string baseModel;
    std::vector<LoraUpdate> lora;         // in module order
    std::vector<AdapterUpdate> adapters;  // in module order
    std::vector<VirtualToken> prompt;     // in prompt order
    // Full or selective fine-tuning, or a run whose only weights are a whole
    // model: the tensors that moved most, by relative change, at most 20.
    std::vector<TensorChange> changes;
    int64_t tensorsCompared = 0;
    int64_t tensorsChanged = 0; // with a non-zero change
};

// Loads what run `runId` saved (engine/model_source.h) on CPU and measures
// it; `nearest` vocabulary tokens are listed per virtual token. Throws
// tb::Error naming the run when it saved nothing or its files do not load.
RunInspection inspectRun(const store::RunStore& store, int64_t runId, int64_t nearest = 5);

} // namespace tb::engine
