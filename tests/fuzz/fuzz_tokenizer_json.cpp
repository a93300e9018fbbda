// libFuzzer entry point: arbitrary bytes as tokenizer.json. Loading may only
// fail with tb::Error; whatever loads must encode and decode without crashing.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/error.h"
#include "tokenizer/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    const std::string_view json(reinterpret_cast<const char*>(data), size);
    std::unique_ptr<tb::tok::Tokenizer> tokenizer;
    try {
        tokenizer = tb::tok::loadTokenizerJsonFromString(json, "fuzz/tokenizer.json");
    } catch (const tb::Error&) {
        return 0;
    }
    static const std::string_view texts[] = {
        "", "Hello world", "  it's 12345 caf\xC3\xA9\n\n", "<s>a</s><|endoftext|>", "\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB",
        "\xff\xfe broken utf-8 \xe2\x82",
    };
    try {
        for (const std::string_view text : texts) {
            const auto ids = tokenizer->encode(text, true);
            tokenizer->decode(ids, true);
            tokenizer->decode(ids, false);
        }
        tokenizer->decode({-1, 0, 1, 2, 3, 1 << 30}, false);
        tokenizer->vocabSize();
        tokenizer->bosId();
        tokenizer->eosId();
        tokenizer->idToToken(0);
        tokenizer->tokenToId("a");
    } catch (const tb::Error&) {
        // Encode may refuse (e.g. a regex hitting PCRE2's match limit); it must not crash.
    }
    return 0;
}
