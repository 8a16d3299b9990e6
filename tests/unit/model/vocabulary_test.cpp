// The vocabulary's one spelling of roles, member hostnames and job states, where the engine and the wire see them too.

#include <catch2/catch.hpp>
#include <set>
#include <string_view>

#include "cluster/spec.h"
#include "model/cluster_operation.h"
#include "model/cluster_status.h"
#include "model/job.h"
#include "model/progress.h"

using namespace ppcs;
using model::MemberRole;

TEST_CASE("a member's role has one spelling, read back exactly", "[model]") {
    for (auto role : {MemberRole::head, MemberRole::node}) {
        auto read = model::roleFromName(model::roleName(role));
        REQUIRE(read);
        CHECK(*read == role);
    }
    CHECK(std::string(model::roleName(MemberRole::head)) == "head");
    CHECK(std::string(model::roleName(MemberRole::node)) == "node");
    for (const char* other : {"", "Head", "nodes", "manager", "head "}) CHECK_FALSE(model::roleFromName(other));
}

TEST_CASE("memberHostname is what the services' hostname templates make of a task", "[model]") {
    auto names = cluster::objectNames("demo");
    CHECK(model::memberHostname("demo", MemberRole::head, 0) == names.headHostname);
    std::string templated = names.nodeHostname;
    templated.replace(templated.find("{{.Task.Slot}}"), std::string("{{.Task.Slot}}").size(), "7");
    CHECK(model::memberHostname("demo", MemberRole::node, 7) == templated);
    CHECK(model::memberHostname("demo", MemberRole::node, 7) == "demo-node-7");
}

TEST_CASE("role labels and service specs carry the role's one spelling", "[model]") {
    CHECK(cluster::roleLabels("demo", MemberRole::head).at(cluster::kRoleLabel) == "head");
    CHECK(cluster::roleLabels("demo", MemberRole::node).at(cluster::kRoleLabel) == "node");
}

TEST_CASE("a job's state has one spelling, read back exactly", "[model]") {
    using model::JobState;
    const std::pair<JobState, const char*> spellings[] = {
        {JobState::queued, "queued"},   {JobState::running, "running"},        {JobState::finished, "finished"},
        {JobState::failed, "failed"},   {JobState::cancelled, "cancelled"},    {JobState::timedOut, "timed-out"},
        {JobState::stopped, "stopped"}, {JobState::interrupted, "interrupted"}};
    for (const auto& [state, name] : spellings) {
        CHECK(std::string(model::jobStateName(state)) == name);
        auto read = model::jobStateFromName(name);
        REQUIRE(read);
        CHECK(*read == state);
    }
    for (const char* other : {"", "timedOut", "Finished", "done", "running "}) CHECK_FALSE(model::jobStateFromName(other));
}

TEST_CASE("the array option takes FIRST-LAST with an optional %MOST, or one index, and nothing else", "[model]") {
    auto full = model::parseJobArray("1-16%4");
    REQUIRE(full);
    CHECK((full->first == 1 && full->last == 16 && full->most == 4));
    auto single = model::parseJobArray("7");
    REQUIRE(single);
    CHECK((single->first == 7 && single->last == 7 && single->most == 0));
    auto zero = model::parseJobArray("0-3");
    REQUIRE(zero);
    CHECK(zero->first == 0);
    for (const char* bad : {"", "-", "3-1", "1-", "-4", "1-4%0", "1-4%", "a-b", "1-4%x", "1--4", "0-10000", "1.5", "1-4%2%3"}) {
        auto refused = model::parseJobArray(bad);
        INFO(bad);
        REQUIRE_FALSE(refused);
        CHECK(refused.error().code == ErrorCode::usage);
    }
    model::JobRequest request;
    request.program = "hello_world";
    request.array = "5-2";
    CHECK_FALSE(model::validateJobRequest(request));
}

TEST_CASE("a progress phase has one spelling, read back exactly, an unknown one read as other", "[model]") {
    using model::Phase;
    std::set<std::string_view> seen;
    for (int i = 0; i <= static_cast<int>(Phase::other); ++i) {
        auto phase = static_cast<Phase>(i);
        auto name = model::phaseName(phase);
        CHECK(model::phaseFromName(name) == phase);
        CHECK(seen.insert(name).second);  // no two phases share a spelling
    }
    CHECK(model::phaseName(Phase::jobId) == "job-id");
    CHECK(model::phaseName(Phase::standardOutput) == "stdout");
    CHECK(model::phaseName(Phase::standardError) == "stderr");
    for (const char* unknown : {"", "Stdout", "compile", "ready "}) CHECK(model::phaseFromName(unknown) == Phase::other);
}

TEST_CASE("a cluster operation has one spelling in leases and refusals, an unknown one read as other", "[model]") {
    using model::ClusterOperation;
    std::set<std::string_view> seen;
    for (int i = 0; i <= static_cast<int>(ClusterOperation::other); ++i) {
        auto operation = static_cast<ClusterOperation>(i);
        CHECK(model::clusterOperationFromName(model::clusterOperationName(operation)) == operation);
        CHECK(seen.insert(model::clusterOperationName(operation)).second);
    }
    CHECK(model::clusterOperationName(ClusterOperation::heal) == "heal");
    for (const char* unknown : {"", "Scale", "migrate"})
        CHECK(model::clusterOperationFromName(unknown) == ClusterOperation::other);
}

TEST_CASE("backends have one spelling each, and --backend refuses any other", "[model]") {
    for (auto backend : {model::Backend::swarm, model::Backend::containers})
        CHECK(model::backendFromName(model::backendName(backend)) == backend);
    CHECK(std::string_view(model::backendName(model::Backend::containers)) == "containers");
    CHECK_FALSE(model::backendFromName("Swarm"));
    auto refused = model::parseBackendOption("kubernetes");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == ErrorCode::usage);
    CHECK(refused.error().message.find("swarm or containers") != std::string::npos);
}
