#include "cluster/stats.h"

#include <future>

#include "cluster/hosts.h"

namespace ppcs::cluster {

std::vector<MemberStats> collectStats(docker::EngineClient& engine, const std::vector<Member>& members) {
    auto hosts = HostEngines::discover(engine);
    std::vector<std::future<Result<docker::ContainerStats>>> pending;
    for (const auto& member : members)
        pending.push_back(std::async(std::launch::async, [&, id = member.containerId, nodeId = member.nodeId]() -> Result<docker::ContainerStats> {
            if (!hosts) return hosts.error();
            auto* hostEngine = hosts->engineFor(nodeId);
            if (!hostEngine) return makeError(ErrorCode::unavailable, "host " + hosts->displayName(nodeId) + ": " + hosts->unreachableReason(nodeId));
            return hostEngine->containerStats(id);
        }));
    std::vector<MemberStats> all;
    for (std::size_t i = 0; i < members.size(); ++i) {
        MemberStats entry{members[i].role, members[i].hostname, members[i].containerId, {}, ""};
        auto stats = pending[i].get();
        if (stats) entry.stats = *stats;
        else entry.error = stats.error().message;
        all.push_back(std::move(entry));
    }
    return all;
}

}  // namespace ppcs::cluster
