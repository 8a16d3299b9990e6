#include "jobs/local_download.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/strings.h"

namespace ppcs::jobs {
namespace {

Error systemError(const std::string& what, const std::string& path) {
    return makeError(ErrorCode::failed, what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

LocalTreeWriter::LocalTreeWriter(std::string target) : target_(std::move(target)) {
    while (target_.size() > 1 && target_.back() == '/') target_.pop_back();
}

LocalTreeWriter::~LocalTreeWriter() {
    if (currentFd_ >= 0) ::close(currentFd_);
}

TarStreamReader::Handler LocalTreeWriter::handler() {
    return {[this](const TarStreamEntry& entry) { return begin(entry); }, [this](std::string_view piece) { return write(piece); },
            [this] { return end(); }};
}

Result<std::string> LocalTreeWriter::localPathFor(const std::string& archivePath) {
    std::string path = archivePath;
    while (!path.empty() && path.back() == '/') path.pop_back();
    if (path.empty() || path.front() == '/')
        return makeError(ErrorCode::failed, "the archive holds an absolute or empty path '" + archivePath + "'");
    auto parts = split(path, '/');
    for (const auto& part : parts)
        if (part.empty() || part == "." || part == "..")
            return makeError(ErrorCode::failed, "the archive holds a path with '.', '..' or empty parts: '" + archivePath + "'");
    if (top_.empty()) top_ = parts.front();
    if (parts.front() != top_)
        return makeError(ErrorCode::failed, "the archive holds '" + archivePath + "' outside its top entry '" + top_ + "'");
    std::string local = target_;
    for (std::size_t i = 1; i < parts.size(); ++i) local += "/" + parts[i];
    return local;
}

Status LocalTreeWriter::makeDirectory(const std::string& path) {
    if (::mkdir(path.c_str(), 0755) == 0) return {};
    if (errno != EEXIST) return systemError("cannot create the directory", path);
    struct stat info {};
    // target itself is the user's choice (it may be a link to a directory); below it, a link
    // could lead anywhere and is refused.
    int found = path == target_ ? ::stat(path.c_str(), &info) : ::lstat(path.c_str(), &info);
    if (found != 0 || !S_ISDIR(info.st_mode))
        return makeError(ErrorCode::usage, path + " exists and is not a directory: cannot copy a directory onto it");
    return {};
}

Status LocalTreeWriter::begin(const TarStreamEntry& entry) {
    auto local = localPathFor(entry.path);
    if (!local) return local.error();
    switch (entry.kind) {
        case TarStreamEntry::Kind::directory:
            if (auto made = makeDirectory(*local); !made) return made;
            ++tally_.directories;
            return {};
        case TarStreamEntry::Kind::file: {
            mode_t mode = static_cast<mode_t>(entry.mode & 0777);
            currentFd_ = ::open(local->c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode ? mode : 0644);
            if (currentFd_ < 0) {
                if (errno == ELOOP) return makeError(ErrorCode::usage, *local + " is a link: not replaced by a copied file");
                if (errno == EISDIR) return makeError(ErrorCode::usage, *local + " is a directory: cannot copy a file onto it");
                return systemError("cannot create", *local);
            }
            (void)::fchmod(currentFd_, mode);
            currentPath_ = *local;
            ++tally_.files;
            return {};
        }
        default:
            ++tally_.skipped;
            return {};
    }
}

Status LocalTreeWriter::write(std::string_view piece) {
    while (!piece.empty()) {
        ssize_t written = ::write(currentFd_, piece.data(), piece.size());
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) return systemError("cannot write", currentPath_);
        piece.remove_prefix(static_cast<std::size_t>(written));
        tally_.bytes += static_cast<std::uint64_t>(written);
    }
    return {};
}

Status LocalTreeWriter::end() {
    if (currentFd_ < 0) return {};
    int fd = currentFd_;
    currentFd_ = -1;
    if (::close(fd) != 0) return systemError("cannot finish writing", currentPath_);
    return {};
}

}  // namespace ppcs::jobs
