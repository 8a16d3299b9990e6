#pragma once
// Simulated Docker hosts for the multi-host tests (scripts/sim-hosts): dockerd in containers on
// the tests' engine, joined into a swarm of their own.

#include <string>
#include <vector>

#include "docker/engine.h"
#include "support/run_process.h"

namespace ppcs::integration {

// scripts/sim-hosts up N for the test, under a simulation name of its own, and down at the end,
// pass or fail (only when this test brought them up). A simulation someone else runs on the same
// engine (the default name, ppcs-sim) is neither touched nor in the way.
class SimulatedHosts {
public:
    explicit SimulatedHosts(int count, bool withRegistry = false);
    ~SimulatedHosts();
    SimulatedHosts(const SimulatedHosts&) = delete;
    SimulatedHosts& operator=(const SimulatedHosts&) = delete;

    const std::string& registry() const { return registry_; }
    const std::string& name() const { return name_; }
    // Host K's container, hostname and swarm node name.
    std::string hostName(int host) const { return name_ + "-" + std::to_string(host); }
    ppcs::testing::ProcessResult down();
    std::string endpoint(int host) const { return "unix://" + dir_ + "/host" + std::to_string(host) + "/docker.sock"; }
    // The same engine over plain TCP on the simulation's own network: tcp://IP:2375 (not host 1,
    // whose engine is DOCKER_HOST in `sim-hosts env`).
    std::string tcpEndpoint(int host) const;
    // Host K's address on the simulation's network.
    std::string address(int host) const;
    // `sim-hosts tls K DIR`: host K's engine restarted with TLS on port 2376 (DIR: ca.pem,
    // server-cert.pem, server-key.pem); returns tcp://IP:2376.
    std::string enableTls(int host, const std::string& certDir) const;
    // `sim-hosts ssh K PUBKEYFILE`: sshd in host K letting root in with that key; returns
    // ssh://root@IP:22. sshKnownHosts(K): the file with host K's host key, for ssh's known_hosts.
    std::string enableSsh(int host, const std::string& publicKeyFile) const;
    std::string sshKnownHosts(int host) const { return dir_ + "/host" + std::to_string(host) + "/ssh/known_hosts"; }
    docker::EngineClient engine(int host) const;

private:
    ppcs::testing::ProcessResult script(std::vector<std::string> args, int timeLimit) const;

    std::string outerEngine_;
    std::string name_;
    std::string dir_;
    std::string registry_;  // HOST:PORT of the simulation's registry, when asked for
    bool up_ = false;
};

}  // namespace ppcs::integration
