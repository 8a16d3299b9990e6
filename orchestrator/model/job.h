#pragma once
// A job as users ask for it (`run`), as it ends, and as ppcsd records it, with the checks of the
// user's words that need no cluster (pure: no engine, no database).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace ppcs::model {

struct JobRequest {
    std::string cluster = "ppcs";
    std::string program;     // as the user typed it; with isCommand, argv[0] of the command
    bool isCommand = false;  // `run -- CMD ARGS...`: run exactly this, no resolution
    std::string localPath;   // absolute path on ppcsd's host when PROGRAM named a local file or directory
    std::vector<std::string> args;
    int np = 0;       // 0: the cluster's total slots
    int perNode = 0;  // 0: Open MPI's default mapping
    bool oversubscribe = false;
    bool tagOutput = false;
    int timeoutSeconds = 0;        // 0: no limit
    std::string exe;               // for a directory: the program make builds (default: the directory's name)
    std::vector<std::string> env;  // "NAME=VALUE" for every rank and the build, verbatim (never through a shell)
    std::string workdir;           // where every rank starts: absolute, or relative to the job's folder; empty: the job's folder
    std::string outputDir;         // absolute, on ppcsd's host: the job's folder is copied there when it ends; empty: not copied
    int retries = 0;               // times the job is queued again when a lost node (or ppcsd's death) stops it
    std::string array;             // `submit --array FIRST-LAST[%MOST]`: one job per index; empty: one job
    int arrayIndex = -1;           // one job of an array: its index (PPCS_ARRAY_INDEX in its environment)
};

inline constexpr int kMaxJobRetries = 100;
inline constexpr int kMaxArrayJobs = 10000;

// `--array 1-16%4`: indices FIRST to LAST, at most MOST running at once (0: no limit of its own).
struct JobArray {
    int first = 0;
    int last = 0;
    int most = 0;
};
// FIRST-LAST[%MOST] or a single INDEX, with 0 <= FIRST <= LAST, at most kMaxArrayJobs indices and
// MOST >= 1; a usage error naming the text otherwise.
Result<JobArray> parseJobArray(const std::string& text);

// The example programs shipped in the node image, on its PATH.
const std::vector<std::string>& shippedExamples();

// Checks the parts of a request that need no cluster: numbers in range, names without path tricks,
// environment entries NAME=VALUE with NAME a shell-style identifier, a workdir without "..".
Status validateJobRequest(const JobRequest& request);

// The entries of an environment file: one NAME=VALUE per line, taken verbatim after the first '='
// (no quotes, no expansion); blank lines and lines starting with '#' are skipped. A line without
// '=' or with a bad name fails (usage), naming its line number.
Result<std::vector<std::string>> parseEnvFile(std::string_view text);

// How a job stands, or how it ended.
enum class JobState { queued, running, finished, failed, cancelled, timedOut, stopped, interrupted };

// True while the job has not ended: queued or running.
inline bool jobActive(JobState state) { return state == JobState::queued || state == JobState::running; }

// The one spelling of a state on the wire, in jobs.db and in output: "queued", "running",
// "finished", "failed", "cancelled", "timed-out", "stopped", "interrupted".
const char* jobStateName(JobState state);
// The inverse of jobStateName; nullopt for any other text.
std::optional<JobState> jobStateFromName(std::string_view name);

struct JobOutcome {
    std::int64_t id = 0;
    int exitCode = 0;
    JobState state = JobState::finished;  // never queued, running or interrupted
    std::string message;  // e.g. "rank 1 on demo-node-1 (10.128.0.3) was killed by signal 11 (Segmentation fault)"
    double seconds = 0;
};

struct JobRecord {
    std::int64_t id = 0;
    std::string cluster;
    std::string program;  // what the user named: "hello_world", "./prog.c", "-- /bin/true"
    std::vector<std::string> args;
    int np = 0;
    std::string startedAt;        // RFC 3339, UTC; empty while queued
    double seconds = 0;           // duration (0 while queued or running)
    std::optional<int> exitCode;  // none while queued or running, or when interrupted
    JobState state = JobState::running;
    std::string message;       // why it failed, when it did
    std::string queuedAt;      // RFC 3339, UTC: when it was submitted
    double waitedSeconds = 0;  // from submission to its (last) start; while queued, until now
    int attempt = 1;           // 2 and more: queued again after a lost node (JobRequest::retries)
    int retries = 0;           // as asked
    int position = 0;          // while queued: 1 for the next to start on its cluster; else 0
    std::int64_t arrayId = 0;  // one job of an array: the array's id (its first job's); else 0
    int arrayIndex = -1;       // one job of an array: its index; else -1
};

struct OutputChunk {
    bool isErr = false;
    std::string data;
};

inline constexpr int kDefaultKeptJobs = 1000;
inline constexpr int kMaxKeptJobs = 100000000;

// What prune did: how many finished jobs it deleted, keeping the newest `keep`.
struct PruneReport {
    std::int64_t removed = 0;
    int keep = 0;
};

// Checks a number of jobs to keep as the user wrote it ("1000"): digits only, 0 to kMaxKeptJobs;
// a usage error naming `what` (e.g. "--keep") otherwise.
Result<int> parseKeptJobs(const std::string& text, const std::string& what);

}  // namespace ppcs::model
