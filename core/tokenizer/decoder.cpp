#include "decoder.h"

#include "bytelevel.h"
#include "jsonfield.h"
#include "textpattern.h"
#include "unicode.h"

namespace tb::tok {

namespace {

constexpr int kMaxNesting = 32;

std::vector<int32_t> codePoints(const std::string& text)
{
    std::vector<int32_t> out;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t len = 1;
        out.push_back(unicode::decodeAt(text, pos, &len));
        pos += len;
    }
    return out;
}

std::string fromCodePoints(const std::vector<int32_t>& cps, size_t begin, size_t end)
{
    std::string out;
    for (size_t i = begin; i < end && i < cps.size(); ++i)
        unicode::appendUtf8(out, cps[i] < 0 ? 0xFFFD : static_cast<uint32_t>(cps[i]));
    return out;
}

class SequenceDecoder final : public Decoder {
public:
    explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> parts) : m_parts(std::move(parts)) {}
    void decodeChain(std::vector<std::string>& tokens) const override
    {
        for (const auto& part : m_parts)
            part->decodeChain(tokens);
    }
    bool isByteLevel() const override
    {
        for (const auto& part : m_parts) {
            if (part->isByteLevel())
                return true;
        }
        return false;
    }

private:
    std::vector<std::unique_ptr<Decoder>> m_parts;
};

class ByteLevelDecoder final : public Decoder {
public:
    void decodeChain(std::vector<std::string>& tokens) const override
    {
        // Tokens outside the byte table (added tokens) pass through as their UTF-8.
        std::string bytes;
        for (const std::string& token : tokens) {
            if (!byteLevelDecode(token, bytes))
                bytes += token;
        }
        tokens.assign(1, unicode::toValidUtf8(bytes));
    }
    bool isByteLevel() const override { return true; }
};

class ByteFallbackDecoder final : public Decoder {
public:
    void decodeChain(std::vector<std::string>& tokens) const override
    {
        std::vector<std::string> out;
        std::string pending;
        const auto flush = [&] {
            if (pending.empty())
                return;
            if (unicode::isValidUtf8(pending)) {
                out.push_back(pending);
            } else {
                for (size_t i = 0; i < pending.size(); ++i)
                    out.emplace_back("\xEF\xBF\xBD");
            }
            pending.clear();
        };
        for (std::string& token : tokens) {
            int byte = -1;
            if (token.size() == 6 && token.compare(0, 3, "<0x") == 0 && token[5] == '>')
                byte = parseHexByte(token[3], token[4]);
            if (byte >= 0) {
                pending += static_cast<char>(byte);
            } else {
                flush();
                out.push_back(std::move(token));
            }
        }
        flush();
        tokens = std::move(out);
    }

private:
    static int hexValue(char c)
    {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        return -1;
    }
    static int parseHexByte(char hi, char lo)
    {
        const int h = hexValue(hi);
        const int l = hexValue(lo);
        return h < 0 || l < 0 ? -1 : h * 16 + l;
    }
};

class FuseDecoder final : public Decoder {
public:
    void decodeChain(std::vector<std::string>& tokens) const override
    {
        std::string all;
        for (const std::string& token : tokens)
            all += token;
        tokens.assign(1, all);
    }
};

class StripDecoder final : public Decoder {
public:
    StripDecoder(int32_t content, size_t start, size_t stop) : m_content(content), m_start(start), m_stop(stop) {}
    void decodeChain(std::vector<std::string>& tokens) const override
    {
        for (std::string& token : tokens) {
            const std::vector<int32_t> cps = codePoints(token);
            size_t startCut = 0;
            for (size_t i = 0; i < m_start && i < cps.size(); ++i) {
                if (cps[i] != m_content)
                    break;
                startCut = i + 1;
            }
            size_t stopCut = cps.size();
            for (size_t i = 0; i < m_stop && i < cps.size(); ++i) {
                const size_t index = cps.size() - i - 1;
                if (cps[index] != m_content)
                    break;
                stopCut = index;
            }
            token = startCut < stopCut ? fromCodePoints(cps, startCut, stopCut) : std::string();
        }
    }

private:
    int32_t m_content;
    size_t m_start;
    size_t m_stop;
};

class ReplaceDecoder final : public Decoder {
public:
    ReplaceDecoder(TextPattern pattern, std::string content) : m_pattern(std::move(pattern)), m_content(std::move(content)) {}
    void decodeChain(std::vector<std::string>& tokens) const override
    {
        for (std::string& token : tokens)
            token = m_pattern.replaceAll(token, m_content);
    }

private:
    TextPattern m_pattern;
    std::string m_content;
};

class MetaspaceDecoder final : public Decoder {
public:
    MetaspaceDecoder(int32_t replacement, bool prependNever) : m_replacement(replacement), m_prependNever(prependNever) {}
    void decodeChain(std::vector<std::string>& tokens) const override
    {
        // As HF does: in the first token every replacement character is
        // dropped (unless prepend_scheme is "never"); elsewhere it becomes ' '.
        for (size_t i = 0; i < tokens.size(); ++i) {
            std::string out;
            for (const int32_t cp : codePoints(tokens[i])) {
                if (cp == m_replacement) {
                    if (i == 0 && !m_prependNever)
                        continue;
                    out += ' ';
                } else {
                    unicode::appendUtf8(out, cp < 0 ? 0xFFFD : static_cast<uint32_t>(cp));
                }
            }
            tokens[i] = std::move(out);
        }
    }

private:
    int32_t m_replacement;
    bool m_prependNever;
};

class BpeSuffixDecoder final : public Decoder {
public:
    explicit BpeSuffixDecoder(std::string suffix) : m_suffix(std::move(suffix)) {}
    void decodeChain(std::vector<std::string>& tokens) const override
    {
        // decoders/bpe.rs: the suffix becomes a space, except on the last token.
        for (size_t i = 0; i < tokens.size(); ++i) {
            const std::string replacement = i + 1 == tokens.size() ? "" : " ";
            if (m_suffix.empty())
                continue;
            std::string& token = tokens[i];
            std::string out;
            size_t pos = 0;
            for (size_t hit; (hit = token.find(m_suffix, pos)) != std::string::npos; pos = hit + m_suffix.size())
                out += token.substr(pos, hit - pos) + replacement;
            out += token.substr(pos);
            token = std::move(out);
        }
    }

private:
    std::string m_suffix;
};

int32_t singleCodePoint(const JsonField& field)
{
    const std::string text = field.string();
    size_t len = 0;
    const int32_t cp = text.empty() ? -1 : unicode::decodeAt(text, 0, &len);
    if (cp < 0 || len != text.size())
        field.expected("a single character");
    return cp;
}

size_t smallCount(const JsonField& field)
{
    const uint32_t n = field.optionalU32(0);
    if (n > 1'000'000)
        field.expected("a count below 1000000");
    return n;
}

} // namespace

std::unique_ptr<Decoder> makeByteLevelDecoder()
{
    return std::make_unique<ByteLevelDecoder>();
}

std::unique_ptr<Decoder> parseDecoder(const JsonField& field, int depth)
{
    if (field.isNull())
        return nullptr;
    if (depth > kMaxNesting)
        field.fail("decoders nested too deeply");
    field.requireObject();
    const std::string type = field["type"].string();
    if (type == "Sequence") {
        const JsonField list = field["decoders"];
        std::vector<std::unique_ptr<Decoder>> parts;
        for (size_t i = 0; i < list.size(); ++i) {
            auto part = parseDecoder(list.at(i), depth + 1);
            if (!part)
                list.at(i).expected("a decoder object");
            parts.push_back(std::move(part));
        }
        return std::make_unique<SequenceDecoder>(std::move(parts));
    }
    if (type == "ByteLevel")
        return std::make_unique<ByteLevelDecoder>();
    if (type == "ByteFallback")
        return std::make_unique<ByteFallbackDecoder>();
    if (type == "Fuse")
        return std::make_unique<FuseDecoder>();
    if (type == "Strip")
        return std::make_unique<StripDecoder>(singleCodePoint(field["content"]), smallCount(field["start"]),
                                              smallCount(field["stop"]));
    if (type == "Replace")
        return std::make_unique<ReplaceDecoder>(TextPattern::parse(field["pattern"]), field["content"].string());
    if (type == "Metaspace") {
        const JsonField scheme = field["prepend_scheme"];
        bool never = !field["add_prefix_space"].boolean(true);
        if (!scheme.isNull()) {
            const std::string name = scheme.string();
            if (name != "always" && name != "first" && name != "never")
                scheme.expected("\"always\", \"first\" or \"never\"");
            never = name == "never";
        }
        return std::make_unique<MetaspaceDecoder>(singleCodePoint(field["replacement"]), never);
    }
    if (type == "BPEDecoder")
        return std::make_unique<BpeSuffixDecoder>(field["suffix"].optionalString().value_or("</w>"));
    field["type"].fail("unsupported decoder type \"" + type
                       + "\" (supported: Sequence, ByteLevel, ByteFallback, Fuse, Strip, Replace, Metaspace, "
                         "BPEDecoder)");
}

} // namespace tb::tok
