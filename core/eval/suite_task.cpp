#include "eval/suite_task.h"

#include <algorithm>

#include "common/error.h"
#include "eval/suite_internal.h"
#include "eval/suite_readers.h"

namespace tb::eval {

using namespace suite_detail;

TaskData loadTask(const TaskSpec& spec)
{
    TaskData task;
    task.spec = spec;
    if (!spec.metrics.empty())
        task.metrics = spec.metrics;
    else if (spec.type == TaskType::Generate)
        task.metrics = {"rouge", "bleu", "chrf", "exact_match", "f1"};
    else if (spec.type == TaskType::Perplexity)
        task.metrics = {"perplexity"};
    else
        task.metrics = {"accuracy", "accuracy_norm", "ece"};

    Parsed data = readTaskFile(spec, spec.data);
    if (data.items.empty())
        throw Error(spec.data + ": no examples in the file");
    std::vector<Item> devItems;
    if (!spec.dev.empty() && spec.shots > 0) {
        devItems = readTaskFile(spec, spec.dev).items;
        if (int64_t(devItems.size()) < spec.shots)
            throw Error(spec.dev + ": shots: " + std::to_string(spec.shots) + " few-shot examples asked for but the "
                        "file has " + std::to_string(devItems.size()));
    } else if (spec.shots > 0 && int64_t(data.items.size()) <= spec.shots) {
        throw Error(spec.data + ": shots: " + std::to_string(spec.shots) + " few-shot examples asked for but the file "
                    "has " + std::to_string(data.items.size()) + " examples; each needs " + std::to_string(spec.shots)
                    + " others (or give a dev file)");
    }

    const size_t count =
        spec.limit > 0 ? std::min(data.items.size(), size_t(spec.limit)) : data.items.size();
    task.examples.reserve(count);
    for (size_t i = 0; i < count; ++i) {
        const Item& item = data.items[i];
        EvalExample ex;
        ex.id = item.id;
        ex.origin = item.origin;
        ex.prompt = data.instruction;
        // The first `shots` examples of the pool that are not this one.
        int taken = 0;
        const std::vector<Item>& pool = spec.dev.empty() ? data.items : devItems;
        for (size_t k = 0; k < pool.size() && taken < spec.shots; ++k) {
            if (spec.dev.empty() && k == i)
                continue;
            ex.prompt += pool[k].shot + data.separator;
            ++taken;
        }
        ex.prompt += item.head;
        ex.inputOffset = int64_t(ex.prompt.size());
        ex.prompt += item.input + item.tail;
        ex.input = item.input;
        ex.references = item.references;
        ex.options = item.options;
        ex.optionScores = item.optionScores;
        ex.answer = item.answer;
        // Generation over a choice format: the right option's text is the answer.
        if (spec.type == TaskType::Generate && ex.references.empty() && ex.answer >= 0) {
            ex.references = {trim(ex.options[size_t(ex.answer)])};
            ex.options.clear();
            ex.optionScores.clear();
            ex.answer = -1;
        }
        task.examples.push_back(std::move(ex));
    }
    return task;
}

} // namespace tb::eval
