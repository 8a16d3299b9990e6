// A job can be stopped in every phase (copy, build, run) by everything that may stop it: Ctrl-C,
// a closed terminal, a client that vanished, ppcsd's own shutdown; and nothing a job prints can
// take ppcsd down.

#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "integration/cluster_fixture.h"
#include "integration/support.h"

using namespace ppcs;
using namespace ppcs::integration;
using nlohmann::json;

namespace {

// The record of job `id` as `jobs --json` shows it.
json jobRecord(const ClusterFixture& fixture, const std::string& id) {
    auto listed = fixture.cli({"--json", "jobs"});
    REQUIRE(listed.exitCode == 0);
    auto jobs = json::parse(listed.out)["jobs"];
    for (const auto& job : jobs)
        if (std::to_string(job["id"].get<std::int64_t>()) == id) return job;
    FAIL("job " << id << " is not in `jobs`");
    return {};
}

// The id of the newest job in `jobs --json`.
std::string newestJobId(const ClusterFixture& fixture) {
    auto listed = fixture.cli({"--json", "jobs", "--limit", "1"});
    REQUIRE(listed.exitCode == 0);
    auto jobs = json::parse(listed.out)["jobs"];
    REQUIRE(jobs.size() == 1);
    return std::to_string(jobs[0]["id"].get<std::int64_t>());
}

// A Makefile project whose build takes 15 s, then prints "launched" from every rank.
void writeSlowProject(const ClusterFixture& fixture) {
    fixture.write("slow/Makefile", "slow: main.c\n\tsleep 15\n\tmpicc -o slow main.c\n");
    fixture.write("slow/main.c",
                  "#include <mpi.h>\n#include <stdio.h>\n"
                  "int main(int c, char** v) { MPI_Init(&c, &v); puts(\"launched\"); MPI_Finalize(); return 0; }\n");
}

}  // namespace

TEST_CASE("a job printing invalid UTF-8 crash text: ppcsd lives, exit code kept, another job unaffected", "[docker]") {
    auto engine = requireEngine();
    ensureNodeImage();
    ClusterFixture fixture("utf8");
    std::string other = fixture.extraCluster("utf8-other");
    REQUIRE(fixture.cli({"up", "--nodes", "1", "--name", fixture.cluster()}).exitCode == 0);
    REQUIRE(fixture.cli({"up", "--nodes", "1", "--name", other}).exitCode == 0);
    int daemon = daemonPid(fixture.stateDir());

    // A job on the other cluster is in flight while the hostile one runs and ends.
    auto inFlight = std::async(std::launch::async, [&] {
        return fixture.cli({"run", "--name", other, "-n", "1", "--", "sh", "-c", "sleep 6; echo survived"}, 120);
    });
    std::this_thread::sleep_for(std::chrono::seconds(2));
    // Shaped like Open MPI's crash report, with a byte that is not UTF-8 (\377) where the node is.
    auto hostile = fixture.cli(
        {"run", "--name", fixture.cluster(), "-n", "1", "--", "sh", "-c",
         "printf 'process rank 0 with PID 1 on node \\377 exited on signal 9 (Killed)\\n\\377\\376 out\\n' >&2; exit 9"});
    INFO("hostile stderr: " << lastPart(hostile.err));
    CHECK(hostile.exitCode == 9);
    CHECK(hostile.err.find("exited on signal 9") != std::string::npos);

    auto survived = inFlight.get();
    INFO("in-flight stderr: " << lastPart(survived.err));
    CHECK(survived.exitCode == 0);
    CHECK(survived.out == "survived\n");
    CHECK(daemonPid(fixture.stateDir()) == daemon);
    CHECK(::kill(daemon, 0) == 0);
    auto listed = fixture.cli({"--json", "jobs"});
    REQUIRE(listed.exitCode == 0);
    json hostileRecord;
    auto jobs = json::parse(listed.out)["jobs"];
    for (const auto& job : jobs)
        if (job["cluster"] == fixture.cluster()) hostileRecord = job;
    REQUIRE(hostileRecord.is_object());
    CHECK(hostileRecord["exit_code"] == 9);
    auto logs = fixture.cli({"logs", std::to_string(hostileRecord["id"].get<std::int64_t>())});
    CHECK(logs.exitCode == 0);
    CHECK(logs.err.find("exited on signal 9") != std::string::npos);
}

TEST_CASE("Ctrl-C while a Makefile project builds: exit 130, the program is never launched, nothing left", "[docker][backends]") {
    auto engine = requireEngine();
    ensureNodeImage();
    ClusterFixture fixture("stopbuild");
    REQUIRE(fixture.cli({"up", "--nodes", "2", "--name", fixture.cluster()}).exitCode == 0);
    writeSlowProject(fixture);
    pid_t cli = fixture.spawn({"run", "--name", fixture.cluster(), "-n", "2", fixture.sources() + "/slow"});
    // The build's `sleep 15` runs as mpiuser in the head once the copy is done.
    REQUIRE(waitForLeftovers(engine, fixture.cluster(), 1, 60));
    std::this_thread::sleep_for(std::chrono::seconds(2));
    ::kill(cli, SIGINT);
    CHECK(waitFor(cli, 30) == 130);
    auto record = jobRecord(fixture, newestJobId(fixture));
    CHECK(record["state"] == "cancelled");
    CHECK(record["exit_code"] == 130);
    auto logs = fixture.cli({"logs", std::to_string(record["id"].get<std::int64_t>())});
    CHECK(logs.out.find("launched") == std::string::npos);
    CHECK(leftovers(engine, fixture.cluster()).empty());
    // Nothing of it starts later either.
    std::this_thread::sleep_for(std::chrono::seconds(3));
    CHECK(leftovers(engine, fixture.cluster()).empty());
}

TEST_CASE("cancel ID stops a job while it builds and while it runs, and says so of a finished or unknown job",
          "[docker][backends]") {
    auto engine = requireEngine();
    ensureNodeImage();
    ClusterFixture fixture("cancel");
    REQUIRE(fixture.cli({"up", "--nodes", "2", "--name", fixture.cluster()}).exitCode == 0);

    writeSlowProject(fixture);
    pid_t building = fixture.spawn({"run", "--name", fixture.cluster(), "-n", "2", fixture.sources() + "/slow"});
    REQUIRE(waitForLeftovers(engine, fixture.cluster(), 1, 60));
    std::string buildingId = newestJobId(fixture);
    auto cancelled = fixture.cli({"cancel", buildingId});
    CHECK(cancelled.exitCode == 0);
    CHECK(cancelled.out == "job " + buildingId + ": stopping it on every node\n");
    CHECK(waitFor(building, 30) == 130);
    CHECK(jobRecord(fixture, buildingId)["state"] == "cancelled");
    CHECK(fixture.cli({"logs", buildingId}).out.find("launched") == std::string::npos);

    pid_t running = fixture.spawn({"run", "--name", fixture.cluster(), "-n", "3", "--", "sleep", "120"});
    REQUIRE(waitForLeftovers(engine, fixture.cluster(), 3, 60));
    std::string runningId = newestJobId(fixture);
    CHECK(fixture.cli({"cancel", runningId}).exitCode == 0);
    CHECK(waitFor(running, 30) == 130);
    CHECK(leftovers(engine, fixture.cluster()).empty());

    auto again = fixture.cli({"cancel", runningId});
    CHECK(again.exitCode == 1);
    CHECK(again.err == "ppcs-cluster: job " + runningId + " is not running (see `ppcs-cluster jobs`)\n");
    auto unknown = fixture.cli({"cancel", "987654"});
    CHECK(unknown.exitCode == 2);
    CHECK(unknown.err == "ppcs-cluster: there is no job 987654 (see `ppcs-cluster jobs`)\n");
    CHECK(fixture.cli({"cancel", "x1"}).exitCode == 2);
}

TEST_CASE("a client that goes away stops its job: SIGHUP to the CLI, and the CLI killed outright", "[docker]") {
    auto engine = requireEngine();
    ensureNodeImage();
    ClusterFixture fixture("gone");
    REQUIRE(fixture.cli({"up", "--nodes", "2", "--name", fixture.cluster()}).exitCode == 0);

    // A closed terminal sends SIGHUP: the CLI stops the job as Ctrl-C does.
    pid_t hungUp = fixture.spawn({"run", "--name", fixture.cluster(), "-n", "3", "--", "sleep", "120"});
    REQUIRE(waitForLeftovers(engine, fixture.cluster(), 3, 60));
    ::kill(hungUp, SIGHUP);
    CHECK(waitFor(hungUp, 30) == 130);
    CHECK(leftovers(engine, fixture.cluster()).empty());

    // A CLI that dies without a word: ppcsd sees its connection close and stops the job itself.
    pid_t killed = fixture.spawn({"run", "--name", fixture.cluster(), "-n", "3", "--", "sleep", "120"});
    REQUIRE(waitForLeftovers(engine, fixture.cluster(), 3, 60));
    ::kill(killed, SIGKILL);
    waitFor(killed, 10);
    std::string id = newestJobId(fixture);
    json record;
    for (int poll = 0; poll < 150; ++poll) {
        record = jobRecord(fixture, id);
        if (record["state"] != "running") break;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    CHECK(record["state"] == "cancelled");
    CHECK(record["message"].get<std::string>().find("client went away") != std::string::npos);
    CHECK(leftovers(engine, fixture.cluster()).empty());
    // The cluster takes the next job at once.
    CHECK(fixture.cli({"run", "--name", fixture.cluster(), "-n", "1", "--", "true"}).exitCode == 0);
}

TEST_CASE("daemon stop under a running job stops it, records why, and releases the state directory", "[docker]") {
    auto engine = requireEngine();
    ensureNodeImage();
    ClusterFixture fixture("shutdown");
    REQUIRE(fixture.cli({"up", "--nodes", "2", "--name", fixture.cluster()}).exitCode == 0);
    pid_t cli = fixture.spawn({"run", "--name", fixture.cluster(), "-n", "3", "--", "sleep", "120"});
    REQUIRE(waitForLeftovers(engine, fixture.cluster(), 3, 60));
    int daemon = daemonPid(fixture.stateDir());
    auto asked = std::chrono::steady_clock::now();
    REQUIRE(fixture.cli({"daemon", "stop"}).exitCode == 0);
    // Bounded wait, not a timing assertion: a daemon that hangs in shutdown fails here.
    bool gone = false;
    for (int poll = 0; poll < 150 && !gone; ++poll) {
        gone = ::kill(daemon, 0) != 0;
        if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    double released = std::chrono::duration<double>(std::chrono::steady_clock::now() - asked).count();
    WARN("ppcsd released its state directory " << released << " s after `daemon stop` under a job");
    CHECK(gone);
    CHECK(waitFor(cli, 30) == 143);
    CHECK(leftovers(engine, fixture.cluster()).empty());
    auto record = jobRecord(fixture, newestJobId(fixture));
    CHECK(record["state"] == "stopped");
    CHECK(record["message"].get<std::string>().find("ppcsd was stopped") != std::string::npos);
}
