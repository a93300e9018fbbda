#include "common/smoothing.h"

#include <algorithm>
#include <cmath>

namespace tb {

std::vector<double> smoothEma(const std::vector<double>& values, double weight)
{
    const double w = std::isfinite(weight) ? std::clamp(weight, 0.0, kMaxSmoothingWeight) : 0.0;
    // TensorBoard leaves a constant series alone (its issue #786); comparing
    // with == keeps a series holding NaN out of this shortcut, as there.
    if (std::all_of(values.begin(), values.end(), [&](double v) { return v == values.front(); }))
        return values;

    std::vector<double> out;
    out.reserve(values.size());
    double last = 0;
    int finite = 0;
    for (const double v : values) {
        if (!std::isfinite(v)) {
            out.push_back(v);
            continue;
        }
        last = last * w + (1 - w) * v;
        ++finite;
        out.push_back(last / (1 - std::pow(w, finite)));
    }
    return out;
}

} // namespace tb
