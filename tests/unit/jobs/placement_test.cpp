// Where a job runs while a member of its cluster is replaced.

#include "jobs/placement.h"

#include <catch2/catch.hpp>

#include "jobs/job_runner.h"

using namespace ppcs;
using namespace ppcs::jobs;

namespace {

cluster::Member member(int slot, bool ready, const std::string& state = "running") {
    cluster::Member m;
    m.role = slot == 0 ? model::MemberRole::head : model::MemberRole::node;
    m.taskSlot = slot;
    m.hostname = slot == 0 ? "demo-head" : "demo-node-" + std::to_string(slot);
    m.address = "10.128.0." + std::to_string(slot + 2);
    m.state = state;
    m.mpiSlots = 2;
    m.ready = ready;
    return m;
}

// head + 3 nodes, node-2 being replaced (its new task starting).
std::vector<cluster::Member> healing() {
    return {member(0, true), member(1, true), member(2, false, "starting"), member(3, true)};
}

std::vector<std::string> hostnames(const std::vector<cluster::Member>& members) {
    std::vector<std::string> names;
    for (const auto& m : members) names.push_back(m.hostname);
    return names;
}

}  // namespace

TEST_CASE("a whole cluster: the job starts on every member, whatever its -n", "[jobs][placement]") {
    std::vector<cluster::Member> whole{member(0, true), member(1, true), member(2, true)};
    JobRequest request;
    request.np = 100;  // the launch refuses it, as it always did
    auto placed = placeJob(request, whole, 2);
    CHECK(placed.kind == Placement::Kind::start);
    CHECK(placed.members.size() == 3);
    CHECK(placed.note.empty());
}

TEST_CASE("a member being replaced: a job that fits the ready ones starts on them at once", "[jobs][placement]") {
    JobRequest request;  // no -n: the ready slots
    auto placed = placeJob(request, healing(), 3);
    REQUIRE(placed.kind == Placement::Kind::start);
    CHECK(hostnames(placed.members) == std::vector<std::string>{"demo-head", "demo-node-1", "demo-node-3"});
    CHECK(placed.note == "running on the 3 ready members of 4 (demo-node-2 (starting))");
    request.np = 6;
    CHECK(placeJob(request, healing(), 3).kind == Placement::Kind::start);
}

TEST_CASE("a job's next attempt after a lost node waits for the cluster to heal, even when it fits", "[jobs][placement]") {
    JobRequest request;
    request.np = 1;
    auto placed = placeJob(request, healing(), 3, true);
    CHECK(placed.kind == Placement::Kind::wait);
    CHECK(placed.note == "its next attempt waits for the cluster to heal: waiting for demo-node-2 (starting)");
    std::vector<cluster::Member> whole{member(0, true), member(1, true), member(2, true)};
    CHECK(placeJob(request, whole, 2, true).kind == Placement::Kind::start);
}

TEST_CASE("a job that needs the missing slots waits, saying for what", "[jobs][placement]") {
    JobRequest request;
    request.np = 7;
    auto placed = placeJob(request, healing(), 3);
    CHECK(placed.kind == Placement::Kind::wait);
    CHECK(placed.members.empty());
    CHECK(placed.note == "-n 7 needs more than the 6 ready slots: waiting for demo-node-2 (starting)");
    request.oversubscribe = true;
    CHECK(placeJob(request, healing(), 3).kind == Placement::Kind::start);
    // --per-node 2 on 3 ready members holds 6 ranks, not 7.
    request.perNode = 2;
    CHECK(placeJob(request, healing(), 3).kind == Placement::Kind::wait);
}

TEST_CASE("a lost head, or tasks not yet scheduled, are waited for", "[jobs][placement]") {
    JobRequest request;
    request.np = 1;
    auto headless = placeJob(request, {member(0, false, "starting"), member(1, true)}, 1);
    CHECK(headless.kind == Placement::Kind::wait);
    CHECK(headless.note == "the head is being replaced: waiting for demo-head (starting)");
    // node-2 has no task at all yet: two of three nodes listed.
    request.np = 8;
    auto unscheduled = placeJob(request, {member(0, true), member(1, true), member(3, true)}, 3);
    CHECK(unscheduled.kind == Placement::Kind::wait);
    CHECK(unscheduled.note == "-n 8 needs more than the 6 ready slots: waiting for 1 node(s) not scheduled yet");
    // A running member not yet verified is named as such.
    request.np = 1;
    auto verifying = placeJob(request, {member(0, true), member(1, false)}, 1);
    CHECK(verifying.kind == Placement::Kind::start);
    CHECK(verifying.note == "running on the 1 ready members of 2 (demo-node-1 (being verified))");
}

TEST_CASE("a lost node stops only the jobs that run on it", "[jobs][placement]") {
    RunningJobs running;
    JobControl control, beside;
    running.started(1, "demo", &control, {"demo-head", "demo-node-1", "demo-node-3"});
    running.started(2, "demo", &beside, {"demo-head", "demo-node-2"});
    CHECK_FALSE(running.stopUsing("demo", "demo-node-4", StopCause::nodeLost, "node demo-node-4"));
    CHECK_FALSE(control.stopRequested());
    CHECK_FALSE(running.stopUsing("other", "other-node-1", StopCause::nodeLost, "x"));
    CHECK(running.stopUsing("demo", "demo-node-3", StopCause::nodeLost, "node demo-node-3"));
    CHECK(control.cause() == StopCause::nodeLost);
    CHECK(control.detail() == "node demo-node-3");
    CHECK_FALSE(beside.stopRequested());
    running.ended(1);

    JobControl second;
    running.started(3, "demo", &second, {"demo-head", "demo-node-1"});
    // The head launches every job: losing it stops them all.
    CHECK(running.stopUsing("demo", "demo-head", StopCause::nodeLost, "node demo-head"));
    CHECK(beside.stopRequested());
    CHECK(second.stopRequested());
    running.ended(2);
    running.ended(3);

    JobControl third;
    running.started(4, "demo", &third, {"demo-head", "demo-node-1"});
    // A docker host that went down: which members it took is not known, so the job is stopped.
    CHECK(running.stopUsing("demo", std::nullopt, StopCause::nodeLost, "docker host h2"));
    CHECK(third.stopRequested());
    running.ended(4);
    CHECK(running.waitUntilIdle(std::chrono::milliseconds(0)));
}

TEST_CASE("beside no other job, a job with -n takes the fewest members in order, head first", "[jobs][placement]") {
    std::vector<cluster::Member> whole{member(0, true), member(1, true), member(2, true), member(3, true)};
    JobRequest request;
    request.np = 2;
    auto two = claimMembers(request, whole, {});
    REQUIRE(two);
    CHECK(hostnames(*two) == std::vector<std::string>{"demo-head"});
    CHECK(rankHolders(*two) == std::set<std::string>{"demo-head"});
    request.np = 5;
    auto five = claimMembers(request, whole, {});
    REQUIRE(five);
    CHECK(hostnames(*five) == std::vector<std::string>{"demo-head", "demo-node-1", "demo-node-2"});
    // --per-node 1: one rank per member, so 3 ranks take 3 members.
    request.np = 3;
    request.perNode = 1;
    auto spread = claimMembers(request, whole, {});
    REQUIRE(spread);
    CHECK(hostnames(*spread) == std::vector<std::string>{"demo-head", "demo-node-1", "demo-node-2"});
    // Without -n, or past the slots with --oversubscribe: every member.
    JobRequest all;
    CHECK(claimMembers(all, whole, {}).value_or(std::vector<cluster::Member>{}).size() == 4);
    all.np = 20;
    all.oversubscribe = true;
    CHECK(claimMembers(all, whole, {}).value_or(std::vector<cluster::Member>{}).size() == 4);
}

TEST_CASE("beside running jobs, a job takes free members only, and waits when they are too few", "[jobs][placement]") {
    std::vector<cluster::Member> whole{member(0, true), member(1, true), member(2, true), member(3, true)};
    JobRequest request;
    request.np = 2;
    // The head holds another job's ranks: it still launches this one, with none of its ranks.
    auto beside = claimMembers(request, whole, {"demo-head"});
    REQUIRE(beside);
    CHECK(hostnames(*beside) == std::vector<std::string>{"demo-head", "demo-node-1"});
    CHECK(beside->front().mpiSlots == 0);
    CHECK(rankHolders(*beside) == std::set<std::string>{"demo-node-1"});
    request.np = 4;
    auto skipping = claimMembers(request, whole, {"demo-head", "demo-node-2"});
    REQUIRE(skipping);
    CHECK(rankHolders(*skipping) == std::set<std::string>{"demo-node-1", "demo-node-3"});
    // Too few free slots: it waits; so does a job that wants the whole cluster, or oversubscribes.
    request.np = 7;
    CHECK_FALSE(claimMembers(request, whole, {"demo-head"}));
    JobRequest all;
    CHECK_FALSE(claimMembers(all, whole, {"demo-node-3"}));
    all.np = 7;
    all.oversubscribe = true;
    CHECK_FALSE(claimMembers(all, whole, {"demo-node-3"}));
    // More than the cluster has even alone: every member, and the launch says why it cannot run.
    request.np = 9;
    CHECK(claimMembers(request, whole, {}).value_or(std::vector<cluster::Member>{}).size() == 4);
}
