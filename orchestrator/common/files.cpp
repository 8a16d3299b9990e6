#include "common/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/strings.h"

namespace ppcs {
namespace {

std::string errnoText() { return std::strerror(errno); }

Status writeAll(int fd, const std::string& content) {
    std::size_t done = 0;
    while (done < content.size()) {
        ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return makeError(ErrorCode::failed, errnoText());
        done += static_cast<std::size_t>(n);
    }
    return {};
}

}  // namespace

Result<std::string> readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        auto code = errno == ENOENT ? ErrorCode::notFound : ErrorCode::failed;
        return makeError(code, "read '" + path + "': " + errnoText());
    }
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

Status writePrivateFile(const std::string& path, const std::string& content) {
    std::string temporary = path + ".tmp." + std::to_string(::getpid());
    int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) return makeError(ErrorCode::failed, "create '" + temporary + "': " + errnoText());
    Status written = writeAll(fd, content);
    if (written && ::fchmod(fd, 0600) != 0) written = makeError(ErrorCode::failed, errnoText());
    if (written && ::fsync(fd) != 0) written = makeError(ErrorCode::failed, errnoText());
    ::close(fd);
    if (written && ::rename(temporary.c_str(), path.c_str()) != 0)
        written = makeError(ErrorCode::failed, "rename to '" + path + "': " + errnoText());
    if (!written) {
        ::unlink(temporary.c_str());
        return written.error().context("write '" + path + "'");
    }
    return {};
}

Status ensurePrivateDirectory(const std::string& dir) {
    std::string partial;
    for (std::size_t pos = 0; pos != std::string::npos;) {
        pos = dir.find('/', pos + 1);
        partial = dir.substr(0, pos);
        if (partial.empty()) continue;
        if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST)
            return makeError(ErrorCode::failed, "create directory '" + partial + "': " + errnoText());
    }
    if (::chmod(dir.c_str(), 0700) != 0) return makeError(ErrorCode::failed, "chmod '" + dir + "': " + errnoText());
    return {};
}

std::string stateDirectory() {
    if (const char* explicitDir = std::getenv("PPCS_STATE_DIR"); explicitDir && *explicitDir) return explicitDir;
    if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg && *xdg) return std::string(xdg) + "/ppcs";
    const char* home = std::getenv("HOME");
    return std::string(home && *home ? home : "/tmp") + "/.local/state/ppcs";
}

std::string baseName(const std::string& path) {
    std::string trimmed = path;
    while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
    auto slash = trimmed.rfind('/');
    return slash == std::string::npos || trimmed == "/" ? trimmed : trimmed.substr(slash + 1);
}

Result<std::string> absoluteLocalPath(const std::string& path) {
    if (path.empty()) return makeError(ErrorCode::usage, "an empty local path");
    std::string joined = path;
    if (path.front() != '/') {
        char cwd[PATH_MAX];
        if (::getcwd(cwd, sizeof cwd) == nullptr) return makeError(ErrorCode::failed, "cannot tell the current directory");
        joined = std::string(cwd) + "/" + path;
    }
    std::string cleaned;
    for (const auto& part : split(joined, '/'))
        if (!part.empty() && part != ".") cleaned += "/" + part;
    return cleaned.empty() ? std::string("/") : cleaned;
}

std::string executableDirectory() {
    char buffer[4096];
    ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
    if (n <= 0) return ".";
    std::string path(buffer, static_cast<std::size_t>(n));
    auto slash = path.rfind('/');
    return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::string fileIdentity(const std::string& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) return "";
    long long nanos = static_cast<long long>(info.st_mtim.tv_sec) * 1000000000LL + info.st_mtim.tv_nsec;
    return std::to_string(static_cast<long long>(info.st_size)) + "-" + std::to_string(nanos);
}

}  // namespace ppcs
