#include "model/cluster_status.h"

namespace ppcs::model {

const char* roleName(MemberRole role) { return role == MemberRole::head ? "head" : "node"; }

std::optional<MemberRole> roleFromName(std::string_view name) {
    if (name == "head") return MemberRole::head;
    if (name == "node") return MemberRole::node;
    return std::nullopt;
}

std::string memberHostname(const std::string& cluster, MemberRole role, int slot) {
    return role == MemberRole::head ? cluster + "-head" : cluster + "-node-" + std::to_string(slot);
}

}  // namespace ppcs::model
