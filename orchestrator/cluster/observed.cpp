#include "cluster/observed.h"

#include <algorithm>
#include <cstdlib>

#include "cluster/spec.h"
#include "common/strings.h"

namespace ppcs::cluster {

std::string ObservedCluster::missingParts() const {
    std::vector<std::string> missing;
    if (!headService) missing.push_back("head service");
    if (!nodeService) missing.push_back("node service");
    if (!network) missing.push_back("network");
    if (secrets.empty()) missing.push_back("ssh key secret");
    return join(missing, ", ");
}

namespace {

std::string labelOf(const std::optional<docker::ServiceInfo>& service, const char* key) {
    if (!service) return "";
    auto label = service->labels.find(key);
    return label == service->labels.end() ? std::string() : label->second;
}

}  // namespace

int ObservedCluster::slotsOverride() const {
    int slots = std::atoi(labelOf(headService, kSlotsLabel).c_str());
    return slots > 0 ? slots : slotsForCpus(nodeSize().nanoCpus);
}
NodeSize ObservedCluster::nodeSize() const { return headService ? nodeSizeFromLabels(headService->labels) : NodeSize{}; }
HostMount ObservedCluster::hostMount() const { return headService ? hostMountFromLabels(headService->labels) : HostMount{}; }
int ObservedCluster::perHost() const { return std::atoi(labelOf(nodeService, kPerHostLabel).c_str()); }
std::string ObservedCluster::registry() const { return labelOf(nodeService, kRegistryLabel); }
model::MpiKind ObservedCluster::mpi() const {
    return model::mpiFromName(labelOf(headService, kMpiLabel)).value_or(model::kDefaultMpi);
}

std::string ObservedCluster::subnet() const {
    if (network && !network->subnets.empty()) return network->subnets.front();
    if (headService) {
        auto label = headService->labels.find(kSubnetLabel);
        if (label != headService->labels.end()) return label->second;
    }
    return "";
}

Result<ObservedCluster> observeCluster(docker::Engine& engine, const std::string& name) {
    ObservedCluster observed;
    observed.name = name;
    auto labels = clusterLabels(name);
    auto names = objectNames(name);
    auto services = engine.listServices(labels);
    if (!services) return services.error().context("look up cluster '" + name + "'");
    for (auto& service : *services) {
        if (service.name == names.headService) observed.headService = service;
        if (service.name == names.nodeService) observed.nodeService = service;
    }
    auto networks = engine.listNetworks(labels);
    if (!networks) return networks.error().context("look up cluster '" + name + "'");
    for (auto& network : *networks)
        if (network.name == names.network) observed.network = network;
    auto secrets = engine.listSecrets(labels);
    if (!secrets) return secrets.error().context("look up cluster '" + name + "'");
    observed.secrets = *secrets;
    auto volumes = engine.listVolumes(labels);
    if (!volumes) return volumes.error().context("look up cluster '" + name + "'");
    for (auto& volume : *volumes)
        if (volume.name == names.volume) observed.volume = volume;
    return observed;
}

Result<std::vector<std::string>> listClusterNames(docker::Engine& engine) {
    auto services = engine.listServices({{kRoleLabel, "head"}});
    if (!services) return services.error().context("list clusters");
    std::vector<std::string> names;
    for (const auto& service : *services) {
        auto label = service.labels.find(kClusterLabel);
        if (label != service.labels.end()) names.push_back(label->second);
    }
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace ppcs::cluster
