#include "cluster/observed.h"

#include <algorithm>
#include <cstdlib>
#include <set>

#include "cluster/spec.h"
#include "common/clock.h"
#include "common/strings.h"

namespace ppcs::cluster {

bool ObservedCluster::exists() const {
    if (backend == model::Backend::containers) return !containers.empty() || network.has_value();
    return headService || nodeService || network || !secrets.empty();
}

bool ObservedCluster::complete() const {
    if (backend == model::Backend::containers) return headContainer() && network;
    return headService && nodeService && network && !secrets.empty();
}

std::string ObservedCluster::missingParts() const {
    std::vector<std::string> missing;
    if (backend == model::Backend::containers) {
        if (!headContainer()) missing.push_back("head container");
    } else {
        if (!headService) missing.push_back("head service");
        if (!nodeService) missing.push_back("node service");
    }
    if (!network) missing.push_back("network");
    if (backend == model::Backend::swarm && secrets.empty()) missing.push_back("ssh key secret");
    return join(missing, ", ");
}

const docker::ContainerSummary* ObservedCluster::headContainer() const {
    for (const auto& container : containers)
        if (labelValue(container.labels, kRoleLabel) == roleName(MemberRole::head)) return &container;
    return nullptr;
}

int ObservedCluster::desiredNodes() const {
    if (backend == model::Backend::swarm) return nodeService ? static_cast<int>(nodeService->replicas) : 0;
    return static_cast<int>(containers.size()) - (headContainer() ? 1 : 0);
}

std::string ObservedCluster::image() const {
    if (backend == model::Backend::swarm) return headService ? headService->image : "";
    auto* head = headContainer();
    return head ? head->image : "";
}

std::string ObservedCluster::createdAt() const {
    if (backend == model::Backend::swarm) return headService ? headService->createdAt : "";
    auto* head = headContainer();
    return head ? utcTimestampOf(head->created) : "";
}

const docker::Labels& ObservedCluster::headLabels() const {
    static const docker::Labels none;
    if (auto* head = headContainer()) return head->labels;
    return headService ? headService->labels : none;
}

std::string ObservedCluster::headLabel(const char* key) const { return labelValue(headLabels(), key); }

std::string ObservedCluster::nodeLabel(const char* key) const { return nodeService ? labelValue(nodeService->labels, key) : ""; }

int ObservedCluster::slotsOverride() const {
    int slots = std::atoi(headLabel(kSlotsLabel).c_str());
    return slots > 0 ? slots : slotsForCpus(nodeSize().nanoCpus);
}
NodeSize ObservedCluster::nodeSize() const { return nodeSizeFromLabels(headLabels()); }
HostMount ObservedCluster::hostMount() const { return hostMountFromLabels(headLabels()); }
int ObservedCluster::perHost() const { return std::atoi(nodeLabel(kPerHostLabel).c_str()); }
std::string ObservedCluster::registry() const { return nodeLabel(kRegistryLabel); }
model::MpiKind ObservedCluster::mpi() const { return model::mpiFromName(headLabel(kMpiLabel)).value_or(model::kDefaultMpi); }

std::string ObservedCluster::subnet() const {
    if (network && !network->subnets.empty()) return network->subnets.front();
    return headLabel(kSubnetLabel);
}

namespace {

// A list of services or secrets that failed because the engine has no Swarm: there are none. Any
// other failure (a swarm without a leader, say) stays one.
template <class T>
Result<std::vector<T>> noneWithoutSwarm(Result<std::vector<T>> listed) {
    if (!listed && docker::failedForNoSwarm(listed.error())) return std::vector<T>{};
    return listed;
}

bool labelledContainers(const std::optional<docker::NetworkInfo>& network) {
    return network && labelValue(network->labels, kBackendLabel) == model::backendName(model::Backend::containers);
}

}  // namespace

Result<ObservedCluster> observeCluster(docker::Engine& engine, const std::string& name) {
    ObservedCluster observed;
    observed.name = name;
    auto labels = clusterLabels(name);
    auto names = objectNames(name);
    auto services = noneWithoutSwarm(engine.listServices(labels));
    if (!services) return services.error().context("look up cluster '" + name + "'");
    for (auto& service : *services) {
        if (service.name == names.headService) observed.headService = service;
        if (service.name == names.nodeService) observed.nodeService = service;
    }
    auto networks = engine.listNetworks(labels);
    if (!networks) return networks.error().context("look up cluster '" + name + "'");
    for (auto& network : *networks)
        if (network.name == names.network) observed.network = network;
    // A containers cluster has no services; its network, or else its containers, say so.
    if (!observed.headService && !observed.nodeService && (!observed.network || labelledContainers(observed.network))) {
        auto containers = engine.listContainers(containersBackendLabels(name), true);
        if (!containers) return containers.error().context("look up cluster '" + name + "'");
        observed.containers = std::move(*containers);
        if (!observed.containers.empty() || observed.network) observed.backend = model::Backend::containers;
    }
    if (observed.backend == model::Backend::swarm) {
        auto secrets = noneWithoutSwarm(engine.listSecrets(labels));
        if (!secrets) return secrets.error().context("look up cluster '" + name + "'");
        observed.secrets = *secrets;
    }
    auto volumes = engine.listVolumes(labels);
    if (!volumes) return volumes.error().context("look up cluster '" + name + "'");
    for (auto& volume : *volumes)
        if (volume.name == names.volume) observed.volume = volume;
    return observed;
}

Result<std::vector<std::string>> listClusterNames(docker::Engine& engine) {
    auto services = noneWithoutSwarm(engine.listServices({{kRoleLabel, "head"}}));
    if (!services) return services.error().context("list clusters");
    auto containers =
        engine.listContainers({{kRoleLabel, "head"}, {kBackendLabel, model::backendName(model::Backend::containers)}}, true);
    if (!containers) return containers.error().context("list clusters");
    std::set<std::string> names;
    for (const auto& service : *services)
        if (auto label = service.labels.find(kClusterLabel); label != service.labels.end()) names.insert(label->second);
    for (const auto& container : *containers)
        if (auto label = container.labels.find(kClusterLabel); label != container.labels.end()) names.insert(label->second);
    return std::vector<std::string>(names.begin(), names.end());
}

}  // namespace ppcs::cluster
