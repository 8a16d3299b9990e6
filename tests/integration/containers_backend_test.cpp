// The containers backend on the real engine: a cluster of plain containers on a bridge network,
// with nothing of Swarm, through its whole life.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "common/strings.h"
#include "integration/cluster_fixture.h"
#include "integration/support.h"

using namespace ppcs;
using namespace ppcs::integration;
using nlohmann::json;

namespace {

docker::Labels clusterFilter(const std::string& cluster) { return {{"ppcs.cluster", cluster}}; }

std::vector<std::string> hostfileEntries(docker::EngineClient& engine, const std::string& cluster) {
    auto heads = engine.listContainers({{"ppcs.cluster", cluster}, {"ppcs.role", "head"}}, false);
    REQUIRE(heads);
    if (heads->size() != 1) return {};
    auto text = execIn(engine, heads->front().id, {"cat", "/usr/local/var/mpishare/hostfile"});
    std::vector<std::string> entries;
    for (const auto& line : split(text.out, '\n'))
        if (line.find("slots=") != std::string::npos) entries.push_back(line);
    return entries;
}

// Polls until the cluster's last event says it is healed (by this ppcsd or another), at most 60 s.
json eventsOnceHealed(const ClusterFixture& fixture) {
    json events;
    for (int poll = 0; poll < 600; ++poll) {
        auto status = fixture.cli({"--json", "status", "--name", fixture.cluster()});
        REQUIRE(status.exitCode == 0);
        events = json::parse(status.out)["events"];
        if (!events.empty()) {
            auto last = events.back().get<std::string>();
            if (last.find("replacement ready") != std::string::npos || last.find("healed by another") != std::string::npos) break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return events;
}

}  // namespace

TEST_CASE("the containers backend: up without swarm services, run, scale, a killed node replaced, down leaves nothing",
          "[docker]") {
    auto engine = requireEngine();
    ensureNodeImage();
    ClusterFixture fixture("containers");
    const auto& cluster = fixture.cluster();
    auto up = fixture.cli({"up", "--nodes", "3", "--name", cluster, "--backend", "containers"});
    INFO(up.out << up.err);
    REQUIRE(up.exitCode == 0);

    // Plain containers with the cluster's labels on a bridge network; no service, no secret.
    auto containers = engine.listContainers(clusterFilter(cluster), true);
    REQUIRE(containers);
    CHECK(containers->size() == 4);
    for (const auto& container : *containers) {
        CHECK(container.state == "running");
        CHECK(container.labels.at("ppcs.backend") == "containers");
        CHECK(container.labels.count("com.docker.swarm.task.id") == 0);
        // The key is a 0400 file of root's, installed for mpiuser by the entrypoint.
        CHECK(execIn(engine, container.id, {"stat", "-c", "%a %U", "/run/secrets/ppcs_ssh_key"}, "root").out == "400 root\n");
    }
    CHECK(engine.listServices(clusterFilter(cluster))->empty());
    CHECK(engine.listSecrets(clusterFilter(cluster))->empty());
    auto networks = engine.listNetworks(clusterFilter(cluster));
    REQUIRE(networks);
    REQUIRE(networks->size() == 1);
    CHECK(networks->front().labels.at("ppcs.backend") == "containers");

    auto status = fixture.cli({"--json", "status", "--name", cluster});
    REQUIRE(status.exitCode == 0);
    auto parsed = json::parse(status.out);
    CHECK(parsed["backend"] == "containers");
    CHECK(parsed["nodes"] == 3);
    REQUIRE(parsed["members"].size() == 4);
    for (const auto& member : parsed["members"]) CHECK(member["ready"] == true);
    auto ips = fixture.cli({"ips", "--name", cluster});
    CHECK(ips.exitCode == 0);
    CHECK(lines(ips.out).size() == 4);

    auto hello = fixture.cli({"run", "--name", cluster, "--per-node", "1", "-n", "4", "hello_world"});
    INFO(hello.out << hello.err);
    CHECK(hello.exitCode == 0);
    std::set<std::string> hosts;
    for (const auto& line : lines(hello.out)) hosts.insert(line.substr(line.rfind(' ') + 1));
    CHECK(hosts.size() == 4);

    // The backend is fixed at creation: one clear line, exit 2, nothing changed.
    auto other = fixture.cli({"up", "--nodes", "3", "--name", cluster, "--backend", "swarm"});
    CHECK(other.exitCode == 2);
    CHECK(other.err.find("--backend cannot change") != std::string::npos);
    auto bad = fixture.cli({"up", "--nodes", "3", "--name", cluster, "--backend", "kubernetes"});
    CHECK(bad.exitCode == 2);
    CHECK(lines(bad.err).size() == 1);

    // Scale up and down: node containers added and removed, every member verified.
    REQUIRE(fixture.cli({"scale", "--name", cluster, "--nodes", "5"}).exitCode == 0);
    CHECK(hostfileEntries(engine, cluster).size() == 6);
    REQUIRE(fixture.cli({"scale", "--name", cluster, "--nodes", "2"}).exitCode == 0);
    CHECK(engine.listContainers(clusterFilter(cluster), true)->size() == 3);
    CHECK(hostfileEntries(engine, cluster).size() == 3);

    // A killed node container: ppcsd drops it, starts a new one in its slot, and it is back in the
    // hostfile at its new container.
    auto nodes = engine.listContainers({{"ppcs.cluster", cluster}, {"ppcs.role", "node"}}, false);
    REQUIRE(nodes);
    REQUIRE_FALSE(nodes->empty());
    std::string killed = nodes->front().id;
    REQUIRE(engine.killContainer(killed));
    auto events = eventsOnceHealed(fixture);
    INFO("events: " << events.dump());
    REQUIRE(events.size() >= 2);
    // This ppcsd replaced it, or another on the same engine (the user's) did first.
    auto last = events.back().get<std::string>();
    CHECK((last.find("replacement ready") != std::string::npos || last.find("healed by another ppcsd") != std::string::npos));
    CHECK(events[0].get<std::string>().find("died (exit") != std::string::npos);
    auto entries = hostfileEntries(engine, cluster);
    CHECK(entries.size() == 3);
    for (const auto& entry : entries) CHECK(entry.find(killed.substr(0, 12)) == std::string::npos);
    auto after = engine.listContainers(clusterFilter(cluster), true);
    REQUIRE(after);
    CHECK(after->size() == 3);
    for (const auto& container : *after) CHECK(container.state == "running");
    CHECK(fixture.run({"--per-node", "1", "-n", "3", "hello_world"}).exitCode == 0);

    auto down = fixture.cli({"down", "--name", cluster, "--volumes"}, 180);
    INFO(down.out << down.err);
    CHECK(down.exitCode == 0);
    CHECK(engine.listContainers(clusterFilter(cluster), true)->empty());
    CHECK(engine.listNetworks(clusterFilter(cluster))->empty());
    CHECK(engine.listVolumes(clusterFilter(cluster))->empty());
}
