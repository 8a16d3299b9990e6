// Healing on the in-memory engine: a node container dies, the watcher drops it from the hostfile,
// reports the loss, and once Swarm's replacement runs, verifies it and writes it into the hostfile.

#include "cluster/node_watch.h"

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <memory>
#include <mutex>
#include <thread>

#include "cluster/lease.h"
#include "cluster/spec.h"
#include "common/strings.h"
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

// Cluster "demo" (head + 2 nodes) on the fake engine, its watcher started and past its first look.
struct WatchedCluster {
    FakeClusterHost host;
    OperationLocks locks;
    ClusterEvents events;
    std::mutex lossesMutex;
    std::vector<NodeLoss> losses;
    std::unique_ptr<NodeWatcher> watcher;  // last: stopped before the rest goes

    WatchedCluster() {
        REQUIRE(host.up("demo", 2));
        watcher = std::make_unique<NodeWatcher>(host.factory(), locks, events, [this](const NodeLoss& loss) {
            std::lock_guard<std::mutex> lock(lossesMutex);
            losses.push_back(loss);
        });
        watcher->start();
        REQUIRE(eventually([&] { return !host.engine->callsNamed("followEvents").empty(); }));
    }
    bool said(const std::string& text) { return anyEventSays(events, "demo", text); }
    std::vector<NodeLoss> lossesSoFar() {
        std::lock_guard<std::mutex> lock(lossesMutex);
        return losses;
    }
};

}  // namespace

TEST_CASE("a dead node is dropped from the hostfile, reported, and healed with its replacement", "[cluster][heal]") {
    WatchedCluster watched;
    auto& host = watched.host;
    // The watcher's first look finds every member verified: nothing to heal.
    CHECK(watched.events.recent("demo", 10).empty());

    std::string dead = host.engine->killTask("demo_mpinode", 1);
    REQUIRE_FALSE(dead.empty());
    REQUIRE(eventually([&] { return watched.said("replacement ready"); }));
    watched.watcher->stop();

    CHECK(watched.said("demo-node-1"));
    CHECK(watched.said("died (exit 137): out of the hostfile until its replacement is ready"));
    auto losses = watched.lossesSoFar();
    REQUIRE(losses.size() == 1);
    CHECK(losses[0].cluster == "demo");
    CHECK(losses[0].hostname == "demo-node-1");
    CHECK_FALSE(losses[0].address.empty());
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

TEST_CASE("another ppcsd's heal lease is not taken for a heal while a member is still missing", "[cluster][heal][lease]") {
    WatchedCluster watched;
    auto& host = watched.host;
    // Another ppcsd took the heal lease after the loss only to drop the dead member from the
    // hostfile (released at once); Swarm's replacement does not run yet.
    host.engine->holdTask("demo_mpinode", 1, "starting", "");
    auto services = host.engine->listServices({{std::string(kClusterLabel), "demo"}, {std::string(kRoleLabel), "head"}});
    REQUIRE(services);
    REQUIRE(services->size() == 1);
    auto released = encodeLeaseRecord(LeaseRecord{"other:99:bb", model::ClusterOperation::heal, unixMillisNow() + 2000});
    REQUIRE(
        host.engine->updateServiceLabels(services->front().id, [&](const docker::ServiceInfo& service) -> Result<docker::Labels> {
            auto labels = service.labels;
            labels[std::string(kLeaseLabel)] = released;
            return labels;
        }));
    std::string dead = host.engine->killTask("demo_mpinode", 1);
    REQUIRE_FALSE(dead.empty());
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    CHECK_FALSE(watched.said("healed by another ppcsd"));
    // Once the replacement runs, this ppcsd heals the cluster itself.
    host.engine->releaseTask("demo_mpinode", 1);
    CHECK(eventually([&] { return watched.said("replacement ready"); }, std::chrono::seconds(20)));
}

TEST_CASE("a lost engine whose swarm cannot list its services at first is still healed as lost", "[cluster][heal]") {
    WatchedCluster watched;
    auto& engine = *watched.host.engine;
    // A restarting engine: its event stream breaks, and the first look at the clusters fails (the
    // engine still down, or its swarm without a leader yet).
    engine.failNext("listServices", makeError(ErrorCode::unavailable, "engine 503: The swarm does not have a leader"),
                    "ppcs.role=head");
    engine.failNext("followEvents", makeError(ErrorCode::unavailable, "connection reset"));
    CHECK(eventually([&] { return watched.said("the docker engine was unreachable: verifying every member again"); },
                     std::chrono::seconds(20)));
    // Nothing changed here: the heal finds every member verified and ends.
    CHECK(eventually([&] { return watched.said("every member verified"); }, std::chrono::seconds(20)));
}

TEST_CASE("a lost engine that lists a cluster without its network at first still heals that cluster", "[cluster][heal]") {
    WatchedCluster watched;
    auto& engine = *watched.host.engine;
    // A restarted engine answers as soon as it listens: its services are listed, the cluster's
    // overlay network not yet. The cluster must not be taken for gone or fine.
    engine.listNoNetworkNext();
    engine.failNext("followEvents", makeError(ErrorCode::unavailable, "connection reset"));
    CHECK(eventually([&] { return watched.said("the docker engine was unreachable: verifying every member again"); },
                     std::chrono::seconds(20)));
    CHECK(eventually([&] { return watched.said("every member verified"); }, std::chrono::seconds(20)));
}

TEST_CASE("a dead member's line is taken out of the hostfile another writer has just rewritten, never out of its old copy",
          "[cluster][heal]") {
    // Another ppcsd scales the cluster down (its hostfile lists no node 2 or 3) between this
    // ppcsd's read of the hostfile and its write: the death of node 3, seen here late, must not
    // put node 2 back.
    FakeClusterHost host;
    auto status = host.up("demo", 3);
    REQUIRE(status);
    REQUIRE(status->members.size() == 4);
    const std::string head = status->members.front().containerId;
    const std::string dead = status->members.back().containerId;
    std::string scaled;
    for (const auto& line : split(readHostfile(*host.engine, head).value(), '\n'))
        if (!line.empty() && line.find("demo-node-2") == std::string::npos && line.find("demo-node-3") == std::string::npos)
            scaled += line + "\n";
    std::atomic<bool> interleaved{false};
    host.engine->onExec([&](const ppcs::testing::ExecCall& call) -> std::optional<docker::ExecOutcome> {
        const auto& cmd = call.spec.cmd;
        if (cmd.size() > 5 && cmd[3] == "ppcs-install" && std::find(cmd.begin() + 5, cmd.end(), "hostfile") != cmd.end() &&
            !interleaved.exchange(true))
            CHECK(writeSharedFiles(*host.engine, head, {{TarEntry::Kind::file, "hostfile", scaled, 0644}}));
        return std::nullopt;
    });
    auto drop = dropFromHostfile(*host.engine, "demo", head, "demo-node-3", dead);
    REQUIRE(interleaved);
    REQUIRE(drop);
    CHECK(drop->kind == HostfileDrop::Kind::notListed);
    CHECK(readHostfile(*host.engine, head).value() == scaled);
}
