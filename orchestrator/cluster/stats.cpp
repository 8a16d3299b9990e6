#include "cluster/stats.h"

#include <future>

namespace ppcs::cluster {

std::vector<MemberStats> collectStats(docker::EngineClient& engine, const std::vector<Member>& members) {
    std::vector<std::future<Result<docker::ContainerStats>>> pending;
    for (const auto& member : members)
        pending.push_back(std::async(std::launch::async, [&engine, id = member.containerId] { return engine.containerStats(id); }));
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
