#pragma once
// The cluster lifecycle: up, scale, down, status, list. Every call reads the cluster from Docker's
// labels first (once), decides (decideUp, reconciler.h), then acts; a failed `up` removes
// everything it created. The status `up` and `scale` return is built from the members makeReady
// verified, not read back.
// Not safe to run two operations on one cluster at once: callers serialize them (OperationLocks).

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cluster/hosts.h"
#include "cluster/operation_locks.h"
#include "cluster/readiness.h"
#include "cluster/spec.h"
#include "common/result.h"
#include "docker/engine.h"
#include "image/process_runner.h"
#include "model/cluster_status.h"

namespace ppcs::cluster {

using model::ClusterStatus;
using model::DownReport;
using model::HostState;

struct SwarmSettings {
    std::string listenAddr = "127.0.0.1:2377";  // used only when ppcs initialises the swarm
    std::string advertiseAddr = "127.0.0.1";
};

// The spec as a new cluster's services get it, checked against the swarm's schedulable hosts:
// /dev/shm sized when not given (half of --memory, else half of the smallest host's memory),
// --cpus within every host's CPUs, and a host folder only on a single host unless every host is
// said to have it (--mount-on-every-host). Usage errors otherwise.
Result<ClusterSpec> fitSpecToHosts(ClusterSpec spec, const HostEngines& hosts);

class ClusterManager {
public:
    // imageBuildLock, when given, is held while `up` makes sure the image is built, so that it
    // never races another build of the same image.
    ClusterManager(docker::Engine& engine, image::ProcessRunner& runner, std::mutex* imageBuildLock = nullptr,
                   SwarmSettings swarm = {})
        : engine_(engine), runner_(runner), imageBuildLock_(imageBuildLock), swarm_(std::move(swarm)) {}

    // Builds the image if missing, makes sure Swarm is active, creates or scales the cluster and
    // returns once it is verified ready (or the timeout ran out: then a new cluster is removed).
    Result<ClusterStatus> up(const ClusterSpec& spec, std::chrono::seconds timeout, const Progress& progress);
    // Changes the node count of a running cluster; refuses while a job runs on it.
    Result<ClusterStatus> scale(const std::string& name, int nodes, std::chrono::seconds timeout, const Progress& progress);
    // Removes what `up` created (the volume only with removeVolume) and waits until it is gone.
    // A cluster that does not exist is not an error: there is nothing to remove.
    Result<DownReport> down(const std::string& name, bool removeVolume, const Progress& progress);
    Result<ClusterStatus> status(const std::string& name);
    // Just the members and their addresses (no readiness): two engine calls, for `ips`.
    Result<std::vector<Member>> addresses(const std::string& name);
    Result<std::vector<std::string>> list();

private:
    Result<std::string> ensureImage(model::MpiKind mpi, const Progress& progress);
    Status ensureSwarm(const Progress& progress);
    // The backend of observed when it exists, else spec's, else the engine's default: Swarm
    // services where the engine has Swarm, plain containers where it has none (Podman).
    Result<model::Backend> chooseBackend(const ClusterSpec& spec, const ObservedCluster& observed);
    // A new containers cluster (containers_backend.h), made ready; a failure removes it again.
    Result<ClusterStatus> createContainers(const ClusterSpec& spec, const std::string& imageId, bool createVolume,
                                           std::chrono::steady_clock::time_point deadline, const Progress& progress);
    // The decisions of decideUp (reconciler.h) carried out. create: the hosts checked and given
    // the image, the spec fitted to them, the image pushed when tasks pull it, then createObjects.
    Result<ClusterStatus> create(const ClusterSpec& spec, const std::string& imageId, bool createVolume,
                                 std::chrono::steady_clock::time_point deadline, const Progress& progress);
    // Network, volume (when createVolume), key secret, services, then makeReady; a failure removes
    // what was created.
    Result<ClusterStatus> createObjects(const ClusterSpec& spec, const std::string& imageId, bool createVolume,
                                        HostEngines& hosts, std::chrono::steady_clock::time_point deadline,
                                        const Progress& progress);
    // Scales the nodes (when scaleNodes; refused while a job runs), then makeReady.
    Result<ClusterStatus> resize(const ObservedCluster& observed, int nodes, int slotsOverride, bool scaleNodes,
                                 HostEngines& hosts, std::chrono::steady_clock::time_point deadline, const Progress& progress);

    docker::Engine& engine_;
    image::ProcessRunner& runner_;
    std::mutex* imageBuildLock_;
    SwarmSettings swarm_;
};

}  // namespace ppcs::cluster
