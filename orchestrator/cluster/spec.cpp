#include "cluster/spec.h"

namespace ppcs::cluster {

ObjectNames objectNames(const std::string& cluster) {
    return {cluster + "_mpihead", cluster + "_mpinode", cluster + "_net", cluster + "_mpishare", cluster + "_ssh_",
            memberHostname(cluster, MemberRole::head, 0),
            // Docker's template for memberHostname(cluster, MemberRole::node, slot).
            cluster + "-node-{{.Task.Slot}}"};
}

std::string labelValue(const docker::Labels& labels, const char* key) {
    auto found = labels.find(key);
    return found == labels.end() ? std::string() : found->second;
}

docker::Labels clusterLabels(const std::string& cluster) { return {{kClusterLabel, cluster}}; }

docker::Labels roleLabels(const std::string& cluster, MemberRole role) {
    return {{kClusterLabel, cluster}, {kRoleLabel, roleName(role)}};
}

docker::Labels containersBackendLabels(const std::string& cluster) {
    return {{kClusterLabel, cluster}, {kBackendLabel, model::backendName(model::Backend::containers)}};
}

std::string memberContainerName(const std::string& cluster, MemberRole role, int slot) {
    return memberHostname(cluster, role, slot);
}

docker::ServiceSpec clusterServiceSpec(const ClusterSpec& spec, MemberRole role, const std::string& imageId,
                                       const std::string& networkId, const docker::SecretInfo& secret, const std::string& subnet,
                                       const std::string& localNodeId) {
    auto names = objectNames(spec.name);
    docker::ServiceSpec service;
    bool head = role == MemberRole::head;
    service.name = head ? names.headService : names.nodeService;
    service.labels = roleLabels(spec.name, role);
    service.labels[kSubnetLabel] = subnet;
    if (spec.slotsOverride > 0) service.labels[kSlotsLabel] = std::to_string(spec.slotsOverride);
    if (spec.perHost > 0) service.labels[kPerHostLabel] = std::to_string(spec.perHost);
    if (!spec.registry.empty()) service.labels[kRegistryLabel] = spec.registry;
    service.labels[kMpiLabel] = model::mpiName(spec.mpi.value_or(model::kDefaultMpi));
    service.labels[kBackendLabel] = model::backendName(model::Backend::swarm);
    service.containerLabels = roleLabels(spec.name, role);
    service.image = imageId;
    service.hostname = head ? names.headHostname : names.nodeHostname;
    // The entrypoint pins UCX (MPICH's transport) to the interface of this subnet.
    service.env = {std::string(kOverlaySubnetEnv) + "=" + subnet};
    for (const auto& [key, value] : nodeSizeLabels(spec.size, spec.mount)) service.labels[key] = value;
    service.mounts = {{names.volume, kSharedDir, clusterLabels(spec.name)}};
    // Docker's own /dev/shm is 64 MB: too small for MPI's shared memory (a shared window of a few
    // hundred MiB fails). A tmpfs mount at /dev/shm takes its place.
    service.mounts.push_back({"", "/dev/shm", {}, docker::MountType::tmpfs, spec.size.shmBytes});
    if (!spec.mount.source.empty()) service.mounts.push_back({spec.mount.source, spec.mount.target, {}, docker::MountType::bind});
    service.nanoCpus = spec.size.nanoCpus;
    service.memoryBytes = spec.size.memoryBytes;
    service.secrets = {{secret.id, secret.name, "ppcs_ssh_key", 0400}};
    service.networkIds = {networkId};
    if (head)
        service.constraints = {localNodeId.empty() ? "node.role==manager" : "node.id==" + localNodeId};
    else
        service.maxPerNode = static_cast<std::uint64_t>(spec.perHost);
    service.replicas = head ? 1 : static_cast<std::uint64_t>(spec.nodeCount);
    return service;
}

docker::ContainerSpec clusterContainerSpec(const ClusterSpec& spec, MemberRole role, int slot, const std::string& imageId,
                                           const std::string& networkName, const std::string& subnet) {
    // One source for both backends: the service spec's settings, moved onto a container.
    auto service = clusterServiceSpec(spec, role, imageId, "", {}, subnet, "");
    docker::ContainerSpec container;
    container.name = memberContainerName(spec.name, role, slot);
    container.image = imageId;
    container.hostname = container.name;
    container.env = service.env;
    container.labels = service.labels;
    container.labels[kBackendLabel] = model::backendName(model::Backend::containers);
    container.labels[kRoleLabel] = roleName(role);
    container.labels[kSlotLabel] = std::to_string(slot);
    container.networkMode = networkName;
    container.networkAliases = {container.name};
    container.mounts = service.mounts;
    container.nanoCpus = service.nanoCpus;
    container.memoryBytes = service.memoryBytes;
    return container;
}

}  // namespace ppcs::cluster
