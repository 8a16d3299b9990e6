#include "image/build_context.h"

#include <algorithm>
#include <boost/filesystem.hpp>
#include <sstream>

#include "common/files.h"
#include "common/sha256.h"
#include "common/strings.h"

namespace ppcs::image {
namespace fs = boost::filesystem;

Result<BuildContext> loadBuildContext(const std::string& dir) {
    boost::system::error_code ec;
    if (!fs::is_regular_file(fs::path(dir) / "Dockerfile", ec))
        return makeError(ErrorCode::usage, "build context '" + dir + "' has no Dockerfile");
    BuildContext context{dir, {}};
    for (fs::recursive_directory_iterator it(dir, ec), end; it != end && !ec; it.increment(ec)) {
        auto relative = it->path().lexically_relative(dir).generic_string();
        auto status = fs::symlink_status(it->path(), ec);
        if (fs::is_symlink(status) || !(fs::is_regular_file(status) || fs::is_directory(status)))
            return makeError(ErrorCode::usage, "build context: '" + relative + "' is not a plain file or directory");
        TarEntry entry;
        entry.path = relative;
        if (fs::is_directory(status)) {
            entry.kind = TarEntry::Kind::directory;
            entry.mode = 0755;
        } else {
            auto content = readFile(it->path().string());
            if (!content) return content.error().context("build context");
            entry.content = std::move(*content);
            entry.mode = (status.permissions() & fs::owner_exe) ? 0755 : 0644;
        }
        context.entries.push_back(std::move(entry));
    }
    if (ec) return makeError(ErrorCode::failed, "read build context '" + dir + "': " + ec.message());
    std::sort(context.entries.begin(), context.entries.end(),
              [](const TarEntry& a, const TarEntry& b) { return a.path < b.path; });
    return context;
}

std::string contextHash(const BuildContext& context) {
    Sha256 hash;
    for (const auto& entry : context.entries) {
        std::ostringstream header;
        header << (entry.kind == TarEntry::Kind::directory ? 'd' : 'f') << ' ' << std::oct << entry.mode << std::dec << ' '
               << entry.path.size() << ':' << entry.path << ' ' << entry.content.size() << ':';
        hash.update(header.str());
        hash.update(entry.content);
    }
    return hash.hexDigest();
}

Result<std::string> contextTar(const BuildContext& context) {
    TarWriter writer;
    for (const auto& entry : context.entries)
        if (auto added = writer.add(entry); !added) return added.error().context("pack build context");
    return writer.finish();
}

Result<std::string> baseImageOf(const BuildContext& context) {
    for (const auto& entry : context.entries) {
        if (entry.path != "Dockerfile") continue;
        for (const auto& rawLine : split(entry.content, '\n')) {
            auto line = trim(rawLine);
            if (line.size() < 5) continue;
            std::string keyword(line.substr(0, 5));
            std::transform(keyword.begin(), keyword.end(), keyword.begin(), ::toupper);
            if (keyword != "FROM ") continue;
            std::istringstream words{std::string(line.substr(5))};
            std::string image;
            while (words >> image && startsWith(image, "--")) {
            }
            if (!image.empty()) return image;
        }
    }
    return makeError(ErrorCode::usage, "build context '" + context.dir + "': the Dockerfile has no FROM line");
}

}  // namespace ppcs::image
