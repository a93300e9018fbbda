// What the processor offers for bfloat16 arithmetic, and what
// `training.precision: auto` becomes on it. Torch-free: the Method panel shows
// the resolved precision, the engine trains with it.
#pragma once

#include <string>

namespace tb {

struct CpuBf16 {
    bool amx = false;    // AMX-BF16 tiles (lscpu flag amx_bf16): bf16 GEMMs measured 9-25x f32
    bool avx512 = false; // AVX512-BF16 (avx512_bf16): ~1.5x f32
    bool any() const { return amx || avx512; }
};

// Read once from /proc/cpuinfo's flags (Linux; none elsewhere). The
// environment variable TUNEBENCH_CPU_BF16 = amx | avx512 | none overrides it,
// so tests can pretend either kind of machine.
CpuBf16 cpuBf16Support();

// "f32" or "bf16" for a configured precision ("auto", "f32", "bf16") on a
// device ("cpu", "cuda", "cuda:N"): auto is bf16 on CUDA and on CPUs with
// AMX-BF16 or AVX512-BF16, f32 elsewhere (bf16 is slower there).
std::string resolvePrecision(const std::string& configured, const std::string& device);

// One line saying what auto chose and why, e.g. "bf16 (this CPU has AMX-BF16)"
// or "f32 (this CPU has neither AMX-BF16 nor AVX512-BF16; bf16 would be slower)".
std::string precisionExplanation(const std::string& configured, const std::string& device);

} // namespace tb
