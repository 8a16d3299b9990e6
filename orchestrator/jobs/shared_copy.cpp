#include "jobs/shared_copy.h"

#include <sys/stat.h>

#include <set>

#include "cluster/spec.h"
#include "common/files.h"
#include "common/strings.h"
#include "jobs/local_download.h"
#include "jobs/local_upload.h"

namespace ppcs::jobs {
namespace {

// Prints the resolved path, then the kinds of it and of its parent. A fixed script: the path is
// a positional argument, never part of the script.
const char* kInspectScript =
    "kind() { if [ -d \"$1\" ]; then echo directory; elif [ -f \"$1\" ]; then echo file; "
    "elif [ -e \"$1\" ] || [ -L \"$1\" ]; then echo other; else echo missing; fi; }; "
    "r=$(realpath -m -- \"$1\") || exit 1; printf '%s\\n' \"$r\"; kind \"$r\"; kind \"$(dirname -- \"$r\")\"";

SharedPath::Kind kindNamed(std::string_view word) {
    if (word == "directory") return SharedPath::Kind::directory;
    if (word == "file") return SharedPath::Kind::file;
    if (word == "other") return SharedPath::Kind::other;
    return SharedPath::Kind::missing;
}

std::string parentOf(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

}  // namespace

Result<SharedPath> inspectSharedPath(docker::Engine& engine, const std::string& headContainer, const std::string& relative) {
    std::string path = std::string(cluster::kSharedDir) + (relative.empty() ? "" : "/" + relative);
    auto outcome = engine.runExec(
        headContainer, {{"sh", "-c", kInspectScript, "ppcs-inspect", path}, cluster::kMpiUser, {}, cluster::kSharedDir},
        std::chrono::seconds(30));
    if (!outcome) return outcome.error().context("look up " + model::shownSharedPath(relative));
    auto lines = split(trim(outcome->out), '\n');
    if (outcome->exitCode != 0 || lines.size() != 3)
        return makeError(ErrorCode::failed,
                         "look up " + model::shownSharedPath(relative) + ": " + std::string(trim(outcome->err)));
    SharedPath found{lines[0], kindNamed(lines[1]), kindNamed(lines[2])};
    const std::string shared = cluster::kSharedDir;
    if (found.real != shared && !startsWith(found.real, shared + "/"))
        return makeError(ErrorCode::usage,
                         model::shownSharedPath(relative) + " leads outside the shared folder (to " + found.real + "): refused");
    return found;
}

Result<std::string> localCopyTarget(const std::string& localPath, const std::string& remoteBase) {
    struct stat info {};
    if (::stat(localPath.c_str(), &info) == 0 && S_ISDIR(info.st_mode))
        return localPath + (localPath.back() == '/' ? "" : "/") + remoteBase;
    std::string parent = parentOf(localPath);
    if (::stat(parent.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
        return makeError(ErrorCode::usage, "no directory " + parent + " to copy into");
    return localPath;
}

Result<model::CopyReport> copyIntoCluster(docker::Engine& engine, const std::vector<cluster::Member>& members,
                                          const model::CopyRequest& request, const std::function<bool()>& abandon) {
    const auto& head = members.front();
    auto target = inspectSharedPath(engine, head.containerId, request.remotePath);
    if (!target) return target.error();
    std::string dir = target->real, name = baseName(request.localPath);
    if (target->kind != SharedPath::Kind::directory) {
        if (target->kind == SharedPath::Kind::other)
            return makeError(ErrorCode::usage, model::shownSharedPath(request.remotePath) + " is neither a file nor a directory");
        if (target->parentKind != SharedPath::Kind::directory)
            return makeError(ErrorCode::usage, "no directory " +
                                                   model::shownSharedPath(parentOf("/" + request.remotePath).substr(1)) +
                                                   " in the shared folder to copy into");
        struct stat info {};
        if (target->kind == SharedPath::Kind::file && ::stat(request.localPath.c_str(), &info) == 0 && S_ISDIR(info.st_mode))
            return makeError(ErrorCode::usage,
                             model::shownSharedPath(request.remotePath) + " is a file: cannot copy a directory onto it");
        dir = parentOf(target->real);
        name = baseName(target->real);
    }
    auto tally = uploadLocalTree(engine, head.containerId, dir, LocalUpload{request.localPath, name, {}}, abandon);
    if (!tally) return tally.error().context("copy " + request.localPath);
    std::string placed = dir + "/" + name;
    std::string relative = placed.substr(std::string(cluster::kSharedDir).size() + 1);
    model::CopyReport report{request.localPath, relative, *tally, 1};
    std::set<std::string> hosts;
    for (const auto& member : members) hosts.insert(member.dockerHostId);
    if (hosts.size() > 1) {
        if (auto copied = cluster::replicateSharedFiles(engine, members, {relative}); !copied) return copied.error();
        report.hosts = static_cast<int>(hosts.size());
    }
    return report;
}

Result<model::CopyReport> copyOutOfCluster(docker::Engine& engine, const std::string& headContainer, const std::string& relative,
                                           const std::string& localTarget, const std::function<bool()>& abandon) {
    auto source = inspectSharedPath(engine, headContainer, relative);
    if (!source) return source.error();
    if (source->kind == SharedPath::Kind::missing)
        return makeError(ErrorCode::notFound, "no " + model::shownSharedPath(relative) + " in the shared folder");
    LocalTreeWriter writer(localTarget);
    TarStreamReader reader(writer.handler());
    Status failed;
    bool abandoned = false;
    auto got = engine.getArchive(headContainer, source->real, [&](std::string_view piece) {
        if (abandon && abandon()) {
            abandoned = true;
            return false;
        }
        failed = reader.feed(piece);
        return failed.ok();
    });
    if (abandoned) return makeError(ErrorCode::failed, "copy " + model::shownSharedPath(relative) + ": the copy was abandoned");
    if (!failed) return failed.error().context("copy " + model::shownSharedPath(relative) + " to " + localTarget);
    if (!got) return got.error().context("copy " + model::shownSharedPath(relative));
    if (auto complete = reader.finish(); !complete) return complete.error().context("copy " + model::shownSharedPath(relative));
    return model::CopyReport{localTarget, relative, writer.tally(), 1};
}

void copyJobFolderBack(docker::Engine& engine, const std::string& headContainer, const std::string& outputDir,
                       JobOutcome& outcome, const JobEvents& events) {
    if (outcome.id <= 0) return;  // no job was recorded, so it has no folder
    std::string folder = "jobs/" + std::to_string(outcome.id);
    Result<model::CopyReport> copied = makeError(ErrorCode::usage, "no directory " + parentOf(outputDir) + " to copy into");
    struct stat info {};
    if (::stat(parentOf(outputDir).c_str(), &info) == 0 && S_ISDIR(info.st_mode))
        copied = copyOutOfCluster(engine, headContainer, folder, outputDir);
    if (copied) {
        events(Phase::job, "copied the job's folder (" + std::to_string(copied->tally.files) + " files) to " + outputDir);
        return;
    }
    std::string reason = "the job's folder was not copied to " + outputDir + ": " + copied.error().message;
    events(Phase::warning, reason);
    if (outcome.exitCode == 0) {
        outcome.exitCode = 1;
        outcome.message = reason;
    }
}

}  // namespace ppcs::jobs
