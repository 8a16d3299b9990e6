#include "common/log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace ppcs::log {
namespace {

std::atomic<Level> gLevel{Level::info};
std::mutex gMutex;
std::string gRotatePath;       // under gMutex
std::size_t gRotateBytes = 0;  // under gMutex; 0: no rotation

bool sameFile(int fd, const std::string& path) {
    struct stat open {
    }, named{};
    return ::fstat(fd, &open) == 0 && ::stat(path.c_str(), &named) == 0 && open.st_dev == named.st_dev &&
           open.st_ino == named.st_ino;
}

// Called with gMutex held, before a line is written. A failure leaves the log as it is: a log
// that cannot rotate goes on growing rather than losing lines.
void rotateIfFull() {
    struct stat info {};
    if (gRotateBytes == 0 || ::fstat(STDERR_FILENO, &info) != 0 || static_cast<std::size_t>(info.st_size) < gRotateBytes) return;
    if (!sameFile(STDERR_FILENO, gRotatePath) || ::rename(gRotatePath.c_str(), (gRotatePath + ".1").c_str()) != 0) return;
    int fresh = ::open(gRotatePath.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fresh < 0) return;
    std::fflush(stderr);
    ::dup2(fresh, STDERR_FILENO);
    ::close(fresh);
}

const char* levelName(Level level) {
    switch (level) {
        case Level::debug:
            return "debug";
        case Level::info:
            return "info";
        case Level::warn:
            return "warn";
        case Level::error:
            return "error";
    }
    return "info";
}

}  // namespace

void setLevel(Level level) { gLevel = level; }

bool enabled(Level level) { return level >= gLevel.load(); }

std::optional<Level> levelFromName(std::string_view text) {
    for (Level level : {Level::debug, Level::info, Level::warn, Level::error})
        if (text == levelName(level)) return level;
    return std::nullopt;
}

void rotateStderrAt(const std::string& path, std::size_t maxBytes) {
    std::lock_guard<std::mutex> lock(gMutex);
    bool isStderr = sameFile(STDERR_FILENO, path);
    gRotatePath = path;
    gRotateBytes = isStderr ? maxBytes : 0;
}

void write(Level level, std::string_view message) {
    if (level < gLevel.load()) return;
    auto now = std::chrono::system_clock::now();
    std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
    std::lock_guard<std::mutex> lock(gMutex);
    rotateIfFull();
    std::fprintf(stderr, "%s.%03lldZ %-5s %.*s\n", stamp, static_cast<long long>(millis), levelName(level),
                 static_cast<int>(message.size()), message.data());
    std::fflush(stderr);
}

}  // namespace ppcs::log
