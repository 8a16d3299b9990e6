#pragma once
// Job records in an embedded SQLite database in ppcsd's state directory: one row per job (id,
// cluster, program, NP, submission, start, duration, exit code, state, attempt) and its output,
// stdout and stderr kept apart, in arrival order. The queues live here too: a queued job keeps the
// request it runs (encoded by the caller, opaque to the store) and its place. Records survive a
// daemon restart: queued jobs stay queued; a job that was running when the daemon died is queued
// again at the head of its cluster's queue when it has retries left (JobRequest::retries), and
// marked "interrupted" otherwise, when the store is next opened. Thread-safe.
//
// Retention: the store keeps the newest `keepFinished` finished jobs (every state but queued and
// running); each time a job finishes, older finished jobs and their output are deleted. Queued and
// running jobs are never deleted. The database file keeps its size after deletions: freed pages
// are reused.
//
// Every failure to write (a full disk, a read-only file) is returned as an error naming the
// database file and what was being recorded, never swallowed.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "model/job.h"

struct sqlite3;

namespace ppcs::jobs {

using model::JobRecord;
using model::JobState;
using model::jobStateFromName;
using model::jobStateName;
using model::kDefaultKeptJobs;
using model::kMaxKeptJobs;
using model::OutputChunk;
using model::parseKeptJobs;
using model::PruneReport;

inline constexpr std::size_t kMaxStoredOutputBytes = 8 * 1024 * 1024;

// A job waiting in its cluster's queue, with the request it runs as the caller encoded it.
struct QueuedJob {
    JobRecord record;
    std::string request;
};

class JobStore {
public:
    // Opens (creating when needed) the database at path, 0600, keeping keepFinished finished jobs
    // (0 to kMaxKeptJobs).
    static Result<std::unique_ptr<JobStore>> open(const std::string& path, int keepFinished = kDefaultKeptJobs);
    ~JobStore();

    // A job recorded queued, submitted now, at the tail of its cluster's queue; request is kept
    // verbatim for queued() to return, and record.retries is how often it may be queued again.
    Result<std::int64_t> enqueue(const JobRecord& record, const std::string& request);
    // Jobs queued together, in one transaction: all of them, in order, or none. Jobs with an
    // arrayIndex form an array, named by the first one's id (arrayId).
    Result<std::vector<std::int64_t>> enqueueAll(const std::vector<QueuedJob>& jobs);
    // Every queued job, in the order they are to start (each cluster's own order is its queue's).
    Result<std::vector<QueuedJob>> queued();
    // Queued -> running, started now with np ranks; false when the job is no longer queued (it
    // was cancelled meanwhile).
    Result<bool> markStarted(std::int64_t id, int np);
    // Queued -> cancelled (exit code 130, with message); false when the job is not queued.
    Result<bool> cancelQueued(std::int64_t id, const std::string& message);
    // Running -> queued again at the head of its cluster's queue, as its next attempt; `why` (the
    // attempt's end) is added to its stderr record, so that every attempt is recorded.
    Status requeue(std::int64_t id, const std::string& why);
    // Output beyond kMaxStoredOutputBytes per job is dropped, with a note stored once.
    Status appendOutput(std::int64_t id, bool isErr, const std::string& data);
    // Records the job's end, then applies retention. A failure to record is returned; a failure
    // to delete older jobs is logged (the job's own record is written) and tried again next time.
    Status finish(std::int64_t id, JobState state, std::optional<int> exitCode, double seconds, const std::string& message);
    // Deletes the finished jobs beyond the newest `keep` (0 to kMaxKeptJobs) and their output, in
    // one transaction: all of them or, on failure, none.
    Result<PruneReport> prune(int keep);
    int keepFinished() const { return keepFinished_; }
    Result<std::vector<JobRecord>> list(int limit);
    // How many jobs the store holds in each state (states without jobs are absent).
    Result<std::map<JobState, std::int64_t>> countByState();
    Result<JobRecord> get(std::int64_t id);
    // The running and queued jobs of a cluster (every cluster when it is empty): running first,
    // then the queued in the order they start.
    Result<std::vector<JobRecord>> active(const std::string& cluster);
    // The newest `limit` jobs of a cluster (every cluster when empty) that have ended, newest first.
    Result<std::vector<JobRecord>> recentEnded(const std::string& cluster, int limit);
    Result<std::vector<OutputChunk>> output(std::int64_t id);
    // The clusters whose jobs were found running (and marked interrupted, or queued again) when
    // the store opened: their processes may still run, orphaned by the daemon that died.
    const std::vector<std::string>& interruptedClusters() const { return interruptedClusters_; }

private:
    friend struct JobStoreTestAccess;  // unit tests reach the connection to simulate a full disk
    JobStore(sqlite3* db, std::string path, int keepFinished) : db_(db), path_(std::move(path)), keepFinished_(keepFinished) {}
    Status execute(const std::string& sql);
    Error sqlError(const std::string& what) const;
    Result<PruneReport> pruneLocked(int keep);
    Status addMissingColumns();
    Status recoverRunningJobs();
    Result<std::vector<JobRecord>> select(const std::string& where, const std::string& cluster, std::int64_t limit,
                                          const std::string& what);
    Result<std::int64_t> insertQueued(const QueuedJob& job, std::int64_t arrayId);
    Status appendOutputLocked(std::int64_t id, bool isErr, const std::string& data);

    sqlite3* db_;
    std::string path_;
    int keepFinished_;
    std::mutex mutex_;
    std::map<std::int64_t, std::size_t> storedBytes_;
    std::vector<std::string> interruptedClusters_;
};

}  // namespace ppcs::jobs
