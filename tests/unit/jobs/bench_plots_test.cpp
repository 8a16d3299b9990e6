// The bench plots the dashboard lists and serves: names that could leave the folder, links and
// anything but a regular .svg file are refused.

#include "jobs/bench_plots.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "support/scratch_dir.h"

using namespace ppcs;
using namespace ppcs::jobs;

namespace {

void write(const std::string& path, const std::string& content) {
    std::ofstream out(path);
    out << content;
}

}  // namespace

TEST_CASE("a bench plot name is a plain file name ending in .svg", "[bench][dashboard]") {
    CHECK(benchPlotNameValid("demo-20261207T044000Z.svg"));
    CHECK(benchPlotNameValid("a.b_c.svg"));
    for (const char* bad : {"", ".svg", ".hidden.svg", "../token", "../x.svg", "a/b.svg", "/etc/x.svg", "x.svg/", "x.SVG",
                            "x.svg.json", "x svg.svg", "x%2f.svg", "x\\y.svg", "x\n.svg"})
        CHECK_FALSE(benchPlotNameValid(bad));
    CHECK_FALSE(benchPlotNameValid(std::string(125, 'a') + ".svg"));
    CHECK(benchPlotNameValid(std::string(124, 'a') + ".svg"));
    CHECK_FALSE(benchPlotNameValid(std::string("a\0b.svg", 7)));
}

TEST_CASE("bench plots are listed newest first, and read only as regular files of the folder", "[bench][dashboard]") {
    ppcs::testing::ScratchDir scratch("bench-plots");
    std::string dir = scratch.path + "/bench";
    auto none = listBenchPlots(dir);
    REQUIRE(none);
    CHECK(none->empty());

    REQUIRE(::mkdir(dir.c_str(), 0700) == 0);
    write(dir + "/old.svg", "<svg>old</svg>");
    write(dir + "/new.svg", "<svg>new</svg>");
    write(dir + "/results.json", "{}");
    write(scratch.path + "/secret", "token");
    REQUIRE(::symlink((scratch.path + "/secret").c_str(), (dir + "/link.svg").c_str()) == 0);
    REQUIRE(::mkdir((dir + "/folder.svg").c_str(), 0700) == 0);
    timespec times[2] = {{1000, 0}, {1000, 0}};
    REQUIRE(::utimensat(AT_FDCWD, (dir + "/old.svg").c_str(), times, 0) == 0);

    auto plots = listBenchPlots(dir);
    REQUIRE(plots);
    REQUIRE(plots->size() == 2);
    CHECK(plots->at(0).name == "new.svg");
    CHECK(plots->at(1).name == "old.svg");
    CHECK(plots->at(1).bytes == 14);
    CHECK(plots->at(1).modifiedUnixSeconds == 1000);

    auto read = readBenchPlot(dir, "new.svg");
    REQUIRE(read);
    CHECK(*read == "<svg>new</svg>");
    CHECK(readBenchPlot(dir, "link.svg").error().code == ErrorCode::notFound);
    CHECK(readBenchPlot(dir, "folder.svg").error().code == ErrorCode::notFound);
    CHECK(readBenchPlot(dir, "missing.svg").error().code == ErrorCode::notFound);
    CHECK(readBenchPlot(dir, "../secret").error().code == ErrorCode::usage);
    CHECK(readBenchPlot(dir, "results.json").error().code == ErrorCode::usage);
}
