#include "jobs/bench.h"

#include <catch2/catch.hpp>

#include "api/bench_messages.h"

using namespace ppcs;
using namespace ppcs::jobs;

TEST_CASE("pingpong output is parsed, and anything else refused", "[bench]") {
    auto rows = parsePingpong(
        "# pingpong: rank 0 on a, rank 1 on b\n# size(B) latency(us) bandwidth(MB/s) bibw(MB/s)\n1 5.50 0.18 0.35\n1024 9.10 "
        "210.00 380.25\n");
    REQUIRE(rows);
    REQUIRE(rows->size() == 2);
    CHECK((*rows)[1].size == 1024);
    CHECK((*rows)[1].bibwMBs == Approx(380.25));
    CHECK_FALSE(parsePingpong("# only comments\n"));
    CHECK_FALSE(parsePingpong("1 2 3\n"));
    CHECK_FALSE(parsePingpong("1 2 3 4 5\n"));
    CHECK_FALSE(parsePingpong("Segmentation fault\n"));
}

TEST_CASE("allgather_matvec's line is parsed", "[bench]") {
    auto ok = parseAllgather(
        "noise\nallgather_matvec: n=2000 ranks=8 repeat=10 time_per_iteration_ms=2.321 max_error=0.000e+00 verified\n");
    REQUIRE(ok);
    CHECK(ok->ranks == 8);
    CHECK(ok->timeMs == Approx(2.321));
    CHECK(ok->verified);
    CHECK_FALSE(parseAllgather("allgather_matvec: n=x"));
    CHECK_FALSE(parseAllgather("allgather_matvec: n=10 ranks=2 repeat=1 time_per_iteration_ms=1 max_error=3 FAILED")->verified);
}

TEST_CASE("pairs: ring and all", "[bench]") {
    CHECK(benchPairs(1, "ring").empty());
    CHECK(benchPairs(2, "ring") == std::vector<std::pair<int, int>>{{0, 1}});
    CHECK(benchPairs(3, "ring") == std::vector<std::pair<int, int>>{{0, 1}, {1, 2}, {2, 0}});
    CHECK(benchPairs(4, "all").size() == 6);
}

TEST_CASE("pairs slower than twice the median are flagged", "[bench]") {
    auto pair = [](double latency, double bandwidth) {
        return PairResult{"a", "b", {{1, latency, 0.1, 0.2}, {1048576, latency * 100, bandwidth, bandwidth}}, false, ""};
    };
    std::vector<PairResult> pairs{pair(5, 1500), pair(5.5, 1600), pair(12, 1550), pair(6, 500)};
    flagSlowPairs(pairs);
    CHECK_FALSE(pairs[0].slow);
    CHECK_FALSE(pairs[1].slow);
    CHECK(pairs[2].slow);
    CHECK(pairs[2].why.rfind("latency 2.", 0) == 0);
    CHECK(pairs[3].slow);
    CHECK(pairs[3].why.rfind("bandwidth 0.", 0) == 0);
}

TEST_CASE("the plot has one line per pair in each panel, and the report round-trips", "[bench]") {
    BenchReport report;
    report.cluster = "demo";
    report.pairs = {
        PairResult{"demo-node-1", "demo-node-2", {{1, 5, 0.2, 0.4}, {1024, 9, 200, 380}}, false, ""},
        PairResult{"demo-node-2", "demo-node-1", {{1, 6, 0.2, 0.4}, {1024, 10, 190, 370}}, true, "latency 2.1x the median"}};
    std::string svg = renderBenchSvg(report);
    CHECK(svg.rfind("<svg ", 0) == 0);
    std::size_t lines = 0;
    for (auto at = svg.find("<polyline"); at != std::string::npos; at = svg.find("<polyline", at + 1)) ++lines;
    CHECK(lines == 4);
    CHECK(svg.find("slow: latency 2.1x the median") != std::string::npos);
    auto decoded = api::decodeBenchReport(api::encodeBenchReport(report));
    REQUIRE(decoded);
    REQUIRE(decoded->pairs.size() == 2);
    CHECK(decoded->pairs[1].slow);
    CHECK(decoded->pairs[0].rows[1].bandwidthMBs == Approx(200));
    CHECK_FALSE(api::decodeBenchRequest(R"({"kind":"fastest"})"));
    CHECK_FALSE(api::decodeBenchRequest(R"({"pairs":"some"})"));
    CHECK_FALSE(api::decodeBenchRequest(R"({"max_size":0})"));
    CHECK(api::decodeBenchRequest(R"({"kind":"latency","pairs":"all"})"));
}
