#include "peft/method_config.h"

#include "common/error.h"
#include "common/json_fields.h"

#include <nlohmann/json.hpp>

#include <regex>
#include <set>

namespace tb::peft {

using nlohmann::json;

std::string methodName(Method m)
{
    switch (m) {
    case Method::Full: return "full";
    case Method::Selective: return "selective";
    case Method::Lora: return "lora";
    case Method::Adapter: return "adapter";
    case Method::PromptTuning: return "prompt_tuning";
    }
    return "?";
}

using json_fields::checkKeys;

namespace {

// A field's value, or `fallback` when it is absent or null.
template <typename T>
T get(const json& j, const char* key, T fallback, const std::string& where)
{
    json_fields::read(j, key, fallback, where);
    return fallback;
}

} // namespace

MethodConfig parseMethodConfig(const json& j, const std::string& source)
{
    if (!j.is_object())
        throw Error(source + ": method settings must be an object");
    checkKeys(j, {"method", "selective", "lora", "adapter", "prompt_tuning"}, source);
    MethodConfig c;
    const std::string name = get<std::string>(j, "method", "lora", source);
    if (name == "full")
        c.method = Method::Full;
    else if (name == "selective")
        c.method = Method::Selective;
    else if (name == "lora")
        c.method = Method::Lora;
    else if (name == "adapter")
        c.method = Method::Adapter;
    else if (name == "prompt_tuning")
        c.method = Method::PromptTuning;
    else
        throw Error(source + ".method: unknown method '" + name +
                    "' (expected full, selective, lora, adapter or prompt_tuning)");

    if (auto s = j.find("selective"); s != j.end()) {
        const std::string w = source + ".selective";
        checkKeys(*s, {"biases", "norms", "embeddings", "head", "layers", "patterns"}, w);
        c.selective.biases = get<bool>(*s, "biases", false, w);
        c.selective.norms = get<bool>(*s, "norms", false, w);
        c.selective.embeddings = get<bool>(*s, "embeddings", false, w);
        c.selective.head = get<bool>(*s, "head", false, w);
        c.selective.patterns = get<std::vector<std::string>>(*s, "patterns", {}, w);
        for (const auto& p : c.selective.patterns) {
            try {
                std::regex re(p);
            } catch (const std::regex_error&) {
                throw Error(w + ".patterns: '" + p + "' is not a valid regular expression");
            }
        }
        for (const auto& r : get<std::vector<std::vector<int64_t>>>(*s, "layers", {}, w)) {
            if (r.size() != 2 || r[0] < 0 || r[1] < r[0])
                throw Error(w + ".layers: each range must be [first, last] with 0 <= first <= last");
            c.selective.layers.emplace_back(r[0], r[1]);
        }
    }
    if (auto s = j.find("lora"); s != j.end()) {
        const std::string w = source + ".lora";
        checkKeys(*s, {"rank", "alpha", "dropout", "targets", "rslora"}, w);
        c.lora.rank = get<int64_t>(*s, "rank", 8, w);
        c.lora.alpha = get<double>(*s, "alpha", 16.0, w);
        c.lora.dropout = get<double>(*s, "dropout", 0.05, w);
        c.lora.targets = get<std::vector<std::string>>(*s, "targets", {}, w);
        c.lora.rsLora = get<bool>(*s, "rslora", false, w);
        if (c.lora.rank <= 0)
            throw Error(w + ".rank: expected a positive integer, found " + std::to_string(c.lora.rank));
        if (c.lora.dropout < 0 || c.lora.dropout >= 1)
            throw Error(w + ".dropout: expected a value in [0, 1)");
    }
    if (auto s = j.find("adapter"); s != j.end()) {
        const std::string w = source + ".adapter";
        checkKeys(*s, {"size", "activation"}, w);
        c.adapter.size = get<int64_t>(*s, "size", 64, w);
        c.adapter.activation = get<std::string>(*s, "activation", "relu", w);
        if (c.adapter.size <= 0)
            throw Error(w + ".size: expected a positive integer");
        const std::set<std::string> acts = {"relu", "gelu", "silu", "tanh"};
        if (!acts.count(c.adapter.activation))
            throw Error(w + ".activation: '" + c.adapter.activation + "' (expected relu, gelu, silu or tanh)");
    }
    if (auto s = j.find("prompt_tuning"); s != j.end()) {
        const std::string w = source + ".prompt_tuning";
        checkKeys(*s, {"num_virtual_tokens", "init", "text"}, w);
        c.prompt.numVirtualTokens = get<int64_t>(*s, "num_virtual_tokens", 20, w);
        c.prompt.init = get<std::string>(*s, "init", "random", w);
        c.prompt.text = get<std::string>(*s, "text", "", w);
        if (c.prompt.numVirtualTokens <= 0)
            throw Error(w + ".num_virtual_tokens: expected a positive integer");
        if (c.prompt.init != "random" && c.prompt.init != "vocab" && c.prompt.init != "text")
            throw Error(w + ".init: '" + c.prompt.init + "' (expected random, vocab or text)");
        if (c.prompt.init == "text" && c.prompt.text.empty())
            throw Error(w + ".text: init 'text' needs a non-empty text");
    }
    return c;
}

json toJson(const MethodConfig& c)
{
    json layers = json::array();
    for (const auto& [a, b] : c.selective.layers)
        layers.push_back({a, b});
    return {{"method", methodName(c.method)},
            {"selective",
             {{"biases", c.selective.biases},
              {"norms", c.selective.norms},
              {"embeddings", c.selective.embeddings},
              {"head", c.selective.head},
              {"layers", layers},
              {"patterns", c.selective.patterns}}},
            {"lora",
             {{"rank", c.lora.rank},
              {"alpha", c.lora.alpha},
              {"dropout", c.lora.dropout},
              {"targets", c.lora.targets},
              {"rslora", c.lora.rsLora}}},
            {"adapter", {{"size", c.adapter.size}, {"activation", c.adapter.activation}}},
            {"prompt_tuning",
             {{"num_virtual_tokens", c.prompt.numVirtualTokens}, {"init", c.prompt.init}, {"text", c.prompt.text}}}};
}

} // namespace tb::peft
