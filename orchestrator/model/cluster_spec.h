#pragma once
// What a cluster is asked to be and the validation of the user's words for it (pure: no engine).
// cluster/spec.h names and labels the Docker objects made from it.

#include <optional>
#include <string>

#include "common/result.h"
#include "model/backend.h"
#include "model/mpi.h"
#include "model/node_size.h"

namespace ppcs::model {

inline constexpr const char* kDefaultClusterName = "ppcs";
inline constexpr int kMaxNodes = 1000;
inline constexpr int kMaxSlots = 1024;
inline constexpr const char* kSharedDir = "/usr/local/var/mpishare";
inline constexpr const char* kHostfilePath = "/usr/local/var/mpishare/hostfile";
inline constexpr const char* kClusterFilesDir = "/usr/local/var/mpishare/.ppcs";
inline constexpr const char* kMpiUser = "mpiuser";
inline constexpr unsigned kMpiUserId = 1000;  // mpiuser's uid and gid in the node image

struct ClusterSpec {
    std::string name = kDefaultClusterName;
    int nodeCount = 0;      // nodes besides the head, 1..kMaxNodes
    int slotsOverride = 0;  // 0: slots from each container's CPU allowance
    int perHost = 0;        // most nodes on one Docker host; 0: no cap
    std::string registry;   // HOST[:PORT] the image is pushed to and tasks pull from; empty: copied to each host
    NodeSize size;          // limits and /dev/shm of every member (node_size.h)
    HostMount mount;        // a host folder bound into every member; source empty: none
    // The cluster's MPI. Unset: kDefaultMpi for a new cluster, the cluster's own for one that
    // exists (an `up` that resizes); set, it must be the existing cluster's.
    std::optional<MpiKind> mpi;
    // How its members are made. Unset: Swarm services on an engine with Swarm, plain containers on
    // one without (Podman), for a new cluster; the cluster's own for one that exists. Set, it
    // must be the existing cluster's.
    std::optional<Backend> backend;
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

}  // namespace ppcs::model
