#pragma once
// How a cluster's Docker objects are named and labelled, and the service specs made from a
// ClusterSpec (model/cluster_spec.h) (pure: no engine).

#include <cstdint>
#include <string>

#include "cluster/node_size.h"
#include "common/result.h"
#include "docker/types.h"
#include "model/cluster_spec.h"
#include "model/cluster_status.h"

namespace ppcs::cluster {

using model::ClusterSpec;
using model::effectiveSlots;
using model::kClusterFilesDir;
using model::kDefaultClusterName;
using model::kHostfilePath;
using model::kMaxNodes;
using model::kMaxSlots;
using model::kMpiUser;
using model::kMpiUserId;
using model::kSharedDir;
using model::MemberRole;
using model::roleFromName;
using model::roleName;
using model::validateClusterName;
using model::validateNodeCount;
using model::validatePerHost;
using model::validatePlacement;
using model::validateRegistry;
using model::validateSlots;
using model::validateSpec;

// Labels on every object: ppcs.cluster=<name>; services and containers also ppcs.role=head|node.
inline constexpr const char* kClusterLabel = "ppcs.cluster";
inline constexpr const char* kRoleLabel = "ppcs.role";
inline constexpr const char* kSubnetLabel = "ppcs.subnet";
inline constexpr const char* kSlotsLabel = "ppcs.slots";
inline constexpr const char* kPerHostLabel = "ppcs.per-host";
inline constexpr const char* kRegistryLabel = "ppcs.registry";
inline constexpr const char* kMpiLabel = "ppcs.mpi";  // model::mpiName of the cluster's MPI
// model::backendName of how the cluster is made; on every object of a containers cluster (a
// cluster without it is a Swarm one: clusters made before the choice).
inline constexpr const char* kBackendLabel = "ppcs.backend";
inline constexpr const char* kSlotLabel = "ppcs.slot";  // a node container's slot (containers backend)
// Where a containers cluster's member finds the cluster key (as a Swarm secret would put it).
inline constexpr const char* kKeyFileDir = "/run/secrets";
inline constexpr const char* kKeyFileName = "ppcs_ssh_key";

// Set in every member's environment to the overlay network's CIDR (images/openmpi/entrypoint.sh).
inline constexpr const char* kOverlaySubnetEnv = "PPCS_OVERLAY_SUBNET";

struct ObjectNames {
    std::string headService;   // <name>_mpihead
    std::string nodeService;   // <name>_mpinode
    std::string network;       // <name>_net
    std::string volume;        // <name>_mpishare
    std::string secretPrefix;  // <name>_ssh_ (a random suffix makes each key's secret unique)
    std::string headHostname;  // <name>-head
    std::string nodeHostname;  // <name>-node-{{.Task.Slot}}
};

ObjectNames objectNames(const std::string& cluster);
// The value of key among labels; empty when it is not there.
std::string labelValue(const docker::Labels& labels, const char* key);
docker::Labels clusterLabels(const std::string& cluster);
docker::Labels roleLabels(const std::string& cluster, MemberRole role);
// clusterLabels with kBackendLabel: the labels of a containers cluster's network and volume, and
// the filter that finds its containers.
docker::Labels containersBackendLabels(const std::string& cluster);
// The name (and hostname) of a containers cluster's member: memberHostname.
std::string memberContainerName(const std::string& cluster, MemberRole role, int slot);

// The spec of the head's or the nodes' service. The head runs on the
// manager ppcsd talks to (localNodeId; jobs start there by exec), nodes anywhere, at most
// spec.perHost on one host. Every member gets the shared volume, the key secret, the limits of
// spec.size, a tmpfs of spec.size.shmBytes at /dev/shm (resolved by the caller: 0 leaves the
// kernel's default) and the host folder of spec.mount; the labels record them all, the MPI too
// (kMpiLabel); the environment holds kOverlaySubnetEnv.
docker::ServiceSpec clusterServiceSpec(const ClusterSpec& spec, MemberRole role, const std::string& imageId,
                                       const std::string& networkId, const docker::SecretInfo& secret, const std::string& subnet,
                                       const std::string& localNodeId);

// The container of a containers cluster's head (slot 0) or node `slot`: the service spec's settings
// (labels, environment, mounts, limits) on one container of networkName, which also knows it by
// its hostname; kSlotLabel and kBackendLabel added. The key file is put in by the caller before
// start (kKeyFileDir/kKeyFileName, mode 0400).
docker::ContainerSpec clusterContainerSpec(const ClusterSpec& spec, MemberRole role, int slot, const std::string& imageId,
                                           const std::string& networkName, const std::string& subnet);

}  // namespace ppcs::cluster
