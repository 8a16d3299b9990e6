#include "model/copy_request.h"

#include "common/files.h"
#include "common/strings.h"
#include "model/cluster_spec.h"

namespace ppcs::model {

Result<std::string> sharedRelativePath(std::string_view text) {
    if (text.find('\0') != std::string_view::npos)
        return makeError(ErrorCode::usage, "a path in the shared folder may not hold a NUL byte");
    std::string_view rest = text;
    const std::string_view shared = kSharedDir;
    if (!rest.empty() && rest.front() == '/') {
        if (rest != shared && !startsWith(rest, std::string(shared) + "/"))
            return makeError(ErrorCode::usage, "'" + std::string(text) + "' is outside the shared folder " + std::string(shared) +
                                                   " (give a path relative to it)");
        rest.remove_prefix(shared.size());
    }
    std::string relative;
    for (const auto& part : split(rest, '/')) {
        if (part.empty() || part == ".") continue;
        if (part == "..")
            return makeError(ErrorCode::usage,
                             "'" + std::string(text) + "' has a '..' component: paths may not leave the shared folder");
        relative += (relative.empty() ? "" : "/") + part;
    }
    return relative;
}

std::string shownSharedPath(const std::string& relative) { return ":" + (relative.empty() ? std::string(".") : relative); }

std::string sharedBaseName(const std::string& relative) {
    if (relative.empty()) return baseName(kSharedDir);
    return baseName(relative);
}

Status validateCopyRequest(const CopyRequest& request) {
    if (auto name = validateClusterName(request.cluster); !name) return name;
    if (request.localPath.empty() || request.localPath.front() != '/')
        return makeError(ErrorCode::usage, "the local path must be absolute");
    auto relative = sharedRelativePath(request.remotePath);
    if (!relative) return relative.error();
    if (*relative != request.remotePath)
        return makeError(ErrorCode::usage, "the remote path must be relative to the shared folder, without '.' or empty parts");
    return {};
}

}  // namespace ppcs::model
