// Hosts of a swarm seen through a fake manager engine: who can get the image, and who is named
// when one cannot. Placement limits and the host messages, from bad input up.

#include "cluster/hosts.h"

#include <catch2/catch.hpp>

#include "api/host_messages.h"
#include "cluster/spec.h"
#include "docker/codecs.h"
#include "support/fake_transport.h"

using namespace ppcs;
using namespace ppcs::cluster;
using ppcs::testing::FakeTransport;

namespace {

// n1 is the manager ppcsd talks to; n2 is registered at a socket that does not exist; n3 has
// no endpoint; n4 is down and n5 drained (neither receives tasks).
const char* kNodes = R"([
  {"ID":"n1","Version":{"Index":7},
   "Description":{"Hostname":"alpha","Resources":{"NanoCPUs":4000000000,"MemoryBytes":8589934592}},
   "Spec":{"Role":"manager","Availability":"active"},"Status":{"State":"ready","Addr":"10.1.0.1"}},
  {"ID":"n2","Version":{"Index":9},"Description":{"Hostname":"beta","Resources":{"NanoCPUs":2000000000}},
   "Spec":{"Role":"worker","Availability":"active",
           "Labels":{"ppcs.host":"b","ppcs.endpoint":"unix:///nonexistent/ppcs-test/b.sock"}},
   "Status":{"State":"ready","Addr":"10.1.0.2"}},
  {"ID":"n3","Description":{"Hostname":"gamma"},"Spec":{"Role":"worker","Availability":"active"},"Status":{"State":"ready"}},
  {"ID":"n4","Description":{"Hostname":"delta"},"Spec":{"Role":"worker","Availability":"active"},"Status":{"State":"down"}},
  {"ID":"n5","Description":{"Hostname":"epsilon"},"Spec":{"Role":"worker","Availability":"drain"},"Status":{"State":"ready"}}
])";

std::shared_ptr<FakeTransport> managerWithNodes() {
    auto transport = std::make_shared<FakeTransport>();
    transport->expect("GET", "/_ping", testing::pingReply("1.41"));
    transport->expectJson("GET", "/v1.41/info", 200,
                          R"({"NCPU":4,"Swarm":{"LocalNodeState":"active","NodeID":"n1","ControlAvailable":true}})");
    transport->expectJson("GET", "/v1.41/nodes", 200, kNodes);
    return transport;
}

}  // namespace

TEST_CASE("node list replies carry the labels, address and version host registration needs", "[cluster][hosts]") {
    auto nodes = docker::decodeNodeList(kNodes);
    REQUIRE(nodes);
    REQUIRE(nodes->size() == 5);
    CHECK((*nodes)[0].version == 7);
    CHECK((*nodes)[0].address == "10.1.0.1");
    CHECK((*nodes)[1].labels.at(kHostEndpointLabel) == "unix:///nonexistent/ppcs-test/b.sock");
    CHECK(schedulable((*nodes)[0]));
    CHECK_FALSE(schedulable((*nodes)[3]));
    CHECK_FALSE(schedulable((*nodes)[4]));
    auto respec = docker::respecNodeLabels(R"({"ID":"n3","Spec":{"Role":"worker","Availability":"active","Labels":{"old":"x"}}})",
                                           {{kHostNameLabel, "g"}});
    REQUIRE(respec);
    CHECK(*respec == R"({"Availability":"active","Labels":{"old":"x","ppcs.host":"g"},"Role":"worker"})");
    auto unlabelled = docker::respecNodeLabels(R"({"ID":"n3","Spec":{"Role":"worker"}})", {{kHostNameLabel, "g"}});
    REQUIRE(unlabelled);
    CHECK(*unlabelled == R"({"Labels":{"ppcs.host":"g"},"Role":"worker"})");
    CHECK_FALSE(docker::respecNodeLabels(R"({"ID":"n3"})", {}));
    CHECK_FALSE(docker::decodeSwarmJoinInfo(R"({"JoinTokens":{}})"));
    CHECK(docker::decodeSwarmJoinInfo(R"({"JoinTokens":{"Worker":"SWMTKN-w","Manager":"SWMTKN-m"}})")->workerToken == "SWMTKN-w");
}

TEST_CASE("a host that lacks the image and cannot get it is named before anything is copied", "[cluster][hosts]") {
    auto transport = managerWithNodes();
    auto local = docker::EngineClient::connect(transport);
    REQUIRE(local);
    auto hosts = HostEngines::discover(*local);
    REQUIRE(hosts);
    CHECK(hosts->engineFor("n1") == &*local);
    CHECK(hosts->engineFor("n2") == nullptr);
    CHECK(hosts->unreachableReason("n2").find("cannot reach the docker engine at unix:///nonexistent/ppcs-test/b.sock") !=
          std::string::npos);
    CHECK(hosts->unreachableReason("n3").find("no engine endpoint registered") != std::string::npos);
    CHECK(hosts->displayName("n2") == "b");
    CHECK(hosts->displayName("n3") == "gamma");

    std::vector<std::string> progress;
    auto ensured = ensureImageOnHosts(*hosts, *local, "sha256:0123456789abcdef0123456789",
                                      [&](model::Phase, const std::string& text) { progress.push_back(text); });
    REQUIRE_FALSE(ensured);
    CHECK(ensured.error().code == ErrorCode::unavailable);
    const auto& message = ensured.error().message;
    INFO(message);
    CHECK(message.find("b (GET /_ping: cannot reach") != std::string::npos);
    CHECK(message.find("gamma (no engine endpoint registered") != std::string::npos);
    CHECK(message.find("delta") == std::string::npos);    // down: receives no task
    CHECK(message.find("epsilon") == std::string::npos);  // drained
    CHECK(progress.empty());
    CHECK(transport->requestsTo("GET", "/v1.41/images").empty());  // nothing asked, nothing copied
}

TEST_CASE("on a single host the image is never copied", "[cluster][hosts]") {
    auto transport = std::make_shared<FakeTransport>();
    transport->expect("GET", "/_ping", testing::pingReply("1.41"));
    transport->expectJson("GET", "/v1.41/info", 200,
                          R"({"Swarm":{"LocalNodeState":"active","NodeID":"n1","ControlAvailable":true}})");
    transport->expectJson("GET", "/v1.41/nodes", 200,
                          R"([{"ID":"n1","Description":{"Hostname":"alpha"},"Spec":{"Role":"manager","Availability":"active"},)"
                          R"("Status":{"State":"ready"}}])");
    auto local = docker::EngineClient::connect(transport);
    REQUIRE(local);
    auto hosts = HostEngines::discover(*local);
    REQUIRE(hosts);
    REQUIRE(ensureImageOnHosts(*hosts, *local, "sha256:abc", [](model::Phase, const std::string&) {}));
    CHECK(transport->requestsTo("GET", "/v1.41/images").empty());
}

TEST_CASE("placement limits: --per-host and the hosts that can hold the nodes", "[cluster][hosts]") {
    CHECK(validatePerHost(0));
    CHECK(validatePerHost(3));
    CHECK_FALSE(validatePerHost(-1));
    CHECK_FALSE(validatePerHost(kMaxNodes + 1));
    CHECK(validatePlacement(6, 0, 1));
    CHECK(validatePlacement(6, 2, 3));
    auto tooMany = validatePlacement(7, 2, 3);
    REQUIRE_FALSE(tooMany);
    CHECK(tooMany.error().code == ErrorCode::usage);
    CHECK(tooMany.error().message ==
          "7 nodes at --per-host 2 need 4 hosts, and the swarm has 3 ready: add hosts, raise --per-host or ask for fewer nodes");
    docker::ServiceSpec spec;
    spec.name = "c_mpinode";
    spec.maxPerNode = 2;
    spec.mounts = {{"c_mpishare", "/usr/local/var/mpishare", {{"ppcs.cluster", "c"}}}};
    auto encoded = docker::encodeServiceSpec(spec);
    CHECK(encoded.find(R"("Placement":{"MaxReplicas":2})") != std::string::npos);
    CHECK(encoded.find(R"("VolumeOptions":{"Labels":{"ppcs.cluster":"c"}})") != std::string::npos);
}

TEST_CASE("host requests over the API are checked like the CLI's arguments", "[cluster][hosts][api]") {
    for (const char* body : {R"({"name":"h","endpoint":"http://x:1"})", R"({"name":"","endpoint":"unix:///a.sock"})",
                             R"({"name":"a/b","endpoint":"unix:///a.sock"})", R"({"name":"h","endpoint":"tcp://x:0"})",
                             R"({"name":"h","endpoint":7})", R"({"name":"h","endpoint":"unix:///a.sock","extra":1})", R"([])"}) {
        INFO(body);
        auto decoded = api::decodeAddHostRequest(body);
        REQUIRE_FALSE(decoded);
        CHECK(decoded.error().code == ErrorCode::usage);
    }
    auto good = api::decodeAddHostRequest(R"({"name":"sim-2","endpoint":"tcp://10.0.0.2:2375","insecure":true})");
    REQUIRE(good);
    CHECK(good->endpoint == "tcp://10.0.0.2:2375");
    Host host;
    host.name = "b";
    host.image = "missing";
    host.memoryBytes = 1LL << 33;
    auto hosts = api::decodeHosts(api::encodeHosts({host}));
    REQUIRE(hosts);
    REQUIRE(hosts->size() == 1);
    CHECK((*hosts)[0].memoryBytes == 1LL << 33);
    CHECK((*hosts)[0].image == "missing");
    CHECK(*api::decodeJoinCommand(api::encodeJoinCommand("docker swarm join --token T a:2377")) ==
          "docker swarm join --token T a:2377");
}

TEST_CASE("registries are HOST[:PORT], and a push sends anonymous credentials and returns the digest",
          "[cluster][hosts][registry]") {
    for (const char* good : {"", "reg", "10.0.0.4:5000", "registry.example-1.org:443"}) CHECK(validateRegistry(good));
    for (const char* bad : {"http://reg:5000", "reg:5000/path", "reg:0", "reg:65536", "reg:", "-reg", "reg:50a", "re g"}) {
        INFO(bad);
        auto checked = validateRegistry(bad);
        REQUIRE_FALSE(checked);
        CHECK(checked.error().code == ErrorCode::usage);
    }
    auto transport = std::make_shared<FakeTransport>();
    transport->expect("GET", "/_ping", testing::pingReply("1.41"));
    transport->expectJson("POST", "/v1.41/images/reg:5000/ppcs-openmpi/push", 200,
                          "{\"status\":\"Pushed\"}\n{\"status\":\"abc: digest: sha256:d1 size: 1\"}\n"
                          "{\"progressDetail\":{},\"aux\":{\"Tag\":\"abc\",\"Digest\":\"sha256:d1\",\"Size\":1}}\n");
    transport->expectJson("POST", "/v1.41/images/reg:5000/ppcs-openmpi/push", 200,
                          "{\"errorDetail\":{\"message\":\"connection refused\"},\"error\":\"connection refused\"}\n");
    auto engine = docker::EngineClient::connect(transport);
    REQUIRE(engine);
    auto digest = engine->pushImage("reg:5000/ppcs-openmpi", "abc", {});
    REQUIRE(digest);
    CHECK(*digest == "sha256:d1");
    auto sent = transport->requestsTo("POST", "/v1.41/images/reg:5000/ppcs-openmpi/push");
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].target.find("?tag=abc") != std::string::npos);
    CHECK(sent[0].headers.at("X-Registry-Auth") == "e30=");
    auto refused = engine->pushImage("reg:5000/ppcs-openmpi", "abc", {});
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message.find("connection refused") != std::string::npos);
}
