#pragma once
// The SVG plots `bench` leaves in ppcsd's state directory (<state>/bench/<cluster>-<stamp>.svg),
// listed and read for the dashboard. A plot is named, never addressed by path: a name that could
// leave the folder, or that names anything but a regular file ending in .svg, is refused.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace ppcs::jobs {

inline constexpr std::size_t kMaxBenchPlotBytes = 4 * 1024 * 1024;
inline constexpr std::size_t kMaxListedBenchPlots = 200;

struct BenchPlot {
    std::string name;  // file name, e.g. "demo-20261207T044000Z.svg"
    std::int64_t bytes = 0;
    double modifiedUnixSeconds = 0;
};

// True for 1 to 128 characters of [A-Za-z0-9._-], not starting with '.', ending in ".svg".
bool benchPlotNameValid(std::string_view name);

// The plots in dir, newest first, at most kMaxListedBenchPlots; none when dir does not exist.
Result<std::vector<BenchPlot>> listBenchPlots(const std::string& dir);

// The content of plot `name` in dir: a usage error for a bad name, notFound when it is missing
// or not a regular file (a symbolic link is refused), tooLarge over kMaxBenchPlotBytes.
Result<std::string> readBenchPlot(const std::string& dir, const std::string& name);

}  // namespace ppcs::jobs
