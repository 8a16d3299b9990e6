#include "cluster/cluster_manager.h"

#include <algorithm>
#include <future>
#include <thread>

#include "cluster/containers_backend.h"
#include "cluster/host_folder.h"
#include "cluster/hostfile.h"
#include "cluster/hosts.h"
#include "cluster/keys.h"
#include "cluster/observed.h"
#include "cluster/reconciler.h"
#include "cluster/subnet.h"
#include "common/strings.h"
#include "common/token.h"
#include "image/image_builder.h"

namespace ppcs::cluster {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kGonePolls = 240;  // x 250 ms
constexpr auto kGonePoll = std::chrono::milliseconds(250);

// The objects an operation created, removed in reverse order when it fails (and by `down`).
struct Teardown {
    std::vector<std::string> services;  // IDs
    std::vector<std::string> secrets;   // IDs
    std::vector<std::string> networks;  // IDs
    std::vector<std::string> volumes;   // names
};

// The engines a teardown can check and clean: the local one first, then every reachable host's.
std::vector<docker::Engine*> reachableEngines(docker::Engine& local, HostEngines* hosts) {
    std::vector<docker::Engine*> engines{&local};
    if (!hosts) return engines;
    for (const auto& node : hosts->nodes())
        if (auto* engine = hosts->engineFor(node.id); engine && engine != &local) engines.push_back(engine);
    return engines;
}

Status waitForContainersGone(const std::vector<docker::Engine*>& engines, const std::string& cluster) {
    for (auto* engine : engines) {
        for (int poll = 0;; ++poll) {
            auto containers = engine->listContainers(clusterLabels(cluster), true);
            if (!containers) return containers.error().context("on " + engine->endpoint());
            if (containers->empty()) break;
            if (poll == kGonePolls)
                return makeError(ErrorCode::timeout, "the containers of cluster '" + cluster + "' were still on " +
                                                         engine->endpoint() + " after 60 s");
            std::this_thread::sleep_for(kGonePoll);
        }
    }
    return {};
}

// A removed service's tasks outlive it for a few seconds; one still being prepared (an up rolled
// back early) creates its container, and with it the volume, after that: wait until none is
// before "running", so that no container appears once the wait for containers is over.
Status waitForTasksGone(docker::Engine& engine, const std::string& cluster, const std::vector<std::string>& services) {
    for (int poll = 0;; ++poll) {
        // Every task, matched here: the engine answers 404 to a filter naming a removed service.
        auto tasks = engine.listTasks({});
        if (!tasks) return tasks.error().context("list the tasks of cluster '" + cluster + "'");
        // A task past "starting" already has its container (waited for next) or never will.
        bool preparing = std::any_of(tasks->begin(), tasks->end(), [&services](const docker::TaskInfo& task) {
            if (std::find(services.begin(), services.end(), task.serviceId) == services.end()) return false;
            for (const char* state : {"new", "allocated", "pending", "assigned", "accepted", "preparing", "ready", "starting"})
                if (task.state == state) return true;
            return false;
        });
        if (!preparing) return {};
        if (poll == kGonePolls)
            return makeError(ErrorCode::timeout, "the tasks of cluster '" + cluster + "' were still being prepared after 60 s");
        std::this_thread::sleep_for(kGonePoll);
    }
}

// Networks and volumes stay busy for a moment after their last container went away.
template <class Remove>
Status removeWhenFree(Remove remove) {
    Status last;
    for (int poll = 0; poll < 40; ++poll) {
        last = remove();
        if (last || last.error().code == ErrorCode::notFound) return {};
        std::this_thread::sleep_for(kGonePoll);
    }
    return last;
}

// engines: the local engine first, then the other hosts' that ppcsd reaches (containers are
// waited for and volumes removed on each).
Status tearDown(const std::vector<docker::Engine*>& engines, const std::string& cluster, const Teardown& objects,
                std::vector<std::string>& removed, const Progress& progress) {
    auto& engine = *engines.front();
    for (const auto& id : objects.services) {
        auto gone = engine.removeService(id);
        if (!gone && gone.error().code != ErrorCode::notFound) return gone;
    }
    if (!objects.services.empty()) {
        progress(Phase::down, "waiting for the containers to stop");
        if (auto gone = waitForTasksGone(engine, cluster, objects.services); !gone) return gone;
        if (auto gone = waitForContainersGone(engines, cluster); !gone) return gone;
        removed.push_back(std::to_string(objects.services.size()) + " services");
    }
    for (const auto& id : objects.secrets)
        if (auto gone = removeWhenFree([&] { return engine.removeSecret(id); }); !gone) return gone;
    if (!objects.secrets.empty()) removed.push_back(std::to_string(objects.secrets.size()) + " secrets");
    for (const auto& id : objects.networks)
        if (auto gone = removeWhenFree([&] { return engine.removeNetwork(id); }); !gone) return gone;
    if (!objects.networks.empty()) removed.push_back("network");
    for (const auto& name : objects.volumes)
        for (auto* host : engines)
            if (auto gone = removeWhenFree([&] { return host->removeVolume(name); }); !gone)
                return gone.error().context("on " + host->endpoint());
    if (!objects.volumes.empty())
        removed.push_back(engines.size() > 1 ? "volume on " + std::to_string(engines.size()) + " hosts" : "volume");
    return {};
}

// Before any task is created: the placement fits the hosts, and every host has the image (unless
// tasks pull it from a registry).
Result<HostEngines> prepareHosts(docker::Engine& engine, int nodes, int perHost, const std::string& imageId, bool fromRegistry,
                                 const Progress& progress) {
    auto hosts = HostEngines::discover(engine);
    if (!hosts) return hosts.error();
    int ready = static_cast<int>(std::count_if(hosts->nodes().begin(), hosts->nodes().end(), schedulable));
    if (auto fits = validatePlacement(nodes, perHost, std::max(ready, 1)); !fits) return fits.error();
    if (fromRegistry) return hosts;
    if (auto present = ensureImageOnHosts(*hosts, engine, imageId, progress); !present) return present.error();
    return hosts;
}

// The hosts an operation on observed works with: the swarm's (prepareHosts), or the engine alone.
Result<HostEngines> hostsOf(docker::Engine& engine, const ObservedCluster& observed, int nodes, const Progress& progress) {
    if (observed.backend == model::Backend::containers) return HostEngines::localOnly(engine);
    return prepareHosts(engine, nodes, observed.perHost(), observed.image(), !observed.registry().empty(), progress);
}

// Subnets a new bridge network must not overlap: the engine's networks', and this machine's
// routes when the engine is on this machine (a bridge is a route of its host).
Result<std::vector<std::string>> usedSubnets(docker::Engine& engine, bool withLocalRoutes) {
    auto networks = engine.listNetworks({});
    if (!networks) return networks.error();
    std::vector<std::string> used;
    for (const auto& network : *networks) used.insert(used.end(), network.subnets.begin(), network.subnets.end());
    if (withLocalRoutes)
        for (auto& route : localRouteSubnets()) used.push_back(std::move(route));
    return used;
}

// Tags the image REGISTRY/ppcs-openmpi:<ID prefix>, pushes it and returns the reference tasks
// pull: REGISTRY/ppcs-openmpi@<digest>.
Result<std::string> pushToRegistry(docker::Engine& engine, const std::string& imageId, const std::string& registry,
                                   const Progress& progress) {
    std::string repo = registry + "/ppcs-openmpi";
    std::string tag = imageId.substr(imageId.find(':') + 1, 12);
    if (auto tagged = engine.tagImage(imageId, repo, tag); !tagged)
        return tagged.error().context("tag the image for " + registry);
    progress(Phase::image, "pushing " + repo + ":" + tag);
    auto digest = engine.pushImage(repo, tag, [](const std::string&) {});
    if (!digest) return digest.error().context("push the image to " + registry);
    return repo + "@" + *digest;
}

// The one host of a containers cluster: its engine.
std::vector<HostState> describeEngineHost(std::vector<Member>& members) {
    HostState host{"this engine", "ready", "active", 0};
    for (auto& member : members) {
        member.dockerHost = host.name;
        ++host.members;
    }
    return {host};
}

// Every host of the swarm with the number of members on it; each member learns its host's name.
Result<std::vector<HostState>> describeHosts(docker::Engine& engine, std::vector<Member>& members) {
    auto nodes = engine.listNodes();
    if (!nodes) return nodes.error().context("list the swarm's hosts");
    std::vector<HostState> hosts;
    for (const auto& node : *nodes) {
        auto label = node.labels.find(kHostNameLabel);
        HostState host{label != node.labels.end() ? label->second : node.hostname, node.state, node.availability, 0};
        for (auto& member : members)
            if (member.dockerHostId == node.id) {
                member.dockerHost = host.name;
                ++host.members;
            }
        hosts.push_back(std::move(host));
    }
    std::sort(hosts.begin(), hosts.end(), [](const HostState& a, const HostState& b) { return a.name < b.name; });
    return hosts;
}

// The status of the cluster observed, with members (head first), each told the host it runs on.
Result<ClusterStatus> describeCluster(docker::Engine& engine, const ObservedCluster& observed, std::vector<Member> members) {
    ClusterStatus status{observed.name,           observed.image(),    observed.subnet(),    observed.createdAt(),
                         observed.desiredNodes(), observed.nodeSize(), observed.hostMount(), std::move(members)};
    status.mpi = observed.mpi();
    status.backend = observed.backend;
    if (observed.backend == model::Backend::containers) {
        status.hosts = describeEngineHost(status.members);
        return status;
    }
    auto hosts = describeHosts(engine, status.members);
    if (!hosts) return hosts.error().context("cluster '" + observed.name + "'");
    status.hosts = std::move(*hosts);
    return status;
}

// The host folder of spec.mount made writable for mpiuser (nothing to do without one).
Result<HostFolderGrant> grantMount(const ClusterSpec& spec, const Progress& progress) {
    if (spec.mount.source.empty()) return HostFolderGrant{};
    auto grant = grantMpiUserWrite(spec.mount.source);
    if (!grant) return grant.error();
    if (grant->changed)
        progress(Phase::mount, "made " + spec.mount.source +
                                   " writable by others (o+rwx, this folder only) so that mpiuser (uid " +
                                   std::to_string(kMpiUserId) + ") can write in it");
    return grant;
}

}  // namespace

Result<ClusterSpec> fitSpecToHosts(ClusterSpec spec, const HostEngines& hosts) {
    std::vector<docker::SwarmNode> usable;
    for (const auto& node : hosts.nodes())
        if (schedulable(node)) usable.push_back(node);
    std::int64_t leastMemory = 0;
    for (const auto& node : usable)
        if (node.memoryBytes > 0 && (leastMemory == 0 || node.memoryBytes < leastMemory)) leastMemory = node.memoryBytes;
    if (spec.size.shmBytes == 0) spec.size.shmBytes = defaultShmBytes(spec.size.memoryBytes, leastMemory);
    for (const auto& node : usable)
        if (spec.size.nanoCpus > 0 && node.nanoCpus > 0 && spec.size.nanoCpus > node.nanoCpus)
            return makeError(ErrorCode::usage, "--cpus " + formatCpus(spec.size.nanoCpus) + " is more than host " +
                                                   hosts.displayName(node.id) + " has (" + formatCpus(node.nanoCpus) + ")");
    if (!spec.mount.source.empty() && !spec.mount.everyHost && usable.size() > 1)
        return makeError(ErrorCode::usage, "--mount binds a folder of this machine, and the swarm has " +
                                               std::to_string(usable.size()) +
                                               " hosts that can run nodes: give --mount-on-every-host when " + spec.mount.source +
                                               " exists on every one of them");
    return spec;
}

Result<std::string> ClusterManager::ensureImage(model::MpiKind mpi, const Progress& progress) {
    std::unique_lock<std::mutex> building;
    if (imageBuildLock_) building = std::unique_lock<std::mutex>(*imageBuildLock_);
    image::ImageBuilder builder(engine_, runner_);
    image::BuildRequest request;
    request.mpi = mpi;
    request.imageRef = model::mpiImageRef(mpi);
    auto built = builder.build(request, [&progress](model::Phase phase, const std::string& text) {
        if (phase != Phase::build || startsWith(text, "Step ")) progress(Phase::image, text);
    });
    if (!built) return built.error();
    return built->imageId;
}

Status ClusterManager::ensureSwarm(const Progress& progress) {
    auto info = engine_.info();
    if (!info) return info.error().context("check swarm");
    if (info->swarmState == "active") {
        if (!info->swarmManager)
            return makeError(ErrorCode::unavailable,
                             "this engine is a swarm worker: ppcs needs a manager's engine to create services");
        return {};
    }
    if (info->swarmState != "inactive")
        return makeError(ErrorCode::unavailable, "swarm is " + info->swarmState +
                                                     (info->swarmError.empty() ? "" : " (" + info->swarmError + ")") +
                                                     ": repair it with `docker swarm` before `up`");
    progress(Phase::swarm, "swarm is inactive: initialising a single-node swarm on " + swarm_.advertiseAddr);
    if (auto started = engine_.initSwarm(swarm_.listenAddr, swarm_.advertiseAddr); !started)
        return started.error().context("initialise swarm");
    return {};
}

Result<ClusterStatus> ClusterManager::up(const ClusterSpec& spec, std::chrono::seconds timeout, const Progress& progress) {
    if (auto valid = validateSpec(spec); !valid) return valid.error();
    auto deadline = Clock::now() + timeout;
    std::string context = "up '" + spec.name + "'";
    // A resize keeps the image its services run: only a new cluster needs its MPI's image.
    auto imageId = ensureImage(spec.mpi.value_or(model::kDefaultMpi), progress);
    if (!imageId) return imageId.error().context(context);
    auto observed = observeCluster(engine_, spec.name);
    if (!observed) return observed.error();
    auto backend = chooseBackend(spec, *observed);
    if (!backend) return backend.error().context(context);
    if (*backend == model::Backend::swarm)
        if (auto swarm = ensureSwarm(progress); !swarm) return swarm.error().context(context);
    auto decision = decideUp(spec, *observed);
    if (!decision) return decision.error().context(context);
    switch (decision->kind) {
        case UpDecision::Kind::create: {
            auto made = spec;
            made.backend = *backend;
            if (*backend == model::Backend::containers)
                return createContainers(made, *imageId, decision->createVolume, deadline, progress);
            return create(made, *imageId, decision->createVolume, deadline, progress);
        }
        case UpDecision::Kind::resize: {
            auto hosts = hostsOf(engine_, *observed, spec.nodeCount, progress);
            if (!hosts) return hosts.error().context(context);
            auto status = resize(*observed, spec.nodeCount, spec.slotsOverride ? spec.slotsOverride : observed->slotsOverride(),
                                 decision->scaleNodes, *hosts, deadline, progress);
            if (!status) return status.error().context(context);
            return status;
        }
    }
    return makeError(ErrorCode::failed, context + ": no decision");
}

Result<model::Backend> ClusterManager::chooseBackend(const ClusterSpec& spec, const ObservedCluster& observed) {
    if (observed.exists()) return observed.backend;  // decideUp refuses another one
    if (spec.backend) return *spec.backend;
    auto info = engine_.info();
    if (!info) return info.error().context("check swarm");
    return info->swarmSupported ? model::kDefaultBackend : model::Backend::containers;
}

Result<ClusterStatus> ClusterManager::createContainers(const ClusterSpec& spec, const std::string& imageId, bool createVolume,
                                                       Clock::time_point deadline, const Progress& progress) {
    std::string context = "up '" + spec.name + "'";
    auto hosts = HostEngines::localOnly(engine_);
    if (!hosts) return hosts.error().context(context);
    auto fitted = fitSpecToHosts(spec, *hosts);
    if (!fitted) return fitted.error().context(context);
    auto grant = grantMount(*fitted, progress);
    if (!grant) return grant.error().context(context);
    auto fail = [&](const Error& error) -> Result<ClusterStatus> {
        revokeGrant(*grant);
        return error.context(context);
    };
    auto used = usedSubnets(engine_, startsWith(engine_.endpoint(), "unix://"));
    if (!used) return fail(used.error());
    auto created = createContainersCluster(engine_, runner_, *fitted, imageId, createVolume, *used, progress);
    if (!created) return fail(created.error());
    auto members = makeReady(engine_, *hosts, *created, fitted->nodeCount, effectiveSlots(*fitted), Deadline{deadline}, progress);
    if (!members) {
        progress(Phase::rollback, "removing what this up created");
        std::vector<std::string> removed;
        if (auto undone = tearDownContainersCluster(engine_, *created, createVolume, removed, progress); !undone)
            return fail(members.error().context("and its rollback failed too: " + undone.error().message));
        return fail(members.error());
    }
    return describeCluster(engine_, *created, std::move(*members));
}

Result<ClusterStatus> ClusterManager::create(const ClusterSpec& spec, const std::string& imageId, bool createVolume,
                                             Clock::time_point deadline, const Progress& progress) {
    std::string context = "up '" + spec.name + "'";
    bool fromRegistry = !spec.registry.empty();
    auto hosts = prepareHosts(engine_, spec.nodeCount, spec.perHost, imageId, fromRegistry, progress);
    if (!hosts) return hosts.error().context(context);
    auto fitted = fitSpecToHosts(spec, *hosts);
    if (!fitted) return fitted.error().context(context);
    std::string serviceImage = imageId;
    if (fromRegistry) {
        auto pushed = pushToRegistry(engine_, imageId, spec.registry, progress);
        if (!pushed) return pushed.error().context(context);
        serviceImage = *pushed;
    }
    return createObjects(*fitted, serviceImage, createVolume, *hosts, deadline, progress);
}

Result<ClusterStatus> ClusterManager::createObjects(const ClusterSpec& spec, const std::string& imageId, bool createVolume,
                                                    HostEngines& hosts, Clock::time_point deadline, const Progress& progress) {
    auto names = objectNames(spec.name);
    auto labels = clusterLabels(spec.name);
    Teardown created;
    HostFolderGrant grant;
    auto fail = [&](const Error& error) -> Result<ClusterStatus> {
        progress(Phase::rollback, "removing what this up created");
        revokeGrant(grant);
        std::vector<std::string> removed;
        if (auto undone = tearDown(reachableEngines(engine_, &hosts), spec.name, created, removed, progress); !undone)
            return error.context("up '" + spec.name + "' (and its rollback failed too: " + undone.error().message + ")");
        return error.context("up '" + spec.name + "'");
    };

    if (auto granted = grantMount(spec, progress); granted)
        grant = *granted;
    else
        return granted.error().context("up '" + spec.name + "'");
    // An overlay network is no route of this machine: only the engine's networks count.
    auto used = usedSubnets(engine_, false);
    if (!used) return fail(used.error());
    auto subnet = chooseSubnet(*used, spec.nodeCount);
    if (!subnet) return fail(subnet.error());
    progress(Phase::create, "overlay network " + names.network + " " + *subnet);
    // The key pair and its secret (named with a random suffix: nobody else's) are made while the
    // engine creates the network; the volume only after the network, whose name is the gate
    // against a racing up of the same cluster (creating a volume that exists succeeds).
    auto secretMade = std::async(std::launch::async, [&]() -> Result<docker::SecretInfo> {
        auto key = generateClusterKey(runner_, "ppcs-" + spec.name);
        if (!key) return key.error();
        auto suffix = generateToken();
        if (!suffix) return suffix.error();
        docker::SecretInfo secret{"", names.secretPrefix + suffix->substr(0, 8), labels};
        auto secretId = engine_.createSecret(secret.name, key->privateKey, labels);
        if (!secretId) return secretId.error();
        secret.id = *secretId;
        return secret;
    });
    auto networkId = engine_.createNetwork({names.network, "overlay", true, *subnet, labels});
    auto secret = secretMade.get();
    if (secret) created.secrets.push_back(secret->id);
    if (networkId) created.networks.push_back(*networkId);
    if (!networkId && networkId.error().code == ErrorCode::conflict)
        return fail(makeError(ErrorCode::conflict, "a network named " + names.network +
                                                       " already exists (another request creating this cluster, or not "
                                                       "ppcs's): choose another --name"));
    if (!networkId) return fail(networkId.error());
    if (!secret) return fail(secret.error());
    // The cluster as this up makes it: makeReady and the status need nothing read back but the
    // head service's record (its creation time).
    ObservedCluster current;
    current.name = spec.name;
    current.network = docker::NetworkInfo{*networkId, names.network, labels, {*subnet}};
    current.secrets = {*secret};
    if (createVolume) {
        if (auto volume = engine_.createVolume(names.volume, labels); !volume) return fail(volume.error());
        created.volumes.push_back(names.volume);
    }
    progress(Phase::create,
             "services " + names.headService + " (1) and " + names.nodeService + " (" + std::to_string(spec.nodeCount) + ")");
    for (auto role : {MemberRole::head, MemberRole::node}) {
        auto service = clusterServiceSpec(spec, role, imageId, *networkId, *secret, *subnet, hosts.localNodeId());
        auto serviceId = engine_.createService(service);
        if (!serviceId) return fail(serviceId.error());
        created.services.push_back(*serviceId);
        (role == MemberRole::head ? current.headService : current.nodeService) =
            docker::ServiceInfo{*serviceId, 0, service.name, service.labels, service.image, service.replicas, ""};
    }
    auto head = engine_.inspectService(current.headService->id);
    if (!head) return fail(head.error());
    current.headService = *head;
    auto members = makeReady(engine_, hosts, current, spec.nodeCount, effectiveSlots(spec), Deadline{deadline}, progress);
    if (!members) return fail(members.error());
    return describeCluster(engine_, current, std::move(*members));
}

Result<ClusterStatus> ClusterManager::resize(const ObservedCluster& observed, int nodes, int slotsOverride, bool scaleNodes,
                                             HostEngines& hosts, Clock::time_point deadline, const Progress& progress) {
    ObservedCluster current = observed;
    if (scaleNodes) {
        auto members = currentMembers(engine_, observed);
        if (!members) return members.error();
        if (!members->empty() && members->front().role == MemberRole::head && !members->front().containerId.empty()) {
            auto busy = jobRunning(engine_, members->front().containerId);
            if (!busy) return busy.error();
            if (*busy)
                return makeError(ErrorCode::conflict,
                                 "a job is running on cluster '" + observed.name + "': scale it when the job ends");
        }
        if (observed.backend == model::Backend::containers) {
            if (auto resized = resizeContainersCluster(engine_, current, nodes, progress); !resized) return resized.error();
        } else {
            progress(Phase::scale, std::to_string(observed.nodeService->replicas) + " -> " + std::to_string(nodes) + " nodes");
            if (auto scaled = engine_.scaleService(observed.nodeService->id, static_cast<std::uint64_t>(nodes)); !scaled)
                return scaled.error();
            current.nodeService->replicas = static_cast<std::uint64_t>(nodes);
        }
    }
    auto members = makeReady(engine_, hosts, current, nodes, slotsOverride, Deadline{deadline}, progress);
    if (!members) return members.error();
    return describeCluster(engine_, current, std::move(*members));
}

Result<ClusterStatus> ClusterManager::scale(const std::string& name, int nodes, std::chrono::seconds timeout,
                                            const Progress& progress) {
    if (auto valid = validateClusterName(name); !valid) return valid.error();
    if (auto valid = validateNodeCount(nodes); !valid) return valid.error();
    auto observed = observeCluster(engine_, name);
    if (!observed) return observed.error();
    // Naming a cluster that is not there is bad input, like any other usage error.
    if (!observed->exists())
        return makeError(ErrorCode::usage, "cluster '" + name + "' does not exist: create it with `ppcs-cluster up`");
    ClusterSpec spec{name, nodes, observed->slotsOverride()};
    auto decision = decideUp(spec, *observed);
    if (!decision) return decision.error().context("scale '" + name + "'");
    auto hosts = hostsOf(engine_, *observed, nodes, progress);
    if (!hosts) return hosts.error().context("scale '" + name + "'");
    auto status = resize(*observed, nodes, spec.slotsOverride, decision->scaleNodes, *hosts, Clock::now() + timeout, progress);
    if (!status) return status.error().context("scale '" + name + "'");
    return status;
}

Result<DownReport> ClusterManager::down(const std::string& name, bool removeVolume, const Progress& progress) {
    if (auto valid = validateClusterName(name); !valid) return valid.error();
    auto observed = observeCluster(engine_, name);
    if (!observed) return observed.error();
    DownReport report;
    report.existed = observed->exists() || (removeVolume && observed->volume);
    if (observed->backend == model::Backend::containers) {
        if (auto gone = tearDownContainersCluster(engine_, *observed, removeVolume, report.removed, progress); !gone)
            return gone.error().context("down '" + name + "'");
        return report;
    }
    Teardown objects;
    for (const auto* service : {&observed->headService, &observed->nodeService})
        if (*service) objects.services.push_back((*service)->id);
    for (const auto& secret : observed->secrets) objects.secrets.push_back(secret.id);
    if (observed->network) objects.networks.push_back(observed->network->id);
    if (removeVolume && observed->volume) objects.volumes.push_back(observed->volume->name);
    auto hosts = HostEngines::discover(engine_);
    if (!hosts) return hosts.error().context("down '" + name + "'");
    auto engines = reachableEngines(engine_, &*hosts);
    // Containers of a half-removed cluster (no services left) are waited for too.
    if (objects.services.empty() && report.existed)
        if (auto gone = waitForContainersGone(engines, name); !gone) return gone.error().context("down '" + name + "'");
    if (auto gone = tearDown(engines, name, objects, report.removed, progress); !gone)
        return gone.error().context("down '" + name + "'");
    for (const auto& node : hosts->nodes())
        if (!hosts->engineFor(node.id) && removeVolume)
            report.leftBehind.push_back("volume " + objectNames(name).volume + " on host " + hosts->displayName(node.id) +
                                        ", if it has one (" + hosts->unreachableReason(node.id) + ")");
    return report;
}

Result<ClusterStatus> ClusterManager::status(const std::string& name) {
    if (auto valid = validateClusterName(name); !valid) return valid.error();
    auto observed = observeCluster(engine_, name);
    if (!observed) return observed.error();
    if (!observed->exists()) return makeError(ErrorCode::usage, "cluster '" + name + "' does not exist");
    if (!observed->complete())
        return makeError(ErrorCode::conflict, "cluster '" + name + "' is incomplete (missing " + observed->missingParts() + ")");
    auto members = currentMembers(engine_, *observed);
    if (!members) return members.error();
    auto status = describeCluster(engine_, *observed, std::move(*members));
    if (!status) return status.error();
    if (auto stale = markVerifiedMembers(engine_, name, status->members); !stale) return stale.error();
    return status;
}

Result<std::vector<Member>> ClusterManager::addresses(const std::string& name) {
    if (auto valid = validateClusterName(name); !valid) return valid.error();
    auto services = engine_.listServices(clusterLabels(name));
    ObservedCluster observed;
    observed.name = name;
    auto names = objectNames(name);
    for (const auto& service : services ? *services : std::vector<docker::ServiceInfo>{}) {
        if (service.name == names.headService) observed.headService = service;
        if (service.name == names.nodeService) observed.nodeService = service;
    }
    if (!observed.headService || !observed.nodeService) {
        // Not a swarm cluster (or no swarm at all): a containers cluster, or none.
        auto containers = engine_.listContainers(containersBackendLabels(name), true);
        if (!containers) return containers.error();
        if (containers->empty()) {
            if (!services && !docker::failedForNoSwarm(services.error())) return services.error();
            return makeError(ErrorCode::usage, "cluster '" + name + "' does not exist");
        }
        std::vector<Member> members;
        for (const auto& container : *containers) members.push_back(memberFromContainer(container, name, names.network));
        sortMembers(members);
        return members;
    }
    // Tasks are attached to the cluster's network only: their single attachment is it.
    auto tasks =
        engine_.listTasks({{"service", {observed.headService->id, observed.nodeService->id}}, {"desired-state", {"running"}}});
    if (!tasks) return tasks.error();
    std::vector<Member> members;
    for (const auto& task : *tasks) members.push_back(memberFromTask(task, name, task.serviceId == observed.headService->id, ""));
    sortMembers(members);
    return members;
}

Result<std::vector<std::string>> ClusterManager::list() { return listClusterNames(engine_); }

}  // namespace ppcs::cluster
