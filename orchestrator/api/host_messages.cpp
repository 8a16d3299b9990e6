#include "api/host_messages.h"

#include "api/json_fields.h"

namespace ppcs::api {
namespace {

using fields::json;

json hostJson(const model::Host& host) {
    return {{"node_id", host.nodeId},    {"name", host.name},         {"hostname", host.hostname},
            {"role", host.role},         {"state", host.state},       {"availability", host.availability},
            {"address", host.address},   {"endpoint", host.endpoint}, {"tls_dir", host.tlsDir},
            {"insecure", host.insecure}, {"ssh_key", host.sshKey},    {"ssh_known_hosts", host.sshKnownHosts},
            {"local", host.local},       {"cpus", host.cpus},         {"memory_bytes", host.memoryBytes},
            {"image", host.image}};
}

model::Host hostFromJson(const json& item) {
    model::Host host;
    host.nodeId = fields::stringOr(item, "node_id");
    host.name = fields::stringOr(item, "name");
    host.hostname = fields::stringOr(item, "hostname");
    host.role = fields::stringOr(item, "role");
    host.state = fields::stringOr(item, "state");
    host.availability = fields::stringOr(item, "availability");
    host.address = fields::stringOr(item, "address");
    host.endpoint = fields::stringOr(item, "endpoint");
    host.tlsDir = fields::stringOr(item, "tls_dir");
    host.insecure = fields::valueOr(item, "insecure", false);
    host.sshKey = fields::stringOr(item, "ssh_key");
    host.sshKnownHosts = fields::stringOr(item, "ssh_known_hosts");
    host.local = fields::valueOr(item, "local", false);
    host.cpus = fields::valueOr(item, "cpus", 0);
    host.memoryBytes = fields::valueOr<std::int64_t>(item, "memory_bytes", 0);
    host.image = fields::stringOr(item, "image");
    return host;
}

}  // namespace

Result<model::EngineEndpoint> requestedEndpoint(const AddHostRequest& request) {
    return model::hostEndpoint(request.endpoint, request.tlsDir, request.insecure,
                               model::SshOptions{request.sshKey, request.sshKnownHosts});
}

std::string encodeAddHostRequest(const AddHostRequest& request) {
    json body{{"name", request.name}, {"endpoint", request.endpoint}};
    if (!request.tlsDir.empty()) body["tls_dir"] = request.tlsDir;
    if (request.insecure) body["insecure"] = true;
    if (!request.sshKey.empty()) body["ssh_key"] = request.sshKey;
    if (!request.sshKnownHosts.empty()) body["ssh_known_hosts"] = request.sshKnownHosts;
    return fields::dumpJson(body);
}

Result<AddHostRequest> decodeAddHostRequest(std::string_view body) {
    const char* what = "add host request";
    auto object = fields::parseObject(body, what);
    if (!object) return object.error();
    if (auto known =
            fields::rejectUnknown(*object, {"name", "endpoint", "tls_dir", "insecure", "ssh_key", "ssh_known_hosts"}, what);
        !known)
        return known.error();
    AddHostRequest request;
    Status read = fields::readOptional(*object, "name", json::value_t::string, request.name, what);
    if (read) read = fields::readOptional(*object, "endpoint", json::value_t::string, request.endpoint, what);
    if (read) read = fields::readOptional(*object, "tls_dir", json::value_t::string, request.tlsDir, what);
    if (read) read = fields::readOptional(*object, "insecure", json::value_t::boolean, request.insecure, what);
    if (read) read = fields::readOptional(*object, "ssh_key", json::value_t::string, request.sshKey, what);
    if (read) read = fields::readOptional(*object, "ssh_known_hosts", json::value_t::string, request.sshKnownHosts, what);
    if (read) read = model::validateHostName(request.name);
    if (read) {
        auto endpoint = requestedEndpoint(request);
        if (!endpoint) read = endpoint.error();
    }
    if (!read) return read.error();
    return request;
}

std::string encodeHosts(const std::vector<model::Host>& hosts) {
    json list = json::array();
    for (const auto& host : hosts) list.push_back(hostJson(host));
    return fields::dumpJson(json{{"hosts", list}});
}

Result<std::vector<model::Host>> decodeHosts(std::string_view body) {
    auto object = fields::parseObject(body, "host list");
    if (!object) return makeError(ErrorCode::failed, object.error().message);
    std::vector<model::Host> hosts;
    if (auto list = object->find("hosts"); list != object->end() && list->is_array())
        for (const auto& item : *list)
            if (item.is_object()) hosts.push_back(hostFromJson(item));
    return hosts;
}

std::string encodeHost(const model::Host& host) { return fields::dumpJson(hostJson(host)); }

Result<model::Host> decodeHost(std::string_view body) {
    auto object = fields::parseObject(body, "host");
    if (!object) return makeError(ErrorCode::failed, object.error().message);
    return hostFromJson(*object);
}

std::string encodeJoinCommand(const std::string& command) { return fields::dumpJson(json{{"command", command}}); }

Result<std::string> decodeJoinCommand(std::string_view body) {
    auto object = fields::parseObject(body, "join command");
    if (!object) return makeError(ErrorCode::failed, object.error().message);
    auto command = fields::stringOr(*object, "command");
    if (command.empty()) return makeError(ErrorCode::failed, "decode join command: no command");
    return command;
}

}  // namespace ppcs::api
