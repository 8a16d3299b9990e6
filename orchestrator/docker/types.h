#pragma once
// Value types for the Engine API objects ppcs uses. Each field names the engine field it maps to.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/cluster_status.h"

namespace ppcs::docker {

using Labels = std::map<std::string, std::string>;

struct ImageInfo {
    std::string id;                     // Id ("sha256:...")
    std::vector<std::string> repoTags;  // RepoTags
    Labels labels;                      // Config.Labels
    std::int64_t sizeBytes = 0;         // Size
    std::string created;                // Created (RFC 3339)
};

enum class MountType { volume, bind, tmpfs };  // Mounts[].Type

struct VolumeMount {
    std::string source;                  // Mounts[].Source (a volume name, a host path for bind; none for tmpfs)
    std::string target;                  // Mounts[].Target
    Labels volumeLabels;                 // Mounts[].VolumeOptions.Labels: set when a host creates the volume
    MountType type = MountType::volume;  // Mounts[].Type
    std::int64_t tmpfsSizeBytes = 0;     // Mounts[].TmpfsOptions.SizeBytes (tmpfs; 0: the kernel's default)
};

struct ContainerSpec {
    std::string name;                         // ?name= query parameter; empty lets the engine choose
    std::string image;                        // Image
    std::vector<std::string> cmd;             // Cmd (empty: the image's CMD)
    std::vector<std::string> env;             // Env, "KEY=value"
    Labels labels;                            // Labels
    std::string hostname;                     // Hostname
    std::string networkMode;                  // HostConfig.NetworkMode ("none", "bridge", a network name)
    std::vector<std::string> networkAliases;  // NetworkingConfig.EndpointsConfig[networkMode].Aliases
    std::vector<VolumeMount> mounts;          // HostConfig.Mounts
    std::int64_t nanoCpus = 0;                // HostConfig.NanoCpus (0: no limit)
    std::int64_t memoryBytes = 0;             // HostConfig.Memory (0: no limit)
    bool init = false;                        // HostConfig.Init: the engine's init reaps zombies as PID 1
    std::int64_t shmSizeBytes = 0;            // HostConfig.ShmSize (0: the engine's 64 MB)
    std::string restartPolicy;                // HostConfig.RestartPolicy.Name ("no", "on-failure", ...; empty: "no")
};

struct ContainerSummary {
    std::string id;                  // Id
    std::vector<std::string> names;  // Names
    std::string image;               // ImageID
    std::string state;               // State ("created", "running", "exited", ...)
    std::string status;              // Status ("Up 3 minutes", "Exited (137) 2 seconds ago")
    std::int64_t created = 0;        // Created (Unix seconds)
    Labels labels;                   // Labels
    // NetworkSettings.Networks: each network's name to the container's IPv4 address on it (empty
    // while it has none).
    std::map<std::string, std::string> addresses;
};

struct ExecSpec {
    std::vector<std::string> cmd;  // Cmd, an argv vector: never passed through a shell
    std::string user;              // User ("mpiuser"); empty: the container's user
    std::vector<std::string> env;  // Env
    std::string workingDir;        // WorkingDir
    bool tty = false;              // Tty: a pseudo-terminal (output then comes unframed)
    bool attachStdin = false;      // AttachStdin: input is sent through the attached stream
};

struct ExecState {
    bool running = false;         // Running
    std::optional<int> exitCode;  // ExitCode (null while running)
};

// GET /info, the parts ppcs uses.
struct EngineInfo {
    std::string serverVersion;  // ServerVersion ("20.10.24+dfsg1"; Podman: its own, "4.3.1")
    // Podman's Docker-compatible service (its /info carries BuildahVersion, which Docker's never
    // does): for messages. Whether it has Swarm is swarmSupported.
    bool podman = false;
    std::string swarmState;                   // Swarm.LocalNodeState: "inactive", "active", "pending", "error", "locked"
    std::string swarmError;                   // Swarm.Error
    bool swarmManager = false;                // Swarm.ControlAvailable
    std::string swarmNodeId;                  // Swarm.NodeID
    std::string swarmNodeAddr;                // Swarm.NodeAddr
    std::vector<std::string> remoteManagers;  // Swarm.RemoteManagers[].Addr ("host:port")
    int cpus = 0;                             // NCPU
    std::int64_t memoryBytes = 0;             // MemTotal
    // False on Podman, whose Docker-compatible API has no Swarm (it says LocalNodeState
    // "inactive" like a Docker engine outside a swarm; only Podman's answer has BuildahVersion).
    bool swarmSupported = true;
};

// "Podman 4.3.1" / "Docker 20.10.24+dfsg1", for messages.
inline std::string engineProduct(const EngineInfo& info) { return (info.podman ? "Podman " : "Docker ") + info.serverVersion; }

struct NetworkSpec {
    std::string name;                // Name
    std::string driver = "overlay";  // Driver
    bool attachable = true;          // Attachable
    std::string subnet;              // IPAM.Config[0].Subnet (CIDR); empty: the engine's default
    Labels labels;                   // Labels
};

struct NetworkInfo {
    std::string id;                    // Id
    std::string name;                  // Name
    Labels labels;                     // Labels
    std::vector<std::string> subnets;  // IPAM.Config[].Subnet
};

struct VolumeInfo {
    std::string name;  // Name
    Labels labels;     // Labels
};

struct SecretInfo {
    std::string id;    // ID
    std::string name;  // Spec.Name
    Labels labels;     // Spec.Labels
};

// A secret mounted into a service's containers as /run/secrets/<fileName>.
struct SecretMount {
    std::string secretId;    // SecretID
    std::string secretName;  // SecretName
    std::string fileName;    // File.Name
    unsigned mode = 0400;    // File.Mode (0 would make the file unreadable)
};

struct ServiceSpec {
    std::string name;                      // Name
    Labels labels;                         // Labels (on the service)
    std::string image;                     // TaskTemplate.ContainerSpec.Image: an ID, so no task ever pulls
    std::string hostname;                  // ContainerSpec.Hostname (templates like {{.Task.Slot}} allowed)
    std::vector<std::string> env;          // ContainerSpec.Env
    Labels containerLabels;                // ContainerSpec.Labels
    std::vector<VolumeMount> mounts;       // ContainerSpec.Mounts
    std::vector<SecretMount> secrets;      // ContainerSpec.Secrets
    std::vector<std::string> networkIds;   // TaskTemplate.Networks[].Target
    std::vector<std::string> constraints;  // TaskTemplate.Placement.Constraints
    std::uint64_t maxPerNode = 0;          // TaskTemplate.Placement.MaxReplicas (0: no limit)
    std::int64_t nanoCpus = 0;             // TaskTemplate.Resources.Limits.NanoCPUs (0: no limit)
    std::int64_t memoryBytes = 0;          // TaskTemplate.Resources.Limits.MemoryBytes (0: no limit)
    std::uint64_t replicas = 1;            // Mode.Replicated.Replicas
    bool dnsRoundRobin = true;             // EndpointSpec.Mode "dnsrr": no virtual IP to allocate
};

struct ServiceInfo {
    std::string id;              // ID
    std::uint64_t version = 0;   // Version.Index, needed by updates
    std::string name;            // Spec.Name
    Labels labels;               // Spec.Labels
    std::string image;           // Spec.TaskTemplate.ContainerSpec.Image
    std::uint64_t replicas = 0;  // Spec.Mode.Replicated.Replicas
    std::string createdAt;       // CreatedAt
};

struct TaskInfo {
    std::string id;                                             // ID
    std::string serviceId;                                      // ServiceID
    std::string nodeId;                                         // NodeID
    int slot = 0;                                               // Slot
    std::string state;                                          // Status.State ("running", "starting", "failed", ...)
    std::string desiredState;                                   // DesiredState
    std::string message;                                        // Status.Message
    std::string error;                                          // Status.Err
    std::string containerId;                                    // Status.ContainerStatus.ContainerID
    std::string timestamp;                                      // Status.Timestamp
    std::map<std::string, std::vector<std::string>> addresses;  // NetworksAttachments: network ID -> CIDR addresses
};

struct SwarmNode {
    std::string id;                // ID
    std::string hostname;          // Description.Hostname
    std::string role;              // Spec.Role ("manager", "worker")
    std::string state;             // Status.State ("ready", "down", ...)
    std::string availability;      // Spec.Availability
    std::int64_t nanoCpus = 0;     // Description.Resources.NanoCPUs
    std::int64_t memoryBytes = 0;  // Description.Resources.MemoryBytes
    std::string address;           // Status.Addr
    Labels labels;                 // Spec.Labels
    std::uint64_t version = 0;     // Version.Index, needed by updates
};

// GET /swarm, the parts ppcs uses.
struct SwarmJoinInfo {
    std::string workerToken;   // JoinTokens.Worker
    std::string managerToken;  // JoinTokens.Manager
};

using model::ContainerStats;  // GET /containers/{id}/stats?stream=false (codecs.cpp)

// One message of GET /events.
struct EngineEvent {
    std::string type;           // Type ("container", ...)
    std::string action;         // Action ("die", "start", ...)
    std::string actorId;        // Actor.ID
    Labels attributes;          // Actor.Attributes (container labels, exitCode, name, ...)
    std::int64_t timeNano = 0;  // timeNano
};

// One line of a build, pull or import progress stream.
struct ProgressMessage {
    std::string text;       // stream, or status (+ progress), without trailing newline
    std::string error;      // error / errorDetail.message: the operation failed
    std::string auxId;      // aux.ID: the image a build produced
    std::string auxDigest;  // aux.Digest: the manifest a push produced
};

}  // namespace ppcs::docker
