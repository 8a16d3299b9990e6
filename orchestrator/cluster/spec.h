#pragma once
// What a cluster is asked to be, how its Docker objects are named and labelled, and the
// validation of user input (pure: no engine).

#include <cstdint>
#include <string>

#include "cluster/node_size.h"
#include "common/result.h"
#include "docker/types.h"

namespace ppcs::cluster {

inline constexpr const char* kDefaultClusterName = "ppcs";
inline constexpr int kMaxNodes = 1000;
inline constexpr int kMaxSlots = 1024;
inline constexpr const char* kSharedDir = "/usr/local/var/mpishare";
inline constexpr const char* kHostfilePath = "/usr/local/var/mpishare/hostfile";
inline constexpr const char* kClusterFilesDir = "/usr/local/var/mpishare/.ppcs";
inline constexpr const char* kMpiUser = "mpiuser";
inline constexpr unsigned kMpiUserId = 1000;  // mpiuser's uid and gid in the node image

// Labels on every object: ppcs.cluster=<name>; services and containers also ppcs.role=head|node.
inline constexpr const char* kClusterLabel = "ppcs.cluster";
inline constexpr const char* kRoleLabel = "ppcs.role";
inline constexpr const char* kSubnetLabel = "ppcs.subnet";
inline constexpr const char* kSlotsLabel = "ppcs.slots";
inline constexpr const char* kPerHostLabel = "ppcs.per-host";
inline constexpr const char* kRegistryLabel = "ppcs.registry";

struct ClusterSpec {
    std::string name = kDefaultClusterName;
    int nodes = 0;          // nodes besides the head, 1..kMaxNodes
    int slotsOverride = 0;  // 0: slots from each container's CPU allowance
    int perHost = 0;        // most nodes on one Docker host; 0: no cap
    std::string registry;   // HOST[:PORT] the image is pushed to and tasks pull from; empty: copied to each host
    NodeSize size;          // limits and /dev/shm of every member (node_size.h)
    HostMount mount;        // a host folder bound into every member; source empty: none
};

// A name Docker accepts for every object derived from it: lower-case letters, digits and '-',
// starting with a letter, at most 40 characters.
Status validateClusterName(const std::string& name);
Status validateNodeCount(int nodes);
Status validateSlots(int slots);      // 0 (automatic) or 1..kMaxSlots
Status validatePerHost(int perHost);  // 0 (no cap) or 1..kMaxNodes
// A registry as HOST[:PORT] (letters, digits, '.', '-'; no scheme, no path); empty is valid (none).
Status validateRegistry(const std::string& registry);
// Refuses a node count that the schedulable hosts cannot hold at perHost nodes each.
Status validatePlacement(int nodes, int perHost, int schedulableHosts);
// Also the size and, when one is given, the mount (node_size.h).
Status validateSpec(const ClusterSpec& spec);
// The slots each member gets: --slots, else whole CPUs of --cpus, else 0 (each host's CPUs).
int effectiveSlots(const ClusterSpec& spec);

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
docker::Labels clusterLabels(const std::string& cluster);
docker::Labels roleLabels(const std::string& cluster, const std::string& role);

// The spec of the head's or the nodes' service (role "head" or "node"). The head runs on the
// manager ppcsd talks to (localNodeId; jobs start there by exec), nodes anywhere, at most
// spec.perHost on one host. Every member gets the shared volume, the key secret, the limits of
// spec.size, a tmpfs of spec.size.shmBytes at /dev/shm (resolved by the caller: 0 leaves the
// kernel's default) and the host folder of spec.mount; the labels record them all.
docker::ServiceSpec clusterServiceSpec(const ClusterSpec& spec, const std::string& role, const std::string& imageId,
                                       const std::string& networkId, const docker::SecretInfo& secret, const std::string& subnet,
                                       const std::string& localNodeId);

}  // namespace ppcs::cluster
