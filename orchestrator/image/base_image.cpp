#include "image/base_image.h"

#include <stdlib.h>

#include <boost/filesystem.hpp>
#include <regex>

#include "common/files.h"
#include "common/strings.h"
#include "image/apt_mirror.h"

namespace ppcs::image {
namespace {

// Removes a directory tree when it goes out of scope, pass or fail.
class TemporaryTree {
public:
    explicit TemporaryTree(std::string path) : path_(std::move(path)) {}
    ~TemporaryTree() {
        boost::system::error_code ignored;
        boost::filesystem::remove_all(path_, ignored);
    }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

// The most telling line of debootstrap's output: its last "E:" line, else the last line.
std::string debootstrapCause(const std::string& lastLines) {
    std::string cause;
    for (const auto& line : split(lastLines, '\n')) {
        if (startsWith(line, "E:")) cause = std::string(trim(line.substr(2)));
    }
    if (!cause.empty()) return cause;
    auto lines = split(std::string(trim(lastLines)), '\n');
    return lines.empty() ? std::string("no output") : lines.back();
}

}  // namespace

Result<std::string> BaseImageResolver::ensure(const BaseImageOptions& options, const docker::ProgressSink& progress) {
    auto existing = engine_.inspectImage(options.image);
    if (!existing) return existing.error().context("look up base image " + options.image);
    if (*existing) return (*existing)->id;
    auto reference = splitImageReference(options.image);
    if (!reference) return reference.error();
    if (options.allowPull) {
        progress("base image " + options.image + " is not here: trying a pull");
        auto pulled = engine_.pullImage(reference->first, reference->second, progress, options.pullIdleTimeout);
        if (pulled) {
            auto after = engine_.inspectImage(options.image);
            if (after && *after) return (*after)->id;
        } else {
            progress("pull failed (" + truncateForDisplay(pulled.error().message, 160) + "): bootstrapping with debootstrap");
        }
    }
    return bootstrapAndImport(options, progress);
}

Result<std::string> BaseImageResolver::runDebootstrap(const BaseImageOptions& options, const std::string& mirror,
                                                      const std::string& rootfs, const docker::ProgressSink& progress) {
    progress("debootstrap --variant=minbase " + options.suite + " from " + mirror);
    ProcessSpec spec{{"debootstrap", "--variant=minbase", options.suite, rootfs, mirror}, std::chrono::seconds(1800)};
    auto outcome = runner_.run(spec, progress);
    if (!outcome && outcome.error().code == ErrorCode::notFound)
        return makeError(ErrorCode::unavailable,
                         "debootstrap is not installed (apt-get install debootstrap), and no base image " + options.image +
                             " is here or can be pulled");
    if (!outcome) return outcome.error().context("debootstrap");
    if (outcome->exitCode != 0)
        return makeError(ErrorCode::unavailable, "debootstrap from mirror " + mirror + " failed (exit " +
                                                     std::to_string(outcome->exitCode) +
                                                     "): " + debootstrapCause(outcome->lastLines));
    return std::string(rootfs);
}

Result<std::string> BaseImageResolver::bootstrapAndImport(const BaseImageOptions& options, const docker::ProgressSink& progress) {
    std::string mirror = options.mirror;
    if (mirror.empty()) {
        auto hostMirror = hostDebianMirror();
        if (!hostMirror) return hostMirror.error();
        mirror = *hostMirror;
    }
    std::string pattern = options.workDir + "/ppcs-base-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) return makeError(ErrorCode::failed, "create a directory under " + options.workDir);
    TemporaryTree work(pattern);
    std::string rootfs = work.path() + "/rootfs";
    if (auto made = runDebootstrap(options, mirror, rootfs, progress); !made) return made.error();
    std::string tarPath = work.path() + "/rootfs.tar";
    ProcessSpec pack{{"tar", "--numeric-owner", "--exclude=./var/cache/apt/archives/*.deb",
                      "--exclude=./var/lib/apt/lists/*_Packages", "-C", rootfs, "-cf", tarPath, "."},
                     std::chrono::seconds(600)};
    auto packed = runner_.run(pack, nullptr);
    if (!packed) return packed.error().context("pack the rootfs");
    if (packed->exitCode != 0)
        return makeError(ErrorCode::failed, "pack the rootfs: tar failed: " + debootstrapCause(packed->lastLines));
    auto tarball = readFile(tarPath);
    if (!tarball) return tarball.error();
    auto reference = splitImageReference(options.image);
    if (!reference) return reference.error();
    progress("importing the bootstrapped rootfs as " + options.image);
    auto imported = engine_.importImage(std::move(*tarball), reference->first, reference->second,
                                        {"LABEL ppcs.base=debootstrap", "CMD [\"bash\"]"}, progress);
    if (!imported) return imported.error().context("import base image " + options.image);
    return imported;
}

}  // namespace ppcs::image
