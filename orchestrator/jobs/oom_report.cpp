#include "jobs/oom_report.h"

#include <chrono>
#include <thread>

#include "cluster/hosts.h"
#include "cluster/node_size.h"
#include "cluster/observed.h"
#include "cluster/spec.h"
#include "common/clock.h"
#include "common/log.h"

namespace ppcs::jobs {
namespace {

constexpr int kOomLooks = 5;
constexpr auto kOomLookPause = std::chrono::milliseconds(250);

}  // namespace

Result<std::set<std::string>> oomKilledContainers(docker::Engine& engine, const std::string& cluster,
                                                  const std::vector<cluster::Member>& members, std::int64_t sinceSeconds) {
    auto hosts = cluster::HostEngines::discover(engine);
    if (!hosts) return hosts.error();
    std::set<docker::Engine*> engines;
    for (const auto& member : members)
        if (auto* hostEngine = hosts->engineFor(member.dockerHostId)) engines.insert(hostEngine);
    if (engines.empty()) engines.insert(&engine);
    const std::map<std::string, std::vector<std::string>> filters{
        {"type", {"container"}}, {"event", {"oom"}}, {"label", {std::string(cluster::kClusterLabel) + "=" + cluster}}};
    std::set<std::string> killed;
    double until = unixSeconds();
    for (auto* hostEngine : engines) {
        auto events = hostEngine->pastEvents(filters, sinceSeconds, until);
        if (!events) return events.error();
        for (const auto& event : *events) killed.insert(event.actorId);
    }
    return killed;
}

std::string describeOomKill(const cluster::Member& member, const std::string& rank, std::int64_t memoryLimitBytes) {
    std::string limit = memoryLimitBytes > 0 ? "limit " + cluster::formatBytes(memoryLimitBytes) : "no memory limit";
    return (rank.empty() ? "a rank" : "rank " + rank) + " on " + member.hostname + " was killed: out of memory (" + limit +
           "), exit " + std::to_string(kOomExitCode);
}

void explainOomKill(docker::Engine& engine, const std::string& cluster, const std::vector<cluster::Member>& members,
                    std::int64_t sinceSeconds, const std::string& mpirunErr, JobOutcome& outcome) {
    auto crash = findCrash(mpirunErr);
    bool killed = outcome.exitCode == kOomExitCode || (crash && crash->signal == 9);
    const cluster::Member* victim = nullptr;
    for (int look = 0; look < (killed ? kOomLooks : 1) && !victim; ++look) {
        if (look > 0) std::this_thread::sleep_for(kOomLookPause);
        auto containers = oomKilledContainers(engine, cluster, members, sinceSeconds);
        if (!containers) {
            log::warn("job " + std::to_string(outcome.id) +
                      ": cannot tell whether a rank ran out of memory: " + containers.error().message);
            return;
        }
        // The member mpirun named first, else the first one hit.
        for (const auto& member : members)
            if (containers->count(member.containerId) && (!victim || (crash && crashNamesMember(*crash, member))))
                victim = &member;
    }
    if (!victim) return;
    auto observed = cluster::observeCluster(engine, cluster);
    std::int64_t limit = observed ? observed->nodeSize().memoryBytes : 0;
    outcome.message = describeOomKill(*victim, crash && crashNamesMember(*crash, *victim) ? crash->rank : "", limit);
    outcome.exitCode = kOomExitCode;
}

}  // namespace ppcs::jobs
