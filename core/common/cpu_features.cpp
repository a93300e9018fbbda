#include "common/cpu_features.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace tb {

namespace {

CpuBf16 readCpuInfo()
{
    CpuBf16 s;
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("flags", 0) != 0)
            continue;
        std::istringstream words(line.substr(line.find(':') == std::string::npos ? 0 : line.find(':') + 1));
        std::string flag;
        while (words >> flag) {
            s.amx = s.amx || flag == "amx_bf16";
            s.avx512 = s.avx512 || flag == "avx512_bf16";
        }
        break; // every core reports the same flags
    }
    return s;
}

bool isCuda(const std::string& device)
{
    return device.rfind("cuda", 0) == 0;
}

} // namespace

CpuBf16 cpuBf16Support()
{
    if (const char* forced = std::getenv("TUNEBENCH_CPU_BF16"); forced && *forced) {
        const std::string v = forced;
        CpuBf16 s;
        s.amx = v == "amx";
        s.avx512 = v == "amx" || v == "avx512";
        return s;
    }
    static const CpuBf16 detected = readCpuInfo();
    return detected;
}

std::string resolvePrecision(const std::string& configured, const std::string& device)
{
    if (configured != "auto")
        return configured;
    return isCuda(device) || cpuBf16Support().any() ? "bf16" : "f32";
}

std::string precisionExplanation(const std::string& configured, const std::string& device)
{
    const std::string resolved = resolvePrecision(configured, device);
    if (configured != "auto")
        return resolved + " (set in the configuration)";
    if (isCuda(device))
        return "bf16 (CUDA device)";
    const CpuBf16 s = cpuBf16Support();
    if (s.amx)
        return "bf16 (this CPU has AMX-BF16)";
    if (s.avx512)
        return "bf16 (this CPU has AVX512-BF16)";
    return "f32 (this CPU has neither AMX-BF16 nor AVX512-BF16; bf16 would be slower)";
}

} // namespace tb
