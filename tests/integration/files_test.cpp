// Files in and out of a cluster: `cp` both ways for a 200 MB file and a directory tree, byte-
// identical; paths out of the shared folder refused (text and links); `run --output` bringing the
// job's folder back; a Python file run with the modules beside it.

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "integration/cluster_fixture.h"
#include "integration/support.h"

using namespace ppcs;
using namespace ppcs::integration;

namespace {

// sha256sum's digest of a local file.
std::string localDigest(const std::string& path) {
    auto sum = ppcs::testing::runProcess({"sha256sum", path}, {}, 120);
    REQUIRE(sum.exitCode == 0);
    return sum.out.substr(0, 64);
}

// Writes `megabytes` MiB of random bytes to path.
void writeRandomFile(const std::string& path, int megabytes) {
    auto made = ppcs::testing::runProcess(
        {"dd", "if=/dev/urandom", "of=" + path, "bs=1M", "count=" + std::to_string(megabytes), "status=none"}, {}, 120);
    REQUIRE(made.exitCode == 0);
}

bool isDirectory(const std::string& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

}  // namespace

TEST_CASE("cp in and out: a 200 MB file and a directory tree byte-identical, nothing outside the shared folder reachable",
          "[docker][backends]") {
    auto engine = requireEngine();
    ensureNodeImage();
    ClusterFixture fixture("files");
    auto up = fixture.cli({"up", "--nodes", "1", "--name", fixture.cluster()});
    INFO("up: " << lastPart(up.err));
    REQUIRE(up.exitCode == 0);
    const std::string& name = fixture.cluster();
    std::string big = fixture.sources() + "/big.bin";
    writeRandomFile(big, 200);
    fixture.write("tree/top.txt", "top\n");
    fixture.write("tree/sub/deeper/data.csv", "a,b\n1,2\n");
    fixture.write("tree/sub/empty.txt", "");
    writeRandomFile(fixture.sources() + "/tree/sub/blob.bin", 3);
    REQUIRE(::chmod((fixture.sources() + "/tree/top.txt").c_str(), 0755) == 0);

    // In: the file under its own name at the folder's top, the tree into a new folder's place.
    auto fileIn = fixture.cli({"cp", "--name", name, big, ":"});
    INFO("cp in: " << fileIn.err);
    REQUIRE(fileIn.exitCode == 0);
    CHECK(fileIn.out.find("copied 1 file (200.0 MiB) to :big.bin") != std::string::npos);
    auto treeIn = fixture.cli({"cp", "--name", name, fixture.sources() + "/tree", ":inputs"});
    REQUIRE(treeIn.exitCode == 0);
    CHECK(treeIn.out.find("to :inputs") != std::string::npos);

    // Every rank sees the same bytes.
    auto sums =
        fixture.run({"--", "sha256sum", "/usr/local/var/mpishare/big.bin", "/usr/local/var/mpishare/inputs/sub/deeper/data.csv"});
    INFO("sums: " << sums.err);
    REQUIRE(sums.exitCode == 0);
    CHECK(sums.out.find(localDigest(big)) != std::string::npos);
    CHECK(sums.out.find(localDigest(fixture.sources() + "/tree/sub/deeper/data.csv")) != std::string::npos);

    // Out: into an existing directory under the remote name, and as a new name.
    std::string back = fixture.sources() + "/back";
    REQUIRE(::mkdir(back.c_str(), 0755) == 0);
    auto fileOut = fixture.cli({"cp", "--name", name, ":big.bin", back + "/big-copy.bin"});
    INFO("cp out: " << fileOut.err);
    REQUIRE(fileOut.exitCode == 0);
    CHECK(localDigest(back + "/big-copy.bin") == localDigest(big));
    auto treeOut = fixture.cli({"--json", "cp", "--name", name, ":inputs", back});
    REQUIRE(treeOut.exitCode == 0);
    auto report = nlohmann::json::parse(lines(treeOut.out).back());
    CHECK(report["files"] == 4);
    CHECK(report["directories"] == 3);
    for (const char* file : {"top.txt", "sub/deeper/data.csv", "sub/empty.txt", "sub/blob.bin"}) {
        INFO(file);
        CHECK(localDigest(back + "/inputs/" + file) == localDigest(fixture.sources() + "/tree/" + file));
    }
    struct stat info {};
    REQUIRE(::stat((back + "/inputs/top.txt").c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0755);

    // Nothing outside the shared folder: by '..', by an absolute path, by a link inside it.
    for (std::vector<std::string> refused : {std::vector<std::string>{"cp", "--name", name, big, ":../../../etc"},
                                             {"cp", "--name", name, ":/etc/passwd", back},
                                             {"cp", "--name", name, ":inputs/../../x", back}}) {
        auto result = fixture.cli(refused);
        INFO(refused[3] << " " << refused[4] << ": " << result.err);
        CHECK(result.exitCode == 2);
    }
    auto link = fixture.run({"-n", "1", "--", "ln", "-s", "/etc", "/usr/local/var/mpishare/escape"});
    REQUIRE(link.exitCode == 0);
    auto viaLink = fixture.cli({"cp", "--name", name, ":escape/passwd", back});
    CHECK(viaLink.exitCode == 2);
    CHECK(lastLine(viaLink.err).find("leads outside the shared folder") != std::string::npos);
    auto intoLink = fixture.cli({"cp", "--name", name, fixture.sources() + "/tree/top.txt", ":escape/"});
    CHECK(intoLink.exitCode == 2);
    CHECK_FALSE(::stat((back + "/passwd").c_str(), &info) == 0);
    auto missing = fixture.cli({"cp", "--name", name, ":no-such-file", back});
    CHECK(missing.exitCode != 0);
    CHECK(lastLine(missing.err).find("no :no-such-file in the shared folder") != std::string::npos);
}

TEST_CASE("run --output brings the job's folder back, and a Python file runs with the modules beside it", "[docker]") {
    auto engine = requireEngine();
    ensureNodeImage();
    ClusterFixture fixture("output");
    auto up = fixture.cli({"up", "--nodes", "1", "--name", fixture.cluster()});
    INFO("up: " << lastPart(up.err));
    REQUIRE(up.exitCode == 0);

    // Each rank writes a file in the job's folder (where it starts); they all come back.
    std::string out = fixture.sources() + "/results";
    auto written = fixture.run(
        {"--output", "results", "--", "sh", "-c", "echo \"from $OMPI_COMM_WORLD_RANK\" > rank-$OMPI_COMM_WORLD_RANK.txt"});
    INFO("run --output: " << written.err);
    REQUIRE(written.exitCode == 0);
    REQUIRE(isDirectory(out));
    std::ifstream rank0(out + "/rank-0.txt");
    std::string line;
    std::getline(rank0, line);
    CHECK(line == "from 0");
    std::ifstream rank1(out + "/rank-1.txt");
    std::getline(rank1, line);
    CHECK(line == "from 1");
    // An output directory whose parent is missing: the job runs, the copy fails, said and exit 1.
    auto nowhere = fixture.run({"--output", "missing/parent/results", "--", "true"});
    CHECK(nowhere.exitCode == 1);
    CHECK(nowhere.err.find("the job's folder was not copied") != std::string::npos);

    // bench/entry.py imports helpers.py beside it, which reads factor.txt where the ranks start.
    fixture.write("bench/helpers.py", "def scale():\n    return int(open('factor.txt').read())\n");
    fixture.write("bench/factor.txt", "7\n");
    fixture.write("bench/entry.py",
                  "from mpi4py import MPI\nimport helpers\n"
                  "print(f'rank {MPI.COMM_WORLD.Get_rank()} scaled {helpers.scale() * 6}', flush=True)\n");
    auto script = fixture.run({"-n", "2", "bench/entry.py"});
    INFO("script: " << script.err);
    REQUIRE(script.exitCode == 0);
    CHECK(script.out.find("rank 0 scaled 42") != std::string::npos);
    CHECK(script.out.find("rank 1 scaled 42") != std::string::npos);
    // A folder that cannot be shipped whole (a link in it): the file goes alone, and says so.
    fixture.write("alone/lonely.py", "print('alone', flush=True)\n");
    fixture.write("alone/other.py", "x = 1\n");
    REQUIRE(::symlink("/etc", (fixture.sources() + "/alone/link").c_str()) == 0);
    auto alone = fixture.run({"-n", "1", "alone/lonely.py"});
    REQUIRE(alone.exitCode == 0);
    CHECK(alone.out == "alone\n");
    CHECK(alone.err.find("copying lonely.py without the folder beside it") != std::string::npos);
}
