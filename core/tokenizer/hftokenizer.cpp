#include "hftokenizer.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "jsonfield.h"
#include "unicode.h"

namespace tb::tok {

namespace {

// Used when neither tokenizer_config.json nor the post-processor names them.
const char* const kBosCandidates[] = {"<s>", "<|begin_of_text|>", "<bos>", "<|startoftext|>", "<|endoftext|>"};
const char* const kEosCandidates[] = {"</s>", "<|end_of_text|>", "<eos>", "<|endoftext|>"};

nlohmann::json parseJsonText(std::string_view text, const std::string& source)
{
    try {
        return nlohmann::json::parse(text.begin(), text.end());
    } catch (const nlohmann::json::parse_error& e) {
        // e.what() is "[json.exception.parse_error.101] parse error at line 1, column 5: ..."
        std::string what = e.what();
        const size_t at = what.find("parse error");
        throw Error(source + ": invalid JSON: " + (at == std::string::npos ? what : what.substr(at)));
    }
}

std::pair<std::string, std::string> parseMerge(const JsonField& entry)
{
    if (entry.isString()) {
        const std::string text = entry.string();
        const size_t space = text.find(' ');
        if (space == std::string::npos || text.find(' ', space + 1) != std::string::npos)
            entry.expected("\"a b\" or [\"a\",\"b\"]");
        return {text.substr(0, space), text.substr(space + 1)};
    }
    if (entry.isArray() && entry.size() == 2 && entry.at(0).isString() && entry.at(1).isString())
        return {entry.at(0).string(), entry.at(1).string()};
    entry.expected("\"a b\" or [\"a\",\"b\"]");
}

std::unique_ptr<BpeModel> parseModel(const JsonField& model)
{
    if (model.isNull())
        model.fail("missing (a BPE model is required)");
    model.requireObject();
    const JsonField type = model["type"];
    if (!type.isNull() && type.string() != "BPE")
        type.fail("unsupported model type \"" + type.string() + "\" (only BPE is supported)");
    if (type.isNull() && model["merges"].isNull())
        model.fail("unsupported model without \"type\" or \"merges\" (only BPE is supported)");

    const JsonField vocabField = model["vocab"];
    vocabField.requireObject();
    std::unordered_map<std::string, uint32_t> vocab;
    vocab.reserve(vocabField.value().size());
    for (const auto& [token, value] : vocabField.value().items())
        vocab[token] = vocabField[token].u32();

    const JsonField mergesField = model["merges"];
    std::vector<std::pair<std::string, std::string>> merges;
    const size_t count = mergesField.size();
    merges.reserve(count);
    for (size_t i = 0; i < count; ++i)
        merges.push_back(parseMerge(mergesField.at(i)));

    const JsonField dropout = model["dropout"];
    if (!dropout.isNull() && !dropout.value().is_number())
        dropout.expected("a number or null");

    BpeOptions options;
    options.unkToken = model["unk_token"].optionalString();
    options.continuingSubwordPrefix = model["continuing_subword_prefix"].optionalString();
    options.endOfWordSuffix = model["end_of_word_suffix"].optionalString();
    options.fuseUnk = model["fuse_unk"].boolean(false);
    options.byteFallback = model["byte_fallback"].boolean(false);
    options.ignoreMerges = model["ignore_merges"].boolean(false);
    return std::make_unique<BpeModel>(std::move(vocab), merges, std::move(options), model.file(), "model.merges");
}

std::vector<AddedToken> parseAddedTokens(const JsonField& list)
{
    std::vector<AddedToken> tokens;
    if (list.isNull())
        return tokens;
    for (size_t i = 0; i < list.size(); ++i) {
        const JsonField entry = list.at(i);
        entry.requireObject();
        entry["id"].u32(); // validated; HF assigns ids itself (see AddedVocabulary::add)
        AddedToken token;
        token.content = entry["content"].string();
        token.special = entry["special"].boolean(false);
        token.singleWord = entry["single_word"].boolean(false);
        token.lstrip = entry["lstrip"].boolean(false);
        token.rstrip = entry["rstrip"].boolean(false);
        token.normalized = entry["normalized"].boolean(!token.special);
        tokens.push_back(std::move(token));
    }
    return tokens;
}

std::optional<std::string> configToken(const JsonField& field)
{
    if (field.isNull())
        return std::nullopt;
    if (field.isString())
        return field.string();
    if (field.isObject())
        return field["content"].string();
    field.expected("a string or {\"content\": ...}");
}

std::optional<bool> optionalBool(const JsonField& field)
{
    if (field.isNull())
        return std::nullopt;
    return field.boolean(false);
}

} // namespace

HfTokenizer::HfTokenizer(Parts parts)
    : m_normalizer(std::move(parts.normalizer)), m_preTokenizer(std::move(parts.preTokenizer)),
      m_model(std::move(parts.model)), m_postProcessor(std::move(parts.postProcessor)),
      m_decoder(std::move(parts.decoder)), m_kind(std::move(parts.kind))
{
    if (!m_model)
        throw Error("internal error: HfTokenizer without a model");
    m_added.add(parts.addedTokens, *m_model, m_normalizer.get());

    if (m_kind.empty()) {
        const bool byteLevel = (m_preTokenizer && m_preTokenizer->isByteLevel()) || (m_decoder && m_decoder->isByteLevel());
        m_kind = byteLevel ? "hf-bpe-bytelevel" : "hf-bpe-sentencepiece";
    }

    const std::vector<int64_t> prefix = m_postProcessor ? m_postProcessor->prefixIds() : std::vector<int64_t>{};
    const std::vector<int64_t> suffix = m_postProcessor ? m_postProcessor->suffixIds() : std::vector<int64_t>{};
    const auto firstKnown = [this](const auto& candidates) -> std::optional<TokenId> {
        for (const char* name : candidates) {
            if (const auto id = m_added.idOf(name))
                return *id;
        }
        return std::nullopt;
    };
    const SpecialTokenConfig& config = parts.config;
    if (config.bosToken)
        m_bosId = tokenToId(*config.bosToken);
    if (!m_bosId && !prefix.empty())
        m_bosId = prefix.front();
    if (!m_bosId)
        m_bosId = firstKnown(kBosCandidates);
    if (config.eosToken)
        m_eosId = tokenToId(*config.eosToken);
    if (!m_eosId && !suffix.empty())
        m_eosId = suffix.back();
    if (!m_eosId)
        m_eosId = firstKnown(kEosCandidates);
    m_configAddsBos = prefix.empty() && config.addBosToken.value_or(false) && m_bosId;
    m_configAddsEos = suffix.empty() && config.addEosToken.value_or(false) && m_eosId;
}

std::vector<TokenId> HfTokenizer::encode(std::string_view input, bool addSpecial) const
{
    // HF takes &str; we take bytes, so ill-formed UTF-8 becomes U+FFFD first.
    const std::string text = unicode::toValidUtf8(input);
    std::vector<TokenId> ids;
    for (AddedVocabulary::Piece& raw : m_added.split(text, true, false)) {
        if (raw.id) {
            ids.push_back(*raw.id);
            continue;
        }
        if (m_normalizer)
            m_normalizer->normalize(raw.text);
        for (AddedVocabulary::Piece& piece : m_added.split(raw.text, raw.atOrigin, true)) {
            if (piece.id) {
                ids.push_back(*piece.id);
                continue;
            }
            std::vector<PreSplit> splits{PreSplit{std::move(piece.text), piece.atOrigin}};
            if (m_preTokenizer)
                m_preTokenizer->preTokenize(splits);
            for (const PreSplit& split : splits) {
                for (const uint32_t id : m_model->tokenize(split.text))
                    ids.push_back(id);
            }
        }
    }
    if (addSpecial) {
        if (m_postProcessor)
            m_postProcessor->addSpecialTokens(ids);
        if (m_configAddsBos)
            ids.insert(ids.begin(), *m_bosId);
        if (m_configAddsEos)
            ids.push_back(*m_eosId);
    }
    return ids;
}

std::optional<std::string> HfTokenizer::tokenFor(TokenId id) const
{
    if (id < 0 || id > UINT32_MAX)
        return std::nullopt;
    const auto u = static_cast<uint32_t>(id);
    if (auto token = m_added.tokenOf(u))
        return token;
    return m_model->idToToken(u);
}

std::string HfTokenizer::decode(const std::vector<TokenId>& ids, bool skipSpecial) const
{
    // tokenizer/mod.rs decode(): unknown ids vanish, specials are matched by content.
    std::vector<std::string> tokens;
    tokens.reserve(ids.size());
    for (const TokenId id : ids) {
        auto token = tokenFor(id);
        if (!token || (skipSpecial && m_added.isSpecial(*token)))
            continue;
        tokens.push_back(std::move(*token));
    }
    std::string text;
    if (m_decoder) {
        m_decoder->decodeChain(tokens);
        for (const std::string& token : tokens)
            text += token;
    } else {
        for (size_t i = 0; i < tokens.size(); ++i)
            text += (i ? " " : "") + tokens[i];
    }
    return text;
}

int64_t HfTokenizer::vocabSize() const
{
    // One past the largest id, so every id this tokenizer emits indexes an
    // embedding table of this size.
    int64_t maxId = m_model->entryCount() ? static_cast<int64_t>(m_model->maxId()) : -1;
    if (const auto added = m_added.maxId())
        maxId = std::max<int64_t>(maxId, *added);
    return maxId + 1;
}

std::optional<TokenId> HfTokenizer::tokenToId(std::string_view token) const
{
    if (const auto id = m_added.idOf(token))
        return *id;
    if (const auto id = m_model->tokenToId(token))
        return *id;
    return std::nullopt;
}

std::string HfTokenizer::idToToken(TokenId id) const
{
    return tokenFor(id).value_or(std::string());
}

std::unique_ptr<HfTokenizer> parseTokenizerJson(std::string_view json, const std::string& source,
                                                const SpecialTokenConfig& config)
{
    const nlohmann::json document = parseJsonText(json, source);
    const JsonField root(document, source);
    root.requireObject();
    const JsonField version = root["version"];
    if (!version.isNull() && version.string() != "1.0")
        version.fail("unknown tokenizer.json version \"" + version.string() + "\" (expected \"1.0\")");

    HfTokenizer::Parts parts;
    parts.normalizer = parseNormalizer(root["normalizer"]);
    parts.preTokenizer = parsePreTokenizer(root["pre_tokenizer"]);
    parts.model = parseModel(root["model"]);
    parts.postProcessor = parsePostProcessor(root["post_processor"]);
    parts.decoder = parseDecoder(root["decoder"]);
    parts.addedTokens = parseAddedTokens(root["added_tokens"]);
    parts.config = config;
    return std::make_unique<HfTokenizer>(std::move(parts));
}

SpecialTokenConfig parseTokenizerConfig(std::string_view json, const std::string& source)
{
    const nlohmann::json document = parseJsonText(json, source);
    const JsonField root(document, source);
    root.requireObject();
    SpecialTokenConfig config;
    config.bosToken = configToken(root["bos_token"]);
    config.eosToken = configToken(root["eos_token"]);
    config.addBosToken = optionalBool(root["add_bos_token"]);
    config.addEosToken = optionalBool(root["add_eos_token"]);
    return config;
}

} // namespace tb::tok
