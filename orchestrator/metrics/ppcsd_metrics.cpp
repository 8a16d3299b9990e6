#include "metrics/ppcsd_metrics.h"

namespace ppcs::metrics {
namespace {

constexpr model::JobState kAllJobStates[] = {
    model::JobState::queued,    model::JobState::running,  model::JobState::finished, model::JobState::failed,
    model::JobState::cancelled, model::JobState::timedOut, model::JobState::stopped,  model::JobState::interrupted,
};

}  // namespace

const char* engineErrorKindName(EngineErrorKind kind) {
    switch (kind) {
        case EngineErrorKind::unreachable:
            return "unreachable";
        case EngineErrorKind::serverError:
            return "server_error";
        case EngineErrorKind::clusterRead:
            return "cluster_read";
    }
    return "unknown";
}

const char* upOutcomeName(UpOutcome outcome) { return outcome == UpOutcome::ok ? "ok" : "failed"; }

void declarePpcsdMetrics(Registry& registry) {
    registry.declare(kClusters, Kind::gauge, "Clusters ppcsd sees on the engine.");
    registry.declare(kClusterMembers, Kind::gauge, "Members of each cluster by state (ready: in the hostfile).");
    registry.declare(kClusterReadySlots, Kind::gauge, "MPI slots of each cluster's ready members.");
    registry.declare(kJobs, Kind::gauge, "Jobs in jobs.db by state.");
    registry.declare(kJobDuration, Kind::histogram, "Duration of ended jobs in seconds, by how they ended.", durationBuckets());
    registry.declare(kUpDuration, Kind::histogram, "Duration of up operations in seconds, by outcome.", durationBuckets());
    registry.declare(kHealEvents, Kind::counter, "Node losses and healing steps recorded, by cluster.");
    registry.declare(kEngineErrors, Kind::counter, "Docker engine calls that failed, by kind.");
}

std::string memberStateLabel(const model::Member& member) {
    if (member.ready) return "ready";
    return member.state.empty() ? "unknown" : member.state;
}

void setClusterGauges(Registry& registry, std::size_t clusterCount, const std::vector<model::ClusterStatus>& read) {
    registry.set(kClusters, {}, static_cast<double>(clusterCount));
    for (const auto& cluster : read) {
        std::map<std::string, int> byState;
        int readySlots = 0;
        for (const auto& member : cluster.members) {
            ++byState[memberStateLabel(member)];
            if (member.ready) readySlots += member.mpiSlots;
        }
        for (const auto& [state, count] : byState)
            registry.set(kClusterMembers, {{"cluster", cluster.name}, {"state", state}}, count);
        registry.set(kClusterReadySlots, {{"cluster", cluster.name}}, readySlots);
    }
}

void setJobGauges(Registry& registry, const std::map<model::JobState, std::int64_t>& counts) {
    for (auto state : kAllJobStates) {
        auto found = counts.find(state);
        registry.set(kJobs, {{"state", model::jobStateName(state)}},
                     found == counts.end() ? 0.0 : static_cast<double>(found->second));
    }
}

void recordUp(Registry& registry, UpOutcome outcome, double seconds) {
    registry.observe(kUpDuration, {{"outcome", upOutcomeName(outcome)}}, seconds);
}

void recordJobEnd(Registry& registry, model::JobState state, double seconds) {
    registry.observe(kJobDuration, {{"state", model::jobStateName(state)}}, seconds);
}

void recordHealEvent(Registry& registry, const std::string& cluster) { registry.add(kHealEvents, {{"cluster", cluster}}); }

void recordEngineError(Registry& registry, EngineErrorKind kind) {
    registry.add(kEngineErrors, {{"kind", engineErrorKindName(kind)}});
}

}  // namespace ppcs::metrics
