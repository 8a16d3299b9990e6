// Healing on the in-memory engine: a node container dies, the watcher drops it from the hostfile,
// reports the loss, and once Swarm's replacement runs, verifies it and writes it into the hostfile.

#include "cluster/node_watch.h"

#include <catch2/catch.hpp>

#include "cluster/spec.h"
#include "support/fake_cluster.h"

using namespace ppcs;
using namespace ppcs::cluster;
using ppcs::testing::eventually;
using ppcs::testing::FakeClusterHost;

namespace {

bool anyEventSays(ClusterEvents& events, const std::string& cluster, const std::string& text) {
    for (const auto& event : events.recent(cluster, 50))
        if (event.find(text) != std::string::npos) return true;
    return false;
}

}  // namespace

TEST_CASE("a dead node is dropped from the hostfile, reported, and healed with its replacement", "[cluster][heal]") {
    FakeClusterHost host;
    REQUIRE(host.up("demo", 2));
    OperationLocks locks;
    ClusterEvents events;
    std::mutex lossesMutex;
    std::vector<NodeLoss> losses;
    NodeWatcher watcher(host.factory(), locks, events, [&](const NodeLoss& loss) {
        std::lock_guard<std::mutex> lock(lossesMutex);
        losses.push_back(loss);
    });
    watcher.start();
    // The watcher's first look finds every member verified: nothing to heal.
    REQUIRE(eventually([&] { return !host.engine->callsNamed("followEvents").empty(); }));
    CHECK(events.recent("demo", 10).empty());

    std::string dead = host.engine->killTask("demo_mpinode", 1);
    REQUIRE_FALSE(dead.empty());
    REQUIRE(eventually([&] { return anyEventSays(events, "demo", "replacement ready"); }));
    watcher.stop();

    CHECK(anyEventSays(events, "demo", "demo-node-1"));
    CHECK(anyEventSays(events, "demo", "died (exit 137): out of the hostfile until its replacement is ready"));
    {
        std::lock_guard<std::mutex> lock(lossesMutex);
        REQUIRE(losses.size() == 1);
        CHECK(losses[0].cluster == "demo");
        CHECK(losses[0].hostname == "demo-node-1");
        CHECK_FALSE(losses[0].address.empty());
    }
    std::string replacement = host.engine->runningContainers("demo_mpinode").at(1);
    CHECK(replacement != dead);
    auto hostfile = host.engine->file(kHostfilePath);
    REQUIRE(hostfile);
    CHECK(hostfile->find(replacement.substr(0, 12)) != std::string::npos);
    CHECK(hostfile->find(dead.substr(0, 12)) == std::string::npos);
    auto status = host.manager.status("demo");
    REQUIRE(status);
    REQUIRE(status->members.size() == 3);
    for (const auto& member : status->members) CHECK(member.ready);
}
