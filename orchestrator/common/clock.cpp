#include "common/clock.h"

#include <chrono>
#include <ctime>

namespace ppcs {
namespace {

std::string formatNow(const char* format) {
    std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char text[32];
    std::strftime(text, sizeof text, format, &utc);
    return text;
}

}  // namespace

std::string utcTimestamp() { return formatNow("%Y-%m-%dT%H:%M:%SZ"); }

std::string utcTimestampCompact() { return formatNow("%Y%m%dT%H%M%SZ"); }

double unixSeconds() { return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count(); }

}  // namespace ppcs
