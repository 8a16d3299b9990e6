// What `up` and `scale` carry out, on the in-memory engine (tests/support/fake_engine.h): the
// objects a new cluster gets and in which order, a volume kept by `down` reused, an existing
// cluster verified or scaled, refusals that touch nothing, the rollback of a failed `up`, a
// readiness timeout that names the members that never came, and scale refused under a job.

#include <algorithm>
#include <catch2/catch.hpp>
#include <future>
#include <map>
#include <mutex>
#include <optional>

#include "cluster/spec.h"
#include "support/fake_cluster.h"

using namespace ppcs;
using namespace ppcs::cluster;
using ppcs::testing::EngineCall;
using ppcs::testing::FakeClusterHost;

namespace {

bool startsWith(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

// The calls that create or remove something, or scale, as "name target".
std::vector<std::string> changes(const std::vector<EngineCall>& calls) {
    std::vector<std::string> made;
    for (const auto& call : calls)
        if (startsWith(call.name, "create") && call.name != "createExec")
            made.push_back(call.name + " " + call.target);
        else if (startsWith(call.name, "remove") || call.name == "scaleService")
            made.push_back(call.name + " " + call.target);
    return made;
}

std::size_t count(const std::vector<EngineCall>& calls, const std::string& name) {
    return static_cast<std::size_t>(
        std::count_if(calls.begin(), calls.end(), [&name](const EngineCall& call) { return call.name == name; }));
}

// The secret's name ends in a random suffix: compare only its prefix. The network, the secret and
// the volume come first, in no fixed order (the secret is made while the network is): sorted.
std::vector<std::string> withoutSecretSuffix(std::vector<std::string> made) {
    for (auto& entry : made)
        if (startsWith(entry, "createSecret ") || startsWith(entry, "removeSecret "))
            entry = entry.substr(0, entry.rfind('_') + 1);
    std::sort(made.begin(), made.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(3, made.size())));
    return made;
}

}  // namespace

TEST_CASE("up of a new cluster creates its objects in order and returns the members it verified", "[cluster][manager]") {
    FakeClusterHost host;
    auto status = host.up("demo", 2);
    REQUIRE(status);
    auto calls = host.engine->calls();
    CHECK(withoutSecretSuffix(changes(calls)) ==
          std::vector<std::string>{"createNetwork demo_net", "createSecret demo_ssh_", "createVolume demo_mpishare",
                                   "createService demo_mpihead", "createService demo_mpinode"});
    // One observation of the cluster (observeCluster is the only reader of secrets and volumes).
    CHECK(count(calls, "listSecrets") == 1);
    CHECK(count(calls, "listVolumes") == 1);
    REQUIRE(status->members.size() == 3);
    CHECK(status->members[0].role == model::MemberRole::head);
    CHECK(status->desiredNodes == 2);
    CHECK(status->image == "sha256:" + std::string(64, 'e'));
    CHECK(status->createdAt == "2024-01-01T00:00:00Z");
    CHECK(std::all_of(status->members.begin(), status->members.end(), [](const Member& m) { return m.ready; }));
    CHECK(status->members[1].dockerHost == "fakehost");
    auto hostfile = host.engine->file(kHostfilePath);
    REQUIRE(hostfile);
    for (const auto& member : status->members) CHECK(hostfile->find(member.containerId.substr(0, 12)) != std::string::npos);
    // What status reads back agrees with what up returned.
    auto read = host.manager.status("demo");
    REQUIRE(read);
    REQUIRE(read->members.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) {
        CHECK(read->members[i].containerId == status->members[i].containerId);
        CHECK(read->members[i].ready);
        CHECK(read->members[i].mpiSlots == status->members[i].mpiSlots);
    }
}

TEST_CASE("up reuses a volume that down kept", "[cluster][manager]") {
    FakeClusterHost host;
    REQUIRE(host.engine->createVolume("demo_mpishare", clusterLabels("demo")));
    host.engine->clearCalls();
    REQUIRE(host.up("demo", 1));
    auto made = changes(host.engine->calls());
    CHECK(std::find(made.begin(), made.end(), "createVolume demo_mpishare") == made.end());
    CHECK(std::find(made.begin(), made.end(), "createService demo_mpinode") != made.end());
}

TEST_CASE("up of an existing cluster verifies it, and scales it when the node count changes", "[cluster][manager]") {
    FakeClusterHost host;
    REQUIRE(host.up("demo", 2));
    auto first = host.engine->runningContainers("demo_mpinode");
    host.engine->clearCalls();
    SECTION("same size: nothing created, every member verified again") {
        auto status = host.up("demo", 2);
        REQUIRE(status);
        auto calls = host.engine->calls();
        CHECK(changes(calls).empty());
        CHECK(count(calls, "listSecrets") == 1);
        CHECK(host.engine->runningContainers("demo_mpinode") == first);
        CHECK(status->members.size() == 3);
    }
    SECTION("other size: the node service scaled, the new member verified") {
        auto status = host.up("demo", 3);
        REQUIRE(status);
        auto calls = host.engine->calls();
        CHECK(changes(calls) == std::vector<std::string>{"scaleService demo_mpinode"});
        CHECK(count(calls, "listSecrets") == 1);
        REQUIRE(status->members.size() == 4);
        CHECK(status->desiredNodes == 3);
        CHECK(host.engine->file(kHostfilePath)->find(status->members[3].containerId.substr(0, 12)) != std::string::npos);
    }
    SECTION("scale down through scale") {
        auto status = host.manager.scale("demo", 1, std::chrono::seconds(10), [](model::Phase, const std::string&) {});
        REQUIRE(status);
        CHECK(changes(host.engine->calls()) == std::vector<std::string>{"scaleService demo_mpinode"});
        CHECK(status->members.size() == 2);
    }
}

TEST_CASE("up refuses a half-removed cluster or more nodes than its network holds, and changes nothing", "[cluster][manager]") {
    FakeClusterHost host;
    REQUIRE(host.up("demo", 2));
    SECTION("half there: refused, saying what is missing") {
        auto networks = host.engine->listNetworks(clusterLabels("demo"));
        REQUIRE(networks);
        REQUIRE(host.engine->removeNetwork(networks->front().id));
        host.engine->clearCalls();
        auto refused = host.up("demo", 2);
        REQUIRE_FALSE(refused);
        CHECK(refused.error().code == ErrorCode::conflict);
        CHECK(refused.error().message.find("missing network") != std::string::npos);
        CHECK(changes(host.engine->calls()).empty());
    }
    SECTION("more nodes than the network holds") {
        host.engine->clearCalls();
        auto refused = host.up("demo", 300);
        REQUIRE_FALSE(refused);
        CHECK(refused.error().message.find("holds at most 247 nodes") != std::string::npos);
        CHECK(changes(host.engine->calls()).empty());
    }
    SECTION("a setting fixed at creation") {
        host.engine->clearCalls();
        ClusterSpec spec{"demo", 2, 0, 1};
        auto refused = host.manager.up(spec, std::chrono::seconds(10), [](model::Phase, const std::string&) {});
        REQUIRE_FALSE(refused);
        CHECK(refused.error().code == ErrorCode::usage);
        CHECK(refused.error().message.find("--per-host cannot change") != std::string::npos);
        CHECK(changes(host.engine->calls()).empty());
    }
}

TEST_CASE("a failed up removes what it created, in reverse order", "[cluster][manager][rollback]") {
    FakeClusterHost host;
    host.engine->failNext("createService", makeError(ErrorCode::failed, "engine 500: no space left"), "demo_mpinode");
    auto failed = host.up("demo", 2);
    REQUIRE_FALSE(failed);
    CHECK(failed.error().message == "up 'demo': engine 500: no space left");
    CHECK(withoutSecretSuffix(changes(host.engine->calls())) ==
          std::vector<std::string>{"createNetwork demo_net", "createSecret demo_ssh_", "createVolume demo_mpishare",
                                   "createService demo_mpihead", "createService demo_mpinode", "removeService demo_mpihead",
                                   "removeSecret demo_ssh_", "removeNetwork demo_net", "removeVolume demo_mpishare"});
    CHECK(host.engine->serviceNames().empty());
    CHECK(host.engine->networkNames().empty());
    CHECK(host.engine->volumeNames().empty());
    CHECK(host.engine->secretNames().empty());
}

TEST_CASE("a readiness timeout names the members that never ran, and the new cluster is removed",
          "[cluster][manager][readiness]") {
    FakeClusterHost host;
    host.engine->holdTask("demo_mpinode", 2, "pending", "no suitable node (insufficient resources on 1 node)");
    auto started = std::chrono::steady_clock::now();
    auto failed = host.up("demo", 3, std::chrono::seconds(0));
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(1));
    REQUIRE_FALSE(failed);
    CHECK(failed.error().code == ErrorCode::timeout);
    CHECK(failed.error().message.find("tasks not running in time: node 2 (pending: no suitable node (insufficient resources") !=
          std::string::npos);
    CHECK(failed.error().message.find("node 1") == std::string::npos);
    CHECK(failed.error().message.find("node 3") == std::string::npos);
    CHECK(host.engine->serviceNames().empty());
    CHECK(host.engine->networkNames().empty());
}

TEST_CASE("scale is refused while a job runs, and nothing is scaled", "[cluster][manager][scale]") {
    FakeClusterHost host;
    auto status = host.up("demo", 2);
    REQUIRE(status);
    host.engine->startProcess(status->members.front().containerId, "mpirun");
    host.engine->clearCalls();
    auto refused = host.manager.scale("demo", 3, std::chrono::seconds(10), [](model::Phase, const std::string&) {});
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == ErrorCode::conflict);
    CHECK(refused.error().message == "scale 'demo': a job is running on cluster 'demo': scale it when the job ends");
    CHECK(changes(host.engine->calls()).empty());
    CHECK(host.engine->runningContainers("demo_mpinode").size() == 2);
    // Once the job ended, the same scale goes through.
    REQUIRE(host.engine->runExec(status->members.front().containerId, {{"pkill", "-TERM", "-x", "mpirun"}, "root", {}, ""}));
    CHECK(host.manager.scale("demo", 3, std::chrono::seconds(10), [](model::Phase, const std::string&) {}));
    CHECK(host.engine->runningContainers("demo_mpinode").size() == 3);
}

namespace {

// The addresses the head verified ssh to, in order (one entry per attempt).
std::vector<std::string> sshVerifications(const std::vector<EngineCall>& calls) {
    std::vector<std::string> addresses;
    for (const auto& call : calls)
        if (call.name == "createExec" && call.argv.size() == 5 && call.argv[3] == "ppcs-verify")
            addresses.push_back(call.argv[4]);
    return addresses;
}

std::size_t hostfileWrites(const std::vector<EngineCall>& calls) {
    return static_cast<std::size_t>(std::count_if(calls.begin(), calls.end(), [](const EngineCall& call) {
        return call.name == "createExec" && call.argv.size() >= 4 && call.argv[3] == "ppcs-install" &&
               std::find(call.argv.begin(), call.argv.end(), "hostfile") != call.argv.end();
    }));
}

bool isVerification(const ppcs::testing::ExecCall& call) {
    return call.spec.cmd.size() == 5 && call.spec.cmd[3] == "ppcs-verify";
}

}  // namespace

TEST_CASE("up verifies each member as soon as its task runs, and writes the hostfile once at the end",
          "[cluster][manager][readiness][pipeline]") {
    FakeClusterHost host;
    host.engine->holdTask("demo_mpinode", 2, "starting", "");
    auto up = std::async(std::launch::async, [&host] { return host.up("demo", 3); });
    // The head and nodes 1 and 3 are verified while node 2 is still starting.
    bool othersVerified = ppcs::testing::eventually([&host] { return sshVerifications(host.engine->calls()).size() == 3; });
    CHECK(othersVerified);
    CHECK_FALSE(host.engine->file(kHostfilePath));
    CHECK(host.engine->runningContainers("demo_mpinode").count(2) == 0);
    host.engine->releaseTask("demo_mpinode", 2);
    auto status = up.get();
    REQUIRE(status);
    REQUIRE(status->members.size() == 4);
    auto calls = host.engine->calls();
    auto verified = sshVerifications(calls);
    REQUIRE(verified.size() == 4);
    // Node 2 came last, and nobody was verified twice.
    CHECK(verified.back() == status->members[2].address);
    std::sort(verified.begin(), verified.end());
    CHECK(std::adjacent_find(verified.begin(), verified.end()) == verified.end());
    CHECK(hostfileWrites(calls) == 1);
    CHECK(count(calls, "putArchive") == 1);
    auto knownHosts = host.engine->file(std::string(kSharedDir) + "/.ppcs/known_hosts");
    REQUIRE(knownHosts);
    for (const auto& member : status->members)
        CHECK(knownHosts->find(member.address + "," + member.hostname) != std::string::npos);
}

TEST_CASE("ssh is verified against the member's own host key, and only a refusing member is tried again",
          "[cluster][manager][readiness][pipeline]") {
    FakeClusterHost host;
    std::mutex mutex;
    std::map<std::string, int> refusalsLeft;  // by address: the first node refuses twice
    std::string refuser;                      // that node's address
    std::vector<std::string> knownHostLines;
    host.engine->onExec([&](const ppcs::testing::ExecCall& call) -> std::optional<docker::ExecOutcome> {
        if (!isVerification(call)) return std::nullopt;
        std::lock_guard<std::mutex> lock(mutex);
        for (const auto& variable : call.spec.env)
            if (startsWith(variable, "PPCS_KNOWN_HOST=")) knownHostLines.push_back(variable.substr(16));
        const std::string& address = call.spec.cmd[4];
        if (refusalsLeft.empty()) refuser = address;
        if (!refusalsLeft.count(address)) refusalsLeft[address] = refusalsLeft.empty() ? 2 : 0;
        if (refusalsLeft[address] == 0) return docker::ExecOutcome{0, "", ""};
        --refusalsLeft[address];
        return docker::ExecOutcome{255, "", ""};
    });
    auto status = host.up("demo", 2);
    REQUIRE(status);
    auto verified = sshVerifications(host.engine->calls());
    CHECK(verified.size() == 5);  // 3 members, one of them refused twice
    std::lock_guard<std::mutex> lock(mutex);
    // Members are verified side by side: the one that refused is whichever the fake answered first.
    for (const auto& member : status->members) {
        auto tries = std::count(verified.begin(), verified.end(), member.address);
        CHECK(tries == (member.address == refuser ? 3 : 1));
    }
    // Each check carries exactly that member's host key, read from its container.
    for (const auto& line : knownHostLines) {
        auto member = std::find_if(status->members.begin(), status->members.end(),
                                   [&line](const Member& m) { return startsWith(line, m.address + "," + m.hostname + " "); });
        REQUIRE(member != status->members.end());
        CHECK(line.find("KEY" + member->containerId.substr(0, 12)) != std::string::npos);
    }
}

TEST_CASE("a member whose sshd never accepts is named when up times out, and the new cluster is removed",
          "[cluster][manager][readiness][pipeline]") {
    FakeClusterHost host;
    std::string refusing;
    std::mutex mutex;
    host.engine->onExec([&](const ppcs::testing::ExecCall& call) -> std::optional<docker::ExecOutcome> {
        if (!isVerification(call)) return std::nullopt;
        std::lock_guard<std::mutex> lock(mutex);
        // The node at the highest address: the last task started.
        if (refusing.empty() || call.spec.cmd[4] > refusing) refusing = call.spec.cmd[4];
        return docker::ExecOutcome{call.spec.cmd[4] == refusing ? 255 : 0, "", ""};
    });
    auto failed = host.up("demo", 2, std::chrono::seconds(1));
    REQUIRE_FALSE(failed);
    CHECK(failed.error().code == ErrorCode::timeout);
    CHECK(failed.error().message.find("members not verified in time: ") != std::string::npos);
    CHECK(failed.error().message.find("sshd did not accept the cluster key from the head") != std::string::npos);
    std::lock_guard<std::mutex> lock(mutex);
    CHECK(failed.error().message.find("(" + refusing + ")") != std::string::npos);
    CHECK(failed.error().message.find("head (") == std::string::npos);
    CHECK(host.engine->serviceNames().empty());
    CHECK(host.engine->networkNames().empty());
}

TEST_CASE("a network that cannot be made removes the key secret made meanwhile", "[cluster][manager][rollback]") {
    FakeClusterHost host;
    SECTION("the engine fails") {
        host.engine->failNext("createNetwork", makeError(ErrorCode::failed, "engine 500: pool exhausted"));
        auto failed = host.up("demo", 2);
        REQUIRE_FALSE(failed);
        CHECK(failed.error().message == "up 'demo': engine 500: pool exhausted");
    }
    SECTION("another up made it first") {
        host.engine->failNext("createNetwork", makeError(ErrorCode::conflict, "engine 409: network demo_net already exists"));
        auto failed = host.up("demo", 2);
        REQUIRE_FALSE(failed);
        CHECK(failed.error().code == ErrorCode::conflict);
        CHECK(failed.error().message.find("up 'demo': a network named demo_net already exists") == 0);
    }
    auto made = withoutSecretSuffix(changes(host.engine->calls()));
    CHECK(std::find(made.begin(), made.end(), "removeSecret demo_ssh_") != made.end());
    CHECK(std::find(made.begin(), made.end(), "createVolume demo_mpishare") == made.end());
    CHECK(host.engine->secretNames().empty());
    CHECK(host.engine->serviceNames().empty());
}

TEST_CASE("a member replaced while up verifies it is verified in its new container, the old one forgotten",
          "[cluster][manager][readiness][pipeline]") {
    FakeClusterHost host;
    std::mutex mutex;
    std::string killed;  // the first container to be verified among the nodes dies during its check
    host.engine->onExec([&](const ppcs::testing::ExecCall& call) -> std::optional<docker::ExecOutcome> {
        if (!isVerification(call)) return std::nullopt;
        std::lock_guard<std::mutex> lock(mutex);
        if (killed.empty()) {
            auto nodes = host.engine->runningContainers("demo_mpinode");
            if (nodes.count(1)) {
                killed = host.engine->killTask("demo_mpinode", 1);
                return docker::ExecOutcome{255, "", ""};
            }
        }
        return docker::ExecOutcome{0, "", ""};
    });
    auto status = host.up("demo", 2);
    REQUIRE(status);
    std::lock_guard<std::mutex> lock(mutex);
    REQUIRE_FALSE(killed.empty());
    REQUIRE(status->members.size() == 3);
    CHECK(status->members[1].containerId != killed);
    CHECK(status->members[1].ready);
    auto hostfile = host.engine->file(kHostfilePath);
    REQUIRE(hostfile);
    CHECK(hostfile->find(killed.substr(0, 12)) == std::string::npos);
    CHECK(hostfile->find(status->members[1].containerId.substr(0, 12)) != std::string::npos);
}
