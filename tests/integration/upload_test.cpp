// Local files are streamed to the engine: a 2 GiB data file beside a Makefile reaches every rank
// while ppcsd's resident memory stays small.

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <fstream>
#include <string>

#include "integration/cluster_fixture.h"
#include "integration/support.h"

using namespace ppcs;
using namespace ppcs::integration;

namespace {

constexpr std::uint64_t kDataBytes = 2ULL << 30;

// Each rank prints its rank, the size of big.bin beside its executable, and the file's last 3 bytes.
const char* kSizeCheck = R"(#include <mpi.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
int main(int argc, char** argv) {
    MPI_Init(&argc, &argv);
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    char path[4096];
    snprintf(path, sizeof path, "%s/big.bin", dirname(argv[0]));
    struct stat info;
    long long size = stat(path, &info) == 0 ? (long long)info.st_size : -1;
    char tail[4] = "";
    FILE* f = fopen(path, "rb");
    if (f && fseeko(f, -3, SEEK_END) == 0 && fread(tail, 1, 3, f) == 3) tail[3] = '\0';
    if (f) fclose(f);
    printf("rank %d size %lld tail %s\n", rank, size, tail);
    MPI_Finalize();
    return 0;
}
)";

// A field of /proc/PID/status in kB (VmHWM: the peak resident set so far), -1 when absent.
long statusKb(int pid, const std::string& field) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
    return -1;
}

}  // namespace

TEST_CASE("a 2 GiB sparse data file beside a Makefile reaches every rank with ppcsd under 100 MiB RSS", "[docker]") {
    auto engine = requireEngine();
    ensureNodeImage();
    ClusterFixture fixture("bigfile");
    auto up = fixture.cli({"up", "--nodes", "1", "--name", fixture.cluster()});
    INFO("up: " << lastPart(up.err));
    REQUIRE(up.exitCode == 0);

    fixture.write("bigdata/Makefile", "bigdata: main.c\n\tmpicc -O2 -o bigdata main.c\n");
    fixture.write("bigdata/main.c", kSizeCheck);
    std::string data = fixture.sources() + "/bigdata/big.bin";
    fixture.write("bigdata/big.bin", "");
    REQUIRE(::truncate(data.c_str(), static_cast<off_t>(kDataBytes - 3)) == 0);
    std::ofstream(data, std::ios::binary | std::ios::app) << "END";

    int daemon = daemonPid(fixture.stateDir());
    long peakBefore = statusKb(daemon, "VmHWM");
    auto run = fixture.run({"bigdata"}, 900);
    long peakAfter = statusKb(daemon, "VmHWM");
    INFO("run stderr: " << lastPart(run.err));
    REQUIRE(run.exitCode == 0);
    auto ranks = lines(run.out);
    CHECK(ranks.size() >= 2);
    for (const auto& line : ranks) {
        INFO(line);
        CHECK(line.find(" size " + std::to_string(kDataBytes) + " tail END") != std::string::npos);
    }

    WARN("ppcsd peak RSS (VmHWM): " << peakBefore / 1024 << " MiB before the 2 GiB copy, " << peakAfter / 1024 << " MiB after");
    REQUIRE(peakAfter > 0);
    REQUIRE(peakAfter < 100 * 1024);
}
