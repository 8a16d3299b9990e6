// The containers backend on the in-memory engine (tests/support/fake_engine.h): what `up
// --backend containers` creates and in which order, the key put into each container before it
// starts, a failed start rolled back, scale both ways, a dead member replaced, and `down`.

#include "cluster/containers_backend.h"

#include <algorithm>
#include <catch2/catch.hpp>

#include "cluster/observed.h"
#include "cluster/spec.h"
#include "support/fake_cluster.h"

using namespace ppcs;
using namespace ppcs::cluster;
using ppcs::testing::EngineCall;
using ppcs::testing::FakeClusterHost;

namespace {

Result<model::ClusterStatus> upContainers(FakeClusterHost& host, const std::string& name, int nodes) {
    ClusterSpec spec;
    spec.name = name;
    spec.nodeCount = nodes;
    spec.backend = model::Backend::containers;
    return host.manager.up(spec, std::chrono::seconds(10), [](model::Phase, const std::string&) {});
}

std::vector<std::string> named(const std::vector<EngineCall>& calls, const std::string& name) {
    std::vector<std::string> targets;
    for (const auto& call : calls)
        if (call.name == name) targets.push_back(call.target);
    return targets;
}

std::size_t containersOf(FakeClusterHost& host, const std::string& cluster) {
    return host.engine->listContainers(containersBackendLabels(cluster), true)->size();
}

}  // namespace

TEST_CASE("up --backend containers makes a bridge network, the volume and one started container per member",
          "[cluster][containers]") {
    FakeClusterHost host;
    auto status = upContainers(host, "demo", 2);
    REQUIRE(status);
    auto calls = host.engine->calls();
    CHECK(named(calls, "createService").empty());
    CHECK(named(calls, "createSecret").empty());
    CHECK(named(calls, "initSwarm").empty());
    CHECK(named(calls, "createNetwork") == std::vector<std::string>{"demo_net"});
    CHECK(named(calls, "createVolume") == std::vector<std::string>{"demo_mpishare"});
    auto created = named(calls, "createContainer");
    std::sort(created.begin(), created.end());
    CHECK(created == std::vector<std::string>{"demo-head", "demo-node-1", "demo-node-2"});
    // Each container gets the key before it starts.
    auto made = host.engine->listContainers(containersBackendLabels("demo"), true);
    REQUIRE(made);
    for (const auto& container : *made) {
        auto put = std::find_if(calls.begin(), calls.end(),
                                [&](const EngineCall& call) { return call.name == "putArchive" && call.target == container.id; });
        auto start = std::find_if(calls.begin(), calls.end(), [&](const EngineCall& call) {
            return call.name == "startContainer" && call.target == container.id;
        });
        REQUIRE(put != calls.end());
        REQUIRE(start != calls.end());
        CHECK(put < start);
        CHECK(container.labels.at(kBackendLabel) == "containers");
    }
    CHECK(status->backend == model::Backend::containers);
    CHECK(status->desiredNodes == 2);
    REQUIRE(status->members.size() == 3);
    CHECK(std::all_of(status->members.begin(), status->members.end(), [](const model::Member& m) { return m.ready; }));
    auto observed = observeCluster(*host.engine, "demo");
    REQUIRE(observed);
    CHECK(observed->backend == model::Backend::containers);
    CHECK(observed->complete());
    auto names = listClusterNames(*host.engine);
    REQUIRE(names);
    CHECK(*names == std::vector<std::string>{"demo"});
}

TEST_CASE("a containers up whose third container fails to start removes everything it made", "[cluster][containers]") {
    FakeClusterHost host;
    host.engine->failNext("startContainer", makeError(ErrorCode::failed, "engine 500: no space left on device"));
    auto status = upContainers(host, "demo", 2);
    REQUIRE_FALSE(status);
    CHECK(status.error().message.find("no space left") != std::string::npos);
    CHECK(containersOf(host, "demo") == 0);
    CHECK(host.engine->listNetworks(clusterLabels("demo"))->empty());
    CHECK(host.engine->listVolumes(clusterLabels("demo"))->empty());
}

TEST_CASE("a containers cluster scales both ways, a dead member is replaced in its slot, and down removes all",
          "[cluster][containers]") {
    FakeClusterHost host;
    REQUIRE(upContainers(host, "demo", 2));
    auto grown = host.manager.scale("demo", 4, std::chrono::seconds(10), [](model::Phase, const std::string&) {});
    REQUIRE(grown);
    CHECK(grown->members.size() == 5);
    CHECK(containersOf(host, "demo") == 5);
    auto shrunk = host.manager.scale("demo", 1, std::chrono::seconds(10), [](model::Phase, const std::string&) {});
    REQUIRE(shrunk);
    CHECK(shrunk->members.size() == 2);
    CHECK(containersOf(host, "demo") == 2);
    // Another backend on an existing cluster: refused, nothing changed.
    ClusterSpec swarm{"demo", 1};
    swarm.backend = model::Backend::swarm;
    auto refused = host.manager.up(swarm, std::chrono::seconds(10), [](model::Phase, const std::string&) {});
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == ErrorCode::usage);

    auto observed = observeCluster(*host.engine, "demo");
    REQUIRE(observed);
    std::string oldNode;
    for (const auto& container : observed->containers)
        if (container.labels.at(kRoleLabel) == "node") oldNode = container.id;
    REQUIRE(replaceContainersMember(*host.engine, *observed, model::MemberRole::node, 1));
    auto after = host.engine->listContainers(containersBackendLabels("demo"), true);
    REQUIRE(after->size() == 2);
    for (const auto& container : *after) CHECK(container.id != oldNode);
    // The new node got the key read back from the head.
    CHECK(!named(host.engine->calls(), "putArchive").empty());

    auto down = host.manager.down("demo", true, [](model::Phase, const std::string&) {});
    REQUIRE(down);
    CHECK(containersOf(host, "demo") == 0);
    CHECK(host.engine->listNetworks(clusterLabels("demo"))->empty());
    CHECK(host.engine->listVolumes(clusterLabels("demo"))->empty());
}
