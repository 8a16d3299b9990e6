#include "cluster/hosts.h"

#include <algorithm>
#include <future>

#include "cluster/spec.h"
#include "common/strings.h"
#include "docker/image_copy.h"

namespace ppcs::cluster {
namespace {

std::string imagePresence(docker::Engine& engine, const std::string& imageRef) {
    auto image = engine.inspectImage(imageRef);
    if (!image) return "unreachable: " + image.error().message;
    return *image ? "present" : "missing";
}

constexpr auto kDiscoveryPingTimeout = std::chrono::seconds(3);

bool isLoopback(const std::string& address) { return startsWith(address, "127.") || address == "::1" || address == "localhost"; }

}  // namespace

bool schedulable(const docker::SwarmNode& node) { return node.state == "ready" && node.availability == "active"; }

Result<std::optional<model::EngineEndpoint>> registeredEndpoint(const docker::Labels& labels) {
    auto label = [&labels](const char* name) { return labelValue(labels, name); };
    std::string endpoint = label(kHostEndpointLabel);
    if (endpoint.empty()) return std::optional<model::EngineEndpoint>();
    auto secured = model::hostEndpoint(endpoint, label(kHostTlsDirLabel), label(kHostInsecureLabel) == "true",
                                       model::SshOptions{label(kHostSshKeyLabel), label(kHostSshKnownHostsLabel)});
    if (!secured) return secured.error().context("registered endpoint");
    return std::optional<model::EngineEndpoint>(std::move(*secured));
}

Result<HostEngines> HostEngines::discover(docker::Engine& local) {
    HostEngines hosts(local);
    auto info = local.info();
    if (!info) return info.error().context("read the local engine's swarm state");
    hosts.localNodeId_ = info->swarmNodeId;
    if (info->swarmState != "active") return hosts;  // no swarm yet: just this host
    auto nodes = local.listNodes();
    if (!nodes) return nodes.error().context("list the swarm's hosts");
    hosts.nodes_ = std::move(*nodes);
    std::vector<std::future<void>> connecting;
    std::mutex results;
    for (const auto& node : hosts.nodes_) {
        if (node.id == hosts.localNodeId_) continue;
        auto endpoint = registeredEndpoint(node.labels);
        if (!endpoint) {
            hosts.unreachable_[node.id] = endpoint.error().message;
            continue;
        }
        if (!*endpoint) continue;
        if (auto warning = model::insecureWarning(**endpoint); !warning.empty())
            hosts.insecureWarnings_.push_back(warning + " (host " + hosts.displayName(node.id) + ")");
        connecting.push_back(std::async(std::launch::async, [&hosts, &results, id = node.id, where = std::move(**endpoint)] {
            // Short: discovery runs before every operation, and a lost host must not stall them.
            auto engine = docker::EngineClient::connectTo(where, kDiscoveryPingTimeout);
            std::lock_guard<std::mutex> lock(results);
            if (engine)
                hosts.remote_[id] = std::make_shared<docker::EngineClient>(std::move(*engine));
            else
                hosts.unreachable_[id] = engine.error().message;
        }));
    }
    for (auto& done : connecting) done.get();
    return hosts;
}

Result<HostEngines> HostEngines::localOnly(docker::Engine& local) {
    HostEngines hosts(local);
    auto info = local.info();
    if (!info) return info.error().context("read the local engine's resources");
    docker::SwarmNode self;
    self.hostname = "this engine";
    self.role = "local";
    self.state = "ready";
    self.availability = "active";
    self.nanoCpus = static_cast<std::int64_t>(info->cpus) * 1000000000;
    self.memoryBytes = info->memoryBytes;
    hosts.nodes_ = {self};
    return hosts;
}

docker::Engine* HostEngines::engineFor(const std::string& nodeId) {
    if (nodeId == localNodeId_ || nodeId.empty()) return local_;
    auto found = remote_.find(nodeId);
    return found == remote_.end() ? nullptr : found->second.get();
}

std::shared_ptr<docker::Engine> HostEngines::remoteEngine(const std::string& nodeId) const {
    auto found = remote_.find(nodeId);
    return found == remote_.end() || nodeId == localNodeId_ ? nullptr : found->second;
}

std::vector<std::string> HostEngines::insecureWarnings() const { return insecureWarnings_; }

std::string HostEngines::unreachableReason(const std::string& nodeId) const {
    if (auto found = unreachable_.find(nodeId); found != unreachable_.end()) return found->second;
    return "no engine endpoint registered (ppcs-cluster hosts add NAME ENDPOINT)";
}

const docker::SwarmNode* HostEngines::node(const std::string& nodeId) const {
    auto found =
        std::find_if(nodes_.begin(), nodes_.end(), [&nodeId](const docker::SwarmNode& node) { return node.id == nodeId; });
    return found == nodes_.end() ? nullptr : &*found;
}

std::string HostEngines::displayName(const std::string& nodeId) const {
    const auto* found = node(nodeId);
    if (!found) return nodeId.substr(0, 12);
    auto name = found->labels.find(kHostNameLabel);
    return name != found->labels.end() ? name->second : found->hostname;
}

Result<std::vector<Host>> listHosts(docker::Engine& local, const std::string& imageRef) {
    auto hosts = HostEngines::discover(local);
    if (!hosts) return hosts.error();
    std::vector<Host> listed;
    for (const auto& node : hosts->nodes()) {
        Host host;
        host.nodeId = node.id;
        host.name = hosts->displayName(node.id);
        host.hostname = node.hostname;
        host.role = node.role;
        host.state = node.state;
        host.availability = node.availability;
        host.address = node.address;
        host.local = node.id == hosts->localNodeId();
        if (auto endpoint = node.labels.find(kHostEndpointLabel); endpoint != node.labels.end()) host.endpoint = endpoint->second;
        if (auto tlsDir = node.labels.find(kHostTlsDirLabel); tlsDir != node.labels.end()) host.tlsDir = tlsDir->second;
        if (auto insecure = node.labels.find(kHostInsecureLabel); insecure != node.labels.end())
            host.insecure = insecure->second == "true";
        if (auto key = node.labels.find(kHostSshKeyLabel); key != node.labels.end()) host.sshKey = key->second;
        if (auto known = node.labels.find(kHostSshKnownHostsLabel); known != node.labels.end())
            host.sshKnownHosts = known->second;
        host.cpus = static_cast<int>(node.nanoCpus / 1000000000);
        host.memoryBytes = node.memoryBytes;
        listed.push_back(std::move(host));
    }
    // Other hosts hold the image by ID only (copies carry no tag): look for the local image's ID.
    std::string wanted = imageRef;
    if (auto image = local.inspectImage(imageRef); image && *image) wanted = (*image)->id;
    std::vector<std::future<void>> asking;
    for (auto& host : listed)
        asking.push_back(std::async(std::launch::async, [&] {
            auto* engine = hosts->engineFor(host.nodeId);
            if (engine)
                host.image = imagePresence(*engine, wanted);
            else if (host.endpoint.empty())
                host.image = "unknown";
            else
                host.image = "unreachable: " + hosts->unreachableReason(host.nodeId);
        }));
    for (auto& done : asking) done.get();
    // The local host first, then managers, then by name.
    std::sort(listed.begin(), listed.end(), [](const Host& a, const Host& b) {
        return std::make_tuple(!a.local, a.role != "manager", a.name) < std::make_tuple(!b.local, b.role != "manager", b.name);
    });
    return listed;
}

Result<std::string> joinCommand(docker::Engine& local) {
    auto info = local.info();
    if (!info) return info.error().context("read the swarm state");
    if (info->swarmState != "active" || !info->swarmManager)
        return makeError(ErrorCode::usage,
                         "this engine is not a swarm manager: run `ppcs-cluster up` (or `docker swarm init`) first");
    auto join = local.swarmJoinInfo();
    if (!join) return join.error().context("read the swarm's join token");
    std::string manager = info->remoteManagers.empty() ? info->swarmNodeAddr + ":2377" : info->remoteManagers.front();
    std::string command = "docker swarm join --token " + join->workerToken + " " + manager;
    if (isLoopback(manager.substr(0, manager.rfind(':'))))
        command +=
            "\n# note: this swarm advertises " + manager +
            ", which other hosts cannot reach; re-create it with `docker swarm init --advertise-addr <this host's address>`";
    return command;
}

Result<Host> addHost(docker::Engine& local, const std::string& name, const model::EngineEndpoint& where,
                     const std::string& imageRef) {
    if (auto valid = validateHostName(name); !valid) return valid.error();
    std::string endpoint = where.text();
    auto remote = docker::EngineClient::connectTo(where);
    if (!remote) return makeError(ErrorCode::unavailable, "add host '" + name + "': " + remote.error().message);
    auto remoteInfo = remote->info();
    if (!remoteInfo) return remoteInfo.error().context("add host '" + name + "'");
    auto nodes = local.listNodes();
    if (!nodes) return nodes.error().context("add host '" + name + "': list the swarm's hosts");
    auto member = std::find_if(nodes->begin(), nodes->end(),
                               [&](const docker::SwarmNode& node) { return node.id == remoteInfo->swarmNodeId; });
    if (remoteInfo->swarmNodeId.empty() || member == nodes->end())
        return makeError(ErrorCode::usage, "add host '" + name + "': the engine at " + endpoint +
                                               " is not a node of this swarm: join it first (ppcs-cluster hosts join-command)");
    for (const auto& node : *nodes) {
        auto taken = node.labels.find(kHostNameLabel);
        if (node.id != member->id && taken != node.labels.end() && taken->second == name)
            return makeError(ErrorCode::usage, "add host '" + name + "': the name is already given to node " + node.hostname);
    }
    docker::Labels labels{{kHostNameLabel, name},
                          {kHostEndpointLabel, endpoint},
                          {kHostTlsDirLabel, where.tls ? where.tls->directory : ""},
                          {kHostInsecureLabel, where.plainTcp() && where.insecure ? "true" : ""},
                          {kHostSshKeyLabel, where.ssh.identityFile},
                          {kHostSshKnownHostsLabel, where.ssh.knownHostsFile}};
    if (auto set = local.setNodeLabels(member->id, labels); !set) return set.error().context("add host '" + name + "'");
    auto hosts = listHosts(local, imageRef);
    if (!hosts) return hosts.error();
    for (auto& host : *hosts)
        if (host.nodeId == member->id) return host;
    return makeError(ErrorCode::failed, "add host '" + name + "': the node left the swarm meanwhile");
}

Status ensureImageOnHosts(HostEngines& hosts, docker::Engine& local, const std::string& imageId, const Progress& progress) {
    std::vector<std::string> lacking;
    std::vector<std::string> cannot;
    for (const auto& node : hosts.nodes()) {
        if (!schedulable(node) || node.id == hosts.localNodeId()) continue;
        auto* engine = hosts.engineFor(node.id);
        if (!engine) {
            cannot.push_back(hosts.displayName(node.id) + " (" + hosts.unreachableReason(node.id) + ")");
            continue;
        }
        auto present = engine->inspectImage(imageId);
        if (!present)
            cannot.push_back(hosts.displayName(node.id) + " (" + present.error().message + ")");
        else if (!*present)
            lacking.push_back(node.id);
    }
    for (const auto& warning : hosts.insecureWarnings()) progress(Phase::image, warning);
    if (!cannot.empty())
        return makeError(ErrorCode::unavailable,
                         "image " + imageId.substr(0, 19) + " cannot be checked or copied on host(s): " + join(cannot, ", ") +
                             "; register their engines, drain them (docker node update --availability drain), or remove them");
    if (lacking.empty()) return {};
    std::vector<std::string> names;
    for (const auto& id : lacking) names.push_back(hosts.displayName(id));
    progress(Phase::image, "copying the image to " + join(names, ", "));
    std::vector<std::future<Status>> copies;
    for (const auto& id : lacking)
        copies.push_back(std::async(std::launch::async, [&hosts, &local, &imageId, id] {
            auto copied = docker::copyImage(local, *hosts.engineFor(id), imageId);
            if (!copied) return Status(copied.error().context("host " + hosts.displayName(id)));
            return Status{};
        }));
    Status first;
    for (auto& copy : copies)
        if (auto copied = copy.get(); !copied && first) first = copied;
    if (first) progress(Phase::image, "image present on every host");
    return first;
}

}  // namespace ppcs::cluster
