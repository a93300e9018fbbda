#pragma once
// Read-only view of one value inside a parsed JSON file that knows where it
// is ("model.merges[17]"), so every validation error names file and field.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace tb::tok {

class JsonField {
public:
    JsonField(const nlohmann::json& value, std::string file, std::string path = {});

    const nlohmann::json& value() const { return *m_value; }
    const std::string& file() const { return m_file; }
    const std::string& path() const { return m_path; }

    bool isNull() const { return m_value->is_null(); }
    bool isString() const { return m_value->is_string(); }
    bool isArray() const { return m_value->is_array(); }
    bool isObject() const { return m_value->is_object(); }

    // A missing key reads as null, so optional fields need no special casing.
    JsonField operator[](std::string_view key) const;
    JsonField at(size_t index) const;
    size_t size() const; // of an array; fails on anything else

    std::string string() const;
    std::optional<std::string> optionalString() const;
    bool boolean(bool fallback) const;
    uint32_t u32() const;
    uint32_t optionalU32(uint32_t fallback) const;

    // Requires an object/array (fails otherwise).
    void requireObject() const;
    void requireArray() const;

    // Throws tb::Error "FILE: PATH: WHAT".
    [[noreturn]] void fail(const std::string& what) const;
    // "expected X, found <short description of this value>".
    [[noreturn]] void expected(const std::string& what) const;

    // For messages: 42, "abc", an object, an array, null...
    std::string describe() const;

private:
    const nlohmann::json* m_value;
    std::string m_file;
    std::string m_path;
};

} // namespace tb::tok
