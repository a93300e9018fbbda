#include "gpt2files.h"

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "hftokenizer.h"
#include "jsonfield.h"
#include "unicode.h"

namespace tb::tok {

std::unique_ptr<Tokenizer> makeGpt2FilesTokenizer(std::string_view vocabJson, const std::string& vocabSource,
                                                  std::string_view mergesText, const std::string& mergesSource)
{
    nlohmann::json document;
    try {
        document = nlohmann::json::parse(vocabJson.begin(), vocabJson.end());
    } catch (const nlohmann::json::parse_error& e) {
        const std::string what = e.what();
        const size_t at = what.find("parse error");
        throw Error(vocabSource + ": invalid JSON: " + (at == std::string::npos ? what : what.substr(at)));
    }
    const JsonField root(document, vocabSource);
    root.requireObject();
    std::unordered_map<std::string, uint32_t> vocab;
    for (const auto& item : document.items())
        vocab[item.key()] = root[item.key()].u32();

    // Same rules as HF's BPE::read_file: "#version" lines are skipped, every
    // other line is "left right". We also skip blank lines (trailing newline).
    if (!unicode::isValidUtf8(mergesText))
        throw Error(mergesSource + ": not valid UTF-8");
    std::vector<std::pair<std::string, std::string>> merges;
    size_t lineNumber = 0;
    size_t pos = 0;
    while (pos < mergesText.size()) {
        size_t end = mergesText.find('\n', pos);
        if (end == std::string_view::npos)
            end = mergesText.size();
        std::string line(mergesText.substr(pos, end - pos));
        pos = end + 1;
        ++lineNumber;
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.empty() || line.rfind("#version", 0) == 0)
            continue;
        const size_t space = line.find(' ');
        if (space == std::string::npos || line.find(' ', space + 1) != std::string::npos)
            throw Error(mergesSource + ":" + std::to_string(lineNumber) + ": expected \"left right\", found \""
                        + line.substr(0, 60) + "\"");
        merges.emplace_back(line.substr(0, space), line.substr(space + 1));
    }

    HfTokenizer::Parts parts;
    parts.model = std::make_unique<BpeModel>(std::move(vocab), merges, BpeOptions{}, mergesSource, "merge");
    parts.preTokenizer = makeByteLevelPreTokenizer(false, true);
    parts.decoder = makeByteLevelDecoder();
    parts.kind = "gpt2-files";
    if (parts.model->tokenToId("<|endoftext|>")) {
        AddedToken eot;
        eot.content = "<|endoftext|>";
        eot.special = true;
        eot.normalized = false;
        parts.addedTokens.push_back(eot);
        parts.config.bosToken = eot.content;
        parts.config.eosToken = eot.content;
    }
    return std::make_unique<HfTokenizer>(std::move(parts));
}

} // namespace tb::tok
