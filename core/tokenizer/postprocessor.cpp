#include "postprocessor.h"

#include <map>
#include <string>

#include "jsonfield.h"

namespace tb::tok {

namespace {

constexpr int kMaxNesting = 32;

// TemplateProcessing / RobertaProcessing / BertProcessing for a single
// sequence all reduce to "these ids, the sequence, those ids".
class WrapProcessor final : public PostProcessor {
public:
    WrapProcessor(std::vector<int64_t> prefix, std::vector<int64_t> suffix)
        : m_prefix(std::move(prefix)), m_suffix(std::move(suffix))
    {
    }
    void addSpecialTokens(std::vector<int64_t>& ids) const override
    {
        ids.insert(ids.begin(), m_prefix.begin(), m_prefix.end());
        ids.insert(ids.end(), m_suffix.begin(), m_suffix.end());
    }
    std::vector<int64_t> prefixIds() const override { return m_prefix; }
    std::vector<int64_t> suffixIds() const override { return m_suffix; }

private:
    std::vector<int64_t> m_prefix;
    std::vector<int64_t> m_suffix;
};

// A template used several times ("$A $A") repeats the sequence; keep it general.
class TemplateProcessor final : public PostProcessor {
public:
    struct Piece {
        bool isSequence;
        std::vector<int64_t> ids;
    };
    explicit TemplateProcessor(std::vector<Piece> pieces) : m_pieces(std::move(pieces)) {}
    void addSpecialTokens(std::vector<int64_t>& ids) const override
    {
        std::vector<int64_t> out;
        for (const Piece& piece : m_pieces) {
            if (piece.isSequence)
                out.insert(out.end(), ids.begin(), ids.end());
            else
                out.insert(out.end(), piece.ids.begin(), piece.ids.end());
        }
        ids = std::move(out);
    }
    std::vector<int64_t> prefixIds() const override
    {
        std::vector<int64_t> out;
        for (const Piece& piece : m_pieces) {
            if (piece.isSequence)
                break;
            out.insert(out.end(), piece.ids.begin(), piece.ids.end());
        }
        return out;
    }
    std::vector<int64_t> suffixIds() const override
    {
        std::vector<int64_t> out;
        for (auto it = m_pieces.rbegin(); it != m_pieces.rend() && !it->isSequence; ++it)
            out.insert(out.begin(), it->ids.begin(), it->ids.end());
        return out;
    }

private:
    std::vector<Piece> m_pieces;
};

class SequenceProcessor final : public PostProcessor {
public:
    explicit SequenceProcessor(std::vector<std::unique_ptr<PostProcessor>> parts) : m_parts(std::move(parts)) {}
    void addSpecialTokens(std::vector<int64_t>& ids) const override
    {
        for (const auto& part : m_parts)
            part->addSpecialTokens(ids);
    }
    std::vector<int64_t> prefixIds() const override
    {
        std::vector<int64_t> out;
        for (const auto& part : m_parts) {
            const auto p = part->prefixIds();
            out.insert(out.begin(), p.begin(), p.end());
        }
        return out;
    }
    std::vector<int64_t> suffixIds() const override
    {
        std::vector<int64_t> out;
        for (const auto& part : m_parts) {
            const auto s = part->suffixIds();
            out.insert(out.end(), s.begin(), s.end());
        }
        return out;
    }

private:
    std::vector<std::unique_ptr<PostProcessor>> m_parts;
};

class NoOpProcessor final : public PostProcessor {
public:
    void addSpecialTokens(std::vector<int64_t>&) const override {}
};

// ["<s>", 0] as RobertaProcessing/BertProcessing store cls and sep.
int64_t tokenPairId(const JsonField& field)
{
    if (!field.isArray() || field.size() != 2 || !field.at(0).isString())
        field.expected("[\"token\", id]");
    return field.at(1).u32();
}

std::unique_ptr<PostProcessor> parseTemplate(const JsonField& field)
{
    // special_tokens: {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}
    std::map<std::string, std::vector<int64_t>> specials;
    const JsonField table = field["special_tokens"];
    if (!table.isNull()) {
        table.requireObject();
        for (const auto& [name, value] : table.value().items()) {
            const JsonField entry = table[name];
            entry.requireObject();
            const JsonField ids = entry["ids"];
            std::vector<int64_t> list;
            for (size_t i = 0; i < ids.size(); ++i)
                list.push_back(ids.at(i).u32());
            specials[name] = std::move(list);
        }
    }
    const JsonField single = field["single"];
    std::vector<TemplateProcessor::Piece> pieces;
    for (size_t i = 0; i < single.size(); ++i) {
        const JsonField piece = single.at(i);
        std::string specialName;
        bool isSequence = false;
        if (piece.isString()) {
            // Older shorthand: "$A", "$0", "[CLS]" (optionally ":<type id>").
            std::string text = piece.string();
            const size_t colon = text.rfind(':');
            if (colon != std::string::npos && colon > 0)
                text = text.substr(0, colon);
            if (!text.empty() && text[0] == '$')
                isSequence = true;
            else
                specialName = text;
        } else if (piece.isObject() && !piece["Sequence"].isNull()) {
            const std::string id = piece["Sequence"]["id"].string();
            if (id != "A")
                piece["Sequence"]["id"].expected("\"A\" in a single-sequence template");
            isSequence = true;
        } else if (piece.isObject() && !piece["SpecialToken"].isNull()) {
            specialName = piece["SpecialToken"]["id"].string();
        } else {
            piece.expected("{\"Sequence\": ...} or {\"SpecialToken\": ...}");
        }
        if (isSequence) {
            pieces.push_back({true, {}});
            continue;
        }
        const auto it = specials.find(specialName);
        if (it == specials.end())
            piece.fail("special token \"" + specialName + "\" is not in special_tokens");
        pieces.push_back({false, it->second});
    }
    return std::make_unique<TemplateProcessor>(std::move(pieces));
}

} // namespace

std::unique_ptr<PostProcessor> parsePostProcessor(const JsonField& field, int depth)
{
    if (field.isNull())
        return nullptr;
    if (depth > kMaxNesting)
        field.fail("post-processors nested too deeply");
    field.requireObject();
    const std::string type = field["type"].string();
    if (type == "TemplateProcessing")
        return parseTemplate(field);
    if (type == "ByteLevel")
        return std::make_unique<NoOpProcessor>(); // only trims offsets, which we do not expose
    if (type == "RobertaProcessing" || type == "BertProcessing")
        return std::make_unique<WrapProcessor>(std::vector<int64_t>{tokenPairId(field["cls"])},
                                               std::vector<int64_t>{tokenPairId(field["sep"])});
    if (type == "Sequence") {
        const JsonField list = field["processors"];
        std::vector<std::unique_ptr<PostProcessor>> parts;
        for (size_t i = 0; i < list.size(); ++i) {
            auto part = parsePostProcessor(list.at(i), depth + 1);
            if (!part)
                list.at(i).expected("a post-processor object");
            parts.push_back(std::move(part));
        }
        return std::make_unique<SequenceProcessor>(std::move(parts));
    }
    field["type"].fail("unsupported post-processor type \"" + type
                       + "\" (supported: TemplateProcessing, ByteLevel, RobertaProcessing, BertProcessing, "
                         "Sequence)");
}

} // namespace tb::tok
