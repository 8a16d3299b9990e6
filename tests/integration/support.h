#pragma once
// Shared pieces of the integration tests: the real engine, the node image, a per-run label for
// everything a test creates, and guards that remove it at the end, pass or fail.

#include <map>
#include <string>
#include <vector>

#include "docker/engine.h"
#include "support/run_process.h"

namespace ppcs::integration {

// The engine from $DOCKER_HOST; fails the test, saying why, when none answers.
docker::EngineClient requireEngine();
// Podman's Docker-compatible service: $PPCS_PODMAN_SOCKET (default /run/podman/podman.sock) as
// "unix://...", as scripts/lib.sh's start_podman (run by scripts/test) serves it.
std::string podmanHost();
// A client of it; the test fails, saying how to start it, when it does not answer.
docker::EngineClient requirePodman();
// Podman has no registry to pull from here: debian:bookworm-slim comes over from dockerd's store
// (where the node image's build put it) when Podman lacks it. Returns its ID in Podman.
std::string ensurePodmanBaseImage(docker::EngineClient& podman);

// A name unique to this test process: "ppcs-it-<pid>".
const std::string& runId();
// Labels every object a test creates carries.
docker::Labels testLabels();

// Builds the node image with the real CLI (a no-op when it is up to date) and returns its ID.
std::string ensureNodeImage();

// A fresh state directory for a ppcsd of the test's own, removed (daemon stopped) at the end.
// dockerHost, when given, is the DOCKER_HOST every CLI call (and so the daemon) gets.
class TestDaemonDir {
public:
    explicit TestDaemonDir(std::string dockerHost = "");
    ~TestDaemonDir();
    const std::string& path() const { return path_; }
    // PPCS_STATE_DIR, and DOCKER_HOST when one was given.
    std::map<std::string, std::string> environment() const;

private:
    std::string path_;
    std::string dockerHost_;
};

// The last `size` characters of text (all of it when shorter): enough of a long stderr to say why.
std::string lastPart(const std::string& text, std::size_t size = 2000);
// The last line of text, which ends with a newline (the one-line error a command printed last).
std::string lastLine(const std::string& text);

// "it<pid>-<suffix>": a cluster name unique to this test process.
std::string testClusterName(const std::string& suffix);

// The real ppcs-cluster with ARGS against the daemon of `state` (started when needed).
ppcs::testing::ProcessResult runCli(const TestDaemonDir& state, std::vector<std::string> args, int timeLimit = 300);
// The same, without waiting: returns the CLI's pid.
int spawnCli(const TestDaemonDir& state, std::vector<std::string> args);

// Starts containers from an image, without any network unless asked, and force-removes them at the end.
class TestContainers {
public:
    explicit TestContainers(docker::EngineClient& engine) : engine_(engine) {}
    ~TestContainers();
    // Starts one with the image's own command (sshd) and returns its ID. networkMode "bridge" lets
    // it reach Debian's mirror (for apt-get, as an image build's RUN steps do).
    std::string start(const std::string& image, std::vector<std::string> cmd = {}, const std::string& networkMode = "none");
    // start(), then waits (bounded) until the entrypoint has made the host keys and sshd listens.
    std::string startNode(const std::string& image);

private:
    docker::EngineClient& engine_;
    std::vector<std::string> ids_;
};

// Runs argv in the container as mpiuser (or user) and returns the outcome; fails the test on
// an engine error.
docker::ExecOutcome execIn(docker::EngineClient& engine, const std::string& container, std::vector<std::string> argv,
                           const std::string& user = "mpiuser");

}  // namespace ppcs::integration
