#include "cli/json_lines.h"

#include "common/error.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace tb::cli {

void printJsonLine(const nlohmann::json& j) { std::cout << j.dump() << '\n' << std::flush; }

void forEachJsonLine(const std::string& path, const std::function<void(const nlohmann::json&, size_t)>& fn)
{
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        throw Error(path + ": is a folder; expected a JSONL file (one JSON object per line)");
    std::ifstream in(path);
    if (!in)
        throw Error(path + ": cannot open: " + std::strerror(errno));
    std::string line;
    size_t lineNo = 0;
    while (std::getline(in, line)) {
        ++lineNo;
        if (line.find_first_not_of(" \t\r") == std::string::npos)
            continue;
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(line);
        } catch (const nlohmann::json::parse_error& e) {
            throw Error(path + ":" + std::to_string(lineNo) + ": malformed JSON at column " + std::to_string(e.byte));
        }
        if (!j.is_object())
            throw Error(path + ":" + std::to_string(lineNo) + ": expected a JSON object, found " +
                        std::string(j.type_name()));
        fn(j, lineNo);
    }
    if (in.bad())
        throw Error(path + ": read error after line " + std::to_string(lineNo) + ": " + std::strerror(errno));
}

std::vector<int64_t> parseIdList(const std::string& text, const std::string& what)
{
    std::vector<int64_t> ids;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find(',', start);
        if (end == std::string::npos)
            end = text.size();
        std::string item = text.substr(start, end - start);
        while (!item.empty() && item.front() == ' ')
            item.erase(item.begin());
        while (!item.empty() && item.back() == ' ')
            item.pop_back();
        size_t used = 0;
        long long v = 0;
        try {
            v = std::stoll(item, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (item.empty() || used != item.size())
            throw Error(what + ": expected comma-separated integer ids, found '" + item + "' at item " +
                        std::to_string(ids.size() + 1));
        ids.push_back(v);
        start = end + 1;
        if (end == text.size())
            break;
    }
    return ids;
}

} // namespace tb::cli
