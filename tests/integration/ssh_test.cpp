// Remote engines over ssh, on simulated hosts (scripts/sim-hosts ssh): sshd in a host lets root in
// with a key made here (ssh-keygen), and ppcsd reaches that host's engine as the docker CLI does
// (`ssh ... -- HOST docker system dial-stdio`). The real CLI refuses a wrong key and an unknown host
// key in one line and registers nothing; a cluster spans the ssh host and a TLS host together; and
// DOCKER_HOST=ssh://... (ppcsd's own engine over ssh) answers.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "common/strings.h"
#include "integration/remote_engines.h"
#include "integration/simulated_hosts.h"
#include "integration/support.h"
#include "model/endpoint.h"
#include "support/run_process.h"
#include "support/scratch_dir.h"
#include "support/test_paths.h"

using namespace ppcs;
using namespace ppcs::integration;
using nlohmann::json;
using ppcs::testing::ProcessResult;
using ppcs::testing::runProcess;

namespace {

constexpr int kTlsHost = 2;  // its engine over TLS (as in the TLS test)
constexpr int kSshHost = 3;  // its engine over ssh

// The test's keys, in a folder of its own removed at the end: one sshd lets in, one it does not.
class TestKeys {
public:
    TestKeys() {
        for (const char* name : {"good", "wrong"}) {
            auto made = runProcess({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ppcs test", "-f", key(name)}, {}, 60);
            INFO("ssh-keygen: " << made.err);
            REQUIRE(made.exitCode == 0);
        }
    }
    std::string key(const std::string& name) const { return dir_.path + "/" + name; }

private:
    ppcs::testing::ScratchDir dir_{"it-ssh"};
};

// A key sshd does not take, and a host key ssh does not know: each refused in one line with ssh's
// own words, and nothing registered.
void refusedOverSsh(const SimulatedHosts& sim, const TestDaemonDir& state, const TestKeys& keys, const std::string& endpoint) {
    std::string host = sim.hostName(kSshHost);
    checkOneLineRefusal(runCli(state, {"hosts", "add", host, endpoint, "--ssh-key", keys.key("wrong"), "--ssh-known-hosts",
                                       sim.sshKnownHosts(kSshHost)}),
                        "Permission denied (publickey)");
    checkOneLineRefusal(runCli(state, {"hosts", "add", host, endpoint, "--ssh-key", keys.key("good"), "--ssh-known-hosts",
                                       keys.key("good") + ".pub"}),
                        "Host key verification failed");
    checkOneLineRefusal(runCli(state, {"hosts", "add", host, endpoint, "--ssh-key", keys.key("missing")}),
                        "cannot read the ssh key " + keys.key("missing"));
    checkOneLineRefusal(runCli(state, {"hosts", "add", host, endpoint, "--insecure"}), "tcp:// endpoints only");
    CHECK(hostNamed(state, host)["endpoint"] == "");
}

// DOCKER_HOST=ssh://root@manager: ppcsd's own engine over ssh, with the key and known_hosts file
// from PPCS_DOCKER_SSH_KEY and PPCS_DOCKER_SSH_KNOWN_HOSTS; it sees the cluster as the other ppcsd does.
void dockerHostOverSsh(const SimulatedHosts& sim, const TestKeys& keys, const std::string& cluster, std::size_t members) {
    std::string endpoint = sim.enableSsh(1, keys.key("good") + ".pub");
    TestDaemonDir state(endpoint);
    auto environment = state.environment();
    environment[model::kSshKeyVariable] = keys.key("good");
    environment[model::kSshKnownHostsVariable] = sim.sshKnownHosts(1);
    auto ips = runProcess({ppcs::testing::cliBinary(), "ips", "--name", cluster}, environment, 300);
    INFO("DOCKER_HOST=" << endpoint << " ips: " << lastPart(ips.err));
    CHECK(ips.exitCode == 0);
    CHECK(split(std::string(trim(ips.out)), '\n').size() == members);
    auto status = runProcess({ppcs::testing::cliBinary(), "status", "--name", cluster}, environment, 300);
    INFO("status: " << lastPart(status.err));
    CHECK(status.exitCode == 0);
    // A daemon started with a key the manager's sshd does not take says so.
    auto stopped = runProcess({ppcs::testing::cliBinary(), "daemon", "stop"}, environment, 60);
    INFO("daemon stop: " << stopped.err);
    CHECK(stopped.exitCode == 0);
    environment[model::kSshKeyVariable] = keys.key("wrong");
    auto wrong = runProcess({ppcs::testing::cliBinary(), "ips", "--name", cluster}, environment, 300);
    checkOneLineRefusal(wrong, "Permission denied (publickey)");
}

// up spreads over the manager, the TLS host and the ssh host, a command runs in a member on the ssh
// host (a hijacked exec stream over ssh), hello_world runs, down.
void clusterSpansSshHost(const SimulatedHosts& sim, const TestDaemonDir& state, const TestKeys& keys, const std::string& name) {
    auto up = runCli(state, {"up", "--nodes", "4", "--name", name}, 600);
    INFO("up: " << lastPart(up.err));
    REQUIRE(up.exitCode == 0);
    std::set<std::string> hosts;
    json onSshHost;
    auto status = cliJson(state, {"status", "--name", name});
    INFO("status: " << status.dump());
    for (const auto& member : status["members"]) {
        hosts.insert(member["host"]);
        if (member["host"] == sim.hostName(kSshHost) && member["role"] == "node") onSshHost = member;
    }
    CHECK(hosts.count(sim.hostName(kSshHost)) == 1);
    CHECK(hosts.count(sim.hostName(kTlsHost)) == 1);
    CHECK(hostNamed(state, sim.hostName(kSshHost))["image"] == "present");
    CHECK(hostNamed(state, sim.hostName(kTlsHost))["image"] == "present");
    if (!onSshHost.is_null()) checkShellOn(state, name, onSshHost);
    checkHelloWorld(state, name);
    dockerHostOverSsh(sim, keys, name, status["members"].size());
    auto down = runCli(state, {"down", "--name", name}, 300);
    INFO("down: " << lastPart(down.err));
    CHECK(down.exitCode == 0);
}

}  // namespace

TEST_CASE("engines over ssh: a wrong key or unknown host key is refused and a cluster spans an ssh and a TLS host",
          "[docker][multihost][ssh]") {
    requireEngine();
    ensureNodeImage();
    SimulatedHosts sim(3);
    TestKeys keys;
    std::string endpoint = sim.enableSsh(kSshHost, keys.key("good") + ".pub");
    CHECK(endpoint == "ssh://root@" + sim.address(kSshHost) + ":22");
    TestCertificates certs(sim.address(kTlsHost));
    std::string tlsEndpoint = sim.enableTls(kTlsHost, certs.path("server"));
    TestDaemonDir state(sim.endpoint(1));
    refusedOverSsh(sim, state, keys, endpoint);
    auto tls = runCli(state, {"hosts", "add", sim.hostName(kTlsHost), tlsEndpoint, "--tls-dir", certs.path("good")});
    INFO(tls.err);
    REQUIRE(tls.exitCode == 0);
    auto added = runCli(state, {"hosts", "add", sim.hostName(kSshHost), endpoint, "--ssh-key", keys.key("good"),
                                "--ssh-known-hosts", sim.sshKnownHosts(kSshHost)});
    INFO(added.err);
    REQUIRE(added.exitCode == 0);
    auto host = hostNamed(state, sim.hostName(kSshHost));
    CHECK(host["endpoint"] == endpoint);
    CHECK(host["ssh_key"] == keys.key("good"));
    CHECK(host["image"] != "unknown");
    clusterSpansSshHost(sim, state, keys, testClusterName("ssh"));
}
