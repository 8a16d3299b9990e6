#pragma once
// Job records in an embedded SQLite database in ppcsd's state directory: one row per run (id,
// cluster, program, NP, start, duration, exit code, state) and the run's output, stdout and stderr
// kept apart, in arrival order. Records survive a daemon restart; a job that was running when the
// daemon died is marked "interrupted" when the store is next opened. Thread-safe.
//
// Retention: the store keeps the newest `keepFinished` finished jobs (every state but running);
// each time a job finishes, older finished jobs and their output are deleted. Running jobs are
// never deleted. The database file keeps its size after deletions: freed pages are reused.
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

class JobStore {
public:
    // Opens (creating when needed) the database at path, 0600, keeping keepFinished finished jobs
    // (0 to kMaxKeptJobs).
    static Result<std::unique_ptr<JobStore>> open(const std::string& path, int keepFinished = kDefaultKeptJobs);
    ~JobStore();

    Result<std::int64_t> start(const JobRecord& record);
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
    Result<JobRecord> get(std::int64_t id);
    Result<std::vector<OutputChunk>> output(std::int64_t id);
    // The clusters whose jobs were found running (and marked interrupted) when the store opened:
    // their processes may still run, orphaned by the daemon that died.
    const std::vector<std::string>& interruptedClusters() const { return interruptedClusters_; }

private:
    friend struct JobStoreTestAccess;  // unit tests reach the connection to simulate a full disk
    JobStore(sqlite3* db, std::string path, int keepFinished) : db_(db), path_(std::move(path)), keepFinished_(keepFinished) {}
    Status execute(const std::string& sql);
    Error sqlError(const std::string& what) const;
    Result<PruneReport> pruneLocked(int keep);

    sqlite3* db_;
    std::string path_;
    int keepFinished_;
    std::mutex mutex_;
    std::map<std::int64_t, std::size_t> storedBytes_;
    std::vector<std::string> interruptedClusters_;
};

}  // namespace ppcs::jobs
