#pragma once
// Comparing with reference values stored as JSON fixtures.
#include "io/atomic_file.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace tb::test {

inline nlohmann::json readJson(const std::string& path) { return nlohmann::json::parse(io::readFile(path)); }

// Largest |ours - reference| relative to max(1, |reference|).
inline double maxError(const std::vector<float>& ours, const nlohmann::json& ref)
{
    double worst = 0;
    for (size_t i = 0; i < ours.size(); ++i) {
        const double r = ref[i].get<double>();
        worst = std::max(worst, std::abs(ours[i] - r) / std::max(1.0, std::abs(r)));
    }
    return worst;
}

} // namespace tb::test
