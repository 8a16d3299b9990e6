#include <catch2/catch.hpp>

#include "api/cluster_messages.h"
#include "cluster/cluster_files.h"
#include "cluster/spec.h"
#include "cluster/subnet.h"

using namespace ppcs;
using namespace ppcs::cluster;

TEST_CASE("cluster names, node counts and slots are validated", "[cluster][spec]") {
    for (std::string bad :
         std::vector<std::string>{"", "Demo", "1demo", "demo_x", "demo.x", "de mo", "demo;rm", std::string(41, 'a'), "../x"}) {
        INFO(bad);
        CHECK(validateClusterName(bad).error().code == ErrorCode::usage);
    }
    CHECK(validateClusterName("demo-2"));
    CHECK(validateClusterName(std::string(40, 'a')));
    for (int bad : {0, -1, kMaxNodes + 1, 100000}) CHECK_FALSE(validateNodeCount(bad));
    CHECK(validateNodeCount(1));
    CHECK(validateNodeCount(kMaxNodes));
    CHECK_FALSE(validateSlots(-1));
    CHECK_FALSE(validateSlots(kMaxSlots + 1));
    CHECK(validateSlots(0));
}

TEST_CASE("subnets are sized for the cluster and never overlap", "[cluster][subnet]") {
    CHECK(prefixFor(10) == 24);
    CHECK(prefixFor(300) == 23);
    CHECK(prefixFor(2000) == 21);
    CHECK(*chooseSubnet({}, 9) == "10.128.0.0/24");
    CHECK(*chooseSubnet({"10.128.0.0/24", "172.17.0.0/16"}, 9) == "10.128.1.0/24");
    CHECK(*chooseSubnet({"10.128.0.0/24"}, 200) == "10.128.2.0/23");
    CHECK(chooseSubnet({"10.128.0.0/9"}, 9).error().code == ErrorCode::unavailable);
    CHECK(chooseSubnet({"not-a-cidr"}, 9).error().code == ErrorCode::usage);
    CHECK(nodeCapacity("10.128.0.0/24") == 247);
    CHECK(addressInSubnet("10.128.1.7/24", "10.128.1.0/24"));
    CHECK_FALSE(addressInSubnet("10.128.2.7", "10.128.1.0/24"));
}

TEST_CASE("per-cluster MPI settings pin both TCP channels to the overlay", "[cluster][files]") {
    auto text = renderMcaParams("demo", {"10.128.0.0/24", true});
    CHECK(text.find("btl_tcp_if_include = 10.128.0.0/24\n") != std::string::npos);
    CHECK(text.find("oob_tcp_if_include = 10.128.0.0/24\n") != std::string::npos);
    CHECK(text.find("mpi_yield_when_idle = 1\n") != std::string::npos);
    CHECK(renderMcaParams("demo", {"10.128.0.0/24", false}).find("mpi_yield_when_idle = 0\n") != std::string::npos);
    auto known = renderKnownHosts({{"10.128.0.2", "demo-head", "ssh-ed25519 AAAAkey root@abc\n"}, {"10.128.0.3", "", "garbage"}});
    CHECK(known == "10.128.0.2,demo-head ssh-ed25519 AAAAkey\n");
}

TEST_CASE("cluster requests over the API are checked like the CLI's arguments", "[cluster][api]") {
    struct Case {
        std::string body;
        std::string says;
    };
    std::vector<Case> upCases{
        {R"({"nodes":0})", "--nodes must be from 1"},
        {R"({"nodes":-1})", "--nodes must be from 1"},
        {R"({"nodes":100000})", "--nodes must be from 1"},
        {R"({"nodes":99999999999})", "out of range"},
        {R"({"nodes":"3"})", "wrong type"},
        {R"({"nodes":3,"name":"../etc"})", "is not valid"},
        {R"({"nodes":3,"name":"x; rm -rf /"})", "is not valid"},
        {R"({"nodes":3,"slots":-2})", "--slots"},
        {R"({"nodes":3,"timeout_seconds":0})", "timeout"},
        {R"({"nodes":3,"extra":true})", "unknown field"},
        {R"({"nodes":3,"per_host":-1})", "--per-host"},
        {R"({"nodes":3,"registry":"http://r:5000"})", "--registry"},
        {R"({"nodes":3,"registry":5000})", "wrong type"},
        {R"(["nodes",3])", "not a JSON object"},
    };
    for (const auto& c : upCases) {
        INFO(c.body);
        auto decoded = api::decodeUpRequest(c.body);
        REQUIRE_FALSE(decoded);
        CHECK(decoded.error().code == ErrorCode::usage);
        CHECK(decoded.error().message.find(c.says) != std::string::npos);
    }
    auto good = api::decodeUpRequest(R"({"nodes":9})");
    REQUIRE(good);
    CHECK(good->spec.name == "ppcs");
    CHECK(good->spec.nodeCount == 9);
    CHECK_FALSE(api::decodeScaleRequest(R"({"name":"demo"})"));
    CHECK_FALSE(api::decodeDownRequest(R"({"name":"demo","volumes":"yes"})"));
    CHECK(api::decodeDownRequest(R"({"name":"demo","volumes":true})")->removeVolume);
}
