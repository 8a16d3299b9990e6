// EngineClient against Podman's Docker-compatible service (`podman system service`, which
// scripts/test starts with start_podman on $PPCS_PODMAN_SOCKET, default
// /run/podman/podman.sock): what the plain-containers backend and the jobs do, from a
// network to a dead container's event, then nothing of the test left in Podman. Without the
// service these tests fail and say how to start it: they never skip.

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <future>
#include <thread>

#include "common/files.h"
#include "common/tar.h"
#include "docker/image_copy.h"
#include "integration/support.h"
#include "support/run_process.h"
#include "support/scratch_dir.h"

using namespace ppcs;
using namespace ppcs::docker;
using namespace ppcs::integration;

namespace {

// "podmanx-<pid>": the name prefix and ppcs.cluster label of everything this run creates.
const std::string& podmanRun() {
    static const std::string id = "podmanx-" + runId().substr(runId().rfind('-') + 1);
    return id;
}

Labels runLabels() { return {{"ppcs.cluster", podmanRun()}}; }

// Removes everything labelled with this run's ppcs.cluster, pass or fail.
class PodmanCleanup {
public:
    explicit PodmanCleanup(EngineClient& engine) : engine_(engine) {}
    // Best effort at the end: a test that got this far already checked what it removed.
    ~PodmanCleanup() { static_cast<void>(removeAll()); }
    Status removeAll() {
        Status outcome;
        if (auto containers = engine_.listContainers(runLabels(), true); containers)
            for (const auto& container : *containers)
                if (auto removed = engine_.removeContainer(container.id, true); !removed) outcome = removed;
        if (auto networks = engine_.listNetworks(runLabels()); networks)
            for (const auto& network : *networks)
                if (auto removed = engine_.removeNetwork(network.id); !removed) outcome = removed;
        if (auto volumes = engine_.listVolumes(runLabels()); volumes)
            for (const auto& volume : *volumes)
                if (auto removed = engine_.removeVolume(volume.name); !removed) outcome = removed;
        return outcome;
    }

private:
    EngineClient& engine_;
};

ContainerSpec memberSpec(const std::string& image, const std::string& role, const std::string& network,
                         const std::string& volume) {
    ContainerSpec spec;
    spec.name = podmanRun() + "-" + role;
    spec.image = image;
    spec.cmd = {"sleep", "infinity"};
    spec.env = {"PPCS_ROLE=" + role};
    spec.labels = runLabels();
    spec.labels["ppcs.role"] = role;
    spec.hostname = role;
    spec.networkMode = network;
    spec.networkAliases = {"mpi" + role};
    spec.mounts = {VolumeMount{volume, "/usr/local/var/mpishare"}};
    spec.memoryBytes = 256 << 20;
    spec.nanoCpus = 500000000;
    spec.shmSizeBytes = 128 << 20;
    spec.restartPolicy = "no";
    return spec;
}

ExecOutcome run(EngineClient& engine, const std::string& container, std::vector<std::string> argv) {
    auto outcome = engine.runExec(container, ExecSpec{std::move(argv)}, std::chrono::seconds(60));
    INFO("exec in " << container << ": " << (outcome ? "" : outcome.error().message));
    REQUIRE(outcome);
    return *outcome;
}

// What the podman command line lists of this run (as root, the service's storage and settings).
std::string podmanLists(const std::string& what) {
    std::vector<std::string> argv{"podman", what, "ls", "--filter", "label=ppcs.cluster=" + podmanRun(), "--format", "{{.Name}}"};
    if (what == "container")
        argv = {"podman", "ps", "-a", "--filter", "label=ppcs.cluster=" + podmanRun(), "--format", "{{.Names}}"};
    // The settings start_podman wrote for the service (scripts/lib.sh, PPCS_PODMAN_CONF_DIR).
    auto result = ppcs::testing::runProcess(
        argv,
        {{"CONTAINERS_CONF", "/etc/ppcs-podman/containers.conf"}, {"CONTAINERS_STORAGE_CONF", "/etc/ppcs-podman/storage.conf"}},
        60);
    INFO("podman " << what << ": " << result.err);
    REQUIRE(result.exitCode == 0);
    return result.out;
}

}  // namespace

TEST_CASE("podman: the engine says it is Podman, without Swarm", "[docker][podman]") {
    auto podman = requirePodman();
    CHECK(podman.isPodman());
    CHECK(podman.engineApiVersion() == "1.41");
    auto info = podman.info();
    REQUIRE(info);
    CHECK(info->podman);
    CHECK(info->swarmState == "inactive");
    CHECK_FALSE(info->swarmSupported);
    CHECK(engineProduct(*info).rfind("Podman 4.", 0) == 0);
    auto services = podman.listServices(runLabels());
    REQUIRE(services);
    CHECK(services->empty());
    auto docker = requireEngine();
    CHECK_FALSE(docker.isPodman());
}

TEST_CASE("podman: a two-container cluster's life through EngineClient, then nothing left", "[docker][podman]") {
    auto podman = requirePodman();
    std::string image = ensurePodmanBaseImage(podman);
    PodmanCleanup cleanup(podman);

    NetworkSpec networkSpec{podmanRun() + "-net", "bridge", false, "", runLabels()};
    networkSpec.subnet = "10.231." + std::to_string(100 + std::stoi(podmanRun().substr(8)) % 150) + ".0/24";
    auto networkId = podman.createNetwork(networkSpec);
    INFO("create network: " << (networkId ? "" : networkId.error().message));
    REQUIRE(networkId);
    auto again = podman.createNetwork(networkSpec);
    REQUIRE_FALSE(again);
    CHECK(again.error().code == ErrorCode::conflict);
    auto networks = podman.listNetworks(runLabels());
    REQUIRE(networks);
    REQUIRE(networks->size() == 1);
    CHECK(networks->front().id == *networkId);
    CHECK(networks->front().subnets == std::vector<std::string>{networkSpec.subnet});

    std::string volume = podmanRun() + "-share";
    REQUIRE(podman.createVolume(volume, runLabels()));
    auto volumes = podman.listVolumes(runLabels());
    REQUIRE(volumes);
    REQUIRE(volumes->size() == 1);
    CHECK(volumes->front().name == volume);
    // Two labels asked for: only the volume with both (Podman's own filter lets either through).
    Labels scratchLabels = runLabels();
    scratchLabels["ppcs.role"] = "scratch";
    REQUIRE(podman.createVolume(podmanRun() + "-scratch", scratchLabels));
    auto scratch = podman.listVolumes(scratchLabels);
    REQUIRE(scratch);
    REQUIRE(scratch->size() == 1);
    CHECK(scratch->front().name == podmanRun() + "-scratch");
    CHECK(podman.listVolumes(runLabels())->size() == 2);

    auto head = podman.createContainer(memberSpec(image, "head", networkSpec.name, volume));
    INFO("create head: " << (head ? "" : head.error().message));
    REQUIRE(head);
    auto node = podman.createContainer(memberSpec(image, "node", networkSpec.name, volume));
    REQUIRE(node);
    auto taken = podman.createContainer(memberSpec(image, "node", networkSpec.name, volume));
    REQUIRE_FALSE(taken);
    CHECK(taken.error().code == ErrorCode::conflict);

    // The key goes in before the container first starts, as the backend puts it.
    TarWriter key;
    REQUIRE(key.add({TarEntry::Kind::file, "podmanx_key", "secret-key\n", 0600, 0, 0}));
    REQUIRE(podman.putArchive(*head, "/root", key.finish()));
    REQUIRE(podman.startContainer(*head));
    REQUIRE(podman.startContainer(*node));

    auto listed = podman.listContainers(runLabels(), false);
    REQUIRE(listed);
    REQUIRE(listed->size() == 2);
    std::string nodeAddress;
    for (const auto& container : *listed) {
        CHECK(container.state == "running");
        REQUIRE(container.addresses.count(networkSpec.name) == 1);
        if (container.id == *node) nodeAddress = container.addresses.at(networkSpec.name);
    }
    CHECK(nodeAddress.rfind(networkSpec.subnet.substr(0, networkSpec.subnet.size() - 4), 0) == 0);

    auto keyFile = run(podman, *head, {"stat", "-c", "%a %U %s", "/root/podmanx_key"});
    CHECK(keyFile.out == "600 root 11\n");
    auto setup =
        run(podman, *head,
            {"sh", "-c", "hostname; echo $PPCS_ROLE; cat /sys/fs/cgroup/memory/memory.limit_in_bytes; df -m /dev/shm | tail -1"});
    CHECK(setup.out.rfind("head\nhead\n268435456\n", 0) == 0);
    CHECK(setup.out.find(" 128 ") != std::string::npos);
    // The alias and the node's own name both resolve to its address; the head reaches it.
    auto names = run(podman, *head, {"getent", "hosts", "mpinode", podmanRun() + "-node"});
    CHECK(names.out.find(nodeAddress) == 0);
    // Nothing listens on port 9: a refused connection is an answer from the node itself.
    auto reach = run(podman, *head, {"timeout", "10", "bash", "-c", "exec 3<>/dev/tcp/" + nodeAddress + "/9"});
    CHECK(reach.err.find("Connection refused") != std::string::npos);
    // The volume is shared: what one writes, the other reads.
    run(podman, *node, {"sh", "-c", "echo from-node > /usr/local/var/mpishare/podmanx"});
    CHECK(run(podman, *head, {"cat", "/usr/local/var/mpishare/podmanx"}).out == "from-node\n");
    // Exit codes and both streams, many times over: Podman reports 0 until the exec ends.
    for (int attempt = 0; attempt < 10; ++attempt) {
        auto outcome = run(podman, *node, {"sh", "-c", "echo out; echo err >&2; exit 3"});
        CHECK(outcome.exitCode == 3);
        CHECK(outcome.out == "out\n");
        CHECK(outcome.err == "err\n");
    }

    std::string back;
    REQUIRE(podman.getArchive(*head, "/root/podmanx_key", [&back](std::string_view piece) {
        back.append(piece);
        return true;
    }));
    CHECK(back.find("secret-key\n") != std::string::npos);

    auto stats = podman.containerStats(*head);
    INFO("stats: " << (stats ? "" : stats.error().message));
    REQUIRE(stats);
    CHECK(stats->memoryLimitBytes == 256 << 20);
    CHECK(stats->memoryBytes > 0);
    CHECK(stats->cpuPercent >= 0);

    // A killed node's death reaches a follower filtered on this run's label.
    auto since = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    auto follower = EngineClient::connectTo(podmanHost());
    REQUIRE(follower);
    std::promise<EngineEvent> died;
    auto watching = std::async(std::launch::async, [&] {
        return follower->followEvents({{"label", {"ppcs.cluster=" + podmanRun()}}, {"type", {"container"}}, {"event", {"die"}}},
                                      since - 1, std::chrono::seconds(30), [&](const EngineEvent& event) {
                                          if (event.actorId != *node) return true;
                                          died.set_value(event);
                                          return false;
                                      });
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    REQUIRE(podman.killContainer(*node));
    auto dead = died.get_future();
    REQUIRE(dead.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
    auto event = dead.get();
    CHECK(event.action == "die");
    CHECK(event.attributes.at("exitCode") == "137");
    CHECK(event.attributes.at("ppcs.role") == "node");
    CHECK(watching.get());
    auto killedAgain = podman.killContainer(*node);
    REQUIRE_FALSE(killedAgain);
    CHECK(killedAgain.error().code == ErrorCode::conflict);

    REQUIRE(podman.removeContainer(*node, true));
    auto now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    auto past = podman.pastEvents({{"label", {"ppcs.cluster=" + podmanRun()}}}, since - 1, now + 0.5);
    REQUIRE(past);
    std::vector<std::string> nodeActions;
    for (const auto& item : *past)
        if (item.actorId == *node) nodeActions.push_back(item.action);
    CHECK(std::find(nodeActions.begin(), nodeActions.end(), "die") != nodeActions.end());
    CHECK(std::find(nodeActions.begin(), nodeActions.end(), "destroy") != nodeActions.end());

    REQUIRE(cleanup.removeAll());
    CHECK(podman.listContainers(runLabels(), true)->empty());
    CHECK(podman.listNetworks(runLabels())->empty());
    CHECK(podman.listVolumes(runLabels())->empty());
    CHECK(podmanLists("container").empty());
    CHECK(podmanLists("network").empty());
    CHECK(podmanLists("volume").empty());
}

TEST_CASE("podman: an exec attached both ways, and its TTY resized", "[docker][podman]") {
    auto podman = requirePodman();
    std::string image = ensurePodmanBaseImage(podman);
    PodmanCleanup cleanup(podman);
    ContainerSpec spec{podmanRun() + "-attach", image, {"sleep", "infinity"}};
    spec.labels = runLabels();
    spec.networkMode = "none";
    auto id = podman.createContainer(spec);
    REQUIRE(id);
    REQUIRE(podman.startContainer(*id));

    ExecSpec cat{{"cat"}};
    cat.attachStdin = true;
    auto execId = podman.createExec(*id, cat);
    REQUIRE(execId);
    auto stream = podman.startExecAttached(*execId, false);
    INFO("attach: " << (stream ? "" : stream.error().message));
    REQUIRE(stream);
    REQUIRE((*stream)->write("through podman\n"));
    (*stream)->closeWrite();
    std::string out;
    ExecDemuxer demuxer;
    char buffer[4096];
    for (int reads = 0; reads < 1000; ++reads) {
        auto count = (*stream)->read(buffer, sizeof buffer);
        REQUIRE(count);
        if (*count == 0) break;
        REQUIRE(demuxer.feed(std::string_view(buffer, *count), [&out](OutputStream, std::string_view piece) {
            out.append(piece);
            return true;
        }));
    }
    CHECK(out == "through podman\n");
    auto code = podman.execExitCode(*execId);
    REQUIRE(code);
    CHECK(*code == 0);

    ExecSpec shell{{"sh", "-c", "sleep 1; stty size"}};
    shell.tty = true;
    auto ttyExec = podman.createExec(*id, shell);
    REQUIRE(ttyExec);
    auto ttyStream = podman.startExecAttached(*ttyExec, true);
    REQUIRE(ttyStream);
    auto resized = podman.resizeExec(*ttyExec, 100, 40);
    INFO("resize: " << (resized ? "" : resized.error().message));
    CHECK(resized);
    std::string screen;
    for (int reads = 0; reads < 1000; ++reads) {
        auto count = (*ttyStream)->read(buffer, sizeof buffer);
        REQUIRE(count);
        if (*count == 0) break;
        screen.append(buffer, *count);
    }
    CHECK(screen.find("40 100") != std::string::npos);
    REQUIRE(cleanup.removeAll());
}

TEST_CASE("podman: images built, tagged, saved, imported and removed without a registry", "[docker][podman]") {
    auto podman = requirePodman();
    ensurePodmanBaseImage(podman);
    TarWriter context;
    // FROM the base image moved in from docker: Podman resolves the short name to its
    // localhost/debian:bookworm-slim and never pulls.
    REQUIRE(context.add({TarEntry::Kind::file, "Dockerfile",
                         "FROM debian:bookworm-slim\nARG GREETING=none\nRUN echo \"$GREETING\" > /greeting\n"}));
    BuildParams params;
    params.contextTar = context.finish();
    params.labels = runLabels();
    params.buildArgs = {{"GREETING", "hello from podman"}};
    std::vector<std::string> progress;
    auto built = podman.buildImage(params, [&progress](const std::string& line) { progress.push_back(line); });
    INFO("build: " << (built ? "" : built.error().message));
    REQUIRE(built);
    CHECK(built->rfind("sha256:", 0) == 0);
    CHECK_FALSE(progress.empty());
    REQUIRE(podman.tagImage(*built, podmanRun() + "-built", "v1"));
    auto tagged = podman.inspectImage(podmanRun() + "-built:v1");
    REQUIRE(tagged);
    REQUIRE(*tagged);
    CHECK((**tagged).id == *built);
    CHECK((**tagged).labels.at("ppcs.cluster") == podmanRun());
    std::size_t saved = 0;
    REQUIRE(podman.saveImage(podmanRun() + "-built:v1", [&saved](std::string_view piece) {
        saved += piece.size();
        return true;
    }));
    CHECK(saved > 1000000);

    // A failing step inside the 200 reply is an error, as on Docker.
    TarWriter failing;
    REQUIRE(failing.add({TarEntry::Kind::file, "Dockerfile", "FROM debian:bookworm-slim\nRUN false\n"}));
    BuildParams failingParams;
    failingParams.contextTar = failing.finish();
    failingParams.labels = runLabels();
    auto failed = podman.buildImage(failingParams, nullptr);
    REQUIRE_FALSE(failed);
    CHECK(failed.error().message.find("POST /build: engine 200 with an error in the stream: building at STEP \"RUN false\"") ==
          0);

    TarWriter rootfs;
    REQUIRE(rootfs.add({TarEntry::Kind::file, "hello.txt", "imported\n"}));
    auto imported =
        podman.importImage(rootfs.finish(), podmanRun() + "-import", "v1", {"LABEL ppcs.cluster=" + podmanRun()}, nullptr);
    INFO("import: " << (imported ? "" : imported.error().message));
    REQUIRE(imported);
    CHECK(imported->size() == 71);  // "sha256:" and 64 hex digits, once
    auto importedInfo = podman.inspectImage(podmanRun() + "-import:v1");
    REQUIRE(importedInfo);
    REQUIRE(*importedInfo);
    CHECK((**importedInfo).id == *imported);
    CHECK((**importedInfo).labels.at("ppcs.cluster") == podmanRun());

    REQUIRE(podman.removeImage(*imported, true));
    REQUIRE(podman.removeImage(podmanRun() + "-built:v1", true));
    CHECK_FALSE(*podman.inspectImage(podmanRun() + "-built:v1"));
    CHECK_FALSE(*podman.inspectImage(podmanRun() + "-import:v1"));
    auto missing = podman.removeImage(podmanRun() + "-import:v1", false);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == ErrorCode::notFound);
}

TEST_CASE("podman: the node image runs there: sshd with a key put before start, ssh by alias and mpirun", "[docker][podman]") {
    auto podman = requirePodman();
    // The node image as `ppcs-cluster build` made it in docker, moved in by ID (so without the
    // name of the one in docker's store).
    std::string image = ensureNodeImage();
    auto docker = requireEngine();
    auto copied = copyImage(docker, podman, image);
    INFO("copy the node image: " << (copied ? "" : copied.error().message));
    REQUIRE(copied);
    PodmanCleanup cleanup(podman);
    ppcs::testing::ScratchDir keys("podmanx-keys");
    auto keygen = ppcs::testing::runProcess(
        {"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", podmanRun(), "-f", keys.path + "/ppcs_ssh_key"});
    REQUIRE(keygen.exitCode == 0);
    auto privateKey = readFile(keys.path + "/ppcs_ssh_key");
    REQUIRE(privateKey);
    TarWriter secret;
    REQUIRE(secret.add({TarEntry::Kind::directory, "secrets", "", 0755, 0, 0}));
    REQUIRE(secret.add({TarEntry::Kind::file, "secrets/ppcs_ssh_key", *privateKey, 0400, 0, 0}));
    std::string archive = secret.finish();

    NetworkSpec networkSpec{podmanRun() + "-mpi", "bridge", false, "", runLabels()};
    auto networkId = podman.createNetwork(networkSpec);
    REQUIRE(networkId);
    std::map<std::string, std::string> ids;
    for (const std::string role : {"head", "node"}) {
        ContainerSpec spec;
        spec.name = podmanRun() + "-mpi" + role;
        spec.image = image;  // its own command: sshd, under the entrypoint that installs the key
        spec.labels = runLabels();
        spec.hostname = role;
        spec.networkMode = networkSpec.name;
        spec.networkAliases = {role};
        auto id = podman.createContainer(spec);
        REQUIRE(id);
        // Where the entrypoint looks by default (/run/secrets/ppcs_ssh_key), before the first start.
        REQUIRE(podman.putArchive(*id, "/run", archive));
        REQUIRE(podman.startContainer(*id));
        ids[role] = *id;
    }

    ExecSpec ssh{{"ssh", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "ConnectTimeout=5", "node", "hostname"}};
    ssh.user = "mpiuser";
    ExecOutcome reached;
    for (int attempt = 0; attempt < 40; ++attempt) {
        auto outcome = podman.runExec(ids["head"], ssh, std::chrono::seconds(30));
        REQUIRE(outcome);
        reached = *outcome;
        if (reached.exitCode == 0) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    INFO("ssh head -> node: " << reached.err);
    REQUIRE(reached.exitCode == 0);
    CHECK(reached.out == "node\n");

    auto subnet = podman.listNetworks(runLabels());
    REQUIRE(subnet);
    REQUIRE(subnet->size() == 1);
    REQUIRE(subnet->front().subnets.size() == 1);
    const std::string& cidr = subnet->front().subnets.front();
    ExecSpec mpirun{{"mpirun", "--mca", "btl_tcp_if_include", cidr, "--mca", "oob_tcp_if_include", cidr, "-n", "2", "-host",
                     "head,node", "hello_world"}};
    mpirun.user = "mpiuser";
    auto hello = podman.runExec(ids["head"], mpirun, std::chrono::seconds(120));
    REQUIRE(hello);
    INFO("mpirun: " << hello->out << hello->err);
    CHECK(hello->exitCode == 0);
    CHECK(hello->out.find("head") != std::string::npos);
    CHECK(hello->out.find("node") != std::string::npos);

    REQUIRE(cleanup.removeAll());
    // The image goes too, unless something else of Podman's uses it by now.
    auto removed = podman.removeImage(image, false);
    CHECK((removed || removed.error().code == ErrorCode::conflict));
}
