#include "common/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace ppcs::log {
namespace {

std::atomic<Level> gLevel{Level::info};
std::mutex gMutex;

const char* levelName(Level level) {
    switch (level) {
        case Level::debug: return "debug";
        case Level::info: return "info";
        case Level::warn: return "warn";
        case Level::error: return "error";
    }
    return "info";
}

}  // namespace

void setLevel(Level level) { gLevel = level; }

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
    std::fprintf(stderr, "%s.%03lldZ %-5s %.*s\n", stamp, static_cast<long long>(millis), levelName(level),
                 static_cast<int>(message.size()), message.data());
    std::fflush(stderr);
}

}  // namespace ppcs::log
