// dockerd restarted under an idle cluster: Swarm replaces every member (new containers, new host
// keys, perhaps new addresses). ppcsd must notice without any command, never report a member
// ready that was not verified since its container started, and make the cluster ready again.

#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "integration/cluster_fixture.h"
#include "integration/support.h"
#include "support/run_process.h"
#include "support/test_paths.h"

using namespace ppcs;
using namespace ppcs::integration;
using nlohmann::json;

namespace {

json statusOf(const ClusterFixture& fixture) {
    auto status = fixture.cli({"--json", "status", "--name", fixture.cluster()}, 60);
    if (status.exitCode != 0) return json();
    return json::parse(status.out);
}

std::set<std::string> containersOf(const json& status) {
    std::set<std::string> ids;
    for (const auto& member : status["members"]) ids.insert(member["container_id"].get<std::string>());
    return ids;
}

bool allReady(const json& status, std::size_t members) {
    if (!status.is_object() || status["members"].size() != members) return false;
    for (const auto& member : status["members"])
        if (!member["ready"].get<bool>()) return false;
    return true;
}

}  // namespace

TEST_CASE("dockerd restarted under an idle cluster: ready again without any command, never ready unverified", "[docker]") {
    auto engine = requireEngine();
    ensureNodeImage();
    ClusterFixture fixture("restart");
    REQUIRE(fixture.cli({"up", "--nodes", "2", "--name", fixture.cluster()}).exitCode == 0);
    auto before = statusOf(fixture);
    REQUIRE(allReady(before, 3));
    auto oldContainers = containersOf(before);

    auto restarted = ppcs::testing::runProcess({std::string(PPCS_SOURCE_DIR) + "/scripts/dockerd-restart"}, {}, 180);
    INFO("dockerd-restart: " << lastPart(restarted.err));
    REQUIRE(restarted.exitCode == 0);
    auto back = std::chrono::steady_clock::now();

    // Bounded: healing waits for Swarm to replace the tasks, then verifies them.
    json now;
    bool readyAgain = false;
    for (int poll = 0; poll < 240 && !readyAgain; ++poll) {
        now = statusOf(fixture);
        if (now.is_object())
            for (const auto& member : now["members"]) {
                INFO("member " << member["hostname"] << " in container " << member["container_id"]);
                // A container that was running before the restart is gone; a ready member is a verified new one.
                if (member["ready"].get<bool>()) CHECK(oldContainers.count(member["container_id"].get<std::string>()) == 0);
            }
        readyAgain = allReady(now, 3);
        if (!readyAgain) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - back).count();
    WARN("cluster ready again " << seconds << " s after dockerd answered again");
    REQUIRE(readyAgain);
    for (const auto& id : containersOf(now)) CHECK(oldContainers.count(id) == 0);
    bool noticed = false;
    for (const auto& event : now["events"]) noticed = noticed || event.get<std::string>().find("docker engine was unreachable") != std::string::npos;
    CHECK(noticed);

    auto hello = fixture.run({"hello_world"}, 120);
    INFO("run: " << lastPart(hello.err));
    CHECK(hello.exitCode == 0);
    std::set<std::string> hosts;
    for (const auto& line : lines(hello.out)) hosts.insert(line.substr(line.rfind(' ') + 1));
    CHECK(hosts.size() == 3);
}
