// Stopping a job on the in-memory engine: mpirun ends in the head, and every member loses what
// mpiuser still ran there but its ssh connections.

#include <catch2/catch.hpp>

#include "jobs/job_runner.h"
#include "support/fake_cluster.h"

using namespace ppcs;
using ppcs::testing::FakeClusterHost;

namespace {

// A job as the members' processes show it: the launcher in the head, a rank on every member, and
// a process of every member the stop must spare.
struct RunningJob {
    std::string launcher;
    std::string rank;
    std::string spared;
};

void startJob(FakeClusterHost& host, const std::vector<model::Member>& members, const RunningJob& job) {
    host.engine->startProcess(members.front().containerId, job.launcher);
    for (const auto& member : members) {
        host.engine->startProcess(member.containerId, job.rank);
        host.engine->startProcess(member.containerId, job.spared);
    }
}

void checkStopped(FakeClusterHost& host, const std::vector<model::Member>& members, const RunningJob& job) {
    CHECK(host.engine->waitForProcessGone(members.front().containerId, job.launcher, std::chrono::milliseconds(0)));
    for (const auto& member : members) {
        INFO(member.hostname);
        CHECK(host.engine->waitForProcessGone(member.containerId, job.rank, std::chrono::milliseconds(0)));
        auto spared = host.engine->runExec(member.containerId, {{"pgrep", "-x", job.spared}, "root", {}, ""});
        REQUIRE(spared);
        CHECK(spared->exitCode == 0);
    }
}

}  // namespace

TEST_CASE("a stopped job is stopped on every member", "[jobs][stop]") {
    FakeClusterHost host;
    auto status = host.up("demo", 3);
    REQUIRE(status);
    const auto& members = status->members;
    RunningJob job{"mpirun", "rank", "sshd"};
    startJob(host, members, job);
    host.engine->clearCalls();

    REQUIRE(jobs::stopJobEverywhere(*host.engine, members));

    auto execs = host.engine->callsNamed("createExec");
    REQUIRE_FALSE(execs.empty());
    CHECK(execs.front().target == members.front().containerId);
    CHECK(execs.front().argv == std::vector<std::string>{"pkill", "-TERM", "-x", "mpirun|mpiexec|mpiexec.hydra"});
    for (const auto& member : members) {
        INFO(member.hostname);
        auto swept = std::count_if(execs.begin(), execs.end(), [&](const ppcs::testing::EngineCall& call) {
            return call.target == member.containerId && call.argv.size() == 3 && call.argv[0] == "sh" &&
                   call.argv[2].find("pgrep -u mpiuser") != std::string::npos;
        });
        CHECK(swept == 1);
    }
    checkStopped(host, members, job);
}

TEST_CASE("an MPICH job is stopped the same way: mpiexec in the head, hydra's proxies everywhere", "[jobs][stop][mpi]") {
    FakeClusterHost host;
    auto status = host.up("demo", 2);
    REQUIRE(status);
    // The head's reused ssh connections stay.
    RunningJob job{"mpiexec", "hydra_pmi_proxy", "ssh"};
    startJob(host, status->members, job);
    REQUIRE(jobs::stopJobEverywhere(*host.engine, status->members));
    checkStopped(host, status->members, job);
}

TEST_CASE("a member that died does not keep the others from being stopped", "[jobs][stop]") {
    FakeClusterHost host;
    auto status = host.up("demo", 2);
    REQUIRE(status);
    auto members = status->members;
    for (const auto& member : members) host.engine->startProcess(member.containerId, "rank");
    std::string dead = host.engine->killTask("demo_mpinode", 1);
    REQUIRE(dead == members[1].containerId);

    CHECK(jobs::stopJobEverywhere(*host.engine, members));
    CHECK(host.engine->waitForProcessGone(members[0].containerId, "rank", std::chrono::milliseconds(0)));
    CHECK(host.engine->waitForProcessGone(members[2].containerId, "rank", std::chrono::milliseconds(0)));
}
