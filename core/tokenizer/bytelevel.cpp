#include "bytelevel.h"

#include <array>
#include <cstdint>
#include <unordered_map>

#include "unicode.h"

namespace tb::tok {

namespace {

struct Tables {
    std::array<std::string, 256> byteToText;
    std::unordered_map<int32_t, unsigned char> codePointToByte;

    Tables()
    {
        std::array<int32_t, 256> codePoint{};
        std::array<bool, 256> direct{};
        for (int b = '!'; b <= '~'; ++b)
            direct[b] = true;
        for (int b = 0xA1; b <= 0xAC; ++b)
            direct[b] = true;
        for (int b = 0xAE; b <= 0xFF; ++b)
            direct[b] = true;
        int next = 0;
        for (int b = 0; b < 256; ++b)
            codePoint[b] = direct[b] ? b : 256 + next++;
        for (int b = 0; b < 256; ++b) {
            unicode::appendUtf8(byteToText[b], static_cast<uint32_t>(codePoint[b]));
            codePointToByte.emplace(codePoint[b], static_cast<unsigned char>(b));
        }
    }
};

const Tables& tables()
{
    static const Tables instance;
    return instance;
}

} // namespace

std::string byteLevelEncode(std::string_view bytes)
{
    const Tables& t = tables();
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const char c : bytes)
        out += t.byteToText[static_cast<unsigned char>(c)];
    return out;
}

bool byteLevelDecode(std::string_view token, std::string& out)
{
    const Tables& t = tables();
    std::string bytes;
    size_t pos = 0;
    while (pos < token.size()) {
        size_t len = 1;
        const int32_t cp = unicode::decodeAt(token, pos, &len);
        const auto it = t.codePointToByte.find(cp);
        if (cp < 0 || it == t.codePointToByte.end())
            return false;
        bytes += static_cast<char>(it->second);
        pos += len;
    }
    out += bytes;
    return true;
}

} // namespace tb::tok
