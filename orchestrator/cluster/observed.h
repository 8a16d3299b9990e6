#pragma once
// What Docker says a cluster is right now, read from labels: Docker is the source of truth, so
// ppcsd keeps no cluster state of its own and loses nothing when it restarts.

#include <optional>
#include <string>
#include <vector>

#include "cluster/node_size.h"
#include "common/result.h"
#include "docker/engine.h"

namespace ppcs::cluster {

struct ObservedCluster {
    std::string name;
    std::optional<docker::ServiceInfo> headService;
    std::optional<docker::ServiceInfo> nodeService;
    std::optional<docker::NetworkInfo> network;
    std::vector<docker::SecretInfo> secrets;
    std::optional<docker::VolumeInfo> volume;

    // Any object but the volume (which `down` keeps unless asked) exists.
    bool exists() const { return headService || nodeService || network || !secrets.empty(); }
    bool complete() const { return headService && nodeService && network && !secrets.empty(); }
    // "head service, node service, ..." for what is missing from a complete cluster.
    std::string missingParts() const;
    std::string subnet() const;
    // Settings fixed at creation, from the services' labels: 0 or "" when not set (or no service).
    // ppcs.slots on the head service, else the whole CPUs of its ppcs.cpus (at least 1).
    int slotsOverride() const;
    int perHost() const;           // ppcs.per-host on the node service
    std::string registry() const;  // ppcs.registry on the node service
    // ppcs.mpi on the head service; kDefaultMpi without one (clusters made before the choice).
    model::MpiKind mpi() const;
    NodeSize nodeSize() const;    // ppcs.cpus, ppcs.memory, ppcs.shm-size on the head service
    HostMount hostMount() const;  // ppcs.mount, ppcs.mount-every-host on the head service
};

Result<ObservedCluster> observeCluster(docker::Engine& engine, const std::string& name);

// Names of every cluster that has a head service.
Result<std::vector<std::string>> listClusterNames(docker::Engine& engine);

}  // namespace ppcs::cluster
