// Two ppcsd with their own state directories on one engine: the cluster's lease in Docker keeps
// them from acting on one cluster at once, and exactly one of them heals a lost node.

#include "cluster/lease.h"

#include <catch2/catch.hpp>
#include <future>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "common/files.h"
#include "integration/support.h"

using namespace ppcs;
using namespace ppcs::integration;
using nlohmann::json;

namespace {

// The cluster, taken down through the first daemon at the end, pass or fail.
class TwoDaemons {
public:
    TwoDaemons() : cluster_(testClusterName("lease")) {}
    ~TwoDaemons() { runCli(first, {"down", "--volumes", "--name", cluster_}, 180); }
    const std::string& cluster() const { return cluster_; }

    TestDaemonDir first;
    TestDaemonDir second;

private:
    std::string cluster_;
};

std::string daemonPid(const TestDaemonDir& state) {
    auto endpoint = readFile(state.path() + "/ppcsd.json");
    REQUIRE(endpoint);
    return std::to_string(json::parse(*endpoint)["pid"].get<int>());
}

std::optional<cluster::LeaseRecord> leaseOf(docker::EngineClient& engine, const std::string& cluster) {
    auto heads = engine.listServices({{"ppcs.cluster", cluster}, {"ppcs.role", "head"}});
    REQUIRE(heads);
    REQUIRE(heads->size() == 1);
    auto label = heads->front().labels.find(cluster::kLeaseLabel);
    if (label == heads->front().labels.end()) return std::nullopt;
    return cluster::decodeLeaseRecord(label->second);
}

std::set<std::string> runningTaskIds(docker::EngineClient& engine, const std::string& cluster) {
    auto services = engine.listServices({{"ppcs.cluster", cluster}});
    REQUIRE(services);
    std::vector<std::string> ids;
    for (const auto& service : *services) ids.push_back(service.id);
    auto tasks = engine.listTasks({{"service", ids}, {"desired-state", {"running"}}});
    REQUIRE(tasks);
    std::set<std::string> running;
    for (const auto& task : *tasks) running.insert(task.id);
    return running;
}

// How many of the daemon's events for the cluster contain text.
int eventsWith(const TestDaemonDir& state, const std::string& cluster, const std::string& text) {
    auto status = runCli(state, {"--json", "status", "--name", cluster});
    REQUIRE(status.exitCode == 0);
    auto events = json::parse(status.out)["events"];  // a copy: the parsed document is a temporary
    int count = 0;
    for (const auto& event : events) count += event.get<std::string>().find(text) != std::string::npos ? 1 : 0;
    return count;
}

std::string logOf(const TestDaemonDir& state) {
    auto log = readFile(state.path() + "/ppcsd.log");
    return log ? lastPart(*log) : log.error().message;
}

}  // namespace

TEST_CASE("two ppcsd on one engine: the cluster's lease refuses the second and one of them heals", "[docker]") {
    auto engine = requireEngine();
    ensureNodeImage();
    TwoDaemons daemons;
    const std::string& name = daemons.cluster();
    {
        auto up = runCli(daemons.first, {"up", "--nodes", "2", "--name", name});
        INFO(lastPart(up.err));
        REQUIRE(up.exitCode == 0);
    }
    REQUIRE(runCli(daemons.second, {"version"}).exitCode == 0);  // the second daemon (and its event watch) runs
    std::string firstPid = daemonPid(daemons.first);
    auto tasksBefore = runningTaskIds(engine, name);
    REQUIRE(tasksBefore.size() == 3);

    auto job = std::async(std::launch::async, [&] {
        return runCli(daemons.first, {"run", "--name", name, "-n", "2", "--", "sleep", "20"}, 120);
    });
    std::optional<cluster::LeaseRecord> held;
    for (int poll = 0;
         poll < 100 && !(held && held->operation == model::ClusterOperation::run && held->liveAt(cluster::unixMillisNow()));
         ++poll) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        held = leaseOf(engine, name);
    }
    REQUIRE(held);
    CHECK(held->operation == model::ClusterOperation::run);
    CHECK(held->owner.find(":" + firstPid + ":") != std::string::npos);

    auto refused = runCli(daemons.second, {"scale", "--nodes", "3", "--name", name});
    CHECK(refused.exitCode != 0);
    CHECK(lastLine(refused.err).find("busy with another ppcsd (" + held->owner + ", run") != std::string::npos);

    // Renewed while the job runs (every 10 s).
    std::this_thread::sleep_for(std::chrono::seconds(12));
    auto renewed = leaseOf(engine, name);
    REQUIRE(renewed);
    CHECK(renewed->expiresAtMs > held->expiresAtMs);

    auto ran = job.get();
    CHECK(ran.exitCode == 0);
    auto afterRun = leaseOf(engine, name);
    REQUIRE(afterRun);
    CHECK(afterRun->operation == model::ClusterOperation::run);
    CHECK_FALSE(afterRun->liveAt(cluster::unixMillisNow()));
    // Updates of the head service's labels alone restarted no task.
    CHECK(runningTaskIds(engine, name) == tasksBefore);

    auto nodes = engine.listContainers({{"ppcs.cluster", name}, {"ppcs.role", "node"}}, false);
    REQUIRE(nodes);
    REQUIRE_FALSE(nodes->empty());
    REQUIRE(engine.killContainer(nodes->front().id));
    // Exactly one ppcsd on the engine heals: one of these two ("replacement ready"), or a third
    // one such as the user's; each that did not heal says it was healed by another.
    auto settled = [&](const TestDaemonDir& state) {
        return eventsWith(state, name, "replacement ready") + eventsWith(state, name, "healed by another ppcsd");
    };
    for (int poll = 0; poll < 120 && (settled(daemons.first) == 0 || settled(daemons.second) == 0); ++poll)
        std::this_thread::sleep_for(std::chrono::seconds(1));
    // Give the other daemon time to act, if it were going to.
    std::this_thread::sleep_for(std::chrono::seconds(5));
    INFO("first ppcsd's log:\n" << logOf(daemons.first) << "\nsecond ppcsd's log:\n" << logOf(daemons.second));
    int firstHealed = eventsWith(daemons.first, name, "replacement ready");
    int secondHealed = eventsWith(daemons.second, name, "replacement ready");
    CHECK(firstHealed + secondHealed <= 1);
    CHECK(settled(daemons.first) == 1);
    CHECK(settled(daemons.second) == 1);
    CHECK(eventsWith(daemons.first, name, "died (exit") == 1);
    CHECK(eventsWith(daemons.second, name, "died (exit") == 1);
    CHECK(eventsWith(daemons.first, name, "healing attempt") + eventsWith(daemons.second, name, "healing attempt") == 0);
    auto afterHeal = leaseOf(engine, name);
    REQUIRE(afterHeal);
    CHECK(afterHeal->operation == model::ClusterOperation::heal);
    CHECK_FALSE(afterHeal->liveAt(cluster::unixMillisNow()));

    // Free again: the second daemon may act now.
    auto scaled = runCli(daemons.second, {"scale", "--nodes", "1", "--name", name});
    CHECK(scaled.exitCode == 0);
    auto afterScale = leaseOf(engine, name);
    REQUIRE(afterScale);
    CHECK(afterScale->operation == model::ClusterOperation::scale);
    CHECK(afterScale->owner.find(":" + daemonPid(daemons.second) + ":") != std::string::npos);
    CHECK_FALSE(afterScale->liveAt(cluster::unixMillisNow()));
}
