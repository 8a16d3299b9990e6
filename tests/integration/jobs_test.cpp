// `ppcs-cluster run | jobs | logs` end to end on a real 3-node cluster.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
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

TEST_CASE("run: examples, sources, scripts, arguments, exit codes, cancel, timeout, records", "[docker][backends]") {
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
    fixture.write("proj/main.c",
                  "#include <mpi.h>\n#include <stdio.h>\nint main(int c, char** v) { MPI_Init(&c, &v); puts(\"made\"); "
                  "MPI_Finalize(); return 0; }\n");
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
    for (int poll = 0; poll < 300 && ::waitpid(child, &status, WNOHANG) == 0; ++poll)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
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
    auto bench =
        fixture.cli({"--json", "bench", "latency", "--pairs", "ring", "--max-size", "4096", "--name", fixture.cluster()});
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

namespace {

const char* kReadsInput = R"(#include <mpi.h>
#include <stdio.h>
int main(int argc, char** argv) {
    MPI_Init(&argc, &argv);
    int rank, value = -1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    FILE* in = fopen("input.txt", "r");
    if (in) { if (fscanf(in, "%d", &value) != 1) value = -2; fclose(in); }
    char name[64];
    snprintf(name, sizeof name, "out-%d.txt", rank);
    FILE* out = fopen(name, "w");
    if (out) { fprintf(out, "%d\n", value); fclose(out); }
    printf("rank %d read %d\n", rank, value);
    MPI_Finalize();
    return 0;
}
)";

const char* kFortranHello = R"(program hello
  use mpi
  implicit none
  integer :: rank, size, ierr
  call MPI_Init(ierr)
  call MPI_Comm_rank(MPI_COMM_WORLD, rank, ierr)
  call MPI_Comm_size(MPI_COMM_WORLD, size, ierr)
  print '(A,I0,A,I0)', 'fortran rank ', rank, ' of ', size
  call MPI_Finalize(ierr)
end program hello
)";

long countLine(const std::string& text, const std::string& line) {
    auto all = lines(text);
    return std::count(all.begin(), all.end(), line);
}

}  // namespace

TEST_CASE("a user's real work: ranks start in the job's folder, Fortran, script folders, the environment verbatim on every rank",
          "[docker]") {
    auto engine = requireEngine();
    ensureNodeImage();
    ClusterFixture fixture("realwork");
    auto up = fixture.cli({"up", "--nodes", "2", "--name", fixture.cluster()});
    INFO("up: " << up.err);
    REQUIRE(up.exitCode == 0);

    // A Makefile project reading input.txt beside its sources, one rank on each member: every rank
    // finds it, and what the ranks write stays in the job's folder.
    std::system(("mkdir -p " + fixture.sources() + "/reader").c_str());
    fixture.write("reader/Makefile", "reader: main.c\n\tmpicc -O2 -o reader main.c\n");
    fixture.write("reader/main.c", kReadsInput);
    fixture.write("reader/input.txt", "42\n");
    auto read = fixture.run({"--json", "-n", "3", "--per-node", "1", "reader"});
    INFO("reader: " << read.err);
    REQUIRE(read.exitCode == 0);
    for (int rank = 0; rank < 3; ++rank) CHECK(countLine(read.out, "rank " + std::to_string(rank) + " read 42") == 1);
    auto jobId = json::parse(lines(read.out).back())["job_id"].get<long>();
    auto head = engine.listContainers({{"ppcs.cluster", fixture.cluster()}, {"ppcs.role", "head"}}, false);
    REQUIRE(head);
    REQUIRE(head->size() == 1);
    auto written =
        execIn(engine, head->front().id, {"cat", "/usr/local/var/mpishare/jobs/" + std::to_string(jobId) + "/reader/out-0.txt"});
    CHECK(written.out == "42\n");

    // A directory without a Makefile and one entry script: shipped whole, so its sibling module
    // imports, and its data file is found beside it.
    std::system(("mkdir -p " + fixture.sources() + "/bench").c_str());
    fixture.write("bench/helpers.py", "def scale():\n    return int(open('factor.txt').read())\n");
    fixture.write("bench/factor.txt", "7\n");
    fixture.write("bench/measure.txt", "not a script\n");
    fixture.write("bench/entry.py",
                  "from mpi4py import MPI\nimport helpers\nif __name__ == '__main__':\n"
                  "    print(f'rank {MPI.COMM_WORLD.Get_rank()} scaled {helpers.scale() * 6}', flush=True)\n");
    auto script = fixture.run({"-n", "3", "--per-node", "1", "bench"});
    INFO("script: " << script.err);
    REQUIRE(script.exitCode == 0);
    for (int rank = 0; rank < 3; ++rank) CHECK(countLine(script.out, "rank " + std::to_string(rank) + " scaled 42") == 1);
    // Naming the module as the entry runs it instead (it prints nothing).
    auto named = fixture.run({"-n", "1", "--exe", "helpers.py", "bench"});
    CHECK(named.exitCode == 0);
    CHECK(named.out.empty());

    // A Fortran program on every slot.
    fixture.write("hello.f90", kFortranHello);
    auto fortran = fixture.run({"hello.f90"});
    INFO("fortran: " << fortran.err);
    REQUIRE(fortran.exitCode == 0);
    auto ranks = lines(fortran.out);
    REQUIRE_FALSE(ranks.empty());
    std::string size = std::to_string(ranks.size());
    for (std::size_t rank = 0; rank < ranks.size(); ++rank)
        CHECK(countLine(fortran.out, "fortran rank " + std::to_string(rank) + " of " + size) == 1);

    // -e and --env-file: values with spaces, $, quotes and backquotes reach every rank verbatim.
    const std::string tricky = "\"$HOME\" `id` 'x'; y";
    fixture.write("job.env", "# for the job\nFROM_FILE=a b $c 'd'\n\nGREETING=overridden by -e\n");
    auto env =
        fixture.run({"-n", "3", "--per-node", "1", "--env-file", fixture.sources() + "/job.env", "-e", "GREETING=hello world",
                     "-e", "TRICKY=" + tricky, "--", "printenv", "GREETING", "TRICKY", "FROM_FILE"});
    INFO("env: " << env.err);
    REQUIRE(env.exitCode == 0);
    CHECK(countLine(env.out, "hello world") == 3);
    CHECK(countLine(env.out, tricky) == 3);
    CHECK(countLine(env.out, "a b $c 'd'") == 3);
    CHECK(env.out.find("overridden") == std::string::npos);
    auto badName = fixture.run({"-e", "1X=y", "hello_world"});
    CHECK(badName.exitCode == 2);

    // The job's folder by default; --workdir elsewhere.
    auto here = fixture.run({"--json", "-n", "1", "--", "pwd"});
    REQUIRE(here.exitCode == 0);
    auto hereId = json::parse(lines(here.out).back())["job_id"].get<long>();
    CHECK(lines(here.out).front() == "/usr/local/var/mpishare/jobs/" + std::to_string(hereId));
    auto elsewhere = fixture.run({"-n", "1", "--workdir", "/tmp", "--", "pwd"});
    CHECK(lines(elsewhere.out) == std::vector<std::string>{"/tmp"});
}
