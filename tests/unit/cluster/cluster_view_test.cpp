// ppcsd's views of clusters for `run` (cluster/cluster_view.h): kept only when whole, left alone by
// the events ppcs's own work makes, dropped by any other event about the cluster, by a host event,
// by an event during the read that produced them, and by a broken event stream.

#include "cluster/cluster_view.h"

#include <catch2/catch.hpp>

#include "support/fake_cluster.h"

using namespace ppcs;
using namespace ppcs::cluster;
using ppcs::testing::eventually;
using ppcs::testing::FakeClusterHost;

namespace {

model::Member member(model::MemberRole role, int slot, const std::string& container) {
    model::Member m;
    m.role = role;
    m.taskSlot = slot;
    m.hostname = model::memberHostname("demo", role, slot);
    m.state = "running";
    m.ready = true;
    m.mpiSlots = 2;
    m.containerId = container;
    m.address = "10.0.0." + std::to_string(slot + 2);
    m.dockerHostId = "host-a";
    return m;
}

ClusterStatus wholeCluster() {
    ClusterStatus status;
    status.name = "demo";
    status.desiredNodes = 2;
    status.members = {member(model::MemberRole::head, 0, "c-head"), member(model::MemberRole::node, 1, "c-one"),
                      member(model::MemberRole::node, 2, "c-two")};
    return status;
}

docker::EngineEvent containerEvent(const std::string& action, const std::string& cluster, const std::string& container) {
    return {"container", action, container, {{"ppcs.cluster", cluster}}, 1};
}

docker::EngineEvent serviceEvent(const std::string& action, const std::string& name) {
    return {"service", action, "svc-" + name, {{"name", name}}, 1};
}

}  // namespace

TEST_CASE("a cluster view is kept only when the cluster is whole and nothing happened during the read", "[cluster][view]") {
    ClusterViews views;
    SECTION("whole") {
        CHECK(views.store(wholeCluster(), views.epoch()));
        auto view = views.find("demo");
        REQUIRE(view);
        CHECK(view->members.size() == 3);
        CHECK(view->members[2].containerId == "c-two");
    }
    SECTION("a member not verified") {
        auto status = wholeCluster();
        status.members[1].ready = false;
        CHECK_FALSE(views.store(status, views.epoch()));
    }
    SECTION("fewer members than desired") {
        auto status = wholeCluster();
        status.desiredNodes = 3;
        CHECK_FALSE(views.store(status, views.epoch()));
    }
    SECTION("a member on another host (its events never come here)") {
        auto status = wholeCluster();
        status.members[2].dockerHostId = "host-b";
        CHECK_FALSE(views.store(status, views.epoch()));
    }
    SECTION("an event about the cluster came while it was read") {
        auto readStarted = views.epoch();
        views.apply(containerEvent("die", "demo", "c-one"));
        CHECK_FALSE(views.store(wholeCluster(), readStarted));
    }
}

TEST_CASE("events from ppcs's own work leave a view, any other event about the cluster drops it", "[cluster][view]") {
    ClusterViews views;
    ClusterStatus other = wholeCluster();
    other.name = "other";
    auto fill = [&] {
        REQUIRE(views.store(wholeCluster(), views.epoch()));
        REQUIRE(views.store(other, views.epoch()));
    };
    fill();
    for (const auto& kept :
         {containerEvent("exec_create: sh -c true", "demo", "c-head"),
          containerEvent("exec_start: mpirun -n 3 hello_world", "demo", "c-head"), containerEvent("exec_die", "demo", "c-head"),
          containerEvent("extract-to-dir", "demo", "c-head"), containerEvent("archive-path", "demo", "c-head"),
          containerEvent("die", "", "c-elsewhere"), docker::EngineEvent{"container", "die", "c-unlabelled", {}, 1},
          serviceEvent("update", "demo_mpihead"), serviceEvent("update", "web"), serviceEvent("remove", "unrelated_service")}) {
        INFO(kept.type << " " << kept.action);
        views.apply(kept);
        CHECK(views.find("demo"));
        CHECK(views.find("other"));
    }
    for (const auto& dropped :
         {containerEvent("die", "demo", "c-one"), containerEvent("start", "demo", "c-three"),
          containerEvent("kill", "demo", "c-one"), containerEvent("health_status: unhealthy", "demo", "c-one"),
          containerEvent("something-new", "demo", "c-one"), serviceEvent("update", "demo_mpinode"),
          serviceEvent("remove", "demo_mpihead"), serviceEvent("create", "demo_mpinode")}) {
        INFO(dropped.type << " " << dropped.action);
        views.apply(dropped);
        CHECK_FALSE(views.find("demo"));
        CHECK(views.find("other"));
        fill();
    }
    SECTION("a service event without a name could be any cluster's") {
        views.apply(docker::EngineEvent{"service", "update", "svc", {}, 1});
        CHECK_FALSE(views.find("demo"));
        CHECK_FALSE(views.find("other"));
    }
    SECTION("a swarm host changed") {
        views.apply(docker::EngineEvent{"node", "update", "host-a", {{"state.new", "down"}}, 1});
        CHECK_FALSE(views.find("demo"));
        CHECK_FALSE(views.find("other"));
    }
    SECTION("forgotten") {
        views.forget("demo");
        CHECK_FALSE(views.find("demo"));
        CHECK(views.find("other"));
        views.forgetAll();
        CHECK_FALSE(views.find("other"));
    }
}

TEST_CASE("the view watcher drops a view when a member dies, and every view when the event stream breaks",
          "[cluster][view][watch]") {
    FakeClusterHost host;
    auto status = host.up("demo", 2);
    REQUIRE(status);
    ClusterViews views;
    ClusterViewWatcher watcher(host.factory(), views);
    watcher.start();
    REQUIRE(views.store(*status, views.epoch()));
    SECTION("a member dies") {
        host.engine->killTask("demo_mpinode", 1);
        CHECK(eventually([&] { return !views.find("demo"); }));
    }
    SECTION("the stream breaks: events may have been lost") {
        // The watcher is connected in a loop: the next connection fails as a broken stream would.
        host.engine->failNext("followEvents", makeError(ErrorCode::unavailable, "connection reset by peer"));
        CHECK(eventually([&] { return !views.find("demo"); }));
    }
    watcher.stop();
}
