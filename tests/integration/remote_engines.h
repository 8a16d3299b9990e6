#pragma once
// What the tests of remote engines (TLS, ssh) share: a test's certificates, the one-line refusal
// check, and the CLI's JSON about hosts.

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "common/strings.h"
#include "integration/support.h"
#include "support/run_process.h"

namespace ppcs::integration {

using nlohmann::json;

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
inline void checkOneLineRefusal(const ppcs::testing::ProcessResult& result, const std::string& words) {
    INFO(result.err);
    CHECK(result.exitCode != 0);
    std::string said(trim(result.err));
    CHECK(said.find('\n') == std::string::npos);
    CHECK(said.find(words) != std::string::npos);
}

inline json cliJson(const TestDaemonDir& state, std::vector<std::string> args) {
    args.insert(args.begin(), "--json");
    auto result = runCli(state, args);
    INFO("ppcs-cluster " << join(args, " ") << ": " << lastPart(result.err));
    REQUIRE(result.exitCode == 0);
    return json::parse(result.out);
}

inline json hostNamed(const TestDaemonDir& state, const std::string& name) {
    auto hosts = cliJson(state, {"hosts"});
    for (const auto& host : hosts["hosts"])
        if (host["name"] == name || host["hostname"] == name) return host;
    FAIL("no host " << name << " in " << hosts.dump());
    return {};
}

// `shell --node SLOT -- cat /etc/hostname` on member (a node of status's members, on a remote
// host): it runs there and answers with that member's hostname.
inline void checkShellOn(const TestDaemonDir& state, const std::string& cluster, const json& member) {
    auto shell = runCli(
        state, {"shell", "--name", cluster, "--node", std::to_string(member["slot"].get<int>()), "--", "cat", "/etc/hostname"});
    INFO("shell: " << lastPart(shell.err));
    CHECK(shell.exitCode == 0);
    CHECK(shell.out.find(member["hostname"].get<std::string>()) != std::string::npos);
}

// `run hello_world` on the cluster succeeds.
inline void checkHelloWorld(const TestDaemonDir& state, const std::string& cluster) {
    auto run = runCli(state, {"run", "--name", cluster, "hello_world"}, 300);
    INFO("run: " << lastPart(run.err));
    CHECK(run.exitCode == 0);
}

}  // namespace ppcs::integration
