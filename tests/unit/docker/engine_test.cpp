#include "docker/engine.h"

#include <catch2/catch.hpp>

#include "common/files.h"
#include "docker/image_copy.h"
#include "support/fake_transport.h"
#include "support/test_paths.h"

using namespace ppcs;
using namespace ppcs::docker;
using ppcs::testing::FakeReply;
using ppcs::testing::FakeTransport;

namespace {

std::shared_ptr<FakeTransport> transportWithPing(const std::string& apiVersion = "1.41") {
    auto transport = std::make_shared<FakeTransport>();
    transport->expect("GET", "/_ping", ppcs::testing::pingReply(apiVersion));
    return transport;
}

}  // namespace

TEST_CASE("connect negotiates API 1.41 through /_ping", "[docker][engine]") {
    auto transport = transportWithPing("1.43");
    auto engine = EngineClient::connect(transport);
    REQUIRE(engine);
    CHECK(engine->engineApiVersion() == "1.43");
    transport->expectJson("GET", "/v1.41/images/ppcs-openmpi:latest/json", 404, R"({"message":"No such image"})");
    auto missing = engine->inspectImage("ppcs-openmpi:latest");
    REQUIRE(missing);
    CHECK_FALSE(missing->has_value());
}

TEST_CASE("an engine older than 1.41 is refused with both versions named", "[docker][engine]") {
    auto engine = EngineClient::connect(transportWithPing("1.40"));
    REQUIRE_FALSE(engine);
    CHECK(engine.error().message == "the engine at unix:///fake/docker.sock speaks API 1.40, older than the minimum 1.41");
    auto transport = std::make_shared<FakeTransport>();
    transport->expect("GET", "/_ping", FakeReply{200, {}, {"OK"}});
    CHECK(EngineClient::connect(transport).error().message.find("no API-Version") != std::string::npos);
    CHECK(apiVersionAtLeast("1.41", "1.41"));
    CHECK(apiVersionAtLeast("2.0", "1.41"));
    CHECK_FALSE(apiVersionAtLeast("1.9", "1.41"));
}

TEST_CASE("errors name the endpoint, the status and the engine's message", "[docker][engine]") {
    auto transport = transportWithPing();
    auto engine = EngineClient::connect(transport);
    REQUIRE(engine);
    transport->expectJson("POST", "/v1.41/containers/create", 409,
                          R"({"message":"Conflict. The container name \"/x\" is already in use"})");
    auto created = engine->createContainer(ContainerSpec{"x", "img"});
    REQUIRE_FALSE(created);
    CHECK(created.error().code == ErrorCode::conflict);
    CHECK(created.error().message ==
          "POST /containers/create: engine 409: Conflict. The container name \"/x\" is already in use");
    CHECK(transport->requests.back().target == "/v1.41/containers/create?name=x");
}

TEST_CASE("a failing build step inside a 200 reply is an error", "[docker][engine]") {
    auto transport = transportWithPing();
    auto engine = EngineClient::connect(transport);
    REQUIRE(engine);
    auto recorded = readFile(ppcs::testing::dataFile("build_failure_stream.ndjson"));
    REQUIRE(recorded);
    // Delivered in awkward pieces, as a socket would.
    FakeReply reply{200, {}, {}};
    for (std::size_t offset = 0; offset < recorded->size(); offset += 37) reply.pieces.push_back(recorded->substr(offset, 37));
    transport->expect("POST", "/v1.41/build", reply);
    std::vector<std::string> progress;
    BuildParams params;
    params.contextTar = "tar";
    params.labels = {{"ppcs.context-hash", "abc"}};
    auto built = engine->buildImage(params, [&progress](const std::string& line) { progress.push_back(line); });
    REQUIRE_FALSE(built);
    CHECK(built.error().message ==
          "POST /build: engine 200 with an error in the stream: The command '/bin/sh -c echo building && false' returned a "
          "non-zero code: 1");
    CHECK(std::find(progress.begin(), progress.end(), "building") != progress.end());
    auto sent = transport->requestsTo("POST", "/v1.41/build");
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].contentType == "application/x-tar");
    CHECK(sent[0].target.find("labels=%7B%22ppcs.context-hash%22%3A%22abc%22%7D") != std::string::npos);
}

TEST_CASE("a successful build is resolved to the full image ID", "[docker][engine]") {
    auto transport = transportWithPing();
    auto engine = EngineClient::connect(transport);
    REQUIRE(engine);
    transport->expect(
        "POST", "/v1.41/build",
        FakeReply{200, {}, {"{\"stream\":\"Step 1/1 : FROM x\\n\"}\n{\"stream\":\"Successfully built 0123abcd\\n\"}\n"}});
    transport->expectJson("GET", "/v1.41/images/0123abcd/json", 200, R"({"Id":"sha256:0123abcdfull"})");
    auto built = engine->buildImage(BuildParams{}, nullptr);
    REQUIRE(built);
    CHECK(*built == "sha256:0123abcdfull");
}

TEST_CASE("runExec demuxes the output and reads the exit code", "[docker][engine]") {
    auto transport = transportWithPing();
    auto engine = EngineClient::connect(transport);
    REQUIRE(engine);
    transport->expectJson("POST", "/v1.41/containers/c1/exec", 201, R"({"Id":"e1"})");
    auto recorded = readFile(ppcs::testing::dataFile("exec_stream_exit7.bin"));
    transport->expect("POST", "/v1.41/exec/e1/start", FakeReply{200, {}, {recorded->substr(0, 5), recorded->substr(5)}});
    transport->expectJson("GET", "/v1.41/exec/e1/json", 200, R"({"Running":true,"ExitCode":null})");
    transport->expectJson("GET", "/v1.41/exec/e1/json", 200, R"({"Running":false,"ExitCode":7})");
    auto outcome = engine->runExec("c1", ExecSpec{{"sh", "-c", "x"}, "mpiuser", {}, ""});
    REQUIRE(outcome);
    CHECK(outcome->exitCode == 7);
    CHECK(outcome->err == "hello-err\ndone-err\n");
    CHECK(outcome->out.rfind("hello-out\n1\n2\n", 0) == 0);
    auto start = transport->requestsTo("POST", "/v1.41/exec/e1/start");
    REQUIRE(start.size() == 1);
    CHECK(start[0].body == R"({"Detach":false,"Tty":false})");
}

TEST_CASE("DOCKER_HOST and host endpoints name a unix socket or a TCP address", "[docker][transport]") {
    CHECK(endpointFromDockerHost(nullptr)->path == "/var/run/docker.sock");
    CHECK(endpointFromDockerHost("")->path == "/var/run/docker.sock");
    CHECK(endpointFromDockerHost("unix:///run/user/1000/docker.sock")->path == "/run/user/1000/docker.sock");
    auto tcp = parseEngineEndpoint("tcp://10.0.0.1:2375");
    REQUIRE(tcp);
    CHECK(tcp->kind == EngineEndpoint::Kind::tcp);
    CHECK(tcp->host == "10.0.0.1");
    CHECK(tcp->port == 2375);
    CHECK(tcp->text() == "tcp://10.0.0.1:2375");
    for (const char* bad : {"http://host", "unix://", "unix://relative/path", "tcp://host", "tcp://:2375", "tcp://host:0",
                            "tcp://host:65536", "tcp://host:23x", "tcp://host:2375/path", "/var/run/docker.sock", ""}) {
        auto parsed = parseEngineEndpoint(bad);
        INFO(bad);
        REQUIRE_FALSE(parsed);
        CHECK(parsed.error().code == ErrorCode::usage);
    }
    CHECK(endpointFromDockerHost("http://x").error().message.find("DOCKER_HOST") == 0);
}

TEST_CASE("an image is loaded from a streamed source and an error line fails the load", "[docker]") {
    auto transport = std::make_shared<testing::FakeTransport>();
    transport->expect("GET", "/_ping", testing::pingReply("1.41"));
    transport->expectJson("POST", "/v1.41/images/load", 200,
                          R"({"stream":"Loaded image ID: sha256:abc"})"
                          "\n");
    transport->expectJson("POST", "/v1.41/images/load", 200,
                          R"({"errorDetail":{"message":"unexpected EOF"},"error":"unexpected EOF"})"
                          "\n");
    auto engine = EngineClient::connect(transport);
    REQUIRE(engine);
    std::vector<std::string> pieces{"tar-", "bytes-", "here"};
    std::size_t next = 0;
    auto source = [&](std::string& piece) {
        if (next == pieces.size()) return false;
        piece = pieces[next++];
        return true;
    };
    REQUIRE(engine->loadImage(source));
    CHECK(transport->requestsTo("POST", "/v1.41/images/load").at(0).body == "tar-bytes-here");
    next = 0;
    auto failed = engine->loadImage(source);
    REQUIRE_FALSE(failed);
    CHECK(failed.error().message.find("unexpected EOF") != std::string::npos);
}

TEST_CASE("a missing socket says the engine cannot be reached", "[docker][transport]") {
    auto engine = EngineClient::connect(makeUnixSocketTransport("/nonexistent/ppcs-test/docker.sock"));
    REQUIRE_FALSE(engine);
    CHECK(engine.error().code == ErrorCode::unavailable);
    CHECK(engine.error().message.find("cannot reach the docker engine at unix:///nonexistent/ppcs-test/docker.sock") !=
          std::string::npos);
}

TEST_CASE("names in paths cannot climb to another route", "[docker][engine]") {
    auto transport = transportWithPing();
    auto engine = EngineClient::connect(transport);
    REQUIRE(engine);
    transport->expectJson("GET", "/v1.41/images/%2E%2E/containers/x/kill/json", 404, R"({"message":"No such image"})");
    auto inspected = engine->inspectImage("../containers/x/kill");
    REQUIRE(inspected);
    CHECK(transport->requests.back().target == "/v1.41/images/%2E%2E/containers/x/kill/json");
    transport->expectJson("GET", "/v1.41/images/registry:5000/team/app:v1/json", 200, R"({"Id":"sha256:1"})");
    CHECK((*engine->inspectImage("registry:5000/team/app:v1"))->id == "sha256:1");
}

TEST_CASE("an image copy streams every byte from one engine's save into the other's load", "[docker][copy]") {
    auto from = std::make_shared<FakeTransport>();
    auto to = std::make_shared<FakeTransport>();
    for (auto& transport : {from, to}) transport->expect("GET", "/_ping", testing::pingReply("1.41"));
    std::vector<std::string> pieces;
    std::string whole;
    for (int i = 0; i < 200; ++i) {  // more pieces than the queue holds at once
        pieces.push_back("piece-" + std::to_string(i) + std::string(static_cast<std::size_t>(i % 7) * 100, 'x'));
        whole += pieces.back();
    }
    from->expect("GET", "/v1.41/images/sha256:abc/get", FakeReply{200, {}, pieces});
    to->expectJson("POST", "/v1.41/images/load", 200, R"({"stream":"Loaded image ID: sha256:abc"})");
    auto source = EngineClient::connect(from);
    auto target = EngineClient::connect(to);
    REQUIRE(source);
    REQUIRE(target);
    REQUIRE(copyImage(*source, *target, "sha256:abc"));
    CHECK(to->requestsTo("POST", "/v1.41/images/load").at(0).body == whole);

    // A failed save is the cause named, even though the load then fails too.
    from->expectJson("GET", "/v1.41/images/sha256:gone/get", 404, R"({"message":"reference does not exist"})");
    to->expectJson("POST", "/v1.41/images/load", 200, R"({"error":"unexpected EOF","errorDetail":{"message":"unexpected EOF"}})");
    auto failed = copyImage(*source, *target, "sha256:gone");
    REQUIRE_FALSE(failed);
    CHECK(failed.error().code == ErrorCode::notFound);
    CHECK(failed.error().message.find("reference does not exist") != std::string::npos);
    CHECK(failed.error().message.rfind("copy image sha256:gone from unix:///fake/docker.sock", 0) == 0);
}

TEST_CASE("an engine in no swarm has no services, tasks or secrets, but a swarm worker's refusal is an error",
          "[docker][engine]") {
    const std::string notManager =
        R"({"message":"This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again."})";
    auto transport = transportWithPing();
    auto engine = EngineClient::connect(transport);
    REQUIRE(engine);
    for (const char* path : {"/v1.41/services", "/v1.41/tasks", "/v1.41/secrets"}) {
        transport->expectJson("GET", path, 503, notManager);
        transport->expectJson("GET", "/v1.41/info", 200, R"({"Swarm":{"LocalNodeState":"inactive"}})");
    }
    auto services = engine->listServices({{"ppcs.cluster", "demo"}});
    REQUIRE(services);
    CHECK(services->empty());
    auto tasks = engine->listTasks({{"service", {"x"}}});
    REQUIRE(tasks);
    CHECK(tasks->empty());
    auto secrets = engine->listSecrets({});
    REQUIRE(secrets);
    CHECK(secrets->empty());

    transport->expectJson(
        "GET", "/v1.41/services", 503,
        R"({"message":"This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state."})");
    transport->expectJson("GET", "/v1.41/info", 200, R"({"Swarm":{"LocalNodeState":"active","ControlAvailable":false}})");
    auto onWorker = engine->listServices({});
    REQUIRE_FALSE(onWorker);
    CHECK(onWorker.error().code == ErrorCode::unavailable);
    CHECK(onWorker.error().message.find("Worker nodes") != std::string::npos);
}
