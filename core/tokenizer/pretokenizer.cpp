#include "pretokenizer.h"

#include <functional>

#include "bytelevel.h"
#include "common/error.h"
#include "jsonfield.h"
#include "textpattern.h"
#include "unicode.h"

namespace tb::tok {

namespace {

constexpr int kMaxNesting = 32;

constexpr const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

enum class Behavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

struct Span {
    size_t start;
    size_t end;
    bool isMatch;
};

// pattern.rs: matches interleaved with the gaps between them.
std::vector<Span> spansFromMatches(const std::string& text, const std::vector<std::pair<size_t, size_t>>& matches)
{
    if (text.empty())
        return {Span{0, 0, false}};
    std::vector<Span> spans;
    size_t prev = 0;
    for (const auto& [start, end] : matches) {
        if (prev != start)
            spans.push_back(Span{prev, start, false});
        spans.push_back(Span{start, end, true});
        prev = end;
    }
    if (prev != text.size())
        spans.push_back(Span{prev, text.size(), false});
    return spans;
}

std::vector<Span> spansFromPredicate(const std::string& text, const std::function<bool(int32_t)>& predicate)
{
    if (text.empty())
        return {Span{0, 0, false}};
    std::vector<Span> spans;
    size_t lastOffset = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t len = 1;
        const int32_t cp = unicode::decodeAt(text, pos, &len);
        if (predicate(cp)) {
            if (lastOffset < pos)
                spans.push_back(Span{lastOffset, pos, false});
            spans.push_back(Span{pos, pos + len, true});
            lastOffset = pos + len;
        }
        pos += len;
    }
    if (pos > lastOffset)
        spans.push_back(Span{lastOffset, pos, false});
    return spans;
}

// NormalizedString::split in HF tokenizers: returns kept (start, end) spans.
std::vector<std::pair<size_t, size_t>> applyBehavior(std::vector<Span> spans, Behavior behavior)
{
    std::vector<Span> out;
    switch (behavior) {
    case Behavior::Isolated:
        for (Span& s : spans)
            s.isMatch = false;
        out = std::move(spans);
        break;
    case Behavior::Removed:
        out = std::move(spans);
        break;
    case Behavior::Contiguous: {
        bool previousMatch = false;
        for (const Span& s : spans) {
            if (s.isMatch == previousMatch) {
                if (!out.empty())
                    out.back().end = s.end;
                else
                    out.push_back(Span{s.start, s.end, false});
            } else {
                out.push_back(s);
            }
            previousMatch = s.isMatch;
        }
        for (Span& s : out)
            s.isMatch = false;
        break;
    }
    case Behavior::MergedWithPrevious: {
        bool previousMatch = false;
        for (const Span& s : spans) {
            if (s.isMatch && !previousMatch) {
                if (!out.empty())
                    out.back().end = s.end;
                else
                    out.push_back(Span{s.start, s.end, true});
            } else {
                out.push_back(s);
            }
            previousMatch = s.isMatch;
        }
        for (Span& s : out)
            s.isMatch = false;
        break;
    }
    case Behavior::MergedWithNext: {
        bool previousMatch = false;
        for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
            if (it->isMatch && !previousMatch) {
                if (!out.empty())
                    out.back().start = it->start;
                else
                    out.push_back(Span{it->start, it->end, true});
            } else {
                out.push_back(*it);
            }
            previousMatch = it->isMatch;
        }
        std::reverse(out.begin(), out.end());
        for (Span& s : out)
            s.isMatch = false;
        break;
    }
    }
    std::vector<std::pair<size_t, size_t>> kept;
    for (const Span& s : out) {
        if (!s.isMatch)
            kept.emplace_back(s.start, s.end);
    }
    return kept;
}

// PreTokenizedString::split: apply FN to every piece, drop empty results.
void splitEach(std::vector<PreSplit>& splits,
               const std::function<std::vector<std::pair<size_t, size_t>>(const std::string&)>& fn)
{
    std::vector<PreSplit> next;
    next.reserve(splits.size());
    for (const PreSplit& split : splits) {
        for (const auto& [start, end] : fn(split.text)) {
            if (end <= start || end > split.text.size())
                continue;
            next.push_back(PreSplit{split.text.substr(start, end - start), split.atOrigin && start == 0});
        }
    }
    splits = std::move(next);
}

class ByteLevelPreTokenizer final : public PreTokenizer {
public:
    ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) : m_addPrefixSpace(addPrefixSpace)
    {
        if (useRegex) {
            static const std::shared_ptr<const Regex> gpt2 = [] {
                std::string error;
                auto regex = Regex::compile(kGpt2Pattern, &error);
                if (!regex)
                    throw Error("internal error: GPT-2 regex: " + error);
                return regex;
            }();
            m_regex = gpt2;
        }
    }
    void preTokenize(std::vector<PreSplit>& splits) const override
    {
        for (PreSplit& split : splits) {
            if (m_addPrefixSpace && !split.text.empty() && split.text[0] != ' ')
                split.text.insert(0, " ");
        }
        if (m_regex) {
            splitEach(splits, [this](const std::string& text) {
                return applyBehavior(spansFromMatches(text, m_regex->findAll(text)), Behavior::Isolated);
            });
        }
        for (PreSplit& split : splits)
            split.text = byteLevelEncode(split.text);
    }
    bool isByteLevel() const override { return true; }

private:
    bool m_addPrefixSpace;
    std::shared_ptr<const Regex> m_regex;
};

class SplitPreTokenizer final : public PreTokenizer {
public:
    SplitPreTokenizer(TextPattern pattern, Behavior behavior, bool invert)
        : m_pattern(std::move(pattern)), m_behavior(behavior), m_invert(invert)
    {
    }
    void preTokenize(std::vector<PreSplit>& splits) const override
    {
        splitEach(splits, [this](const std::string& text) {
            auto spans = spansFromMatches(text, m_pattern.findAll(text));
            if (m_invert) {
                for (Span& s : spans)
                    s.isMatch = !s.isMatch;
            }
            return applyBehavior(std::move(spans), m_behavior);
        });
    }

private:
    TextPattern m_pattern;
    Behavior m_behavior;
    bool m_invert;
};

// Digits, WhitespaceSplit, Punctuation, CharDelimiterSplit: a per-character test.
class PredicatePreTokenizer final : public PreTokenizer {
public:
    PredicatePreTokenizer(std::function<bool(int32_t)> predicate, Behavior behavior)
        : m_predicate(std::move(predicate)), m_behavior(behavior)
    {
    }
    void preTokenize(std::vector<PreSplit>& splits) const override
    {
        splitEach(splits, [this](const std::string& text) {
            return applyBehavior(spansFromPredicate(text, m_predicate), m_behavior);
        });
    }

private:
    std::function<bool(int32_t)> m_predicate;
    Behavior m_behavior;
};

class MetaspacePreTokenizer final : public PreTokenizer {
public:
    enum class Prepend { Always, First, Never };
    MetaspacePreTokenizer(std::string replacement, Prepend prepend, bool split)
        : m_replacement(std::move(replacement)), m_prepend(prepend), m_split(split),
          m_space(TextPattern::literal(" "))
    {
        size_t len = 1;
        m_replacementCodePoint = unicode::decodeAt(m_replacement, 0, &len);
    }
    void preTokenize(std::vector<PreSplit>& splits) const override
    {
        for (PreSplit& split : splits) {
            split.text = m_space.replaceAll(split.text, m_replacement);
            const bool startsWithReplacement = split.text.compare(0, m_replacement.size(), m_replacement) == 0;
            if (!startsWithReplacement
                && (m_prepend == Prepend::Always || (m_prepend == Prepend::First && split.atOrigin)))
                split.text.insert(0, m_replacement);
        }
        if (m_split) {
            const int32_t target = m_replacementCodePoint;
            splitEach(splits, [target](const std::string& text) {
                return applyBehavior(spansFromPredicate(text, [target](int32_t cp) { return cp == target; }),
                                     Behavior::MergedWithNext);
            });
        }
    }

private:
    std::string m_replacement;
    int32_t m_replacementCodePoint = -1;
    Prepend m_prepend;
    bool m_split;
    TextPattern m_space;
};

class SequencePreTokenizer final : public PreTokenizer {
public:
    explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> parts) : m_parts(std::move(parts)) {}
    void preTokenize(std::vector<PreSplit>& splits) const override
    {
        for (const auto& part : m_parts)
            part->preTokenize(splits);
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
    std::vector<std::unique_ptr<PreTokenizer>> m_parts;
};

Behavior parseBehavior(const JsonField& field, Behavior fallback)
{
    if (field.isNull())
        return fallback;
    const std::string name = field.string();
    if (name == "Removed")
        return Behavior::Removed;
    if (name == "Isolated")
        return Behavior::Isolated;
    if (name == "MergedWithPrevious")
        return Behavior::MergedWithPrevious;
    if (name == "MergedWithNext")
        return Behavior::MergedWithNext;
    if (name == "Contiguous")
        return Behavior::Contiguous;
    field.expected("one of Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous");
}

// A JSON string holding exactly one character (Rust `char` fields).
std::string singleChar(const JsonField& field)
{
    const std::string text = field.string();
    size_t len = 0;
    if (text.empty() || unicode::decodeAt(text, 0, &len) < 0 || len != text.size())
        field.expected("a single character");
    return text;
}

} // namespace

std::unique_ptr<PreTokenizer> makeByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex)
{
    return std::make_unique<ByteLevelPreTokenizer>(addPrefixSpace, useRegex);
}

std::unique_ptr<PreTokenizer> parsePreTokenizer(const JsonField& field, int depth)
{
    if (field.isNull())
        return nullptr;
    if (depth > kMaxNesting)
        field.fail("pre-tokenizers nested too deeply");
    field.requireObject();
    const std::string type = field["type"].string();
    if (type == "Sequence") {
        const JsonField list = field["pretokenizers"];
        std::vector<std::unique_ptr<PreTokenizer>> parts;
        for (size_t i = 0; i < list.size(); ++i) {
            auto part = parsePreTokenizer(list.at(i), depth + 1);
            if (!part)
                list.at(i).expected("a pre-tokenizer object");
            parts.push_back(std::move(part));
        }
        return std::make_unique<SequencePreTokenizer>(std::move(parts));
    }
    if (type == "ByteLevel")
        return std::make_unique<ByteLevelPreTokenizer>(field["add_prefix_space"].boolean(true),
                                                       field["use_regex"].boolean(true));
    if (type == "Split") {
        const JsonField behavior = field["behavior"];
        if (behavior.isNull())
            behavior.expected("a split behavior");
        return std::make_unique<SplitPreTokenizer>(TextPattern::parse(field["pattern"]),
                                                   parseBehavior(behavior, Behavior::Isolated),
                                                   field["invert"].boolean(false));
    }
    if (type == "Digits") {
        const bool individual = field["individual_digits"].boolean(false);
        return std::make_unique<PredicatePreTokenizer>(unicode::isNumeric,
                                                       individual ? Behavior::Isolated : Behavior::Contiguous);
    }
    if (type == "Metaspace") {
        const std::string replacement = singleChar(field["replacement"]);
        auto prepend = MetaspacePreTokenizer::Prepend::Always;
        const JsonField scheme = field["prepend_scheme"];
        if (!scheme.isNull()) {
            const std::string name = scheme.string();
            if (name == "always")
                prepend = MetaspacePreTokenizer::Prepend::Always;
            else if (name == "first")
                prepend = MetaspacePreTokenizer::Prepend::First;
            else if (name == "never")
                prepend = MetaspacePreTokenizer::Prepend::Never;
            else
                scheme.expected("\"always\", \"first\" or \"never\"");
        }
        // Files written before prepend_scheme existed say add_prefix_space.
        if (!field["add_prefix_space"].boolean(true)) {
            if (prepend != MetaspacePreTokenizer::Prepend::Never && !scheme.isNull())
                field["add_prefix_space"].fail("false does not match prepend_scheme");
            prepend = MetaspacePreTokenizer::Prepend::Never;
        }
        return std::make_unique<MetaspacePreTokenizer>(replacement, prepend, field["split"].boolean(true));
    }
    if (type == "Whitespace") {
        // HF: split on Invert(\w+|[^\w\s]+), removing the rest.
        return std::make_unique<SplitPreTokenizer>(TextPattern::parse(JsonField(
                                                       nlohmann::json{{"Regex", R"(\w+|[^\w\s]+)"}}, field.file())),
                                                   Behavior::Removed, true);
    }
    if (type == "WhitespaceSplit")
        return std::make_unique<PredicatePreTokenizer>(unicode::isWhitespace, Behavior::Removed);
    if (type == "Punctuation")
        return std::make_unique<PredicatePreTokenizer>(unicode::isPunctuation,
                                                       parseBehavior(field["behavior"], Behavior::Isolated));
    if (type == "CharDelimiterSplit") {
        const std::string delimiter = singleChar(field["delimiter"]);
        size_t len = 1;
        const int32_t target = unicode::decodeAt(delimiter, 0, &len);
        return std::make_unique<PredicatePreTokenizer>([target](int32_t cp) { return cp == target; },
                                                       Behavior::Removed);
    }
    if (type == "BertPreTokenizer") {
        std::vector<std::unique_ptr<PreTokenizer>> parts;
        parts.push_back(std::make_unique<PredicatePreTokenizer>(unicode::isWhitespace, Behavior::Removed));
        parts.push_back(std::make_unique<PredicatePreTokenizer>(unicode::isPunctuation, Behavior::Isolated));
        return std::make_unique<SequencePreTokenizer>(std::move(parts));
    }
    field["type"].fail("unsupported pre-tokenizer type \"" + type
                       + "\" (supported: Sequence, ByteLevel, Split, Digits, Metaspace, Whitespace, "
                         "WhitespaceSplit, Punctuation, CharDelimiterSplit, BertPreTokenizer)");
}

} // namespace tb::tok
