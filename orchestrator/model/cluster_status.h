#pragma once
// A cluster as ppcsd finds it and reports it: its members, the hosts they run on, their resource
// figures, and what `down` removed (values only: cluster/ fills them from the engine).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/cluster_spec.h"

namespace ppcs::model {

enum class MemberRole { head, node };

// "head" or "node": the one spelling of a role on the wire, in labels (ppcs.role) and in output.
const char* roleName(MemberRole role);
// The inverse of roleName; nullopt for any other text.
std::optional<MemberRole> roleFromName(std::string_view name);
// Every member's hostname: <cluster>-head, <cluster>-node-<slot> (what the services' hostname
// templates make of a task, cluster/spec.h).
std::string memberHostname(const std::string& cluster, MemberRole role, int slot);

// One task of the cluster: the head (slot 0) or a node.
struct Member {
    MemberRole role = MemberRole::node;
    int taskSlot = 0;      // the swarm task's slot; 0 for the head
    std::string hostname;  // <cluster>-head or <cluster>-node-<slot>
    std::string address;   // overlay IPv4 address, without prefix; empty until attached
    std::string state;     // task state: "running", "starting", ...
    std::string message;   // task status message or error
    std::string containerId;
    std::string dockerHostId;  // the swarm node (Docker host) it runs on
    int mpiSlots = 1;          // MPI ranks it takes (its hostfile slots)
    bool ready = false;        // listed in the cluster's hostfile
    std::string dockerHost;    // the name of the Docker host it runs on (status only)
};

// A container's figures, from two samples of the engine's stats about a second apart.
struct ContainerStats {
    double cpuPercent = 0;              // (cpu delta / system delta) x online CPUs x 100
    std::int64_t memoryBytes = 0;       // memory_stats.usage less page cache (stats.cache / inactive_file)
    std::int64_t memoryLimitBytes = 0;  // memory_stats.limit
    std::int64_t rxBytes = 0;           // sum of networks[].rx_bytes
    std::int64_t txBytes = 0;           // sum of networks[].tx_bytes
};

struct MemberStats {
    MemberRole role = MemberRole::node;
    std::string hostname;
    std::string containerId;
    ContainerStats stats;
    std::string error;  // set when this member's figures could not be read
};

// A Docker host of the swarm as `status` shows it.
struct HostState {
    std::string name;
    std::string state;         // "ready", "down", ...
    std::string availability;  // "active", "pause", "drain"
    int members = 0;           // the cluster's members running there
};

struct ClusterStatus {
    std::string name;
    std::string image;      // the image ID every task runs
    std::string subnet;     // the overlay network's CIDR
    std::string createdAt;  // the head service's creation time (RFC 3339)
    int desiredNodes = 0;
    NodeSize size;                      // every member's limits and /dev/shm, as recorded at creation
    HostMount mount;                    // the host folder bound into every member, if any
    std::vector<Member> members;        // head first, then nodes by slot
    std::vector<HostState> hosts;       // every host of the swarm
    std::vector<std::string> events;    // what ppcsd saw happen ("TIME text"), oldest first
    MpiKind mpi = kDefaultMpi;          // as recorded at creation (ppcs.mpi)
    Backend backend = kDefaultBackend;  // as recorded at creation (ppcs.backend)
};

struct DownReport {
    bool existed = false;
    std::vector<std::string> removed;     // "service demo_mpihead", "network demo_net", ...
    std::vector<std::string> leftBehind;  // what stays on hosts ppcsd cannot reach
};

}  // namespace ppcs::model
