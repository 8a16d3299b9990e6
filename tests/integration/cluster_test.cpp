// The cluster lifecycle end to end: the real CLI, a real ppcsd, a real swarm.

#include <algorithm>
#include <catch2/catch.hpp>
#include <future>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "cluster/hostfile.h"
#include "cluster/subnet.h"
#include "common/strings.h"
#include "integration/support.h"
#include "support/run_process.h"
#include "support/test_paths.h"

using namespace ppcs;
using namespace ppcs::integration;
using nlohmann::json;
using ppcs::testing::ProcessResult;
using ppcs::testing::runProcess;

namespace {

// A cluster name for this test run, and `down --volumes` of it at the end, pass or fail.
class TestCluster {
public:
    TestCluster(const TestDaemonDir& state, const std::string& suffix) : state_(state), name_(testClusterName(suffix)) {}
    ~TestCluster() { cli({"down", "--volumes"}, 180); }
    const std::string& name() const { return name_; }

    // ppcs-cluster ARGS with --name <this cluster> right after the subcommand: after PROGRAM
    // (in `run`) it would be the program's argument, and the job would go to the default cluster.
    ProcessResult cli(std::vector<std::string> args, int timeLimit = 300) const {
        auto subcommand = std::find_if(args.begin(), args.end(), [](const std::string& word) { return word.rfind("-", 0) != 0; });
        REQUIRE(subcommand != args.end());
        args.insert(subcommand + 1, {"--name", name_});
        return runCli(state_, args, timeLimit);
    }

private:
    const TestDaemonDir& state_;
    std::string name_;
};

json cliJson(const TestCluster& cluster, std::vector<std::string> args) {
    args.insert(args.begin(), "--json");
    auto result = cluster.cli(args);
    INFO("stderr: " << lastPart(result.err, 1500));
    REQUIRE(result.exitCode == 0);
    return json::parse(result.out);
}

std::string headContainer(docker::EngineClient& engine, const std::string& cluster) {
    auto containers = engine.listContainers({{"ppcs.cluster", cluster}, {"ppcs.role", "head"}}, false);
    REQUIRE(containers);
    REQUIRE(containers->size() == 1);
    return containers->front().id;
}

// ips, the hostfile and an mpirun across the cluster agree on nodes + 1 distinct members.
void checkCluster(docker::EngineClient& engine, const TestCluster& cluster, int nodes) {
    auto status = cliJson(cluster, {"status"});
    std::string subnet = status["subnet"];
    auto ips = cliJson(cluster, {"ips"});
    std::set<std::string> addresses{ips["head"].get<std::string>()};
    for (const auto& node : ips["nodes"]) addresses.insert(node.get<std::string>());
    CHECK(static_cast<int>(addresses.size()) == nodes + 1);
    CHECK(static_cast<int>(ips["nodes"].size()) == nodes);
    for (const auto& address : addresses) CHECK(cluster::addressInSubnet(address, subnet));
    for (const auto& member : status["members"]) CHECK(member["ready"] == true);

    std::string head = headContainer(engine, cluster.name());
    auto hostfile = execIn(engine, head, {"cat", "/usr/local/var/mpishare/hostfile"});
    auto entries = cluster::parseHostfile(hostfile.out);
    REQUIRE(entries);
    REQUIRE(static_cast<int>(entries->size()) == nodes + 1);
    CHECK((*entries)[0].address == ips["head"].get<std::string>());
    int nodeLines = 0;
    for (std::size_t i = 1; i < entries->size(); ++i) {
        CHECK(addresses.count((*entries)[i].address) == 1);
        CHECK((*entries)[i].slots >= 1);
        nodeLines += startsWith((*entries)[i].name, cluster.name() + "-node-");
    }
    CHECK(nodeLines == nodes);

    std::vector<std::string> mpirun{"mpirun", "--map-by", "node", "-n", std::to_string(nodes + 1), "hostname"};
    auto ran = execIn(engine, head, mpirun);
    INFO("mpirun stderr: " << ran.err);
    REQUIRE(ran.exitCode == 0);
    std::set<std::string> hosts;
    for (const auto& line : split(std::string(trim(ran.out)), '\n')) hosts.insert(line);
    CHECK(static_cast<int>(hosts.size()) == nodes + 1);
}

// Every kind of object that can carry the cluster's label.
int objectsLabelled(docker::EngineClient& engine, const std::string& cluster) {
    docker::Labels labels{{"ppcs.cluster", cluster}};
    int count = 0;
    count += static_cast<int>(engine.listServices(labels)->size());
    count += static_cast<int>(engine.listContainers(labels, true)->size());
    count += static_cast<int>(engine.listNetworks(labels)->size());
    count += static_cast<int>(engine.listSecrets(labels)->size());
    count += static_cast<int>(engine.listVolumes(labels)->size());
    return count;
}

}  // namespace

TEST_CASE("up, ips, hostfile, mpirun, daemon restart, scale, down", "[docker][backends]") {
    auto engine = requireEngine();
    ensureNodeImage();
    TestDaemonDir state;
    TestCluster cluster(state, "life");

    auto up = cluster.cli({"up", "--nodes", "3"});
    INFO("up stderr: " << lastPart(up.err, 1500));
    REQUIRE(up.exitCode == 0);
    CHECK(up.out.find("cluster " + cluster.name() + " ready: head + 3 nodes") == 0);
    checkCluster(engine, cluster, 3);
    auto before = cliJson(cluster, {"ips"});

    // Never scale under a running job: refused, clearly, and nothing changes.
    std::string head = headContainer(engine, cluster.name());
    execIn(engine, head, {"sh", "-c", "nohup mpirun -n 1 sleep 60 >/dev/null 2>&1 &"});
    for (int poll = 0; poll < 40 && execIn(engine, head, {"pgrep", "-x", "mpirun"}).exitCode != 0; ++poll)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto refused = cluster.cli({"scale", "--nodes", "4"});
    CHECK(refused.exitCode == 1);
    CHECK(refused.err == "ppcs-cluster: scale '" + cluster.name() + "': a job is running on cluster '" + cluster.name() +
                             "': scale it when the job ends\n");
    CHECK(cliJson(cluster, {"ips"}) == before);
    execIn(engine, head, {"pkill", "-x", "mpirun"});
    for (int poll = 0; poll < 40 && execIn(engine, head, {"pgrep", "-x", "mpirun"}).exitCode == 0; ++poll)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));

    // ppcsd keeps no cluster state: a new daemon sees the same cluster.
    REQUIRE(runProcess({ppcs::testing::cliBinary(), "daemon", "stop"}, {{"PPCS_STATE_DIR", state.path()}}, 30).exitCode == 0);
    CHECK(cliJson(cluster, {"ips"}) == before);
    auto again = cluster.cli({"up", "--nodes", "3"});
    CHECK(again.exitCode == 0);
    CHECK(cliJson(cluster, {"ips"}) == before);

    auto scaled = cluster.cli({"scale", "--nodes", "5"});
    INFO("scale stderr: " << lastPart(scaled.err, 1500));
    REQUIRE(scaled.exitCode == 0);
    checkCluster(engine, cluster, 5);
    REQUIRE(runProcess({ppcs::testing::cliBinary(), "daemon", "stop"}, {{"PPCS_STATE_DIR", state.path()}}, 30).exitCode == 0);
    auto down = cluster.cli({"down", "--volumes"}, 180);
    INFO("down stderr: " << lastPart(down.err, 1500));
    REQUIRE(down.exitCode == 0);
    CHECK(objectsLabelled(engine, cluster.name()) == 0);
    auto downAgain = cluster.cli({"down"});
    CHECK(downAgain.exitCode == 0);
    CHECK(downAgain.out == "cluster " + cluster.name() + " does not exist: nothing to remove\n");
}

TEST_CASE("two clusters side by side do not see each other", "[docker]") {
    auto engine = requireEngine();
    ensureNodeImage();
    TestDaemonDir state;
    TestCluster first(state, "one");
    TestCluster second(state, "two");
    REQUIRE(first.cli({"up", "--nodes", "1"}).exitCode == 0);
    REQUIRE(second.cli({"up", "--nodes", "1"}).exitCode == 0);
    auto firstStatus = cliJson(first, {"status"});
    auto secondStatus = cliJson(second, {"status"});
    CHECK(firstStatus["subnet"] != secondStatus["subnet"]);
    CHECK(firstStatus["members"].size() == 2);
    auto secondIps = cliJson(second, {"ips"});
    std::string head = headContainer(engine, first.name());
    auto hostfile = execIn(engine, head, {"cat", "/usr/local/var/mpishare/hostfile"});
    CHECK(hostfile.out.find(secondIps["head"].get<std::string>() + " ") == std::string::npos);
    // The second cluster's node is on another network: the first head cannot reach it.
    auto reach = execIn(engine, head, {"ssh", "-o", "ConnectTimeout=3", secondIps["nodes"][0].get<std::string>(), "true"});
    CHECK(reach.exitCode != 0);
    checkCluster(engine, first, 1);
    REQUIRE(first.cli({"down", "--volumes"}, 180).exitCode == 0);
    CHECK(objectsLabelled(engine, first.name()) == 0);
    CHECK(cliJson(second, {"status"})["members"].size() == 2);
}

TEST_CASE("bad cluster input: one line, exit 2, nothing made", "[docker]") {
    auto engine = requireEngine();
    TestDaemonDir state;
    TestCluster cluster(state, "bad");
    for (std::string nodes : {"0", "-1", "abc", "100000", ""}) {
        INFO("--nodes '" << nodes << "'");
        auto result = cluster.cli({"up", "--nodes", nodes});
        CHECK(result.exitCode == 2);
        CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
    }
    auto badName = runProcess({ppcs::testing::cliBinary(), "up", "--nodes", "2", "--name", "Not_Valid!"},
                              {{"PPCS_STATE_DIR", state.path()}}, 30);
    CHECK(badName.exitCode == 2);
    CHECK(badName.err.find("is not valid") != std::string::npos);
    auto scaleMissing = cluster.cli({"scale", "--nodes", "2"});
    CHECK(scaleMissing.exitCode == 2);
    CHECK(scaleMissing.err ==
          "ppcs-cluster: cluster '" + cluster.name() + "' does not exist: create it with `ppcs-cluster up`\n");
    auto statusMissing = cluster.cli({"status"});
    CHECK(statusMissing.exitCode == 2);
    CHECK(statusMissing.err == "ppcs-cluster: cluster '" + cluster.name() + "' does not exist\n");
    auto runMissing = cluster.cli({"run", "hello_world"});
    CHECK(runMissing.exitCode == 2);
    CHECK(runMissing.err.find("cluster '" + cluster.name() + "' does not exist") != std::string::npos);
    auto logsMissing = runProcess({ppcs::testing::cliBinary(), "logs", "987654"}, {{"PPCS_STATE_DIR", state.path()}}, 30);
    CHECK(logsMissing.exitCode == 2);
    CHECK(logsMissing.err == "ppcs-cluster: there is no job 987654 (see `ppcs-cluster jobs`)\n");
    CHECK(objectsLabelled(engine, cluster.name()) == 0);
}

TEST_CASE("a failed up removes what it created, and a racing up is refused", "[docker]") {
    auto engine = requireEngine();
    ensureNodeImage();
    TestDaemonDir state;
    TestCluster cluster(state, "fail");
    // One second is too short to verify 4 containers: up must fail and roll back.
    auto failed = cluster.cli({"up", "--nodes", "3", "--timeout", "1"});
    CHECK(failed.exitCode == 1);
    std::string last = lastLine(failed.err);
    INFO("stderr: " << lastPart(failed.err, 1500));
    CHECK(last.find("ppcs-cluster: up '" + cluster.name() + "': ") == 0);
    CHECK(failed.err.find("[rollback] removing what this up created") != std::string::npos);
    CHECK(objectsLabelled(engine, cluster.name()) == 0);

    TestCluster raced(state, "race");
    auto first = std::async(std::launch::async, [&] { return raced.cli({"up", "--nodes", "2"}); });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto second = raced.cli({"up", "--nodes", "2"});
    auto firstResult = first.get();
    CHECK(firstResult.exitCode == 0);
    CHECK(second.exitCode == 1);
    CHECK(second.err.find("busy with another request") != std::string::npos);
    auto services = engine.listServices({{"ppcs.cluster", raced.name()}});
    REQUIRE(services);
    CHECK(services->size() == 2);
}
