#include "eval/porter.h"

#include <unordered_map>

namespace tb::eval {

namespace {

using Condition = bool (*)(const std::string& stem, const std::string& word);

struct Rule {
    std::string_view suffix;
    std::string_view replacement;
    Condition condition; // nullptr: always
};

bool isConsonant(const std::string& w, size_t i)
{
    const char c = w[i];
    if (c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u')
        return false;
    if (c == 'y')
        return i == 0 ? true : !isConsonant(w, i - 1);
    return true;
}

// m in [C](VC)^m[V]: the number of "vc" pairs in the consonant/vowel pattern.
int measure(const std::string& stem)
{
    int m = 0;
    bool prevVowel = false;
    for (size_t i = 0; i < stem.size(); ++i) {
        const bool consonant = isConsonant(stem, i);
        if (consonant && prevVowel)
            ++m;
        prevVowel = !consonant;
    }
    return m;
}

bool containsVowel(const std::string& stem)
{
    for (size_t i = 0; i < stem.size(); ++i) {
        if (!isConsonant(stem, i))
            return true;
    }
    return false;
}

bool endsDoubleConsonant(const std::string& w)
{
    const size_t n = w.size();
    return n >= 2 && w[n - 1] == w[n - 2] && isConsonant(w, n - 1);
}

// *o: ends consonant-vowel-consonant, last not w/x/y; NLTK also accepts a
// two-letter vowel-consonant word.
bool endsCvc(const std::string& w)
{
    const size_t n = w.size();
    if (n >= 3 && isConsonant(w, n - 3) && !isConsonant(w, n - 2) && isConsonant(w, n - 1)
        && w[n - 1] != 'w' && w[n - 1] != 'x' && w[n - 1] != 'y')
        return true;
    return n == 2 && !isConsonant(w, 0) && isConsonant(w, 1);
}

bool endsWith(const std::string& w, std::string_view suffix)
{
    return w.size() >= suffix.size() && std::string_view(w).substr(w.size() - suffix.size()) == suffix;
}

std::string replaceSuffix(const std::string& w, std::string_view suffix, std::string_view replacement)
{
    return w.substr(0, w.size() - suffix.size()) + std::string(replacement);
}

bool positiveMeasure(const std::string& stem, const std::string&) { return measure(stem) > 0; }
bool measureAbove1(const std::string& stem, const std::string&) { return measure(stem) > 1; }

// PorterStemmer._apply_rule_list(): the first rule whose suffix matches decides,
// whether or not its condition holds.
std::string applyRules(const std::string& word, const Rule* rules, size_t count)
{
    for (size_t i = 0; i < count; ++i) {
        const Rule& r = rules[i];
        if (endsWith(word, r.suffix)) {
            const std::string stem = word.substr(0, word.size() - r.suffix.size());
            if (!r.condition || r.condition(stem, word))
                return stem + std::string(r.replacement);
            return word;
        }
    }
    return word;
}

std::string step1a(const std::string& w)
{
    if (endsWith(w, "ies") && w.size() == 4)
        return replaceSuffix(w, "ies", "ie");
    static const Rule rules[] = {{"sses", "ss", nullptr}, {"ies", "i", nullptr}, {"ss", "ss", nullptr}, {"s", "", nullptr}};
    return applyRules(w, rules, 4);
}

std::string step1b(const std::string& w)
{
    if (endsWith(w, "ied"))
        return replaceSuffix(w, "ied", w.size() == 4 ? "ie" : "i");
    if (endsWith(w, "eed")) {
        const std::string stem = replaceSuffix(w, "eed", "");
        return measure(stem) > 0 ? stem + "ee" : w;
    }
    std::string stem;
    bool found = false;
    for (std::string_view suffix : {std::string_view("ed"), std::string_view("ing")}) {
        if (endsWith(w, suffix)) {
            stem = replaceSuffix(w, suffix, "");
            if (containsVowel(stem)) {
                found = true;
                break;
            }
        }
    }
    if (!found)
        return w;
    if (endsWith(stem, "at"))
        return replaceSuffix(stem, "at", "ate");
    if (endsWith(stem, "bl"))
        return replaceSuffix(stem, "bl", "ble");
    if (endsWith(stem, "iz"))
        return replaceSuffix(stem, "iz", "ize");
    // "*d": a double consonant other than l, s, z loses one letter.
    if (endsDoubleConsonant(stem)) {
        const char last = stem.back();
        if (last != 'l' && last != 's' && last != 'z')
            return stem.substr(0, stem.size() - 2) + last;
        return stem;
    }
    if (measure(stem) == 1 && endsCvc(stem))
        return stem + "e";
    return stem;
}

std::string step1c(const std::string& w)
{
    static const Rule rules[] = {
        {"y", "i", [](const std::string& stem, const std::string&) { return stem.size() > 1 && isConsonant(stem, stem.size() - 1); }}};
    return applyRules(w, rules, 1);
}

std::string step2(const std::string& w)
{
    if (endsWith(w, "alli") && measure(replaceSuffix(w, "alli", "")) > 0)
        return step2(replaceSuffix(w, "alli", "al"));
    static const Rule rules[] = {
        {"ational", "ate", positiveMeasure},
        {"tional", "tion", positiveMeasure},
        {"enci", "ence", positiveMeasure},
        {"anci", "ance", positiveMeasure},
        {"izer", "ize", positiveMeasure},
        {"bli", "ble", positiveMeasure},
        {"alli", "al", positiveMeasure},
        {"entli", "ent", positiveMeasure},
        {"eli", "e", positiveMeasure},
        {"ousli", "ous", positiveMeasure},
        {"ization", "ize", positiveMeasure},
        {"ation", "ate", positiveMeasure},
        {"ator", "ate", positiveMeasure},
        {"alism", "al", positiveMeasure},
        {"iveness", "ive", positiveMeasure},
        {"fulness", "ful", positiveMeasure},
        {"ousness", "ous", positiveMeasure},
        {"aliti", "al", positiveMeasure},
        {"iviti", "ive", positiveMeasure},
        {"biliti", "ble", positiveMeasure},
        {"fulli", "ful", positiveMeasure},
        // NLTK tests the word minus "ogi", i.e. the stem plus its "l".
        {"logi", "log", [](const std::string&, const std::string& word) { return measure(word.substr(0, word.size() - 3)) > 0; }},
    };
    return applyRules(w, rules, sizeof rules / sizeof rules[0]);
}

std::string step3(const std::string& w)
{
    static const Rule rules[] = {
        {"icate", "ic", positiveMeasure}, {"ative", "", positiveMeasure}, {"alize", "al", positiveMeasure},
        {"iciti", "ic", positiveMeasure}, {"ical", "ic", positiveMeasure}, {"ful", "", positiveMeasure},
        {"ness", "", positiveMeasure},
    };
    return applyRules(w, rules, sizeof rules / sizeof rules[0]);
}

std::string step4(const std::string& w)
{
    static const Rule rules[] = {
        {"al", "", measureAbove1},
        {"ance", "", measureAbove1},
        {"ence", "", measureAbove1},
        {"er", "", measureAbove1},
        {"ic", "", measureAbove1},
        {"able", "", measureAbove1},
        {"ible", "", measureAbove1},
        {"ant", "", measureAbove1},
        {"ement", "", measureAbove1},
        {"ment", "", measureAbove1},
        {"ent", "", measureAbove1},
        {"ion", "", [](const std::string& stem, const std::string&) {
             return measure(stem) > 1 && (stem.back() == 's' || stem.back() == 't');
         }},
        {"ou", "", measureAbove1},
        {"ism", "", measureAbove1},
        {"ate", "", measureAbove1},
        {"iti", "", measureAbove1},
        {"ous", "", measureAbove1},
        {"ive", "", measureAbove1},
        {"ize", "", measureAbove1},
    };
    return applyRules(w, rules, sizeof rules / sizeof rules[0]);
}

std::string step5a(const std::string& w)
{
    if (endsWith(w, "e")) {
        const std::string stem = replaceSuffix(w, "e", "");
        const int m = measure(stem);
        if (m > 1)
            return stem;
        if (m == 1 && !endsCvc(stem))
            return stem;
    }
    return w;
}

std::string step5b(const std::string& w)
{
    if (endsWith(w, "ll") && measure(w.substr(0, w.size() - 1)) > 1)
        return w.substr(0, w.size() - 1);
    return w;
}

// NLTK_EXTENSIONS irregular forms: word -> stem, bypassing the rules.
const std::unordered_map<std::string, std::string>& irregularForms()
{
    static const std::unordered_map<std::string, std::string> pool = {
        {"sky", "sky"},         {"skies", "sky"},       {"dying", "die"},       {"lying", "lie"},
        {"tying", "tie"},       {"news", "news"},       {"innings", "inning"},  {"inning", "inning"},
        {"outings", "outing"},  {"outing", "outing"},   {"cannings", "canning"}, {"canning", "canning"},
        {"howe", "howe"},       {"proceed", "proceed"}, {"exceed", "exceed"},   {"succeed", "succeed"},
    };
    return pool;
}

} // namespace

std::string porterStem(std::string_view word)
{
    std::string w(word);
    for (char& c : w) {
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c + 32);
    }
    const auto& pool = irregularForms();
    // NLTK looks the word up before lowercasing it.
    if (auto it = pool.find(std::string(word)); it != pool.end())
        return it->second;
    if (w.size() <= 2)
        return w;
    w = step1a(w);
    w = step1b(w);
    w = step1c(w);
    w = step2(w);
    w = step3(w);
    w = step4(w);
    w = step5a(w);
    w = step5b(w);
    return w;
}

} // namespace tb::eval
