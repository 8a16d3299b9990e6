#include "integration/simulated_hosts.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <regex>

#include "common/strings.h"
#include "integration/support.h"
#include "support/test_paths.h"

namespace ppcs::integration {

using ppcs::testing::ProcessResult;
using ppcs::testing::runProcess;

SimulatedHosts::SimulatedHosts(int count, bool withRegistry)
    : outerEngine_(requireEngine().endpoint()), name_("ppcs-it-sim-" + std::to_string(::getpid())) {
    char pattern[] = "/tmp/ppcs-it-sim-XXXXXX";
    dir_ = ::mkdtemp(pattern);
    std::vector<std::string> args{"up", std::to_string(count)};
    if (withRegistry) args.push_back("--registry");
    auto up = script(args, 900);
    if (up.exitCode != 0) std::system(("rm -rf " + dir_).c_str());  // the destructor will not run
    INFO("sim-hosts up: " << lastPart(up.err));
    REQUIRE(up.exitCode == 0);
    up_ = true;
    static const std::regex registryLine(R"(export PPCS_SIM_REGISTRY=(\S+))");
    std::smatch found;
    if (std::regex_search(up.out, found, registryLine)) registry_ = found[1];
    CHECK(registry_.empty() != withRegistry);
}

SimulatedHosts::~SimulatedHosts() {
    if (up_) script({"down"}, 300);
    std::system(("rm -rf " + dir_).c_str());
}

ProcessResult SimulatedHosts::down() {
    up_ = false;
    return script({"down"}, 300);
}

std::string SimulatedHosts::tcpEndpoint(int host) const {
    const std::regex line(hostName(host) + R"( \S+ +# or (tcp://\S+))");
    std::smatch found;
    auto env = script({"env"}, 60);
    REQUIRE(std::regex_search(env.out, found, line));
    return found[1];
}

std::string SimulatedHosts::address(int host) const {
    auto inspected = runProcess(
        {"docker", "inspect", "-f", "{{(index .NetworkSettings.Networks \"" + name_ + "-net\").IPAddress}}", hostName(host)},
        {{"DOCKER_HOST", outerEngine_}}, 60);
    INFO("docker inspect " << hostName(host) << ": " << inspected.err);
    REQUIRE(inspected.exitCode == 0);
    std::string address(trim(inspected.out));
    REQUIRE_FALSE(address.empty());
    return address;
}

std::string SimulatedHosts::enableTls(int host, const std::string& certDir) const {
    auto tls = script({"tls", std::to_string(host), certDir}, 180);
    INFO("sim-hosts tls: " << lastPart(tls.err));
    REQUIRE(tls.exitCode == 0);
    return std::string(trim(tls.out));
}

std::string SimulatedHosts::enableSsh(int host, const std::string& publicKeyFile) const {
    auto ssh = script({"ssh", std::to_string(host), publicKeyFile}, 120);
    INFO("sim-hosts ssh: " << lastPart(ssh.err));
    REQUIRE(ssh.exitCode == 0);
    return std::string(trim(ssh.out));
}

docker::EngineClient SimulatedHosts::engine(int host) const {
    auto engine = docker::EngineClient::connectTo(endpoint(host));
    INFO((engine ? "" : engine.error().message));
    REQUIRE(engine);
    return std::move(*engine);
}

ProcessResult SimulatedHosts::script(std::vector<std::string> args, int timeLimit) const {
    args.insert(args.begin(), ppcs::testing::sourceDir() + "/scripts/sim-hosts");
    args.insert(args.begin(), "bash");
    // The simulation goes on the engine the tests use.
    return runProcess(args,
                      {{"PPCS_SIM_DIR", dir_},
                       {"PPCS_SIM_NAME", name_},
                       {"PPCS_BUILD_DIR", ppcs::testing::buildDir()},
                       {"PPCS_SIM_OUTER_ENGINE", outerEngine_}},
                      timeLimit);
}

}  // namespace ppcs::integration
