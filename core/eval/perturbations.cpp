#include "eval/perturbations.h"

#include <cctype>
#include <string>
#include <utility>

#include "common/error.h"
#include "data/rng.h"
#include "eval/suite_internal.h"

namespace tb::eval {

using namespace suite_detail;

namespace {

bool isAsciiLetter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

std::string perturbContractions(const std::string& text)
{
    // Lowercase phrase -> contraction; the first letter's case is kept.
    static const std::pair<const char*, const char*> kPairs[] = {
        {"are not", "aren't"},   {"cannot", "can't"},       {"could not", "couldn't"}, {"did not", "didn't"},
        {"does not", "doesn't"}, {"do not", "don't"},       {"had not", "hadn't"},     {"has not", "hasn't"},
        {"have not", "haven't"}, {"he is", "he's"},         {"i am", "I'm"},           {"i have", "I've"},
        {"i will", "I'll"},      {"is not", "isn't"},       {"it is", "it's"},         {"let us", "let's"},
        {"she is", "she's"},     {"should not", "shouldn't"}, {"that is", "that's"},   {"they are", "they're"},
        {"was not", "wasn't"},   {"we are", "we're"},       {"were not", "weren't"},   {"will not", "won't"},
        {"would not", "wouldn't"}, {"you are", "you're"},
    };
    std::string out;
    size_t i = 0;
    while (i < text.size()) {
        const bool wordStart = i == 0 || !isAsciiLetter(text[i - 1]);
        bool replaced = false;
        if (wordStart && isAsciiLetter(text[i])) {
            for (const auto& [phrase, contraction] : kPairs) {
                const size_t n = std::char_traits<char>::length(phrase);
                if (i + n > text.size() || (i + n < text.size() && isAsciiLetter(text[i + n])))
                    continue;
                bool same = true;
                for (size_t k = 0; k < n && same; ++k)
                    same = std::tolower(static_cast<unsigned char>(text[i + k])) == phrase[k];
                if (!same)
                    continue;
                std::string c = contraction;
                if (std::isupper(static_cast<unsigned char>(text[i])))
                    c[0] = char(std::toupper(static_cast<unsigned char>(c[0])));
                out += c;
                i += n;
                replaced = true;
                break;
            }
        }
        if (!replaced)
            out += text[i++];
    }
    return out;
}

std::string perturbWhitespace(const std::string& text, uint64_t seed)
{
    // Every run of spaces and tabs becomes 1 to 3 spaces; line breaks stay.
    data::Rng rng(seed);
    std::string out;
    size_t i = 0;
    while (i < text.size()) {
        if (text[i] == ' ' || text[i] == '\t') {
            while (i < text.size() && (text[i] == ' ' || text[i] == '\t'))
                ++i;
            out.append(size_t(1 + rng.below(3)), ' ');
        } else {
            out += text[i++];
        }
    }
    return out;
}

std::string perturbTypos(const std::string& text, uint64_t seed)
{
    // About one word in ten (ASCII letter runs of 2+) gets two neighbouring
    // letters swapped.
    data::Rng rng(seed);
    std::string out = text;
    size_t i = 0;
    while (i < out.size()) {
        if (!isAsciiLetter(out[i])) {
            ++i;
            continue;
        }
        size_t end = i;
        while (end < out.size() && isAsciiLetter(out[end]))
            ++end;
        if (end - i >= 2 && rng.below(10) == 0) {
            const size_t at = i + size_t(rng.below(end - i - 1));
            std::swap(out[at], out[at + 1]);
        }
        i = end;
    }
    return out;
}

uint64_t fnv1a(const std::string& s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : s) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    return h;
}

} // namespace

std::string perturb(const std::string& text, const std::string& perturbation, uint64_t seed)
{
    if (perturbation == "lowercase") {
        std::string out = text;
        for (char& c : out)
            if (c >= 'A' && c <= 'Z')
                c = char(c - 'A' + 'a');
        return out;
    }
    if (perturbation == "whitespace")
        return perturbWhitespace(text, seed);
    if (perturbation == "typos")
        return perturbTypos(text, seed);
    if (perturbation == "contractions")
        return perturbContractions(text);
    throw Error("perturbation: expected one of " + joinQuoted(kPerturbations) + " but found '" + perturbation + "'");
}

EvalExample perturbExample(const EvalExample& example, const std::string& perturbation, uint64_t seed)
{
    EvalExample out = example;
    // Each example draws its own stream, so typos do not fall on the same
    // word positions in every prompt.
    const std::string changed = perturb(example.input, perturbation, data::deriveSeed(seed, fnv1a(example.id)));
    if (example.input.empty())
        return out;
    size_t at = std::string::npos;
    if (example.inputOffset >= 0 && size_t(example.inputOffset) + example.input.size() <= example.prompt.size()
        && example.prompt.compare(size_t(example.inputOffset), example.input.size(), example.input) == 0)
        at = size_t(example.inputOffset);
    else
        at = example.prompt.rfind(example.input);
    if (at == std::string::npos)
        throw Error(example.origin + ": cannot perturb the example: its input is not part of its prompt");
    out.prompt = example.prompt.substr(0, at) + changed + example.prompt.substr(at + example.input.size());
    out.input = changed;
    out.inputOffset = int64_t(at);
    return out;
}

} // namespace tb::eval
