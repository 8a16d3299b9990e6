// Engine endpoints and how a tcp:// one is secured: DOCKER_HOST and its TLS variables as the docker
// CLI reads them, `hosts add`'s --tls-dir and --insecure, and the registration kept in node labels.

#include "model/endpoint.h"

#include <catch2/catch.hpp>

#include "api/host_messages.h"
#include "cluster/hosts.h"

using namespace ppcs;
using namespace ppcs::model;

namespace {

DockerEnvironment dockerHost(std::string host) {
    DockerEnvironment environment;
    environment.dockerHost = std::move(host);
    environment.home = "/home/ann";
    return environment;
}

void checkUsageError(const Result<EngineEndpoint>& endpoint, const std::string& words) {
    REQUIRE_FALSE(endpoint);
    CHECK(endpoint.error().code == ErrorCode::usage);
    CHECK(endpoint.error().message.find(words) != std::string::npos);
    CHECK(endpoint.error().message.find('\n') == std::string::npos);
}

}  // namespace

TEST_CASE("DOCKER_TLS_VERIFY turns on TLS with the files of DOCKER_CERT_PATH, else of HOME/.docker", "[model][endpoint][tls]") {
    auto environment = dockerHost("tcp://10.0.0.1:2376");
    environment.tlsVerify = "1";
    environment.certPath = "/etc/ppcs/certs/";
    auto endpoint = endpointFromEnvironment(environment);
    REQUIRE(endpoint);
    REQUIRE(endpoint->tls);
    CHECK(endpoint->tls->directory == "/etc/ppcs/certs");
    CHECK(endpoint->tls->caFile == "/etc/ppcs/certs/ca.pem");
    CHECK(endpoint->tls->certFile == "/etc/ppcs/certs/cert.pem");
    CHECK(endpoint->tls->keyFile == "/etc/ppcs/certs/key.pem");
    CHECK_FALSE(endpoint->plainTcp());
    CHECK(insecureWarning(*endpoint).empty());
    CHECK(endpoint->text() == "tcp://10.0.0.1:2376");
    // As docker: any value turns it on, "0" included.
    environment.tlsVerify = "0";
    environment.certPath.clear();
    endpoint = endpointFromEnvironment(environment);
    REQUIRE(endpoint);
    REQUIRE(endpoint->tls);
    CHECK(endpoint->tls->caFile == "/home/ann/.docker/ca.pem");
    environment.home.clear();
    checkUsageError(endpointFromEnvironment(environment), "DOCKER_CERT_PATH");
}

TEST_CASE("plain TCP in DOCKER_HOST is refused unless PPCS_INSECURE_TCP allows it, then warned about", "[model][endpoint][tls]") {
    auto environment = dockerHost("tcp://10.0.0.1:2375");
    checkUsageError(endpointFromEnvironment(environment), "plain TCP");
    auto refused = endpointFromEnvironment(environment);
    CHECK(refused.error().message.find("DOCKER_TLS_VERIFY") != std::string::npos);
    CHECK(refused.error().message.find("PPCS_INSECURE_TCP=1") != std::string::npos);
    environment.insecureTcp = "0";
    checkUsageError(endpointFromEnvironment(environment), "plain TCP");
    environment.tls = "1";
    checkUsageError(endpointFromEnvironment(environment), "DOCKER_TLS without DOCKER_TLS_VERIFY");
    environment.tls.clear();
    environment.insecureTcp = "1";
    auto allowed = endpointFromEnvironment(environment);
    REQUIRE(allowed);
    CHECK(allowed->plainTcp());
    CHECK(allowed->insecure);
    auto warning = insecureWarning(*allowed);
    CHECK(warning.rfind("warning: ", 0) == 0);
    CHECK(warning.find("tcp://10.0.0.1:2375") != std::string::npos);
    CHECK(warning.find('\n') == std::string::npos);
}

TEST_CASE("a unix socket needs no TLS: the TLS variables are ignored for one", "[model][endpoint][tls]") {
    for (const char* host : {"", "unix:///run/docker.sock"}) {
        auto environment = dockerHost(host);
        environment.tlsVerify = "1";
        auto endpoint = endpointFromEnvironment(environment);
        REQUIRE(endpoint);
        CHECK(endpoint->kind == EngineEndpoint::Kind::unixSocket);
        CHECK_FALSE(endpoint->tls);
        CHECK(insecureWarning(*endpoint).empty());
    }
    checkUsageError(endpointFromEnvironment(dockerHost("ssh://host/")), "DOCKER_HOST");
}

TEST_CASE("ssh endpoints take an optional user and port and nothing after the host", "[model][endpoint][ssh]") {
    auto full = parseEngineEndpoint("ssh://ann@engine-2.example:2222");
    REQUIRE(full);
    CHECK(full->kind == EngineEndpoint::Kind::ssh);
    CHECK(full->user == "ann");
    CHECK(full->host == "engine-2.example");
    CHECK(full->port == 2222);
    CHECK(full->text() == "ssh://ann@engine-2.example:2222");
    auto bare = parseEngineEndpoint("ssh://10.0.0.4");
    REQUIRE(bare);
    CHECK(bare->user.empty());
    CHECK(bare->port == 0);
    CHECK(bare->text() == "ssh://10.0.0.4");
    auto v6 = parseEngineEndpoint("ssh://root@[fd00::4]:22");
    REQUIRE(v6);
    CHECK(v6->host == "fd00::4");
    CHECK(v6->text() == "ssh://root@[fd00::4]:22");
    const std::vector<std::pair<const char*, const char*>> refused{{"ssh://", "no host"},
                                                                   {"ssh://root@", "no host"},
                                                                   {"ssh://root@:22", "no host"},
                                                                   {"ssh://@host", "not a user name"},
                                                                   {"ssh://host/var/run/docker.sock", "no path"},
                                                                   {"ssh://host/", "no path"},
                                                                   {"ssh://host?socket=x", "no path"},
                                                                   {"ssh://host:", "no port"},
                                                                   {"ssh://host:0", "not from 1 to 65535"},
                                                                   {"ssh://host:65536", "not from 1 to 65535"},
                                                                   {"ssh://host:22x", "not from 1 to 65535"},
                                                                   {"ssh://-oProxyCommand=x", "not a host name"},
                                                                   {"ssh://-l@host", "not a user name"},
                                                                   {"ssh://a b@host", "not a user name"},
                                                                   {"ssh://[fd00::4", "']'"},
                                                                   {"ssh://[fd00::4]x", "after the host"}};
    for (const auto& [text, words] : refused) {
        INFO(text);
        checkUsageError(parseEngineEndpoint(text), words);
        checkUsageError(parseEngineEndpoint(text), "ssh://[USER@]HOST[:PORT]");
    }
}

TEST_CASE("an ssh DOCKER_HOST takes ssh's own configuration, with a key and known_hosts from PPCS_SSH_*",
          "[model][endpoint][ssh]") {
    auto environment = dockerHost("ssh://root@10.0.0.5");
    environment.tlsVerify = "1";  // TLS settings do not apply to ssh
    auto plain = endpointFromEnvironment(environment);
    REQUIRE(plain);
    CHECK(plain->kind == EngineEndpoint::Kind::ssh);
    CHECK(plain->ssh.empty());
    CHECK_FALSE(plain->tls);
    CHECK(insecureWarning(*plain).empty());
    environment.sshKey = "/keys/id";
    environment.sshKnownHosts = "/keys/known";
    auto named = endpointFromEnvironment(environment);
    REQUIRE(named);
    CHECK(named->ssh.identityFile == "/keys/id");
    CHECK(named->ssh.knownHostsFile == "/keys/known");
    environment.sshKey = "keys/id";
    checkUsageError(endpointFromEnvironment(environment), "PPCS_DOCKER_SSH_KEY 'keys/id' must be an absolute path");
    auto unix = dockerHost("");
    unix.sshKey = "/keys/id";
    checkUsageError(endpointFromEnvironment(unix), "apply to an ssh:// DOCKER_HOST only");
}

TEST_CASE("hosts add takes an ssh key and known_hosts file for ssh:// only, absolute", "[model][endpoint][ssh]") {
    auto ssh = hostEndpoint("ssh://root@10.0.0.6", "", false, SshOptions{"/k/id", "/k/known"});
    REQUIRE(ssh);
    CHECK(ssh->ssh.identityFile == "/k/id");
    CHECK(ssh->ssh.knownHostsFile == "/k/known");
    CHECK(hostEndpoint("ssh://root@10.0.0.6", "", false));
    checkUsageError(hostEndpoint("ssh://root@10.0.0.6", "/certs", false), "tcp:// endpoints only");
    checkUsageError(hostEndpoint("ssh://root@10.0.0.6", "", true), "tcp:// endpoints only");
    checkUsageError(hostEndpoint("ssh://root@10.0.0.6", "", false, SshOptions{"id", ""}), "absolute");
    checkUsageError(hostEndpoint("ssh://root@10.0.0.6", "", false, SshOptions{"", "known"}), "absolute");
    checkUsageError(hostEndpoint("tcp://10.0.0.2:2376", "/certs", false, SshOptions{"/k/id", ""}), "ssh:// endpoints only");
    checkUsageError(hostEndpoint("unix:///run/docker.sock", "", false, SshOptions{"", "/k/known"}), "ssh:// endpoints only");
    api::AddHostRequest request{"sim-3", "ssh://root@10.0.0.6:22", "", false, "/k/id", "/k/known"};
    auto decoded = api::decodeAddHostRequest(api::encodeAddHostRequest(request));
    REQUIRE(decoded);
    CHECK(decoded->sshKey == "/k/id");
    CHECK(decoded->sshKnownHosts == "/k/known");
    auto registered = cluster::registeredEndpoint({{cluster::kHostEndpointLabel, "ssh://root@10.0.0.6:22"},
                                                   {cluster::kHostSshKeyLabel, "/k/id"},
                                                   {cluster::kHostSshKnownHostsLabel, ""}});
    REQUIRE(registered);
    REQUIRE(*registered);
    CHECK((*registered)->kind == EngineEndpoint::Kind::ssh);
    CHECK((*registered)->ssh.identityFile == "/k/id");
    CHECK((*registered)->ssh.knownHostsFile.empty());
}

TEST_CASE("hosts add takes TLS from an absolute tls dir or plain TCP with insecure, never both", "[model][endpoint][tls]") {
    auto tls = hostEndpoint("tcp://10.0.0.2:2376", "/certs/sim-2/", false);
    REQUIRE(tls);
    REQUIRE(tls->tls);
    CHECK(tls->tls->keyFile == "/certs/sim-2/key.pem");
    auto insecure = hostEndpoint("tcp://10.0.0.2:2375", "", true);
    REQUIRE(insecure);
    CHECK(insecure->plainTcp());
    CHECK_FALSE(insecureWarning(*insecure).empty());
    CHECK(hostEndpoint("unix:///run/sim/docker.sock", "", false));
    checkUsageError(hostEndpoint("tcp://10.0.0.2:2375", "", false), "--insecure");
    checkUsageError(hostEndpoint("tcp://10.0.0.2:2375", "", false), "--tls-dir");
    checkUsageError(hostEndpoint("tcp://10.0.0.2:2376", "/certs", true), "not both");
    checkUsageError(hostEndpoint("tcp://10.0.0.2:2376", "certs", false), "absolute");
    checkUsageError(hostEndpoint("unix:///run/docker.sock", "/certs", false), "tcp:// endpoints only");
    checkUsageError(hostEndpoint("unix:///run/docker.sock", "", true), "tcp:// endpoints only");
    checkUsageError(hostEndpoint("tcp://host", "/certs", false), "not supported");
}

TEST_CASE("add host requests carry the tls dir and insecure, checked as the CLI checks them", "[model][endpoint][api]") {
    api::AddHostRequest request{"sim-2", "tcp://10.0.0.2:2376", "/certs", false};
    auto decoded = api::decodeAddHostRequest(api::encodeAddHostRequest(request));
    REQUIRE(decoded);
    CHECK(decoded->tlsDir == "/certs");
    CHECK_FALSE(decoded->insecure);
    for (const char* body :
         {R"({"name":"h","endpoint":"tcp://10.0.0.2:2375"})", R"({"name":"h","endpoint":"tcp://10.0.0.2:2375","insecure":"yes"})",
          R"({"name":"h","endpoint":"tcp://10.0.0.2:2376","tls_dir":"/c","insecure":true})",
          R"({"name":"h","endpoint":"tcp://10.0.0.2:2376","tls_dir":"c"})"}) {
        INFO(body);
        auto refused = api::decodeAddHostRequest(body);
        REQUIRE_FALSE(refused);
        CHECK(refused.error().code == ErrorCode::usage);
    }
}

TEST_CASE("a host's registration in its node labels gives its endpoint, secured as registered", "[model][endpoint][hosts]") {
    using cluster::registeredEndpoint;
    CHECK_FALSE(registeredEndpoint({}).value());
    auto tls = registeredEndpoint({{cluster::kHostEndpointLabel, "tcp://10.0.0.2:2376"}, {cluster::kHostTlsDirLabel, "/c"}});
    REQUIRE(tls);
    REQUIRE(*tls);
    CHECK((*tls)->tls->caFile == "/c/ca.pem");
    auto insecure = registeredEndpoint({{cluster::kHostEndpointLabel, "tcp://10.0.0.3:2375"},
                                        {cluster::kHostTlsDirLabel, ""},
                                        {cluster::kHostInsecureLabel, "true"}});
    REQUIRE(insecure);
    CHECK((*insecure)->plainTcp());
    // Registered before TLS was required: not used until registered again.
    auto old = registeredEndpoint({{cluster::kHostEndpointLabel, "tcp://10.0.0.3:2375"}});
    REQUIRE_FALSE(old);
    CHECK(old.error().message.find("--insecure") != std::string::npos);
    auto socket =
        registeredEndpoint({{cluster::kHostEndpointLabel, "unix:///run/sim/docker.sock"}, {cluster::kHostInsecureLabel, ""}});
    REQUIRE(socket);
    CHECK((*socket)->kind == EngineEndpoint::Kind::unixSocket);
}
