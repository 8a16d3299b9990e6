#pragma once
// The Docker hosts of the swarm and the engines ppcsd can reach on them.
//
// ppcsd talks to one engine, a swarm manager (the local host). Other hosts are reached only when
// registered with `ppcs-cluster hosts add NAME ENDPOINT [--tls-dir DIR | --insecure]
// [--ssh-key FILE] [--ssh-known-hosts FILE]`: the endpoint, name, how a tcp:// endpoint is secured
// and what an ssh:// one adds to ssh's configuration are kept as labels on the swarm node
// (ppcs.endpoint, ppcs.host, ppcs.tls-dir or ppcs.insecure, ppcs.ssh-key, ppcs.ssh-known-hosts),
// so Docker stays the source of truth and
// a host that leaves the swarm takes its registration with it. A plain tcp:// registration without
// ppcs.insecure (made before TLS was required) is not used: the host is unreachable until
// registered again. Reachable engines give image distribution
// (save -> load), per-container stats, host keys and clean-up on that host.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/readiness.h"
#include "common/result.h"
#include "docker/engine.h"
#include "model/host.h"

namespace ppcs::cluster {

using model::Host;
using model::validateHostName;

inline constexpr const char* kHostNameLabel = "ppcs.host";
inline constexpr const char* kHostEndpointLabel = "ppcs.endpoint";
inline constexpr const char* kHostTlsDirLabel = "ppcs.tls-dir";                 // absolute: ca.pem, cert.pem, key.pem
inline constexpr const char* kHostInsecureLabel = "ppcs.insecure";              // "true": plain TCP allowed
inline constexpr const char* kHostSshKeyLabel = "ppcs.ssh-key";                 // absolute: ssh -i
inline constexpr const char* kHostSshKnownHostsLabel = "ppcs.ssh-known-hosts";  // absolute: UserKnownHostsFile

// The endpoint a node's labels register, secured as they say; nothing when none is registered, an
// error when the registration is not usable (model::hostEndpoint's rules).
Result<std::optional<model::EngineEndpoint>> registeredEndpoint(const docker::Labels& labels);

// A host that may receive a cluster's tasks: ready and active.
bool schedulable(const docker::SwarmNode& node);

// The swarm's nodes with the engines reachable on them, discovered at construction time.
class HostEngines {
public:
    // Reads the swarm's nodes from the local (manager) engine and connects to every registered
    // endpoint; a registered endpoint that does not answer is remembered with the reason.
    static Result<HostEngines> discover(docker::Engine& local);
    // Just the local engine, described as one host (ID "", its CPUs and memory from its info):
    // a containers cluster's every member runs there, whatever swarm the engine is in.
    static Result<HostEngines> localOnly(docker::Engine& local);

    const std::vector<docker::SwarmNode>& nodes() const { return nodes_; }
    const std::string& localNodeId() const { return localNodeId_; }
    // The engine on nodeId, or nullptr when ppcsd cannot reach it (see unreachableReason).
    docker::Engine* engineFor(const std::string& nodeId);
    // The engine on another host, to keep (a shell session does); nullptr for the local engine
    // (the caller has it) and for a host ppcsd cannot reach.
    std::shared_ptr<docker::Engine> remoteEngine(const std::string& nodeId) const;
    std::string unreachableReason(const std::string& nodeId) const;
    // One warning line per host reached over plain TCP (registered with --insecure).
    std::vector<std::string> insecureWarnings() const;
    const docker::SwarmNode* node(const std::string& nodeId) const;
    std::string displayName(const std::string& nodeId) const;

private:
    explicit HostEngines(docker::Engine& local) : local_(&local) {}

    docker::Engine* local_;
    std::string localNodeId_;
    std::vector<docker::SwarmNode> nodes_;
    std::map<std::string, std::shared_ptr<docker::Engine>> remote_;
    std::map<std::string, std::string> unreachable_;
    std::vector<std::string> insecureWarnings_;
};

// Every host of the swarm; image says whether the image imageRef names on the local engine is
// there (asked of each reachable engine by ID).
Result<std::vector<Host>> listHosts(docker::Engine& local, const std::string& imageRef);
// The command to run on a new host to join the swarm as a worker.
Result<std::string> joinCommand(docker::Engine& local);
// Registers the engine at endpoint under name: it must answer (over TLS when endpoint.tls says so)
// and be a node of this swarm; nothing changes otherwise. imageRef: the image whose presence the
// returned Host reports.
Result<Host> addHost(docker::Engine& local, const std::string& name, const model::EngineEndpoint& endpoint,
                     const std::string& imageRef);

// Before tasks are created: makes sure every schedulable host has imageId, copying it from the
// local engine (save -> load, in parallel) where it is missing. A host that lacks it and cannot
// get it (no endpoint, unreachable) is named in the error, before anything is copied. Every host
// reached over plain TCP gets a warning line in progress.
Status ensureImageOnHosts(HostEngines& hosts, docker::Engine& local, const std::string& imageId, const Progress& progress);

}  // namespace ppcs::cluster
