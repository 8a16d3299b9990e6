#include "cluster/stats.h"

#include "cluster/hosts.h"
#include "common/parallel.h"

namespace ppcs::cluster {
namespace {

constexpr std::size_t kParallelStats = 32;

}  // namespace

std::vector<MemberStats> collectStats(docker::Engine& engine, const std::vector<Member>& members) {
    auto hosts = HostEngines::discover(engine);
    std::vector<MemberStats> all;
    for (const auto& member : members) all.push_back(MemberStats{member.role, member.hostname, member.containerId, {}, ""});
    // One stats call takes about a second: many at once, but not a connection per member.
    forEachBounded(members.size(), kParallelStats, [&](std::size_t i) {
        auto stats = [&]() -> Result<docker::ContainerStats> {
            if (!hosts) return hosts.error();
            auto* hostEngine = hosts->engineFor(members[i].dockerHostId);
            if (!hostEngine)
                return makeError(ErrorCode::unavailable, "host " + hosts->displayName(members[i].dockerHostId) + ": " +
                                                             hosts->unreachableReason(members[i].dockerHostId));
            return hostEngine->containerStats(members[i].containerId);
        }();
        if (stats)
            all[i].stats = *stats;
        else
            all[i].error = stats.error().message;
    });
    return all;
}

}  // namespace ppcs::cluster
