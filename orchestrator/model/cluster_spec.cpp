#include "model/cluster_spec.h"

#include <cctype>

namespace ppcs::model {

Status validateClusterName(const std::string& name) {
    bool ok = !name.empty() && name.size() <= 40 && std::islower(static_cast<unsigned char>(name[0]));
    for (char c : name)
        ok = ok && (std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-');
    if (!ok)
        return makeError(ErrorCode::usage,
                         "cluster name '" + name +
                             "' is not valid: use lower-case letters, digits and '-', starting with a letter, at most 40");
    return {};
}

Status validateNodeCount(int nodes) {
    if (nodes < 1 || nodes > kMaxNodes)
        return makeError(ErrorCode::usage,
                         "--nodes must be from 1 to " + std::to_string(kMaxNodes) + ", not " + std::to_string(nodes));
    return {};
}

Status validateSlots(int slots) {
    if (slots < 0 || slots > kMaxSlots)
        return makeError(ErrorCode::usage,
                         "--slots must be from 1 to " + std::to_string(kMaxSlots) + ", not " + std::to_string(slots));
    return {};
}

Status validatePerHost(int perHost) {
    if (perHost < 0 || perHost > kMaxNodes)
        return makeError(ErrorCode::usage,
                         "--per-host must be from 1 to " + std::to_string(kMaxNodes) + ", not " + std::to_string(perHost));
    return {};
}

Status validateRegistry(const std::string& registry) {
    if (registry.empty()) return {};
    auto colon = registry.find(':');
    std::string host = registry.substr(0, colon);
    std::string port = colon == std::string::npos ? "" : registry.substr(colon + 1);
    bool hostValid =
        !host.empty() && host.size() <= 253 && std::isalnum(static_cast<unsigned char>(host.front())) &&
        host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == std::string::npos;
    bool portValid = colon == std::string::npos ||
                     (!port.empty() && port.size() <= 5 && port.find_first_not_of("0123456789") == std::string::npos &&
                      std::stoi(port) >= 1 && std::stoi(port) <= 65535);
    if (!hostValid || !portValid)
        return makeError(ErrorCode::usage,
                         "--registry '" + registry.substr(0, 80) + "' is not valid: give HOST or HOST:PORT (no scheme, no path)");
    return {};
}

Status validatePlacement(int nodes, int perHost, int schedulableHosts) {
    if (perHost == 0 || nodes <= perHost * schedulableHosts) return {};
    return makeError(ErrorCode::usage, std::to_string(nodes) + " nodes at --per-host " + std::to_string(perHost) + " need " +
                                           std::to_string((nodes + perHost - 1) / perHost) + " hosts, and the swarm has " +
                                           std::to_string(schedulableHosts) +
                                           " ready: add hosts, raise --per-host or ask for fewer nodes");
}

Status validateSpec(const ClusterSpec& spec) {
    if (auto valid = validateClusterName(spec.name); !valid) return valid;
    if (auto valid = validateNodeCount(spec.nodeCount); !valid) return valid;
    if (auto valid = validatePerHost(spec.perHost); !valid) return valid;
    if (auto valid = validateRegistry(spec.registry); !valid) return valid;
    if (auto valid = validateNodeSize(spec.size); !valid) return valid;
    if (!spec.mount.source.empty())
        if (auto valid = validateHostMount(spec.mount); !valid) return valid;
    if (spec.mount.source.empty() && spec.mount.everyHost)
        return makeError(ErrorCode::usage, "--mount-on-every-host needs --mount");
    return validateSlots(spec.slotsOverride);
}

int effectiveSlots(const ClusterSpec& spec) {
    return spec.slotsOverride > 0 ? spec.slotsOverride : slotsForCpus(spec.size.nanoCpus);
}

}  // namespace ppcs::model
