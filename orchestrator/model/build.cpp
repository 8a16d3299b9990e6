#include "model/build.h"

#include <regex>

#include "common/strings.h"

namespace ppcs::model {

Result<std::pair<std::string, std::string>> splitImageReference(const std::string& reference) {
    // Docker's grammar, simplified: an optional registry host[:port], then lower-case path
    // components joined by '/', each alphanumerics separated by '.', '_' or '-'; tag after ':'.
    static const std::regex registry(R"(([a-zA-Z0-9-]+\.)*[a-zA-Z0-9-]+(:[0-9]+)?)");
    static const std::regex component(R"([a-z0-9]+([._-]+[a-z0-9]+)*)");
    static const std::regex tagPattern(R"([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})");
    auto refuse = [&reference] {
        return makeError(ErrorCode::usage, "'" + reference + "' is not an image reference (repo:tag)");
    };
    auto slash = reference.rfind('/');
    auto colon = reference.rfind(':');
    bool hasTag = colon != std::string::npos && (slash == std::string::npos || colon > slash);
    std::string repo = hasTag ? reference.substr(0, colon) : reference;
    std::string tag = hasTag ? reference.substr(colon + 1) : "latest";
    if (repo.empty() || repo.size() > 255 || !std::regex_match(tag, tagPattern)) return refuse();
    auto parts = split(repo, '/');
    for (std::size_t i = 0; i < parts.size(); ++i) {
        bool isRegistry =
            i == 0 && parts.size() > 1 && (parts[0].find_first_of(".:") != std::string::npos || parts[0] == "localhost");
        if (!std::regex_match(parts[i], isRegistry ? registry : component)) return refuse();
    }
    return std::make_pair(repo, tag);
}

}  // namespace ppcs::model
