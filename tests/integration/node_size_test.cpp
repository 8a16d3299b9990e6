// `up --cpus --memory --shm-size --mount` on the real engine: the limits and /dev/shm inside the
// members, slots that follow --cpus, the sizes kept through scale and a ppcsd restart, a rank over
// its memory limit named with its node and the limit, an MPI-3 shared window that fits a large
// /dev/shm and fails clearly in a small one, and a host folder every rank writes into.

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "common/strings.h"
#include "integration/cluster_fixture.h"
#include "integration/support.h"
#include "support/run_process.h"
#include "support/test_paths.h"

using namespace ppcs;
using namespace ppcs::integration;
using nlohmann::json;

namespace {

constexpr std::int64_t kMiB = 1 << 20;

// Touches 256 MiB, reading it back so that no compiler can drop the allocation.
const char* kMemoryHog = R"(#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char** argv) {
    MPI_Init(&argc, &argv);
    size_t size = (size_t)256 << 20;
    volatile char* p = malloc(size);
    if (!p) { puts("malloc failed"); MPI_Abort(MPI_COMM_WORLD, 2); }
    long sum = 0;
    for (size_t i = 0; i < size; i += 4096) p[i] = 1;
    for (size_t i = 0; i < size; i += 4096) sum += p[i];
    printf("touched %ld pages\n", sum);
    MPI_Finalize();
    return 0;
}
)";

// Every rank of a node allocates 64 MiB of an MPI-3 shared window and reads its neighbour's.
const char* kSharedWindow = R"(#include <mpi.h>
#include <stdio.h>
#include <string.h>
int main(int argc, char** argv) {
    MPI_Init(&argc, &argv);
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
    int rank, size;
    MPI_Comm_rank(node, &rank);
    MPI_Comm_size(node, &size);
    MPI_Comm_set_errhandler(node, MPI_ERRORS_RETURN);
    MPI_Aint bytes = (MPI_Aint)64 << 20;
    char* base = NULL;
    MPI_Win win;
    int rc = MPI_Win_allocate_shared(bytes, 1, MPI_INFO_NULL, node, &base, &win);
    if (rc != MPI_SUCCESS) {
        char text[MPI_MAX_ERROR_STRING];
        int length = 0;
        MPI_Error_string(rc, text, &length);
        fprintf(stderr, "rank %d: MPI_Win_allocate_shared failed: %s\n", rank, text);
        MPI_Abort(MPI_COMM_WORLD, 3);
    }
    memset(base, rank + 1, bytes);
    MPI_Win_fence(0, win);
    MPI_Aint peerSize;
    int unit;
    char* peer;
    MPI_Win_shared_query(win, (rank + 1) % size, &peerSize, &unit, &peer);
    int ok = peer[bytes - 1] == (char)((rank + 1) % size + 1);
    printf("rank %d of %d: window %ld MiB, neighbour %s\n", rank, size, (long)(bytes >> 20), ok ? "ok" : "WRONG");
    MPI_Win_free(&win);
    MPI_Finalize();
    return ok ? 0 : 1;
}
)";

std::vector<std::string> memberContainers(docker::EngineClient& engine, const std::string& cluster) {
    auto containers = engine.listContainers({{"ppcs.cluster", cluster}}, false);
    REQUIRE(containers);
    std::vector<std::string> ids;
    for (const auto& container : *containers) ids.push_back(container.id);
    return ids;
}

// The size of the file system at path in the container, in bytes.
std::int64_t fileSystemBytes(docker::EngineClient& engine, const std::string& container, const std::string& path) {
    auto stat = execIn(engine, container, {"stat", "-f", "-c", "%b %S", path});
    REQUIRE(stat.exitCode == 0);
    std::int64_t blocks = 0, blockSize = 0;
    REQUIRE(std::sscanf(stat.out.c_str(), "%ld %ld", &blocks, &blockSize) == 2);
    return blocks * blockSize;
}

// The container's memory limit as its cgroup says (v2 or v1).
std::string cgroupMemoryLimit(docker::EngineClient& engine, const std::string& container) {
    auto read =
        execIn(engine, container,
               {"sh", "-c", "cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes"});
    REQUIRE(read.exitCode == 0);
    return std::string(trim(read.out));
}

// The slots= of every member line of the cluster's hostfile.
std::vector<std::string> hostfileSlots(docker::EngineClient& engine, const std::string& cluster) {
    auto heads = engine.listContainers({{"ppcs.cluster", cluster}, {"ppcs.role", "head"}}, false);
    REQUIRE(heads);
    REQUIRE(heads->size() == 1);
    auto hostfile = execIn(engine, heads->front().id, {"cat", "/usr/local/var/mpishare/hostfile"});
    REQUIRE(hostfile.exitCode == 0);
    std::vector<std::string> slots;
    for (const auto& line : lines(hostfile.out))
        if (line.front() != '#')
            slots.push_back(line.substr(line.find("slots="), line.find(' ', line.find("slots=")) - line.find("slots=")));
    return slots;
}

std::size_t servicesOf(docker::EngineClient& engine, const std::string& cluster) {
    auto services = engine.listServices({{"ppcs.cluster", cluster}});
    REQUIRE(services);
    return services->size();
}

}  // namespace

TEST_CASE(
    "up --cpus 1 --memory 64m: limits, slots=1 and /dev/shm in every member, kept by scale and a new ppcsd, and a rank over the "
    "limit is named",
    "[docker]") {
    auto engine = requireEngine();
    ensureNodeImage();
    ClusterFixture fixture("size");
    const auto& name = fixture.cluster();

    // Bad sizes and mounts: one line, exit 2, nothing created.
    for (std::vector<std::string> bad : {std::vector<std::string>{"--memory", "12x"},
                                         {"--cpus", "0"},
                                         {"--cpus", "many"},
                                         {"--shm-size", "1q"},
                                         {"--memory", "1m"},
                                         {"--mount", "no-such-folder-here"},
                                         {"--mount", "/tmp:/etc"},
                                         {"--mount", "/tmp:/usr/local/var/mpishare"},
                                         {"--mount", "/tmp:data"},
                                         {"--mount-on-every-host"}}) {
        std::vector<std::string> args{"up", "--nodes", "1", "--name", name};
        args.insert(args.end(), bad.begin(), bad.end());
        auto refused = fixture.cli(args);
        INFO(join(bad, " ") << ": " << refused.err);
        CHECK(refused.exitCode == 2);
        CHECK(lines(refused.err).size() == 1);
    }
    CHECK(servicesOf(engine, name) == 0);

    auto up = fixture.cli({"up", "--nodes", "1", "--name", name, "--cpus", "1", "--memory", "64m"});
    INFO("up: " << lastPart(up.err));
    REQUIRE(up.exitCode == 0);
    CHECK(hostfileSlots(engine, name) == std::vector<std::string>{"slots=1", "slots=1"});
    auto members = memberContainers(engine, name);
    REQUIRE(members.size() == 2);
    for (const auto& container : members) {
        CHECK(cgroupMemoryLimit(engine, container) == std::to_string(64 * kMiB));
        CHECK(fileSystemBytes(engine, container, "/dev/shm") == 32 * kMiB);  // half of --memory
    }

    // Recorded on the cluster: status shows them, and so does a new ppcsd after a scale.
    auto status = fixture.cli({"status", "--name", name});
    REQUIRE(status.exitCode == 0);
    CHECK(status.out.find("size cpus 1, memory 64 MiB, /dev/shm 32 MiB per member") != std::string::npos);
    REQUIRE(fixture.cli({"scale", "--nodes", "2", "--name", name}).exitCode == 0);
    REQUIRE(fixture.cli({"daemon", "stop"}).exitCode == 0);
    auto asJson = fixture.cli({"--json", "status", "--name", name});
    REQUIRE(asJson.exitCode == 0);
    auto object = json::parse(asJson.out);
    CHECK(object["cpus"] == 1.0);
    CHECK(object["memory_bytes"] == 64 * kMiB);
    CHECK(object["shm_bytes"] == 32 * kMiB);
    CHECK(object["ready_slots"] == 3);
    CHECK(hostfileSlots(engine, name) == std::vector<std::string>{"slots=1", "slots=1", "slots=1"});
    members = memberContainers(engine, name);
    REQUIRE(members.size() == 3);
    for (const auto& container : members) {
        CHECK(cgroupMemoryLimit(engine, container) == std::to_string(64 * kMiB));
        CHECK(fileSystemBytes(engine, container, "/dev/shm") == 32 * kMiB);
    }
    // Sizes are fixed at creation: asking for others is refused, the same ones are fine.
    CHECK(fixture.cli({"up", "--nodes", "2", "--name", name, "--memory", "128m"}).exitCode == 2);
    CHECK(fixture.cli({"up", "--nodes", "2", "--name", name, "--memory", "64m"}).exitCode == 0);

    // Ranks that touch 256 MiB under a 64 MiB limit are OOM-killed: the job ends, naming the
    // member and the limit, with the exit code of a kill.
    fixture.write("hog.c", kMemoryHog);
    auto hog = fixture.run({"-n", "2", "--per-node", "1", "hog.c"}, 120);
    INFO("hog: " << lastPart(hog.err));
    CHECK(hog.exitCode == 137);
    std::smatch said;
    std::string lastError = lastLine(hog.err);
    CHECK(std::regex_search(
        lastError, said,
        std::regex("job \\d+: rank \\d on " + name + "-(head|node-\\d) was killed: out of memory \\(limit 64 MiB\\), exit 137")));
    CHECK(leftovers(engine, name).empty());
}

TEST_CASE("up --shm-size 1g gives /dev/shm 1 GiB and room for a shared window of 4 x 64 MiB that --shm-size 64m fails clearly",
          "[docker]") {
    auto engine = requireEngine();
    ensureNodeImage();
    ClusterFixture fixture("shm");
    auto small = fixture.extraCluster("shm-small");
    auto up = fixture.cli({"up", "--nodes", "1", "--name", fixture.cluster(), "--shm-size", "1g"});
    INFO("up: " << lastPart(up.err));
    REQUIRE(up.exitCode == 0);
    for (const auto& container : memberContainers(engine, fixture.cluster())) {
        auto df = execIn(engine, container, {"df", "-B1", "--output=size", "/dev/shm"});
        REQUIRE(df.exitCode == 0);
        CHECK(lines(df.out).back() == "1073741824");
    }
    fixture.write("window.c", kSharedWindow);
    auto fits = fixture.run({"-n", "4", "--per-node", "4", "--oversubscribe", "window.c"}, 120);
    INFO("1g: " << lastPart(fits.err));
    CHECK(fits.exitCode == 0);
    auto okLines = lines(fits.out);
    CHECK(okLines.size() == 4);
    for (const auto& line : okLines) CHECK(line.find("window 64 MiB, neighbour ok") != std::string::npos);

    auto upSmall = fixture.cli({"up", "--nodes", "1", "--name", small, "--shm-size", "64m"});
    INFO("up small: " << lastPart(upSmall.err));
    REQUIRE(upSmall.exitCode == 0);
    auto status = fixture.cli({"status", "--name", small});
    CHECK(status.out.find("size cpus unlimited, memory unlimited, /dev/shm 64 MiB per member") != std::string::npos);
    std::vector<std::string> argv{"/bin/sh",
                                  "-c",
                                  "cd \"$0\" && exec \"$@\"",
                                  fixture.sources(),
                                  ppcs::testing::cliBinary(),
                                  "run",
                                  "--name",
                                  small,
                                  "-n",
                                  "4",
                                  "--per-node",
                                  "4",
                                  "--oversubscribe",
                                  "window.c"};
    auto tooSmall = ppcs::testing::runProcess(argv, {{"PPCS_STATE_DIR", fixture.stateDir()}}, 120);
    INFO("64m: " << lastPart(tooSmall.err));
    CHECK(tooSmall.exitCode != 0);
    CHECK(tooSmall.err.find("MPI_Win_allocate_shared failed") != std::string::npos);
    CHECK(leftovers(engine, small).empty());
}

TEST_CASE("up --mount binds a host folder into every member, where every rank writes, shown by status", "[docker]") {
    auto engine = requireEngine();
    ensureNodeImage();
    ClusterFixture fixture("mount");
    std::string folder = fixture.sources() + "/results";
    REQUIRE(::mkdir(folder.c_str(), 0755) == 0);
    REQUIRE(::chmod(folder.c_str(), 0755) == 0);
    // A relative HOSTDIR is resolved against the CLI's own directory.
    std::vector<std::string> argv{"/bin/sh",
                                  "-c",
                                  "cd \"$0\" && exec \"$@\"",
                                  fixture.sources(),
                                  ppcs::testing::cliBinary(),
                                  "up",
                                  "--nodes",
                                  "2",
                                  "--name",
                                  fixture.cluster(),
                                  "--mount",
                                  "results"};
    auto up = ppcs::testing::runProcess(argv, {{"PPCS_STATE_DIR", fixture.stateDir()}}, 300);
    INFO("up: " << lastPart(up.err));
    REQUIRE(up.exitCode == 0);
    CHECK(up.err.find("made " + folder + " writable by others") != std::string::npos);
    struct stat info {};
    REQUIRE(::stat(folder.c_str(), &info) == 0);
    CHECK((info.st_mode & 07777) == 0757);

    auto status = fixture.cli({"status", "--name", fixture.cluster()});
    CHECK(status.out.find("mount " + folder + " -> /mnt/results (read-write)") != std::string::npos);
    auto object = json::parse(fixture.cli({"--json", "status", "--name", fixture.cluster()}).out);
    CHECK(object["mount"]["source"] == folder);
    CHECK(object["mount"]["target"] == "/mnt/results");
    // No --shm-size and no --memory: /dev/shm is half of the host's memory, not Docker's 64 MB.
    CHECK(object["shm_bytes"].get<std::int64_t>() > 64 * kMiB);
    for (const auto& container : memberContainers(engine, fixture.cluster()))
        CHECK(fileSystemBytes(engine, container, "/dev/shm") == object["shm_bytes"].get<std::int64_t>());

    auto wrote = fixture.run({"--", "sh", "-c", "echo hi > /mnt/results/rank-$OMPI_COMM_WORLD_RANK-$(hostname)"});
    INFO("run: " << lastPart(wrote.err));
    REQUIRE(wrote.exitCode == 0);
    int ranks = object["ready_slots"];
    std::set<std::string> hosts;
    int files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(folder)) {
        std::string file = entry.path().filename().string();
        ++files;
        hosts.insert(file.substr(file.find('-', 5) + 1));
        struct stat owner {};
        REQUIRE(::stat(entry.path().c_str(), &owner) == 0);
        CHECK(owner.st_uid == 1000);
    }
    CHECK(files == ranks);
    CHECK(hosts ==
          std::set<std::string>{fixture.cluster() + "-head", fixture.cluster() + "-node-1", fixture.cluster() + "-node-2"});
}
