// EngineClient's Swarm calls: info, swarm init, nodes, networks, volumes, secrets, services, tasks.

#include <algorithm>
#include <chrono>
#include <thread>

#include "common/strings.h"
#include "docker/codecs.h"
#include "docker/engine.h"

namespace ppcs::docker {
namespace {

std::string labelQuery(const Labels& labelFilter) { return "?filters=" + percentEncode(encodeLabelFilter(labelFilter)); }

template <class T>
Result<T> decodeReply(const Result<HttpResponse>& reply, Result<T> (*decode)(std::string_view)) {
    if (!reply) return reply.error();
    return decode(reply->body);
}

Status done(const Result<HttpResponse>& reply) {
    if (!reply) return reply.error();
    return {};
}

constexpr int kUpdateAttempts = 8;

// Whether a swarm list failed only because this engine has never joined a swarm: Docker answers
// 503 there, yet the true answer is that there is nothing (no cluster can exist on it before
// `up` initialises its swarm). Podman, which has no Swarm at all, answers 404 (plain text "Not
// Found": it has no such routes). A swarm worker's 503 stays an error.
bool outsideAnySwarm(const Result<HttpResponse>& reply, EngineClient& engine) {
    if (reply) return false;
    if (reply.error().code != ErrorCode::unavailable && !(engine.isPodman() && reply.error().code == ErrorCode::notFound))
        return false;
    auto info = engine.info();
    return info && info->swarmState == "inactive";
}

}  // namespace

Result<EngineInfo> EngineClient::info() { return decodeReply(call("GET", "/info"), decodeEngineInfo); }

Status EngineClient::initSwarm(const std::string& listenAddr, const std::string& advertiseAddr) {
    std::string body = "{\"ListenAddr\":\"" + listenAddr + "\",\"AdvertiseAddr\":\"" + advertiseAddr + "\"}";
    return done(call("POST", "/swarm/init", body));
}

Result<std::vector<SwarmNode>> EngineClient::listNodes() { return decodeReply(call("GET", "/nodes"), decodeNodeList); }

Result<SwarmJoinInfo> EngineClient::swarmJoinInfo() { return decodeReply(call("GET", "/swarm"), decodeSwarmJoinInfo); }

Status EngineClient::setNodeLabels(const std::string& nodeId, const Labels& labels) {
    auto respec = [&labels](std::string_view node) { return respecNodeLabels(node, labels); };
    return updateWithRetry("/nodes/" + encodePathPart(nodeId), respec, "update node labels");
}

Status EngineClient::updateWithRetry(const std::string& path, const std::function<Result<std::string>(std::string_view)>& respec,
                                     const std::string& what) {
    Error last = makeError(ErrorCode::failed, "no attempt made");
    for (int attempt = 0; attempt < kUpdateAttempts; ++attempt) {
        auto current = call("GET", path);
        if (!current) return current.error();
        auto version = decodeVersionIndex(current->body);
        if (!version) return version.error();
        auto spec = respec(current->body);
        if (!spec) return spec.error();
        auto updated = call("POST", path + "/update?version=" + std::to_string(*version), *spec);
        if (updated) return {};
        last = updated.error();
        if (last.message.find("update out of sequence") == std::string::npos) return last;
        std::this_thread::sleep_for(std::chrono::milliseconds(50 * (attempt + 1)));
    }
    return last.context(what + " after " + std::to_string(kUpdateAttempts) + " attempts");
}

Result<std::string> EngineClient::createNetwork(const NetworkSpec& spec) {
    return decodeReply(call("POST", "/networks/create", encodeNetworkSpec(spec)), decodeCreatedId);
}

Result<std::vector<NetworkInfo>> EngineClient::listNetworks(const Labels& labelFilter) {
    return decodeReply(call("GET", "/networks" + (labelFilter.empty() ? std::string() : labelQuery(labelFilter))),
                       decodeNetworkList);
}

Status EngineClient::removeNetwork(const std::string& id) { return done(call("DELETE", "/networks/" + encodePathPart(id))); }

Status EngineClient::createVolume(const std::string& name, const Labels& labels) {
    std::string body = "{\"Name\":\"" + name + "\",\"Labels\":" + encodeStringMap(labels) + "}";
    return done(call("POST", "/volumes/create", body));
}

Result<std::vector<VolumeInfo>> EngineClient::listVolumes(const Labels& labelFilter) {
    auto volumes = decodeReply(call("GET", "/volumes" + labelQuery(labelFilter)), decodeVolumeList);
    if (!volumes) return volumes;
    // Podman 4.3 lists the volumes carrying any one of the labels asked for, Docker those carrying
    // all of them.
    volumes->erase(std::remove_if(volumes->begin(), volumes->end(),
                                  [&](const VolumeInfo& volume) { return !hasLabels(volume.labels, labelFilter); }),
                   volumes->end());
    return volumes;
}

Status EngineClient::removeVolume(const std::string& name) { return done(call("DELETE", "/volumes/" + encodePathPart(name))); }

Result<std::string> EngineClient::createSecret(const std::string& name, const std::string& data, const Labels& labels) {
    return decodeReply(call("POST", "/secrets/create", encodeSecretSpec(name, data, labels)), decodeSwarmCreatedId);
}

Result<std::vector<SecretInfo>> EngineClient::listSecrets(const Labels& labelFilter) {
    auto reply = call("GET", "/secrets" + labelQuery(labelFilter));
    if (outsideAnySwarm(reply, *this)) return std::vector<SecretInfo>{};
    return decodeReply(reply, decodeSecretList);
}

Status EngineClient::removeSecret(const std::string& id) { return done(call("DELETE", "/secrets/" + encodePathPart(id))); }

Result<std::string> EngineClient::createService(const ServiceSpec& spec) {
    return decodeReply(call("POST", "/services/create", encodeServiceSpec(spec)), decodeSwarmCreatedId);
}

Result<std::vector<ServiceInfo>> EngineClient::listServices(const Labels& labelFilter) {
    auto reply = call("GET", "/services" + labelQuery(labelFilter));
    if (outsideAnySwarm(reply, *this)) return std::vector<ServiceInfo>{};
    return decodeReply(reply, decodeServiceList);
}

Result<ServiceInfo> EngineClient::inspectService(const std::string& id) {
    return decodeReply(call("GET", "/services/" + encodePathPart(id)), decodeService);
}

Status EngineClient::scaleService(const std::string& id, std::uint64_t replicas) {
    auto respec = [replicas](std::string_view service) { return respecReplicas(service, replicas); };
    return updateWithRetry("/services/" + encodePathPart(id), respec, "scale service");
}

Status EngineClient::updateServiceLabels(const std::string& id, const std::function<Result<Labels>(const ServiceInfo&)>& decide) {
    auto respec = [&decide](std::string_view service) -> Result<std::string> {
        auto current = decodeService(service);
        if (!current) return current.error();
        auto labels = decide(*current);
        if (!labels) return labels.error();
        return respecServiceLabels(service, *labels);
    };
    return updateWithRetry("/services/" + encodePathPart(id), respec, "update service labels");
}

Status EngineClient::removeService(const std::string& id) { return done(call("DELETE", "/services/" + encodePathPart(id))); }

Result<std::vector<TaskInfo>> EngineClient::listTasks(const std::map<std::string, std::vector<std::string>>& filters) {
    auto reply = call("GET", "/tasks?filters=" + percentEncode(encodeFilters(filters)));
    if (outsideAnySwarm(reply, *this)) return std::vector<TaskInfo>{};
    return decodeReply(reply, decodeTaskList);
}

}  // namespace ppcs::docker
