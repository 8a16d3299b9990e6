// `ppcs-cluster run | jobs | logs` end to end on a real 3-node cluster.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "common/files.h"
#include "common/strings.h"
#include "integration/cluster_fixture.h"
#include "integration/support.h"
#include "support/run_process.h"
#include "support/test_paths.h"


using namespace ppcs;
using namespace ppcs::integration;
using nlohmann::json;
using ppcs::testing::ProcessResult;
using ppcs::testing::runProcess;

namespace {

const char* kExitThree = R"(#include <mpi.h>
#include <stdio.h>
int main(int argc, char** argv) {
    MPI_Init(&argc, &argv);
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    for (int i = 1; i < argc && rank == 0; ++i) printf("[%s]\n", argv[i]);
    MPI_Finalize();
    return 3;
}
)";

const char* kRanksPy = R"(from mpi4py import MPI
c = MPI.COMM_WORLD
print(f"py rank {c.Get_rank()} of {c.Get_size()}", flush=True)
)";

}  // namespace

TEST_CASE("run: examples, sources, scripts, arguments, exit codes, cancel, timeout, records", "[docker]") {
    auto engine = requireEngine();
    ensureNodeImage();
    ClusterFixture fixture("jobs");
    auto up = fixture.cli({"up", "--nodes", "3", "--name", fixture.cluster()});
    INFO("up: " << up.err);
    REQUIRE(up.exitCode == 0);

    // hello_world across the whole cluster: every member runs ranks.
    auto hello = fixture.run({"hello_world"});
    REQUIRE(hello.exitCode == 0);
    std::set<std::string> hosts;
    for (const auto& line : lines(hello.out)) hosts.insert(line.substr(line.rfind(' ') + 1));
    CHECK(hosts.size() == 4);

    // A C source from a local directory: compiled on the head; its exit code is the CLI's;
    // arguments with spaces, quotes and shell syntax arrive unchanged.
    fixture.write("exit3.c", kExitThree);
    std::vector<std::string> tricky{"two words", "it's \"quoted\"", "a;b", "$(id)", "`id`", "*"};
    std::vector<std::string> args{"-n", "2", "exit3.c"};
    args.insert(args.end(), tricky.begin(), tricky.end());
    auto exitThree = fixture.run(args);
    CHECK(exitThree.exitCode == 3);
    std::vector<std::string> expected;
    for (const auto& word : tricky) expected.push_back("[" + word + "]");
    CHECK(lines(exitThree.out) == expected);

    // A compile error is shown and fails the run.
    fixture.write("broken.c", "int main(void) { return undefined_symbol; }\n");
    auto broken = fixture.run({"broken.c"});
    CHECK(broken.exitCode == 1);
    CHECK(broken.err.find("undefined_symbol") != std::string::npos);
    CHECK(broken.err.find("mpicc broken.c failed (exit 1)") != std::string::npos);

    // An mpi4py script runs on every rank.
    fixture.write("ranks.py", kRanksPy);
    auto python = fixture.run({"-n", "4", "ranks.py"});
    REQUIRE(python.exitCode == 0);
    std::set<std::string> pyLines;
    for (const auto& line : lines(python.out)) pyLines.insert(line);
    CHECK(pyLines == std::set<std::string>{"py rank 0 of 4", "py rank 1 of 4", "py rank 2 of 4", "py rank 3 of 4"});

    // A directory with a Makefile.
    std::system(("mkdir -p " + fixture.sources() + "/proj").c_str());
    fixture.write("proj/Makefile", "proj: main.c\n\tmpicc -O2 -o proj main.c\n");
    fixture.write("proj/main.c", "#include <mpi.h>\n#include <stdio.h>\nint main(int c, char** v) { MPI_Init(&c, &v); puts(\"made\"); MPI_Finalize(); return 0; }\n");
    auto made = fixture.run({"-n", "2", "proj"});
    CHECK(made.exitCode == 0);
    CHECK(lines(made.out) == std::vector<std::string>{"made", "made"});

    // Errors: one line each.
    CHECK(fixture.run({"-n", "999", "hello_world"}).exitCode == 2);
    CHECK(fixture.run({"missing.c"}).exitCode == 2);
    auto unknown = fixture.run({"frobnicate"});
    CHECK(unknown.exitCode == 2);
    CHECK(unknown.err.find("hello_world, any_source, pingpong, allgather_matvec") != std::string::npos);

    // --timeout stops the job on every node.
    auto timed = fixture.run({"--timeout", "2", "--", "sleep", "120"}, 60);
    CHECK(timed.exitCode == 124);
    CHECK(leftovers(engine, fixture.cluster()).empty());

    // Ctrl-C: the CLI asks ppcsd to stop the job; no rank keeps running anywhere.
    pid_t child = fixture.spawn({"run", "--name", fixture.cluster(), "-n", "4", "--", "sleep", "120"});
    bool running = false;
    for (int poll = 0; poll < 100 && !running; ++poll) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        running = leftovers(engine, fixture.cluster()).size() >= 4;
    }
    CHECK(running);
    ::kill(child, SIGINT);
    int status = 0;
    for (int poll = 0; poll < 300 && ::waitpid(child, &status, WNOHANG) == 0; ++poll) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 130);
    CHECK(leftovers(engine, fixture.cluster()).empty());

    // The records, and the same after a daemon restart.
    auto listed = fixture.cli({"--json", "jobs"});
    REQUIRE(listed.exitCode == 0);
    auto jobs = json::parse(listed.out)["jobs"];
    REQUIRE(jobs.size() >= 6);
    REQUIRE(fixture.cli({"daemon", "stop"}).exitCode == 0);
    auto relisted = fixture.cli({"--json", "jobs"});
    REQUIRE(relisted.exitCode == 0);
    CHECK(json::parse(relisted.out)["jobs"] == jobs);
    std::int64_t exitThreeId = 0;
    for (const auto& job : jobs)
        if (job["program"] == "exit3.c") exitThreeId = job["id"];
    REQUIRE(exitThreeId > 0);
    auto replay = fixture.cli({"logs", std::to_string(exitThreeId)});
    CHECK(replay.exitCode == 0);
    CHECK(lines(replay.out) == expected);
    CHECK(replay.err.find("Exit code:    3") != std::string::npos);
    for (const auto& job : jobs) {
        if (job["state"] == "cancelled") CHECK(job["exit_code"] == 130);
        if (job["state"] == "timed-out") CHECK(job["exit_code"] == 124);
    }
}

TEST_CASE("bench latency over a ring saves a report and a plot, and stats covers every container", "[docker]") {
    auto engine = requireEngine();
    ensureNodeImage();
    ClusterFixture fixture("jobs");
    REQUIRE(fixture.cli({"up", "--nodes", "3", "--name", fixture.cluster()}).exitCode == 0);
    auto bench = fixture.cli({"--json", "bench", "latency", "--pairs", "ring", "--max-size", "4096", "--name", fixture.cluster()});
    INFO("bench stderr: " << bench.err);
    REQUIRE(bench.exitCode == 0);
    auto report = json::parse(bench.out);
    REQUIRE(report["pairs"].size() == 3);
    for (const auto& pair : report["pairs"]) {
        REQUIRE(pair["rows"].size() == 13);
        for (const auto& row : pair["rows"]) CHECK(row["latency_us"].get<double>() > 0);
    }
    auto saved = readFile(report["json_path"].get<std::string>());
    REQUIRE(saved);
    CHECK(json::parse(*saved)["pairs"] == report["pairs"]);
    auto plot = readFile(report["svg_path"].get<std::string>());
    REQUIRE(plot);
    CHECK(plot->size() > 1000);
    CHECK(plot->rfind("<svg ", 0) == 0);

    auto stats = fixture.cli({"--json", "stats", "--name", fixture.cluster()});
    REQUIRE(stats.exitCode == 0);
    auto members = json::parse(stats.out)["members"];
    REQUIRE(members.size() == 4);
    CHECK(members[0]["role"] == "head");
    std::set<std::string> containers;
    for (const auto& member : members) {
        CHECK(member["memory_bytes"].get<std::int64_t>() > 0);
        containers.insert(member["container_id"].get<std::string>());
    }
    auto actual = engine.listContainers({{"ppcs.cluster", fixture.cluster()}}, false);
    REQUIRE(actual);
    std::set<std::string> expected;
    for (const auto& container : *actual) expected.insert(container.id);
    CHECK(containers == expected);
}
