#include "cluster/containers_backend.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "cluster/keys.h"
#include "cluster/subnet.h"
#include "common/parallel.h"
#include "common/strings.h"
#include "common/tar.h"

namespace ppcs::cluster {
namespace {

using model::Phase;
// Containers created and started at once: each is a few engine calls, mostly waiting.
constexpr std::size_t kParallelStarts = 4;
constexpr auto kBusyRetry = std::chrono::milliseconds(250);
constexpr int kBusyTries = 40;

bool isHead(const docker::ContainerSummary& container) {
    return labelValue(container.labels, kRoleLabel) == roleName(MemberRole::head);
}
int slotOf(const docker::ContainerSummary& container) { return std::atoi(labelValue(container.labels, kSlotLabel).c_str()); }

// The key as a Swarm secret would hold it: kKeyFileDir/kKeyFileName, root's, mode 0400.
Result<std::string> keyArchive(const std::string& privateKey) {
    TarWriter tar;
    std::string dir = std::string(kKeyFileDir).substr(std::string(kKeyFileDir).rfind('/') + 1);
    if (auto added = tar.add({TarEntry::Kind::directory, dir, "", 0755}); !added) return added.error();
    if (auto added = tar.add({TarEntry::Kind::file, dir + "/" + kKeyFileName, privateKey, 0400}); !added) return added.error();
    return tar.finish();
}

// Creates the member's container, puts the key in and starts it; a container that got no further
// is removed again.
Result<std::string> startMember(docker::Engine& engine, const docker::ContainerSpec& spec, const std::string& keyTar) {
    auto id = engine.createContainer(spec);
    if (!id) return id.error().context("create container " + spec.name);
    std::string parent = std::string(kKeyFileDir).substr(0, std::string(kKeyFileDir).rfind('/'));
    Status started = engine.putArchive(*id, parent.empty() ? "/" : parent, keyTar);
    if (!started) started = started.error().context("put the cluster key into " + spec.name);
    if (started) started = engine.startContainer(*id);
    if (!started) {
        (void)engine.removeContainer(*id, true);
        return started.error().context("start container " + spec.name);
    }
    return *id;
}

// Starts the members of roles/slots on networkName, at most kParallelStarts at once. Returns the
// IDs started (in members' order; empty where it failed) and the first error.
struct Started {
    std::vector<std::string> ids;
    Status status;
};
Started startMembers(docker::Engine& engine, const ClusterSpec& spec, const std::vector<std::pair<MemberRole, int>>& members,
                     const std::string& imageId, const std::string& networkName, const std::string& subnet,
                     const std::string& keyTar) {
    Started started{std::vector<std::string>(members.size()), {}};
    std::mutex failure;
    forEachBounded(members.size(), kParallelStarts, [&](std::size_t i) {
        auto container = clusterContainerSpec(spec, members[i].first, members[i].second, imageId, networkName, subnet);
        auto id = startMember(engine, container, keyTar);
        if (id) {
            started.ids[i] = *id;
            return;
        }
        std::lock_guard<std::mutex> lock(failure);
        if (started.status) started.status = id.error();
    });
    return started;
}

// The cluster key, read back from a running member (the head unless it is the one replaced).
Result<std::string> readClusterKey(docker::Engine& engine, const ObservedCluster& observed, const std::string& notFrom) {
    for (const auto& container : observed.containers) {
        if (container.state != "running" || container.id == notFrom) continue;
        auto key = engine.runExec(container.id, {{"cat", std::string(kKeyFileDir) + "/" + kKeyFileName}, "root", {}, ""});
        if (key && key->exitCode == 0 && !key->out.empty()) return key->out;
    }
    return makeError(ErrorCode::unavailable,
                     "cluster '" + observed.name + "' has no running member to read its key from: take it down and up again");
}

// Networks and volumes stay busy for a moment after their last container went away.
template <class Remove>
Status removeWhenFree(Remove remove) {
    Status last;
    for (int tries = 0; tries < kBusyTries; ++tries) {
        last = remove();
        if (last || last.error().code == ErrorCode::notFound) return {};
        std::this_thread::sleep_for(kBusyRetry);
    }
    return last;
}

Status removeContainers(docker::Engine& engine, const std::vector<std::string>& ids) {
    Status result;
    std::mutex failure;
    forEachBounded(ids.size(), kParallelStarts, [&](std::size_t i) {
        if (ids[i].empty()) return;
        auto removed = engine.removeContainer(ids[i], true);
        if (removed || removed.error().code == ErrorCode::notFound) return;
        std::lock_guard<std::mutex> lock(failure);
        if (result) result = removed.error();
    });
    return result;
}

// "10.1.2.0/24" from /proc/net/route's little-endian hex destination and mask.
std::string routeCidr(const std::string& destinationHex, const std::string& maskHex) {
    auto destination = static_cast<std::uint32_t>(std::strtoul(destinationHex.c_str(), nullptr, 16));
    auto mask = static_cast<std::uint32_t>(std::strtoul(maskHex.c_str(), nullptr, 16));
    int prefix = __builtin_popcount(mask);
    std::ostringstream text;
    text << (destination & 0xff) << '.' << ((destination >> 8) & 0xff) << '.' << ((destination >> 16) & 0xff) << '.'
         << (destination >> 24) << '/' << prefix;
    return text.str();
}

}  // namespace

ClusterSpec containersClusterSpec(const ObservedCluster& observed) {
    ClusterSpec spec;
    spec.name = observed.name;
    spec.nodeCount = observed.desiredNodes();
    if (auto* head = observed.headContainer()) spec.slotsOverride = std::atoi(labelValue(head->labels, kSlotsLabel).c_str());
    spec.size = observed.nodeSize();
    spec.mount = observed.hostMount();
    spec.mpi = observed.mpi();
    spec.backend = model::Backend::containers;
    return spec;
}

Result<ObservedCluster> createContainersCluster(docker::Engine& engine, image::ProcessRunner& runner, const ClusterSpec& spec,
                                                const std::string& imageId, bool createVolume,
                                                const std::vector<std::string>& usedSubnets, const model::Progress& progress) {
    auto names = objectNames(spec.name);
    auto labels = containersBackendLabels(spec.name);
    auto subnet = chooseSubnet(usedSubnets, spec.nodeCount);
    if (!subnet) return subnet.error();
    auto key = generateClusterKey(runner, "ppcs-" + spec.name);
    if (!key) return key.error();
    auto keyTar = keyArchive(key->privateKey);
    if (!keyTar) return keyTar.error();

    ObservedCluster created;
    created.name = spec.name;
    created.backend = model::Backend::containers;
    std::vector<std::string> removed;
    auto fail = [&](const Error& error) -> Result<ObservedCluster> {
        progress(Phase::rollback, "removing what this up created");
        if (auto undone = tearDownContainersCluster(engine, created, createVolume, removed, progress); !undone)
            return error.context("and its rollback failed too: " + undone.error().message);
        return error;
    };
    progress(Phase::create, "bridge network " + names.network + " " + *subnet);
    auto networkId = engine.createNetwork({names.network, "bridge", false, *subnet, labels});
    if (!networkId && networkId.error().code == ErrorCode::conflict)
        return makeError(ErrorCode::conflict, "a network named " + names.network +
                                                  " already exists (another request creating this cluster, or not ppcs's): "
                                                  "choose another --name");
    if (!networkId) return networkId.error();
    created.network = docker::NetworkInfo{*networkId, names.network, labels, {*subnet}};
    if (createVolume) {
        if (auto volume = engine.createVolume(names.volume, labels); !volume) return fail(volume.error());
        created.volume = docker::VolumeInfo{names.volume, labels};
    }
    progress(Phase::create, "containers " + memberContainerName(spec.name, MemberRole::head, 0) + " and " +
                                std::to_string(spec.nodeCount) + " nodes");
    std::vector<std::pair<MemberRole, int>> members{{MemberRole::head, 0}};
    for (int slot = 1; slot <= spec.nodeCount; ++slot) members.push_back({MemberRole::node, slot});
    auto started = startMembers(engine, spec, members, imageId, names.network, *subnet, *keyTar);
    if (!started.status) return fail(started.status.error());
    // The head's record as the engine has it (its creation time, for status).
    auto listed = engine.listContainers(labels, true);
    if (!listed) return fail(listed.error());
    created.containers = std::move(*listed);
    return created;
}

Status resizeContainersCluster(docker::Engine& engine, ObservedCluster& observed, int nodes, const model::Progress& progress) {
    auto spec = containersClusterSpec(observed);
    progress(Phase::scale, std::to_string(spec.nodeCount) + " -> " + std::to_string(nodes) + " nodes");
    std::set<int> present;
    std::vector<std::string> surplus;
    for (const auto& container : observed.containers) {
        if (isHead(container)) continue;
        if (slotOf(container) > nodes)
            surplus.push_back(container.id);
        else
            present.insert(slotOf(container));
    }
    if (auto gone = removeContainers(engine, surplus); !gone) return gone.error().context("remove nodes");
    std::vector<std::pair<MemberRole, int>> missing;
    for (int slot = 1; slot <= nodes; ++slot)
        if (!present.count(slot)) missing.push_back({MemberRole::node, slot});
    if (!missing.empty()) {
        auto key = readClusterKey(engine, observed, "");
        if (!key) return key.error();
        auto keyTar = keyArchive(*key);
        if (!keyTar) return keyTar.error();
        auto started = startMembers(engine, spec, missing, observed.image(), observed.network->name, observed.subnet(), *keyTar);
        if (!started.status) {
            (void)removeContainers(engine, started.ids);
            return started.status.error().context("add nodes");
        }
    }
    auto listed = engine.listContainers(containersBackendLabels(observed.name), true);
    if (!listed) return listed.error();
    observed.containers = std::move(*listed);
    return {};
}

Status replaceContainersMember(docker::Engine& engine, const ObservedCluster& observed, MemberRole role, int slot) {
    std::string old;
    for (const auto& container : observed.containers)
        if (isHead(container) == (role == MemberRole::head) && (role == MemberRole::head || slotOf(container) == slot))
            old = container.id;
    auto key = readClusterKey(engine, observed, old);
    if (!key) return key.error();
    auto keyTar = keyArchive(*key);
    if (!keyTar) return keyTar.error();
    if (!old.empty())
        if (auto gone = removeContainers(engine, {old}); !gone) return gone.error();
    auto spec = containersClusterSpec(observed);
    auto started =
        startMembers(engine, spec, {{role, slot}}, observed.image(), observed.network->name, observed.subnet(), *keyTar);
    return started.status;
}

Status tearDownContainersCluster(docker::Engine& engine, const ObservedCluster& observed, bool removeVolume,
                                 std::vector<std::string>& removed, const model::Progress& progress) {
    // Every container with the cluster's labels, also those made since observed was read.
    auto listed = engine.listContainers(containersBackendLabels(observed.name), true);
    if (!listed) return listed.error();
    std::vector<std::string> ids;
    for (const auto& container : *listed) ids.push_back(container.id);
    if (!ids.empty()) {
        progress(Phase::down, "removing " + std::to_string(ids.size()) + " containers");
        if (auto gone = removeContainers(engine, ids); !gone) return gone;
        removed.push_back(std::to_string(ids.size()) + " containers");
    }
    if (observed.network) {
        if (auto gone = removeWhenFree([&] { return engine.removeNetwork(observed.network->id); }); !gone) return gone;
        removed.push_back("network");
    }
    if (removeVolume && observed.volume) {
        if (auto gone = removeWhenFree([&] { return engine.removeVolume(observed.volume->name); }); !gone) return gone;
        removed.push_back("volume");
    }
    return {};
}

std::vector<std::string> localRouteSubnets() {
    std::vector<std::string> subnets;
    std::ifstream routes("/proc/net/route");
    std::string line;
    std::getline(routes, line);  // the header
    while (std::getline(routes, line)) {
        std::istringstream fields(line);
        std::string interface, destination, gateway, flags, refcnt, use, metric, mask;
        if (!(fields >> interface >> destination >> gateway >> flags >> refcnt >> use >> metric >> mask)) continue;
        if (mask == "00000000") continue;  // the default route overlaps everything and nothing
        subnets.push_back(routeCidr(destination, mask));
    }
    return subnets;
}

}  // namespace ppcs::cluster
