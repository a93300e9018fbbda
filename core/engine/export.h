#pragma once
// A finished run's weights written for other tools. No LibTorch.
#include <cstdint>
#include <string>

namespace tb::engine {

// Writes a finished run's result as a PEFT adapter folder and/or as a merged
// Hugging Face model folder.
void exportRun(const std::string& dbPath, int64_t runId, const std::string& adapterDir, const std::string& mergedDir);

} // namespace tb::engine
