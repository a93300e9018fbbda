// loadTokenizer(): finds the tokenizer files in a folder (or takes one file)
// and picks the implementation for its format.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/error.h"
#include "gpt2files.h"
#include "hftokenizer.h"
#include "llama2ctokenizer.h"
#include "sentencepiecetokenizer.h"
#include "tokenizer.h"

namespace fs = std::filesystem;

namespace tb::tok {

namespace {

std::string readFile(const fs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw Error(path.string() + ": cannot open: " + std::strerror(errno));
    std::ostringstream content;
    content << in.rdbuf();
    if (in.bad())
        throw Error(path.string() + ": read error");
    return content.str();
}

bool isFile(const fs::path& path)
{
    std::error_code ec;
    return fs::is_regular_file(path, ec);
}

std::unique_ptr<Tokenizer> loadHfJson(const fs::path& path)
{
    SpecialTokenConfig config;
    const fs::path configPath = path.parent_path() / "tokenizer_config.json";
    if (isFile(configPath))
        config = parseTokenizerConfig(readFile(configPath), configPath.string());
    return parseTokenizerJson(readFile(path), path.string(), config);
}

std::unique_ptr<Tokenizer> loadGpt2(const fs::path& vocab, const fs::path& merges)
{
    return makeGpt2FilesTokenizer(readFile(vocab), vocab.string(), readFile(merges), merges.string());
}

std::unique_ptr<Tokenizer> loadSentencePiece(const fs::path& path)
{
    return std::make_unique<SentencePieceTokenizer>(readFile(path), path.string());
}

// The first *.model in FOLDER, by name, for determinism.
std::optional<fs::path> findModelFile(const fs::path& folder)
{
    std::optional<fs::path> best;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(folder, ec)) {
        if (entry.path().extension() == ".model" && isFile(entry.path()) && (!best || entry.path() < *best))
            best = entry.path();
    }
    return best;
}

std::unique_ptr<Tokenizer> loadFromFolder(const fs::path& folder)
{
    if (isFile(folder / "tokenizer.json"))
        return loadHfJson(folder / "tokenizer.json");
    if (isFile(folder / "vocab.json") && isFile(folder / "merges.txt"))
        return loadGpt2(folder / "vocab.json", folder / "merges.txt");
    if (isFile(folder / "encoder.json") && isFile(folder / "vocab.bpe"))
        return loadGpt2(folder / "encoder.json", folder / "vocab.bpe");
    if (isFile(folder / "tokenizer.model"))
        return loadSentencePiece(folder / "tokenizer.model");
    if (const auto model = findModelFile(folder))
        return loadSentencePiece(*model);
    if (isFile(folder / "tokenizer.bin"))
        return loadLlama2cTokenizer((folder / "tokenizer.bin").string());
    throw Error(folder.string()
                + ": no tokenizer found (looked for tokenizer.json, vocab.json+merges.txt, encoder.json+vocab.bpe, "
                  "*.model, tokenizer.bin)");
}

} // namespace

std::unique_ptr<Tokenizer> loadTokenizer(const std::string& pathText)
{
    const fs::path path(pathText);
    std::error_code ec;
    if (fs::is_directory(path, ec))
        return loadFromFolder(path);
    if (!fs::exists(path, ec))
        throw Error(pathText + ": no such file or folder");

    const std::string name = path.filename().string();
    const std::string extension = path.extension().string();
    const fs::path folder = path.parent_path();
    if (name == "vocab.json" || name == "merges.txt") {
        if (!isFile(folder / "vocab.json") || !isFile(folder / "merges.txt"))
            throw Error(pathText + ": GPT-2 tokenizer needs both vocab.json and merges.txt in " + folder.string());
        return loadGpt2(folder / "vocab.json", folder / "merges.txt");
    }
    if (name == "encoder.json" || name == "vocab.bpe") {
        if (!isFile(folder / "encoder.json") || !isFile(folder / "vocab.bpe"))
            throw Error(pathText + ": GPT-2 tokenizer needs both encoder.json and vocab.bpe in " + folder.string());
        return loadGpt2(folder / "encoder.json", folder / "vocab.bpe");
    }
    if (extension == ".json")
        return loadHfJson(path);
    if (extension == ".model")
        return loadSentencePiece(path);
    if (extension == ".bin")
        return loadLlama2cTokenizer(pathText);
    throw Error(pathText + ": unrecognised tokenizer file (expected tokenizer.json, vocab.json, merges.txt, "
                           "encoder.json, vocab.bpe, *.model or tokenizer.bin)");
}

bool hasTokenizer(const std::string& folderText)
{
    const fs::path folder(folderText);
    std::error_code ec;
    if (!fs::is_directory(folder, ec))
        return false;
    return isFile(folder / "tokenizer.json") || (isFile(folder / "vocab.json") && isFile(folder / "merges.txt"))
        || (isFile(folder / "encoder.json") && isFile(folder / "vocab.bpe")) || findModelFile(folder).has_value()
        || isFile(folder / "tokenizer.bin");
}

std::unique_ptr<Tokenizer> loadTokenizerJsonFromString(std::string_view json, std::string_view sourceName,
                                                       std::string_view tokenizerConfigJson)
{
    SpecialTokenConfig config;
    if (!tokenizerConfigJson.empty())
        config = parseTokenizerConfig(tokenizerConfigJson, std::string(sourceName) + " (tokenizer_config.json)");
    return parseTokenizerJson(json, std::string(sourceName), config);
}

std::unique_ptr<Tokenizer> loadLlama2cTokenizer(const std::string& path, std::optional<int64_t> expectedVocabSize)
{
    return std::make_unique<Llama2cTokenizer>(readFile(path), path, expectedVocabSize);
}

std::unique_ptr<Tokenizer> loadLlama2cTokenizerFromBytes(std::string_view bytes, std::string_view sourceName,
                                                         std::optional<int64_t> expectedVocabSize)
{
    return std::make_unique<Llama2cTokenizer>(bytes, std::string(sourceName), expectedVocabSize);
}

} // namespace tb::tok
