#pragma once
// The clusters' job queues: every job is submitted here, waits in its cluster's queue (FIFO, kept
// in jobs.db, so a restarted ppcsd finds it) and is started by a dispatcher thread when it fits:
// jobs that ask for fewer slots than the cluster has run side by side on disjoint members (the
// launcher places each beside the others, ClusterShare), a job without -n has the cluster to
// itself, and the head of a cluster's queue that does not fit yet waits for room (nothing jumps
// it). A job runs on a worker thread of its own through the launcher (the daemon's run path), its
// events going to its feed (jobs/job_feed.h) for whoever follows it. A job stopped by a lost node
// with retries left is queued again at the head of its cluster's queue; every attempt is recorded.
// Cancel reaches a job wherever it is.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "jobs/job_feed.h"
#include "jobs/job_runner.h"
#include "jobs/job_store.h"

namespace ppcs::jobs {

// How a queued request is kept in the store (ppcsd passes the API's JSON codec).
struct RequestCodec {
    std::function<std::string(const model::JobRequest&)> encode;
    std::function<Result<model::JobRequest>(std::string_view)> decode;
};

// A starting job's view of the jobs beside it on its cluster. `taken`: the members (hostnames)
// whose slots the cluster's running jobs hold; the job must place its ranks on other members.
// `claim`: the launcher says which members' slots the job holds, once placed and before it runs
// (no other job of the cluster starts before that).
struct ClusterShare {
    std::set<std::string> taken;
    std::function<void(const std::set<std::string>& members)> claim;
};

// Runs a job that left its queue, from its placement to its end, reporting to events and
// stopping once control asks (ppcsd: the cluster's lock, placement, JobRunner). An error while
// the job's record is still queued means it never started: ErrorCode::conflict (the cluster is
// held by another operation, or the job does not fit beside the jobs that run) leaves it queued,
// to start later; so does any error once the queue is stopping. Any other error fails the job.
// attempt: 1, or more for a job queued again after a lost node (which waits for the cluster to heal).
using JobLauncher =
    std::function<Result<model::JobOutcome>(const model::JobRequest& request, std::int64_t id, int attempt,
                                            const ClusterShare& share, JobControl& control, const model::Progress& events)>;
// Whether a job may start on the cluster now: no operation it cannot share the cluster with (up,
// scale, down, bench, a dead daemon's clean-up) holds it. Another ppcsd's hold may be found only
// when the launcher acquires the cluster (ErrorCode::conflict: the job stays queued).
using ClusterFree = std::function<bool(const std::string& cluster)>;

class JobQueue {
public:
    JobQueue(JobStore& store, RequestCodec codec, JobLauncher launch, ClusterFree clusterFree,
             std::chrono::milliseconds tick = std::chrono::seconds(1));
    ~JobQueue() { stop(); }
    JobQueue(const JobQueue&) = delete;
    JobQueue& operator=(const JobQueue&) = delete;

    // Starts dispatching, the jobs already queued in the store first.
    void start();
    // No job starts any more, and one that was placed but not started stays queued (ppcsd is
    // shutting down). Queued jobs stay queued in the store.
    void close();
    // close(), then waits for the workers to return (stopping running jobs is RunningJobs' business).
    void stop();

    // Queues a checked request; returns its job id at once. A request with an array queues one job
    // per index, whole or not at all, with PPCS_ARRAY_INDEX in its environment, and returns the
    // array's id: its first job's. They run side by side when they fit, never more than the
    // array's %MOST at once.
    Result<std::int64_t> submit(const model::JobRequest& request);
    // Hands the job's events to `events` from its submission to its end and returns how it ended;
    // for a job that has ended, its stored output, then its outcome as recorded. Gives up (an
    // error) once keepFollowing() turns false. A usage error when there is no such job.
    Result<model::JobOutcome> follow(std::int64_t id, const model::Progress& events, const std::function<bool()>& keepFollowing);
    // A queued job leaves its queue (recorded cancelled); a started one is asked to stop with
    // `cause`; an array's id does so to every job of the array. False when the job (every job of
    // the array) has ended; a usage error when there is no such job.
    Result<bool> cancel(std::int64_t id, StopCause cause = StopCause::cancelled);
    // While the returned hold lives, no job of the queue starts on the cluster: an operation that
    // changes it (scale) waits for the running one, and applies before the next starts.
    std::shared_ptr<void> holdCluster(const std::string& cluster);
    // Waits until no job of the queue is placed or running on the cluster, at most `limit`;
    // waitingFor(id) is called once for each job waited for. False when one still runs.
    bool waitUntilIdle(const std::string& cluster, std::chrono::milliseconds limit,
                       const std::function<void(std::int64_t)>& waitingFor);
    // The queued and running jobs (of one cluster, or all when cluster is empty), running first,
    // then the queued in the order they start, then the newest `recent` ended ones.
    Result<std::vector<model::JobRecord>> list(const std::string& cluster, int recent);

private:
    struct Dispatched {
        std::string cluster;
        std::shared_ptr<JobControl> control;
        int np = 0;                // 0: the job takes the whole cluster
        std::int64_t arrayId = 0;  // of the array it belongs to, or 0
        bool placed = false;       // its launcher claimed its members (ClusterShare::claim)
        std::set<std::string> members;
        bool cancelled = false;  // cancel came: never started again, never retried
    };
    // What a worker's end came to: the job ended (its feed is finished), it waits in the queue
    // (to start, or start again), or it stays queued while ppcsd stops (its feed is finished).
    enum class Settled { ended, waits, closed };
    struct Worker {
        std::thread thread;
        std::shared_ptr<std::atomic<bool>> done;
    };
    void dispatch();
    // Starts the job on a worker unless ppcsd stops or it may not start now (mayStartLocked).
    void startWorker(const QueuedJob& job, int arrayMost);
    // Whether the job may start beside the cluster's running jobs (lock held): no hold keeps jobs
    // off the cluster, it does not back off, every job of the cluster has claimed its members,
    // neither it nor they take the whole cluster, and fewer than arrayMost (when not 0) jobs of its
    // array run.
    bool mayStartLocked(const QueuedJob& job, int arrayMost) const;
    // The members the cluster's started jobs hold (lock held).
    std::set<std::string> takenLocked(const std::string& cluster) const;
    // The %MOST of the array the job belongs to, or 0.
    int arrayMostOf(const QueuedJob& job) const;
    Result<bool> cancelOne(std::int64_t id, StopCause cause);
    // Whoever follows a queued job that did not start is told once that it waits, and where.
    void tellWhoWaits(const std::vector<QueuedJob>& queued);
    void work(const QueuedJob& job, const ClusterShare& share, const std::shared_ptr<JobControl>& control,
              const std::shared_ptr<JobFeed>& feed);
    // Records what a worker's launch came to: the job ended, stays queued, or is queued again.
    Settled settle(const QueuedJob& job, const Result<model::JobOutcome>& outcome, const JobControl& control, JobFeed& feed);
    Settled settleNeverStarted(const QueuedJob& job, const Result<model::JobOutcome>& outcome, const JobControl& control,
                               JobFeed& feed, bool stopping, bool cancelled);
    // The cluster's next job waits a tick (its cluster was busy, or the store failed).
    void backOff(const std::string& cluster);
    // The feed of an active job, made when first asked for (lock held).
    std::shared_ptr<JobFeed> feedFor(std::int64_t id);
    void poke();
    void reapWorkers();

    JobStore& store_;
    RequestCodec codec_;
    JobLauncher launch_;
    ClusterFree clusterFree_;
    std::chrono::milliseconds tick_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool poked_ = false;
    bool stopping_ = false;
    std::map<std::int64_t, Dispatched> dispatched_;                           // by job id
    std::map<std::int64_t, std::shared_ptr<JobFeed>> feeds_;                  // of active jobs someone follows or submitted
    std::map<std::int64_t, bool> toldWaiting_;                                // queued jobs whose feed was told they wait
    std::map<std::string, int> holds_;                                        // by cluster: holds that keep jobs from starting
    std::map<std::string, std::chrono::steady_clock::time_point> notBefore_;  // by cluster: back-off after a conflict
    std::vector<Worker> workers_;
    std::thread dispatcher_;
};

// How a recorded job ended, as the outcome a follower returns: its exit code (1 when it has none).
model::JobOutcome outcomeOfRecord(const model::JobRecord& record);

}  // namespace ppcs::jobs
