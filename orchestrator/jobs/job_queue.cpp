#include "jobs/job_queue.h"

#include <algorithm>
#include <optional>
#include <set>

#include "common/guarded.h"
#include "common/log.h"

namespace ppcs::jobs {
namespace {

std::string jobName(std::int64_t id) { return "job " + std::to_string(id); }

// What a follower of a job that has not started hears when ppcsd stops.
Error staysQueued(std::int64_t id) {
    return makeError(ErrorCode::unavailable,
                     "ppcsd is shutting down: " + jobName(id) + " stays queued and starts when ppcsd is back");
}

model::JobOutcome cancelledBeforeStart(std::int64_t id) {
    model::JobOutcome outcome;
    outcome.id = id;
    outcome.exitCode = 130;
    outcome.state = model::JobState::cancelled;
    outcome.message = "was cancelled before it started";
    return outcome;
}

}  // namespace

model::JobOutcome outcomeOfRecord(const model::JobRecord& record) {
    model::JobOutcome outcome;
    outcome.id = record.id;
    outcome.state = record.state;
    outcome.exitCode = record.exitCode.value_or(record.state == model::JobState::finished ? 0 : 1);
    outcome.message = record.message;
    outcome.seconds = record.seconds;
    return outcome;
}

JobQueue::JobQueue(JobStore& store, RequestCodec codec, JobLauncher launch, ClusterFree clusterFree,
                   std::chrono::milliseconds tick)
    : store_(store), codec_(std::move(codec)), launch_(std::move(launch)), clusterFree_(std::move(clusterFree)), tick_(tick) {}

void JobQueue::start() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (dispatcher_.joinable() || stopping_) return;
    dispatcher_ = std::thread([this] { runGuarded("job queue", [this] { dispatch(); }); });
}

void JobQueue::close() {
    std::vector<std::pair<std::int64_t, std::shared_ptr<JobFeed>>> waiting;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
        // Whoever follows a job that has not started stops following: it stays queued.
        for (auto feed = feeds_.begin(); feed != feeds_.end();) {
            if (dispatched_.count(feed->first)) {
                ++feed;
                continue;
            }
            waiting.emplace_back(*feed);
            toldWaiting_.erase(feed->first);
            feed = feeds_.erase(feed);
        }
    }
    for (auto& [id, feed] : waiting) feed->finish(staysQueued(id));
    wake_.notify_all();
}

void JobQueue::stop() {
    close();
    if (dispatcher_.joinable()) dispatcher_.join();
    std::vector<Worker> workers;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        workers.swap(workers_);
    }
    for (auto& worker : workers)
        if (worker.thread.joinable()) worker.thread.join();
}

void JobQueue::poke() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        poked_ = true;
    }
    wake_.notify_all();
}

namespace {

// The jobs a request stands for: itself, or one per index of its array, each with its index in
// its environment (last, so that it wins over the user's own -e) and the array it belongs to (its
// %MOST decides how many of them run at once).
std::vector<model::JobRequest> jobsOf(const model::JobRequest& request, const std::optional<model::JobArray>& array) {
    if (!array) return {request};
    std::vector<model::JobRequest> jobs;
    for (int index = array->first; index <= array->last; ++index) {
        model::JobRequest job = request;
        job.arrayIndex = index;
        job.env.push_back("PPCS_ARRAY_INDEX=" + std::to_string(index));
        jobs.push_back(std::move(job));
    }
    return jobs;
}

}  // namespace

Result<std::int64_t> JobQueue::submit(const model::JobRequest& request) {
    std::optional<model::JobArray> array;
    if (!request.array.empty()) {
        auto parsed = model::parseJobArray(request.array);
        if (!parsed) return parsed.error();
        array = *parsed;
    }
    std::vector<QueuedJob> jobs;
    for (const auto& job : jobsOf(request, array)) {
        model::JobRecord record;
        record.cluster = job.cluster;
        record.program = (job.isCommand ? "-- " : "") + job.program;
        record.args = job.args;
        record.np = job.np;
        record.retries = job.retries;
        record.arrayIndex = job.arrayIndex;
        jobs.push_back({record, codec_.encode(job)});
    }
    std::vector<std::int64_t> ids;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_) return makeError(ErrorCode::unavailable, "ppcsd is shutting down: submit the job again in a moment");
        // An array is queued whole or not at all.
        auto queued = store_.enqueueAll(jobs);
        if (!queued) return queued.error().context(jobs.size() > 1 ? "array not queued" : "job not queued");
        ids = std::move(*queued);
        for (auto id : ids) feedFor(id);
    }
    poke();
    return ids.front();
}

std::shared_ptr<JobFeed> JobQueue::feedFor(std::int64_t id) {
    auto& feed = feeds_[id];
    if (!feed) feed = std::make_shared<JobFeed>();
    return feed;
}

void JobQueue::reapWorkers() {
    std::vector<Worker> ended;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        auto split = std::stable_partition(workers_.begin(), workers_.end(), [](const Worker& worker) { return !*worker.done; });
        std::move(split, workers_.end(), std::back_inserter(ended));
        workers_.erase(split, workers_.end());
    }
    for (auto& worker : ended) worker.thread.join();
}

void JobQueue::dispatch() {
    bool readFailedBefore = false;
    while (true) {
        {
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait_for(lock, tick_, [this] { return stopping_ || poked_; });
            poked_ = false;
            if (stopping_) return;
        }
        reapWorkers();
        auto queued = store_.queued();
        if (!queued) {
            if (!readFailedBefore) log::error("job queue: " + queued.error().message);
            readFailedBefore = true;
            continue;
        }
        readFailedBefore = false;
        std::set<std::int64_t> dispatchedIds;  // still queued in the store while being placed
        {
            std::lock_guard<std::mutex> lock(mutex_);
            for (const auto& [id, dispatched] : dispatched_) dispatchedIds.insert(id);
        }
        std::set<std::string> seen;
        for (const auto& job : *queued) {
            const std::string& cluster = job.record.cluster;
            if (dispatchedIds.count(job.record.id)) continue;
            // Only the head of each cluster's queue may start (beside the running ones), when
            // nothing else holds the cluster.
            if (seen.insert(cluster).second && clusterFree_(cluster)) startWorker(job, arrayMostOf(job));
        }
        tellWhoWaits(*queued);
    }
}

void JobQueue::tellWhoWaits(const std::vector<QueuedJob>& queued) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::map<std::string, int> ahead;  // by cluster: the jobs before this one that have not started
    for (const auto& job : queued) {
        if (dispatched_.count(job.record.id)) continue;
        int position = ++ahead[job.record.cluster];
        auto feed = feeds_.find(job.record.id);
        if (feed == feeds_.end() || toldWaiting_[job.record.id]) continue;
        toldWaiting_[job.record.id] = true;
        feed->second->publish(model::Phase::notice, jobName(job.record.id) + " waits in cluster '" + job.record.cluster +
                                                        "''s queue (position " + std::to_string(position) +
                                                        "): it starts when the cluster has room for it");
    }
}

int JobQueue::arrayMostOf(const QueuedJob& job) const {
    if (job.record.arrayId == 0) return 0;
    auto request = codec_.decode(job.request);
    if (!request || request->array.empty()) return 0;
    auto array = model::parseJobArray(request->array);
    return array ? array->most : 0;
}

void JobQueue::startWorker(const QueuedJob& job, int arrayMost) {
    auto control = std::make_shared<JobControl>();
    auto done = std::make_shared<std::atomic<bool>>(false);
    std::shared_ptr<JobFeed> feed;
    ClusterShare share;
    {
        // Checked under the lock that records the job: a hold (scale) taken meanwhile finds either
        // no job or this one in dispatched_.
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_ || dispatched_.count(job.record.id) || !mayStartLocked(job, arrayMost)) return;
        share.taken = takenLocked(job.record.cluster);
        dispatched_[job.record.id] = Dispatched{job.record.cluster, control, job.record.np, job.record.arrayId};
        feed = feedFor(job.record.id);
    }
    std::int64_t id = job.record.id;
    share.claim = [this, id](const std::set<std::string>& members) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            auto dispatched = dispatched_.find(id);
            if (dispatched == dispatched_.end()) return;
            dispatched->second.placed = true;
            dispatched->second.members = members;
        }
        poke();  // the next job may fit beside it
    };
    std::thread thread([this, job, share, control, feed, done] {
        runGuarded(jobName(job.record.id), [&] { work(job, share, control, feed); });
        *done = true;
        poke();
    });
    std::lock_guard<std::mutex> lock(mutex_);
    workers_.push_back(Worker{std::move(thread), done});
}

bool JobQueue::mayStartLocked(const QueuedJob& job, int arrayMost) const {
    const std::string& cluster = job.record.cluster;
    if (holds_.count(cluster)) return false;
    auto until = notBefore_.find(cluster);
    if (until != notBefore_.end() && std::chrono::steady_clock::now() < until->second) return false;
    int sameArray = 0;
    for (const auto& [id, dispatched] : dispatched_) {
        if (dispatched.cluster != cluster) continue;
        // One job is placed at a time, so that each sees where the others run.
        if (!dispatched.placed || dispatched.np == 0 || job.record.np == 0) return false;
        if (job.record.arrayId != 0 && dispatched.arrayId == job.record.arrayId) ++sameArray;
    }
    return arrayMost == 0 || sameArray < arrayMost;
}

std::set<std::string> JobQueue::takenLocked(const std::string& cluster) const {
    std::set<std::string> taken;
    for (const auto& [id, dispatched] : dispatched_)
        if (dispatched.cluster == cluster) taken.insert(dispatched.members.begin(), dispatched.members.end());
    return taken;
}

void JobQueue::work(const QueuedJob& job, const ClusterShare& share, const std::shared_ptr<JobControl>& control,
                    const std::shared_ptr<JobFeed>& feed) {
    std::int64_t id = job.record.id;
    auto request = codec_.decode(job.request);
    Result<model::JobOutcome> outcome =
        request ? launch_(*request, id, job.record.attempt, share, *control,
                          [&feed](model::Phase phase, const std::string& text) { feed->publish(phase, text); })
                : Result<model::JobOutcome>(request.error().context("read the queued request"));
    auto settled = settle(job, outcome, *control, *feed);
    std::lock_guard<std::mutex> lock(mutex_);
    auto dispatched = dispatched_.find(id);
    // A cancel that came after settle looked: the job must not start again.
    if (settled == Settled::waits && dispatched != dispatched_.end() && dispatched->second.cancelled) {
        auto cancelled = store_.cancelQueued(id, cancelledBeforeStart(id).message);
        if (cancelled && *cancelled) {
            feed->finish(cancelledBeforeStart(id));
            settled = Settled::ended;
        }
    }
    if (dispatched != dispatched_.end()) dispatched_.erase(dispatched);
    if (settled == Settled::waits) return;
    feeds_.erase(id);
    toldWaiting_.erase(id);
}

JobQueue::Settled JobQueue::settle(const QueuedJob& job, const Result<model::JobOutcome>& outcome, const JobControl& control,
                                   JobFeed& feed) {
    std::int64_t id = job.record.id;
    bool stopping = false, cancelled = false;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping = stopping_;
        if (auto dispatched = dispatched_.find(id); dispatched != dispatched_.end()) cancelled = dispatched->second.cancelled;
    }
    auto record = store_.get(id);
    if (!record) {
        // Not knowing how the job stands, it is left as the store has it, and looked at again later.
        log::error(jobName(id) + ": " + record.error().message);
        backOff(job.record.cluster);
        return Settled::waits;
    }
    if (record->state == model::JobState::queued) return settleNeverStarted(job, outcome, control, feed, stopping, cancelled);
    // Stopped by a lost node, with retries left and not cancelled: queued again, at the head of its queue.
    bool retry = outcome && !cancelled && control.cause() == StopCause::nodeLost && record->attempt <= record->retries;
    if (retry) {
        if (auto requeued = store_.requeue(id, outcome->message); requeued) {
            feed.publish(model::Phase::notice, jobName(id) + ": attempt " + std::to_string(record->attempt) + " " +
                                                   outcome->message + ": queued again (retry " + std::to_string(record->attempt) +
                                                   " of " + std::to_string(record->retries) + ")");
            return Settled::waits;
        } else {
            log::error(jobName(id) + ": " + requeued.error().message);
        }
    }
    feed.finish(outcome);
    return Settled::ended;
}

JobQueue::Settled JobQueue::settleNeverStarted(const QueuedJob& job, const Result<model::JobOutcome>& outcome,
                                               const JobControl& control, JobFeed& feed, bool stopping, bool cancelled) {
    std::int64_t id = job.record.id;
    // A store that cannot record the end leaves the job queued: it is looked at again later, and
    // its followers are not told an end the store does not hold.
    auto recorded = [&](const Status& written) {
        if (written) return true;
        log::error(jobName(id) + ": " + written.error().message);
        backOff(job.record.cluster);
        return false;
    };
    if (cancelled || (control.stopRequested() && control.cause() != StopCause::daemonStopping)) {
        auto message = cancelledBeforeStart(id);
        auto dropped = store_.cancelQueued(id, message.message);
        if (!recorded(dropped ? Status() : Status(dropped.error()))) return Settled::waits;
        feed.finish(message);
        return Settled::ended;
    }
    // ppcsd stops: it starts later, from the queue; whoever follows it stops following.
    if (stopping || control.cause() == StopCause::daemonStopping) {
        feed.finish(staysQueued(id));
        return Settled::closed;
    }
    // The cluster is held by another ppcsd (or a dead one's lease): tried again after a tick.
    if (!outcome && outcome.error().code == ErrorCode::conflict) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!toldWaiting_[id]) feed.publish(model::Phase::notice, jobName(id) + " waits: " + outcome.error().message);
        toldWaiting_[id] = true;
        notBefore_[job.record.cluster] = std::chrono::steady_clock::now() + tick_;
        return Settled::waits;
    }
    std::string why = outcome ? "it did not start" : outcome.error().message;
    if (!recorded(store_.finish(id, model::JobState::failed, std::nullopt, 0, why))) return Settled::waits;
    feed.finish(outcome ? Result<model::JobOutcome>(makeError(ErrorCode::failed, why)) : outcome);
    return Settled::ended;
}

void JobQueue::backOff(const std::string& cluster) {
    std::lock_guard<std::mutex> lock(mutex_);
    notBefore_[cluster] = std::chrono::steady_clock::now() + tick_;
}

Result<model::JobOutcome> JobQueue::follow(std::int64_t id, const model::Progress& events,
                                           const std::function<bool()>& keepFollowing) {
    std::shared_ptr<JobFeed> feed;
    model::JobRecord record;
    {
        // Under the lock: a job's feed is dropped only after its record says it ended.
        std::lock_guard<std::mutex> lock(mutex_);
        auto found = feeds_.find(id);
        if (found != feeds_.end()) feed = found->second;
        if (!feed) {
            auto stored = store_.get(id);
            if (!stored && stored.error().code == ErrorCode::notFound)
                return makeError(ErrorCode::usage, "there is no job " + std::to_string(id) + " (see `ppcs-cluster jobs`)");
            if (!stored) return stored.error();
            record = *stored;
            if (record.state == model::JobState::queued && stopping_) return staysQueued(id);
            if (model::jobActive(record.state)) feed = feedFor(id);
        }
    }
    if (feed) {
        auto ended = feed->follow(events, keepFollowing);
        if (!ended) return makeError(ErrorCode::failed, "stopped following " + jobName(id));
        return *ended;
    }
    auto output = store_.output(id);
    if (!output) return output.error();
    for (const auto& chunk : *output)
        events(chunk.isErr ? model::Phase::standardError : model::Phase::standardOutput, chunk.data);
    return outcomeOfRecord(record);
}

Result<bool> JobQueue::cancel(std::int64_t id, StopCause cause) {
    auto record = store_.get(id);
    if (!record && record.error().code == ErrorCode::notFound)
        return makeError(ErrorCode::usage, "there is no job " + std::to_string(id) + " (see `ppcs-cluster jobs`)");
    if (!record) return record.error();
    if (record->arrayId != id) return cancelOne(id, cause);
    // An array's id: every job of it that has not ended.
    auto active = store_.active(record->cluster);
    if (!active) return active.error();
    bool any = false;
    for (const auto& job : *active) {
        if (job.arrayId != id) continue;
        auto cancelled = cancelOne(job.id, cause);
        if (!cancelled) return cancelled.error();
        any = any || *cancelled;
    }
    return any;
}

Result<bool> JobQueue::cancelOne(std::int64_t id, StopCause cause) {
    std::shared_ptr<JobFeed> feed;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (auto dispatched = dispatched_.find(id); dispatched != dispatched_.end()) {
            dispatched->second.cancelled = true;
            dispatched->second.control->requestStop(cause);
            return true;
        }
        auto cancelled = store_.cancelQueued(id, cancelledBeforeStart(id).message);
        if (!cancelled) return cancelled.error();
        if (!*cancelled) return false;
        if (auto found = feeds_.find(id); found != feeds_.end()) {
            feed = found->second;
            feeds_.erase(found);
        }
        toldWaiting_.erase(id);
    }
    if (feed) feed->finish(cancelledBeforeStart(id));
    poke();
    return true;
}

std::shared_ptr<void> JobQueue::holdCluster(const std::string& cluster) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        ++holds_[cluster];
    }
    return std::shared_ptr<void>(nullptr, [this, cluster](void*) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (--holds_[cluster] == 0) holds_.erase(cluster);
        }
        poke();
    });
}

bool JobQueue::waitUntilIdle(const std::string& cluster, std::chrono::milliseconds limit,
                             const std::function<void(std::int64_t)>& waitingFor) {
    auto until = std::chrono::steady_clock::now() + limit;
    std::set<std::int64_t> told;
    while (true) {
        std::vector<std::int64_t> running;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            for (const auto& [id, dispatched] : dispatched_)
                if (dispatched.cluster == cluster) running.push_back(id);
        }
        if (running.empty()) return true;
        for (auto id : running)
            if (told.insert(id).second && waitingFor) waitingFor(id);
        if (std::chrono::steady_clock::now() >= until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

Result<std::vector<model::JobRecord>> JobQueue::list(const std::string& cluster, int recent) {
    auto active = store_.active(cluster);
    if (!active) return active.error();
    auto ended = store_.recentEnded(cluster, recent);
    if (!ended) return ended.error();
    std::vector<model::JobRecord> rows = std::move(*active);
    rows.insert(rows.end(), ended->begin(), ended->end());
    return rows;
}

}  // namespace ppcs::jobs
