#include "integration/support.h"

#include <spawn.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "docker/image_copy.h"
#include "support/run_process.h"
#include "support/test_paths.h"

extern char** environ;

namespace ppcs::integration {

docker::EngineClient requireEngine() {
    auto engine = docker::EngineClient::connectFromEnvironment();
    if (!engine)
        FAIL("the docker integration tests need a running Docker engine and none answered: "
             << engine.error().message << " (scripts/test installs and starts dockerd)");
    return std::move(*engine);
}

std::string podmanHost() {
    const char* socket = std::getenv("PPCS_PODMAN_SOCKET");
    return std::string("unix://") + (socket && *socket ? socket : "/run/podman/podman.sock");
}

docker::EngineClient requirePodman() {
    auto engine = docker::EngineClient::connectTo(podmanHost());
    if (!engine)
        FAIL("the podman tests need Podman's service at " << podmanHost() << " and none answered: " << engine.error().message
                                                          << " (scripts/test starts it: start_podman in scripts/lib.sh)");
    return std::move(*engine);
}

std::string ensurePodmanBaseImage(docker::EngineClient& podman) {
    const char* base = "debian:bookworm-slim";
    auto present = podman.inspectImage(base);
    REQUIRE(present);
    if (!*present) {
        ensureNodeImage();  // its build leaves the base image in docker's store
        auto docker = requireEngine();
        auto copied = docker::copyImage(docker, podman, base);
        INFO("copy " << base << " from docker: " << (copied ? "" : copied.error().message));
        REQUIRE(copied);
        present = podman.inspectImage(base);
        REQUIRE(present);
        REQUIRE(*present);
    }
    return (**present).id;
}

const std::string& runId() {
    static const std::string id = "ppcs-it-" + std::to_string(::getpid());
    return id;
}

docker::Labels testLabels() { return {{"ppcs.test", runId()}}; }

std::string ensureNodeImage() {
    static std::string imageId;
    if (!imageId.empty()) return imageId;
    TestDaemonDir state;
    auto result =
        ppcs::testing::runProcess({ppcs::testing::cliBinary(), "--json", "build"}, {{"PPCS_STATE_DIR", state.path()}}, 2400);
    INFO("build stderr (last part): " << lastPart(result.err));
    REQUIRE(result.exitCode == 0);
    auto marker = result.out.find("\"image_id\":\"");
    REQUIRE(marker != std::string::npos);
    imageId = result.out.substr(marker + 12, result.out.find('"', marker + 12) - marker - 12);
    return imageId;
}

TestDaemonDir::TestDaemonDir(std::string dockerHost) : dockerHost_(std::move(dockerHost)) {
    char pattern[] = "/tmp/ppcs-it-state-XXXXXX";
    path_ = ::mkdtemp(pattern);
}

TestDaemonDir::~TestDaemonDir() {
    ppcs::testing::runProcess({ppcs::testing::cliBinary(), "daemon", "stop"}, environment(), 30);
    std::system(("rm -rf " + path_).c_str());
}

std::map<std::string, std::string> TestDaemonDir::environment() const {
    std::map<std::string, std::string> env{{"PPCS_STATE_DIR", path_}};
    if (!dockerHost_.empty()) env["DOCKER_HOST"] = dockerHost_;
    return env;
}

std::string lastPart(const std::string& text, std::size_t size) {
    return text.substr(text.size() > size ? text.size() - size : 0);
}

std::string lastLine(const std::string& text) { return text.substr(text.rfind('\n', text.size() - 2) + 1); }

std::string testClusterName(const std::string& suffix) { return "it" + std::to_string(::getpid()) + "-" + suffix; }

namespace {

// With PPCS_IT_BACKEND set (the "containers: " pass of the tests tagged [backends]), every `up`
// makes its cluster with that backend.
void withTestBackend(std::vector<std::string>& args) {
    const char* backend = std::getenv("PPCS_IT_BACKEND");
    if (!backend || !*backend) return;
    auto command = std::find_if(args.begin(), args.end(), [](const std::string& word) { return word.rfind("--", 0) != 0; });
    if (command != args.end() && *command == "up") args.insert(command + 1, {"--backend", backend});
}

}  // namespace

ppcs::testing::ProcessResult runCli(const TestDaemonDir& state, std::vector<std::string> args, int timeLimit) {
    withTestBackend(args);
    args.insert(args.begin(), ppcs::testing::cliBinary());
    return ppcs::testing::runProcess(args, state.environment(), timeLimit);
}

int spawnCli(const TestDaemonDir& state, std::vector<std::string> args) {
    withTestBackend(args);
    args.insert(args.begin(), ppcs::testing::cliBinary());
    std::vector<char*> argv;
    for (auto& word : args) argv.push_back(word.data());
    argv.push_back(nullptr);
    std::string stateEnv = "PPCS_STATE_DIR=" + state.path();
    std::vector<char*> env;
    for (char** entry = environ; *entry; ++entry) env.push_back(*entry);
    env.push_back(stateEnv.data());
    env.push_back(nullptr);
    pid_t pid = 0;
    REQUIRE(::posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), env.data()) == 0);
    return pid;
}

TestContainers::~TestContainers() {
    for (const auto& id : ids_) (void)engine_.removeContainer(id, true);  // clean-up: a container already gone is fine
}

std::string TestContainers::start(const std::string& image, std::vector<std::string> cmd, const std::string& networkMode) {
    docker::ContainerSpec spec;
    spec.name = runId() + "-" + std::to_string(ids_.size());
    spec.image = image;
    spec.cmd = std::move(cmd);
    spec.labels = testLabels();
    spec.networkMode = networkMode;
    auto id = engine_.createContainer(spec);
    REQUIRE(id);
    ids_.push_back(*id);
    auto started = engine_.startContainer(*id);
    INFO((started ? std::string() : started.error().message));
    REQUIRE(started);
    return *id;
}

std::string TestContainers::startNode(const std::string& image) {
    auto id = start(image);
    // sshd writes its pid file once it listens; 40 x 250 ms bounds the wait.
    for (int attempt = 0; attempt < 40; ++attempt) {
        auto ready = engine_.runExec(id, docker::ExecSpec{{"test", "-s", "/run/sshd.pid"}, "root", {}, ""});
        REQUIRE(ready);
        if (ready->exitCode == 0) return id;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    FAIL("sshd did not start within 10 s in container " << id.substr(0, 12));
    return id;
}

docker::ExecOutcome execIn(docker::EngineClient& engine, const std::string& container, std::vector<std::string> argv,
                           const std::string& user) {
    auto outcome = engine.runExec(container, docker::ExecSpec{std::move(argv), user, {}, ""});
    INFO((outcome ? "" : outcome.error().message));
    REQUIRE(outcome);
    return *outcome;
}

}  // namespace ppcs::integration
