#pragma once
// The metrics ppcsd serves at GET /metrics: their families, and the gauges a scrape computes from
// what ppcsd knows at that moment (clusters read from the engine, job counts from jobs.db).
//
// Counters and histograms live in ppcsd's one Registry and are fed where things happen (an `up`
// ends, a job ends, a heal event, an engine call fails); a scrape renders a copy of it with the
// gauges set.

#include <cstdint>
#include <map>
#include <vector>

#include "metrics/registry.h"
#include "model/cluster_status.h"
#include "model/job.h"

namespace ppcs::metrics {

// Gauges, set at scrape time.
inline const std::string kClusters = "ppcs_clusters";                      // no labels
inline const std::string kClusterMembers = "ppcs_cluster_members";         // cluster, state
inline const std::string kClusterReadySlots = "ppcs_cluster_ready_slots";  // cluster
inline const std::string kJobs = "ppcs_jobs";                              // state (every JobState)
// Counters and histograms, fed as things happen.
inline const std::string kJobDuration = "ppcs_job_duration_seconds";  // state (how the job ended)
inline const std::string kUpDuration = "ppcs_up_duration_seconds";    // outcome
inline const std::string kHealEvents = "ppcs_heal_events_total";      // cluster
inline const std::string kEngineErrors = "ppcs_engine_errors_total";  // kind

// Why an engine call counts as failed.
enum class EngineErrorKind {
    unreachable,  // no answer: the connection failed, broke or timed out
    serverError,  // the engine answered 5xx
    clusterRead,  // a scrape could not read a cluster (or the cluster list)
};
const char* engineErrorKindName(EngineErrorKind kind);  // "unreachable", "server_error", "cluster_read"

enum class UpOutcome { ok, failed };
const char* upOutcomeName(UpOutcome outcome);  // "ok", "failed"

// Declares every family above into registry.
void declarePpcsdMetrics(Registry& registry);

// A member's state label: "ready" once it is in the hostfile, else its task state ("running",
// "starting", ...; "unknown" when the engine gave none).
std::string memberStateLabel(const model::Member& member);

// Sets kClusters, and kClusterMembers and kClusterReadySlots for each cluster read.
void setClusterGauges(Registry& registry, std::size_t clusterCount, const std::vector<model::ClusterStatus>& read);
// Sets kJobs for every job state (0 for states absent from counts).
void setJobGauges(Registry& registry, const std::map<model::JobState, std::int64_t>& counts);

// Recording helpers, so that label names are written once.
void recordUp(Registry& registry, UpOutcome outcome, double seconds);
void recordJobEnd(Registry& registry, model::JobState state, double seconds);
void recordHealEvent(Registry& registry, const std::string& cluster);
void recordEngineError(Registry& registry, EngineErrorKind kind);

}  // namespace ppcs::metrics
