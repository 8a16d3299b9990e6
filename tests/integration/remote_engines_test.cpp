// Remote engines, on simulated hosts (scripts/sim-hosts), all in one simulation: host 2's dockerd
// serves TLS with client certificates verified (--tlsverify, port 2376, certificates made here with
// openssl); host 3's is reached over ssh (sshd letting root in with a key made here by ssh-keygen,
// the engine through `docker system dial-stdio`, as the docker CLI does), and over plain TCP. The
// real CLI refuses in one line what it must (wrong CA or certificate, wrong key, unknown host key,
// plain TCP without --insecure) and registers nothing then; a cluster spans the TLS and the ssh host;
// DOCKER_HOST over TLS, ssh and plain TCP follows the same rules.

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/strings.h"
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

constexpr int kTlsHost = 2;  // its engine over TLS
constexpr int kSshHost = 3;  // its engine over ssh, then over plain TCP

// A test's certificates, in a folder of its own removed at the end: a CA, the engine's
// certificate for its address and the client's, and for the refusals another CA with a client
// certificate of its own. Folders as the CLI and the simulated host take them.
class TestCertificates {
public:
    explicit TestCertificates(const std::string& serverAddress) {
        char pattern[] = "/tmp/ppcs-it-tls-XXXXXX";
        REQUIRE(::mkdtemp(pattern) != nullptr);
        dir_ = pattern;
        makeCa("ca");
        makeCa("other-ca");
        makeSigned("server", "ca", "subjectAltName=IP:" + serverAddress + "\nextendedKeyUsage=serverAuth\n");
        makeSigned("client", "ca", "extendedKeyUsage=clientAuth\n");
        makeSigned("foreign-client", "other-ca", "extendedKeyUsage=clientAuth\n");
        folder("server", {{"ca.pem", "ca.pem"}, {"server-cert.pem", "server-cert.pem"}, {"server-key.pem", "server-key.pem"}});
        folder("good", {{"ca.pem", "ca.pem"}, {"client-cert.pem", "cert.pem"}, {"client-key.pem", "key.pem"}});
        folder("wrong-ca", {{"other-ca.pem", "ca.pem"}, {"client-cert.pem", "cert.pem"}, {"client-key.pem", "key.pem"}});
        folder("no-cert", {{"ca.pem", "ca.pem"}});
        folder("foreign", {{"ca.pem", "ca.pem"}, {"foreign-client-cert.pem", "cert.pem"}, {"foreign-client-key.pem", "key.pem"}});
    }
    ~TestCertificates() { std::system(("rm -rf '" + dir_ + "'").c_str()); }
    TestCertificates(const TestCertificates&) = delete;
    TestCertificates& operator=(const TestCertificates&) = delete;

    std::string path(const std::string& folder) const { return dir_ + "/" + folder; }

private:
    void openssl(std::vector<std::string> args) const {
        args.insert(args.begin(), "openssl");
        auto made = ppcs::testing::runProcess(args, {}, 60);
        INFO(join(args, " ") << ": " << made.err);
        REQUIRE(made.exitCode == 0);
    }
    std::vector<std::string> newKey(const std::string& name) const {
        return {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", dir_ + "/" + name + "-key.pem"};
    }
    void makeCa(const std::string& name) const {
        auto args = newKey(name);
        args.insert(args.begin(), {"req", "-x509"});
        for (const char* more : {"-days", "2", "-subj"}) args.push_back(more);
        args.push_back("/CN=ppcs test " + name);
        args.push_back("-out");
        args.push_back(dir_ + "/" + name + ".pem");
        openssl(args);
    }
    void makeSigned(const std::string& name, const std::string& ca, const std::string& extensions) const {
        std::string base = dir_ + "/" + name;
        auto args = newKey(name);
        args.insert(args.begin(), {"req", "-new"});
        for (std::string more : {std::string("-subj"), "/CN=ppcs test " + name, std::string("-out"), base + ".csr"})
            args.push_back(more);
        openssl(args);
        std::ofstream(base + ".ext") << extensions;
        openssl({"x509", "-req", "-in", base + ".csr", "-CA", dir_ + "/" + ca + ".pem", "-CAkey", dir_ + "/" + ca + "-key.pem",
                 "-CAcreateserial", "-days", "2", "-extfile", base + ".ext", "-out", base + "-cert.pem"});
    }
    void folder(const std::string& name, const std::vector<std::pair<std::string, std::string>>& files) const {
        REQUIRE(::mkdir(path(name).c_str(), 0700) == 0);
        for (const auto& [from, to] : files) {
            std::ifstream in(dir_ + "/" + from, std::ios::binary);
            std::ofstream(path(name) + "/" + to, std::ios::binary) << in.rdbuf();
        }
    }

    std::string dir_;
};

// The one line a refused command printed, checked to be one line saying words.
void checkOneLineRefusal(const ProcessResult& result, const std::string& words) {
    INFO(result.err);
    CHECK(result.exitCode != 0);
    std::string said(trim(result.err));
    CHECK(said.find('\n') == std::string::npos);
    CHECK(said.find(words) != std::string::npos);
}

json cliJson(const TestDaemonDir& state, std::vector<std::string> args) {
    args.insert(args.begin(), "--json");
    auto result = runCli(state, args);
    INFO("ppcs-cluster " << join(args, " ") << ": " << lastPart(result.err));
    REQUIRE(result.exitCode == 0);
    return json::parse(result.out);
}

json hostNamed(const TestDaemonDir& state, const std::string& name) {
    auto hosts = cliJson(state, {"hosts"});
    for (const auto& host : hosts["hosts"])
        if (host["name"] == name || host["hostname"] == name) return host;
    FAIL("no host " << name << " in " << hosts.dump());
    return {};
}

// `shell --node SLOT -- cat /etc/hostname` on member (a node of status's members, on a remote
// host): it runs there and answers with that member's hostname.
void checkShellOn(const TestDaemonDir& state, const std::string& cluster, const json& member) {
    auto shell = runCli(
        state, {"shell", "--name", cluster, "--node", std::to_string(member["slot"].get<int>()), "--", "cat", "/etc/hostname"});
    INFO("shell: " << lastPart(shell.err));
    CHECK(shell.exitCode == 0);
    CHECK(shell.out.find(member["hostname"].get<std::string>()) != std::string::npos);
}

// `run hello_world` on the cluster succeeds.
void checkHelloWorld(const TestDaemonDir& state, const std::string& cluster) {
    auto run = runCli(state, {"run", "--name", cluster, "hello_world"}, 300);
    INFO("run: " << lastPart(run.err));
    CHECK(run.exitCode == 0);
}

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
        checkOneLineRefusal(runCli(state, {"hosts", "add", sim.hostName(kTlsHost), endpoint, "--tls-dir", folder}), words);
    checkOneLineRefusal(runCli(state, {"hosts", "add", sim.hostName(kTlsHost), endpoint}), "plain TCP");
    CHECK(hostNamed(state, sim.hostName(kTlsHost))["endpoint"] == "");
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

// Host 3, registered over ssh, registered again over plain TCP: refused without --insecure (the ssh
// endpoint stays), taken with it and a warning, which scaling onto that host repeats.
void plainTcpNeedsInsecure(const SimulatedHosts& sim, const TestDaemonDir& state, const std::string& name,
                           const std::string& sshEndpoint) {
    std::string plain = sim.tcpEndpoint(kSshHost);
    checkOneLineRefusal(runCli(state, {"hosts", "add", sim.hostName(kSshHost), plain}), "--insecure");
    CHECK(hostNamed(state, sim.hostName(kSshHost))["endpoint"] == sshEndpoint);
    auto added = runCli(state, {"hosts", "add", sim.hostName(kSshHost), plain, "--insecure"});
    INFO(added.err);
    REQUIRE(added.exitCode == 0);
    CHECK(added.err.find("warning: ") != std::string::npos);
    auto host = hostNamed(state, sim.hostName(kSshHost));
    CHECK(host["insecure"] == true);
    CHECK(host["endpoint"] == plain);
    auto scaled = runCli(state, {"scale", "--nodes", "6", "--name", name}, 600);
    INFO("scale: " << lastPart(scaled.err));
    REQUIRE(scaled.exitCode == 0);
    CHECK(scaled.err.find("plain TCP") != std::string::npos);
    checkHelloWorld(state, name);
}

// up spreads over the manager, the TLS host and the ssh host; a command runs in a member on each
// remote host (an exec stream hijacked over TLS, and over ssh); hello_world runs. Returns status.
json clusterSpansRemoteHosts(const SimulatedHosts& sim, const TestDaemonDir& state, const std::string& name) {
    auto up = runCli(state, {"up", "--nodes", "4", "--name", name}, 600);
    INFO("up: " << lastPart(up.err));
    REQUIRE(up.exitCode == 0);
    auto status = cliJson(state, {"status", "--name", name});
    INFO("status: " << status.dump());
    std::set<std::string> hosts;
    for (const auto& member : status["members"]) hosts.insert(member["host"]);
    if (hosts.count(sim.hostName(kTlsHost)) == 0 || hosts.count(sim.hostName(kSshHost)) == 0) {
        auto tasks =
            runProcess({"docker", "service", "ps", "--no-trunc", name + "_mpinode"}, {{"DOCKER_HOST", sim.endpoint(1)}}, 60);
        auto nodes = runProcess({"docker", "node", "ls"}, {{"DOCKER_HOST", sim.endpoint(1)}}, 60);
        INFO("tasks: " << tasks.out << tasks.err << "\nnodes: " << nodes.out);
        CHECK(hosts.count(sim.hostName(kTlsHost)) == 1);
        CHECK(hosts.count(sim.hostName(kSshHost)) == 1);
    }
    for (int remote : {kTlsHost, kSshHost}) {
        CHECK(hostNamed(state, sim.hostName(remote))["image"] == "present");
        for (const auto& member : status["members"])
            if (member["host"] == sim.hostName(remote) && member["role"] == "node") {
                checkShellOn(state, name, member);
                break;
            }
    }
    checkHelloWorld(state, name);
    return status;
}

}  // namespace

TEST_CASE("remote engines: TLS verified both ways, ssh with its keys, plain TCP only with --insecure, a cluster across them",
          "[docker][multihost][tls][ssh]") {
    requireEngine();
    ensureNodeImage();
    SimulatedHosts sim(3);
    TestKeys keys;
    std::string sshEndpoint = sim.enableSsh(kSshHost, keys.key("good") + ".pub");
    CHECK(sshEndpoint == "ssh://root@" + sim.address(kSshHost) + ":22");
    TestCertificates certs(sim.address(kTlsHost));
    std::string tlsEndpoint = sim.enableTls(kTlsHost, certs.path("server"));
    TestDaemonDir state(sim.endpoint(1));
    refusedOverTls(sim, state, certs, tlsEndpoint);
    refusedOverSsh(sim, state, keys, sshEndpoint);
    auto tls = runCli(state, {"hosts", "add", sim.hostName(kTlsHost), tlsEndpoint, "--tls-dir", certs.path("good")});
    INFO(tls.err);
    REQUIRE(tls.exitCode == 0);
    CHECK(tls.err.find("warning") == std::string::npos);
    CHECK(hostNamed(state, sim.hostName(kTlsHost))["endpoint"] == tlsEndpoint);
    CHECK(hostNamed(state, sim.hostName(kTlsHost))["tls_dir"] == certs.path("good"));
    auto ssh = runCli(state, {"hosts", "add", sim.hostName(kSshHost), sshEndpoint, "--ssh-key", keys.key("good"),
                              "--ssh-known-hosts", sim.sshKnownHosts(kSshHost)});
    INFO(ssh.err);
    REQUIRE(ssh.exitCode == 0);
    auto host = hostNamed(state, sim.hostName(kSshHost));
    CHECK(host["endpoint"] == sshEndpoint);
    CHECK(host["ssh_key"] == keys.key("good"));
    CHECK(host["image"] != "unknown");
    dockerHostRules(sim, certs, tlsEndpoint);
    std::string name = testClusterName("remote");
    auto status = clusterSpansRemoteHosts(sim, state, name);
    dockerHostOverSsh(sim, keys, name, status["members"].size());
    plainTcpNeedsInsecure(sim, state, name, sshEndpoint);
    auto down = runCli(state, {"down", "--name", name}, 300);
    INFO("down: " << lastPart(down.err));
    CHECK(down.exitCode == 0);
}
