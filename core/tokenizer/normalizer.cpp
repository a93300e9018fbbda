#include "normalizer.h"

#include <vector>

#include "bytelevel.h"
#include "jsonfield.h"
#include "regex.h"
#include "textpattern.h"
#include "unicode.h"

namespace tb::tok {

namespace {

constexpr int kMaxNesting = 32;

class SequenceNormalizer final : public Normalizer {
public:
    explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> parts) : m_parts(std::move(parts)) {}
    void normalize(std::string& text) const override
    {
        for (const auto& part : m_parts)
            part->normalize(text);
    }

private:
    std::vector<std::unique_ptr<Normalizer>> m_parts;
};

class UnicodeNormalizer final : public Normalizer {
public:
    explicit UnicodeNormalizer(unicode::NormalForm form) : m_form(form) {}
    void normalize(std::string& text) const override { text = unicode::normalize(text, m_form); }

private:
    unicode::NormalForm m_form;
};

class LowercaseNormalizer final : public Normalizer {
public:
    void normalize(std::string& text) const override { text = unicode::toLower(text); }
};

class PrependNormalizer final : public Normalizer {
public:
    explicit PrependNormalizer(std::string prefix) : m_prefix(std::move(prefix)) {}
    void normalize(std::string& text) const override
    {
        if (!text.empty())
            text.insert(0, m_prefix);
    }

private:
    std::string m_prefix;
};

class ReplaceNormalizer final : public Normalizer {
public:
    ReplaceNormalizer(TextPattern pattern, std::string content)
        : m_pattern(std::move(pattern)), m_content(std::move(content))
    {
    }
    void normalize(std::string& text) const override { text = m_pattern.replaceAll(text, m_content); }

private:
    TextPattern m_pattern;
    std::string m_content;
};

class StripNormalizer final : public Normalizer {
public:
    StripNormalizer(bool left, bool right) : m_left(left), m_right(right) {}
    void normalize(std::string& text) const override
    {
        size_t begin = 0;
        size_t end = text.size();
        if (m_left) {
            while (begin < end) {
                size_t len = 1;
                if (!unicode::isWhitespace(unicode::decodeAt(text, begin, &len)))
                    break;
                begin += len;
            }
        }
        if (m_right) {
            while (end > begin) {
                size_t start = end - 1;
                while (start > begin && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80)
                    --start;
                size_t len = 1;
                if (!unicode::isWhitespace(unicode::decodeAt(text, start, &len)))
                    break;
                end = start;
            }
        }
        text = text.substr(begin, end - begin);
    }

private:
    bool m_left;
    bool m_right;
};

class StripAccentsNormalizer final : public Normalizer {
public:
    void normalize(std::string& text) const override
    {
        // HF drops combining marks (general category Mn) and keeps everything else.
        std::string out;
        size_t pos = 0;
        while (pos < text.size()) {
            size_t len = 1;
            const int32_t cp = unicode::decodeAt(text, pos, &len);
            if (!unicode::isNonSpacingMark(cp))
                out.append(text, pos, len);
            pos += len;
        }
        text = std::move(out);
    }
};

class ByteLevelNormalizer final : public Normalizer {
public:
    void normalize(std::string& text) const override { text = byteLevelEncode(text); }
};

} // namespace

std::unique_ptr<Normalizer> parseNormalizer(const JsonField& field, int depth)
{
    if (field.isNull())
        return nullptr;
    if (depth > kMaxNesting)
        field.fail("normalizers nested too deeply");
    field.requireObject();
    const std::string type = field["type"].string();
    if (type == "Sequence") {
        const JsonField list = field["normalizers"];
        std::vector<std::unique_ptr<Normalizer>> parts;
        for (size_t i = 0; i < list.size(); ++i) {
            auto part = parseNormalizer(list.at(i), depth + 1);
            if (!part)
                list.at(i).expected("a normalizer object");
            parts.push_back(std::move(part));
        }
        return std::make_unique<SequenceNormalizer>(std::move(parts));
    }
    if (type == "NFC")
        return std::make_unique<UnicodeNormalizer>(unicode::NormalForm::Nfc);
    if (type == "NFD")
        return std::make_unique<UnicodeNormalizer>(unicode::NormalForm::Nfd);
    if (type == "NFKC")
        return std::make_unique<UnicodeNormalizer>(unicode::NormalForm::Nfkc);
    if (type == "NFKD")
        return std::make_unique<UnicodeNormalizer>(unicode::NormalForm::Nfkd);
    if (type == "Lowercase")
        return std::make_unique<LowercaseNormalizer>();
    if (type == "Prepend")
        return std::make_unique<PrependNormalizer>(field["prepend"].string());
    if (type == "Replace")
        return std::make_unique<ReplaceNormalizer>(TextPattern::parse(field["pattern"]), field["content"].string());
    if (type == "Strip")
        return std::make_unique<StripNormalizer>(field["strip_left"].boolean(false), field["strip_right"].boolean(false));
    if (type == "StripAccents")
        return std::make_unique<StripAccentsNormalizer>();
    if (type == "ByteLevel")
        return std::make_unique<ByteLevelNormalizer>();
    field["type"].fail("unsupported normalizer type \"" + type
                       + "\" (supported: Sequence, NFC, NFD, NFKC, NFKD, Lowercase, Prepend, Replace, Strip, "
                         "StripAccents, ByteLevel)");
}

} // namespace tb::tok
