#include "api/upgrade_request.h"

#include <cctype>
#include <vector>

namespace ppcs::api {
namespace {

std::string_view trimmed(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

std::vector<std::string_view> crlfLines(std::string_view text) {
    std::vector<std::string_view> lines;
    for (std::size_t start = 0; start <= text.size();) {
        auto end = text.find("\r\n", start);
        if (end == std::string_view::npos) end = text.size();
        lines.push_back(text.substr(start, end - start));
        start = end + 2;
    }
    return lines;
}

}  // namespace

std::optional<UpgradeRequest> parseUpgradeRequest(std::string_view block) {
    auto end = block.find("\r\n\r\n");
    if (end == std::string_view::npos) return std::nullopt;
    auto lines = crlfLines(block.substr(0, end));
    if (lines.empty()) return std::nullopt;
    UpgradeRequest request;
    auto firstSpace = lines[0].find(' ');
    auto lastSpace = lines[0].rfind(' ');
    if (firstSpace == std::string_view::npos || lastSpace == firstSpace || lines[0].substr(lastSpace + 1).substr(0, 5) != "HTTP/")
        return std::nullopt;
    request.method = std::string(lines[0].substr(0, firstSpace));
    std::string_view target = lines[0].substr(firstSpace + 1, lastSpace - firstSpace - 1);
    request.path = std::string(target.substr(0, target.find('?')));
    for (std::size_t i = 1; i < lines.size(); ++i) {
        auto colon = lines[i].find(':');
        if (colon == std::string_view::npos || colon == 0) return std::nullopt;
        std::string name(lines[i].substr(0, colon));
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        request.headers[name] = std::string(trimmed(lines[i].substr(colon + 1)));
    }
    if (!request.headers.count("upgrade")) return std::nullopt;
    request.early = std::string(block.substr(end + 4));
    return request;
}

}  // namespace ppcs::api
