// Stopping a job on the in-memory engine: its launcher ends in the head, and every member loses
// what the job still ran there (the processes carrying its PPCS_JOB_ID), but its ssh connections
// and the jobs beside it.

#include <catch2/catch.hpp>

#include "jobs/job_runner.h"
#include "support/fake_cluster.h"

using namespace ppcs;
using ppcs::testing::FakeClusterHost;

namespace {

// A job as the members' processes show it: the launcher in the head, a rank on every member, and
// a process of every member the stop must spare.
struct RunningJob {
    std::int64_t id;
    std::string launcher;
    std::string rank;
    std::string spared;
};

void startJob(FakeClusterHost& host, const std::vector<model::Member>& members, const RunningJob& job) {
    host.engine->startProcess(members.front().containerId, job.launcher, job.id);
    for (const auto& member : members) {
        host.engine->startProcess(member.containerId, job.rank, job.id);
        host.engine->startProcess(member.containerId, job.spared);
    }
}

bool runs(FakeClusterHost& host, const std::string& container, const std::string& name) {
    auto found = host.engine->runExec(container, {{"pgrep", "-x", name}, "root", {}, ""});
    REQUIRE(found);
    return found->exitCode == 0;
}

void checkStopped(FakeClusterHost& host, const std::vector<model::Member>& members, const RunningJob& job) {
    CHECK(host.engine->waitForProcessGone(members.front().containerId, job.launcher, std::chrono::milliseconds(0)));
    for (const auto& member : members) {
        INFO(member.hostname);
        CHECK(host.engine->waitForProcessGone(member.containerId, job.rank, std::chrono::milliseconds(0)));
        CHECK(runs(host, member.containerId, job.spared));
    }
}

}  // namespace

TEST_CASE("a stopped job is stopped on every member, and the job beside it runs on", "[jobs][stop]") {
    FakeClusterHost host;
    auto status = host.up("demo", 3);
    REQUIRE(status);
    const auto& members = status->members;
    RunningJob job{7, "mpirun", "rank", "sshd"};
    RunningJob beside{8, "mpiexec", "other-rank", "sshd"};
    startJob(host, members, job);
    startJob(host, members, beside);
    host.engine->clearCalls();

    REQUIRE(jobs::stopJobEverywhere(*host.engine, members, job.id));

    auto execs = host.engine->callsNamed("createExec");
    REQUIRE_FALSE(execs.empty());
    CHECK(execs.front().target == members.front().containerId);
    REQUIRE(execs.front().argv.size() == 7);
    CHECK(std::vector<std::string>(execs.front().argv.begin() + 4, execs.front().argv.end()) ==
          std::vector<std::string>{"TERM", "7", "mpirun|mpiexec|mpiexec.hydra"});
    for (const auto& member : members) {
        INFO(member.hostname);
        auto swept = std::count_if(execs.begin(), execs.end(), [&](const ppcs::testing::EngineCall& call) {
            return call.target == member.containerId && call.argv.size() == 7 && call.argv[4] == "KILL" && call.argv[5] == "7" &&
                   call.argv[6].empty();
        });
        CHECK(swept == 1);
    }
    checkStopped(host, members, job);
    CHECK(runs(host, members.front().containerId, "mpiexec"));
    for (const auto& member : members) CHECK(runs(host, member.containerId, "other-rank"));
}

TEST_CASE("an MPICH job is stopped the same way: mpiexec in the head, hydra's proxies everywhere", "[jobs][stop][mpi]") {
    FakeClusterHost host;
    auto status = host.up("demo", 2);
    REQUIRE(status);
    // The head's reused ssh connections stay.
    RunningJob job{3, "mpiexec", "hydra_pmi_proxy", "ssh"};
    startJob(host, status->members, job);
    REQUIRE(jobs::stopJobEverywhere(*host.engine, status->members, job.id));
    checkStopped(host, status->members, job);
}

TEST_CASE("what a dead daemon's jobs left is stopped whatever job it belongs to, ssh connections spared", "[jobs][stop]") {
    FakeClusterHost host;
    auto status = host.up("demo", 2);
    REQUIRE(status);
    const auto& members = status->members;
    startJob(host, members, {4, "mpirun", "rank", "sshd"});
    // Started by an older ppcsd, which gave no PPCS_JOB_ID.
    for (const auto& member : members) host.engine->startProcess(member.containerId, "old-rank");
    host.engine->startProcess(members.front().containerId, "ssh");

    REQUIRE(jobs::stopJobEverywhere(*host.engine, members, std::nullopt));
    checkStopped(host, members, {4, "mpirun", "rank", "sshd"});
    for (const auto& member : members) CHECK_FALSE(runs(host, member.containerId, "old-rank"));
    CHECK(runs(host, members.front().containerId, "ssh"));
}

TEST_CASE("a member that died does not keep the others from being stopped", "[jobs][stop]") {
    FakeClusterHost host;
    auto status = host.up("demo", 2);
    REQUIRE(status);
    auto members = status->members;
    for (const auto& member : members) host.engine->startProcess(member.containerId, "rank", 5);
    std::string dead = host.engine->killTask("demo_mpinode", 1);
    REQUIRE(dead == members[1].containerId);

    CHECK(jobs::stopJobEverywhere(*host.engine, members, 5));
    CHECK(host.engine->waitForProcessGone(members[0].containerId, "rank", std::chrono::milliseconds(0)));
    CHECK(host.engine->waitForProcessGone(members[2].containerId, "rank", std::chrono::milliseconds(0)));
}
