// Podman's Docker-compatible API (Podman 4.3.1, Debian 12) answers some calls differently from
// Docker's engine: its replies, recorded from `podman system service` (tests/data/podman), decode
// into what EngineClient's callers get from Docker.

#include <catch2/catch.hpp>

#include "common/files.h"
#include "common/strings.h"
#include "docker/codecs.h"
#include "docker/engine.h"
#include "support/fake_transport.h"
#include "support/test_paths.h"

using namespace ppcs;
using namespace ppcs::docker;
using ppcs::testing::FakeReply;
using ppcs::testing::FakeTransport;

namespace {

std::string recorded(const std::string& name) {
    auto text = readFile(ppcs::testing::dataFile("podman/" + name));
    REQUIRE(text);
    return *text;
}

// A transport whose /_ping answers as Podman's service does (both version headers).
std::shared_ptr<FakeTransport> podmanTransport() {
    auto transport = std::make_shared<FakeTransport>();
    transport->expect("GET", "/_ping", FakeReply{200, {{"api-version", "1.41"}, {"libpod-api-version", "4.3.1"}}, {"OK"}});
    return transport;
}

}  // namespace

TEST_CASE("podman: /info says Podman, its version, and a swarm that can never be", "[docker][podman]") {
    auto info = decodeEngineInfo(recorded("info.json"));
    REQUIRE(info);
    CHECK(info->podman);
    CHECK(info->serverVersion == "4.3.1");
    CHECK(info->swarmState == "inactive");
    CHECK_FALSE(info->swarmSupported);
    CHECK(engineProduct(*info) == "Podman 4.3.1");
    CHECK(info->cpus == 2);
    auto docker = decodeEngineInfo(R"({"ServerVersion":"20.10.24+dfsg1","Swarm":{"LocalNodeState":"inactive"}})");
    REQUIRE(docker);
    CHECK_FALSE(docker->podman);
    CHECK(docker->swarmSupported);
    CHECK(engineProduct(*docker) == "Docker 20.10.24+dfsg1");
}

TEST_CASE("podman: the client knows it talks to Podman from /_ping", "[docker][podman]") {
    auto podman = EngineClient::connect(podmanTransport());
    REQUIRE(podman);
    CHECK(podman->isPodman());
    auto docker = std::make_shared<FakeTransport>();
    docker->expect("GET", "/_ping", ppcs::testing::pingReply("1.41"));
    auto client = EngineClient::connect(docker);
    REQUIRE(client);
    CHECK_FALSE(client->isPodman());
}

TEST_CASE("podman: a one-shot stats reply has no earlier sample, two replies give CPU use", "[docker][podman]") {
    auto first = recorded("stats_first.json");
    auto second = recorded("stats_second.json");
    auto previous = statsHavePreviousSample(first);
    REQUIRE(previous);
    CHECK_FALSE(*previous);
    // Docker's ?stream=false carries a precpu_stats sampled a second earlier.
    auto docker = statsHavePreviousSample(R"({"precpu_stats":{"system_cpu_usage":5,"cpu_usage":{"total_usage":1}}})");
    REQUIRE(docker);
    CHECK(*docker);
    auto stats = decodeContainerStatsPair(first, second);
    REQUIRE(stats);
    // (276123686 - 183777966) / (24949947095081 - 24947921303789) x 2 CPUs x 100
    CHECK(stats->cpuPercent == Approx(9.117).epsilon(0.001));
    CHECK(stats->memoryLimitBytes == 268435456);
    CHECK(stats->memoryBytes > 0);
    CHECK(stats->rxBytes > 0);  // Podman's one interface is called "network", not "eth0"
    CHECK_FALSE(decodeContainerStatsPair("{", second));
}

TEST_CASE("podman: stats through the client ask twice when the first reply has no earlier sample", "[docker][podman]") {
    auto transport = podmanTransport();
    auto engine = EngineClient::connect(transport);
    REQUIRE(engine);
    transport->expectJson("GET", "/v1.41/containers/abc/stats", 200, recorded("stats_first.json"));
    transport->expectJson("GET", "/v1.41/containers/abc/stats", 200, recorded("stats_second.json"));
    auto stats = engine->containerStats("abc");
    REQUIRE(stats);
    CHECK(stats->cpuPercent == Approx(9.117).epsilon(0.001));
    CHECK(transport->requests.size() == 3);
}

TEST_CASE("podman: stats of a container that is not running are zeros, as Docker's are", "[docker][podman]") {
    auto transport = podmanTransport();
    auto engine = EngineClient::connect(transport);
    REQUIRE(engine);
    // Podman 4.3's reply for a created or exited container: 200 and no body at all.
    transport->expect("GET", "/v1.41/containers/abc/stats", FakeReply{200, {}, {}});
    auto stats = engine->containerStats("abc");
    REQUIRE(stats);
    CHECK(stats->cpuPercent == 0);
    CHECK(stats->memoryBytes == 0);
    CHECK(transport->requests.size() == 2);
    // Docker's zeros for a stopped container carry no earlier sample either, and are not asked twice.
    auto docker = std::make_shared<FakeTransport>();
    docker->expect("GET", "/_ping", ppcs::testing::pingReply("1.41"));
    auto client = EngineClient::connect(docker);
    REQUIRE(client);
    docker->expectJson("GET", "/v1.41/containers/abc/stats", 200,
                       R"({"read":"0001-01-01T00:00:00Z","cpu_stats":{"cpu_usage":{"total_usage":0}},"precpu_stats":{}})");
    REQUIRE(client->containerStats("abc"));
    CHECK(docker->requests.size() == 2);
}

TEST_CASE("podman: a container's events, with its removal named as Docker names it", "[docker][podman]") {
    LineSplitter splitter;
    std::vector<EngineEvent> events;
    for (const auto& line : splitter.feed(recorded("events_kill_start_remove.ndjson"))) {
        auto event = decodeEvent(line);
        REQUIRE(event);
        events.push_back(*event);
    }
    std::vector<std::string> actions;
    for (const auto& event : events) actions.push_back(event.action);
    // Podman says "remove" at the end; "init" and "cleanup" are its own additions.
    CHECK(actions == std::vector<std::string>{"kill", "die", "cleanup", "init", "start", "die", "cleanup", "destroy"});
    const auto& died = events.at(1);
    CHECK(died.type == "container");
    CHECK(died.attributes.at("exitCode") == "137");
    CHECK(died.attributes.at("ppcs.cluster") == "podmanx-probe");
    CHECK(died.attributes.at("name") == "podmanx-probe-node1");
    CHECK(died.actorId.size() == 64);
    CHECK(died.timeNano > 0);
    auto image = decodeEvent(R"({"Type":"image","Action":"remove","Actor":{"ID":"sha256:1"}})");
    REQUIRE(image);
    CHECK(image->action == "remove");
}

TEST_CASE("podman: its 500 replies for a taken name or a wrong state are conflicts", "[docker][podman]") {
    CHECK(engineErrorCause(recorded("error_network_exists.json")) == "network already exists");
    CHECK(engineErrorCause(R"({"message":"No such image"})").empty());
    CHECK(engineErrorCause("Not Found").empty());
    auto transport = podmanTransport();
    auto engine = EngineClient::connect(transport);
    REQUIRE(engine);
    transport->expectJson("POST", "/v1.41/containers/create", 500, recorded("error_container_name_in_use.json"));
    auto created = engine->createContainer(ContainerSpec{"podmanx-probe-head", "img"});
    REQUIRE_FALSE(created);
    CHECK(created.error().code == ErrorCode::conflict);
    CHECK(created.error().message.find("POST /containers/create: engine 500: container create: creating container storage: "
                                       "the container name \"podmanx-probe-head\" is already in use") == 0);
    transport->expectJson("POST", "/v1.41/networks/create", 500, recorded("error_network_exists.json"));
    auto network = engine->createNetwork(NetworkSpec{"podmanx-probe-net", "bridge"});
    REQUIRE_FALSE(network);
    CHECK(network.error().code == ErrorCode::conflict);
    transport->expectJson("POST", "/v1.41/containers/x/kill", 500, recorded("error_kill_not_running.json"));
    CHECK(engine->killContainer("x").error().code == ErrorCode::conflict);
    transport->expectJson("POST", "/v1.41/containers/x/exec", 500, recorded("error_exec_not_running.json"));
    CHECK(engine->createExec("x", ExecSpec{{"true"}}).error().code == ErrorCode::conflict);
    transport->expectJson("DELETE", "/v1.41/containers/x", 500, recorded("error_remove_running.json"));
    CHECK(engine->removeContainer("x", false).error().code == ErrorCode::conflict);
    transport->expectJson("DELETE", "/v1.41/networks/n", 500, recorded("error_network_in_use.json"));
    CHECK(engine->removeNetwork("n").error().code == ErrorCode::conflict);
    transport->expectJson("POST", "/v1.41/containers/x/start", 500, R"({"cause":"something else","message":"m","response":500})");
    CHECK(engine->startContainer("x").error().code == ErrorCode::failed);
}

TEST_CASE("podman: an import names its image once, and takes its tag inside repo", "[docker][podman]") {
    auto line = recorded("import_progress.ndjson");
    auto message = decodeProgressLine(line.substr(0, line.find('\n')));
    REQUIRE(message);
    CHECK(message->text == "sha256:582b38a59bfdf51444f7b9bea8b252efccf6165cfaa2cc1ba58de9d836610d6f");
    auto transport = podmanTransport();
    auto engine = EngineClient::connect(transport);
    REQUIRE(engine);
    transport->expect("POST", "/v1.41/images/create", FakeReply{200, {}, {line}});
    auto imported = engine->importImage("tar", "debian", "bookworm-slim", {"CMD [\"bash\"]"}, nullptr);
    REQUIRE(imported);
    CHECK(*imported == "sha256:582b38a59bfdf51444f7b9bea8b252efccf6165cfaa2cc1ba58de9d836610d6f");
    const auto& target = transport->requests.back().target;
    CHECK(target.find("repo=debian%3Abookworm-slim") != std::string::npos);
    CHECK(target.find("&tag=") == std::string::npos);
}

TEST_CASE("podman: container lists key addresses by network name", "[docker][podman]") {
    auto containers = decodeContainerList(recorded("container_list.json"));
    REQUIRE(containers);
    REQUIRE(containers->size() == 1);
    const auto& head = containers->front();
    CHECK(head.names == std::vector<std::string>{"/podmanx-probe-head"});
    CHECK(head.state == "running");
    CHECK(head.labels.at("ppcs.role") == "head");
    // Podman's NetworkID is the network's name too; the key is the name on both engines.
    CHECK(head.addresses == std::map<std::string, std::string>{{"podmanx-probe-net", "10.231.0.2"}});
}

TEST_CASE("podman: exec, network and volume replies decode as Docker's do", "[docker][podman]") {
    // Podman reports ExitCode 0 (not null) while the exec runs: Running is what tells.
    auto running = decodeExecState(recorded("exec_inspect_running.json"));
    REQUIRE(running);
    CHECK(running->running);
    auto networks = decodeNetworkList(recorded("network_list.json"));
    REQUIRE(networks);
    REQUIRE(networks->size() == 1);
    CHECK(networks->front().name == "podmanx-probe-net");
    CHECK(networks->front().id.size() == 64);
    CHECK(networks->front().subnets == std::vector<std::string>{"10.231.0.0/24"});
    CHECK(networks->front().labels.at("ppcs.cluster") == "podmanx-probe");
    auto volumes = decodeVolumeList(recorded("volume_list.json"));
    REQUIRE(volumes);
    REQUIRE(volumes->size() == 1);
    CHECK(volumes->front().name == "podmanx-probe-vol");
    CHECK(volumes->front().labels.at("ppcs.cluster") == "podmanx-probe");
}

TEST_CASE("podman: swarm lists are empty on an engine without Swarm routes", "[docker][podman]") {
    auto transport = podmanTransport();
    auto engine = EngineClient::connect(transport);
    REQUIRE(engine);
    transport->expect("GET", "/v1.41/services", FakeReply{404, {}, {"Not Found"}});
    transport->expectJson("GET", "/v1.41/info", 200, recorded("info.json"));
    auto services = engine->listServices({{"ppcs.cluster", "x"}});
    REQUIRE(services);
    CHECK(services->empty());
    transport->expect("GET", "/v1.41/tasks", FakeReply{404, {}, {"Not Found"}});
    transport->expectJson("GET", "/v1.41/info", 200, recorded("info.json"));
    auto tasks = engine->listTasks({});
    REQUIRE(tasks);
    CHECK(tasks->empty());
}

TEST_CASE("podman: past events are asked until a moment to come, and later ones dropped", "[docker][podman]") {
    auto transport = podmanTransport();
    auto engine = EngineClient::connect(transport);
    REQUIRE(engine);
    transport->expect("GET", "/v1.41/events", FakeReply{200, {}, {recorded("events_kill_start_remove.ndjson")}});
    // Until the first die (1796641677508337073 ns), which the reply's later events pass.
    auto events = engine->pastEvents({{"label", {"ppcs.cluster=podmanx-probe"}}}, 1796641670, 1796641677.6);
    REQUIRE(events);
    REQUIRE(events->size() == 2);
    CHECK(events->back().action == "die");
    const auto& target = transport->requests.back().target;
    auto until = std::stod(target.substr(target.find("until=") + 6));
    CHECK(until > 1796641677.6);
}

TEST_CASE("podman: event filters name what Podman calls die and destroy", "[docker][podman]") {
    std::map<std::string, std::vector<std::string>> filters{
        {"event", {"die", "destroy", "start"}}, {"label", {"ppcs.cluster=die"}}, {"type", {"container"}}};
    auto podman = podmanEventFilters(filters);
    CHECK(podman.at("event") == std::vector<std::string>{"died", "remove", "start"});
    CHECK(podman.at("label") == filters.at("label"));
    CHECK(podman.at("type") == filters.at("type"));
    CHECK(podmanEventFilters({{"label", {"a=b"}}}).count("event") == 0);
    auto transport = podmanTransport();
    auto engine = EngineClient::connect(transport);
    REQUIRE(engine);
    transport->expect("GET", "/v1.41/events", FakeReply{200, {}, {recorded("events_kill_start_remove.ndjson")}});
    REQUIRE(engine->followEvents({{"event", {"die"}}}, 1, std::chrono::seconds(5), [](const EngineEvent&) { return false; }));
    CHECK(transport->requests.back().target.find(percentEncode(R"({"event":["died"]})")) != std::string::npos);
}

TEST_CASE("podman: a volume list asked for two labels keeps only volumes with both", "[docker][podman]") {
    CHECK(hasLabels({{"a", "1"}, {"b", "2"}}, {{"a", "1"}, {"b", ""}}));
    CHECK(hasLabels({{"a", "1"}}, {}));
    CHECK_FALSE(hasLabels({{"a", "1"}}, {{"a", "2"}}));
    CHECK_FALSE(hasLabels({{"a", "1"}}, {{"a", "1"}, {"b", ""}}));
    auto transport = podmanTransport();
    auto engine = EngineClient::connect(transport);
    REQUIRE(engine);
    // Podman's reply to {"label":["ppcs.cluster=podmanx-lf","ppcs.role=a"]}: role b came too.
    transport->expectJson("GET", "/v1.41/volumes", 200, recorded("volume_list_two_labels.json"));
    auto volumes = engine->listVolumes({{"ppcs.cluster", "podmanx-lf"}, {"ppcs.role", "a"}});
    REQUIRE(volumes);
    REQUIRE(volumes->size() == 1);
    CHECK(volumes->front().name == "podmanx-lf-v1");
}

TEST_CASE("podman: an exec's output stream is framed as Docker frames it", "[docker][podman]") {
    // POST /exec/{id}/start of `ls -ld ...; getent hosts ...; echo err >&2; exit 3`, as Podman sent it.
    auto stream = recorded("exec_stream.bin");
    std::string out;
    std::string err;
    ExecDemuxer demuxer;
    for (std::size_t offset = 0; offset < stream.size(); offset += 5) {
        auto fed = demuxer.feed(stream.substr(offset, 5), [&](OutputStream which, std::string_view piece) {
            (which == OutputStream::out ? out : err).append(piece);
            return true;
        });
        REQUIRE(fed);
    }
    CHECK(demuxer.atFrameBoundary());
    CHECK(out.find("/root/authorized_keys\n") != std::string::npos);
    CHECK(out.find("mpinode.dns.podman\n") != std::string::npos);
    CHECK(err == "err\n");
}
