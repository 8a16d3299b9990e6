#pragma once
// Wall-clock timestamps for records and file names, always UTC.

#include <cstdint>
#include <string>

namespace ppcs {

// "2026-11-24T05:33:21Z"
std::string utcTimestamp();
// The same for a point in time given in seconds since the Unix epoch.
std::string utcTimestampOf(std::int64_t unixSeconds);
// "20261124T053321Z", for file names.
std::string utcTimestampCompact();
// Seconds since the Unix epoch, with their fraction.
double unixSeconds();

}  // namespace ppcs
