#include "eval/metric_info.h"

#include <algorithm>
#include <set>

namespace tb::eval {

std::string primaryMetric(TaskType type, const std::vector<std::string>& requested,
                          const std::vector<std::string>& available)
{
    switch (type) {
    case TaskType::Perplexity:
        return "perplexity";
    case TaskType::MultipleChoice:
    case TaskType::Classification:
        return "accuracy";
    case TaskType::Generate:
        break;
    }
    const auto present = [&](const std::string& m) {
        return available.empty() || std::find(available.begin(), available.end(), m) != available.end();
    };
    for (const auto& m : requested) {
        const std::string name = m == "rouge" ? "rougeL" : m;
        if (present(name))
            return name;
    }
    if (available.empty())
        return "rougeL";
    for (const char* m : {"rougeL", "bleu", "chrf", "exact_match", "f1", "accuracy"})
        if (present(m))
            return m;
    return {};
}

std::string primaryMetric(const TaskData& task)
{
    return primaryMetric(task.spec.type, task.metrics.empty() ? task.spec.metrics : task.metrics);
}

std::string primaryMetric(const std::string& typeName, const std::vector<std::string>& requested,
                          const std::vector<std::string>& available)
{
    const TaskType type = typeName == "perplexity"        ? TaskType::Perplexity
                          : typeName == "multiple_choice" ? TaskType::MultipleChoice
                          : typeName == "classification"  ? TaskType::Classification
                                                          : TaskType::Generate;
    return primaryMetric(type, requested, available);
}

bool higherIsBetter(const std::string& metric)
{
    static const std::set<std::string> lower = {"perplexity", "nll", "ece", "seconds"};
    return lower.count(metric) == 0;
}

} // namespace tb::eval
