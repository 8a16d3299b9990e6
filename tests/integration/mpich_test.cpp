// A cluster made with `up --mpi mpich`: hydra launches the jobs, the job features hold.

#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "integration/cluster_fixture.h"
#include "integration/support.h"

using namespace ppcs;
using namespace ppcs::integration;
using nlohmann::json;

namespace {

const char* kExitFour = R"(#include <mpi.h>
#include <stdio.h>
int main(int argc, char** argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    printf("rank %d of %d\n", rank, size);
    MPI_Finalize();
    return rank == 0 ? 4 : 0;
}
)";

}  // namespace

TEST_CASE("mpich: up --mpi mpich, status, hello_world on every member, exit codes, Ctrl-C, --timeout",
          "[docker][mpich][backends]") {
    auto engine = requireEngine();
    ClusterFixture fixture("mpich");
    auto bad = fixture.cli({"up", "--nodes", "3", "--mpi", "lam", "--name", fixture.cluster()});
    CHECK(bad.exitCode == 2);
    CHECK(lines(bad.err) == std::vector<std::string>{"ppcs-cluster: --mpi must be openmpi or mpich, not 'lam'"});

    // Builds ppcs-mpich when it is missing or stale: the first time takes minutes.
    auto up = fixture.cli({"up", "--nodes", "3", "--mpi", "mpich", "--name", fixture.cluster()}, 2400);
    INFO("up: " << up.err);
    REQUIRE(up.exitCode == 0);
    auto status = fixture.cli({"status", "--name", fixture.cluster()});
    REQUIRE(status.exitCode == 0);
    CHECK(status.out.find("\nmpi mpich\n") != std::string::npos);
    auto statusJson = fixture.cli({"--json", "status", "--name", fixture.cluster()});
    REQUIRE(statusJson.exitCode == 0);
    CHECK(json::parse(statusJson.out)["mpi"] == "mpich");
    // The MPI is fixed at creation: another one is refused, none keeps it.
    CHECK(fixture.cli({"up", "--nodes", "3", "--mpi", "openmpi", "--name", fixture.cluster()}).exitCode == 2);

    // hello_world on every slot of every member, through hydra.
    auto hello = fixture.run({"hello_world"});
    INFO("hello: " << hello.err);
    REQUIRE(hello.exitCode == 0);
    std::set<std::string> hosts;
    for (const auto& line : lines(hello.out)) hosts.insert(line.substr(line.rfind(' ') + 1));
    CHECK(hosts.size() == 4);
    auto perNode = fixture.run({"-n", "4", "--per-node", "1", "hello_world"});
    REQUIRE(perNode.exitCode == 0);
    CHECK(lines(perNode.out).size() == 4);

    // A source compiled with MPICH's mpicc; rank 0's exit code is the job's; every rank printed.
    fixture.write("exit4.c", kExitFour);
    auto exitFour = fixture.run({"-n", "4", "--per-node", "1", "exit4.c"});
    CHECK(exitFour.exitCode == 4);
    std::set<std::string> ranks;
    for (const auto& line : lines(exitFour.out)) ranks.insert(line);
    CHECK(ranks == std::set<std::string>{"rank 0 of 4", "rank 1 of 4", "rank 2 of 4", "rank 3 of 4"});

    // --timeout stops the job on every member.
    auto timed = fixture.run({"--timeout", "2", "--", "sleep", "120"}, 60);
    CHECK(timed.exitCode == 124);
    CHECK(leftovers(engine, fixture.cluster()).empty());

    // Ctrl-C: mpiexec and hydra's proxies end on every member.
    pid_t child = fixture.spawn({"run", "--name", fixture.cluster(), "-n", "4", "--per-node", "1", "--", "sleep", "120"});
    REQUIRE(waitForLeftovers(engine, fixture.cluster(), 4, 20));
    ::kill(child, SIGINT);
    CHECK(waitFor(child, 30) == 130);
    CHECK(leftovers(engine, fixture.cluster()).empty());
}
