#pragma once
// tokenizer.json "added_tokens": found in the raw (or normalized) text before
// anything else runs, longest match first (HF added_vocabulary.rs).
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace tb::tok {

class BpeModel;
class Normalizer;

struct AddedToken {
    std::string content;
    bool singleWord = false;
    bool lstrip = false;
    bool rstrip = false;
    bool normalized = true;
    bool special = false;

    bool operator==(const AddedToken& o) const
    {
        return content == o.content && singleWord == o.singleWord && lstrip == o.lstrip && rstrip == o.rstrip
            && normalized == o.normalized && special == o.special;
    }
};

class AddedVocabulary {
public:
    struct Piece {
        std::string text;
        std::optional<uint32_t> id; // set: an added token, done
        bool atOrigin = false;
    };

    // Ids follow HF's rule, not the "id" written in the file: a token already
    // in the vocabulary keeps that id, others get model.entryCount() onwards.
    void add(const std::vector<AddedToken>& tokens, const BpeModel& model, const Normalizer* normalizer);

    // Splits TEXT on tokens with normalized == false (NORMALIZED false) or on
    // the normalized form of tokens with normalized == true (NORMALIZED true).
    std::vector<Piece> split(const std::string& text, bool atOrigin, bool normalized) const;

    std::optional<uint32_t> idOf(std::string_view content) const;
    // The content HF reports for ID (its normalized form when normalized).
    std::optional<std::string> tokenOf(uint32_t id) const;
    bool isSpecial(const std::string& content) const { return m_special.count(content) > 0; }
    std::optional<uint32_t> maxId() const;

private:
    struct Trie {
        struct Node {
            std::map<unsigned char, int> next;
            int64_t id = -1;
        };
        std::vector<Node> nodes = std::vector<Node>(1);
        void insert(const std::string& key, uint32_t id);
        // Leftmost-longest match starting at or after FROM: (start, end, id).
        bool find(const std::string& text, size_t from, size_t* start, size_t* end, uint32_t* id) const;
    };

    std::unordered_map<std::string, uint32_t> m_byContent;
    std::unordered_map<uint32_t, AddedToken> m_byId;
    std::unordered_map<uint32_t, std::string> m_normalizedContent;
    std::unordered_set<std::string> m_special;
    Trie m_rawTrie;
    Trie m_normalizedTrie;
};

} // namespace tb::tok
