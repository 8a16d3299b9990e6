// One cluster across several Docker hosts: three simulated hosts (scripts/sim-hosts, dockerd in
// containers on this machine's engine) joined into their own swarm, a ppcsd of the test's own
// talking to the manager's engine, the real CLI for everything.

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <thread>

#include "common/strings.h"
#include "integration/simulated_hosts.h"
#include "integration/support.h"
#include "support/run_process.h"
#include "support/test_paths.h"

using namespace ppcs;
using namespace ppcs::integration;
using nlohmann::json;
using ppcs::testing::ProcessResult;
using ppcs::testing::runProcess;

namespace {

json cliJson(const TestDaemonDir& state, std::vector<std::string> args) {
    args.insert(args.begin(), "--json");
    auto result = runCli(state, args);
    INFO("ppcs-cluster " << join(args, " ") << ": " << lastPart(result.err));
    REQUIRE(result.exitCode == 0);
    return json::parse(result.out);
}

// The distinct hosts named by "hello from rank R of N on HOST" lines.
std::set<std::string> helloHosts(const std::string& out) {
    std::set<std::string> hosts;
    static const std::regex line(R"(hello from rank \d+ of \d+ on (\S+))");
    for (std::sregex_iterator it(out.begin(), out.end(), line), end; it != end; ++it) hosts.insert((*it)[1]);
    return hosts;
}

// Swarm host name of every member, from `status --json`.
std::map<std::string, std::string> memberHosts(const json& status) {
    std::map<std::string, std::string> hosts;
    for (const auto& member : status["members"]) hosts[member["hostname"]] = member["host"];
    return hosts;
}

// No container, volume or network labelled so on engine.
void checkNothingLabelled(docker::EngineClient& engine, const docker::Labels& labels) {
    auto containers = engine.listContainers(labels, true);
    auto volumes = engine.listVolumes(labels);
    auto networks = engine.listNetworks(labels);
    REQUIRE(containers);
    REQUIRE(volumes);
    REQUIRE(networks);
    INFO("on " << engine.endpoint());
    CHECK(containers->empty());
    CHECK(volumes->empty());
    CHECK(networks->empty());
}

bool containsEvent(const json& status, const std::string& text) {
    for (const auto& event : status["events"])
        if (event.get<std::string>().find(text) != std::string::npos) return true;
    return false;
}

// members members, all ready, none on host avoidHost.
bool allReady(const json& status, std::size_t members, const std::string& avoidHost) {
    std::size_t ready = 0;
    for (const auto& member : status["members"]) ready += member["ready"] == true && member["host"] != avoidHost ? 1 : 0;
    return ready == members && status["members"].size() == members;
}

// Polls `status` (every 2 s, 3 minutes at most) until done(status) holds.
bool waitForStatus(const TestDaemonDir& state, const std::string& name, const std::function<bool(const json&)>& done) {
    json status;
    for (int poll = 0; poll < 90; ++poll) {
        std::this_thread::sleep_for(std::chrono::seconds(2));
        status = cliJson(state, {"status", "--name", name});
        if (done(status)) return true;
    }
    INFO("last status: " << status.dump());
    FAIL_CHECK("the cluster did not get there within 3 minutes");
    return false;
}

// The steps of the three-host test, in the order it takes them.

void checkHostsBeforeRegistration(const TestDaemonDir& state) {
    auto hosts = cliJson(state, {"hosts"})["hosts"];
    REQUIRE(hosts.size() == 3);
    CHECK(hosts[0]["local"] == true);
    CHECK(hosts[0]["role"] == "manager");
    CHECK(hosts[0]["image"] == "present");
    CHECK(hosts[1]["image"] == "unknown");
    auto join = runCli(state, {"hosts", "join-command"});
    CHECK(join.exitCode == 0);
    CHECK(join.out.rfind("docker swarm join --token SWMTKN-", 0) == 0);
}

// Workers ppcsd cannot reach cannot get the image: named, and nothing created.
void checkRefusedWithoutEndpoints(const SimulatedHosts& sim, const TestDaemonDir& state, const std::string& name) {
    auto refused = runCli(state, {"up", "--nodes", "6", "--name", name});
    CHECK(refused.exitCode == 1);
    CHECK(refused.err.find(sim.hostName(2)) != std::string::npos);
    CHECK(refused.err.find(sim.hostName(3)) != std::string::npos);
    auto manager = sim.engine(1);
    auto services = manager.listServices({{"ppcs.cluster", name}});
    REQUIRE(services);
    CHECK(services->empty());
    checkNothingLabelled(manager, {{"ppcs.cluster", name}});
}

// Host 2 through its unix socket, host 3 over plain TCP (--insecure; remote_engines_test.cpp has TLS and ssh); an
// engine outside this swarm (the outer machine's) and bad input are refused and change nothing.
void registerWorkers(docker::EngineClient& outer, const SimulatedHosts& sim, const TestDaemonDir& state) {
    CHECK(runCli(state, {"hosts", "add", "outer", outer.endpoint()}).exitCode == 2);
    CHECK(runCli(state, {"hosts", "add", "bad name", sim.endpoint(2)}).exitCode == 2);
    for (const auto& [host, endpoint] : std::map<int, std::string>{{2, sim.endpoint(2)}, {3, sim.tcpEndpoint(3)}}) {
        std::vector<std::string> args{"hosts", "add", sim.hostName(host), endpoint};
        if (host == 3) args.push_back("--insecure");
        auto added = runCli(state, args);
        INFO(added.err);
        REQUIRE(added.exitCode == 0);
    }
    CHECK(cliJson(state, {"hosts"})["hosts"][2]["endpoint"].get<std::string>().rfind("tcp://", 0) == 0);
}

// up places nodes on every host (the head on the manager), hello_world runs on all 7 members,
// and every container's figures come from its own host's engine.
void upAcrossHosts(const SimulatedHosts& sim, const TestDaemonDir& state, const std::string& name) {
    CHECK(runCli(state, {"up", "--nodes", "7", "--per-host", "2", "--name", name}).exitCode == 2);
    auto up = runCli(state, {"up", "--nodes", "6", "--name", name}, 600);
    INFO("up: " << lastPart(up.err));
    REQUIRE(up.exitCode == 0);
    for (const auto& host : cliJson(state, {"hosts"})["hosts"]) CHECK(host["image"] == "present");
    auto placed = memberHosts(cliJson(state, {"status", "--name", name}));
    std::set<std::string> nodeHosts;
    for (const auto& [member, host] : placed)
        if (member != name + "-head") nodeHosts.insert(host);
    CHECK(nodeHosts == std::set<std::string>{sim.hostName(1), sim.hostName(2), sim.hostName(3)});
    CHECK(placed[name + "-head"] == sim.hostName(1));

    auto hello = runCli(state, {"run", "--name", name, "hello_world"});
    INFO("run: " << lastPart(hello.err));
    REQUIRE(hello.exitCode == 0);
    CHECK(helloHosts(hello.out).size() == 7);
    auto stats = cliJson(state, {"stats", "--name", name})["members"];
    REQUIRE(stats.size() == 7);
    for (const auto& member : stats) {
        INFO(member.dump());
        CHECK_FALSE(member.contains("error"));
        CHECK(member.value("memory_bytes", 0LL) > 0);
    }
}

// A program of the user's own, built on the head, runs on every host.
void runOwnProgram(const TestDaemonDir& state, const std::string& name) {
    char source[] = "/tmp/ppcs-it-hello-XXXXXX.c";
    int fd = ::mkstemps(source, 2);
    REQUIRE(fd >= 0);
    std::string program =
        "#include <mpi.h>\n#include <stdio.h>\n#include <unistd.h>\nint main(int c, char** v) { MPI_Init(&c, &v); int r, n; "
        "char h[64]; MPI_Comm_rank(MPI_COMM_WORLD, &r); MPI_Comm_size(MPI_COMM_WORLD, &n); gethostname(h, 64); "
        "printf(\"hello from rank %d of %d on %s\\n\", r, n, h); MPI_Finalize(); return 0; }\n";
    REQUIRE(::write(fd, program.data(), program.size()) == static_cast<ssize_t>(program.size()));
    ::close(fd);
    auto own = runCli(state, {"run", "--name", name, source});
    ::unlink(source);
    INFO("run own: " << lastPart(own.err));
    CHECK(own.exitCode == 0);
    CHECK(helloHosts(own.out).size() == 7);
}

// cp in reaches every host's copy of the shared folder: every rank, on every host, reads it.
void copyReachesEveryHost(const SimulatedHosts& sim, const TestDaemonDir& state, const std::string& name) {
    char folder[] = "/tmp/ppcs-it-cp-XXXXXX";
    REQUIRE(::mkdtemp(folder) != nullptr);
    std::string data = std::string(folder) + "/data";
    REQUIRE(::mkdir(data.c_str(), 0755) == 0);
    std::ofstream(data + "/value.txt") << "copied everywhere\n";
    auto copied = runCli(state, {"cp", "--name", name, data, ":"});
    std::system(("rm -rf '" + std::string(folder) + "'").c_str());
    INFO("cp: " << lastPart(copied.err));
    REQUIRE(copied.exitCode == 0);
    CHECK(copied.out.find("on 3 docker hosts") != std::string::npos);
    auto read = runCli(
        state, {"run", "--name", name, "-n", "7", "--per-node", "1", "--", "cat", "/usr/local/var/mpishare/data/value.txt"});
    INFO("run: " << lastPart(read.err));
    CHECK(read.exitCode == 0);
    CHECK(split(std::string(trim(read.out)), '\n') == std::vector<std::string>(7, "copied everywhere"));
    // A shell on a node of another host, through that host's engine, sees the copy there too.
    std::string remoteNode;
    for (const auto& [member, host] : memberHosts(cliJson(state, {"status", "--name", name})))
        if (host == sim.hostName(3) && remoteNode.empty()) remoteNode = member;
    REQUIRE_FALSE(remoteNode.empty());
    std::string slot = remoteNode.substr(remoteNode.rfind('-') + 1);
    auto shell = runCli(state, {"shell", "--name", name, "--node", slot, "--", "sh", "-c", "hostname; cat data/value.txt"});
    INFO("shell: " << lastPart(shell.err));
    CHECK(shell.exitCode == 0);
    CHECK(shell.out == remoteNode + "\ncopied everywhere\n");
}

void checkRunsEverywhere(const TestDaemonDir& state, const std::string& name, const char* when) {
    auto hello = runCli(state, {"run", "--name", name, "hello_world"});
    INFO("run " << when << ": " << lastPart(hello.err));
    CHECK(hello.exitCode == 0);
    CHECK(helloHosts(hello.out).size() == 7);
}

// A node container dying on another host sends no event to the manager: ppcsd's poll notices,
// and the cluster heals once Swarm has replaced it.
void killNodeOnWorker(const SimulatedHosts& sim, const TestDaemonDir& state, const std::string& name) {
    auto worker = sim.engine(2);
    auto onWorker = worker.listContainers({{"ppcs.cluster", name}, {"ppcs.role", "node"}}, false);
    REQUIRE(onWorker);
    REQUIRE_FALSE(onWorker->empty());
    REQUIRE(worker.killContainer(onWorker->front().id));
    REQUIRE(waitForStatus(state, name, [](const json& status) {
        return containsEvent(status, "stopped on another host") && containsEvent(status, "replacement ready") &&
               allReady(status, 7, "");
    }));
    checkRunsEverywhere(state, name, "after a node died on a worker");
}

// Losing a host: swarm marks it down, ppcsd heals the cluster onto the other two.
void loseHost(docker::EngineClient& outer, const SimulatedHosts& sim, const TestDaemonDir& state, const std::string& name) {
    const std::string lost = sim.hostName(3);
    auto stopped = runProcess({"docker", "stop", "-t", "1", lost}, {{"DOCKER_HOST", outer.endpoint()}}, 60);
    REQUIRE(stopped.exitCode == 0);
    REQUIRE(waitForStatus(state, name, [&lost](const json& status) {
        bool hostDown = false;
        for (const auto& host : status["hosts"]) hostDown = hostDown || (host["name"] == lost && host["state"] == "down");
        return hostDown && containsEvent(status, lost + " is down") && allReady(status, 7, lost);
    }));
    auto hostfile = runCli(state, {"ips", "--hostfile", "--name", name});
    CHECK(split(std::string(trim(hostfile.out)), '\n').size() == 7);
    checkRunsEverywhere(state, name, "after healing");
}

// down: nothing left on the hosts ppcsd reaches; the lost one is named as left behind.
void downEverywhere(const SimulatedHosts& sim, const TestDaemonDir& state, const std::string& name) {
    auto down = runCli(state, {"--json", "down", "--volumes", "--name", name}, 300);
    INFO("down: " << lastPart(down.err));
    REQUIRE(down.exitCode == 0);
    CHECK(json::parse(down.out)["left_behind"].dump().find(sim.hostName(3)) != std::string::npos);
    for (int host : {1, 2}) {
        auto engine = sim.engine(host);
        checkNothingLabelled(engine, {{"ppcs.cluster", name}});
    }
    auto secrets = sim.engine(1).listSecrets({{"ppcs.cluster", name}});
    REQUIRE(secrets);
    CHECK(secrets->empty());
}

// The containers of every simulation on the outer engine, whatever its name.
std::set<std::string> simulationContainers(docker::EngineClient& outer) {
    auto containers = outer.listContainers({{"ppcs.sim", ""}}, true);
    REQUIRE(containers);
    std::set<std::string> ids;
    for (const auto& container : *containers) ids.insert(container.id);
    return ids;
}

// Taking the simulation down leaves nothing of it on the outer engine, and the simulations that
// were there before it (`others`, someone else's) as they were, with the image they share. The
// image goes with the last simulation, unless the test suite keeps it for the next test
// (PPCS_SIM_KEEP_IMAGE=1, tests/CMakeLists.txt).
void simulationDown(docker::EngineClient& outer, SimulatedHosts& sim, const std::set<std::string>& others) {
    const char* keep = std::getenv("PPCS_SIM_KEEP_IMAGE");
    const bool imageKept = keep != nullptr && std::string(keep) == "1";
    auto simDown = sim.down();
    INFO(simDown.err);
    REQUIRE(simDown.exitCode == 0);
    checkNothingLabelled(outer, {{"ppcs.sim", sim.name()}});
    CHECK(simulationContainers(outer) == others);
    auto image = outer.inspectImage("ppcs-simhost:latest");
    REQUIRE(image);
    CHECK(image->has_value() == (imageKept || !others.empty()));
}

}  // namespace

TEST_CASE("a cluster spreads over three simulated docker hosts, heals when one is lost and leaves nothing behind",
          "[docker][multihost]") {
    auto outer = requireEngine();
    ensureNodeImage();
    const auto otherSimulations = simulationContainers(outer);
    SimulatedHosts sim(3);
    TestDaemonDir state(sim.endpoint(1));
    std::string name = testClusterName("multi");
    checkHostsBeforeRegistration(state);
    checkRefusedWithoutEndpoints(sim, state, name);
    registerWorkers(outer, sim, state);
    upAcrossHosts(sim, state, name);
    runOwnProgram(state, name);
    copyReachesEveryHost(sim, state, name);
    killNodeOnWorker(sim, state, name);
    loseHost(outer, sim, state, name);
    downEverywhere(sim, state, name);
    simulationDown(outer, sim, otherSimulations);
}

TEST_CASE("with --registry the image is pushed once and every host pulls it, registered or not", "[docker][multihost]") {
    requireEngine();
    ensureNodeImage();
    SimulatedHosts sim(2, true);
    REQUIRE_FALSE(sim.registry().empty());
    TestDaemonDir state(sim.endpoint(1));
    std::string name = testClusterName("registry");

    CHECK(runCli(state, {"up", "--nodes", "4", "--name", name, "--registry", "http://" + sim.registry()}).exitCode == 2);
    auto up = runCli(state, {"up", "--nodes", "4", "--name", name, "--registry", sim.registry()}, 600);
    INFO("up: " << lastPart(up.err));
    REQUIRE(up.exitCode == 0);
    auto status = cliJson(state, {"status", "--name", name});
    CHECK(status["image"].get<std::string>().rfind(sim.registry() + "/ppcs-openmpi@sha256:", 0) == 0);
    std::set<std::string> hosts;
    for (const auto& [member, host] : memberHosts(status)) hosts.insert(host);
    CHECK(hosts.size() == 2);
    auto hello = runCli(state, {"run", "--name", name, "hello_world"});
    INFO("run: " << lastPart(hello.err));
    CHECK(hello.exitCode == 0);
    CHECK(helloHosts(hello.out).size() == 5);

    // Scaling pulls too; the registry stays the cluster's image source.
    CHECK(runCli(state, {"up", "--nodes", "4", "--name", name, "--registry", "other:5000"}).exitCode == 2);
    auto scaled = runCli(state, {"scale", "--nodes", "6", "--name", name}, 600);
    INFO("scale: " << lastPart(scaled.err));
    REQUIRE(scaled.exitCode == 0);
    auto again = runCli(state, {"run", "--name", name, "hello_world"});
    CHECK(helloHosts(again.out).size() == 7);

    auto down = runCli(state, {"down", "--volumes", "--name", name}, 300);
    INFO("down: " << lastPart(down.err));
    REQUIRE(down.exitCode == 0);
    auto manager = sim.engine(1);
    checkNothingLabelled(manager, {{"ppcs.cluster", name}});
    auto simDown = sim.down();
    CHECK(simDown.exitCode == 0);
}
