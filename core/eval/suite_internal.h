#pragma once
// Helpers the suite's implementation files share (spec, readers, task,
// perturbations, scoring); not part of the eval API, so callers include
// eval/suite.h instead.
#include <algorithm>
#include <cctype>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/suite_spec.h"

namespace tb::eval::suite_detail {

// The names SUITE.json accepts, sorted as error messages list them.
inline const char* const kPerturbations[] = {"contractions", "lowercase", "typos", "whitespace"};
inline const char* const kGenerateMetrics[] = {"accuracy", "bleu", "chrf", "exact_match", "f1", "rouge"};

template <typename Range>
std::string joinQuoted(const Range& names, const char* quote = "")
{
    std::string out;
    for (const auto& n : names)
        out += (out.empty() ? "" : ", ") + std::string(quote) + std::string(n) + quote;
    return out;
}

template <typename Range>
bool contains(const Range& names, const std::string& name)
{
    return std::find(std::begin(names), std::end(names), name) != std::end(names);
}

inline bool isChoice(TaskType t)
{
    return t == TaskType::MultipleChoice || t == TaskType::Classification;
}

inline std::string trim(const std::string& s)
{
    size_t b = 0;
    size_t e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b])))
        ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1])))
        --e;
    return s.substr(b, e - b);
}

// nlohmann's message without its "[json.exception.parse_error.101] " prefix.
inline std::string jsonReason(const nlohmann::json::exception& e)
{
    const std::string what = e.what();
    const size_t at = what.find("] ");
    return at == std::string::npos ? what : what.substr(at + 2);
}

// {name} slots of a prompt template, in order.
inline std::vector<std::string> templateSlots(const std::string& tmpl)
{
    std::vector<std::string> slots;
    size_t pos = 0;
    while ((pos = tmpl.find('{', pos)) != std::string::npos) {
        const size_t end = tmpl.find('}', pos);
        if (end == std::string::npos)
            break;
        slots.push_back(tmpl.substr(pos + 1, end - pos - 1));
        pos = end + 1;
    }
    return slots;
}

} // namespace tb::eval::suite_detail
