#include "jsonfield.h"

#include "common/error.h"
#include "unicode.h"

namespace tb::tok {

namespace {
const nlohmann::json& nullJson()
{
    static const nlohmann::json value;
    return value;
}
} // namespace

JsonField::JsonField(const nlohmann::json& value, std::string file, std::string path)
    : m_value(&value), m_file(std::move(file)), m_path(std::move(path))
{
}

JsonField JsonField::operator[](std::string_view key) const
{
    std::string path = m_path.empty() ? std::string(key) : m_path + "." + std::string(key);
    if (!m_value->is_object())
        return JsonField(nullJson(), m_file, std::move(path));
    const auto it = m_value->find(key);
    if (it == m_value->end())
        return JsonField(nullJson(), m_file, std::move(path));
    return JsonField(*it, m_file, std::move(path));
}

JsonField JsonField::at(size_t index) const
{
    std::string path = m_path + "[" + std::to_string(index) + "]";
    if (!m_value->is_array() || index >= m_value->size())
        return JsonField(nullJson(), m_file, std::move(path));
    return JsonField((*m_value)[index], m_file, std::move(path));
}

size_t JsonField::size() const
{
    requireArray();
    return m_value->size();
}

std::string JsonField::string() const
{
    if (!m_value->is_string())
        expected("a string");
    return m_value->get<std::string>();
}

std::optional<std::string> JsonField::optionalString() const
{
    if (m_value->is_null())
        return std::nullopt;
    return string();
}

bool JsonField::boolean(bool fallback) const
{
    if (m_value->is_null())
        return fallback;
    if (!m_value->is_boolean())
        expected("true or false");
    return m_value->get<bool>();
}

uint32_t JsonField::u32() const
{
    if (m_value->is_number_unsigned() || m_value->is_number_integer()) {
        if (m_value->is_number_integer() && !m_value->is_number_unsigned() && m_value->get<int64_t>() < 0)
            expected("a non-negative integer");
        const uint64_t v = m_value->get<uint64_t>();
        if (v > UINT32_MAX)
            expected("an integer below 2^32");
        return static_cast<uint32_t>(v);
    }
    expected("a non-negative integer");
}

uint32_t JsonField::optionalU32(uint32_t fallback) const
{
    return m_value->is_null() ? fallback : u32();
}

void JsonField::requireObject() const
{
    if (!m_value->is_object())
        expected("an object");
}

void JsonField::requireArray() const
{
    if (!m_value->is_array())
        expected("an array");
}

void JsonField::fail(const std::string& what) const
{
    throw Error(m_file + ": " + (m_path.empty() ? std::string() : m_path + ": ") + what);
}

void JsonField::expected(const std::string& what) const
{
    fail("expected " + what + ", found " + describe());
}

std::string JsonField::describe() const
{
    switch (m_value->type()) {
    case nlohmann::json::value_t::null:
        return "null";
    case nlohmann::json::value_t::object:
        return "an object";
    case nlohmann::json::value_t::array:
        return "an array";
    case nlohmann::json::value_t::string: {
        const std::string quoted = m_value->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        // Long strings are cut; the cut may split a code point, hence toValidUtf8.
        return quoted.size() > 40 ? unicode::toValidUtf8(quoted.substr(0, 40)) + "...\"" : quoted;
    }
    default:
        return m_value->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
}

} // namespace tb::tok
