// Remote engines over TLS, on simulated hosts (scripts/sim-hosts): one host's dockerd serves TLS
// with client certificates verified (--tlsverify, port 2376), made here with openssl; another keeps
// plain TCP. The real CLI registers them, refuses what it must in one line, and a cluster spans both.

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "common/strings.h"
#include "integration/remote_engines.h"
#include "integration/simulated_hosts.h"
#include "integration/support.h"
#include "model/endpoint.h"
#include "support/run_process.h"
#include "support/test_paths.h"

using namespace ppcs;
using namespace ppcs::integration;
using nlohmann::json;
using ppcs::testing::ProcessResult;
using ppcs::testing::runProcess;

namespace {

// Wrong CA, no client certificate, a client certificate the engine does not trust, no folder: each
// refused in one line naming the cause, and nothing registered.
void refusedOverTls(const SimulatedHosts& sim, const TestDaemonDir& state, const TestCertificates& certs,
                    const std::string& endpoint) {
    const std::vector<std::pair<std::string, std::string>> refusals{
        {certs.path("wrong-ca"), "not trusted by the CA " + certs.path("wrong-ca") + "/ca.pem"},
        {certs.path("no-cert"), "cannot read the client certificate " + certs.path("no-cert") + "/cert.pem"},
        {certs.path("foreign"), "client certificate " + certs.path("foreign") + "/cert.pem"},
        {certs.path("nowhere"), "cannot read the TLS certificate directory " + certs.path("nowhere")}};
    for (const auto& [folder, words] : refusals)
        checkOneLineRefusal(runCli(state, {"hosts", "add", sim.hostName(2), endpoint, "--tls-dir", folder}), words);
    checkOneLineRefusal(runCli(state, {"hosts", "add", sim.hostName(2), endpoint}), "plain TCP");
    CHECK(hostNamed(state, sim.hostName(2))["endpoint"] == "");
}

// Host 3's plain TCP: refused without --insecure, registered with it and a warning.
void plainTcpNeedsInsecure(const SimulatedHosts& sim, const TestDaemonDir& state) {
    std::string plain = sim.tcpEndpoint(3);
    checkOneLineRefusal(runCli(state, {"hosts", "add", sim.hostName(3), plain}), "--insecure");
    CHECK(hostNamed(state, sim.hostName(3))["endpoint"] == "");
    auto added = runCli(state, {"hosts", "add", sim.hostName(3), plain, "--insecure"});
    INFO(added.err);
    REQUIRE(added.exitCode == 0);
    CHECK(added.err.find("warning: ") != std::string::npos);
    CHECK(hostNamed(state, sim.hostName(3))["insecure"] == true);
}

// DOCKER_HOST over plain TCP (the manager's): refused in one line, allowed by PPCS_INSECURE_TCP
// with a warning; over TLS the engine answers with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH.
void dockerHostRules(const SimulatedHosts& sim, const TestCertificates& certs, const std::string& tlsEndpoint) {
    TestDaemonDir plain("tcp://" + sim.address(1) + ":2375");
    checkOneLineRefusal(runCli(plain, {"hosts"}), "PPCS_INSECURE_TCP=1");
    auto environment = plain.environment();
    environment[model::kInsecureTcpVariable] = "1";
    auto allowed = runProcess({ppcs::testing::cliBinary(), "hosts"}, environment, 120);
    INFO(allowed.err);
    CHECK(allowed.exitCode == 0);
    CHECK(allowed.err.find("warning: ") != std::string::npos);
    model::DockerEnvironment tls;
    tls.dockerHost = tlsEndpoint;
    tls.tlsVerify = "1";
    tls.certPath = certs.path("good");
    auto endpoint = model::endpointFromEnvironment(tls);
    REQUIRE(endpoint);
    auto engine = docker::EngineClient::connectTo(*endpoint);
    INFO((engine ? "" : engine.error().message));
    REQUIRE(engine);
    auto info = engine->info();
    REQUIRE(info);
    CHECK_FALSE(info->swarmNodeId.empty());
}

// up spreads over the manager, the TLS host and the plain one (warned about), hello_world runs.
void clusterSpansTlsHost(const SimulatedHosts& sim, const TestDaemonDir& state, const std::string& name) {
    auto up = runCli(state, {"up", "--nodes", "4", "--name", name}, 600);
    INFO("up: " << lastPart(up.err));
    REQUIRE(up.exitCode == 0);
    CHECK(up.err.find("plain TCP") != std::string::npos);
    std::set<std::string> hosts;
    json onTlsHost;
    auto status = cliJson(state, {"status", "--name", name});
    INFO("status: " << status.dump());
    for (const auto& member : status["members"]) {
        hosts.insert(member["host"]);
        if (member["host"] == sim.hostName(2) && member["role"] == "node") onTlsHost = member;
    }
    if (hosts.count(sim.hostName(2)) == 0) {
        auto tasks =
            runProcess({"docker", "service", "ps", "--no-trunc", name + "_mpinode"}, {{"DOCKER_HOST", sim.endpoint(1)}}, 60);
        auto nodes = runProcess({"docker", "node", "ls"}, {{"DOCKER_HOST", sim.endpoint(1)}}, 60);
        INFO("tasks: " << tasks.out << tasks.err << "\nnodes: " << nodes.out);
        CHECK(hosts.count(sim.hostName(2)) == 1);
    }
    // A command in a member there: the exec's stream hijacked over TLS, its input closed.
    if (!onTlsHost.is_null()) checkShellOn(state, name, onTlsHost);
    CHECK(hostNamed(state, sim.hostName(2))["image"] == "present");
    checkHelloWorld(state, name);
    auto down = runCli(state, {"down", "--name", name}, 300);
    INFO("down: " << lastPart(down.err));
    CHECK(down.exitCode == 0);
}

}  // namespace

TEST_CASE("engines over TLS are verified both ways and a cluster spans one while plain TCP needs insecure",
          "[docker][multihost][tls]") {
    requireEngine();
    ensureNodeImage();
    SimulatedHosts sim(3);
    TestCertificates certs(sim.address(2));
    std::string tlsEndpoint = sim.enableTls(2, certs.path("server"));
    TestDaemonDir state(sim.endpoint(1));
    std::string name = testClusterName("tls");
    refusedOverTls(sim, state, certs, tlsEndpoint);
    plainTcpNeedsInsecure(sim, state);
    auto added = runCli(state, {"hosts", "add", sim.hostName(2), tlsEndpoint, "--tls-dir", certs.path("good")});
    INFO(added.err);
    REQUIRE(added.exitCode == 0);
    CHECK(added.err.find("warning") == std::string::npos);
    auto host = hostNamed(state, sim.hostName(2));
    CHECK(host["endpoint"] == tlsEndpoint);
    CHECK(host["tls_dir"] == certs.path("good"));
    dockerHostRules(sim, certs, tlsEndpoint);
    clusterSpansTlsHost(sim, state, name);
}
