// An engine that already has an IPv6-enabled network: `up` still finds a free IPv4 overlay subnet.

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "docker/transport.h"
#include "integration/support.h"

using namespace ppcs;
using namespace ppcs::integration;
using nlohmann::json;

namespace {

// A dual-stack bridge network (the engine adds an IPv4 subnet beside the given IPv6 one), labelled
// for this test run and removed at the end, pass or fail. EngineClient's NetworkSpec has no IPv6
// switch, so it is created with a raw Engine API call.
class TestIpv6Network {
public:
    TestIpv6Network() : transport_(makeTransport()) {
        char subnet[64];
        std::snprintf(subnet, sizeof subnet, "fd00:a9c5:%x::/64", static_cast<unsigned>(::getpid()) & 0xffffu);
        subnet_ = subnet;
        json body{{"Name", runId() + "-v6"},
                  {"Driver", "bridge"},
                  {"EnableIPv6", true},
                  {"Labels", testLabels()},
                  {"IPAM", {{"Driver", "default"}, {"Config", json::array({{{"Subnet", subnet_}}})}}}};
        auto reply = transport_->send({"POST", "/v1.41/networks/create", body.dump()});
        REQUIRE(reply);
        INFO("engine: " << reply->body);
        REQUIRE(reply->status == 201);
        id_ = json::parse(reply->body).at("Id").get<std::string>();
    }
    ~TestIpv6Network() {
        if (!id_.empty()) (void)transport_->send({"DELETE", "/v1.41/networks/" + id_, ""});  // clean-up: gone already is fine
    }
    const std::string& subnet() const { return subnet_; }

private:
    static std::shared_ptr<docker::Transport> makeTransport() {
        auto endpoint = model::endpointFromEnvironment(model::processDockerEnvironment());
        REQUIRE(endpoint);
        auto transport = docker::makeTransport(*endpoint);
        REQUIRE(transport);
        return *transport;
    }

    std::shared_ptr<docker::Transport> transport_;
    std::string subnet_;
    std::string id_;
};

}  // namespace

TEST_CASE("an IPv6 network on the engine does not block up, and run /bin/hostname runs the image's", "[docker]") {
    auto engine = requireEngine();
    ensureNodeImage();
    TestIpv6Network network;
    auto listed = engine.listNetworks(testLabels());
    REQUIRE(listed);
    REQUIRE(listed->size() == 1);
    CHECK(std::find(listed->front().subnets.begin(), listed->front().subnets.end(), network.subnet()) !=
          listed->front().subnets.end());

    TestDaemonDir state;
    std::string name = testClusterName("v6");
    auto up = runCli(state, {"up", "--nodes", "1", "--name", name});
    INFO("up stderr: " << lastPart(up.err, 1500));
    CHECK(up.exitCode == 0);
    if (up.exitCode == 0) {
        // This host has a /bin/hostname too: the image's runs, on every rank, and prints the members' names.
        auto ran = runCli(state, {"run", "--name", name, "/bin/hostname"});
        INFO("run stderr: " << lastPart(ran.err, 1500));
        CHECK(ran.exitCode == 0);
        CHECK(ran.out.find(name + "-head") != std::string::npos);
    }
    auto down = runCli(state, {"down", "--volumes", "--name", name}, 180);
    INFO("down stderr: " << lastPart(down.err, 1500));
    CHECK(down.exitCode == 0);
}
