#include "jobs/bench_plots.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/strings.h"

namespace ppcs::jobs {

bool benchPlotNameValid(std::string_view name) {
    if (name.empty() || name.size() > 128 || name.front() == '.' || !endsWith(name, ".svg") || name.size() == 4) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    });
}

Result<std::vector<BenchPlot>> listBenchPlots(const std::string& dir) {
    std::vector<BenchPlot> plots;
    DIR* folder = ::opendir(dir.c_str());
    if (folder == nullptr) {
        if (errno == ENOENT) return plots;
        return makeError(ErrorCode::failed, "list '" + dir + "': " + std::strerror(errno));
    }
    while (dirent* entry = ::readdir(folder)) {
        std::string name = entry->d_name;
        struct stat info {};
        if (!benchPlotNameValid(name) || ::fstatat(::dirfd(folder), name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISREG(info.st_mode))
            continue;
        plots.push_back(BenchPlot{name, static_cast<std::int64_t>(info.st_size),
                                  static_cast<double>(info.st_mtim.tv_sec) + info.st_mtim.tv_nsec / 1e9});
    }
    ::closedir(folder);
    std::sort(plots.begin(), plots.end(), [](const BenchPlot& a, const BenchPlot& b) {
        return a.modifiedUnixSeconds != b.modifiedUnixSeconds ? a.modifiedUnixSeconds > b.modifiedUnixSeconds : a.name > b.name;
    });
    if (plots.size() > kMaxListedBenchPlots) plots.resize(kMaxListedBenchPlots);
    return plots;
}

Result<std::string> readBenchPlot(const std::string& dir, const std::string& name) {
    if (!benchPlotNameValid(name)) return makeError(ErrorCode::usage, "'" + name + "' is not the name of a bench plot");
    std::string path = dir + "/" + name;
    // O_NOFOLLOW: a link planted in the folder cannot point the dashboard at another file.
    int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return makeError(ErrorCode::notFound, "no bench plot '" + name + "'");
    struct stat info {};
    bool regular = ::fstat(fd, &info) == 0 && S_ISREG(info.st_mode);
    if (!regular || info.st_size > static_cast<off_t>(kMaxBenchPlotBytes)) {
        ::close(fd);
        return regular ? makeError(ErrorCode::tooLarge, "bench plot '" + name + "' is over 4 MiB")
                       : makeError(ErrorCode::notFound, "no bench plot '" + name + "'");
    }
    std::string content(static_cast<std::size_t>(info.st_size), '\0');
    std::size_t filled = 0;
    while (filled < content.size()) {
        ssize_t got = ::read(fd, content.data() + filled, content.size() - filled);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        filled += static_cast<std::size_t>(got);
    }
    ::close(fd);
    content.resize(filled);
    return content;
}

}  // namespace ppcs::jobs
