#include "docker/codecs.h"

#include <catch2/catch.hpp>

#include "common/files.h"
#include "common/strings.h"
#include "support/test_paths.h"

using namespace ppcs;
using namespace ppcs::docker;

TEST_CASE("progress lines of a failing build recorded from a real engine", "[docker][codecs]") {
    auto recorded = readFile(testing::dataFile("build_failure_stream.ndjson"));
    REQUIRE(recorded);
    LineSplitter splitter;
    std::vector<ProgressMessage> messages;
    for (const auto& line : splitter.feed(*recorded)) {
        auto message = decodeProgressLine(line);
        REQUIRE(message);
        messages.push_back(*message);
    }
    REQUIRE(messages.size() >= 5);
    CHECK(messages.front().text == "Step 1/2 : FROM debian:bookworm-slim");
    CHECK(messages.front().error.empty());
    CHECK(messages.back().error == "The command '/bin/sh -c echo building && false' returned a non-zero code: 1");
}

TEST_CASE("pull and import status lines", "[docker][codecs]") {
    auto pull = decodeProgressLine(
        R"({"status":"Downloading","progressDetail":{"current":5},"progress":"[==>  ] 5B/10B","id":"abc123"})");
    REQUIRE(pull);
    CHECK(pull->text == "abc123: Downloading [==>  ] 5B/10B");
    auto imported = decodeProgressLine(R"({"status":"sha256:0123"})");
    REQUIRE(imported);
    CHECK(imported->text == "sha256:0123");
    auto aux = decodeProgressLine(R"({"aux":{"ID":"sha256:feed"}})");
    REQUIRE(aux);
    CHECK(aux->auxId == "sha256:feed");
    CHECK_FALSE(decodeProgressLine("not json"));
    CHECK_FALSE(decodeProgressLine("[1,2]"));
}

TEST_CASE("the line splitter joins lines cut across reads", "[docker][codecs]") {
    LineSplitter splitter;
    CHECK(splitter.feed("{\"a\":").empty());
    auto lines = splitter.feed("1}\n{\"b\":2}\n\n{\"c\"");
    CHECK(lines == std::vector<std::string>{"{\"a\":1}", "{\"b\":2}"});
    CHECK(splitter.rest() == "{\"c\"");
}

TEST_CASE("image inspect replies decode into ImageInfo", "[docker][codecs]") {
    auto info = decodeImageInfo(R"({"Id":"sha256:abc","RepoTags":["ppcs-openmpi:latest"],"Size":1234,
        "Created":"2026-11-24T04:00:00Z","Config":{"Labels":{"ppcs.context-hash":"f00"}}})");
    REQUIRE(info);
    CHECK(info->id == "sha256:abc");
    CHECK(info->repoTags == std::vector<std::string>{"ppcs-openmpi:latest"});
    CHECK(info->labels.at("ppcs.context-hash") == "f00");
    CHECK(info->sizeBytes == 1234);
    auto noLabels = decodeImageInfo(R"({"Id":"sha256:abc","Config":{"Labels":null}})");
    REQUIRE(noLabels);
    CHECK(noLabels->labels.empty());
    auto bad = decodeImageInfo(R"({"RepoTags":[]})");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message == "decode image: no Id");
    CHECK(decodeImageInfo("{truncated").error().message.find("not a JSON object") != std::string::npos);
}

TEST_CASE("exec state, create replies and error bodies", "[docker][codecs]") {
    auto running = decodeExecState(R"({"Running":true,"ExitCode":null})");
    REQUIRE(running);
    CHECK(running->running);
    CHECK_FALSE(running->exitCode.has_value());
    auto done = decodeExecState(R"({"Running":false,"ExitCode":7})");
    REQUIRE(done);
    CHECK(*done->exitCode == 7);
    CHECK(*decodeCreatedId(R"({"Id":"e1","Warnings":[]})") == "e1");
    CHECK_FALSE(decodeCreatedId(R"({"Warnings":[]})"));
    CHECK(engineErrorMessage(R"({"message":"No such image: x"})") == "No such image: x");
    CHECK(engineErrorMessage("  plain text\n") == "plain text");
    CHECK(engineErrorMessage("") == "(no message)");
}

TEST_CASE("container and exec specs encode the engine's field names", "[docker][codecs]") {
    ContainerSpec spec;
    spec.image = "sha256:abc";
    spec.cmd = {"sleep", "60"};
    spec.labels = {{"ppcs.test", "run1"}};
    spec.networkMode = "none";
    std::string json = encodeContainerSpec(spec);
    CHECK(json.find(R"("Image":"sha256:abc")") != std::string::npos);
    CHECK(json.find(R"("Cmd":["sleep","60"])") != std::string::npos);
    CHECK(json.find(R"("NetworkMode":"none")") != std::string::npos);
    ExecSpec exec{{"echo", "a b; $(rm -rf /)"}, "mpiuser", {}, ""};
    std::string execJson = encodeExecSpec(exec);
    CHECK(execJson.find(R"x("Cmd":["echo","a b; $(rm -rf /)"])x") != std::string::npos);
    CHECK(execJson.find(R"("User":"mpiuser")") != std::string::npos);
    CHECK(encodeLabelFilter({{"ppcs.cluster", "demo"}}) == R"({"label":["ppcs.cluster=demo"]})");
}

TEST_CASE("a container spec with a volume, aliases, limits and a restart policy", "[docker][codecs]") {
    ContainerSpec spec;
    spec.image = "sha256:abc";
    spec.networkMode = "demo-net";
    spec.networkAliases = {"mpihead"};
    spec.mounts = {VolumeMount{"demo-share", "/usr/local/var/mpishare"}};
    spec.memoryBytes = 268435456;
    spec.nanoCpus = 500000000;
    spec.shmSizeBytes = 134217728;
    spec.restartPolicy = "no";
    std::string json = encodeContainerSpec(spec);
    CHECK(json.find(R"("Mounts":[{"Source":"demo-share","Target":"/usr/local/var/mpishare","Type":"volume"}])") !=
          std::string::npos);
    CHECK(json.find(R"("Memory":268435456)") != std::string::npos);
    CHECK(json.find(R"("NanoCpus":500000000)") != std::string::npos);
    CHECK(json.find(R"("ShmSize":134217728)") != std::string::npos);
    CHECK(json.find(R"("RestartPolicy":{"Name":"no"})") != std::string::npos);
    CHECK(json.find(R"("NetworkingConfig":{"EndpointsConfig":{"demo-net":{"Aliases":["mpihead"]}}})") != std::string::npos);
    // Unset, none of them is sent: the engine's defaults hold.
    std::string plain = encodeContainerSpec(ContainerSpec{"", "img"});
    CHECK(plain.find("Mounts") == std::string::npos);
    CHECK(plain.find("NetworkingConfig") == std::string::npos);
    CHECK(plain.find("Memory") == std::string::npos);
}

TEST_CASE("a member container's spec encodes its mounts, limits and network alias", "[docker][codecs]") {
    ContainerSpec spec;
    spec.image = "sha256:abc";
    spec.networkMode = "demo_net";
    spec.networkAliases = {"demo-node-1"};
    spec.mounts = {{"demo_mpishare", "/usr/local/var/mpishare", {}, MountType::volume, 0},
                   {"", "/dev/shm", {}, MountType::tmpfs, 1 << 30}};
    spec.nanoCpus = 1500000000;
    spec.memoryBytes = 512 << 20;
    std::string json = encodeContainerSpec(spec);
    CHECK(json.find(R"("NetworkingConfig":{"EndpointsConfig":{"demo_net":{"Aliases":["demo-node-1"]}}})") != std::string::npos);
    CHECK(json.find(R"("Source":"demo_mpishare")") != std::string::npos);
    CHECK(json.find(R"("Type":"tmpfs")") != std::string::npos);
    CHECK(json.find(R"("SizeBytes":1073741824)") != std::string::npos);
    CHECK(json.find(R"("NanoCpus":1500000000)") != std::string::npos);
    CHECK(json.find(R"("Memory":536870912)") != std::string::npos);
}

TEST_CASE("a container list entry gives its image, state, creation time and each network's address", "[docker][codecs]") {
    // Trimmed from Docker 20.10's GET /containers/json?all=1.
    auto listed = decodeContainerList(R"([{"Id":"c1","Names":["/demo-node-1"],"ImageID":"sha256:e1","Created":1765100000,
        "State":"exited","Status":"Exited (137) 2 seconds ago","Labels":{"ppcs.cluster":"demo"},
        "NetworkSettings":{"Networks":{"demo_net":{"IPAddress":"10.128.1.3","IPPrefixLen":24}}}}])");
    REQUIRE(listed);
    REQUIRE(listed->size() == 1);
    const auto& container = listed->front();
    CHECK(container.image == "sha256:e1");
    CHECK(container.state == "exited");
    CHECK(container.status == "Exited (137) 2 seconds ago");
    CHECK(container.created == 1765100000);
    CHECK(container.addresses.at("demo_net") == "10.128.1.3");
}

TEST_CASE("engine info tells Podman, which has no Swarm, from Docker outside a swarm", "[docker][codecs]") {
    // Both say LocalNodeState "inactive"; only Podman's answer has BuildahVersion.
    auto docker = decodeEngineInfo(R"({"NCPU":2,"MemTotal":1024,"Swarm":{"LocalNodeState":"inactive"}})");
    auto podman = decodeEngineInfo(
        R"({"NCPU":2,"MemTotal":1024,"BuildahVersion":"1.28.2","Swarm":{"NodeID":"","LocalNodeState":"inactive"}})");
    REQUIRE(docker);
    REQUIRE(podman);
    CHECK(docker->swarmSupported);
    CHECK_FALSE(podman->swarmSupported);
    CHECK(podman->swarmState == "inactive");
}
