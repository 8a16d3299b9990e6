#include <catch2/catch.hpp>

#include "api/cluster_messages.h"
#include "cluster/cluster_files.h"
#include "cluster/reconciler.h"
#include "cluster/spec.h"
#include "cluster/subnet.h"

using namespace ppcs;
using namespace ppcs::cluster;

namespace {

ObservedCluster completeCluster(std::uint64_t replicas, const std::string& subnet = "10.128.0.0/24") {
    ObservedCluster observed;
    observed.name = "demo";
    observed.head = docker::ServiceInfo{"h", 1, "demo_mpihead", {}, "sha256:i", 1, ""};
    observed.nodes = docker::ServiceInfo{"n", 1, "demo_mpinode", {}, "sha256:i", replicas, ""};
    observed.network = docker::NetworkInfo{"net", "demo_net", {}, {subnet}};
    observed.secrets = {docker::SecretInfo{"s", "demo_ssh_1", {}}};
    return observed;
}

}  // namespace

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

TEST_CASE("plans: create, no-op, scale, refuse", "[cluster][plan]") {
    ClusterSpec spec{"demo", 3, 0};
    SECTION("nothing there: create everything") {
        ObservedCluster nothing;
        nothing.name = "demo";
        auto plan = planUp(spec, nothing);
        CHECK_FALSE(plan.refusal);
        CHECK(plan.steps == std::vector<Step>{Step::createNetwork, Step::createVolume, Step::createKeySecret,
                                              Step::createHeadService, Step::createNodeService, Step::makeReady});
    }
    SECTION("a volume kept by down is reused") {
        ObservedCluster onlyVolume;
        onlyVolume.name = "demo";
        onlyVolume.volume = docker::VolumeInfo{"demo_mpishare", {}};
        auto plan = planUp(spec, onlyVolume);
        CHECK(std::find(plan.steps.begin(), plan.steps.end(), Step::createVolume) == plan.steps.end());
    }
    SECTION("same size: only verify") { CHECK(planUp(spec, completeCluster(3)).steps == std::vector<Step>{Step::makeReady}); }
    SECTION("other size: scale") {
        CHECK(planUp(spec, completeCluster(5)).steps == std::vector<Step>{Step::scaleNodes, Step::makeReady});
    }
    SECTION("half there: refuse and say what is missing") {
        auto broken = completeCluster(3);
        broken.network.reset();
        auto plan = planUp(spec, broken);
        REQUIRE(plan.refusal);
        CHECK(plan.refusal->code == ErrorCode::conflict);
        CHECK(plan.refusal->message.find("missing network") != std::string::npos);
    }
    SECTION("more nodes than the network holds") {
        ClusterSpec big{"demo", 300, 0};
        auto plan = planUp(big, completeCluster(3, "10.128.0.0/24"));
        REQUIRE(plan.refusal);
        CHECK(plan.refusal->message.find("holds at most 247 nodes") != std::string::npos);
    }
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
    CHECK(good->spec.nodes == 9);
    CHECK_FALSE(api::decodeScaleRequest(R"({"name":"demo"})"));
    CHECK_FALSE(api::decodeDownRequest(R"({"name":"demo","volumes":"yes"})"));
    CHECK(api::decodeDownRequest(R"({"name":"demo","volumes":true})")->removeVolume);
}
