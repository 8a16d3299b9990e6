#include "api/cluster_messages.h"

#include "api/json_fields.h"

namespace ppcs::api {
namespace {

using fields::json;
using fields::parseObject;
using fields::readOptional;

Status checkTimeout(int seconds, const char* what) {
    if (seconds < 1 || seconds > kMaxReadyTimeoutSeconds)
        return makeError(ErrorCode::usage, std::string(what) + ": timeout must be from 1 to " +
                                               std::to_string(kMaxReadyTimeoutSeconds) + " seconds");
    return {};
}

json memberJson(const model::Member& member) {
    return {{"role", model::roleName(member.role)},
            {"slot", member.taskSlot},
            {"hostname", member.hostname},
            {"address", member.address},
            {"state", member.state},
            {"message", member.message},
            {"container_id", member.containerId},
            {"node_id", member.dockerHostId},
            {"host", member.dockerHost},
            {"slots", member.mpiSlots},
            {"ready", member.ready}};
}

model::Member memberFromJson(const json& item) {
    model::Member member;
    member.role = fields::roleOr(item, "role");
    member.taskSlot = fields::valueOr(item, "slot", 0);
    member.hostname = fields::stringOr(item, "hostname");
    member.address = fields::stringOr(item, "address");
    member.state = fields::stringOr(item, "state");
    member.message = fields::stringOr(item, "message");
    member.containerId = fields::stringOr(item, "container_id");
    member.dockerHostId = fields::stringOr(item, "node_id");
    member.dockerHost = fields::stringOr(item, "host");
    member.mpiSlots = fields::valueOr(item, "slots", 1);
    member.ready = fields::valueOr(item, "ready", false);
    return member;
}

}  // namespace

std::string encodeUpRequest(const UpRequest& request) {
    const auto& spec = request.spec;
    // No "mpi" when the user named none: an existing cluster keeps its own.
    json mpi = spec.mpi ? json(model::mpiName(*spec.mpi)) : json(nullptr);
    json backend = spec.backend ? json(model::backendName(*spec.backend)) : json(nullptr);
    return fields::dumpJson(json{{"name", spec.name},
                                 {"mpi", mpi},
                                 {"backend", backend},
                                 {"nodes", spec.nodeCount},
                                 {"slots", spec.slotsOverride},
                                 {"per_host", spec.perHost},
                                 {"registry", spec.registry},
                                 {"timeout_seconds", request.timeoutSeconds},
                                 {"nano_cpus", spec.size.nanoCpus},
                                 {"memory_bytes", spec.size.memoryBytes},
                                 {"shm_bytes", spec.size.shmBytes},
                                 {"mount_source", spec.mount.source},
                                 {"mount_target", spec.mount.target},
                                 {"mount_every_host", spec.mount.everyHost}});
}

Result<UpRequest> decodeUpRequest(std::string_view body) {
    const char* what = "up request";
    auto object = parseObject(body, what);
    if (!object) return object.error();
    if (auto known =
            fields::rejectUnknown(*object,
                                  {"name", "mpi", "backend", "nodes", "slots", "per_host", "registry", "timeout_seconds",
                                   "nano_cpus", "memory_bytes", "shm_bytes", "mount_source", "mount_target", "mount_every_host"},
                                  what);
        !known)
        return known.error();
    UpRequest request;
    Status read = readOptional(*object, "name", json::value_t::string, request.spec.name, what);
    if (read) read = fields::readMpi(*object, request.spec.mpi, what);
    if (read) read = fields::readBackend(*object, request.spec.backend, what);
    if (read) read = readOptional(*object, "nodes", json::value_t::number_integer, request.spec.nodeCount, what);
    if (read) read = readOptional(*object, "slots", json::value_t::number_integer, request.spec.slotsOverride, what);
    if (read) read = readOptional(*object, "per_host", json::value_t::number_integer, request.spec.perHost, what);
    if (read) read = readOptional(*object, "registry", json::value_t::string, request.spec.registry, what);
    if (read) read = readOptional(*object, "timeout_seconds", json::value_t::number_integer, request.timeoutSeconds, what);
    auto& size = request.spec.size;
    if (read) read = readOptional(*object, "nano_cpus", json::value_t::number_integer, size.nanoCpus, what);
    if (read) read = readOptional(*object, "memory_bytes", json::value_t::number_integer, size.memoryBytes, what);
    if (read) read = readOptional(*object, "shm_bytes", json::value_t::number_integer, size.shmBytes, what);
    if (read) read = readOptional(*object, "mount_source", json::value_t::string, request.spec.mount.source, what);
    if (read) read = readOptional(*object, "mount_target", json::value_t::string, request.spec.mount.target, what);
    if (read) read = readOptional(*object, "mount_every_host", json::value_t::boolean, request.spec.mount.everyHost, what);
    if (read && !request.spec.mount.source.empty() && request.spec.mount.target.empty())
        read = makeError(ErrorCode::usage, std::string(what) + ": mount_source needs mount_target");
    if (read && (size.nanoCpus < 0 || size.memoryBytes < 0 || size.shmBytes < 0))
        read = makeError(ErrorCode::usage, std::string(what) + ": sizes cannot be negative");
    if (read) read = model::validateSpec(request.spec);
    if (read) read = checkTimeout(request.timeoutSeconds, what);
    if (!read) return read.error();
    return request;
}

std::string encodeScaleRequest(const ScaleRequest& request) {
    return fields::dumpJson(
        json{{"name", request.name}, {"nodes", request.nodeCount}, {"timeout_seconds", request.timeoutSeconds}});
}

Result<ScaleRequest> decodeScaleRequest(std::string_view body) {
    const char* what = "scale request";
    auto object = parseObject(body, what);
    if (!object) return object.error();
    if (auto known = fields::rejectUnknown(*object, {"name", "nodes", "timeout_seconds"}, what); !known) return known.error();
    ScaleRequest request;
    Status read = readOptional(*object, "name", json::value_t::string, request.name, what);
    if (read) read = readOptional(*object, "nodes", json::value_t::number_integer, request.nodeCount, what);
    if (read) read = readOptional(*object, "timeout_seconds", json::value_t::number_integer, request.timeoutSeconds, what);
    if (read) read = model::validateClusterName(request.name);
    if (read) read = model::validateNodeCount(request.nodeCount);
    if (read) read = checkTimeout(request.timeoutSeconds, what);
    if (!read) return read.error();
    return request;
}

std::string encodeDownRequest(const DownRequest& request) {
    return fields::dumpJson(json{{"name", request.name}, {"volumes", request.removeVolume}});
}

Result<DownRequest> decodeDownRequest(std::string_view body) {
    const char* what = "down request";
    auto object = parseObject(body, what);
    if (!object) return object.error();
    if (auto known = fields::rejectUnknown(*object, {"name", "volumes"}, what); !known) return known.error();
    DownRequest request;
    Status read = readOptional(*object, "name", json::value_t::string, request.name, what);
    if (read) read = readOptional(*object, "volumes", json::value_t::boolean, request.removeVolume, what);
    if (read) read = model::validateClusterName(request.name);
    if (!read) return read.error();
    return request;
}

std::string encodeClusterStatus(const model::ClusterStatus& status) {
    json members = json::array();
    int slots = 0;
    for (const auto& member : status.members) {
        members.push_back(memberJson(member));
        if (member.ready) slots += member.mpiSlots;
    }
    json hosts = json::array();
    for (const auto& host : status.hosts)
        hosts.push_back(
            {{"name", host.name}, {"state", host.state}, {"availability", host.availability}, {"members", host.members}});
    json mount = nullptr;
    if (!status.mount.source.empty())
        mount = {{"source", status.mount.source}, {"target", status.mount.target}, {"every_host", status.mount.everyHost}};
    return fields::dumpJson(json{{"name", status.name},
                                 {"image", status.image},
                                 {"subnet", status.subnet},
                                 {"mpi", model::mpiName(status.mpi)},
                                 {"backend", model::backendName(status.backend)},
                                 {"created_at", status.createdAt},
                                 {"nodes", status.desiredNodes},
                                 {"ready_slots", slots},
                                 {"members", members},
                                 {"hosts", hosts},
                                 {"events", status.events},
                                 {"cpus", static_cast<double>(status.size.nanoCpus) / model::kNanoCpusPerCpu},
                                 {"nano_cpus", status.size.nanoCpus},
                                 {"memory_bytes", status.size.memoryBytes},
                                 {"shm_bytes", status.size.shmBytes},
                                 {"mount", mount}});
}

Result<model::ClusterStatus> decodeClusterStatus(std::string_view body) {
    auto object = parseObject(body, "cluster status");
    if (!object) return makeError(ErrorCode::failed, object.error().message);
    model::ClusterStatus status;
    status.name = fields::stringOr(*object, "name");
    status.image = fields::stringOr(*object, "image");
    status.subnet = fields::stringOr(*object, "subnet");
    status.mpi = model::mpiFromName(fields::stringOr(*object, "mpi")).value_or(model::kDefaultMpi);
    status.backend = model::backendFromName(fields::stringOr(*object, "backend")).value_or(model::kDefaultBackend);
    status.createdAt = fields::stringOr(*object, "created_at");
    status.desiredNodes = fields::valueOr(*object, "nodes", 0);
    status.events = fields::valueOr(*object, "events", std::vector<std::string>{});
    status.size.nanoCpus = fields::valueOr<std::int64_t>(*object, "nano_cpus", 0);
    status.size.memoryBytes = fields::valueOr<std::int64_t>(*object, "memory_bytes", 0);
    status.size.shmBytes = fields::valueOr<std::int64_t>(*object, "shm_bytes", 0);
    if (auto mount = object->find("mount"); mount != object->end() && mount->is_object())
        status.mount = {fields::stringOr(*mount, "source"), fields::stringOr(*mount, "target"),
                        fields::valueOr(*mount, "every_host", false)};
    if (auto members = object->find("members"); members != object->end() && members->is_array())
        for (const auto& item : *members)
            if (item.is_object()) status.members.push_back(memberFromJson(item));
    if (auto hosts = object->find("hosts"); hosts != object->end() && hosts->is_array())
        for (const auto& item : *hosts)
            if (item.is_object())
                status.hosts.push_back({fields::stringOr(item, "name"), fields::stringOr(item, "state"),
                                        fields::stringOr(item, "availability"), fields::valueOr(item, "members", 0)});
    return status;
}

std::string encodeDownReport(const model::DownReport& report) {
    return fields::dumpJson(json{{"existed", report.existed}, {"removed", report.removed}, {"left_behind", report.leftBehind}});
}

Result<model::DownReport> decodeDownReport(std::string_view body) {
    auto object = parseObject(body, "down report");
    if (!object) return makeError(ErrorCode::failed, object.error().message);
    model::DownReport report;
    report.existed = fields::valueOr(*object, "existed", false);
    report.removed = fields::valueOr(*object, "removed", std::vector<std::string>{});
    report.leftBehind = fields::valueOr(*object, "left_behind", std::vector<std::string>{});
    return report;
}

std::string encodeClusterList(const std::vector<std::string>& names) { return fields::dumpJson(json{{"clusters", names}}); }

Result<std::vector<std::string>> decodeClusterList(std::string_view body) {
    auto object = parseObject(body, "cluster list");
    if (!object) return makeError(ErrorCode::failed, object.error().message);
    return fields::valueOr(*object, "clusters", std::vector<std::string>{});
}

std::string encodeAddresses(const model::ClusterStatus& status) {
    json nodes = json::array();
    std::string head;
    for (const auto& member : status.members) {
        if (member.role == model::MemberRole::head)
            head = member.address;
        else
            nodes.push_back(member.address);
    }
    return fields::dumpJson(json{{"cluster", status.name}, {"head", head}, {"nodes", nodes}});
}

Result<model::ClusterStatus> decodeAddresses(std::string_view body) {
    auto object = parseObject(body, "addresses");
    if (!object) return makeError(ErrorCode::failed, object.error().message);
    model::ClusterStatus status;
    status.name = fields::stringOr(*object, "cluster");
    model::Member head;
    head.role = model::MemberRole::head;
    head.address = fields::stringOr(*object, "head");
    status.members.push_back(head);
    for (const auto& address : fields::valueOr(*object, "nodes", std::vector<std::string>{})) {
        model::Member node;
        node.role = model::MemberRole::node;
        node.address = address;
        status.members.push_back(node);
    }
    return status;
}

}  // namespace ppcs::api
