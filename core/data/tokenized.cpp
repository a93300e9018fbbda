#include "data/tokenized.h"

#include <algorithm>

namespace tb::data {

namespace {

bool tokenizerAddsBos(const tok::Tokenizer& tokenizer)
{
    const auto bos = tokenizer.bosId();
    if (!bos)
        return false;
    const std::vector<TokenId> ids = tokenizer.encode("a", true);
    return !ids.empty() && ids.front() == *bos;
}

Example tokenizeResolved(const Record& record, const tok::Tokenizer& tokenizer, const TokenizeOptions& options,
                         bool addBos)
{
    // Adjacent segments with the same loss flag need no boundary between them.
    std::vector<Segment> segments;
    for (Segment& s : renderRecord(record, options.templateKind)) {
        if (options.lossOnPrompt)
            s.loss = true;
        if (s.text.empty())
            continue;
        if (!segments.empty() && segments.back().loss == s.loss)
            segments.back().text += s.text;
        else
            segments.push_back(std::move(s));
    }

    std::string text;
    for (const Segment& s : segments)
        text += s.text;

    Example ex;
    ex.task = record.task;
    ex.ids = tokenizer.encode(text, false);
    ex.labels.assign(ex.ids.size(), kIgnoreIndex);
    std::string prefix;
    size_t begin = 0;
    for (size_t k = 0; k < segments.size(); ++k) {
        size_t end = ex.ids.size();
        if (k + 1 < segments.size()) {
            prefix += segments[k].text;
            // Clamped: a merge across the boundary can make the prefix's
            // encoding longer than its share of the whole.
            end = std::clamp(tokenizer.encode(prefix, false).size(), begin, ex.ids.size());
        }
        if (segments[k].loss)
            std::copy(ex.ids.begin() + begin, ex.ids.begin() + end, ex.labels.begin() + begin);
        begin = end;
    }

    if (addBos) {
        ex.ids.insert(ex.ids.begin(), *tokenizer.bosId());
        ex.labels.insert(ex.labels.begin(), kIgnoreIndex);
    }
    if (options.addEos) {
        if (const auto eos = tokenizer.eosId()) {
            // A separator after the last response (ChatML's "\n" after
            // <|im_end|>) does not make the example end in a prompt.
            size_t last = segments.size();
            while (last > 0 && !segments[last - 1].loss
                   && segments[last - 1].text.find_first_not_of(" \t\r\n") == std::string::npos)
                --last;
            const bool endsInResponse = last > 0 && segments[last - 1].loss;
            ex.ids.push_back(*eos);
            ex.labels.push_back(endsInResponse ? *eos : kIgnoreIndex);
        }
    }
    if (options.maxLength > 0 && ex.ids.size() > options.maxLength) {
        ex.ids.resize(options.maxLength);
        ex.labels.resize(options.maxLength);
        ex.truncated = true;
    }
    return ex;
}

bool hasLoss(const Example& ex)
{
    return std::any_of(ex.labels.begin(), ex.labels.end(), [](TokenId l) { return l != kIgnoreIndex; });
}

} // namespace

Example tokenizeRecord(const Record& record, const tok::Tokenizer& tokenizer, const TokenizeOptions& options)
{
    const bool addBos = options.addBos ? (*options.addBos && tokenizer.bosId()) : tokenizerAddsBos(tokenizer);
    return tokenizeResolved(record, tokenizer, options, addBos);
}

TokenizedSet tokenizeRecords(const std::vector<Record>& records, const tok::Tokenizer& tokenizer,
                             const TokenizeOptions& options)
{
    const bool addBos = options.addBos ? (*options.addBos && tokenizer.bosId()) : tokenizerAddsBos(tokenizer);
    TokenizedSet set;
    set.examples.reserve(records.size());
    for (const Record& record : records) {
        Example ex = tokenizeResolved(record, tokenizer, options, addBos);
        if (options.dropWithoutLoss && !hasLoss(ex)) {
            ++set.dropped;
            continue;
        }
        if (ex.truncated)
            ++set.truncated;
        set.examples.push_back(std::move(ex));
    }
    return set;
}

std::vector<Sequence> toSequences(const std::vector<Example>& examples)
{
    std::vector<Sequence> out;
    out.reserve(examples.size());
    for (const Example& ex : examples)
        out.push_back({ex.ids, ex.labels, {0}});
    return out;
}

PackedSet pack(const std::vector<Example>& examples, const PackOptions& options)
{
    const size_t length = std::max<size_t>(options.sequenceLength, 1);
    PackedSet set;
    Sequence current;
    const auto flush = [&] {
        if (!current.ids.empty())
            set.sequences.push_back(std::move(current));
        current = Sequence();
    };
    const auto append = [&](const Example& ex, size_t from, size_t count) {
        current.starts.push_back(current.ids.size());
        current.ids.insert(current.ids.end(), ex.ids.begin() + from, ex.ids.begin() + from + count);
        current.labels.insert(current.labels.end(), ex.labels.begin() + from, ex.labels.begin() + from + count);
    };

    for (const Example& ex : examples) {
        const size_t size = ex.ids.size();
        if (options.splitAcrossSequences) {
            for (size_t offset = 0; offset < size;) {
                if (current.ids.size() == length)
                    flush();
                const size_t take = std::min(length - current.ids.size(), size - offset);
                append(ex, offset, take);
                offset += take;
            }
            continue;
        }
        const size_t take = std::min(size, length);
        if (take < size)
            ++set.truncated;
        if (take == 0)
            continue;
        if (current.ids.size() + take > length)
            flush();
        append(ex, 0, take);
    }
    flush();
    return set;
}

} // namespace tb::data
