#include "image/apt_mirror.h"

#include <dirent.h>

#include <algorithm>
#include <sstream>

#include "common/files.h"
#include "common/strings.h"

namespace ppcs::image {
namespace {

bool isDebianArchive(const std::string& uri) {
    std::string path = uri;
    while (!path.empty() && path.back() == '/') path.pop_back();
    return (startsWith(path, "http://") || startsWith(path, "https://")) && endsWith(path, "/debian");
}

bool isWantedSuite(const std::string& suite) { return suite == "bookworm" || suite == "stable"; }

std::vector<std::string> words(std::string_view line) {
    std::vector<std::string> out;
    std::istringstream in{std::string(line)};
    for (std::string word; in >> word;) out.push_back(word);
    return out;
}

// "deb [opts] URI SUITE COMPONENTS..."
std::optional<std::string> fromOneLineFormat(const std::string& content) {
    for (const auto& rawLine : split(content, '\n')) {
        auto line = std::string(trim(rawLine.substr(0, rawLine.find('#'))));
        auto parts = words(line);
        if (parts.size() < 3 || parts[0] != "deb") continue;
        std::size_t i = 1;
        if (startsWith(parts[i], "[")) {
            while (i < parts.size() && !endsWith(parts[i], "]")) ++i;
            ++i;
        }
        if (i + 1 < parts.size() && isDebianArchive(parts[i]) && isWantedSuite(parts[i + 1])) return parts[i];
    }
    return std::nullopt;
}

// Stanzas separated by blank lines, "Field: value" lines.
std::optional<std::string> fromDeb822Format(const std::string& content) {
    std::string types, uris, suites;
    auto finishStanza = [&]() -> std::optional<std::string> {
        std::optional<std::string> found;
        auto typeWords = words(types);
        if (std::find(typeWords.begin(), typeWords.end(), "deb") != typeWords.end()) {
            auto suiteWords = words(suites);
            bool suiteOk = std::any_of(suiteWords.begin(), suiteWords.end(), isWantedSuite);
            for (const auto& uri : words(uris))
                if (suiteOk && isDebianArchive(uri)) {
                    found = uri;
                    break;
                }
        }
        types.clear();
        uris.clear();
        suites.clear();
        return found;
    };
    for (const auto& rawLine : split(content + "\n\n", '\n')) {
        std::string line(trim(rawLine));
        if (line.empty()) {
            if (auto found = finishStanza()) return found;
            continue;
        }
        if (line[0] == '#') continue;
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string field = line.substr(0, colon);
        std::string value(trim(std::string_view(line).substr(colon + 1)));
        if (field == "Types") types = value;
        if (field == "URIs") uris = value;
        if (field == "Suites") suites = value;
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string> debianMirrorFromSources(const std::vector<AptSourceFile>& files) {
    for (const auto& file : files) {
        auto found = endsWith(file.path, ".sources") ? fromDeb822Format(file.content) : fromOneLineFormat(file.content);
        if (found) {
            while (found->size() > 1 && found->back() == '/') found->pop_back();
            return found;
        }
    }
    return std::nullopt;
}

Result<std::string> hostDebianMirror() {
    std::vector<AptSourceFile> files;
    if (auto main = readFile("/etc/apt/sources.list")) files.push_back({"/etc/apt/sources.list", *main});
    std::vector<std::string> names;
    if (DIR* dir = ::opendir("/etc/apt/sources.list.d")) {
        while (dirent* entry = ::readdir(dir)) {
            std::string name = entry->d_name;
            if (endsWith(name, ".list") || endsWith(name, ".sources")) names.push_back(name);
        }
        ::closedir(dir);
    }
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
        std::string path = "/etc/apt/sources.list.d/" + name;
        if (auto content = readFile(path)) files.push_back({path, *content});
    }
    auto mirror = debianMirrorFromSources(files);
    if (!mirror)
        return makeError(ErrorCode::usage, "no Debian bookworm mirror in the host's apt sources: give one with --mirror URL");
    return *mirror;
}

}  // namespace ppcs::image
