#include "data/csv.h"

#include <cstdint>

#include "common/error.h"

namespace tb::data {

namespace {

std::string describeChar(char c)
{
    if (c == '\t')
        return "a tab";
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
        return "byte " + std::to_string(static_cast<unsigned char>(c));
    return std::string("'") + c + "'";
}

// Offset of the first invalid UTF-8 sequence in S, or npos.
size_t invalidUtf8At(std::string_view s)
{
    size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        size_t extra = 0;
        uint32_t min = 0;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            extra = 1;
            min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            extra = 2;
            min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            extra = 3;
            min = 0x10000;
        } else {
            return i;
        }
        if (i + extra >= s.size())
            return i;
        uint32_t cp = c & (0x3F >> extra);
        for (size_t k = 1; k <= extra; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (cc & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += extra + 1;
    }
    return std::string_view::npos;
}

} // namespace

std::vector<CsvRow> parseCsv(std::string_view text, std::string_view sourceName)
{
    const std::string name(sourceName);
    if (text.substr(0, 3) == "\xEF\xBB\xBF")
        text.remove_prefix(3);

    std::vector<CsvRow> rows;
    CsvRow row;
    std::string field;
    size_t line = 1;
    size_t i = 0;
    bool rowHasContent = false; // distinguishes an empty line from a row of empty fields

    const auto endField = [&] {
        const size_t bad = invalidUtf8At(field);
        if (bad != std::string_view::npos)
            throw Error(name + ":" + std::to_string(row.line) + ": column " + std::to_string(row.fields.size() + 1)
                        + ": expected UTF-8 text, found invalid byte sequence at byte " + std::to_string(bad)
                        + " of the field");
        row.fields.push_back(std::move(field));
        field.clear();
    };
    const auto endRow = [&] {
        if (rowHasContent) {
            endField();
            rows.push_back(std::move(row));
        }
        row = CsvRow();
        rowHasContent = false;
    };

    while (i < text.size()) {
        if (!rowHasContent)
            row.line = line;
        const char c = text[i];
        if (c == '"' && field.empty() && (rowHasContent ? text[i - 1] == ',' : true)) {
            // Quoted field: runs to the next quote not doubled.
            rowHasContent = true;
            const size_t openLine = line;
            ++i;
            for (;;) {
                if (i >= text.size())
                    throw Error(name + ":" + std::to_string(openLine)
                                + ": unterminated quoted field: expected a closing '\"', found end of file");
                const char q = text[i];
                if (q == '"') {
                    if (i + 1 < text.size() && text[i + 1] == '"') {
                        field += '"';
                        i += 2;
                        continue;
                    }
                    ++i;
                    break;
                }
                if (q == '\n')
                    ++line;
                field += q;
                ++i;
            }
            if (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r')
                throw Error(name + ":" + std::to_string(line) + ": column " + std::to_string(row.fields.size() + 1)
                            + ": expected ',' or end of line after a closing quote, found " + describeChar(text[i]));
            continue;
        }
        if (c == ',') {
            rowHasContent = true;
            endField();
            ++i;
        } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            endRow();
            i += 2;
            ++line;
        } else if (c == '\n') {
            endRow();
            ++i;
            ++line;
        } else {
            rowHasContent = true;
            field += c;
            ++i;
        }
    }
    endRow();
    return rows;
}

} // namespace tb::data
