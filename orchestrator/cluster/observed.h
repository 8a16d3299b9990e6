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
    // From kBackendLabel on the cluster's objects; swarm when none says containers.
    model::Backend backend = model::Backend::swarm;
    // Swarm backend: the services and the key's secret.
    std::optional<docker::ServiceInfo> headService;
    std::optional<docker::ServiceInfo> nodeService;
    std::vector<docker::SecretInfo> secrets;
    // Containers backend: the head's and the nodes' containers, in any state.
    std::vector<docker::ContainerSummary> containers;
    // Both.
    std::optional<docker::NetworkInfo> network;
    std::optional<docker::VolumeInfo> volume;

    // Any object but the volume (which `down` keeps unless asked) exists.
    bool exists() const;
    bool complete() const;
    // "head service, node service, ..." for what is missing from a complete cluster.
    std::string missingParts() const;
    std::string subnet() const;
    // The containers backend's head container; nullptr when there is none (or another backend).
    const docker::ContainerSummary* headContainer() const;
    // The node count asked for: the node service's replicas, or the node containers there are.
    int desiredNodes() const;
    // The image every member runs, and when the cluster was made (RFC 3339).
    std::string image() const;
    std::string createdAt() const;
    // Settings fixed at creation, from the head's labels (the head service's, or the head
    // container's): 0 or "" when not set (or no head).
    // ppcs.slots, else the whole CPUs of its ppcs.cpus (at least 1).
    int slotsOverride() const;
    int perHost() const;           // ppcs.per-host on the node service
    std::string registry() const;  // ppcs.registry on the node service
    // ppcs.mpi; kDefaultMpi without one (clusters made before the choice).
    model::MpiKind mpi() const;
    NodeSize nodeSize() const;    // ppcs.cpus, ppcs.memory, ppcs.shm-size
    HostMount hostMount() const;  // ppcs.mount, ppcs.mount-every-host

private:
    const docker::Labels& headLabels() const;
    std::string headLabel(const char* key) const;
    std::string nodeLabel(const char* key) const;
};

Result<ObservedCluster> observeCluster(docker::Engine& engine, const std::string& name);

// Names of every cluster that has a head (service or container), sorted.
Result<std::vector<std::string>> listClusterNames(docker::Engine& engine);

}  // namespace ppcs::cluster
