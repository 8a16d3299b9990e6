#pragma once
// Job records in an embedded SQLite database in ppcsd's state directory: one row per run (id,
// cluster, program, NP, start, duration, exit code, state) and the run's output, stdout and stderr
// kept apart, in arrival order. Records survive a daemon restart; a job that was running when the
// daemon died is marked "interrupted" when the store is next opened. Thread-safe.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

struct sqlite3;

namespace ppcs::jobs {

struct JobRecord {
    std::int64_t id = 0;
    std::string cluster;
    std::string program;            // what the user named: "hello_world", "./prog.c", "-- /bin/true"
    std::vector<std::string> args;
    int np = 0;
    std::string startedAt;          // RFC 3339, UTC
    double seconds = 0;             // duration (0 while running)
    std::optional<int> exitCode;    // none while running or when interrupted
    std::string state;              // running, finished, failed, cancelled, timed-out, stopped, interrupted
    std::string message;            // why it failed, when it did
};

struct OutputChunk {
    bool isErr = false;
    std::string data;
};

inline constexpr std::size_t kMaxStoredOutputBytes = 8 * 1024 * 1024;

class JobStore {
public:
    // Opens (creating when needed) the database at path, 0600.
    static Result<std::unique_ptr<JobStore>> open(const std::string& path);
    ~JobStore();

    Result<std::int64_t> start(const JobRecord& record);
    // Output beyond kMaxStoredOutputBytes per job is dropped, with a note stored once.
    Status appendOutput(std::int64_t id, bool isErr, const std::string& data);
    Status finish(std::int64_t id, const std::string& state, std::optional<int> exitCode, double seconds, const std::string& message);
    Result<std::vector<JobRecord>> list(int limit);
    Result<JobRecord> get(std::int64_t id);
    Result<std::vector<OutputChunk>> output(std::int64_t id);
    // The clusters whose jobs were found running (and marked interrupted) when the store opened:
    // their processes may still run, orphaned by the daemon that died.
    const std::vector<std::string>& interruptedClusters() const { return interruptedClusters_; }

private:
    explicit JobStore(sqlite3* db) : db_(db) {}
    Status execute(const std::string& sql);

    sqlite3* db_;
    std::mutex mutex_;
    std::map<std::int64_t, std::size_t> storedBytes_;
    std::vector<std::string> interruptedClusters_;
};

}  // namespace ppcs::jobs
