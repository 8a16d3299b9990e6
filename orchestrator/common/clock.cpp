#include "common/clock.h"

#include <chrono>
#include <ctime>

namespace ppcs {
namespace {

std::string formatUtc(std::time_t when, const char* format) {
    std::tm utc{};
    gmtime_r(&when, &utc);
    char text[32];
    std::strftime(text, sizeof text, format, &utc);
    return text;
}

}  // namespace

std::string utcTimestamp() { return formatUtc(std::time(nullptr), "%Y-%m-%dT%H:%M:%SZ"); }

std::string utcTimestampOf(std::int64_t unixSeconds) {
    return formatUtc(static_cast<std::time_t>(unixSeconds), "%Y-%m-%dT%H:%M:%SZ");
}

std::string utcTimestampCompact() { return formatUtc(std::time(nullptr), "%Y%m%dT%H%M%SZ"); }

double unixSeconds() { return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count(); }

}  // namespace ppcs
