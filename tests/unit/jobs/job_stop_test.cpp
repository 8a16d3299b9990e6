// Stopping a job on the in-memory engine: mpirun ends in the head, and every member loses what
// mpiuser still ran there but its ssh connections.

#include <catch2/catch.hpp>

#include "jobs/job_runner.h"
#include "support/fake_cluster.h"

using namespace ppcs;
using ppcs::testing::FakeClusterHost;

TEST_CASE("a stopped job is stopped on every member", "[jobs][stop]") {
    FakeClusterHost host;
    auto status = host.up("demo", 3);
    REQUIRE(status);
    const auto& members = status->members;
    host.engine->startProcess(members.front().containerId, "mpirun");
    for (const auto& member : members) {
        host.engine->startProcess(member.containerId, "rank");
        host.engine->startProcess(member.containerId, "sshd");
    }
    host.engine->clearCalls();

    REQUIRE(jobs::stopJobEverywhere(*host.engine, members));

    auto execs = host.engine->callsNamed("createExec");
    REQUIRE_FALSE(execs.empty());
    CHECK(execs.front().target == members.front().containerId);
    CHECK(execs.front().argv == std::vector<std::string>{"pkill", "-TERM", "-x", "mpirun|mpiexec|mpiexec.hydra"});
    CHECK(host.engine->waitForProcessGone(members.front().containerId, "mpirun", std::chrono::milliseconds(0)));
    for (const auto& member : members) {
        INFO(member.hostname);
        auto swept = std::count_if(execs.begin(), execs.end(), [&](const ppcs::testing::EngineCall& call) {
            return call.target == member.containerId && call.argv.size() == 3 && call.argv[0] == "sh" &&
                   call.argv[2].find("pgrep -u mpiuser") != std::string::npos;
        });
        CHECK(swept == 1);
        CHECK(host.engine->waitForProcessGone(member.containerId, "rank", std::chrono::milliseconds(0)));
        auto sshd = host.engine->runExec(member.containerId, {{"pgrep", "-x", "sshd"}, "root", {}, ""});
        REQUIRE(sshd);
        CHECK(sshd->exitCode == 0);
    }
}

TEST_CASE("an MPICH job is stopped the same way: mpiexec in the head, hydra's proxies everywhere", "[jobs][stop][mpi]") {
    FakeClusterHost host;
    auto status = host.up("demo", 2);
    REQUIRE(status);
    const auto& members = status->members;
    host.engine->startProcess(members.front().containerId, "mpiexec");
    for (const auto& member : members) {
        host.engine->startProcess(member.containerId, "hydra_pmi_proxy");
        host.engine->startProcess(member.containerId, "ssh");
    }
    REQUIRE(jobs::stopJobEverywhere(*host.engine, members));
    CHECK(host.engine->waitForProcessGone(members.front().containerId, "mpiexec", std::chrono::milliseconds(0)));
    for (const auto& member : members) {
        INFO(member.hostname);
        CHECK(host.engine->waitForProcessGone(member.containerId, "hydra_pmi_proxy", std::chrono::milliseconds(0)));
        auto ssh = host.engine->runExec(member.containerId, {{"pgrep", "-x", "ssh"}, "root", {}, ""});
        REQUIRE(ssh);
        CHECK(ssh->exitCode == 0);  // the head's reused ssh connections stay
    }
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
