// A whole cluster on Podman's Docker-compatible API (its service started by scripts/test): the
// containers backend chosen by itself (Podman has no Swarm), the node image built there, jobs,
// scale, status, stats, and nothing left in Podman afterwards.

#include <catch2/catch.hpp>
#include <cstdlib>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>

#include "common/strings.h"
#include "integration/cluster_fixture.h"
#include "integration/support.h"

using namespace ppcs;
using namespace ppcs::integration;
using nlohmann::json;

TEST_CASE("Podman: up picks the containers backend by itself, then run, scale, status, stats and down leave nothing",
          "[docker][podman]") {
    auto podman = requirePodman();
    // The node image itself is built in Podman's store by the first up.
    ensurePodmanBaseImage(podman);
    auto info = podman.info();
    REQUIRE(info);
    REQUIRE_FALSE(info->swarmSupported);
    TestDaemonDir state(podmanHost());
    std::string cluster = testClusterName("podman");
    docker::Labels mine{{"ppcs.cluster", cluster}};
    auto cli = [&state](std::vector<std::string> args, int limit = 300) { return runCli(state, std::move(args), limit); };
    struct Down {
        std::function<void()> run;
        ~Down() { run(); }
    } down{[&] { cli({"down", "--volumes", "--name", cluster}, 180); }};

    // The first up builds the node image in Podman's own store (it shares nothing with dockerd's).
    auto up = cli({"up", "--nodes", "2", "--name", cluster}, 1800);
    INFO(lastPart(up.out) << lastPart(up.err));
    REQUIRE(up.exitCode == 0);
    auto status = cli({"--json", "status", "--name", cluster});
    REQUIRE(status.exitCode == 0);
    auto parsed = json::parse(status.out);
    CHECK(parsed["backend"] == "containers");
    REQUIRE(parsed["members"].size() == 3);
    for (const auto& member : parsed["members"]) CHECK(member["ready"] == true);
    auto containers = podman.listContainers(mine, true);
    REQUIRE(containers);
    CHECK(containers->size() == 3);

    auto hello = cli({"run", "--name", cluster, "--per-node", "1", "-n", "3", "hello_world"});
    INFO(hello.out << hello.err);
    CHECK(hello.exitCode == 0);
    std::set<std::string> hosts;
    for (const auto& line : lines(hello.out)) hosts.insert(line.substr(line.rfind(' ') + 1));
    CHECK(hosts.size() == 3);
    auto failing = cli({"run", "--name", cluster, "--", "sh", "-c", "exit 3"});
    CHECK(failing.exitCode == 3);

    REQUIRE(cli({"scale", "--name", cluster, "--nodes", "3"}).exitCode == 0);
    CHECK(podman.listContainers(mine, true)->size() == 4);
    auto stats = cli({"--json", "stats", "--name", cluster});
    INFO(stats.out << stats.err);
    REQUIRE(stats.exitCode == 0);
    auto members = json::parse(stats.out)["members"];
    CHECK(members.size() == 4);
    for (const auto& member : members) CHECK_FALSE(member.contains("error"));
    REQUIRE(cli({"scale", "--name", cluster, "--nodes", "1"}).exitCode == 0);
    CHECK(podman.listContainers(mine, true)->size() == 2);
    CHECK(cli({"run", "--name", cluster, "hello_world"}).exitCode == 0);

    auto removed = cli({"down", "--volumes", "--name", cluster}, 180);
    INFO(removed.out << removed.err);
    CHECK(removed.exitCode == 0);
    CHECK(podman.listContainers(mine, true)->empty());
    CHECK(podman.listNetworks(mine)->empty());
    CHECK(podman.listVolumes(mine)->empty());
}
