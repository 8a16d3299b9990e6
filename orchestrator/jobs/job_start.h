#pragma once
// A job's way from its queue to its end on its cluster (what ppcsd gives JobQueue as its
// JobLauncher): the cluster held for `run` (OperationLocks: beside the cluster's other jobs and a
// heal in this ppcsd, by the cluster's lease against every other ppcsd), its members placed
// (placement.h) from the cluster's view when the engine's events keep one (cluster_view.h), else
// from a read of the cluster, waiting while it needs a member being replaced; then JobRunner.
// On a whole cluster whose view is held, a job's engine calls are the lease (taken and released)
// and its launcher's exec (create, start, inspect): nothing reads the cluster.

#include <chrono>
#include <functional>
#include <string>

#include "cluster/cluster_view.h"
#include "cluster/operation_locks.h"
#include "jobs/job_queue.h"
#include "jobs/job_runner.h"
#include "jobs/job_store.h"

namespace ppcs::jobs {

// Reads a cluster's status from the engine (ppcsd: ClusterManager::status).
using ClusterReader = std::function<Result<model::ClusterStatus>(docker::Engine& engine, const std::string& cluster)>;
// Called once the job has run (whatever its outcome), with the engine it ran on and its head's
// container, while the cluster is still held: ppcsd counts the job and copies its --output back
// (a copy that fails makes a job that succeeded exit 1: it may change the outcome).
using JobAfterRun =
    std::function<void(docker::Engine& engine, const std::string& headContainer, Result<model::JobOutcome>& outcome)>;

// What every job of a ppcsd shares.
struct JobStartContext {
    cluster::EngineFactory engines;
    cluster::OperationLocks& locks;
    cluster::ClusterViews& views;
    ClusterReader readCluster;
    JobStore& store;
    RunningJobs& running;
    std::function<bool()> shuttingDown;       // a job waiting for a heal gives up once it turns true
    std::chrono::milliseconds waitPoll{500};  // how often a waiting job reads its cluster again
};

// Runs job `id` (queued in context.store) as JobLauncher says (job_queue.h): ErrorCode::conflict,
// its record still queued, when the cluster is held by an operation it cannot share it with, or
// when the jobs that run leave it too little room. attempt > 1 (queued again after a lost node)
// waits for the cluster to be whole again.
Result<model::JobOutcome> startJob(const JobStartContext& context, const model::JobRequest& request, std::int64_t id, int attempt,
                                   const ClusterShare& share, JobControl& control, const model::Progress& events,
                                   const JobAfterRun& afterRun = {});

}  // namespace ppcs::jobs
