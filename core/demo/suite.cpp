#include "demo/suite.h"

#include "common/error.h"
#include "data/rng.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

namespace tb::demo {

namespace {

using data::Rng;
using Words = std::vector<const char*>;

template <typename T>
const T& pick(Rng& rng, const std::vector<T>& items)
{
    return items[rng.below(items.size())];
}

bool chance(Rng& rng, uint64_t percent)
{
    return rng.below(100) < percent;
}

std::string capitalised(std::string s)
{
    if (!s.empty() && s[0] >= 'a' && s[0] <= 'z')
        s[0] = static_cast<char>(s[0] - 'a' + 'A');
    return s;
}

// "a" or "an", by the sound of the next word (good enough for these lists).
std::string indefinite(const std::string& next)
{
    return next.find_first_of("aeiou") == 0 ? "an" : "a";
}

// ---- stories (summarize and lm) ----

struct Character {
    const char* name;
    const char* pronoun; // subject pronoun
};

const std::vector<Character> kCharacters = {
    {"Mira", "she"}, {"Tom", "he"},  {"Lena", "she"}, {"Omar", "he"},  {"Ava", "she"},  {"Ben", "he"},
    {"Nora", "she"}, {"Leo", "he"},  {"Ivy", "she"},  {"Sam", "he"},   {"Rosa", "she"}, {"Finn", "he"},
    {"Zoe", "she"},  {"Hugo", "he"}, {"Maya", "she"}, {"Eli", "he"},
};
const Words kRoles = {"baker", "farmer", "painter", "sailor", "teacher", "doctor", "tailor", "fisher", "guard", "poet"};
const Words kPlaces = {"market", "forest", "river", "library", "garden", "harbor",
                       "castle", "village", "mountain", "beach", "mill", "station"};
const Words kTimes = {"morning", "evening", "afternoon", "night", "spring day", "winter day"};
const Words kActions = {"found", "lost", "painted", "fixed", "carried", "bought", "hid", "sold", "cleaned", "opened"};
const Words kObjects = {"box", "lamp", "boat", "key", "map", "basket", "bell", "kite", "clock", "letter", "hat", "drum"};
const Words kObjectAdjectives = {"small", "old", "red", "shiny", "heavy", "blue", "broken", "golden", "tiny", "green"};
const Words kFeelings = {"happy", "tired", "calm", "proud", "curious", "sleepy", "brave", "glad"};
const Words kWeather = {"The sun was warm.",        "Rain fell all day.",       "A cold wind blew.",
                        "The sky was grey.",        "Birds sang in the trees.", "The air smelled of bread.",
                        "Snow covered the ground.", "The streets were quiet."};
const Words kEndings = {"went home before dark", "told a friend about it", "sang a quiet song",
                        "ate some bread",        "smiled all the way home", "wrote it in a notebook",
                        "sat down to rest",      "waved to a neighbour"};
const Words kCompanions = {"a small dog", "an old friend", "a grey cat", "a young sister", "a tall neighbour"};

struct Story {
    std::string text;
    std::string summary;
};

// Three or four sentences: who went where, what they did there, and some
// detail that the summary leaves out (weather, feelings, the ending).
Story makeStory(Rng& rng, bool longer)
{
    const Character& who = pick(rng, kCharacters);
    const std::string role = pick(rng, kRoles);
    const std::string place = pick(rng, kPlaces);
    const std::string time = pick(rng, kTimes);
    const std::string action = pick(rng, kActions);
    const std::string object = pick(rng, kObjects);
    const std::string adjective = pick(rng, kObjectAdjectives);
    const std::string pronoun = who.pronoun;

    std::vector<std::string> sentences;
    if (chance(rng, 50))
        sentences.push_back("One " + time + ", " + who.name + " the " + role + " went to the " + place + ".");
    else
        sentences.push_back(std::string(who.name) + " the " + role + " walked to the " + place + " one " + time + ".");
    if (longer && chance(rng, 50))
        sentences.push_back(capitalised(pronoun) + " took " + pick(rng, kCompanions) + " along.");
    const std::string deed = pronoun + " " + action + " " + indefinite(adjective) + " " + adjective + " " + object + ".";
    const std::string weather = pick(rng, kWeather);
    if (chance(rng, 50)) {
        sentences.push_back(weather);
        sentences.push_back("There " + deed);
    } else {
        sentences.push_back("There " + deed);
        if (chance(rng, 60))
            sentences.push_back(weather);
    }
    sentences.push_back(capitalised(pronoun) + " felt " + pick(rng, kFeelings) + " and " + pick(rng, kEndings) + ".");
    if (longer && chance(rng, 40))
        sentences.push_back("It was a good " + time + " for " + who.name + ".");

    Story story;
    for (const std::string& s : sentences)
        story.text += (story.text.empty() ? "" : " ") + s;
    story.summary = std::string(who.name) + " " + action + " a " + object + " at the " + place + ".";
    return story;
}

// ---- translation ----

const Dictionary kDictionary = {
    "Lumi",
    {
        {"the", "lo"},       {"a", "un"},          {"an", "un"},          {"near", "apud"},       {"under", "sub"},      {"with", "kun"},
        {"dog", "hundo"},    {"cat", "mico"},      {"bird", "pajo"},       {"house", "domo"},     {"tree", "arbo"},
        {"river", "flumo"},  {"child", "kido"},    {"boat", "navo"},       {"apple", "pomo"},     {"book", "libro"},
        {"king", "rego"},    {"horse", "kavo"},    {"fish", "pisko"},      {"stone", "petro"},    {"star", "stelo"},
        {"bread", "pano"},   {"big", "granda"},    {"small", "mala"},      {"red", "ruga"},       {"old", "vela"},
        {"happy", "gaja"},   {"green", "verda"},   {"fast", "rapida"},     {"dark", "nigra"},     {"bright", "hela"},
        {"quiet", "kvieta"}, {"sees", "vidas"},    {"likes", "amas"},      {"finds", "trovas"},   {"eats", "mangas"},
        {"follows", "sekvas"}, {"carries", "portas"}, {"watches", "rigardas"}, {"helps", "helpas"}, {"hears", "audas"},
        {"wants", "volas"},
    },
    {"big", "small", "red", "old", "happy", "green", "fast", "dark", "bright", "quiet"},
    {"dog", "cat", "bird", "house", "tree", "river", "child", "boat", "apple", "book", "king", "horse", "fish",
     "stone", "star", "bread"},
};

const Words kVerbs = {"sees", "likes", "finds", "eats", "follows", "carries", "watches", "helps", "hears", "wants"};
const Words kDeterminers = {"the", "a"};
const Words kPrepositions = {"near", "under", "with"};

std::string lumiWord(const std::string& english)
{
    for (const auto& [en, lumi] : kDictionary.words)
        if (en == english)
            return lumi;
    throw Error("demo: internal error: no Lumi word for '" + english + "'");
}

// Appends a noun phrase to both sides; Lumi puts the adjective after the noun.
void nounPhrase(Rng& rng, std::vector<std::string>& english, std::vector<std::string>& lumi)
{
    const std::string det = pick(rng, kDeterminers);
    const std::string noun = pick(rng, kDictionary.nouns);
    const bool withAdjective = chance(rng, 60);
    const std::string adjective = withAdjective ? pick(rng, kDictionary.adjectives) : std::string();
    const std::string english1 = det == "a" ? indefinite(withAdjective ? adjective : noun) : det;
    english.push_back(english1);
    lumi.push_back(lumiWord(english1));
    if (withAdjective) {
        english.push_back(adjective);
        english.push_back(noun);
        lumi.push_back(lumiWord(noun));
        lumi.push_back(lumiWord(adjective));
    } else {
        english.push_back(noun);
        lumi.push_back(lumiWord(noun));
    }
}

std::string joined(const std::vector<std::string>& words)
{
    std::string out;
    for (const std::string& w : words)
        out += (out.empty() ? "" : " ") + w;
    return out;
}

DemoRecord makeTranslation(Rng& rng)
{
    std::vector<std::string> english, lumi;
    nounPhrase(rng, english, lumi);
    const std::string verb = pick(rng, kVerbs);
    english.push_back(verb);
    lumi.push_back(lumiWord(verb));
    nounPhrase(rng, english, lumi);
    if (chance(rng, 35)) {
        const std::string prep = pick(rng, kPrepositions);
        english.push_back(prep);
        lumi.push_back(lumiWord(prep));
        nounPhrase(rng, english, lumi);
    }
    return {kTranslatePrefix + joined(english), joined(lumi), {}, "translate"};
}

// ---- sentiment ----

const Words kPositive = {"great", "wonderful", "lovely", "excellent", "delightful", "superb", "pleasant", "fantastic"};
const Words kNegative = {"awful", "terrible", "boring", "dreadful", "poor", "horrible", "disappointing", "bland"};
const Words kProducts = {"soup", "film", "hotel", "phone", "book", "chair", "game", "concert", "pizza", "camera", "lamp", "bike"};
const Words kAspects = {"the service", "the price", "the design", "the ending", "the staff", "the sound", "the taste", "the delivery"};
const Words kNeutral = {"I went there on a Tuesday.", "My brother came along.", "I bought it last week.",
                        "We waited ten minutes.",     "It came in a brown box.", "I used it every day."};

DemoRecord makeReview(Rng& rng)
{
    const bool positive = chance(rng, 50);
    const Words& same = positive ? kPositive : kNegative;
    const Words& other = positive ? kNegative : kPositive;
    // An odd number of sentiment words with a majority for the label: one,
    // three of a kind, or two against one (the mixed reviews need counting).
    std::vector<std::string> words;
    const uint64_t shape = rng.below(3);
    words.push_back(pick(rng, same));
    if (shape >= 1) {
        words.push_back(pick(rng, same));
        words.push_back(shape == 1 ? pick(rng, same) : pick(rng, other));
        rng.shuffle(words);
    }
    const std::string product = pick(rng, kProducts);
    std::vector<std::string> sentences;
    sentences.push_back("The " + product + " was " + words[0] + ".");
    for (size_t i = 1; i < words.size(); ++i)
        sentences.push_back(capitalised(pick(rng, kAspects)) + " was " + words[i] + ".");
    if (chance(rng, 50))
        sentences.insert(sentences.begin() + static_cast<std::ptrdiff_t>(rng.below(sentences.size() + 1)),
                         pick(rng, kNeutral));
    return {kClassifyPrefix + joined(sentences), positive ? "positive" : "negative", {}, "classify"};
}

// ---- splits ----

struct Counts {
    size_t train, validation, test;
};

template <typename Make>
void fill(DemoTask& task, const Counts& counts, Rng& rng, Make make)
{
    std::set<std::string> seen;
    size_t attempts = 0;
    const size_t wanted = counts.train + counts.validation + counts.test;
    for (auto* split : {&task.train, &task.validation, &task.test}) {
        const size_t n = split == &task.train ? counts.train : split == &task.validation ? counts.validation : counts.test;
        while (split->size() < n) {
            if (++attempts > wanted * 20)
                throw Error("demo: internal error: task '" + task.name + "' ran out of distinct examples");
            DemoRecord r = make(rng);
            const std::string& key = r.text.empty() ? r.prompt : r.text;
            if (seen.insert(key).second)
                split->push_back(std::move(r));
        }
    }
}

} // namespace

std::vector<DemoTask> generateSuite(uint64_t seed)
{
    std::vector<DemoTask> tasks(4);
    // One stream per task, so adding a record to one task never changes another.
    {
        DemoTask& t = tasks[0];
        t = {"summarize", "rouge", "Summarise a short story in one sentence: who did what, where.", {}, {}, {}};
        Rng rng(data::deriveSeed(seed, 1));
        fill(t, {1000, 150, 150}, rng, [](Rng& r) {
            Story s = makeStory(r, false);
            return DemoRecord{kSummarizePrefix + s.text, s.summary, {}, "summarize"};
        });
    }
    {
        DemoTask& t = tasks[1];
        t = {"translate", "bleu", "Translate an English phrase to Lumi, an invented language (see dictionary.json).", {}, {}, {}};
        Rng rng(data::deriveSeed(seed, 2));
        fill(t, {1000, 150, 150}, rng, makeTranslation);
    }
    {
        DemoTask& t = tasks[2];
        t = {"classify", "accuracy", "Label a short review positive or negative by its sentiment words.", {}, {}, {}};
        Rng rng(data::deriveSeed(seed, 3));
        fill(t, {1000, 150, 150}, rng, makeReview);
    }
    {
        DemoTask& t = tasks[3];
        t = {"lm", "perplexity", "Plain mini stories: what the base model learned before fine-tuning.", {}, {}, {}};
        Rng rng(data::deriveSeed(seed, 4));
        fill(t, {2000, 200, 200}, rng, [](Rng& r) { return DemoRecord{{}, {}, makeStory(r, true).text, "lm"}; });
    }
    return tasks;
}

std::string toJsonl(const std::vector<DemoRecord>& records)
{
    std::string out;
    for (const DemoRecord& r : records) {
        nlohmann::ordered_json j;
        if (r.text.empty()) {
            j["prompt"] = r.prompt;
            j["response"] = r.response;
        } else {
            j["text"] = r.text;
        }
        j["task"] = r.task;
        out += j.dump() + "\n";
    }
    return out;
}

const Dictionary& translationDictionary()
{
    return kDictionary;
}

std::string dictionaryJson()
{
    nlohmann::ordered_json j;
    j["language"] = kDictionary.language;
    j["rule"] = "word for word, except that an adjective follows its noun";
    nlohmann::ordered_json words = nlohmann::ordered_json::object();
    for (const auto& [en, lumi] : kDictionary.words)
        words[en] = lumi;
    j["words"] = words;
    j["adjectives"] = kDictionary.adjectives;
    j["nouns"] = kDictionary.nouns;
    return j.dump(2) + "\n";
}

namespace {

std::string csvField(const std::string& s)
{
    std::string out = "\"";
    for (char c : s)
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

} // namespace

std::string lumiVocabularyCsv(uint64_t seed, size_t count)
{
    Rng rng(seed);
    const auto& words = kDictionary.words;
    std::string out;
    for (size_t n = 0; n < count; ++n) {
        const size_t right = rng.below(words.size());
        std::vector<size_t> chosen = {right};
        while (chosen.size() < 4) {
            const size_t other = rng.below(words.size());
            if (std::find(chosen.begin(), chosen.end(), other) == chosen.end())
                chosen.push_back(other);
        }
        rng.shuffle(chosen);
        const size_t answer = size_t(std::find(chosen.begin(), chosen.end(), right) - chosen.begin());
        out += csvField("Which " + kDictionary.language + " word means '" + words[right].first + "'?");
        for (size_t i : chosen)
            out += "," + csvField(words[i].second);
        out += "," + std::string(1, char('A' + answer)) + "\n";
    }
    return out;
}

std::string sentimentBigbenchJson(const std::vector<DemoRecord>& reviews)
{
    nlohmann::ordered_json j;
    j["name"] = "demo_sentiment";
    j["description"] = "Is a short review positive or negative? Made from the demo's classify task.";
    j["keywords"] = {"sentiment", "multiple choice"};
    j["task_prefix"] = "Decide whether each review is positive or negative.\n";
    j["metrics"] = {"multiple_choice_grade"};
    nlohmann::ordered_json examples = nlohmann::ordered_json::array();
    const std::string prefix = kClassifyPrefix;
    for (const DemoRecord& r : reviews) {
        std::string input = r.prompt;
        if (input.compare(0, prefix.size(), prefix) == 0)
            input = input.substr(prefix.size());
        nlohmann::ordered_json scores;
        scores["positive"] = r.response == "positive" ? 1 : 0;
        scores["negative"] = r.response == "negative" ? 1 : 0;
        examples.push_back({{"input", input}, {"target_scores", scores}});
    }
    j["examples"] = examples;
    return j.dump(2) + "\n";
}

std::string demoSuiteJson()
{
    using oj = nlohmann::ordered_json;
    oj tasks = oj::array();
    tasks.push_back({{"name", "summarize"}, {"type", "generate"}, {"data", "../data/summarize/test.jsonl"},
                     {"template", "plain"}, {"metrics", {"rouge"}}, {"max_new_tokens", 40}, {"stop", {"\n"}},
                     {"limit", 12}});
    tasks.push_back({{"name", "translate"}, {"type", "generate"}, {"data", "../data/translate/test.jsonl"},
                     {"template", "plain"}, {"metrics", {"bleu", "chrf"}}, {"max_new_tokens", 24},
                     {"stop", {"\n"}}, {"limit", 12}});
    tasks.push_back({{"name", "classify"}, {"type", "classification"}, {"data", "../data/classify/test.jsonl"},
                     {"template", "plain"}, {"verbalizers", {{"negative", "negative"}, {"positive", "positive"}}},
                     {"limit", 24}});
    tasks.push_back({{"name", "lm"}, {"type", "perplexity"}, {"data", "../data/lm/test.jsonl"}, {"limit", 16}});
    tasks.push_back({{"name", "lumi_vocabulary"}, {"type", "multiple_choice"}, {"format", "mmlu"},
                     {"data", "mmlu/lumi_vocabulary_test.csv"}, {"dev", "mmlu/lumi_vocabulary_dev.csv"},
                     {"shots", 2}, {"subject", "the Lumi language"}, {"limit", 16}});
    tasks.push_back({{"name", "sentiment_bigbench"}, {"type", "multiple_choice"}, {"format", "bigbench"},
                     {"data", "bigbench/sentiment/task.json"}, {"limit", 16}});
    oj j;
    j["name"] = "demo";
    j["description"] = "The demo workspace's tasks on their test files (small limits: the whole suite runs in "
                       "seconds), an MMLU-layout vocabulary quiz and a BIG-bench-layout sentiment task made "
                       "from the same generated data, and a HELM block.";
    j["tasks"] = tasks;
    j["helm"] = {{"perturbations", {"lowercase", "typos"}}, {"calibration_bins", 10}, {"seed", 0}};
    return j.dump(2) + "\n";
}

} // namespace tb::demo
