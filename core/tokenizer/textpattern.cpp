#include "textpattern.h"

#include "jsonfield.h"

namespace tb::tok {

TextPattern TextPattern::parse(const JsonField& field)
{
    field.requireObject();
    const JsonField literalText = field["String"];
    const JsonField regexText = field["Regex"];
    if (!literalText.isNull())
        return TextPattern(Regex::literal(literalText.string()));
    if (!regexText.isNull()) {
        std::string error;
        auto regex = Regex::compile(regexText.string(), &error);
        if (!regex)
            regexText.fail("invalid regex: " + error);
        return TextPattern(std::move(regex));
    }
    field.expected("{\"String\": ...} or {\"Regex\": ...}");
}

TextPattern TextPattern::literal(std::string_view text)
{
    return TextPattern(Regex::literal(text));
}

std::string TextPattern::replaceAll(std::string_view text, std::string_view content) const
{
    std::string out;
    size_t prev = 0;
    for (const auto& [start, end] : m_regex->findAll(text)) {
        out.append(text.substr(prev, start - prev));
        out.append(content);
        prev = end;
    }
    out.append(text.substr(prev));
    return out;
}

} // namespace tb::tok
