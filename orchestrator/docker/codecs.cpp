#include "docker/codecs.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/strings.h"

namespace ppcs::docker {
namespace {

using nlohmann::json;

Result<json> parseObject(std::string_view text, std::string_view what) {
    json value = json::parse(text.begin(), text.end(), nullptr, false);
    if (value.is_discarded() || !value.is_object())
        return makeError(ErrorCode::failed,
                         "decode " + std::string(what) + ": not a JSON object: " + truncateForDisplay(trim(text), 120));
    return value;
}

std::string stringField(const json& object, const char* key) {
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Labels labelsField(const json& object, const char* key) {
    Labels labels;
    auto it = object.find(key);
    if (it == object.end() || !it->is_object()) return labels;
    for (const auto& [name, value] : it->items())
        if (value.is_string()) labels[name] = value.get<std::string>();
    return labels;
}

std::vector<std::string> stringArray(const json& object, const char* key) {
    std::vector<std::string> values;
    auto it = object.find(key);
    if (it == object.end() || !it->is_array()) return values;
    for (const auto& item : *it)
        if (item.is_string()) values.push_back(item.get<std::string>());
    return values;
}

std::int64_t integerField(const json& object, const char* key) {
    auto it = object.find(key);
    return it != object.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

const json& objectField(const json& object, const char* key) {
    static const json empty = json::object();
    auto it = object.find(key);
    return it != object.end() && it->is_object() ? *it : empty;
}

Result<json> parseArray(std::string_view text, std::string_view what) {
    json value = json::parse(text.begin(), text.end(), nullptr, false);
    if (value.is_discarded() || !value.is_array())
        return makeError(ErrorCode::failed, "decode " + std::string(what) + ": not a JSON array");
    for (const auto& item : value)
        if (!item.is_object()) return makeError(ErrorCode::failed, "decode " + std::string(what) + ": an entry is not an object");
    return value;
}

ServiceInfo serviceFromJson(const json& item) {
    ServiceInfo service;
    service.id = stringField(item, "ID");
    service.version = static_cast<std::uint64_t>(integerField(objectField(item, "Version"), "Index"));
    service.createdAt = stringField(item, "CreatedAt");
    const auto& spec = objectField(item, "Spec");
    service.name = stringField(spec, "Name");
    service.labels = labelsField(spec, "Labels");
    service.image = stringField(objectField(objectField(spec, "TaskTemplate"), "ContainerSpec"), "Image");
    service.replicas = static_cast<std::uint64_t>(integerField(objectField(objectField(spec, "Mode"), "Replicated"), "Replicas"));
    return service;
}

}  // namespace

Result<EngineInfo> decodeEngineInfo(std::string_view text) {
    auto object = parseObject(text, "engine info");
    if (!object) return object.error();
    EngineInfo info;
    info.serverVersion = stringField(*object, "ServerVersion");
    // Podman's compatible /info adds its own fields to Docker's; BuildahVersion is one Docker never sends.
    info.podman = object->contains("BuildahVersion");
    info.cpus = static_cast<int>(integerField(*object, "NCPU"));
    info.memoryBytes = integerField(*object, "MemTotal");
    const auto& swarm = objectField(*object, "Swarm");
    info.swarmState = stringField(swarm, "LocalNodeState");
    info.swarmError = stringField(swarm, "Error");
    info.swarmNodeId = stringField(swarm, "NodeID");
    info.swarmNodeAddr = stringField(swarm, "NodeAddr");
    if (auto managers = swarm.find("RemoteManagers"); managers != swarm.end() && managers->is_array())
        for (const auto& manager : *managers)
            if (manager.is_object()) info.remoteManagers.push_back(stringField(manager, "Addr"));
    if (auto control = swarm.find("ControlAvailable"); control != swarm.end() && control->is_boolean())
        info.swarmManager = control->get<bool>();
    info.swarmSupported = !info.podman;
    return info;
}

Result<std::vector<NetworkInfo>> decodeNetworkList(std::string_view text) {
    auto list = parseArray(text, "network list");
    if (!list) return list.error();
    std::vector<NetworkInfo> networks;
    for (const auto& item : *list) {
        NetworkInfo network{stringField(item, "Id"), stringField(item, "Name"), labelsField(item, "Labels"), {}};
        auto config = objectField(item, "IPAM").find("Config");
        if (config != objectField(item, "IPAM").end() && config->is_array())
            for (const auto& entry : *config)
                if (entry.is_object() && !stringField(entry, "Subnet").empty())
                    network.subnets.push_back(stringField(entry, "Subnet"));
        networks.push_back(std::move(network));
    }
    return networks;
}

Result<std::vector<VolumeInfo>> decodeVolumeList(std::string_view text) {
    auto object = parseObject(text, "volume list");
    if (!object) return object.error();
    std::vector<VolumeInfo> volumes;
    auto list = object->find("Volumes");
    if (list == object->end() || !list->is_array()) return volumes;
    for (const auto& item : *list)
        if (item.is_object()) volumes.push_back({stringField(item, "Name"), labelsField(item, "Labels")});
    return volumes;
}

Result<std::vector<SecretInfo>> decodeSecretList(std::string_view text) {
    auto list = parseArray(text, "secret list");
    if (!list) return list.error();
    std::vector<SecretInfo> secrets;
    for (const auto& item : *list) {
        const auto& spec = objectField(item, "Spec");
        secrets.push_back({stringField(item, "ID"), stringField(spec, "Name"), labelsField(spec, "Labels")});
    }
    return secrets;
}

Result<ServiceInfo> decodeService(std::string_view text) {
    auto object = parseObject(text, "service");
    if (!object) return object.error();
    auto service = serviceFromJson(*object);
    if (service.id.empty()) return makeError(ErrorCode::failed, "decode service: no ID");
    return service;
}

Result<std::vector<ServiceInfo>> decodeServiceList(std::string_view text) {
    auto list = parseArray(text, "service list");
    if (!list) return list.error();
    std::vector<ServiceInfo> services;
    for (const auto& item : *list) services.push_back(serviceFromJson(item));
    return services;
}

Result<std::vector<TaskInfo>> decodeTaskList(std::string_view text) {
    auto list = parseArray(text, "task list");
    if (!list) return list.error();
    std::vector<TaskInfo> tasks;
    for (const auto& item : *list) {
        TaskInfo task;
        task.id = stringField(item, "ID");
        task.serviceId = stringField(item, "ServiceID");
        task.nodeId = stringField(item, "NodeID");
        task.slot = static_cast<int>(integerField(item, "Slot"));
        task.desiredState = stringField(item, "DesiredState");
        const auto& status = objectField(item, "Status");
        task.state = stringField(status, "State");
        task.message = stringField(status, "Message");
        task.error = stringField(status, "Err");
        task.timestamp = stringField(status, "Timestamp");
        task.containerId = stringField(objectField(status, "ContainerStatus"), "ContainerID");
        if (auto attachments = item.find("NetworksAttachments"); attachments != item.end() && attachments->is_array())
            for (const auto& attachment : *attachments) {
                if (!attachment.is_object()) continue;
                std::string networkId = stringField(objectField(attachment, "Network"), "ID");
                task.addresses[networkId] = stringArray(attachment, "Addresses");
            }
        tasks.push_back(std::move(task));
    }
    return tasks;
}

Result<std::vector<SwarmNode>> decodeNodeList(std::string_view text) {
    auto list = parseArray(text, "node list");
    if (!list) return list.error();
    std::vector<SwarmNode> nodes;
    for (const auto& item : *list) {
        SwarmNode node;
        node.id = stringField(item, "ID");
        const auto& description = objectField(item, "Description");
        node.hostname = stringField(description, "Hostname");
        node.nanoCpus = integerField(objectField(description, "Resources"), "NanoCPUs");
        node.memoryBytes = integerField(objectField(description, "Resources"), "MemoryBytes");
        node.role = stringField(objectField(item, "Spec"), "Role");
        node.availability = stringField(objectField(item, "Spec"), "Availability");
        node.state = stringField(objectField(item, "Status"), "State");
        node.address = stringField(objectField(item, "Status"), "Addr");
        node.labels = labelsField(objectField(item, "Spec"), "Labels");
        node.version = static_cast<std::uint64_t>(integerField(objectField(item, "Version"), "Index"));
        nodes.push_back(std::move(node));
    }
    return nodes;
}

Result<EngineEvent> decodeEvent(std::string_view text) {
    auto object = parseObject(text, "event");
    if (!object) return object.error();
    EngineEvent event;
    event.type = stringField(*object, "Type");
    event.action = stringField(*object, "Action");
    // Podman names a container's removal "remove" where Docker says "destroy" (its extra actions,
    // "init" and "cleanup", need no translation: nobody asks for them).
    if (event.type == "container" && event.action == "remove") event.action = "destroy";
    const auto& actor = objectField(*object, "Actor");
    event.actorId = stringField(actor, "ID");
    event.attributes = labelsField(actor, "Attributes");
    event.timeNano = integerField(*object, "timeNano");
    return event;
}

namespace {

// CPU use between two samples of cpu_stats, as `docker stats` computes it.
double cpuPercentBetween(const json& precpu, const json& cpu) {
    double cpuDelta = static_cast<double>(integerField(objectField(cpu, "cpu_usage"), "total_usage") -
                                          integerField(objectField(precpu, "cpu_usage"), "total_usage"));
    double systemDelta = static_cast<double>(integerField(cpu, "system_cpu_usage") - integerField(precpu, "system_cpu_usage"));
    std::int64_t cpus = integerField(cpu, "online_cpus");
    if (cpuDelta <= 0 || systemDelta <= 0) return 0;
    return cpuDelta / systemDelta * static_cast<double>(cpus > 0 ? cpus : 1) * 100.0;
}

// Memory and network counters of one sample.
ContainerStats countersOf(const json& object) {
    ContainerStats stats;
    const auto& memory = objectField(object, "memory_stats");
    const auto& memoryDetail = objectField(memory, "stats");
    std::int64_t cache = integerField(memoryDetail, "inactive_file");
    if (cache == 0) cache = integerField(memoryDetail, "cache");
    stats.memoryBytes = std::max<std::int64_t>(0, integerField(memory, "usage") - cache);
    stats.memoryLimitBytes = integerField(memory, "limit");
    if (auto networks = object.find("networks"); networks != object.end() && networks->is_object())
        for (const auto& [name, counters] : networks->items()) {
            if (!counters.is_object()) continue;
            stats.rxBytes += integerField(counters, "rx_bytes");
            stats.txBytes += integerField(counters, "tx_bytes");
        }
    return stats;
}

}  // namespace

Result<ContainerStats> decodeContainerStats(std::string_view text) {
    auto object = parseObject(text, "container stats");
    if (!object) return object.error();
    ContainerStats stats = countersOf(*object);
    stats.cpuPercent = cpuPercentBetween(objectField(*object, "precpu_stats"), objectField(*object, "cpu_stats"));
    return stats;
}

Result<bool> statsHavePreviousSample(std::string_view text) {
    auto object = parseObject(text, "container stats");
    if (!object) return object.error();
    return integerField(objectField(*object, "precpu_stats"), "system_cpu_usage") > 0;
}

Result<ContainerStats> decodeContainerStatsPair(std::string_view earlier, std::string_view later) {
    auto first = parseObject(earlier, "container stats");
    if (!first) return first.error();
    auto second = parseObject(later, "container stats");
    if (!second) return second.error();
    ContainerStats stats = countersOf(*second);
    stats.cpuPercent = cpuPercentBetween(objectField(*first, "cpu_stats"), objectField(*second, "cpu_stats"));
    return stats;
}

Result<std::string> decodeSwarmCreatedId(std::string_view text) {
    auto object = parseObject(text, "create reply");
    if (!object) return object.error();
    std::string id = stringField(*object, "ID");
    if (id.empty()) return makeError(ErrorCode::failed, "decode create reply: no ID");
    return id;
}

Result<ImageInfo> decodeImageInfo(std::string_view text) {
    auto object = parseObject(text, "image");
    if (!object) return object.error();
    ImageInfo info;
    info.id = stringField(*object, "Id");
    if (info.id.empty()) return makeError(ErrorCode::failed, "decode image: no Id");
    info.repoTags = stringArray(*object, "RepoTags");
    info.created = stringField(*object, "Created");
    if (auto size = object->find("Size"); size != object->end() && size->is_number_integer())
        info.sizeBytes = size->get<std::int64_t>();
    if (auto config = object->find("Config"); config != object->end() && config->is_object())
        info.labels = labelsField(*config, "Labels");
    return info;
}

namespace {

// NetworkSettings.Networks of a container list entry: network name to IPv4 address.
std::map<std::string, std::string> containerAddresses(const json& item) {
    std::map<std::string, std::string> addresses;
    auto settings = item.find("NetworkSettings");
    if (settings == item.end() || !settings->is_object()) return addresses;
    auto networks = settings->find("Networks");
    if (networks == settings->end() || !networks->is_object()) return addresses;
    for (const auto& [name, network] : networks->items())
        if (network.is_object()) addresses[name] = stringField(network, "IPAddress");
    return addresses;
}

}  // namespace

Result<std::vector<ContainerSummary>> decodeContainerList(std::string_view text) {
    json value = json::parse(text.begin(), text.end(), nullptr, false);
    if (value.is_discarded() || !value.is_array()) return makeError(ErrorCode::failed, "decode container list: not a JSON array");
    std::vector<ContainerSummary> containers;
    for (const auto& item : value) {
        if (!item.is_object()) return makeError(ErrorCode::failed, "decode container list: entry is not an object");
        ContainerSummary summary;
        summary.id = stringField(item, "Id");
        summary.names = stringArray(item, "Names");
        summary.image = stringField(item, "ImageID");
        summary.state = stringField(item, "State");
        summary.status = stringField(item, "Status");
        if (auto created = item.find("Created"); created != item.end() && created->is_number_integer())
            summary.created = created->get<std::int64_t>();
        summary.labels = labelsField(item, "Labels");
        // Keyed by the network's name on both engines (Podman puts the name, not the ID, in
        // NetworkID too).
        summary.addresses = containerAddresses(item);
        containers.push_back(std::move(summary));
    }
    return containers;
}

Result<std::string> decodeCreatedId(std::string_view text) {
    auto object = parseObject(text, "create reply");
    if (!object) return object.error();
    std::string id = stringField(*object, "Id");
    if (id.empty()) return makeError(ErrorCode::failed, "decode create reply: no Id");
    return id;
}

Result<ExecState> decodeExecState(std::string_view text) {
    auto object = parseObject(text, "exec state");
    if (!object) return object.error();
    ExecState state;
    if (auto running = object->find("Running"); running != object->end() && running->is_boolean())
        state.running = running->get<bool>();
    if (auto code = object->find("ExitCode"); code != object->end() && code->is_number_integer())
        state.exitCode = code->get<int>();
    return state;
}

Result<ProgressMessage> decodeProgressLine(std::string_view line) {
    auto object = parseObject(line, "progress line");
    if (!object) return object.error();
    ProgressMessage message;
    message.error = stringField(*object, "error");
    if (auto detail = object->find("errorDetail"); message.error.empty() && detail != object->end() && detail->is_object())
        message.error = stringField(*detail, "message");
    if (auto aux = object->find("aux"); aux != object->end() && aux->is_object()) {
        message.auxId = stringField(*aux, "ID");
        message.auxDigest = stringField(*aux, "Digest");
    }
    std::string text = stringField(*object, "stream");
    if (text.empty()) {
        text = stringField(*object, "status");
        std::string id = stringField(*object, "id");
        // Podman's import names the new image in both status and id; Docker's only in status.
        if (!id.empty() && id != text) text = id + ": " + text;
        std::string progress = stringField(*object, "progress");
        if (!progress.empty()) text += " " + progress;
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    message.text = std::move(text);
    return message;
}

namespace {

// Mounts[] as services (ContainerSpec.Mounts) and containers (HostConfig.Mounts) both take them.
json encodeMounts(const std::vector<VolumeMount>& mounts) {
    json encoded = json::array();
    for (const auto& mount : mounts) {
        const char* type = mount.type == MountType::bind ? "bind" : mount.type == MountType::tmpfs ? "tmpfs" : "volume";
        json entry = {{"Type", type}, {"Target", mount.target}};
        if (mount.type != MountType::tmpfs) entry["Source"] = mount.source;
        if (mount.type == MountType::bind) entry["ReadOnly"] = false;
        // Mode 01777, as /dev/shm always has: every user's shared memory segments go there.
        if (mount.type == MountType::tmpfs) entry["TmpfsOptions"] = {{"Mode", 01777}};
        if (mount.type == MountType::tmpfs && mount.tmpfsSizeBytes > 0) entry["TmpfsOptions"]["SizeBytes"] = mount.tmpfsSizeBytes;
        if (!mount.volumeLabels.empty()) entry["VolumeOptions"] = {{"Labels", mount.volumeLabels}};
        encoded.push_back(std::move(entry));
    }
    return encoded;
}

}  // namespace

std::string encodeContainerSpec(const ContainerSpec& spec) {
    json body = {{"Image", spec.image}, {"Labels", spec.labels}};
    if (!spec.cmd.empty()) body["Cmd"] = spec.cmd;
    if (!spec.env.empty()) body["Env"] = spec.env;
    if (!spec.hostname.empty()) body["Hostname"] = spec.hostname;
    json host = json::object();
    if (!spec.networkMode.empty()) host["NetworkMode"] = spec.networkMode;
    if (!spec.mounts.empty()) host["Mounts"] = encodeMounts(spec.mounts);
    if (spec.nanoCpus > 0) host["NanoCpus"] = spec.nanoCpus;
    if (spec.memoryBytes > 0) host["Memory"] = spec.memoryBytes;
    if (spec.init) host["Init"] = true;
    if (spec.shmSizeBytes > 0) host["ShmSize"] = spec.shmSizeBytes;
    if (!spec.restartPolicy.empty()) host["RestartPolicy"] = {{"Name", spec.restartPolicy}};
    body["HostConfig"] = host;
    if (!spec.networkAliases.empty() && !spec.networkMode.empty())
        body["NetworkingConfig"] = {{"EndpointsConfig", {{spec.networkMode, {{"Aliases", spec.networkAliases}}}}}};
    return body.dump();
}

std::string encodeNetworkSpec(const NetworkSpec& spec) {
    json body = {{"Name", spec.name},
                 {"Driver", spec.driver},
                 {"Attachable", spec.attachable},
                 {"CheckDuplicate", true},
                 {"Labels", spec.labels}};
    if (!spec.subnet.empty()) body["IPAM"] = {{"Driver", "default"}, {"Config", json::array({{{"Subnet", spec.subnet}}})}};
    return body.dump();
}

std::string encodeServiceSpec(const ServiceSpec& spec) {
    json container = {{"Image", spec.image}, {"Labels", spec.containerLabels}};
    if (!spec.hostname.empty()) container["Hostname"] = spec.hostname;
    if (!spec.env.empty()) container["Env"] = spec.env;
    container["Mounts"] = encodeMounts(spec.mounts);
    json secrets = json::array();
    for (const auto& secret : spec.secrets)
        secrets.push_back({{"SecretID", secret.secretId},
                           {"SecretName", secret.secretName},
                           {"File", {{"Name", secret.fileName}, {"UID", "0"}, {"GID", "0"}, {"Mode", secret.mode}}}});
    container["Secrets"] = secrets;
    json networks = json::array();
    for (const auto& id : spec.networkIds) networks.push_back({{"Target", id}});
    json task = {
        {"ContainerSpec", container}, {"Networks", networks}, {"RestartPolicy", {{"Condition", "any"}, {"Delay", 1000000000}}}};
    json placement = json::object();
    if (!spec.constraints.empty()) placement["Constraints"] = spec.constraints;
    if (spec.maxPerNode > 0) placement["MaxReplicas"] = spec.maxPerNode;
    if (!placement.empty()) task["Placement"] = placement;
    json limits = json::object();
    if (spec.nanoCpus > 0) limits["NanoCPUs"] = spec.nanoCpus;
    if (spec.memoryBytes > 0) limits["MemoryBytes"] = spec.memoryBytes;
    if (!limits.empty()) task["Resources"] = {{"Limits", limits}};
    json body = {{"Name", spec.name},
                 {"Labels", spec.labels},
                 {"TaskTemplate", task},
                 {"Mode", {{"Replicated", {{"Replicas", spec.replicas}}}}}};
    if (spec.dnsRoundRobin) body["EndpointSpec"] = {{"Mode", "dnsrr"}};
    return body.dump();
}

std::string encodeSecretSpec(const std::string& name, const std::string& data, const Labels& labels) {
    return json{{"Name", name}, {"Labels", labels}, {"Data", base64Encode(data)}}.dump();
}

Result<std::string> respecReplicas(std::string_view serviceJson, std::uint64_t replicas) {
    auto object = parseObject(serviceJson, "service");
    if (!object) return object.error();
    auto spec = object->find("Spec");
    if (spec == object->end() || !spec->is_object()) return makeError(ErrorCode::failed, "decode service: no Spec");
    (*spec)["Mode"] = {{"Replicated", {{"Replicas", replicas}}}};
    return spec->dump();
}

namespace {

// The Spec of a swarm object (what: "node", "service") with labels set among its own; with
// emptyRemoves, a label given an empty value is removed instead.
Result<std::string> respecLabels(std::string_view objectJson, const std::string& what, const Labels& labels, bool emptyRemoves) {
    auto object = parseObject(objectJson, what);
    if (!object) return object.error();
    auto spec = object->find("Spec");
    if (spec == object->end() || !spec->is_object()) return makeError(ErrorCode::failed, "decode " + what + ": no Spec");
    auto& current = (*spec)["Labels"];
    if (!current.is_object()) current = json::object();
    for (const auto& [name, value] : labels) {
        if (emptyRemoves && value.empty())
            current.erase(name);
        else
            current[name] = value;
    }
    return spec->dump();
}

}  // namespace

Result<std::string> respecNodeLabels(std::string_view nodeJson, const Labels& labels) {
    return respecLabels(nodeJson, "node", labels, false);
}

Result<std::string> respecServiceLabels(std::string_view serviceJson, const Labels& labels) {
    return respecLabels(serviceJson, "service", labels, true);
}

Result<SwarmJoinInfo> decodeSwarmJoinInfo(std::string_view text) {
    auto object = parseObject(text, "swarm");
    if (!object) return object.error();
    const auto& tokens = objectField(*object, "JoinTokens");
    SwarmJoinInfo info{stringField(tokens, "Worker"), stringField(tokens, "Manager")};
    if (info.workerToken.empty()) return makeError(ErrorCode::failed, "decode swarm: no JoinTokens.Worker");
    return info;
}

Result<std::uint64_t> decodeVersionIndex(std::string_view text) {
    auto object = parseObject(text, "swarm object");
    if (!object) return object.error();
    auto index = integerField(objectField(*object, "Version"), "Index");
    if (index <= 0) return makeError(ErrorCode::failed, "decode swarm object: no Version.Index");
    return static_cast<std::uint64_t>(index);
}

std::string encodePathPart(const std::string& name) {
    std::vector<std::string> parts;
    for (const auto& piece : split(name, '/')) {
        if (piece == "." || piece == "..") {
            parts.push_back(piece == "." ? "%2E" : "%2E%2E");
            continue;
        }
        std::string part = percentEncode(piece);
        for (auto at = part.find("%3A"); at != std::string::npos; at = part.find("%3A", at)) part.replace(at, 3, ":");
        parts.push_back(std::move(part));
    }
    return join(parts, "/");
}

std::string encodeFilters(const std::map<std::string, std::vector<std::string>>& filters) { return json(filters).dump(); }

std::map<std::string, std::vector<std::string>> podmanEventFilters(std::map<std::string, std::vector<std::string>> filters) {
    auto events = filters.find("event");
    if (events == filters.end()) return filters;
    for (auto& name : events->second) {
        if (name == "die")
            name = "died";
        else if (name == "destroy")
            name = "remove";
    }
    return filters;
}

std::string encodeExecSpec(const ExecSpec& spec) {
    json body = {
        {"AttachStdin", spec.attachStdin}, {"AttachStdout", true}, {"AttachStderr", true}, {"Tty", spec.tty}, {"Cmd", spec.cmd}};
    if (!spec.user.empty()) body["User"] = spec.user;
    if (!spec.env.empty()) body["Env"] = spec.env;
    if (!spec.workingDir.empty()) body["WorkingDir"] = spec.workingDir;
    return body.dump();
}

std::string encodeLabelFilter(const Labels& labels) {
    json values = json::array();
    for (const auto& [name, value] : labels) values.push_back(value.empty() ? name : name + "=" + value);
    return json{{"label", values}}.dump();
}

bool hasLabels(const Labels& labels, const Labels& wanted) {
    for (const auto& [name, value] : wanted) {
        auto found = labels.find(name);
        if (found == labels.end() || (!value.empty() && found->second != value)) return false;
    }
    return true;
}

std::string encodeStringMap(const Labels& map) { return json(map).dump(); }

std::string engineErrorCause(std::string_view body) {
    json value = json::parse(body.begin(), body.end(), nullptr, false);
    return !value.is_discarded() && value.is_object() ? stringField(value, "cause") : std::string();
}

std::string engineErrorMessage(std::string_view body) {
    json value = json::parse(body.begin(), body.end(), nullptr, false);
    if (!value.is_discarded() && value.is_object()) {
        std::string message = stringField(value, "message");
        if (!message.empty()) return message;
    }
    std::string raw(trim(body));
    return raw.empty() ? std::string("(no message)") : truncateForDisplay(raw, 300);
}

std::vector<std::string> LineSplitter::feed(std::string_view bytes) {
    std::vector<std::string> lines;
    pending_.append(bytes);
    std::size_t start = 0;
    for (auto newline = pending_.find('\n'); newline != std::string::npos; newline = pending_.find('\n', start)) {
        std::string line = pending_.substr(start, newline - start);
        if (!trim(line).empty()) lines.push_back(std::move(line));
        start = newline + 1;
    }
    pending_.erase(0, start);
    return lines;
}

}  // namespace ppcs::docker
