#pragma once
// Reading settings objects (RUN.json and its parts) with errors that name the
// field: unknown keys are refused, present keys must have the right type,
// missing or null keys keep the caller's default.
#include "common/error.h"

#include <nlohmann/json.hpp>

#include <set>
#include <string>

namespace tb::json_fields {

inline void checkKeys(const nlohmann::json& j, const std::set<std::string>& allowed, const std::string& where)
{
    if (!j.is_object())
        throw Error(where + ": expected an object, found " + std::string(j.type_name()));
    for (auto it = j.begin(); it != j.end(); ++it)
        if (!allowed.count(it.key())) {
            std::string list;
            for (const auto& a : allowed)
                list += (list.empty() ? "" : ", ") + a;
            throw Error(where + ": unknown key '" + it.key() + "' (expected one of: " + list + ")");
        }
}

template <typename T>
void read(const nlohmann::json& j, const char* key, T& out, const std::string& where)
{
    auto it = j.find(key);
    if (it == j.end() || it->is_null())
        return;
    try {
        out = it->get<T>();
    } catch (const nlohmann::json::exception&) {
        throw Error(where + "." + key + ": wrong type, found " + it->dump());
    }
}

} // namespace tb::json_fields
