#pragma once
// A test cluster with a ppcsd of its own: its state directory, its name, a scratch folder for
// the user's sources, and the checks job tests share. The cluster is taken down (volumes too)
// at the end, pass or fail; nothing of the user's (the default cluster `ppcs`, another ppcsd) is
// named or touched.

#include <sys/types.h>

#include <string>
#include <vector>

#include "docker/engine.h"
#include "integration/support.h"
#include "support/run_process.h"

namespace ppcs::integration {

class ClusterFixture {
public:
    // The cluster is named testClusterName(suffix).
    explicit ClusterFixture(const std::string& suffix);
    ~ClusterFixture();
    ClusterFixture(const ClusterFixture&) = delete;
    ClusterFixture& operator=(const ClusterFixture&) = delete;

    // ppcs-cluster ARGS against this fixture's daemon (no --name added).
    ppcs::testing::ProcessResult cli(std::vector<std::string> args, int timeLimit = 300) const;
    // The same without waiting: the CLI's pid.
    pid_t spawn(std::vector<std::string> args) const;
    // `run --name <cluster> ARGS...` from the sources folder, so that local paths are relative to it.
    ppcs::testing::ProcessResult run(std::vector<std::string> args, int timeLimit = 300) const;
    // The name of one more cluster of this fixture (testClusterName(suffix)), taken down with it.
    std::string extraCluster(const std::string& suffix);
    // Writes sources()/name (folders on the way are made).
    void write(const std::string& name, const std::string& content) const;

    const std::string& cluster() const { return cluster_; }
    const std::string& stateDir() const { return state_.path(); }
    const std::string& sources() const { return sources_; }

private:
    TestDaemonDir state_;
    std::string cluster_;
    std::string sources_;
    std::vector<std::string> extraClusters_;
};

// The non-empty lines of text, trimmed as a whole.
std::vector<std::string> lines(const std::string& text);

// Processes of mpiuser other than sshd/ssh on every member of the cluster ("PID NAME" lines).
std::vector<std::string> leftovers(docker::EngineClient& engine, const std::string& cluster);

// Polls leftovers() until it holds at least `count` entries, at most limitSeconds; true when it did.
bool waitForLeftovers(docker::EngineClient& engine, const std::string& cluster, std::size_t count, int limitSeconds);

// The pid ppcsd wrote into its state directory.
int daemonPid(const std::string& stateDir);

// Exit status of child pid (128 + signal when killed), waiting at most limitSeconds; -1 when it
// did not end (it is then killed and reaped).
int waitFor(pid_t pid, int limitSeconds);

}  // namespace ppcs::integration
